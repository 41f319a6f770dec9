"""Compiled execution (``bangfu.schema.compiled``): a page in a statement or two, the same
answer as the ordinary path, the ordinary path wherever a plan cannot answer, and
``bangfu explain`` saying which is which.

tests/test_compiled_differential.py compares the two paths on many documents and roles;
these tests pin what a user of the plans sees: the statements a page costs, the
fallbacks, the cache and the command.
"""

import datetime as dt
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import func, select

from bangfu import cli
from bangfu.core.calendar import age_on, today
from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.core.registry.models import Household as models_household
from bangfu.core.registry.models import Person
from bangfu.core.security import Role
from bangfu.core.security.models import AuditEvent
from bangfu.demo import create_demo_users, load_demo
from bangfu.schema import compiled
from bangfu.testing import Harness
from tests.test_fast_path_differential import _tokens

pytestmark = pytest.mark.anyio

PAGE = """
query Page($first: Int!, $after: String) {
  households(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
    nodes {
      id address isKeyHousehold version __typename
      region { code name level parent { name } }
      head { name }
      members {
        id relation startDate
        person {
          id name idNumber age sex phone hukouType relationToHead
          categories { category monthlyAllowance active certifyingOrganisation { name kind } }
          employment { currentStatus { id status since monthlyIncome } history { status } }
        }
      }
    }
  }
}"""

CHILD_FIELDS = """
query { persons(first: 100) { nodes { id name age phone hukouType birthDate disability { grade }
  employment { currentStatus { status unableToWork { reason } } } } } }
"""


async def _cli(arguments: list[str]) -> int:
    """``bangfu ...`` as a user runs it (its own event loop, so in a thread)."""
    return await anyio.to_thread.run_sync(cli.main, arguments)


async def _with_audit(h: Harness, query: str, token: str) -> tuple[Any, list[tuple[str, str]]]:
    """The answer and the audit rows the request added (operation, outcome), sorted."""
    async with h.session() as session:
        last = await session.scalar(select(func.max(AuditEvent.id)))
    answer = await h.gql(query, token=token)
    async with h.session() as session:
        rows = await session.execute(
            select(AuditEvent.operation, AuditEvent.outcome, AuditEvent.details).where(
                AuditEvent.id > (last or 0)
            )
        )
        added = sorted(
            (operation, str(outcome.value if hasattr(outcome, "value") else outcome))
            for operation, outcome, _details in rows
        )
    return answer, added


async def _twin(h: Harness) -> Harness:
    return Harness(h.settings.model_copy(update={"compiled": False}), h.host)


async def _demo(h: Harness) -> None:
    async with h.session() as session, session.begin():
        await load_demo(
            session, h.cipher, h.host, households=60, seed=5, today=dt.date(2026, 11, 28)
        )


async def test_a_page_is_one_statement_and_its_count_another(harness: Harness) -> None:
    h = harness
    await _demo(h)
    token = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    plain = await _twin(h)
    try:
        counts = {}
        for first in (10, 50):
            with h.count_statements() as counter:
                data = await h.ok(PAGE, {"first": first}, token=token)
            counts[first] = counter.count
            with plain.count_statements() as plain_counter:
                expected = await plain.ok(PAGE, {"first": first}, token=token)
            assert data == expected
            assert len(data["households"]["nodes"]) == first
            assert plain_counter.count > counter.count
        # The token's lookup, the page's documents and the count: whatever the page size.
        assert counts[10] == counts[50] <= 4
        after = data["households"]["pageInfo"]["endCursor"]
        second = await h.ok(PAGE, {"first": 5, "after": after}, token=token)
        assert second == await plain.ok(PAGE, {"first": 5, "after": after}, token=token)
        assert second["households"]["pageInfo"]["hasPreviousPage"] is True
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()


async def test_refused_fields_are_nulled_as_the_ordinary_path_does(harness: Harness) -> None:
    """A partner client without ``registry:read-sensitive`` asks for children's phones and
    everyone's birth date: the plan nulls them, with the ordinary path's errors (path,
    message, code) and audit rows."""
    h = harness
    await _demo(h)
    token = await h.api_client("partner-a")
    plain = await _twin(h)
    try:
        compiled_before = compiled.STATS["compiled"]
        compiled_answer, compiled_rows = await _with_audit(h, CHILD_FIELDS, token)
        plain_answer, plain_rows = await _with_audit(plain, CHILD_FIELDS, token)
        assert compiled_answer["data"] == plain_answer["data"]
        # One denied row per field and action, as the ordinary path writes it.
        assert compiled_rows == plain_rows
        assert ("query:Person.phone", "denied") in compiled_rows  # a child's
        assert ("query:Person.birthDate", "denied") in compiled_rows  # everyone's
        assert compiled.STATS["compiled"] > compiled_before

        def located(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
            return sorted(
                (tuple(e["path"]), e["message"], e["extensions"]["code"]) for e in answer["errors"]
            )

        assert located(compiled_answer) == located(plain_answer)
        assert any(p[-1] == "phone" for p, _, _ in located(compiled_answer))
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()


async def test_invalid_arguments_get_the_ordinary_errors(harness: Harness) -> None:
    h = harness
    await _demo(h)
    token = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    plain = await _twin(h)
    try:
        for variables in ({"first": 0}, {"first": 101}, {"first": 5, "after": "not-a-cursor"}):
            assert await h.gql(PAGE, variables, token=token) == await plain.gql(
                PAGE, variables, token=token
            )
        unknown = '{ persons(first: 5, filter: {regionCode: "999999"}) { totalCount } }'
        answer = await h.gql(unknown, token=token)
        assert answer == await plain.gql(unknown, token=token)
        assert "unknown region code" in answer["errors"][0]["message"]
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()


def test_the_plan_cache_is_bounded() -> None:
    plans = compiled.Plans(size=2)
    made: list[str] = []

    def make(name: str) -> Any:
        def build() -> Any:
            made.append(name)
            raise compiled.NotCompiled(name)

        return build

    for key in ("a", "b", "a", "c", "b"):
        plans.get(key, make(key))
    assert len(plans) == 2
    # "a" was kept when used again; "b" went out for "c" and was planned again.
    assert made == ["a", "b", "c", "b"]


async def test_explain_says_what_compiles_and_why_not(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    h = harness
    await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    document = tmp_path / "page.graphql"
    document.write_text(
        PAGE[: PAGE.rindex("}")]
        + "  persons(first: 3) { nodes { medical { conditions { diagnosisName } } } }\n"
        + "  me { username }\n}"
    )
    monkeypatch.setenv("BANGFU_DATABASE_URL", h.settings.database_url)
    if h.settings.database_schema:
        monkeypatch.setenv("BANGFU_DATABASE_SCHEMA", h.settings.database_schema)
    code = await _cli(
        ["explain", str(document), "--as", "city", "--variables", '{"first": 3}', "--sql"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "households: compiled, 2 statement(s)" in out
    assert "finished in Python: members.person.idNumber" in out
    # A diagnosis is guarded by the medical plugin's own audited check, which has no SQL
    # form; beside other root fields, its root field runs on the ordinary path.
    assert "persons: ordinary path (MedicalCondition.diagnosisName has a permission" in out
    assert "me: ordinary path (root field me is not compiled)" in out
    assert "SELECT" in out
    # Alone, the plan answers it and leaves the person's medical data to the ordinary path.
    alone = tmp_path / "alone.graphql"
    alone.write_text(DIAGNOSES)
    assert await _cli(["explain", str(alone), "--as", "city"]) == 0
    out = capsys.readouterr().out
    assert "persons: compiled, 1 statement(s)" in out
    assert "medical: resolved on the ordinary path per object (" in out
    assert await _cli(["explain", str(document), "--as", "nobody"]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    monkeypatch.setenv("BANGFU_COMPILED", "false")
    assert (
        await _cli(["explain", str(document), "--as", "city", "--variables", '{"first": 3}']) == 0
    )
    assert "BANGFU_COMPILED is off" in capsys.readouterr().out


SHAPED = """
query($active: Boolean!, $ended: Boolean!, $first: Int!) {
  households(first: $first) {
    nodes { members(includeEnded: $ended) { person { categories(activeOnly: $active) { category validTo } } } }
  }
}"""


async def test_variables_that_shape_a_plan_are_part_of_its_key(harness: Harness) -> None:
    """A nested argument's variable changes the plan, a root argument's does not: the same
    document with other values answers as the ordinary path does each time."""
    h = harness
    await _demo(h)
    token = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    plain = await _twin(h)
    try:
        answers = []
        for active, ended, first in ((True, False, 20), (False, True, 20), (True, False, 7)):
            variables = {"active": active, "ended": ended, "first": first}
            data = await h.ok(SHAPED, variables, token=token)
            assert data == await plain.ok(SHAPED, variables, token=token)
            answers.append(data)
        assert answers[0] != answers[1]
        assert len(answers[2]["households"]["nodes"]) == 7
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()


DIAGNOSES = """
query {
  persons(first: 60) {
    nodes { id name medical { conditions { serious diagnosisName } hospitalisations { hospital } } }
  }
}"""


async def test_a_field_without_sql_form_is_resolved_on_the_ordinary_path(
    harness: Harness,
) -> None:
    """A diagnosis is guarded by the medical plugin's own audited check, which has no SQL
    form: the plan answers the page and leaves ``medical`` to the ordinary path, object by
    object; the data, the errors and the audit rows (reads and refusals) are the ordinary
    path's."""
    h = harness
    await _demo(h)
    city = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    county = await h.actor("county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")
    plain = await _twin(h)
    try:
        audited: list[list[tuple[str, str]]] = []
        for token in (city, county):
            before = compiled.STATS["compiled"]
            answer, rows = await _with_audit(h, DIAGNOSES, token)
            expected, expected_rows = await _with_audit(plain, DIAGNOSES, token)
            assert compiled.STATS["compiled"] == before + 1  # the plan answered
            assert answer["data"] == expected["data"]
            assert sorted(map(str, answer.get("errors", []))) == sorted(
                map(str, expected.get("errors", []))
            )
            assert rows == expected_rows
            audited.append(rows)
        # The administrator's reads of diagnoses are audited; the county officer's refused.
        assert ("query:MedicalCondition.diagnosis", "ok") in audited[0]
        assert audited[1] == [("query:MedicalCondition.diagnosis", "denied")]
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()


NODE = """
query($id: ID!) {
  node(id: $id) {
    id __typename
    ... on Person { name age idNumber household { address members { relation } } }
    ... on Household { address head { name } }
  }
}"""


async def test_node_is_a_lookup_of_the_type_its_id_names(harness: Harness) -> None:
    h = harness
    await _demo(h)
    token = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    plain = await _twin(h)
    try:
        page = await h.ok("{ households(first: 1) { nodes { id head { id } } } }", token=token)
        household = page["households"]["nodes"][0]
        ids = [household["id"], household["head"]["id"], "T3JnYW5pc2F0aW9uOjE=", "bad"]
        for global_id in ids:
            before = compiled.STATS["compiled"]
            answer = await h.gql(NODE, {"id": global_id}, token=token)
            assert answer == await plain.gql(NODE, {"id": global_id}, token=token)
            # A person or a household is the plan's; anything else the ordinary path's.
            assert compiled.STATS["compiled"] == before + (global_id in ids[:2])
        assert answer["data"] == {"node": None}
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()


class VetoByName:
    """A plugin that refuses the registry to one user by name, and every child's sensitive
    data to everyone (a rule a city might add): decisions beyond roles."""

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="veto", title="Veto by name (test)", version="0.0.1")

    @hookimpl
    def bangfu_permission_allowed(self, actor: Any, action: str, resource: Any) -> bool | None:
        if action == "registry:read" and actor.name == "vetoed":
            return False
        if action == "registry:read-sensitive" and isinstance(resource, Person):
            return False if age_on(resource.birth_date, today()) < 14 else None
        return None


VETOED_PAGE = """
{ persons(first: 40) { nodes { id name birthDate phone disability { grade } } } }
"""


async def test_a_plugin_that_votes_per_actor_gets_plans_of_its_own(
    tmp_path: Path, database_url: str | None
) -> None:
    """Two users with the same roles, one vetoed by a plugin: neither gets the other's plan,
    and each answer (data, errors, audit rows) is the ordinary path's."""
    async with Harness.start(
        tmp_path, database_url=database_url, extra_plugins=[VetoByName()]
    ) as h:
        await _demo(h)
        allowed = await h.actor("allowed", roles=[Role.CITY_ADMINISTRATOR])
        vetoed = await h.actor("vetoed", roles=[Role.CITY_ADMINISTRATOR])
        plain = Harness(h.settings.model_copy(update={"compiled": False}), h.host)
        try:
            answers = {}
            for name, token in (("allowed", allowed), ("vetoed", vetoed), ("allowed2", allowed)):
                answer, rows = await _with_audit(h, VETOED_PAGE, token)
                expected, expected_rows = await _with_audit(plain, VETOED_PAGE, token)
                assert answer["data"] == expected["data"]
                assert sorted(map(str, answer.get("errors", []))) == sorted(
                    map(str, expected.get("errors", []))
                )
                assert rows == expected_rows
                answers[name] = answer
            assert answers["vetoed"]["data"] is None
            assert answers["vetoed"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert any(p["birthDate"] for p in answers["allowed2"]["data"]["persons"]["nodes"])
        finally:
            await plain.client.aclose()
            await plain.engine.dispose()


HOSTILE = [
    '{"~bangfu~finish~idNumber":"41"}',
    ':{"~bangfu~finish~idNumber" : "41"}',
    '{"~bangfu~denied":0}',
    '{"~bangfu~defer":1}',
    '{"~bangfu~fallback":1}',
    '\\"}{"~bangfu~denied":1',
]


async def test_text_that_looks_like_a_marker_is_only_text(harness: Harness) -> None:
    """The plan finds its markers in the documents' text (a tagged ID number to finish, a
    refused field, a field left to the ordinary path): text a clerk typed that looks like
    one is answered as it is, compiled as on the ordinary path."""
    h = harness
    await _demo(h)
    token = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    async with h.session() as session, session.begin():
        ids = list(
            await session.scalars(select(models_household.id).order_by(models_household.id))
        )[: len(HOSTILE)]
        for key, text in zip(ids, HOSTILE, strict=True):
            household = await session.get(models_household, key)
            assert household is not None
            household.address = text
    plain = await _twin(h)
    query = "{ households(first: 10) { nodes { address members { person { name idNumber } } } } }"
    try:
        before = compiled.STATS["compiled"]
        data = await h.ok(query, token=token)
        assert compiled.STATS["compiled"] == before + 1
        assert data == await plain.ok(query, token=token)
        assert [n["address"] for n in data["households"]["nodes"][: len(HOSTILE)]] == HOSTILE
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()


DEEP = """
{ persons(first: 5) { nodes { memberships { household { members { person { name } } } } } } }
"""


async def test_a_plan_the_database_refuses_is_not_tried_again(harness: Harness) -> None:
    """A paired official's criteria on every nested table exceed SQLite's parser stack on a
    deep page: the ordinary path answers, and the process does not try that plan again.
    PostgreSQL runs the plan."""
    h = harness
    async with h.session() as session, session.begin():
        await create_demo_users(session)
        await load_demo(session, h.cipher, h.host, households=30, seed=16)
    tokens = await _tokens(h)
    plain = await _twin(h)
    try:
        refused = "fallback: the database refused the plan"
        for attempt in range(2):
            before = compiled.STATS[refused]
            answer = await h.gql(DEEP, token=tokens["paired"])
            assert answer == await plain.gql(DEEP, token=tokens["paired"])
            assert answer["data"]["persons"]["nodes"]  # the official's persons
            if h.settings.database_url.startswith("sqlite"):
                assert compiled.STATS[refused] == before + (attempt == 0)
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()


LINES = """
query { persons(first: 100) { nodes { id name bottomLine { atRisk indicators {
  indicator status reasons modules isGoal } } } } }"""


async def test_a_line_judged_by_other_rules_is_judged_afresh(harness: Harness) -> None:
    """The stored verdicts answer a plan only while they were judged with the rules
    installed now (checked inside the statement, no round trip of its own); after a
    module's rules changed, the whole field is the ordinary path's, which judges afresh,
    until the refresh has judged again."""
    from sqlalchemy import update

    from bangfu.core.bottomline import stored
    from bangfu.core.bottomline.models import RulesVersion

    h = harness
    await _demo(h)
    await stored.rebuild(h.services.sessions, h.host, h.settings)
    city = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    plain = await _twin(h)
    await h.gql(LINES, token=city)  # the query limits' own check of the rules, kept a while
    try:
        fallback = "fallback: a value only the ordinary path gives (a line not stored as current)"
        for rules_changed in (False, True, False):
            if rules_changed:
                async with h.session() as session, session.begin():
                    await session.execute(
                        update(RulesVersion)
                        .where(RulesVersion.module == "education")
                        .values(version="0")
                    )
            before = compiled.STATS.copy()
            with h.count_statements() as counter:
                answer = await h.gql(LINES, token=city)
            expected = await plain.gql(LINES, token=city)
            assert answer == expected and "errors" not in answer
            answered = compiled.STATS["compiled"] - before["compiled"]
            fell_back = compiled.STATS[fallback] - before[fallback]
            if rules_changed:
                assert (answered, fell_back) == (0, 1)
            else:
                # The token lookup and the page: nothing asks for the rules' versions.
                assert (answered, fell_back, counter.count) == (1, 0, 2), counter.statements
            if rules_changed:
                await stored.refresh(h.services.sessions, h.host, h.settings)
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()


AREA_PAGE = """
query($after: String) { households(first: 5, after: $after) {
  pageInfo { endCursor } nodes { id region { code } members { person { name } } } } }"""


async def test_statements_kept_by_a_plan_keep_each_area_to_itself(harness: Harness) -> None:
    """A plan keeps its page and lookup statements with the area's criteria in them: two
    counties taking turns on the same plan, the city and a paired official each read what
    the ordinary path gives them, never the other's rows."""
    h = harness
    await _demo(h)
    async with h.session() as session, session.begin():
        await create_demo_users(session)
    tokens = await _tokens(h)
    plain = await _twin(h)
    try:
        pages: dict[str, Any] = {}
        for name in ["xiangfen", "admin", "hongtong", "paired", "xiangfen", "paired", "hongtong"]:
            for after in (None, "cursor"):
                variables = {"after": None}
                if after is not None:
                    variables["after"] = pages[name]["households"]["pageInfo"]["endCursor"]
                before = compiled.STATS["compiled"]
                answer = await h.gql(AREA_PAGE, variables, token=tokens[name])
                expected = await plain.gql(AREA_PAGE, variables, token=tokens[name])
                assert answer == expected, name
                assert compiled.STATS["compiled"] == before + 1
                if after is None:
                    pages[name] = answer["data"]
        regions = {
            name: {n["region"]["code"][:6] for n in page["households"]["nodes"]}
            for name, page in pages.items()
        }
        assert regions["xiangfen"] == {"141023"} and regions["hongtong"] == {"141024"}
    finally:
        await plain.client.aclose()
        await plain.engine.dispose()
