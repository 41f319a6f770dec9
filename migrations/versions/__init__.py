"""Core's revisions (branch ``core``)."""
