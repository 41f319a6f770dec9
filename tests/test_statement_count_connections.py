"""Every connection of the Query root: statements per request do not grow with the page.

The query of each connection is built from the schema (every leaf field, two levels of
objects), so a connection added later is covered without a new test.
"""

import datetime as dt

import pytest
from graphql import GraphQLNonNull, GraphQLObjectType

from bangfu.core.security import SYSTEM, Role, audit
from bangfu.demo import load_demo
from bangfu.schema.build import build_schema
from bangfu.testing import Harness
from bench.queries import selection

pytestmark = pytest.mark.anyio


def connection_queries(h: Harness) -> dict[str, str]:
    """Root fields returning a connection whose only required argument is ``first``."""
    schema = build_schema(h.host, h.settings)._schema
    assert schema.query_type is not None
    found = {}
    for name, field in schema.query_type.fields.items():
        type_ = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if not (isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection")):
            continue
        required = {
            arg_name
            for arg_name, arg in field.args.items()
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
        }
        if required - {"first"}:
            continue
        nodes = selection(type_.fields["nodes"].type, depth=2)
        found[name] = f"query($first: Int!) {{ {name}(first: $first) {{ nodes {nodes} }} }}"
    return found


async def test_no_connection_costs_a_statement_per_row(harness: Harness) -> None:
    h = harness
    async with h.session() as session, session.begin():
        await load_demo(
            session, h.cipher, h.host, households=60, seed=11, today=dt.date(2026, 11, 28)
        )
        # Reads of care notes are audited; the trail's first row ever also creates its
        # head row, which is not a cost of the page.
        await audit.record(session, SYSTEM, "test:first-row", audit.Outcome.OK)
    token = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR], region="141000")
    queries = connection_queries(h)
    assert {"households", "persons", "careEvents", "pairings"} <= set(queries)

    full_pages = []
    for name, query in queries.items():
        # Once in a while (and first), a connection that reads whole areas counts the
        # persons of each region to price its scans (bangfu.core.registry.area_sizes).
        await h.gql(query, {"first": 1}, token=token)
        counts, sizes = {}, {}
        for first in (2, 8):
            with h.count_statements() as counter:
                answer = await h.gql(query, {"first": first}, token=token)
            assert answer.get("data") is not None, (name, answer.get("errors"))
            sizes[first] = len(answer["data"][name]["nodes"])
            counts[first] = counter.count
        if sizes[8] > 2:
            full_pages.append(name)
            assert counts[2] == counts[8], (name, counts, sizes)
    # The demo data fills most connections beyond one small page: the test is not empty.
    assert len(full_pages) >= 8, full_pages
