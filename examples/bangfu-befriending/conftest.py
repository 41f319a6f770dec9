"""The Harness fixtures of Bangfu (harness, database_url, anyio_backend)."""

pytest_plugins = ["bangfu.pytest_plugin"]
