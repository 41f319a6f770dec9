"""The category rules (R2, issue 21): who may hold a category, who certifies it, the rule
set chosen by validFrom, ``categoryRules``, and ``bangfu check categories``."""

import argparse
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bangfu import check_cli
from bangfu.core.calendar import today
from bangfu.core.registry import eligibility
from bangfu.core.registry.models import Category, CategoryAssignment, Organisation
from bangfu.core.security.models import AuditEvent
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import HONGTONG_VILLAGE, XIANGFEN_VILLAGE, World, id_number

pytestmark = pytest.mark.anyio

ASSIGN = """
mutation($input: CategoryAssignInput!) {
  categoryAssign(input: $input) {
    categoryAssignment { id category ruleVersion certifyingOrganisation { name } }
    errors { field code message }
  }
}"""

RULES = """
query($on: Date) {
  categoryRules(on: $on) {
    version effectiveFrom effectiveTo
    rules { code category description checked citation { title titleEn number } }
    certifiers { category certifiedBy }
  }
}"""

TODAY = today()


def birthday(born: dt.date, years: int) -> dt.date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return dt.date(born.year + years, 3, 1)


async def person(world: World, born: dt.date, village: str = XIANGFEN_VILLAGE, **extra: Any) -> str:
    """A new one-person household; the person's global ID."""
    data = await world.h.ok(
        """mutation($input: HouseholdCreateInput!) {
             householdCreate(input: $input) { household { head { id } } errors { code } }
           }""",
        {
            "input": {
                "regionCode": village,
                "members": [
                    {
                        "relation": "HEAD",
                        "person": {
                            "name": "张三",
                            "idNumber": id_number(born, county=village[:6]),
                            **extra,
                        },
                    }
                ],
            }
        },
        token=world.admin,
    )
    assert data["householdCreate"]["errors"] == [], data
    return str(data["householdCreate"]["household"]["head"]["id"])


async def org(world: World, code: str) -> str:
    return to_global_id("Organisation", (await world.h.organisation(code)).id)


async def assign(world: World, token: str | None = None, **values: Any) -> dict[str, Any]:
    data = await world.h.ok(ASSIGN, {"input": values}, token=token or world.xiangfen)
    return data["categoryAssign"]  # type: ignore[no-any-return]


async def count(h: Harness) -> int:
    async with h.session() as session:
        return int(await session.scalar(select(func.count()).select_from(CategoryAssignment)) or 0)


async def test_an_orphan_of_41_is_refused_naming_the_rule(world: World) -> None:
    adult = await person(world, TODAY.replace(year=TODAY.year - 41) - dt.timedelta(days=3))
    civil = await org(world, "141023-civil-affairs")
    before = await count(world.h)
    answer = await assign(
        world,
        personId=adult,
        category="ORPHAN",
        validFrom=str(TODAY),
        certifyingOrganisationId=civil,
    )
    assert answer["categoryAssignment"] is None
    [error] = answer["errors"]
    assert (error["field"], error["code"]) == ("input.category", "NOT_ELIGIBLE")
    assert "ORPHAN_UNDER_18" in error["message"]
    assert "国办发〔2010〕54号" in error["message"]
    assert await count(world.h) == before

    # Backdated to when they were a child, still open today: refused too (the category
    # lapses on the 18th birthday) ...
    backdated = await assign(
        world,
        personId=adult,
        category="ORPHAN",
        validFrom=str(TODAY.replace(year=TODAY.year - 35)),
        certifyingOrganisationId=civil,
    )
    assert backdated["errors"][0]["code"] == "NOT_ELIGIBLE"
    # ... but a childhood period that ended is history the rules allow.
    childhood = await assign(
        world,
        personId=adult,
        category="ORPHAN",
        validFrom=str(TODAY.replace(year=TODAY.year - 35)),
        validTo=str(TODAY.replace(year=TODAY.year - 30)),
        certifyingOrganisationId=civil,
    )
    assert childhood["errors"] == []
    assert childhood["categoryAssignment"]["ruleVersion"] == "2016"


async def test_poor_disabled_needs_a_disability_on_record(world: World) -> None:
    civil = await org(world, "141023-civil-affairs")
    none = await person(world, dt.date(1980, 5, 1))
    answer = await assign(
        world,
        personId=none,
        category="POOR_DISABLED",
        validFrom=str(TODAY),
        certifyingOrganisationId=civil,
    )
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [
        ("input.category", "NOT_ELIGIBLE")
    ]
    assert "POOR_DISABLED_DISABILITY_ON_RECORD" in answer["errors"][0]["message"]
    assert "国发〔2015〕52号" in answer["errors"][0]["message"]
    disabled = await person(
        world,
        dt.date(1980, 5, 1),
        disability={"category": 4, "grade": 3, "certifiedOn": "2020-01-01"},
    )
    ok = await assign(
        world,
        personId=disabled,
        category="POOR_DISABLED",
        validFrom=str(TODAY),
        certifyingOrganisationId=civil,
    )
    assert ok["errors"] == []
    assert ok["categoryAssignment"]["ruleVersion"] == "2021"


async def test_another_countys_bureau_is_refused(world: World) -> None:
    child = await person(world, TODAY.replace(year=TODAY.year - 10))
    hongtong = await org(world, "141024-civil-affairs")
    before = await count(world.h)
    # Out of a county officer's reach: as if it did not exist.
    officer = await assign(
        world,
        personId=child,
        category="ORPHAN",
        validFrom=str(TODAY),
        certifyingOrganisationId=hongtong,
    )
    assert [(e["field"], e["code"]) for e in officer["errors"]] == [
        ("input.certifyingOrganisationId", "UNKNOWN_ORGANISATION")
    ]
    # Within the administrator's reach, but not competent for a person of 襄汾县.
    admin = await assign(
        world,
        world.admin,
        personId=child,
        category="ORPHAN",
        validFrom=str(TODAY),
        certifyingOrganisationId=hongtong,
    )
    assert admin["errors"] == [
        {
            "field": "input.certifyingOrganisationId",
            "code": "NOT_COMPETENT",
            "message": "洪洞县民政局 is not of the person's county or of the city: it certifies "
            "only persons of its own area",
        }
    ]
    assert await count(world.h) == before


@pytest.mark.parametrize(
    ("category", "code"),
    [
        ("ORPHAN", "141000-education"),
        ("DIBAO", "141000-trade-union"),
        ("SPECIAL_HARDSHIP", "141023-government"),
        ("ENTITLED_GROUP", "141023-civil-affairs"),
        ("DIBAO", "141000-veterans-affairs"),
    ],
)
async def test_a_body_of_the_wrong_kind_is_refused(world: World, category: str, code: str) -> None:
    elder = await person(world, dt.date(1940, 1, 1))
    if category == "ORPHAN":
        elder = await person(world, TODAY.replace(year=TODAY.year - 8))
    before = await count(world.h)
    answer = await assign(
        world,
        world.admin,
        personId=elder,
        category=category,
        validFrom=str(TODAY),
        certifyingOrganisationId=await org(world, code),
    )
    [error] = answer["errors"]
    assert (error["field"], error["code"]) == ("input.certifyingOrganisationId", "NOT_COMPETENT")
    assert f"does not certify {category}: only the " in error["message"]
    assert await count(world.h) == before


async def test_valid_assignments_are_accepted(world: World) -> None:
    child = await person(world, TODAY.replace(year=TODAY.year - 7))
    veteran = await person(world, dt.date(1950, 8, 1))
    answer = await assign(
        world,
        personId=child,
        category="ORPHAN",
        validFrom=str(TODAY),
        certifyingOrganisationId=await org(world, "141000-civil-affairs"),
        ruleVersion="2021",
    )
    assert answer["errors"] == []
    assert answer["categoryAssignment"]["certifyingOrganisation"] == {"name": "临汾市民政局"}
    entitled = await assign(
        world,
        personId=veteran,
        category="ENTITLED_GROUP",
        validFrom=str(TODAY),
        certifyingOrganisationId=await org(world, "141000-veterans-affairs"),
    )
    assert entitled["errors"] == []
    elder = await assign(
        world,
        personId=veteran,
        category="SPECIAL_HARDSHIP",
        validFrom=str(TODAY),
        certifyingOrganisationId=await org(world, "141023-civil-affairs"),
    )
    assert elder["errors"] == []


async def test_the_rule_set_is_chosen_by_valid_from(world: World) -> None:
    """特困: a physical disability of grade 2 counts as no capacity to work from the 2021
    measures on, not before."""
    civil = await org(world, "141023-civil-affairs")
    disabled = await person(
        world,
        dt.date(1985, 1, 1),
        disability={"category": 4, "grade": 2, "certifiedOn": "2015-01-01"},
    )
    old = await assign(
        world,
        personId=disabled,
        category="SPECIAL_HARDSHIP",
        validFrom="2021-06-30",
        validTo="2021-06-30",
        certifyingOrganisationId=civil,
    )
    assert old["errors"][0]["code"] == "NOT_ELIGIBLE"
    assert "SPECIAL_HARDSHIP_NO_WORK_CAPACITY" in old["errors"][0]["message"]
    assert "民发〔2016〕178号" in old["errors"][0]["message"]
    wrong_version = await assign(
        world,
        personId=disabled,
        category="SPECIAL_HARDSHIP",
        validFrom="2021-07-01",
        certifyingOrganisationId=civil,
        ruleVersion="2016",
    )
    assert wrong_version["errors"] == [
        {
            "field": "input.ruleVersion",
            "code": "INVALID_RULE_VERSION",
            "message": "rule version 2016 is not in force on 2021-07-01: 2021 is",
        }
    ]
    unknown = await assign(
        world,
        personId=disabled,
        category="SPECIAL_HARDSHIP",
        validFrom="2021-07-01",
        certifyingOrganisationId=civil,
        ruleVersion="2020",
    )
    assert unknown["errors"][0]["code"] == "INVALID_RULE_VERSION"
    new = await assign(
        world,
        personId=disabled,
        category="SPECIAL_HARDSHIP",
        validFrom="2021-07-01",
        certifyingOrganisationId=civil,
    )
    assert new["errors"] == []
    assert new["categoryAssignment"]["ruleVersion"] == "2021"


async def test_the_18th_birthday_through_the_api(world: World) -> None:
    born = dt.date(2004, 2, 29)
    child = await person(world, born)
    civil = await org(world, "141023-civil-affairs")
    adult_on = birthday(born, 18)  # 2022-03-01: 2022 has no 29 February
    refused = await assign(
        world,
        personId=child,
        category="DE_FACTO_UNSUPPORTED_CHILD",
        validFrom=str(adult_on),
        validTo=str(adult_on),
        certifyingOrganisationId=civil,
    )
    assert refused["errors"][0]["code"] == "NOT_ELIGIBLE"
    assert "DE_FACTO_UNSUPPORTED_CHILD_UNDER_18" in refused["errors"][0]["message"]
    accepted = await assign(
        world,
        personId=child,
        category="DE_FACTO_UNSUPPORTED_CHILD",
        validFrom=str(adult_on - dt.timedelta(days=1)),
        validTo=str(adult_on - dt.timedelta(days=1)),
        certifyingOrganisationId=civil,
    )
    assert accepted["errors"] == []


days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2040, 12, 31))


@given(born=days, offset=st.integers(min_value=-400, max_value=400), today_=days)
def test_the_age_limit_ends_on_the_18th_birthday(
    born: dt.date, offset: int, today_: dt.date
) -> None:
    adult_on = birthday(born, 18)
    valid_from = adult_on + dt.timedelta(days=offset)
    facts = eligibility.Facts(born, None, None, in_household=True)
    rule_set = eligibility.rule_set_on(valid_from)
    for category in (
        Category.ORPHAN,
        Category.DE_FACTO_UNSUPPORTED_CHILD,
        Category.CHILD_IN_DIFFICULTY,
    ):
        # A closed period: judged on its first and last day.
        broken = rule_set.broken(category, facts, valid_from, valid_from)
        assert bool(broken) == (valid_from >= adult_on)
        # An open one is judged today too (its last day in force so far).
        last = eligibility.last_day_in_force(valid_from, None, max(today_, valid_from))
        still = rule_set.broken(category, facts, valid_from, last)
        assert bool(still) == (last >= adult_on)


@given(day=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 1, 1)))
def test_the_rule_set_in_force(day: dt.date) -> None:
    rule_set = eligibility.rule_set_on(day)
    assert rule_set.version == ("2021" if day >= dt.date(2021, 7, 1) else "2016")
    assert eligibility.rule_version_problem(rule_set.version, day) is None
    assert eligibility.rule_version_problem(None, day) is None
    assert eligibility.rule_version_problem("1999", day) is not None
    # Every category has rules and a competent body in every set.
    assert {rule.category for rule in rule_set.rules} == set(Category)
    assert set(rule_set.certifiers) == set(Category)


async def test_category_rules_are_readable(world: World) -> None:
    now = (await world.h.ok(RULES, {}, token=world.supervisor))["categoryRules"]
    assert (now["version"], now["effectiveFrom"], now["effectiveTo"]) == (
        "2021",
        "2021-07-01",
        None,
    )
    by_code = {rule["code"]: rule for rule in now["rules"]}
    assert by_code["ORPHAN_UNDER_18"]["category"] == "ORPHAN"
    assert by_code["ORPHAN_UNDER_18"]["citation"]["number"] == "国办发〔2010〕54号"
    assert by_code["ENTITLED_GROUP_CERTIFIED"]["checked"] is False
    assert {rule["category"] for rule in now["rules"]} == {c.value for c in Category}
    certifiers = {c["category"]: c["certifiedBy"] for c in now["certifiers"]}
    assert "退役军人事务局" in certifiers["ENTITLED_GROUP"]
    assert "民政局" in certifiers["ORPHAN"]
    old = (await world.h.ok(RULES, {"on": "2020-01-01"}, token=world.supervisor))["categoryRules"]
    assert (old["version"], old["effectiveTo"]) == ("2016", "2021-06-30")


# -- bangfu check categories ------------------------------------------------------


async def seed_bad_rows(world: World) -> dict[str, Any]:
    """Rows written before the rules: an adult orphan in 襄汾县, a 洪洞县 person certified
    by 襄汾县's bureau, and a good one in each county."""
    adult = await person(world, dt.date(1985, 3, 1))
    good = await person(world, TODAY.replace(year=TODAY.year - 9))
    far = await person(world, dt.date(1950, 3, 1), village=HONGTONG_VILLAGE)
    fine = await person(world, dt.date(1950, 3, 1), village=HONGTONG_VILLAGE)
    async with world.h.session() as session, session.begin():
        ids = {
            code: await session.scalar(select(Organisation.id).where(Organisation.code == code))
            for code in ("141023-civil-affairs", "141024-civil-affairs")
        }
        from bangfu.schema.relay import from_global_id

        def pid(gid: str) -> int:
            return int(from_global_id(gid)[1])

        rows = [
            (adult, Category.ORPHAN, "141023-civil-affairs"),
            (good, Category.ORPHAN, "141023-civil-affairs"),
            (far, Category.SPECIAL_HARDSHIP, "141023-civil-affairs"),
            (fine, Category.SPECIAL_HARDSHIP, "141024-civil-affairs"),
        ]
        for gid, category, code in rows:
            session.add(
                CategoryAssignment(
                    person_id=pid(gid),
                    category=category,
                    valid_from=TODAY - dt.timedelta(days=30),
                    certifying_organisation_id=ids[code],
                    rule_version="2020",
                )
            )
    return {"adult": pid(adult), "far": pid(far)}


async def snapshot(h: Harness) -> tuple[Any, ...]:
    async with h.session() as session:
        assignments = (
            await session.execute(
                select(
                    CategoryAssignment.id,
                    CategoryAssignment.valid_to,
                    CategoryAssignment.rule_version,
                ).order_by(CategoryAssignment.id)
            )
        ).all()
        audit = await session.scalar(select(func.count()).select_from(AuditEvent))
    return tuple(assignments), audit


async def check(world: World, region: str | None) -> int:
    args = argparse.Namespace(check_command="categories", region=region)
    return await check_cli.run(args, world.h.settings)


async def test_check_categories_lists_what_todays_rules_refuse(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await check(world, None) == 0
    assert "every current category assignment passes" in capsys.readouterr().out

    seeded = await seed_bad_rows(world)
    before = await snapshot(world.h)
    assert await check(world, None) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 2, lines
    adult, far = lines
    assert f"person {seeded['adult']} (141023********" in adult
    assert "ORPHAN_UNDER_18" in adult and "国办发〔2010〕54号" in adult
    assert "region 141023100201" in adult and "141023-civil-affairs" in adult
    assert f"person {seeded['far']} (141024********" in far
    assert "not of the person's county" in far
    assert "2 current assignments" in captured.err
    # No full ID number anywhere: only masked ones.
    assert all("********" in line for line in lines)

    assert await check(world, "141024") == 1
    only = capsys.readouterr().out.splitlines()
    assert len(only) == 1 and f"person {seeded['far']} " in only[0]
    assert await check(world, "141023100") == 1
    assert len(capsys.readouterr().out.splitlines()) == 1

    assert await check(world, "999999") == 2
    assert "--region: unknown region code '999999'" in capsys.readouterr().err
    # It changed nothing.
    assert await snapshot(world.h) == before


# -- the roster import applies the same rules ---------------------------------------


async def test_a_roster_applies_the_rules_and_the_competent_bodies(world: World) -> None:
    from tests.roster_files import XLSX, household, workbook

    h = world.h
    head, child = id_number(dt.date(1950, 4, 1)), id_number(TODAY.replace(year=TODAY.year - 6))
    rows = household(
        XIANGFEN_VILLAGE, (head, "王建国"), (child, "王小明", "孙子女"), categories="孤儿"
    )
    before = await count(h)
    response = await h.client.post(
        "/import/roster",
        content=workbook(rows),
        headers={"Content-Type": XLSX, "Authorization": f"Bearer {world.xiangfen}"},
    )
    report = response.json()
    assert not report["committed"]
    [problem] = report["problems"]
    assert (problem["row"], problem["column"]) == (2, "categories")
    assert "ORPHAN_UNDER_18" in problem["reason"] and "国办发〔2010〕54号" in problem["reason"]
    assert await count(h) == before

    rows[0][6] = "困难优抚安置对象、特困人员"
    rows[1][6] = "孤儿"
    response = await h.client.post(
        "/import/roster",
        content=workbook(rows),
        headers={"Content-Type": XLSX, "Authorization": f"Bearer {world.xiangfen}"},
    )
    report = response.json()
    assert report["committed"] and report["problems"] == [], report
    async with h.session() as session:
        certified = dict(
            (
                await session.execute(
                    select(CategoryAssignment.category, Organisation.code).join(
                        Organisation,
                        Organisation.id == CategoryAssignment.certifying_organisation_id,
                    )
                )
            ).all()
        )
    assert certified == {
        Category.ENTITLED_GROUP: "141000-veterans-affairs",
        Category.SPECIAL_HARDSHIP: "141023-civil-affairs",
        Category.ORPHAN: "141023-civil-affairs",
    }


async def test_the_demo_holds_only_assignments_the_rules_allow(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo (and so the bench data, which is the demo at scale) passes the check."""
    from bangfu.cli import load_demo

    assert await load_demo(harness.settings, harness.host, households=150, seed=11)
    capsys.readouterr()
    args = argparse.Namespace(check_command="categories", region=None)
    assert await check_cli.run(args, harness.settings) == 0, capsys.readouterr().out
    async with harness.session() as session:
        entitled = set(
            (
                await session.scalars(
                    select(Organisation.code)
                    .join(
                        CategoryAssignment,
                        CategoryAssignment.certifying_organisation_id == Organisation.id,
                    )
                    .where(CategoryAssignment.category == Category.ENTITLED_GROUP)
                )
            ).all()
        )
        versions = set((await session.scalars(select(CategoryAssignment.rule_version))).all())
    assert entitled == {"141000-veterans-affairs"}
    assert versions <= set(eligibility.VERSIONS)
