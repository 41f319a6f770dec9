"""Schemathesis fuzzes every root field of the schema in-process, as the city administrator.

Generated queries and mutations (valid and invalid arguments alike) must never get a 5xx,
and never an unexpected (masked) error: each of those is a bug to fix. Runs on SQLite (the
GraphQL layer is what is fuzzed), a bounded number of examples per field.
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from bangfu.app import create_app
from bangfu.core.config import Settings
from bangfu.core.security.crypto import FieldCipher
from bangfu.testing import TEST_KEY, Harness
from tests.helpers import create_household, make_world

EXAMPLES_PER_FIELD = 20

# Amounts of yuan travel as strings ("1234.50"); send well-formed and malformed ones.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
        st.text(max_size=12),
    ).map(nodes.String),
)


async def _prepare(folder: Path) -> str:
    async with Harness.start(folder) as h:
        world = await make_world(h)
        await create_household(h, world.xiangfen)
        return world.admin


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("fuzz")
    token = asyncio.run(_prepare(folder))
    app = create_app(
        Settings(
            database_url=f"sqlite+aiosqlite:///{folder / 'test.db'}",
            secret_key_file=folder / "unused.key",
            request_timeout_seconds=10,
        ),
        cipher=FieldCipher(TEST_KEY),
    )
    return {"app": app, "headers": {"Authorization": f"Bearer {token}"}}


def test_no_generated_request_breaks_the_server(fuzzed: dict[str, Any]) -> None:
    schema = schemathesis.graphql.from_asgi("/graphql", fuzzed["app"], headers=fuzzed["headers"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    # `logout` revokes the token every other request uses: it goes last.
    operations.sort(key=lambda operation: operation.label == "Mutation.logout")
    failures: list[str] = []
    answered: dict[int, int] = {}
    for operation in operations:
        fuzz(operation, fuzzed["headers"], failures, answered)
    assert not failures, "\n\n".join(failures)
    # The fuzzing reached the resolvers: most answers were GraphQL answers, not refusals.
    assert answered.get(200, 0) > sum(answered.values()) * 0.8, answered


def fuzz(
    operation: Any, headers: dict[str, str], failures: list[str], answered: dict[int, int]
) -> None:
    """Send ``EXAMPLES_PER_FIELD`` generated requests for one root field."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_FIELD,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        answered[response.status_code] = answered.get(response.status_code, 0) + 1
        problem = None
        if response.status_code >= 500:
            problem = f"HTTP {response.status_code}"
        elif response.status_code == 200:
            errors = json.loads(response.text).get("errors") or []
            if any(
                (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR" for e in errors
            ):
                problem = "an unexpected (masked) error"
        if problem is not None:
            failures.append(f"{operation.label}: {problem}\n{case.body}\n{response.text}")

    run()
