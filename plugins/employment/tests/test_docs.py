"""The examples of ``docs/plugins/employment.md`` are run, in order, and every answer
compared: the page cannot drift from the code."""

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bangfu.core import calendar
from bangfu.core.idnumber import make
from bangfu.core.security import Role
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

PAGE = Path(__file__).resolve().parents[3] / "docs" / "plugins" / "employment.md"
DAY = dt.date(2026, 11, 28)  # the day the examples were run
BLOCK = re.compile(r"```(graphql|json)\n(.*?)```", re.DOTALL)


def examples() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(query, variables, expected answer) for each GraphQL block of the Examples section."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Examples", 1)[1].split("\n## ", 1)[0]
    found: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for kind, body in BLOCK.findall(section):
        if kind == "graphql":
            found.append((body, {}, {}))
            continue
        query, variables, _ = found[-1]
        value = json.loads(body)
        if "data" in value or "errors" in value:
            found[-1] = (query, variables, value)
        else:
            found[-1] = (query, value, {})
    return found


def test_the_page_has_examples_with_answers() -> None:
    found = examples()
    assert len(found) >= 8
    assert all(expected for _query, _variables, expected in found)


async def test_the_examples_answer_as_the_page_says(
    employment_only: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = employment_only
    monkeypatch.setattr(calendar, "today", lambda: DAY)
    _, persons = await h.household(
        "141023",
        [
            ("HEAD", "孙建军", make("141023", dt.date(1986, 4, 12), 11)),
            ("SPOUSE", "李秀英", make("141023", dt.date(1988, 9, 3), 22)),
            ("CHILD", "孙晓东", make("141023", dt.date(2004, 7, 20), 31)),
        ],
    )
    assert [p.id for p in persons] == [1, 2, 3]  # the global IDs the page shows
    token = await h.actor("hrss", roles=[Role.DEPARTMENT_OFFICER], department="employment")
    for query, variables, expected in examples():
        assert await h.gql(query, variables, token=token) == expected, query
