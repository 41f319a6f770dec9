"""docs/api.md's worked example, a partner's program written with Python's ``gql``, runs
as it is printed there against the real service: uvicorn on a free localhost port, demo
data, on SQLite and PostgreSQL. It logs in, pages through a township with cursors and
checks the count against ``totalCount``, updates a person and handles
``VERSION_CONFLICT``."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served import TIMEOUT, served

API_GUIDE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
MARKER = "<!-- the script that tests/test_gql_client.py runs -->"


def the_script() -> str:
    """The Python block that follows the marker in docs/api.md."""
    guide = API_GUIDE.read_text(encoding="utf-8")
    found = re.search(re.escape(MARKER) + r"\n```python\n(.*?)```", guide, re.S)
    assert found, "docs/api.md has no gql example after its marker"
    return found.group(1)


@pytest.fixture
def service(tmp_path: Path, database_url: str | None) -> Iterator[str]:
    with served(tmp_path, database_url) as base:
        yield base


def test_the_guide_s_gql_script_runs_against_the_service(service: str, tmp_path: Path) -> None:
    script = tmp_path / "client.py"
    script.write_text(the_script(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANGFU_")}
    env["BANGFU_URL"] = f"{service}/graphql"
    run = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert re.fullmatch(r".+: (\d+) persons in (\d+) pages", lines[0]), lines
    total, pages = map(int, re.findall(r"\d+", lines[0]))
    assert total > 10 and pages == -(-total // 10)
    assert re.fullmatch(r".+: phone 13900000001, version (\d+)", lines[1]), lines
    first_version = int(lines[1].rsplit(" ", 1)[1])
    assert re.fullmatch(r"version \d+ is stale: reading the person again", lines[2]), lines
    assert lines[3].endswith(f"phone 13900000002, version {first_version + 1}"), lines
    assert lines[4:] == ["refused: GRAPHQL_VALIDATION_FAILED"]
