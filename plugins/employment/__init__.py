"""Employment assistance (就业救助): work status, training, placements, welfare posts."""
