"""Alembic revisions of the employment plugin (its own branch, ``employment``)."""
