"""The fast path is a second implementation of execution: it must answer exactly as the plain one.

Two apps on the same demo database, one with ``BANGFU_FAST_PATH`` on (``bangfu.schema.execution``:
plain leaves and direct resolvers without the per-field machinery; ``bangfu.schema.prefetch``:
pages loaded level by level before execution) and one with it off (plain Strawberry with
DataLoaders). For every demo role and a partner API client, each document below — guarded
leaves (masked ID numbers, child data, diagnoses, plugin fields under permission), direct
resolvers, nested connections, aliases, fragments and directives, the README's example and
the benchmark's queries — gives the same data, the same errors (path, message, code) and
the same audit rows (what each request adds, without ids, times and request IDs).
"""

import contextlib
import dataclasses
import json
import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bangfu.core.db import utcnow
from bangfu.core.security.auth import token_digest
from bangfu.core.security.models import AccessToken, AuditEvent, User
from bangfu.demo import DEMO_USERS, create_demo_users, load_demo
from bangfu.pytest_plugin import PG_SKIP_REASON
from bangfu.schema.execution import Executor
from bangfu.schema.prefetch import misses
from bangfu.testing import Harness
from bench import queries

pytestmark = pytest.mark.anyio

README = Path(__file__).resolve().parent.parent / "README.md"
ROLES = [user.username for user in DEMO_USERS] + ["partner"]
HOUSEHOLDS = 80
# Audit columns that differ between two runs of the same request.
VOLATILE = {"id", "at", "request_id", "previous_hash", "hash"}

PERSON_FIELDS = """
  id name age sex idNumber phone birthDate hukouType deceased isKeyPerson version
  relationToHead disability { category grade certifiedOn }
  region { code name } guardian { id name idNumber }
  categories(activeOnly: false) { id category active validFrom validTo monthlyAllowance
                                  certifyingOrganisation { name } }
  bottomLine { atRisk indicators { indicator status isGoal reasons modules } }
  medical {
    insuredThisYear criticalIllnessCoveredThisYear conditionCount hasSeriousCondition
    insurance { year scheme premium premiumPaidByGovernment criticalIllnessCovered }
    conditions { id serious diagnosedOn diagnosisCode diagnosisName diagnosis }
    hospitalisations { id admittedOn dischargedOn serious hospital }
    claims { id totalCost outOfPocket outOfPocketRatio settledOn hospitalisation { hospital } }
    outOfPocketThisYear { year totalCost outOfPocket ratio }
  }
  education {
    currentEnrolment { id schoolName stage grade status startDate }
    history { id status endDate endReason } unaccountedFor aidTotalThisSchoolYear
  }
  employment { currentStatus { id status since monthlyIncome employer } history { status } }
"""

GUARDED_PAGE = (
    """
query($first: Int!) {
  persons(first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { """
    + PERSON_FIELDS
    + """ }
  }
}"""
)

ONE_PERSON = (
    """
query($id: ID!) {
  person(id: $id) { """
    + PERSON_FIELDS
    + """ household { id address members { relation person { name idNumber } } } }
}"""
)

ALIASES_AND_FRAGMENTS = """
query(
  $region: String!, $withMedical: Boolean!, $skipIds: Boolean!, $child: ID!, $adult: ID!
) {
  xiangfen: persons(first: 15, filter: {regionCode: $region}) {
    edges { cursor node { ...Guarded } }
  }
  keyPersons: persons(first: 10, filter: {isKeyPerson: true}) {
    nodes {
      ... on Person { who: name number: idNumber @skip(if: $skipIds) }
      medical @include(if: $withMedical) { ...Medical }
      current: categories { category }
      all: categories(activeOnly: false) { category validTo }
    }
  }
  child: node(id: $child) { id ... on Person { ...Guarded } }
  both: nodes(ids: [$child, $adult]) { id ... on Person { name ...Guarded } }
  households(first: 8) {
    nodes {
      id address isKeyHousehold region { name parent { name } }
      head { ...Guarded }
      members(includeEnded: true) { relation startDate endDate person { ...Guarded } }
      housing { dangerous latestAppraisal { grade appraisedOn appraiserName } }
    }
  }
}
fragment Guarded on Person {
  id name age idNumber phone birthDate disability { grade }
  guardian { name idNumber }
  medical { ...Medical }
  education { currentEnrolment { schoolName } }
}
fragment Medical on MedicalOnPerson {
  insuredThisYear insurance { year }
  conditions { serious diagnosisName } hospitalisations { hospital }
}
"""

# One refusable root field per document: when a non-null root field is refused, the
# executor cancels its siblings, and which of several refusals comes first is a race in
# either path (and its audit row a shielded task that outlives the response).
PLUGIN_LISTS = {
    "medical_uninsured": "medicalUninsured(first: 10) { totalCount nodes { name idNumber "
    "medical { insuredThisYear } } }",
    "education_unaccounted": "educationUnaccountedChildren(first: 10) { nodes { name age "
    "idNumber education { unaccountedFor history { status } } } }",
    "employment_job_seekers": "employmentJobSeekers(first: 10) { nodes { name "
    "employment { currentStatus { status } } } }",
    "housing_dangerous": "housingDangerous(first: 10) { nodes { address housing { dangerous "
    "appraisals { grade dangerous } } head { name } } }",
    "pairings": "pairings(first: 20) { totalCount nodes { id active startDate "
    "person { name idNumber age medical { conditions { diagnosisName } } } "
    "official { displayName } fiveKnowns { completeness staleItems } } }",
    "care_events": "careEvents(first: 20) { nodes { id kind dueState deadline raisedBy "
    "person { name idNumber } } }",
    "my_care_events": "myCareEvents(first: 20, includeAnswered: true) { nodes { kind dueState "
    "person { name } } }",
}


@dataclasses.dataclass
class Pair:
    """Two apps on one database: the fast path on and off; a token per role."""

    fast: Harness
    plain: Harness
    tokens: dict[str, str]
    documents: dict[str, tuple[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@contextlib.asynccontextmanager
async def demo_twins(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    other: dict[str, Any],
    *,
    households: int,
    seed: int,
    prepare: Callable[[Harness], Awaitable[Any]] | None = None,
    base: dict[str, Any] | None = None,
) -> AsyncIterator[tuple[Harness, Harness, dict[str, str]]]:
    """Two apps on one demo database (``request.param``: sqlite or postgresql): one with
    the default settings (or ``base``), one with ``other`` changed; and a token per demo
    role."""
    database_url = None
    if request.param == "postgresql":
        database_url = os.environ.get("BANGFU_TEST_DATABASE_URL")
        if not database_url:
            pytest.skip(PG_SKIP_REASON)
    folder = tmp_path_factory.mktemp(f"{name}-{request.param}")
    async with Harness.start(folder, database_url=database_url, settings=base) as h:
        async with h.session() as session, session.begin():
            await create_demo_users(session)
            await load_demo(session, h.cipher, h.host, households=households, seed=seed)
        if prepare is not None:
            await prepare(h)
        if database_url is not None:  # the planner must know the new rows (operations.md)
            async with h.engine.begin() as connection:  # committed, or the stats are lost
                await connection.execute(text("ANALYZE"))
        tokens = await _tokens(h)
        twin = Harness(h.settings.model_copy(update=other), h.host)
        try:
            yield h, twin, tokens
        finally:
            await twin.client.aclose()
            await twin.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    async with demo_twins(
        request,
        tmp_path_factory,
        "differential",
        {"fast_path": False},
        households=HOUSEHOLDS,
        seed=16,
        # Compiled execution off on both sides: the registry's pages run through the
        # executor whose fast path this compares (tests/test_compiled_differential.py
        # compares compiled execution with it).
        base={"compiled": False},
    ) as (fast, plain, tokens):
        assert fast.settings.fast_path and not fast.settings.compiled
        yield Pair(fast, plain, tokens, await _documents(fast, tokens))


async def _tokens(h: Harness) -> dict[str, str]:
    tokens: dict[str, str] = {}
    async with h.session() as session, session.begin():
        for user in await session.scalars(select(User).where(User.is_demo.is_(True))):
            user.is_demo = False  # demo logins work only in demo mode; these everywhere
            tokens[user.username] = token = secrets.token_urlsafe(16)
            session.add(
                AccessToken(
                    digest=token_digest(token),
                    user_id=user.id,
                    expires_at=utcnow().replace(year=utcnow().year + 1),
                )
            )
    tokens["partner"] = await h.api_client("partner", plugins=["medical", "education"])
    return tokens


async def _documents(h: Harness, tokens: dict[str, str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each document with its variables (persons chosen as the administrator sees them)."""
    found = queries.features(h.app.state.schema._schema)
    persons: list[dict[str, Any]] = []
    after = None
    while after is not False:
        page = await h.ok(
            "query($after: String) { persons(first: 100, after: $after) { "
            "pageInfo { hasNextPage endCursor } nodes { id age region { code } } } }",
            {"after": after},
            token=tokens["admin"],
        )
        persons += page["persons"]["nodes"]
        info = page["persons"]["pageInfo"]
        after = info["endCursor"] if info["hasNextPage"] else False
    # A child of Xiangfen, whose officers and paired officials are among the roles.
    children = [p for p in persons if p["age"] < 14]
    child = next((p for p in children if p["region"]["code"][:6] == "141023"), children[0])["id"]
    adult = next(p["id"] for p in persons if p["age"] >= 18)
    paired = await h.ok(
        "{ pairings(first: 1) { nodes { person { id } } } }", token=tokens["paired"]
    )
    own = paired["pairings"]["nodes"][0]["person"]["id"]
    summary = queries.bottom_line_summary(found)
    assert summary is not None
    region = {"region": "141023"}
    return {
        "readme": (_readme_example(), {}),
        "bench_households": (queries.households_page(found), {"first": 10}),
        "bench_person_child": (queries.person_by_id(found), {"id": child}),
        "bench_person_paired": (queries.person_by_id(found), {"id": own}),
        "bench_count": (queries.PERSONS_COUNT, region),
        "bench_overdue": (queries.OVERDUE_CARE_EVENTS, region),
        "bench_summary": (summary, region),
        "guarded_page": (GUARDED_PAGE, {"first": 30}),
        "one_child": (ONE_PERSON, {"id": child}),
        "one_adult": (ONE_PERSON, {"id": adult}),
        "one_paired": (ONE_PERSON, {"id": own}),
        "aliases_and_fragments": (
            ALIASES_AND_FRAGMENTS,
            {
                "region": "141023",
                "withMedical": True,
                "skipIds": False,
                "child": child,
                "adult": adult,
            },
        ),
        "directives_off": (
            ALIASES_AND_FRAGMENTS,
            {
                "region": "141024",
                "withMedical": False,
                "skipIds": True,
                "child": child,
                "adult": adult,
            },
        ),
        **{name: ("{ " + root + " }", {}) for name, root in PLUGIN_LISTS.items()},
    }


def _readme_example() -> str:
    blocks = re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)
    return next(b for b in blocks if "households(" in b)


@dataclasses.dataclass
class Outcome:
    data: Any
    errors: list[tuple[Any, ...]]
    audit: list[dict[str, Any]]


async def _run(h: Harness, query: str, variables: dict[str, Any], token: str) -> Outcome:
    async with h.session() as session:
        last = await session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    answer = await h.gql(query, variables, token=token)
    async with h.session() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.id > (last or 0)).order_by(AuditEvent.id)
        )
        # Rows of one request are compared as a multiset: denials of different fields are
        # committed by concurrent coroutines, in an order neither path fixes.
        audit = sorted(
            (
                {
                    c.key: getattr(row, c.key)
                    for c in AuditEvent.__table__.columns
                    if c.key not in VOLATILE
                }
                for row in rows
            ),
            key=lambda row: json.dumps(row, sort_keys=True, default=str),
        )
    errors = sorted(
        (
            tuple(e.get("path") or ()),
            e["message"],
            (e.get("extensions") or {}).get("code"),
        )
        for e in answer.get("errors") or []
    )
    return Outcome(answer.get("data"), [tuple(map(repr, e)) for e in errors], audit)


@pytest.mark.parametrize("role", ROLES)
async def test_fast_path_on_and_off_answer_alike(pair: Pair, role: str) -> None:
    differences = []
    for name, (query, variables) in pair.documents.items():
        fast = await _run(pair.fast, query, variables, pair.tokens[role])
        plain = await _run(pair.plain, query, variables, pair.tokens[role])
        for part in ("data", "errors", "audit"):
            if getattr(fast, part) != getattr(plain, part):
                differences.append(
                    f"{name}: {part} differ\n  fast:  {getattr(fast, part)!r:.1500}\n"
                    f"  plain: {getattr(plain, part)!r:.1500}"
                )
    assert not differences, "\n".join(differences)


async def test_the_documents_reach_what_they_are_meant_to(pair: Pair) -> None:
    """The comparison is not vacuous: the administrator gets every document's data without
    an error; an education officer is refused children's medical data, with audit rows."""
    for name, (query, variables) in pair.documents.items():
        answer = await _run(pair.fast, query, variables, pair.tokens["admin"])
        assert answer.data and not answer.errors, (name, answer.errors)
    refused = await _run(pair.fast, *pair.documents["guarded_page"], pair.tokens["education"])
    assert any("FORBIDDEN" in e[2] for e in refused.errors)
    assert any(row["outcome"] == "denied" for row in refused.audit)


async def test_the_setting_turns_the_fast_path_off(pair: Pair) -> None:
    """Off, nothing of the fast path runs: no walk ahead of execution (every loader is
    awaited as its field resolves), no short path for leaves, no direct resolvers."""
    query, variables = pair.documents["bench_households"]
    late = {}
    for name, h in (("fast", pair.fast), ("plain", pair.plain)):
        before = misses.late
        await h.ok(query, variables, token=pair.tokens["admin"])
        late[name] = misses.late - before
    assert late["fast"] == 0 and late["plain"] > 0
    fast, plain = pair.fast.app.state.schema, pair.plain.app.state.schema
    assert fast.execution_context_class is Executor
    assert plain.execution_context_class is not Executor
    assert _direct(fast) and not _direct(plain)


def _direct(schema: Any) -> list[str]:
    """The fields of ``Person`` resolved by a direct resolver (bangfu.schema.execution)."""
    return [
        name
        for name, field in schema._schema.type_map["Person"].fields.items()
        if "_direct_resolver" in getattr(field.resolve, "__qualname__", "")
    ]
