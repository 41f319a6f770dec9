"""Alembic revisions of the education plugin (its own branch, ``education``)."""
