"""``python -m bench``: generate (if needed), serve, measure, print one table."""

from bench.cli import main

raise SystemExit(main())
