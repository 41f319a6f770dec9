"""Bangfu core: the domain, the database and the plugin host. Knows nothing of GraphQL."""
