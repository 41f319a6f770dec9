"""Revisions of the housing plugin's branch."""
