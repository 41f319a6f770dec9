"""A start after today is not in force, in every read (issue 21, the loose ends).

Rows written with a future start before the rule refused one (``FUTURE_DATE``) are put in
the database directly, as such old rows are. Each test shows through GraphQL (and the
Excel roster) that one does not count: the households filter, the bottom line and its
stored verdicts, screening targets, donations, care events, a paired official's area,
the roster; and that ``ALREADY_PAIRED`` and ``ALREADY_IN_A_HOUSEHOLD`` compare periods.
"""

import datetime as dt
from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from bangfu.core.bottomline import stored
from bangfu.core.bottomline.models import StoredVerdict
from bangfu.core.calendar import Holiday, holiday_date, today
from bangfu.core.care.models import Pairing
from bangfu.core.effective import holds, in_force, is_current, overlaps, period_overlaps
from bangfu.core.registry.models import Category, CategoryAssignment, Membership
from bangfu.schema.relay import from_global_id, to_global_id
from bangfu.testing import Harness
from tests.helpers import World
from tests.test_care_donations import allocate, donation, measure
from tests.test_care_events import raise_event
from tests.test_care_helpers import PAIRING_START, Family, family, official, pair

pytestmark = pytest.mark.anyio

TODAY = today()
TOMORROW = TODAY + dt.timedelta(days=1)
LATER = TODAY + dt.timedelta(days=30)
YEAR_AGO = TODAY - dt.timedelta(days=365)


async def joins_later(h: Harness, person_id: int, day: dt.date = LATER) -> None:
    """The person's open membership starts on ``day`` (later: a row written before the rule)."""
    async with h.session() as session, session.begin():
        await session.execute(
            update(Membership)
            .where(Membership.person_id == person_id, Membership.end_date.is_(None))
            .values(start_date=day)
        )


async def allowance(h: Harness, person_id: int, amount: str) -> None:
    async with h.session() as session, session.begin():
        await session.execute(
            update(CategoryAssignment)
            .where(CategoryAssignment.person_id == person_id)
            .values(monthly_allowance=Decimal(amount))
        )


async def legacy_pairing(h: Harness, person_id: int, official_gid: str, day: dt.date) -> int:
    async with h.session() as session, session.begin():
        row = Pairing(
            person_id=person_id, official_id=int(from_global_id(official_gid)[1]), start_date=day
        )
        session.add(row)
        await session.flush()
        return row.id


# -- the households filter ---------------------------------------------------------------


async def test_households_filter_counts_members_from_their_start(world: World) -> None:
    """By category (and region), and by a member's name: a member who joins later does
    not make the household one of a category, nor findable by their name."""
    joining = await family(world.h, categories=(None, Category.ORPHAN))
    control = await family(world.h, categories=(None, Category.ORPHAN))
    await joins_later(world.h, joining.person_ids[1])
    data = await world.h.ok(
        """{
          byCategory: households(first: 10, filter: {category: ORPHAN}) { nodes { id } }
          inRegion: households(first: 10, filter: {regionCode: "141023", category: ORPHAN}) {
            totalCount nodes { id } }
          byName: households(first: 10, filter: {search: "成员1"}) { nodes { id } }
        }""",
        token=world.xiangfen,
    )
    assert [n["id"] for n in data["byCategory"]["nodes"]] == [control.gid]
    assert data["inRegion"]["totalCount"] == 1
    assert [n["id"] for n in data["inRegion"]["nodes"]] == [control.gid]
    assert [n["id"] for n in data["byName"]["nodes"]] == [control.gid]


# -- the bottom line -------------------------------------------------------------------

BOTTOM_LINE = """
query($id: ID!) { person(id: $id) { bottomLine { indicators { indicator status reasons } } } }"""


async def verdict(world: World, person: str, indicator: str) -> dict[str, Any]:
    data = await world.h.ok(BOTTOM_LINE, {"id": person}, token=world.xiangfen)
    [found] = [v for v in data["person"]["bottomLine"]["indicators"] if v["indicator"] == indicator]
    return found  # type: ignore[no-any-return]


async def test_bottom_line_counts_a_member_from_the_start(world: World) -> None:
    """The head holds a category without an allowance; the member with a dibao allowance
    joins later. Today the head's FOOD is at risk, the stored verdict is due again on the
    day the member joins, and the daily refresh then finds the household allowance."""
    h = world.h
    f = await family(h, categories=(Category.SPECIAL_HARDSHIP, Category.DIBAO))
    await allowance(h, f.person_ids[1], "900")
    before = await verdict(world, f.person_gids[0], "FOOD")
    assert before["status"] == "OK" and "household allowances" in before["reasons"][0]

    await joins_later(h, f.person_ids[1])
    head = await verdict(world, f.person_gids[0], "FOOD")
    assert head["status"] == "AT_RISK", head
    assert "no allowance" in head["reasons"][0]
    async with h.session() as session:
        until = await session.scalar(
            select(StoredVerdict.valid_until).where(
                StoredVerdict.person_id == f.person_ids[0], StoredVerdict.indicator == "FOOD"
            )
        )
    assert until == LATER

    sessions = h.services.sessions
    assert await stored.check(sessions, h.host, h.settings) == []
    await stored.refresh(sessions, h.host, h.settings)  # versions recorded
    stale = await stored.check(sessions, h.host, h.settings, as_of=LATER)
    assert f.person_ids[0] in {d.person_id for d in stale}
    done = await stored.refresh(sessions, h.host, h.settings, as_of=LATER)
    assert done.judged >= 1
    assert await stored.check(sessions, h.host, h.settings, as_of=LATER) == []
    async with h.session() as session:
        status = await session.scalar(
            select(StoredVerdict.status).where(
                StoredVerdict.person_id == f.person_ids[0], StoredVerdict.indicator == "FOOD"
            )
        )
    assert status == "OK"


async def test_bottom_line_pairing_from_its_start(world: World) -> None:
    h = world.h
    f = await family(h)
    _, gid = await official(h, "official-a")
    await legacy_pairing(h, f.person_ids[0], gid, LATER)
    found = await verdict(world, f.person_gids[0], "SOMEONE_IN_CHARGE")
    assert found["status"] == "AT_RISK"
    assert any("no active pairing" in r for r in found["reasons"])


# -- screening targets and donations -----------------------------------------------------

CAMPAIGN = """
mutation($input: ScreeningCampaignCreateInput!) {
  screeningCampaignCreate(input: $input) { targetCount errors { field code } }
}"""


async def test_screening_targets_count_members_from_their_start(world: World) -> None:
    joining = await family(world.h, categories=(None, Category.ORPHAN))
    await family(world.h, categories=(None, Category.ORPHAN))
    await joins_later(world.h, joining.person_ids[1])
    data = await world.h.ok(
        CAMPAIGN,
        {
            "input": {
                "name": "2026年襄汾县排查",
                "regionCode": "141023",
                "startsOn": TODAY.isoformat(),
                "endsOn": LATER.isoformat(),
            }
        },
        token=world.xiangfen,
    )
    # The household whose only orphan joins later is no target.
    assert data["screeningCampaignCreate"] == {"targetCount": 1, "errors": []}


async def test_a_restricted_donation_counts_members_from_their_start(world: World) -> None:
    joining = await family(world.h, categories=(Category.DIBAO, Category.ORPHAN))
    control = await family(world.h, categories=(Category.DIBAO, Category.ORPHAN))
    await joins_later(world.h, joining.person_ids[1])
    gift = (await donation(world, "500", category="ORPHAN", domain="EDUCATION"))["donation"]
    refused = await allocate(
        world, gift["id"], await measure(world, joining.gid, domain="EDUCATION"), "10"
    )
    assert [e["code"] for e in refused["errors"]] == ["DONATION_RESTRICTED"]
    allowed = await allocate(
        world, gift["id"], await measure(world, control.gid, domain="EDUCATION"), "10"
    )
    assert allowed["errors"] == []


# -- care events -----------------------------------------------------------------------


async def test_care_events_follow_pairings_from_their_start(world: World) -> None:
    """A pairing that starts later does not make its official's organisation responsible
    for the person's events, nor group them under it in the escalation."""
    h = world.h
    f = await family(h)
    _, gid = await official(h, "official-a")
    await legacy_pairing(h, f.person_ids[0], gid, LATER)
    old = TODAY - dt.timedelta(days=20)
    raised = await raise_event(world, f.person_gids[0], "BEREAVEMENT", old)
    assert raised["errors"] == []
    organisation = to_global_id("Organisation", (await h.organisation("test-official-a")).id)
    data = await h.ok(
        """query($o: ID!) {
          careEvents(first: 10, filter: {responsibleOrganisationId: $o}) { totalCount }
          careEscalation { organisation { code } overdue }
        }""",
        {"o": organisation},
        token=world.xiangfen,
    )
    assert data["careEvents"]["totalCount"] == 0
    assert data["careEscalation"] == [{"organisation": None, "overdue": 1}]


async def test_holiday_events_follow_pairings_in_force_on_the_holiday(world: World) -> None:
    """Holiday events go to the persons paired on the holiday: not to one whose pairing
    starts after it."""
    h = world.h
    paired = await family(h)
    after = await family(h)
    _, gid = await official(h, "official-a")
    await pair(world, paired.person_gids[0], gid)
    year = TODAY.year + 1
    festival = holiday_date(Holiday.SPRING_FESTIVAL, year)
    await legacy_pairing(h, after.person_ids[0], gid, festival + dt.timedelta(days=1))
    raised = await h.ok(
        """mutation($input: CareHolidayEventsRaiseInput!) {
          careHolidayEventsRaise(input: $input) { raised errors { code } } }""",
        {"input": {"holiday": "SPRING_FESTIVAL", "year": year}},
        token=world.xiangfen,
    )
    assert raised["careHolidayEventsRaise"] == {"raised": 1, "errors": []}
    events = await h.ok(
        "{ careEvents(first: 10, filter: {kinds: [HOLIDAY]}) { nodes { person { id } } } }",
        token=world.xiangfen,
    )
    assert [n["person"]["id"] for n in events["careEvents"]["nodes"]] == [paired.person_gids[0]]


# -- a paired official's area ------------------------------------------------------------


async def test_a_paired_official_reaches_households_of_current_memberships(
    world: World,
) -> None:
    """The official is paired with the person today; the person's only membership starts
    later: the official does not read that household, nor its members, through it."""
    h = world.h
    f = await family(h, categories=(Category.SPECIAL_HARDSHIP, None))
    token, gid = await official(h, "official-a")
    await pair(world, f.person_gids[0], gid)
    query = """query($p: ID!, $h: ID!) {
      person(id: $p) { name household { id } }
      household(id: $h) { id }
      households(first: 5) { totalCount }
    }"""
    seen = await h.ok(query, {"p": f.person_gids[0], "h": f.gid}, token=token)
    assert seen["household"] == {"id": f.gid}
    assert seen["households"]["totalCount"] == 1
    await joins_later(h, f.person_ids[0])
    data = await h.ok(query, {"p": f.person_gids[0], "h": f.gid}, token=token)
    assert data["person"] == {"name": "成员0", "household": None}
    assert data["household"] is None
    assert data["households"]["totalCount"] == 0


# -- the roster (Excel) ----------------------------------------------------------------


async def test_the_roster_names_the_official_of_an_in_force_pairing(world: World) -> None:
    h = world.h
    paired = await family(h)
    later = await family(h)
    _, gid = await official(h, "official-a")
    await pair(world, paired.person_gids[0], gid)
    await legacy_pairing(h, later.person_ids[0], gid, LATER)
    query = urlencode({"region": "141023"})
    response = await h.client.get(
        f"/reports/roster.xlsx?{query}", headers={"Authorization": f"Bearer {world.admin}"}
    )
    assert response.status_code == 200, response.text
    rows = [
        tuple(r)
        for r in load_workbook(BytesIO(response.content)).worksheets[0].iter_rows(values_only=True)
    ]
    header = rows[0]
    officials = sorted(
        (dict(zip(header, row, strict=True))["Paired official"] or "") for row in rows[1:]
    )
    assert officials == ["", "official-a"]
    someone = header.index("someone in charge (bottom line)")
    assert sorted(str(row[someone]) for row in rows[1:]) == ["at risk", "no risk"]


# -- ALREADY_PAIRED and ALREADY_IN_A_HOUSEHOLD: periods ------------------------------------

PAIRING_END = """
mutation($input: PairingEndInput!) {
  pairingEnd(input: $input) { pairing { endDate active } errors { field code } }
}"""


async def test_already_paired_compares_periods(world: World) -> None:
    """A pairing recorded from a later day overlaps one starting today (both open): the
    new one is refused, naming that day. Ending the recorded one withdraws it (ended on
    its start day, never in force); then the person can be paired today."""
    h = world.h
    f = await family(h)
    _, first = await official(h, "official-a")
    _, second = await official(h, "official-b")
    recorded = await legacy_pairing(h, f.person_ids[0], first, LATER)
    start = {"input": {"personId": f.person_gids[0], "officialId": second}}
    refused = (await h.ok(PAIRING_START, start, token=world.xiangfen))["pairingStart"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("input.personId", "ALREADY_PAIRED")
    ]
    assert LATER.isoformat() in refused["errors"][0]["message"]
    ended = await h.ok(
        PAIRING_END,
        {"input": {"id": to_global_id("Pairing", recorded), "reason": "录入错误"}},
        token=world.xiangfen,
    )
    assert ended["pairingEnd"] == {
        "pairing": {"endDate": LATER.isoformat(), "active": False},
        "errors": [],
    }
    paired = (await h.ok(PAIRING_START, start, token=world.xiangfen))["pairingStart"]
    assert paired["errors"] == [] and paired["pairing"]["active"] is True
    async with h.session() as session:
        rows = (
            await session.execute(
                select(Pairing.start_date, Pairing.end_date)
                .where(Pairing.person_id == f.person_ids[0])
                .order_by(Pairing.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [(LATER, LATER), (TODAY, None)]


async def test_already_paired_still_refuses_an_overlap_with_an_ended_pairing(
    world: World,
) -> None:
    h = world.h
    f = await family(h)
    _, first = await official(h, "official-a")
    await pair(world, f.person_gids[0], first)
    async with h.session() as session, session.begin():
        await session.execute(
            update(Pairing)
            .where(Pairing.person_id == f.person_ids[0])
            .values(start_date=YEAR_AGO, end_date=TODAY - dt.timedelta(days=10))
        )
    overlapping = {
        "input": {
            "personId": f.person_gids[0],
            "officialId": first,
            "startDate": (TODAY - dt.timedelta(days=11)).isoformat(),
        }
    }
    answer = (await h.ok(PAIRING_START, overlapping, token=world.xiangfen))["pairingStart"]
    assert [e["code"] for e in answer["errors"]] == ["INVALID_DATE_RANGE"]
    after = {
        "input": overlapping["input"] | {"startDate": (TODAY - dt.timedelta(days=10)).isoformat()}
    }
    assert (await h.ok(PAIRING_START, after, token=world.xiangfen))["pairingStart"]["errors"] == []


MEMBER_ADD = """
mutation($input: HouseholdMemberAddInput!) {
  householdMemberAdd(input: $input) {
    membership { startDate } errors { field code message } }
}"""
MEMBER_REMOVE = """
mutation($input: HouseholdMemberRemoveInput!) {
  householdMemberRemove(input: $input) { membership { endDate } errors { field code } }
}"""


async def test_already_in_a_household_compares_periods(world: World) -> None:
    """A membership recorded from a later day overlaps one starting today: refused,
    naming that day. Removing the person there withdraws it; then they join today."""
    h = world.h
    there = await family(h, categories=(None, None))
    here = await family(h, categories=(None,))
    mover = there.person_ids[1]
    await joins_later(h, mover)
    add = {
        "input": {
            "householdId": here.gid,
            "personId": to_global_id("Person", mover),
            "relation": "OTHER",
        }
    }
    refused = (await h.ok(MEMBER_ADD, add, token=world.xiangfen))["householdMemberAdd"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("input.personId", "ALREADY_IN_A_HOUSEHOLD")
    ]
    assert LATER.isoformat() in refused["errors"][0]["message"]
    removed = await h.ok(
        MEMBER_REMOVE,
        {"input": {"householdId": there.gid, "personId": to_global_id("Person", mover)}},
        token=world.xiangfen,
    )
    assert removed["householdMemberRemove"] == {
        "membership": {"endDate": LATER.isoformat()},
        "errors": [],
    }
    joined = (await h.ok(MEMBER_ADD, add, token=world.xiangfen))["householdMemberAdd"]
    assert joined == {"membership": {"startDate": TODAY.isoformat()}, "errors": []}


async def test_a_membership_may_not_overlap_an_ended_one(world: World) -> None:
    h = world.h
    there = await family(h, categories=(None, None))
    here = await family(h, categories=(None,))
    await joins_later(h, there.person_ids[1], YEAR_AGO)
    mover = to_global_id("Person", there.person_ids[1])
    left = TODAY - dt.timedelta(days=10)
    removed = await h.ok(
        MEMBER_REMOVE,
        {"input": {"householdId": there.gid, "personId": mover, "endDate": left.isoformat()}},
        token=world.xiangfen,
    )
    assert removed["householdMemberRemove"]["errors"] == []
    early = {
        "input": {
            "householdId": here.gid,
            "personId": mover,
            "relation": "OTHER",
            "startDate": (left - dt.timedelta(days=1)).isoformat(),
        }
    }
    answer = (await h.ok(MEMBER_ADD, early, token=world.xiangfen))["householdMemberAdd"]
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [
        ("input.startDate", "INVALID_DATE_RANGE")
    ]
    assert left.isoformat() in answer["errors"][0]["message"]
    on_the_day = {"input": early["input"] | {"startDate": left.isoformat()}}
    assert (await h.ok(MEMBER_ADD, on_the_day, token=world.xiangfen))["householdMemberAdd"][
        "errors"
    ] == []


async def test_the_unique_indexes_agree_with_the_period_checks(world: World) -> None:
    """Two unended rows always overlap: the partial unique indexes (one unended pairing,
    one unended membership per person) refuse what the checks refuse, a future-start row
    included, and allow a withdrawn row beside an open one."""
    from sqlalchemy.exc import IntegrityError

    h = world.h
    f: Family = await family(h)
    _, gid = await official(h, "official-a")
    await legacy_pairing(h, f.person_ids[0], gid, LATER)
    with pytest.raises(IntegrityError):
        await legacy_pairing(h, f.person_ids[0], gid, TODAY)
    async with h.session() as session, session.begin():
        await session.execute(update(Pairing).values(end_date=Pairing.start_date))
    await legacy_pairing(h, f.person_ids[0], gid, TODAY)


# -- the helpers themselves --------------------------------------------------------------


def test_the_helpers_agree_with_one_another() -> None:
    """The Python forms say what the SQL forms say (the SQL forms run in every test above)."""
    from hypothesis import given
    from hypothesis import strategies as st

    days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))

    @given(days, st.one_of(st.none(), days), days, st.booleans())
    def check(start: dt.date, end: dt.date | None, on: dt.date, inclusive: bool) -> None:
        if end is not None and end < start:
            start, end = end, start
        held = holds(start, end, on, end_inclusive=inclusive)
        assert held == (start <= on and (end is None or (end >= on if inclusive else end > on)))
        assert is_current(start, end, on) == (end is None and start <= on)
        # An open row is in force from its start; an empty period never.
        if end == start:
            assert not period_overlaps(start, end, on)
        if end is None:
            assert period_overlaps(start, end, on)

    check()
    # The SQL forms build.
    assert str(in_force(Pairing.start_date, Pairing.end_date, TODAY))
    assert str(overlaps(Pairing.start_date, Pairing.end_date, TODAY))
