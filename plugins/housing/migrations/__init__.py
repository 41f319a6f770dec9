"""Alembic revisions of the housing plugin (its own branch, ``housing``)."""
