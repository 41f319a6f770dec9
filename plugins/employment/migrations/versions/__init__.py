"""Revisions of the employment plugin's branch."""
