"""Revisions of the medical plugin's branch."""
