"""Medical assistance (医疗救助): insurance, conditions, hospitalisation, medical aid."""
