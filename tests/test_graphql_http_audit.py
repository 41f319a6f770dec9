"""The GraphQL-over-HTTP audit (npm ``graphql-http``'s server audits, run by
tools/graphql-http-audit) against the real service in the development profile: no MUST
fails, anonymous or with a token. It needs Node.js and the tool's packages (``npm ci`` in
tools/graphql-http-audit, which .ci/run does); without them it is skipped, saying so."""

import json
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served import TIMEOUT, served

TOOL = Path(__file__).resolve().parent.parent / "tools" / "graphql-http-audit"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (TOOL / "node_modules" / "graphql-http").is_dir(),
    reason="Node.js or tools/graphql-http-audit's packages are missing (npm ci there)",
)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    with served(tmp_path, None, households=5) as base:
        yield base


def audit(url: str, *extra: str) -> str:
    assert NODE is not None
    run = subprocess.run(
        [NODE, "audit.mjs", url, *extra],
        cwd=TOOL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout.strip().splitlines()[-1]


def test_no_must_of_graphql_over_http_fails(service: str) -> None:
    login = urllib.request.Request(
        f"{service}/graphql",
        data=json.dumps(
            {
                "query": 'mutation { login(username: "xiangfen", password: "Demo-2026!linfen") '
                "{ token } }"
            }
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=10) as answer:
        token = json.load(answer)["data"]["login"]["token"]
    for extra in ((), ("--token", token)):
        summary = audit(f"{service}/graphql", *extra)
        assert re.fullmatch(r"\d+ ok, 0 errors, 0 warnings, 0 notices", summary), summary
