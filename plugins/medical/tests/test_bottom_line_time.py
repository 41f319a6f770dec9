"""When the calendar alone changes the medical findings (``Finding.valid_until``, issue 17).

Unit cases for each dependency (1 January, a stay's deadline, its discharge, the end of
the look-back, a claim settled later), and a property test over the demo data: a finding
judged on D holds on every day before its ``valid_until`` and changes on that day.
"""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bangfu.core.bottomline import Finding, Status
from bangfu.core.registry.models import Person
from bangfu.plugins.medical.tests.helpers import claim, family, insure, stay
from bangfu.testing import Harness
from bangfu.testing_time import check_valid_until_exactly

MEDICAL = ("MEDICAL_CARE", "ILLNESS_TREATED_WELL")
AS_OF = dt.date(2026, 3, 10)
D = dt.date

Judged = dict[tuple[int, str], Finding]


async def judge(h: Harness, persons: list[Person] | None, as_of: dt.date) -> Judged:
    """The medical plugin's findings on ``as_of`` (every person when ``persons`` is None)."""
    async with h.session() as session:
        statement = select(Person)
        if persons is not None:
            statement = statement.where(Person.id.in_([p.id for p in persons]))
        rows = list((await session.scalars(statement.order_by(Person.id))).all())
        findings = await h.host.bottom_line(rows, session, as_of)
    return {(f.person_id, f.indicator.value): f for f in findings if f.module == "medical"}


async def people(h: Harness, n: int) -> list[Person]:
    found: list[Person] = []
    while len(found) < n:
        found += await family(h)
    return found[:n]


def until(found: Judged, person: Person, indicator: str = "MEDICAL_CARE") -> dt.date | None:
    return found[(person.id, indicator)].valid_until


@pytest.mark.anyio
async def test_insurance_is_per_calendar_year(harness: Harness) -> None:
    h = harness
    this_year_only, two_years, from_next_year, never = await people(h, 4)
    await insure(h, this_year_only, 2026)
    for year in (2026, 2027):
        await insure(h, two_years, year)
    await insure(h, from_next_year, 2027)
    found = await judge(h, [this_year_only, two_years, from_next_year, never], AS_OF)
    assert until(found, this_year_only) == D(2027, 1, 1)  # not insured in 2027
    assert until(found, two_years) == D(2028, 1, 1)  # insured on 1 January 2027 too
    assert found[(from_next_year.id, "MEDICAL_CARE")].status is Status.AT_RISK
    assert until(found, from_next_year) == D(2027, 1, 1)  # insured from then
    assert until(found, never) == D(2027, 1, 1)  # the reason names the year
    for person in (this_year_only, two_years, from_next_year, never):
        assert until(found, person, "ILLNESS_TREATED_WELL") is None  # no claim, ever
    # On 31 December, the next day already: on 1 January, the day itself is judged anew.
    assert until(await judge(h, [never], D(2026, 12, 31)), never) == D(2027, 1, 1)
    assert until(await judge(h, [never], D(2027, 1, 1)), never) == D(2028, 1, 1)


@pytest.mark.anyio
async def test_stays_deadlines_discharges_and_claims(harness: Harness) -> None:
    h = harness
    recent, overdue, claimed_later, discharged_later, still_in = persons = await people(h, 5)
    for person in persons:
        for year in (2026, 2027, 2028):
            await insure(h, person, year)  # 1 January does not change them before 2029
    await stay(h, recent, D(2026, 2, 20), D(2026, 3, 1))  # deadline 30 April
    await stay(h, overdue, D(2025, 11, 20), D(2025, 12, 1))  # deadline 30 January
    late = await stay(h, claimed_later, D(2025, 11, 20), D(2025, 12, 1))
    await claim(h, claimed_later, "1000.00", "50.00", D(2026, 4, 15), late)
    await stay(h, discharged_later, D(2026, 1, 1), D(2026, 3, 20))  # in hospital on AS_OF
    await stay(h, still_in, D(2026, 2, 1), None)  # deadline 2 April
    found = await judge(h, persons, AS_OF)
    care = {p.id: found[(p.id, "MEDICAL_CARE")] for p in persons}

    assert care[recent.id].status is Status.OK
    assert care[recent.id].valid_until == D(2026, 5, 1)  # the deadline has passed
    assert care[overdue.id].status is Status.AT_RISK
    # 365 days of look-back after the deadline: history on 31 January 2027.
    assert care[overdue.id].valid_until == D(2027, 1, 31)
    assert care[claimed_later.id].status is Status.AT_RISK
    assert care[claimed_later.id].valid_until == D(2026, 4, 15)  # the late claim clears it
    assert until(found, claimed_later, "ILLNESS_TREATED_WELL") == D(2026, 4, 15)
    assert care[discharged_later.id].reasons == (
        "in hospital since 2026-01-01 with no medical-aid claim settled within 60 days "
        "of admission",
    )
    assert care[discharged_later.id].valid_until == D(2026, 3, 20)  # counted from discharge
    assert care[still_in.id].status is Status.OK
    assert care[still_in.id].valid_until == D(2026, 4, 3)

    # Each valid_until is exact: the finding holds the day before and changes that day.
    for person in persons:
        finding = care[person.id]
        assert finding.valid_until is not None
        before = (await judge(h, [person], finding.valid_until - dt.timedelta(days=1)))[
            (person.id, "MEDICAL_CARE")
        ]
        after = (await judge(h, [person], finding.valid_until))[(person.id, "MEDICAL_CARE")]
        assert (before.status, before.reasons) == (finding.status, finding.reasons)
        assert (after.status, after.reasons) != (finding.status, finding.reasons)


@pytest.mark.anyio
async def test_out_of_pocket_share_restarts_each_year(harness: Harness) -> None:
    h = harness
    one_year, same_share_next_year, later_claim, dead = await people(h, 4)
    await claim(h, one_year, "100.00", "50.00", D(2026, 2, 1))
    await claim(h, same_share_next_year, "100.00", "50.00", D(2026, 2, 1))
    await claim(h, same_share_next_year, "200.00", "100.00", D(2027, 1, 1))
    await claim(h, later_claim, "100.00", "5.00", D(2026, 2, 1))
    await claim(h, later_claim, "100.00", "40.00", D(2026, 6, 1))  # 22.5 % from then
    async with h.session() as session, session.begin():
        await session.execute(update(Person).where(Person.id == dead.id).values(deceased=True))
    found = await judge(h, [one_year, same_share_next_year, later_claim, dead], AS_OF)
    well = "ILLNESS_TREATED_WELL"
    assert found[(one_year.id, well)].status is Status.AT_RISK
    assert until(found, one_year, well) == D(2027, 1, 1)  # NOT_APPLICABLE from then
    # 50 % on 1 January 2027 too (the reason names the share, not the year): 2028.
    assert until(found, same_share_next_year, well) == D(2028, 1, 1)
    assert found[(later_claim.id, well)].status is Status.OK
    assert until(found, later_claim, well) == D(2026, 6, 1)
    assert until(found, dead) is None and until(found, dead, well) is None
    assert until(await judge(h, [one_year], D(2025, 12, 31)), one_year, well) == D(2026, 2, 1)


def test_findings_on_the_demo_hold_until_valid_until(
    tmp_path: Path, database_url: str | None
) -> None:
    """Judged on D, every finding is the same on every day E before its valid_until
    (within 800 days when None), and differs on valid_until itself."""
    check_valid_until_exactly(
        tmp_path, database_url, ["medical"], lambda f: f.indicator.value in MEDICAL
    )
