"""Fixtures shared by ``tests/`` and each plugin's ``tests/`` folder."""

pytest_plugins = ["bangfu.pytest_plugin"]
