"""The medical indicators (R3): medical care (有医看) and illness treated well (看好病)."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bangfu.core.bottomline import Finding, Status
from bangfu.core.calendar import today
from bangfu.core.registry.models import Person
from bangfu.core.security import Actor, ActorKind, Role
from bangfu.plugins.medical.settings import medical_settings
from bangfu.plugins.medical.tests.helpers import claim, family, insure, stay
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

COUNTY = Actor(
    kind=ActorKind.USER,
    name="county",
    id=1,
    area_path="141000/141023/",
    roles=frozenset({Role.CIVIL_AFFAIRS_OFFICER}),
)


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    medical_settings.cache_clear()
    yield
    medical_settings.cache_clear()


async def judge(
    h: Harness, persons: list[Person], as_of: dt.date
) -> dict[tuple[int, str], Finding]:
    async with h.session(COUNTY) as session:
        rows = list(
            (
                await session.scalars(select(Person).where(Person.id.in_([p.id for p in persons])))
            ).all()
        )
        findings = await h.host.bottom_line(rows, session, as_of)
    return {(f.person_id, f.indicator.value): f for f in findings if f.module == "medical"}


async def people(h: Harness, n: int) -> list[Person]:
    found: list[Person] = []
    while len(found) < n:
        found += await family(h)
    return found[:n]


async def test_medical_care(harness: Harness) -> None:
    h = harness
    as_of = today()
    days = dt.timedelta
    (insured, uninsured, long_gone, still_in, settled, recent, old, loose_claim) = await people(
        h, 8
    )
    for person in (insured, long_gone, still_in, settled, recent, old, loose_claim):
        await insure(h, person, as_of.year)
    await stay(h, uninsured, as_of - days(100), as_of - days(90))  # also unsettled
    await stay(h, long_gone, as_of - days(75), as_of - days(70))
    await stay(h, still_in, as_of - days(61), None, serious=True)
    paid = await stay(h, settled, as_of - days(80), as_of - days(70))
    await claim(h, settled, "5000.00", "300.00", as_of - days(1), paid)  # late but settled
    await stay(h, recent, as_of - days(40), as_of - days(30))  # deadline not passed yet
    await stay(h, old, as_of - days(600), as_of - days(590))  # history, not a present risk
    await stay(h, loose_claim, as_of - days(90), as_of - days(85))
    await claim(h, loose_claim, "800.00", "50.00", as_of - days(80))  # names no stay

    found = await judge(
        h, [insured, uninsured, long_gone, still_in, settled, recent, old, loose_claim], as_of
    )
    care = {
        p: found[(p.id, "MEDICAL_CARE")]
        for p in (insured, uninsured, long_gone, still_in, settled, recent, old, loose_claim)
    }
    assert {p.id for p, f in care.items() if f.status is Status.OK} == {
        insured.id,
        settled.id,
        recent.id,
        old.id,
        loose_claim.id,
    }
    assert care[uninsured].status is Status.AT_RISK
    assert care[uninsured].reasons == (
        f"not enrolled in basic medical insurance for {as_of.year}",
        f"discharged from hospital on {as_of - days(90)} with no medical-aid claim settled within 60 days",
    )
    assert care[long_gone].reasons == (
        f"discharged from hospital on {as_of - days(70)} with no medical-aid claim settled within 60 days",
    )
    assert care[still_in].reasons == (
        f"in hospital since {as_of - days(61)} with no medical-aid claim settled within 60 days of admission",
    )


async def test_illness_treated_well_against_the_threshold(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    h = harness
    as_of = dt.date(today().year, 12, 31)
    no_claims, at_threshold, just_above, last_year = await people(h, 4)
    this_year = dt.date(as_of.year, 1, 2)
    await claim(h, at_threshold, "60.00", "6.00", this_year)
    await claim(h, at_threshold, "40.00", "4.00", this_year)  # 10.00 of 100.00: not above
    await claim(h, just_above, "100.00", "10.01", this_year)
    await claim(h, last_year, "100.00", "90.00", dt.date(as_of.year - 1, 6, 1))

    found = await judge(h, [no_claims, at_threshold, just_above, last_year], as_of)
    well = {
        p.id: found[(p.id, "ILLNESS_TREATED_WELL")]
        for p in (no_claims, at_threshold, just_above, last_year)
    }
    assert well[no_claims.id].status is Status.NOT_APPLICABLE
    assert well[last_year.id].status is Status.NOT_APPLICABLE
    assert well[at_threshold.id].status is Status.OK
    assert well[just_above.id].status is Status.AT_RISK
    assert well[just_above.id].reasons == (
        "paid 10.01 % of this year's medical costs out of pocket, above the 10 % threshold",
    )

    monkeypatch.setenv("BANGFU_MEDICAL_OUT_OF_POCKET_THRESHOLD", "0.05")
    medical_settings.cache_clear()
    stricter = await judge(h, [at_threshold], as_of)
    assert stricter[(at_threshold.id, "ILLNESS_TREATED_WELL")].status is Status.AT_RISK


async def test_the_deceased_are_not_judged(harness: Harness) -> None:
    h = harness
    [person] = await people(h, 1)
    async with h.session() as session, session.begin():
        await session.execute(update(Person).where(Person.id == person.id).values(deceased=True))
    found = await judge(h, [person], today())
    assert {f.status for f in found.values()} == {Status.NOT_APPLICABLE}
    assert set(found) == {(person.id, "MEDICAL_CARE"), (person.id, "ILLNESS_TREATED_WELL")}


async def test_statements_per_page_do_not_depend_on_its_size(
    tmp_path: Path, database_url: str | None
) -> None:
    async with Harness.start(tmp_path, database_url=database_url, plugins=["medical"]) as h:
        await _count_statements(h)


async def _count_statements(h: Harness) -> None:
    as_of = today()
    persons = await people(h, 24)
    for i, person in enumerate(persons):
        if i % 3:
            await insure(h, person, as_of.year)
        if i % 4 == 0:
            s = await stay(h, person, as_of - dt.timedelta(days=90), as_of - dt.timedelta(days=80))
            if i % 8 == 0:
                await claim(h, person, "1000.00", "150.00", as_of - dt.timedelta(days=70), s)
    counts = []
    for page in (persons[:4], persons):
        async with h.session(COUNTY) as session:
            rows = list(
                (
                    await session.scalars(select(Person).where(Person.id.in_([p.id for p in page])))
                ).all()
            )
            with h.count_statements() as counter:
                findings = await h.host.bottom_line(rows, session, as_of)
        assert {f.person_id for f in findings if f.module == "medical"} == {p.id for p in page}
        counts.append(counter.count)
    assert counts[0] == counts[1]
