"""Revisions of the education plugin's branch."""
