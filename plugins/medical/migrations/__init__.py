"""Alembic revisions of the medical plugin (its own branch, ``medical``)."""
