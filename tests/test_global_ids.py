"""Global IDs from a hostile client (SECURITY.md, "Reliability": a key beyond 64 bits).

Whatever a client puts where an ID goes — any text, any base64, negative, zero or huge
keys, another type's name — the answer is the answer for an absent object: null from a
query, NOT_FOUND from a mutation; never a 500. Property-tested on the decoder alone and
through GraphQL on SQLite and PostgreSQL.
"""

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Integer

from bangfu.core.db import Base
from bangfu.schema.relay import (
    MAX_KEY,
    decode_cursor,
    decode_global_id,
    encode_cursor,
    to_global_id,
)
from bangfu.testing import Harness
from tests.helpers import World, create_household, make_world


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


TYPE_NAMES = st.sampled_from(["Person", "Household", "Organisation", "Pairing", "CareEvent", "x"])
# Keys no row can have: zero, negative, and beyond the key columns (and 64 bits).
BAD_KEYS = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=MAX_KEY + 1),
    st.integers(min_value=2**63 - 2, max_value=2**200),
).map(str)
ODD_KEYS = st.one_of(
    BAD_KEYS,
    st.text(max_size=30),
    st.integers(min_value=1, max_value=99).map(lambda k: f" {k}"),  # int() would accept it
    st.integers(min_value=1, max_value=99).map(lambda k: f"+{k}"),
    st.just("٤٢"),  # Arabic-Indic digits, which int() reads as 42
)
# IDs that cannot name a row of the test world (which has no persons nor households).
ABSENT_IDS = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
    st.text(max_size=40).map(encoded),
    st.tuples(TYPE_NAMES, ODD_KEYS).map(lambda t: encoded(f"{t[0]}:{t[1]}")),
    st.tuples(st.sampled_from(["Person", "Household"]), st.integers()).map(
        lambda t: to_global_id(*t)
    ),
)
HUGE = to_global_id("Person", 2**63)


def test_every_key_column_holds_max_key() -> None:
    """MAX_KEY is the largest key of every table (an INTEGER, 32-bit on PostgreSQL)."""
    for table in Base.metadata.tables.values():
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer):
                assert type(column.type) is Integer, (table.name, column.type)
    assert MAX_KEY == 2**31 - 1


@settings(max_examples=500)
@given(ABSENT_IDS)
@example(HUGE)
@example(to_global_id("Person", -(2**63) - 1))
def test_the_decoder_refuses_any_id_with_a_value_error_and_keeps_keys_in_range(
    global_id: str,
) -> None:
    try:
        type_name, key = decode_global_id(global_id)
    except ValueError:
        return
    assert 1 <= key <= MAX_KEY and to_global_id(type_name, key) == global_id


@given(st.integers(min_value=1, max_value=MAX_KEY), st.sampled_from(["Person", "Pairing"]))
def test_every_key_a_row_can_have_round_trips(key: int, type_name: str) -> None:
    assert decode_global_id(to_global_id(type_name, key)) == (type_name, key)
    assert decode_cursor(encode_cursor(key)) == key


@given(BAD_KEYS)
def test_a_cursor_with_a_key_no_row_can_have_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="not a valid cursor"):
        decode_cursor(encoded(f"cursor:{key}"))


# Every place of the API that takes an ID, in one query and one mutation.
LOOKUPS = """
query($id: ID!) {
  node(id: $id) { id }
  nodes(ids: [$id, $id]) { id }
  person(id: $id) { id }
  household(id: $id) { id }
  pairing(id: $id) { id }
  careEvent(id: $id) { id }
  donation(id: $id) { id }
  screeningCampaign(id: $id) { id }
  assistancePlan(householdId: $id) { id }
  careEvents(first: 1, filter: {personId: $id, responsibleOrganisationId: $id}) { totalCount }
  pairings(first: 1, filter: {personId: $id, officialId: $id}) { totalCount }
}"""
NULLS = {
    "node": None,
    "nodes": [None, None],
    "person": None,
    "household": None,
    "pairing": None,
    "careEvent": None,
    "donation": None,
    "screeningCampaign": None,
    "assistancePlan": None,
    "careEvents": {"totalCount": 0},
    "pairings": {"totalCount": 0},
}
UPDATES = """
mutation($id: ID!) {
  personUpdate(input: {id: $id, expectedVersion: 1, name: "王"}) { errors { field code } }
  householdMemberRemove(input: {householdId: $id, personId: $id}) { errors { field code } }
  medicalInsuranceRecord(input: {personId: $id, year: 2026, premium: "0", scheme: RESIDENT}) {
    errors { field code }
  }
}"""


@pytest.fixture
def served(tmp_path: Path, database_url: str | None) -> Iterator[tuple[asyncio.Runner, World]]:
    """A world served on its own event loop, so that hypothesis can drive it."""
    with asyncio.Runner() as runner:
        started = Harness.start(tmp_path, database_url=database_url)
        harness = runner.run(started.__aenter__())
        try:
            yield runner, runner.run(make_world(harness))
        finally:
            runner.run(started.__aexit__(None, None, None))


def test_no_id_reaches_a_500_anywhere_an_id_is_taken(
    served: tuple[asyncio.Runner, World],
) -> None:
    runner, world = served

    async def ask(query: str, global_id: str) -> dict[str, Any]:
        response = await world.h.post(query, {"id": global_id}, token=world.admin)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        assert "errors" not in answer, (global_id, answer["errors"])
        return answer["data"]  # type: ignore[no-any-return]

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(ABSENT_IDS)
    @example(HUGE)
    @example(to_global_id("Person", MAX_KEY + 1))
    @example(to_global_id("Person", 2**64 + 7))
    @example(to_global_id("Person", -(2**63) - 1))
    def check(global_id: str) -> None:
        assert runner.run(ask(LOOKUPS, global_id)) == NULLS
        updates = runner.run(ask(UPDATES, global_id))
        assert updates["personUpdate"]["errors"] == [{"field": "input.id", "code": "NOT_FOUND"}]
        removed = updates["householdMemberRemove"]["errors"]
        assert [e["code"] for e in removed] == ["NOT_FOUND"]
        insured = updates["medicalInsuranceRecord"]["errors"]
        assert insured == [{"field": "input.personId", "code": "NOT_FOUND"}]

    check()


@pytest.mark.anyio
async def test_a_cursor_beyond_the_keys_is_a_request_error_not_a_500(world: World) -> None:
    await create_household(world.h, world.xiangfen)
    for key in (MAX_KEY + 1, 2**63, -1):
        answer = await world.h.gql(
            "query($after: String) { persons(first: 1, after: $after) { nodes { id } } }",
            {"after": encoded(f"cursor:{key}")},
            token=world.admin,
        )
        assert answer["errors"][0]["message"] == "after: not a valid cursor"
