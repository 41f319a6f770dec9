"""The SQL forms of the education, medical and housing plugins' fields (issue 18).

For each plugin, a page that selects its fields compiles (``bangfu explain`` says so for
an administrator), and compiled execution answers exactly as the ordinary path does —
the same data, the same errors — for an administrator, a county officer (``xiangfen``),
the plugin's department officer and a paired official (whose plans run on PostgreSQL
only), on SQLite and PostgreSQL, on today's date and, for the administrator, on days
either side of a school year's and a calendar year's turn. The plans must really
answer: a plan that fails (a defect of a form) would be hidden by the ordinary path, so
the test watches ``compiled.run`` and refuses any failure.

Besides the demo data, a few rows sit on the edges the forms must get right: a ratio
exactly halfway between two 4-place values, amounts whose float sum is not exact, aid on
the first and the last day of a school year, a period of schooling ending today, two
appraisals of one day, housing aid ending today.
"""

import contextlib
import datetime as dt
import decimal
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import delete, func, select

from bangfu import cli
from bangfu.core import calendar
from bangfu.core.registry import models
from bangfu.plugin import to_global_id
from bangfu.plugins.education import models as education
from bangfu.plugins.housing import models as housing
from bangfu.plugins.medical import models as medical
from bangfu.schema import compiled
from bangfu.testing import Harness
from tests.test_fast_path_differential import demo_twins

pytestmark = pytest.mark.anyio

HOUSEHOLDS = 50
SEED = 18

EDUCATION = """
  education {
    currentEnrolment {
      id schoolName schoolRegionCode stage grade status startDate endDate endReason current
      schoolRegion { code name }
    }
    history { id schoolName stage status startDate endDate endReason current }
    unaccountedFor aidTotalThisSchoolYear
    aidThisSchoolYear {
      id kind amount grantedOn fundingSource programme donor note grantingOrganisation { name }
    }
  }"""

MEDICAL = """
  medical {
    insuredThisYear criticalIllnessCoveredThisYear conditionCount hasSeriousCondition
    insurance { year scheme premium premiumPaidByGovernment criticalIllnessCovered }
    conditions { id serious diagnosedOn }
    hospitalisations { id admittedOn dischargedOn serious }
    claims {
      id totalCost paidByInsurance paidByMedicalAid paidByDonations outOfPocket settledOn
      outOfPocketRatio hospitalisation { id admittedOn dischargedOn }
    }
    outOfPocketThisYear { year totalCost outOfPocket ratio }
  }"""

HOUSING = """
  housing {
    latestAppraisal {
      id grade appraisedOn appraiserName reportReference dangerous
      appraisingOrganisation { name }
    }
    dangerous
    appraisals { id grade dangerous appraisedOn }
    openRenovation {
      id status subsidyAmount fundingSource programmeName donor plannedOn approvedOn
      startedOn completedOn acceptedOn note version active
      appraisal { grade } acceptanceAppraisal { grade }
    }
    renovations { id status active }
    aid { id kind monthlyAmount periodStart periodEnd dwellingAddress active }
    disasters { id kind occurredOn damage reportedOn respondedOn response responded }
  }"""


def _with(fields: str, documents: dict[str, str]) -> dict[str, str]:
    return {name: document.replace("FIELDS", fields) for name, document in documents.items()}


PERSON_DOCUMENTS = {
    "persons": """query($after: String) {
  persons(first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name age FIELDS }
  }
}""",
    "households": "query { households(first: 30) { nodes { id members { relation person { "
    "id FIELDS } } } } }",
    "person": "query($id: ID!) { person(id: $id) { id name FIELDS } }",
}

HOUSEHOLD_DOCUMENTS = {
    "households": """query($after: String) {
  households(first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id address FIELDS }
  }
}""",
    "persons": "query { persons(first: 60) { nodes { id household { id FIELDS } } } }",
    "household": "query($id: ID!) { household(id: $id) { id FIELDS } }",
}

#: Per plugin: its department officer and the documents (name → text).
PLUGINS: dict[str, tuple[str, dict[str, str]]] = {
    "education": ("education", _with(EDUCATION, PERSON_DOCUMENTS)),
    "medical": ("medical", _with(MEDICAL, PERSON_DOCUMENTS)),
    "housing": ("housing", _with(HOUSING, HOUSEHOLD_DOCUMENTS)),
}

#: Days the answers are compared on, besides today: the last and first day of a school
#: year, and the first day of a calendar year.
DAYS = (dt.date(2026, 8, 31), dt.date(2026, 9, 1), dt.date(2027, 1, 1))


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


class Twins:
    """Two apps on one demo database, compiled execution on and off; a token per user."""

    def __init__(self, on: Harness, off: Harness, tokens: dict[str, str], edges: Any) -> None:
        self.on = on
        self.off = off
        self.tokens = tokens
        self.edges = edges


@contextlib.asynccontextmanager
async def _twins(request: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Twins]:
    """The demo twins of the differential tests (compiled on and off on one database),
    with the hand-made edge rows added before ANALYZE."""
    edges: list[Any] = []

    async def prepare(h: Harness) -> None:
        edges.append(await _edges(h))

    async with demo_twins(
        request,
        tmp_path_factory,
        "plugin-forms",
        {"compiled": False},
        households=HOUSEHOLDS,
        seed=SEED,
        prepare=prepare,
    ) as (on, off, tokens):
        assert on.settings.compiled and not off.settings.compiled
        yield Twins(on, off, tokens, edges[0])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def twins(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Twins]:
    async with _twins(request, tmp_path_factory) as found:
        yield found


def _yuan(text: str) -> decimal.Decimal:
    return decimal.Decimal(text)


async def _edges(h: Harness) -> dict[str, int]:
    """Rows on the edges of the forms, in Xiangfen (the county officer's area)."""
    today = calendar.today()
    first_of_school_year = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    async with h.session() as session, session.begin():
        people = list(
            await session.scalars(
                select(models.Person)
                .where(models.Person.region_code.like("141023%"))
                .order_by(models.Person.id)
            )
        )
        aided = set(await session.scalars(select(education.EducationAid.person_id)))
        claimed = set(await session.scalars(select(medical.MedicalAidClaim.person_id)))
        child = next(
            p
            for p in people
            if 7 <= calendar.age_on(p.birth_date, today) <= 14
            and not p.deceased
            and p.id not in aided
        )
        adult = next(
            p for p in people if calendar.age_on(p.birth_date, today) >= 30 and p.id not in claimed
        )
        household_id = await session.scalar(
            select(models.Membership.household_id).where(
                models.Membership.person_id == adult.id, models.Membership.end_date.is_(None)
            )
        )
        organisation_id = await session.scalar(select(func.min(models.Organisation.id)))
        assert household_id is not None and organisation_id is not None
        # A period that ended today no longer holds: the child is unaccounted for.
        await session.execute(
            delete(education.Enrolment).where(education.Enrolment.person_id == child.id)
        )
        session.add(
            education.Enrolment(
                person_id=child.id,
                school_name="襄汾县第一小学",
                stage=education.SchoolStage.PRIMARY,
                grade=2,
                status=education.EnrolmentStatus.ENROLLED,
                start_date=today - dt.timedelta(days=400),
                end_date=today,
                end_reason="moved",
            )
        )
        # 0.10 + 0.20 is not 0.30 in floats; the last day of the school year before does
        # not count, its first day does.
        for granted_on, amount in (
            (first_of_school_year, "0.10"),
            (first_of_school_year, "0.20"),
            (first_of_school_year - dt.timedelta(days=1), "1250.55"),
            (today, "333.33"),
        ):
            session.add(
                education.EducationAid(
                    person_id=child.id,
                    kind=education.AidKind.TRANSPORT,
                    amount=_yuan(amount),
                    granted_on=granted_on,
                    funding_source=education.FundingSource.SOCIAL_DONATION,
                    donor="爱心企业",
                    granting_organisation_id=organisation_id,
                )
            )
        # 24.69 / 200.00 = 0.12345: halfway, rounded up to 0.1235; 1.00 / 3.00 repeats.
        for total, parts, settled_on in (
            ("200.00", ("100.00", "50.00", "25.31", "24.69"), today),
            ("3.00", ("2.00", "0.00", "0.00", "1.00"), today),
            ("0.30", ("0.10", "0.10", "0.00", "0.10"), dt.date(today.year - 1, 12, 31)),
        ):
            session.add(
                medical.MedicalAidClaim(
                    person_id=adult.id,
                    total_cost=_yuan(total),
                    paid_by_insurance=_yuan(parts[0]),
                    paid_by_medical_aid=_yuan(parts[1]),
                    paid_by_donations=_yuan(parts[2]),
                    out_of_pocket=_yuan(parts[3]),
                    settled_on=settled_on,
                )
            )
        # Two appraisals of one day: the later row is the latest (the loader's order).
        for grade in (housing.SafetyGrade.B, housing.SafetyGrade.D):
            session.add(
                housing.SafetyAppraisal(
                    household_id=household_id,
                    grade=grade,
                    appraised_on=today + dt.timedelta(days=1),
                    appraiser_name="临汾市房屋安全鉴定站",
                )
            )
        for start, end in ((today - dt.timedelta(days=30), today), (today, today)):
            session.add(
                housing.HousingAid(
                    household_id=household_id,
                    kind=housing.AidKind.RENTAL_SUBSIDY,
                    monthly_amount=_yuan("300.50"),
                    period_start=start,
                    period_end=end,
                )
            )
    return {"child": child.id, "adult": adult.id, "household": household_id}


@pytest.fixture
def outcomes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """What each plan did: ``(root field, "answered" | "gave way" | "failed: ...")``."""
    outcomes: list[tuple[str, str]] = []
    run = compiled.run

    async def watch(plan: Any, executor: Any, field_details_list: Any, response: str) -> Any:
        try:
            value = await run(plan, executor, field_details_list, response)
        except compiled.Fallback:
            outcomes.append((plan.field, "gave way"))
            raise
        except Exception as exc:
            outcomes.append((plan.field, f"failed: {exc!r}"))
            raise
        outcomes.append((plan.field, "answered"))
        return value

    monkeypatch.setattr(compiled, "run", watch)
    return outcomes


def _answer(answer: dict[str, Any]) -> tuple[Any, list[tuple[Any, ...]]]:
    errors = sorted(
        (tuple(e.get("path") or ()), e["message"], (e.get("extensions") or {}).get("code"))
        for e in answer.get("errors") or ()
    )
    return answer.get("data"), errors


def _variables(document: str, edges: dict[str, int]) -> list[dict[str, Any]]:
    if "person(id" in document:
        return [
            {"id": to_global_id("Person", edges["child"])},
            {"id": to_global_id("Person", edges["adult"])},
        ]
    if "household(id" in document:
        return [{"id": to_global_id("Household", edges["household"])}]
    return [{}]


async def _compare(twins: Twins, plugin: str, outcomes: list[tuple[str, str]]) -> list[str]:
    """Compare the compiled and the ordinary answers of the plugin's documents (every
    page of a connection) for its users, on each day; what the plans did."""
    officer, documents = PLUGINS[plugin]
    done: list[str] = []
    for day in (None, *DAYS):
        with pytest.MonkeyPatch.context() as patch:
            if day is not None:
                patch.setattr(calendar, "today", lambda day=day: day)
            for username in ("admin", "xiangfen", officer, "paired"):
                if day is not None and username != "admin":
                    continue  # the days matter to the data, not to the permissions
                token = twins.tokens[username]
                for name, document in documents.items():
                    for variables in _variables(document, twins.edges):
                        while True:
                            outcomes.clear()
                            on = await twins.on.gql(document, variables, token=token)
                            done += [f"{username} {name} {day} {f}: {o}" for f, o in outcomes]
                            off = await twins.off.gql(document, variables, token=token)
                            where = (plugin, username, name, day, variables)
                            assert _answer(on) == _answer(off), where
                            assert on.get("data") is not None, (where, on)
                            info = (next(iter(on["data"].values())) or {}).get("pageInfo")
                            if not info or not info["hasNextPage"]:
                                break
                            variables = {"after": info["endCursor"]}
    return done


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
async def test_compiled_answers_as_the_ordinary_path(
    twins: Twins, plugin: str, outcomes: list[tuple[str, str]]
) -> None:
    done = await _compare(twins, plugin, outcomes)
    # A plan fails only where SQLite's parser refuses a paired official's deepest pages
    # (the pairing criteria on every nested table); the ordinary path answers those.
    failed = [
        entry
        for entry in done
        if ": failed" in entry
        and not (entry.startswith("paired ") and "parser stack overflow" in entry)
    ]
    assert not failed, failed
    # The plans answer (a plan that gives way everywhere would compare nothing): every
    # document of the administrator's, and the officer's pages of its own records (the
    # officer may not read children's core fields: a page with a child gives way).
    answered = {d.rsplit(" ", 2)[0] for d in done if d.endswith(": answered")}
    for name in PLUGINS[plugin][1]:
        assert f"admin {name} None" in answered, (name, done)
    officer = PLUGINS[plugin][0]
    assert any(a.startswith(f"{officer} ") for a in answered), done
    print("\n".join(done))


#: One document per plugin: its fields under each root field a plan answers.
PERSON_ROOTS = """query($id: ID!) {
  persons(first: 5) { nodes { id FIELDS } }
  households(first: 5) { nodes { members { person { FIELDS } } } }
  person(id: $id) { FIELDS }
}"""
HOUSEHOLD_ROOTS = """query($id: ID!) {
  households(first: 5) { nodes { id FIELDS } }
  persons(first: 5) { nodes { household { FIELDS } } }
  household(id: $id) { FIELDS }
}"""
EXPLAINED = {
    "education": PERSON_ROOTS.replace("FIELDS", EDUCATION),
    "medical": PERSON_ROOTS.replace("FIELDS", MEDICAL),
    "housing": HOUSEHOLD_ROOTS.replace("FIELDS", HOUSING),
}


async def _cli(arguments: list[str]) -> int:
    """``bangfu ...`` as a user runs it (its own event loop, so in a thread)."""
    return await anyio.to_thread.run_sync(cli.main, arguments)


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
async def test_explain_says_the_plugin_fields_compile(
    twins: Twins,
    plugin: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    h = twins.on
    document = tmp_path / f"{plugin}.graphql"
    document.write_text(EXPLAINED[plugin])
    monkeypatch.setenv("BANGFU_DATABASE_URL", h.settings.database_url)
    if h.settings.database_schema:
        monkeypatch.setenv("BANGFU_DATABASE_SCHEMA", h.settings.database_schema)
    key = "household" if plugin == "housing" else "adult"
    kind = "Household" if plugin == "housing" else "Person"
    variables = json.dumps({"id": to_global_id(kind, twins.edges[key])})
    code = await _cli(["explain", str(document), "--as", "admin", "--variables", variables])
    out = capsys.readouterr().out
    assert code == 0, out
    for root in ("households", "persons", "household" if plugin == "housing" else "person"):
        assert f"\n  {root}: compiled, 1 statement(s)" in out, out
    assert "ordinary path" not in out, out


async def test_the_edge_rows_are_answered_exactly(
    twins: Twins, outcomes: list[tuple[str, str]]
) -> None:
    """What the compiled plans answer on the edges, as the resolvers define it."""
    token = twins.tokens["admin"]
    today = calendar.today()
    child = await twins.on.ok(
        PERSON_DOCUMENTS["person"].replace("FIELDS", EDUCATION),
        {"id": to_global_id("Person", twins.edges["child"])},
        token=token,
    )
    schooling = child["person"]["education"]
    assert schooling["currentEnrolment"] is None
    assert [p["endDate"] for p in schooling["history"]] == [today.isoformat()]
    assert schooling["unaccountedFor"] is True
    assert sorted(a["amount"] for a in schooling["aidThisSchoolYear"]) == [
        "0.10",
        "0.20",
        "333.33",
    ]
    assert schooling["aidTotalThisSchoolYear"] == "333.63"
    adult = await twins.on.ok(
        PERSON_DOCUMENTS["person"].replace("FIELDS", MEDICAL),
        {"id": to_global_id("Person", twins.edges["adult"])},
        token=token,
    )
    claims = adult["person"]["medical"]["claims"]
    assert [(c["totalCost"], c["outOfPocketRatio"]) for c in claims] == [
        ("3.00", "0.3333"),  # settled the same day, the later row first
        ("200.00", "0.1235"),  # 0.12345, halfway: rounded up
        ("0.30", "0.3333"),
    ]
    assert adult["person"]["medical"]["outOfPocketThisYear"] == {
        "year": today.year,
        "totalCost": "203.00",
        "outOfPocket": "25.69",
        "ratio": "0.1266",
    }
    household = await twins.on.ok(
        HOUSEHOLD_DOCUMENTS["household"].replace("FIELDS", HOUSING),
        {"id": to_global_id("Household", twins.edges["household"])},
        token=token,
    )
    dwelling = household["household"]["housing"]
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert (dwelling["latestAppraisal"]["grade"], dwelling["latestAppraisal"]["appraisedOn"]) == (
        "D",
        tomorrow,
    )
    assert dwelling["dangerous"] is True
    assert [a["grade"] for a in dwelling["appraisals"][:2]] == ["D", "B"]
    ending_today = [a for a in dwelling["aid"] if a["periodEnd"] == today.isoformat()]
    assert [(a["monthlyAmount"], a["active"]) for a in ending_today] == [
        ("300.50", True),
        ("300.50", True),
    ]
    assert outcomes == [
        ("person", "answered"),
        ("person", "answered"),
        ("household", "answered"),
    ]
