"""A page's nested data is loaded level by level before execution (``bangfu.schema.prefetch``).

The walk changes speed only: the same request answers the same JSON with the walk and
without it, and with it no field of the page has to wait for a loader while the executor
runs (``misses.late``) — through fragments, aliases, arguments, variables, ``@include``
and ``@skip``.
"""

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import bangfu.schema.connections
import bangfu.schema.query
from bangfu.core.security import Role
from bangfu.demo import load_demo
from bangfu.schema.prefetch import misses
from bangfu.schema.relay import from_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

PAGE = """
query($first: Int!, $withHousing: Boolean!, $skipMedical: Boolean!) {
  households(first: $first) {
    edges { cursor node { ...Household } }
    nodes {
      id
      region { name parent { name } }
      housing @include(if: $withHousing) { latestAppraisal { grade } dangerous }
      head { name }
      members {
        relation
        person {
          ... on Person { name idNumber age }
          now: categories { category certifyingOrganisation { name } }
          all: categories(activeOnly: false) { category validFrom }
          education { currentEnrolment { schoolName stage } }
          medical @skip(if: $skipMedical) { insuredThisYear insurance { year } }
          employment { currentStatus { status } }
          bottomLine { atRisk }
          household { id address }
          memberships { household { address } }
        }
      }
    }
  }
}
fragment Household on Household { address members { person { name guardian { name } } } }
"""

PERSON = """
query($id: ID!) {
  person(id: $id) {
    name region { name }
    household { address members { relation person { name categories { category } } } }
    categories { category certifyingOrganisation { name } }
    education { currentEnrolment { schoolName } }
    medical { insuredThisYear }
    employment { currentStatus { status } }
    bottomLine { atRisk }
  }
}
"""


async def _no_walk(*_args: Any, **_kwargs: Any) -> None:
    return None


@pytest.fixture
async def harness(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    """The app with compiled execution off: these pages run through the executor whose
    walk ahead this tests (compiled execution answers them without it)."""
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"compiled": False}
    ) as h:
        yield h


@pytest.fixture
async def city(harness: Harness) -> tuple[Harness, str]:
    async with harness.session() as session, session.begin():
        await load_demo(
            session,
            harness.cipher,
            harness.host,
            households=12,
            seed=5,
            today=dt.date(2026, 11, 28),
        )
    token = await harness.actor("city", roles=[Role.CITY_ADMINISTRATOR], region="141000")
    return harness, token


async def _late(h: Harness, query: str, variables: dict[str, Any], token: str) -> tuple[Any, int]:
    before = misses.late
    answer = await h.gql(query, variables, token=token)
    assert answer.get("errors") is None, answer.get("errors")
    return answer["data"], misses.late - before


async def test_a_page_resolves_without_waiting_and_answers_the_same(
    city: tuple[Harness, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, token = city
    variables = {"first": 10, "withHousing": True, "skipMedical": False}
    walked, late = await _late(h, PAGE, variables, token)
    assert late == 0
    nodes = walked["households"]["nodes"]
    assert len(nodes) == 10 and all(n["members"] for n in nodes)
    assert any(m["person"]["now"] for n in nodes for m in n["members"])

    monkeypatch.setattr(bangfu.schema.connections, "prefetch", _no_walk)
    unwalked, late = await _late(h, PAGE, variables, token)
    assert late > 0  # without the walk the executor waits for every loader
    assert unwalked == walked


async def test_skipped_fields_are_not_loaded_and_included_ones_are(
    city: tuple[Harness, str],
) -> None:
    h, token = city
    data, late = await _late(
        h, PAGE, {"first": 5, "withHousing": False, "skipMedical": True}, token
    )
    assert late == 0
    node = data["households"]["nodes"][0]
    assert "housing" not in node and "medical" not in node["members"][0]["person"]


async def test_one_person_resolves_without_waiting(
    city: tuple[Harness, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, token = city
    page = await h.ok("{ persons(first: 3) { nodes { id } } }", token=token)
    person = page["persons"]["nodes"][2]["id"]
    walked, late = await _late(h, PERSON, {"id": person}, token)
    assert late == 0 and walked["person"]["household"]["members"]

    monkeypatch.setattr(bangfu.schema.query, "prefetch", _no_walk)
    unwalked, late = await _late(h, PERSON, {"id": person}, token)
    assert late > 0 and unwalked == walked


async def test_a_count_alone_runs_no_page_query(city: tuple[Harness, str]) -> None:
    h, token = city
    counted: dict[str, int] = {}
    answers: dict[str, Any] = {}
    queries = {
        "count": "{ persons(first: 5) { totalCount } }",
        "page": "{ persons(first: 5) { totalCount nodes { id } } }",
        "fragment": "{ persons(first: 5) { ...P } } fragment P on PersonConnection { totalCount pageInfo { hasNextPage } }",
        "skipped": "query($no: Boolean!) { persons(first: 5) { totalCount nodes @include(if: $no) { id } } }",
    }
    for name, query in queries.items():
        with h.count_statements() as counter:
            answers[name] = (
                await h.ok(query, {"no": False} if "$no" in query else None, token=token)
            )["persons"]
        counted[name] = counter.count
    total = answers["page"]["totalCount"]
    assert total > 5 and len(answers["page"]["nodes"]) == 5
    assert answers["count"] == answers["skipped"] == {"totalCount": total}
    assert answers["fragment"] == {"totalCount": total, "pageInfo": {"hasNextPage": True}}
    assert counted["count"] == counted["skipped"] == counted["page"] - 1 == counted["fragment"] - 1


MEDICAL_PAGE = """
query($first: Int!) {
  persons(first: $first) {
    nodes {
      id age
      medical {
        insuredThisYear criticalIllnessCoveredThisYear insurance { year }
        conditions { serious } hospitalisations { admittedOn } claims { totalCost }
      }
    }
  }
}
"""


class _MedicalReads:
    """The person IDs among the parameters of every statement that reads medical rows."""

    def __init__(self, h: Harness) -> None:
        self.engine = h.engine.sync_engine
        self.statements = 0
        self.values: set[Any] = set()

    def _on_execute(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> None:
        if "medical_" in statement:
            self.statements += 1
            items = parameters.values() if isinstance(parameters, dict) else parameters or ()
            for item in items:
                self.values.update(item if isinstance(item, list | tuple) else [item])

    def __enter__(self) -> "_MedicalReads":
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


def _pk(global_id: str) -> int:
    return int(from_global_id(global_id)[1])


async def test_the_walk_loads_no_medical_rows_of_children_it_is_refused(
    city: tuple[Harness, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    h, _ = city
    officer = await h.actor(
        "education-officer", roles=[Role.DEPARTMENT_OFFICER], department="education"
    )
    with _MedicalReads(h) as reads:
        walked = await h.gql(MEDICAL_PAGE, {"first": 60}, token=officer)
    nodes = walked["data"]["persons"]["nodes"]
    children = {_pk(n["id"]) for n in nodes if n["age"] < 14}
    adults = {_pk(n["id"]) for n in nodes if n["age"] >= 14}
    assert children and adults
    refused = {e["path"][2] for e in walked["errors"]}
    assert {_pk(nodes[i]["id"]) for i in refused} == children
    assert all(e["extensions"]["code"] == "FORBIDDEN" for e in walked["errors"])
    assert reads.statements > 0 and adults & reads.values
    assert not children & reads.values  # not one medical row of a refused child was read

    monkeypatch.setattr(bangfu.schema.connections, "prefetch", _no_walk)
    assert await h.gql(MEDICAL_PAGE, {"first": 60}, token=officer) == walked


async def test_a_refused_child_alone_reads_no_medical_row(city: tuple[Harness, str]) -> None:
    h, token = city
    officer = await h.actor(
        "education-officer", roles=[Role.DEPARTMENT_OFFICER], department="education"
    )
    page = await h.ok("{ persons(first: 60) { nodes { id age } } }", token=token)
    child = next(n["id"] for n in page["persons"]["nodes"] if n["age"] < 14)
    query = "query($id: ID!) { person(id: $id) { name medical { insurance { year } claims { totalCost } } } }"
    with _MedicalReads(h) as reads:
        answer = await h.gql(query, {"id": child}, token=officer)
    assert answer["data"]["person"]["medical"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    assert reads.statements == 0
