"""City-scale benchmark of the GraphQL service against the raw-SQL lower bound (issue 9).

Not part of the test command: ``python -m bench --help``; see ``bench/README.md``.
"""
