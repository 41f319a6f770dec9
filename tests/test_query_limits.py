"""Query cost: documents refused before any resolver runs (SECURITY.md, "Query cost").

The probe plugin's ``probeHits`` counts its calls: a refused document leaves it at 0.
"""

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import World, make_world
from tests.probes import ProbePlugin

pytestmark = pytest.mark.anyio


class Probed:
    def __init__(self, world: World, probe: ProbePlugin) -> None:
        self.world = world
        self.h = world.h
        self.probe = probe

    async def refused(self, query: str, variables: dict[str, Any] | None = None) -> list[str]:
        """The error messages of a document that must not run at all."""
        answer = await self.h.gql(query, variables, token=self.world.admin)
        assert answer.get("data") is None, answer
        assert self.probe.hits == 0, "a resolver ran"
        return [error["message"] for error in answer["errors"]]


async def probed(tmp_path: Path, settings: dict[str, Any] | None = None) -> AsyncIterator[Probed]:
    probe = ProbePlugin()
    async with Harness.start(tmp_path, extra_plugins=[probe], settings=settings) as h:
        yield Probed(await make_world(h), probe)


@pytest.fixture
async def p(tmp_path: Path) -> AsyncIterator[Probed]:
    async for value in probed(tmp_path):
        yield value


def nested(levels: int) -> str:
    """``persons`` then ``levels`` more levels of household → members → person."""
    inner = "name"
    for _ in range(levels):
        inner = f"household {{ members {{ person {{ {inner} }} }} }}"
    return f"{{ probeHits persons(first: 1) {{ nodes {{ {inner} }} }} }}"


async def test_depth_beyond_the_limit_is_refused(p: Probed) -> None:
    # persons(1) nodes(2) + 3 per level + name: 3 levels reach depth 12, 4 exceed it.
    assert (await p.h.ok(nested(3), token=p.world.admin))["probeHits"] == 1
    p.probe.hits = 0
    messages = await p.refused(nested(4))
    assert any("exceeds maximum operation depth of 12" in m for m in messages)


async def test_depth_through_fragments_is_counted(p: Probed) -> None:
    query = """
    { probeHits persons(first: 1) { nodes { ...P } } }
    fragment P on Person { household { members { person { ...Q } } } }
    fragment Q on Person { household { members { person { household { members { person {
      household { members { person { name } } } } } } } } } }
    """
    messages = await p.refused(query)
    assert any("exceeds maximum operation depth" in m for m in messages)


async def test_circular_fragments_are_refused(p: Probed) -> None:
    query = """
    { probeHits ...A }
    fragment A on Query { probeHits ...B }
    fragment B on Query { probeHits ...A }
    """
    messages = await p.refused(query)
    assert "Cannot spread fragment 'A' within itself via 'B'." in messages


async def test_aliases_are_limited_including_those_in_repeated_fragments(p: Probed) -> None:
    many = " ".join(f"a{i}: probeHits" for i in range(100))
    assert await p.refused(f"{{ {many} }}") == ["100 aliases found. Allowed: 30"]

    # Ten aliases in a fragment spread four times are forty aliases.
    ten = " ".join(f"a{i}: probeHits" for i in range(10))
    hidden = f"{{ ...F ...F ...F ...F }} fragment F on Query {{ {ten} }}"
    assert await p.refused(hidden) == ["40 aliases found. Allowed: 30"]

    # Thirty are fine.
    thirty = f"{{ ...F ...F ...F }} fragment F on Query {{ {ten} }}"
    assert (await p.h.ok(thirty, token=p.world.admin))["a0"] >= 1


async def test_thousands_of_tokens_are_one_short_error_at_parse(p: Probed) -> None:
    fields = " ".join("probeHits" for _ in range(3000))
    messages = await p.refused(f"{{ {fields} }}")
    assert messages == ["Syntax Error: Document contains more than 2000 tokens. Parsing aborted."]

    # A thousand repeated directives are thousands of tokens too.
    directives = " ".join("@include(if: true)" for _ in range(1000))
    messages = await p.refused(f"{{ probeHits {directives} }}")
    assert messages == ["Syntax Error: Document contains more than 2000 tokens. Parsing aborted."]


async def test_repeated_directives_are_one_error_before_validation(p: Probed) -> None:
    # Under the token limit, but over the directive limit: graphql-core would report
    # every duplicate directive; we answer once.
    directives = " ".join("@include(if: true)" for _ in range(60))
    messages = await p.refused(f"{{ probeHits {directives} }}")
    assert messages == ["the document uses 60 directives; at most 50 are allowed"]


async def test_a_fragment_bomb_is_refused_quickly(p: Probed) -> None:
    # Seven levels of ten spreads: ten million fields from a few hundred tokens.
    levels = [
        f"fragment F{i} on Query {{ {' '.join(f'...F{i + 1}' for _ in range(10))} }}"
        for i in range(7)
    ]
    query = "{ ...F0 } " + " ".join(levels) + " fragment F7 on Query { probeHits }"
    started = time.monotonic()
    messages = await p.refused(query)
    # Not a speed target: unguarded, this document takes minutes; refused, a blink.
    assert time.monotonic() - started < 10
    assert messages == [
        "the document selects more than 50000 fields once its fragments are expanded"
    ]


@pytest.mark.parametrize("first", [0, -1, 101, 10**8])
async def test_first_out_of_range_is_refused_before_execution(p: Probed, first: int) -> None:
    expected = ["first: must be between 1 and 100"]
    assert await p.refused(f"{{ probeHits persons(first: {first}) {{ totalCount }} }}") == expected
    query = "query($n: Int!) { probeHits households(first: $n) { totalCount } }"
    assert await p.refused(query, {"n": first}) == expected


async def test_connections_need_first_or_last(p: Probed) -> None:
    messages = await p.refused("{ probeHits persons { totalCount } }")
    assert messages == ["first or last: one of them is required"]
    messages = await p.refused("{ probeHits persons(first: 1, last: 1) { totalCount } }")
    assert messages == ["first and last: give one of them, not both"]
    messages = await p.refused("{ probeHits persons(first: 10000000000) { totalCount } }")
    assert "Int cannot represent non 32-bit signed integer value" in messages[0]


async def test_nodes_takes_at_most_100_ids(p: Probed) -> None:
    ids = [to_global_id("Person", n) for n in range(101)]
    answer = await p.h.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}, token=p.world.admin
    )
    assert answer["data"] is None
    assert answer["errors"][0]["message"] == "ids: at most 100 IDs per request"
    # A resolver's refused argument carries a code a program can test.
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    fine = await p.h.ok(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids[:100]}, token=p.world.admin
    )
    assert fine["nodes"] == [None] * 100


@pytest.fixture
async def budget(tmp_path: Path) -> AsyncIterator[Probed]:
    async for value in probed(tmp_path, {"max_query_cost": 500}):
        yield value


async def test_static_cost_uses_first_and_variables(budget: Probed) -> None:
    query = """query($n: Int!) { probeHits
      persons(first: $n) { nodes { name idNumber household { id } } } }"""
    # 1 (probeHits) + 1 + n × (nodes 1 + name 1 + idNumber 1 + household 2) = 2 + 5n
    assert (await budget.h.ok(query, {"n": 99}, token=budget.world.admin))["probeHits"] == 1
    budget.probe.hits = 0
    messages = await budget.refused(query, {"n": 100})
    assert messages[0].startswith("the query is too costly: its static cost is over the budget")
    # The same through a fragment, and with a default value for the variable.
    query = """query($n: Int = 100) { probeHits persons(first: $n) { nodes { ...P } } }
      fragment P on Person { name idNumber household { id } }"""
    assert (await budget.refused(query))[0].startswith("the query is too costly")


async def test_one_costly_field_refuses_the_whole_document(budget: Probed) -> None:
    selection = " ".join(f"a{i}: probeHits" for i in range(20))
    query = f"""{{ {selection}
      persons(first: 100) {{ nodes {{ name household {{ id members {{ person {{ name }} }} }} }} }} }}"""
    messages = await budget.refused(query)
    assert messages[0].startswith("the query is too costly")


async def test_hundreds_of_same_named_fields_are_refused_quickly(p: Probed) -> None:
    # graphql-core compares same-named fields pairwise; its work is bounded (schema/limits.py).
    query = "{ " + " ".join("plugins { name }" for _ in range(450)) + " probeHits }"
    started = time.monotonic()
    assert await p.refused(query) == ["Validation aborted."]
    # Not a speed target: unbounded pairwise comparison takes minutes; bounded, a blink.
    assert time.monotonic() - started < 10


async def test_validation_kept_per_document_still_refuses_every_time(
    p: Probed, tmp_path: Path
) -> None:
    """Validation results are kept per document text (bangfu.schema.limits.ValidationOnce):
    the same refused document is refused again, the same valid one runs again, and a
    schema built with other limits validates the same text by its own rules."""
    for _ in range(3):
        messages = await p.refused(nested(4))
        assert any("exceeds maximum operation depth of 12" in m for m in messages)
        messages = await p.refused("{ probeHits persons(first: 1) { nodes { nosuch } } }")
        assert any("Cannot query field 'nosuch'" in m for m in messages)
        assert (await p.h.ok(nested(3), token=p.world.admin))["probeHits"] == 1
        p.probe.hits = 0
    (tmp_path / "deeper").mkdir()
    async for deeper in probed(tmp_path / "deeper", {"max_query_depth": 20}):
        assert (await deeper.h.ok(nested(4), token=deeper.world.admin))["probeHits"] == 1
