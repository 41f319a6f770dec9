"""The stored bottom line (issue 17): every write judges the persons it affects again in
its own transaction; a refused write changes no verdict; ``bangfu bottomline check``
finds a tampered row; the setting off stores nothing."""

import argparse
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bangfu import bottomline_cli
from bangfu.cli import load_demo
from bangfu.core.bottomline import stored
from bangfu.core.bottomline.models import RulesVersion, StoredVerdict
from bangfu.core.calendar import today
from bangfu.core.security import Role
from bangfu.schema.relay import from_global_id, to_global_id
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, World, id_number

pytestmark = pytest.mark.anyio

Rows = dict[tuple[int, str], tuple[Any, ...]]

CATEGORY_ASSIGN = """
mutation($input: CategoryAssignInput!) {
  categoryAssign(input: $input) { categoryAssignment { id } errors { field code } } }"""
MEMBER_ADD = """
mutation($input: HouseholdMemberAddInput!) {
  householdMemberAdd(input: $input) {
    household { members { person { id } } } errors { field code } } }"""
ENROLMENT = """
mutation($input: EducationEnrolmentRecordInput!) {
  educationEnrolmentRecord(input: $input) { enrolment { id status } errors { field code } } }"""


async def stored_rows(h: Harness) -> Rows:
    async with h.session() as session:
        return {
            (row.person_id, row.indicator): (
                row.status,
                tuple(row.reasons),
                row.modules,
                row.hardship,
                row.area_path,
            )
            for row in await session.scalars(select(StoredVerdict))
        }


async def assert_current(h: Harness) -> None:
    """The stored verdicts equal a fresh judgement of everyone."""
    assert await stored.check(h.services.sessions, h.host, h.settings) == []


def changed(before: Rows, after: Rows) -> set[int]:
    return {key[0] for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[set[int]]:
    """The persons each commit judged again, one set per call of ``stored.store``."""
    calls: list[set[int]] = []
    store = stored.store

    async def recording(session: Any, person_ids: Iterable[int], *args: Any) -> int:
        ids = set(person_ids)
        calls.append(ids)
        return await store(session, ids, *args)

    monkeypatch.setattr(stored, "store", recording)
    return calls


async def two_households(world: World) -> tuple[list[int], list[int]]:
    """A parent with a child, and a single elder, in Xiangfen: their person IDs."""
    _, family = await world.h.household(
        XIANGFEN_VILLAGE,
        [
            ("HEAD", "王建国", id_number(dt.date(1985, 3, 1))),
            ("CHILD", "王小明", id_number(dt.date(2016, 9, 1))),
        ],
    )
    _, alone = await world.h.household(
        XIANGFEN_VILLAGE, [("HEAD", "孤老甲", id_number(dt.date(1948, 2, 1)))]
    )
    return [p.id for p in family], [p.id for p in alone]


async def assign(world: World, person_id: int, **changes: Any) -> dict[str, Any]:
    org = await world.h.organisation("141023-civil-affairs")
    data = await world.h.ok(
        CATEGORY_ASSIGN,
        {
            "input": {
                "personId": to_global_id("Person", person_id),
                "category": "DIBAO",
                "validFrom": (today() - dt.timedelta(days=30)).isoformat(),
                "certifyingOrganisationId": to_global_id("Organisation", org.id),
                "monthlyAllowance": "650.00",
                **changes,
            }
        },
        token=world.xiangfen,
    )
    return data["categoryAssign"]  # type: ignore[no-any-return]


async def test_every_write_stores_verdicts_of_its_persons(world: World) -> None:
    family, alone = await two_households(world)
    rows = await stored_rows(world.h)
    assert {p for p, _i in rows} == {*family, *alone}
    assert len(rows) == 10 * 3
    assert rows[(family[1], "FOOD")][0] == "NOT_APPLICABLE"
    await assert_current(world.h)


async def test_category_assign_judges_the_household_again(
    world: World, judged: list[set[int]]
) -> None:
    family, alone = await two_households(world)
    before = await stored_rows(world.h)
    judged.clear()
    answer = await assign(world, family[1])
    assert answer["errors"] == []
    # Before the response: the verdicts committed with the assignment.
    after = await stored_rows(world.h)
    assert judged == [set(family)]  # the child and the household (core's allowances)
    assert changed(before, after) == {family[1]}
    assert after[(family[1], "FOOD")][0] == "OK"
    assert after[(family[1], "FOOD")][3] is True  # a hardship person now
    assert all(after[(p, "FOOD")] == before[(p, "FOOD")] for p in alone)
    await assert_current(world.h)


async def test_member_add_judges_the_household_again(world: World, judged: list[set[int]]) -> None:
    family, alone = await two_households(world)
    await assign(world, family[1])
    judged.clear()
    added = await world.h.ok(
        MEMBER_ADD,
        {
            "input": {
                "householdId": to_global_id("Household", await household_of(world.h, family[0])),
                "relation": "PARENT",
                "person": {"name": "王老汉", "idNumber": id_number(dt.date(1950, 1, 1))},
            }
        },
        token=world.xiangfen,
    )
    assert added["householdMemberAdd"]["errors"] == []
    members = {
        int(from_global_id(m["person"]["id"])[1])
        for m in added["householdMemberAdd"]["household"]["members"]
    }
    assert len(members) == 3 and set(family) < members
    assert judged == [members]
    rows = await stored_rows(world.h)
    assert {p for p, _i in rows} == {*members, *alone}
    await assert_current(world.h)


async def household_of(h: Harness, person_id: int) -> int:
    from bangfu.core.registry.models import Membership

    async with h.session() as session:
        found = await session.scalar(
            select(Membership.household_id).where(Membership.person_id == person_id)
        )
    assert found is not None
    return int(found)


async def test_refused_writes_change_no_verdict(world: World, judged: list[set[int]]) -> None:
    family, _alone = await two_households(world)
    await assign(world, family[1])
    before = await stored_rows(world.h)
    judged.clear()
    # Refused before anything is written, and after the service wrote (an overlap).
    bad = await assign(world, family[0], monthlyAllowance="-1")
    assert bad["errors"][0]["field"] == "input.monthlyAllowance"
    overlap = await assign(world, family[1], validFrom=today().isoformat())
    assert overlap["errors"][0]["code"] == "OVERLAP"
    assert judged == []
    assert await stored_rows(world.h) == before
    await assert_current(world.h)


async def test_a_plugin_write_judges_its_person_again(world: World, judged: list[set[int]]) -> None:
    h = world.h
    family, _alone = await two_households(world)
    await assign(world, family[1])
    education = await h.actor("edu", roles=[Role.DEPARTMENT_OFFICER], department="education")
    before = await stored_rows(h)
    judged.clear()
    answer = await h.ok(
        ENROLMENT,
        {
            "input": {
                "personId": to_global_id("Person", family[1]),
                "schoolName": "襄汾县实验小学",
                "schoolRegionCode": "141023",
                "stage": "PRIMARY",
                "grade": 3,
                "status": "DROPPED_OUT",
                "startDate": (today() - dt.timedelta(days=60)).isoformat(),
            }
        },
        token=education,
    )
    assert answer["educationEnrolmentRecord"]["errors"] == []
    after = await stored_rows(h)
    assert family[1] in set().union(*judged)
    assert changed(before, after) == {family[1]}
    assert after[(family[1], "SCHOOL")][0] == "AT_RISK"
    assert "education" in after[(family[1], "SCHOOL")][2].split(",")
    await assert_current(h)


async def test_check_after_the_demo_and_after_tampering(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    h = harness
    assert await load_demo(h.settings, h.host, households=20, seed=7)
    capsys.readouterr()
    async with h.session() as session:
        persons = await session.scalar(select(func.count(StoredVerdict.person_id.distinct())))
        versions = dict(
            (await session.execute(select(RulesVersion.module, RulesVersion.version))).all()
        )
    assert persons and persons > 20
    assert versions == h.host.rules_versions()
    check = argparse.Namespace(bottomline_command="check", sample=None, region=None)
    assert await bottomline_cli.run(check, h.settings, h.host) == 0
    assert "equal a fresh judgement" in capsys.readouterr().out

    async with h.session() as session, session.begin():
        victim = await session.scalar(
            select(StoredVerdict.person_id)
            .where(StoredVerdict.indicator == "FOOD", StoredVerdict.status != "AT_RISK")
            .limit(1)
        )
        await session.execute(
            update(StoredVerdict)
            .where(StoredVerdict.person_id == victim, StoredVerdict.indicator == "FOOD")
            .values(status="AT_RISK")
        )
    assert await bottomline_cli.run(check, h.settings, h.host) == 1
    out = capsys.readouterr().out
    assert f"person {victim} FOOD: status stored 'AT_RISK'" in out

    rebuild = argparse.Namespace(bottomline_command="rebuild", region="141023")
    assert await bottomline_cli.run(rebuild, h.settings, h.host) == 0
    whole = argparse.Namespace(bottomline_command="rebuild", region=None)
    assert await bottomline_cli.run(whole, h.settings, h.host) == 0
    assert await bottomline_cli.run(check, h.settings, h.host) == 0


async def test_refresh_judges_what_is_due(harness: Harness) -> None:
    h = harness
    await h.household("141023", [("HEAD", "王建国", id_number(dt.date(1985, 3, 1)))])
    sessions = h.services.sessions
    # No rules version stored yet: everything is judged again, and the versions recorded.
    first = await stored.refresh(sessions, h.host, h.settings)
    assert first.judged == 1 and "core" in first.rebuilt_for
    assert (await stored.refresh(sessions, h.host, h.settings)).judged == 0
    async with h.session() as session, session.begin():
        await session.execute(
            update(StoredVerdict)
            .where(StoredVerdict.indicator == "SCHOOL")
            .values(valid_until=today(), status="OK")
        )
    due = await stored.refresh(sessions, h.host, h.settings)
    assert (due.due, due.judged, due.rebuilt_for) == (1, 1, ())
    await assert_current(h)


@pytest.fixture
async def switched_off(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"stored_bottom_line": False}
    ) as h:
        yield h


async def test_the_setting_off_stores_nothing(switched_off: Harness) -> None:
    h = switched_off
    await h.household("141023", [("HEAD", "王建国", id_number(dt.date(1985, 3, 1)))])
    assert await stored_rows(h) == {}
    check = argparse.Namespace(bottomline_command="check", sample=None, region=None)
    assert await bottomline_cli.run(check, h.settings, h.host) == 2


async def test_a_roster_import_stores_the_verdicts_of_its_persons(world: World) -> None:
    from tests.roster_files import XLSX, household, workbook

    h = world.h
    head, child = id_number(), id_number(dt.date(2014, 3, 1))
    rows = household(
        XIANGFEN_VILLAGE, (head, "王建国"), (child, "王小明", "子女"), categories="低保"
    )
    response = await h.client.post(
        "/import/roster",
        content=workbook(rows),
        headers={"Content-Type": XLSX, "Authorization": f"Bearer {world.xiangfen}"},
    )
    assert response.status_code == 200 and response.json()["committed"], response.text
    stored_now = await stored_rows(h)
    assert len({p for p, _i in stored_now}) == 2
    assert any(row[3] for row in stored_now.values())  # the dibao holder: a hardship person
    await assert_current(h)


PERSON_UPDATE = """
mutation($input: PersonUpdateInput!) {
  personUpdate(input: $input) { person { version } errors { field code } } }"""


async def test_person_update_judges_again_only_what_rules_read(
    world: World, judged: list[set[int]]
) -> None:
    family, _alone = await two_households(world)
    await assign(world, family[1])
    judged.clear()

    async def update(version: int, **fields: Any) -> int:
        data = await world.h.ok(
            PERSON_UPDATE,
            {
                "input": {
                    "id": to_global_id("Person", family[0]),
                    "expectedVersion": version,
                    **fields,
                }
            },
            token=world.xiangfen,
        )
        assert data["personUpdate"]["errors"] == []
        return int(data["personUpdate"]["person"]["version"])

    version = await update(1, name="王建民", phone="13800000000")
    assert judged == []  # a name and a phone number decide no verdict
    await update(version, deceased=True)
    assert judged == [set(family)]  # the household's adults changed
    after = await stored_rows(world.h)
    assert after[(family[0], "FOOD")][1] == ("deceased",)
    await assert_current(world.h)


async def test_concurrent_writes_to_one_household_leave_current_verdicts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writes judging the same persons at once: each judges them under a lock, after
    the other's commit (PostgreSQL: an advisory lock per person; SQLite: one writer)."""
    import asyncio

    store = stored.store

    async def slow(*args: Any) -> int:
        await asyncio.sleep(0.2)  # both writes have flushed before either judges
        return await store(*args)

    monkeypatch.setattr(stored, "store", slow)
    family, _alone = await two_households(world)
    h = world.h
    # A rebuild (not audited, so not serialised by the audit chain) beside a write.
    rebuilt, answer = await asyncio.gather(
        stored.rebuild(h.services.sessions, h.host, h.settings),
        assign(world, family[1], category="ORPHAN", monthlyAllowance="800.00"),
    )
    assert rebuilt > 0 and answer["errors"] == []
    await assert_current(h)
    households = [await two_households(world) for _ in range(3)]
    results = await asyncio.gather(
        *(
            assign(world, person, category=category, monthlyAllowance=allowance)
            for family, _alone in households
            for person, category, allowance in (
                (family[0], "DIBAO", None),
                (family[1], "ORPHAN", "800.00"),
            )
        )
    )
    assert all(result["errors"] == [] for result in results), results
    await assert_current(world.h)


async def test_a_verdict_says_when_the_calendar_changes_it(world: World) -> None:
    """A category that ends: the day after, the refresh judges the household again."""
    h = world.h
    family, _alone = await two_households(world)
    ends = today() + dt.timedelta(days=5)
    answer = await assign(world, family[1], validTo=ends.isoformat())
    assert answer["errors"] == []
    rows = await valid_until(h)
    later = ends + dt.timedelta(days=1)
    # The holder's verdicts change the day after; the adult at home holds nothing.
    assert {p: d for p, d in rows.items() if p in family} == {family[0]: None, family[1]: later}
    sessions = h.services.sessions
    assert await stored.check(sessions, h.host, h.settings, as_of=ends) == []
    stale = await stored.check(sessions, h.host, h.settings, as_of=later)
    assert {d.person_id for d in stale} == {family[1]}
    await stored.refresh(sessions, h.host, h.settings, as_of=ends)  # versions recorded
    done = await stored.refresh(sessions, h.host, h.settings, as_of=later)
    assert (done.due, done.judged) == (1, 1)
    assert await stored.check(sessions, h.host, h.settings, as_of=later) == []
    assert (await valid_until(h))[family[1]] is None


async def valid_until(h: Harness) -> dict[int, dt.date | None]:
    """The day each person's FOOD verdict (core's) may change by the calendar."""
    async with h.session() as session:
        return {
            person_id: day
            for person_id, day in await session.execute(
                select(StoredVerdict.person_id, StoredVerdict.valid_until).where(
                    StoredVerdict.indicator == "FOOD"
                )
            )
        }


async def test_bulk_updates_and_deletes_judge_the_rows_they_match(world: World) -> None:
    from sqlalchemy import delete

    from bangfu.core.registry.models import CategoryAssignment

    h = world.h
    family, alone = await two_households(world)
    await assign(world, family[1])
    await assign(world, alone[0])
    async with h.session() as session, session.begin():
        await session.execute(
            update(CategoryAssignment)
            .where(CategoryAssignment.person_id == family[1])
            .values(monthly_allowance=None)
            .execution_options(synchronize_session=False)
        )
    assert (await stored_rows(h))[(family[1], "FOOD")][0] == "AT_RISK"
    await assert_current(h)
    async with h.session() as session, session.begin():
        await session.execute(
            delete(CategoryAssignment).where(CategoryAssignment.person_id == alone[0])
        )
    assert (await stored_rows(h))[(alone[0], "FOOD")][0] == "NOT_APPLICABLE"
    await assert_current(h)


STATE = "{ bottomLineState { storage rebuilding } }"


async def test_the_state_says_whether_reads_come_from_the_stored_verdicts(world: World) -> None:
    """Never built, current, rebuilding after a module's rules changed (reads judge afresh
    meanwhile), current again after the refresh."""
    h = world.h

    async def state() -> dict[str, Any]:
        return (await h.ok(STATE, token=world.xiangfen))["bottomLineState"]

    assert await state() == {"storage": "NOT_BUILT", "rebuilding": []}
    await stored.rebuild(h.services.sessions, h.host, h.settings)
    assert await state() == {"storage": "CURRENT", "rebuilding": []}
    async with h.session() as session, session.begin():
        await session.execute(
            update(RulesVersion).where(RulesVersion.module == "education").values(version="0")
        )
        session.add(RulesVersion(module="retired-plugin", version="1"))
    assert await state() == {
        "storage": "REBUILDING",
        "rebuilding": ["education (changed)", "retired-plugin (removed)"],
    }
    await stored.refresh(h.services.sessions, h.host, h.settings)
    assert await state() == {"storage": "CURRENT", "rebuilding": []}


async def test_the_state_says_off(switched_off: Harness) -> None:
    token = await switched_off.actor("admin", roles=[Role.CITY_ADMINISTRATOR], region="141000")
    answer = await switched_off.ok(STATE, token=token)
    assert answer["bottomLineState"] == {"storage": "OFF", "rebuilding": []}
