"""Alembic environment and core's revisions (branch ``core``); see ``bangfu.core.migrate``."""
