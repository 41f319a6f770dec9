"""docs/plugins/education.md: every GraphQL example runs, in order, as the page says."""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bangfu.plugins.education.tests.conftest import World, gid

pytestmark = pytest.mark.anyio

PAGE = Path(__file__).resolve().parents[3] / "docs" / "plugins" / "education.md"
CHILD = "UGVyc29uOjQy"  # Person:42 on the page
BUREAU = "T3JnYW5pc2F0aW9uOjQ="  # Organisation:4 on the page


def examples() -> list[tuple[str, str | None, str | None]]:
    """(query, variables, expected data) per ```graphql block and the ```json blocks after it."""
    found: list[list[Any]] = []
    for language, body in re.findall(r"```(\w+)\n(.*?)```", PAGE.read_text("utf-8"), re.S):
        if language == "graphql":
            found.append([body, None, None])
        elif language == "json" and found and found[-1][2] is None:
            found[-1][1 if found[-1][1] is None else 2] = body
    return [(query, variables, expected) for query, variables, expected in found]


async def test_every_example_on_the_page_runs_as_shown(world: World) -> None:
    ran = 0
    for query, variables, expected in examples():
        text = (variables or "{}").replace(CHILD, gid(world.child)).replace(BUREAU, world.bureau_id)
        answer = await world.h.gql(query, json.loads(text), token=world.education)
        assert "errors" not in answer, (query, answer)
        if expected is not None:
            assert answer["data"] == json.loads(expected)
        else:
            for payload in answer["data"].values():
                assert not (isinstance(payload, dict) and payload.get("errors")), payload
        ran += 1
    assert ran == 7
    dropouts = await world.ok(
        "{ educationEnrolments(first: 5, filter: {status: DROPPED_OUT}) { totalCount } }",
        {},
        world.education,
    )
    assert dropouts["educationEnrolments"]["totalCount"] == 1
