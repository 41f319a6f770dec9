"""Housing assistance (住房救助): dwelling safety appraisals, renovation, housing aid."""
