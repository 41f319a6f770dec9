"""Alembic environment and core's revisions (branch ``core``); see ``core.migrate``."""
