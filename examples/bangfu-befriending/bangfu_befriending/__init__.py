"""Befriending: a Bangfu plugin (entry point ``befriending`` = ``bangfu_befriending.plugin``)."""
