"""Connections page backwards too (Relay's cursor connections, issue 20): ``last`` and
``before`` beside ``first`` and ``after``, keyset cursors, the same page-size limit.

Walked to the start, the backward pages are the forward pages reversed, on connections
ordered by ID ascending and newest first, core's, the care work's and a plugin's; the
``pageInfo`` flags say where each page stands; a window between two cursors is the same
from either end; bad combinations are refused with a clear error before anything runs.
Compiled execution leaves backward pages to the ordinary path, with the same answers.
On SQLite and PostgreSQL.
"""

import datetime as dt
from typing import Any

import pytest

from bangfu.core.security import Role
from bangfu.demo import load_demo
from bangfu.schema.relay import encode_cursor
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

PAGE = """query($n: Int, $c: String) {{ x: {field}({size}: $n, {cursor}: $c{extra}) {{
  totalCount edges {{ cursor node {{ id }} }}
  pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"""

#: (root field, extra arguments): ID ascending, newest first, care work, a plugin's.
CONNECTIONS = [
    ("persons", ""),
    ("households", ', filter: {regionCode: "141000"}'),
    ("donations", ""),
    ("careEvents", ""),
    ("pairings", ""),
    ("educationEnrolments", ""),
]


async def demo(h: Harness) -> str:
    async with h.session() as session, session.begin():
        await load_demo(
            session, h.cipher, h.host, households=40, seed=7, today=dt.date(2026, 11, 28)
        )
    return await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])


async def page(
    h: Harness, token: str, field: str, extra: str, *, forward: bool, size: int, cursor: Any
) -> dict[str, Any]:
    query = PAGE.format(
        field=field,
        size="first" if forward else "last",
        cursor="after" if forward else "before",
        extra=extra,
    )
    answer: dict[str, Any] = (await h.ok(query, {"n": size, "c": cursor}, token=token))["x"]
    edges = answer["edges"]
    info = answer["pageInfo"]
    assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
    assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)
    return answer


async def walk(
    h: Harness, token: str, field: str, extra: str, *, forward: bool, size: int
) -> tuple[list[str], int]:
    """Every ID of the connection, page by page, in the connection's order; and the total."""
    pages: list[list[str]] = []
    cursor = None
    while True:
        answer = await page(h, token, field, extra, forward=forward, size=size, cursor=cursor)
        info = answer["pageInfo"]
        ids = [edge["node"]["id"] for edge in answer["edges"]]
        more = info["hasNextPage"] if forward else info["hasPreviousPage"]
        behind = info["hasPreviousPage"] if forward else info["hasNextPage"]
        assert behind == bool(pages), (field, forward, len(pages))  # a cursor bounds it
        assert len(ids) == size or not more, (field, forward)
        pages.append(ids)
        if not more:
            break
        cursor = info["endCursor"] if forward else info["startCursor"]
    if not forward:
        pages.reverse()
    return [key for ids in pages for key in ids], answer["totalCount"]


async def test_backward_pages_walked_to_the_start_are_the_forward_pages_reversed(
    harness: Harness,
) -> None:
    h = harness
    token = await demo(h)
    for field, extra in CONNECTIONS:
        counted = await h.ok(f"{{ x: {field}(first: 1{extra}) {{ totalCount }} }}", token=token)
        size = max(1, counted["x"]["totalCount"] // 5)  # several pages, the last one partial
        forward, total = await walk(h, token, field, extra, forward=True, size=size)
        backward, total_again = await walk(h, token, field, extra, forward=False, size=size)
        assert len(forward) == total == total_again > size, field
        assert len(set(forward)) == len(forward), field
        assert backward == forward, field
        # Exactly a page of objects: no next page forward, no previous one backward.
        exact = (
            await page(h, token, field, extra, forward=False, size=total, cursor=None)
            if (total <= 100)
            else None
        )
        if exact is not None:
            assert exact["pageInfo"]["hasPreviousPage"] is False, field
            assert [e["node"]["id"] for e in exact["edges"]] == forward, field


WINDOW = """query($first: Int, $last: Int, $after: String, $before: String) {
  persons(first: $first, last: $last, after: $after, before: $before) {
    nodes { id } pageInfo { hasNextPage hasPreviousPage } } }"""


async def test_a_window_between_two_cursors_is_the_same_from_either_end(
    harness: Harness,
) -> None:
    h = harness
    token = await demo(h)
    everyone, _total = await walk(h, token, "persons", "", forward=True, size=50)
    listing = (await h.ok("{ persons(first: 30) { edges { cursor } } }", token=token))["persons"]
    cursors = [edge["cursor"] for edge in listing["edges"]]
    after, before = cursors[4], cursors[20]  # the window holds persons 6 to 20
    inside = everyone[5:20]
    forward = await h.ok(WINDOW, {"first": 4, "after": after, "before": before}, token=token)
    assert [n["id"] for n in forward["persons"]["nodes"]] == inside[:4]
    assert forward["persons"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": True}
    backward = await h.ok(WINDOW, {"last": 4, "after": after, "before": before}, token=token)
    assert [n["id"] for n in backward["persons"]["nodes"]] == inside[-4:]
    assert backward["persons"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": True}
    whole = await h.ok(WINDOW, {"last": 50, "after": after, "before": before}, token=token)
    assert [n["id"] for n in whole["persons"]["nodes"]] == inside
    assert whole["persons"]["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    # Before the first object there is nothing, and nothing before it.
    first = cursors[0]
    empty = await h.ok(WINDOW, {"last": 3, "before": first}, token=token)
    assert empty["persons"] == {
        "nodes": [],
        "pageInfo": {"hasNextPage": True, "hasPreviousPage": False},
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("first: 2, last: 2", "first and last: give one of them, not both"),
        ("", "first or last: one of them is required"),
        ("last: 0", "last: must be between 1 and 100"),
        ("last: 101", "last: must be between 1 and 100"),
        ("last: -1", "last: must be between 1 and 100"),
    ],
)
async def test_bad_page_sizes_are_refused_before_anything_runs(
    harness: Harness, arguments: str, message: str
) -> None:
    token = await harness.actor("reader", roles=[Role.SUPERVISOR])
    for field in ("persons", "careEvents", "educationEnrolments"):
        args = f"({arguments})" if arguments else ""
        answer = await harness.gql(f"{{ {field}{args} {{ nodes {{ id }} }} }}", token=token)
        assert [e["message"] for e in answer["errors"]] == [message], field
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert answer.get("data") is None
    # Through variables too.
    answer = await harness.gql(
        "query($f: Int, $l: Int) { persons(first: $f, last: $l) { nodes { id } } }",
        {"f": 1, "l": 1},
        token=token,
    )
    assert answer["errors"][0]["message"] == "first and last: give one of them, not both"


async def test_a_bad_before_cursor_is_named(harness: Harness) -> None:
    token = await harness.actor("reader", roles=[Role.SUPERVISOR])
    for cursor in ("%%%", "bm90LWEtY3Vyc29y"):
        answer = await harness.gql(
            "query($c: String) { persons(last: 2, before: $c) { nodes { id } } }",
            {"c": cursor},
            token=token,
        )
        assert answer["errors"][0]["message"] == "before: not a valid cursor"
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # A cursor beyond every key reads as the end: the last page.
    far = encode_cursor(2**31 - 1)
    assert (await harness.ok(
        "query($c: String) { persons(last: 2, before: $c) { nodes { id } } }", {"c": far}, token=token
    ))["persons"]["nodes"] == []  # fmt: skip


async def test_a_connection_with_a_default_first_pages_backward_without_it(
    harness: Harness,
) -> None:
    """``housingDangerous`` pages by 20 when neither is given: ``last`` alone is not a
    second page size."""
    token = await demo(harness)
    forward = await harness.ok("{ housingDangerous { nodes { id } } }", token=token)
    backward = await harness.ok("{ housingDangerous(last: 100) { nodes { id } } }", token=token)
    ids = [n["id"] for n in backward["housingDangerous"]["nodes"]]
    assert [n["id"] for n in forward["housingDangerous"]["nodes"]] == ids[:20]


async def test_compiled_execution_leaves_backward_pages_to_the_ordinary_path(
    harness: Harness,
) -> None:
    h = harness
    token = await demo(h)
    plain = Harness(h.settings.model_copy(update={"compiled": False}), h.host)
    query = """query($n: Int!, $c: String) { persons(last: $n, before: $c) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id name age region { id code } household { id } } } } }"""
    try:
        cursor = None
        for _ in range(3):
            compiled = await h.ok(query, {"n": 5, "c": cursor}, token=token)
            ordinary = await plain.ok(query, {"n": 5, "c": cursor}, token=token)
            assert compiled == ordinary
            cursor = compiled["persons"]["pageInfo"]["startCursor"]
    finally:
        await plain.client.aclose()


@pytest.mark.parametrize("stored", [True, False])
async def test_the_at_risk_filter_pages_backward_stored_or_judged(
    tmp_path: Any, database_url: str | None, stored: bool
) -> None:
    """Read from the stored verdicts, or judged page by page when they are off: either
    way the backward pages are the forward ones reversed."""
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"stored_bottom_line": stored}
    ) as h:
        token = await demo(h)
        counts = {}
        for indicator in ("FOOD", "MEDICAL_CARE", "SCHOOL", "WORK", "SOMEONE_IN_CHARGE"):
            query = f"{{ persons(first: 1, filter: {{atRisk: {indicator}}}) {{ totalCount }} }}"
            counts[indicator] = (await h.ok(query, token=token))["persons"]["totalCount"]
        indicator = max(counts, key=lambda i: counts[i])
        extra = f", filter: {{atRisk: {indicator}}}"
        forward, total = await walk(h, token, "persons", extra, forward=True, size=3)
        backward, _ = await walk(h, token, "persons", extra, forward=False, size=3)
        assert len(forward) == total > 3
        assert backward == forward
