"""Demo data is realistic, and Household.housing costs the same statements for 10 or 100
households (on that demo data)."""

import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bangfu.core.calendar import today
from bangfu.core.registry.models import Relation
from bangfu.core.registry.service import MemberData, PersonData, Registry
from bangfu.core.security import SYSTEM, Role
from bangfu.demo import load_demo
from bangfu.plugins.housing.models import (
    AidKind,
    DisasterKind,
    DisasterReport,
    FundingSource,
    HousingAid,
    RenovationProject,
    RenovationStatus,
    SafetyAppraisal,
    SafetyGrade,
)
from bangfu.plugins.housing.statements import dangerous_household_ids
from bangfu.plugins.housing.tests.support import id_number
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

PAGE = """query($first: Int!) { households(first: $first) { nodes { id housing {
  dangerous
  latestAppraisal { grade appraisedOn appraiserName appraisingOrganisation { name } }
  appraisals { grade }
  openRenovation { status subsidyAmount appraisal { grade } acceptanceAppraisal { grade } }
  renovations { status acceptanceAppraisal { grade } }
  aid { kind monthlyAmount active }
  disasters { kind responded }
} } } }"""


@pytest.fixture
async def demo(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    """The housing plugin alone, on 400 demo households."""
    async with Harness.start(tmp_path, database_url=database_url, plugins=["housing"]) as h:
        async with h.session() as session, session.begin():
            await load_demo(
                session, h.cipher, h.host, households=400, seed=11, today=dt.date(2026, 11, 28)
            )
        yield h


async def test_demo_data_is_realistic(demo: Harness) -> None:
    h = demo
    async with h.session() as session:
        appraisals = list((await session.scalars(select(SafetyAppraisal))).all())
        projects = list((await session.scalars(select(RenovationProject))).all())
        aid = list((await session.scalars(select(HousingAid))).all())
        disasters = list((await session.scalars(select(DisasterReport))).all())
        dangerous = list((await session.scalars(dangerous_household_ids())).all())
    latest: dict[int, SafetyAppraisal] = {}
    for a in sorted(appraisals, key=lambda a: (a.appraised_on, a.id)):
        latest[a.household_id] = a
    grades = Counter(a.grade for a in latest.values())
    appraised = len(latest)
    assert 0.75 * 400 < appraised < 0.95 * 400
    assert (grades[SafetyGrade.A] + grades[SafetyGrade.B]) / appraised > 0.8  # most A or B
    assert grades[SafetyGrade.C] and grades[SafetyGrade.D]  # a few dangerous
    assert {p.status for p in projects} == set(RenovationStatus)  # every status
    for p in projects:
        if p.status is RenovationStatus.ACCEPTED:
            accepted = next(a for a in appraisals if a.id == p.acceptance_appraisal_id)
            assert accepted.grade in (SafetyGrade.A, SafetyGrade.B)
            assert p.completed_on is not None and p.accepted_on is not None
            assert p.completed_on <= accepted.appraised_on <= p.accepted_on
            assert latest[p.household_id].id == accepted.id
        else:
            assert latest[p.household_id].grade in (SafetyGrade.C, SafetyGrade.D)
    assert dangerous  # some C or D houses wait for a renovation
    assert {a.kind for a in aid} == {"RENTAL_SUBSIDY", "PUBLIC_RENTAL_HOUSING"}
    assert len(disasters) >= 2
    assert {d.responded_on is None for d in disasters} == {True, False}


async def test_household_housing_statements_do_not_grow_with_the_page(
    harness: Harness,
) -> None:
    """Every household has every relation (so both pages have the same shape)."""
    h = harness
    day = today()
    organisation = await h.organisation("141000-housing")
    async with h.session() as session, session.begin():
        registry = Registry(session, SYSTEM, h.cipher)
        homes = [
            await registry.create_household(
                "141023",
                None,
                [MemberData(relation=Relation.HEAD, person=PersonData(f"户主{i}", id_number()))],
                None,
            )
            for i in range(100)
        ]
        for home in homes:
            old = SafetyAppraisal(
                household_id=home.id,
                grade=SafetyGrade.D,
                appraised_on=day - dt.timedelta(days=400),
                appraising_organisation_id=organisation.id,
            )
            new = SafetyAppraisal(
                household_id=home.id,
                grade=SafetyGrade.A,
                appraised_on=day - dt.timedelta(days=20),
                appraiser_name="临汾市房屋安全鉴定站",
            )
            session.add_all([old, new])
            await session.flush()
            session.add_all(
                [
                    RenovationProject(
                        household_id=home.id,
                        status=RenovationStatus.ACCEPTED,
                        appraisal_id=old.id,
                        subsidy_amount=Decimal("30000"),
                        funding_source=FundingSource.GOVERNMENT_PROGRAMME,
                        programme_name="农村危房改造",
                        planned_on=day - dt.timedelta(days=380),
                        approved_on=day - dt.timedelta(days=360),
                        started_on=day - dt.timedelta(days=300),
                        completed_on=day - dt.timedelta(days=30),
                        accepted_on=day - dt.timedelta(days=10),
                        acceptance_appraisal_id=new.id,
                    ),
                    HousingAid(
                        household_id=home.id,
                        kind=AidKind.RENTAL_SUBSIDY,
                        monthly_amount=Decimal("300"),
                        period_start=day,
                        period_end=day,
                    ),
                    DisasterReport(
                        household_id=home.id,
                        kind=DisasterKind.OTHER,
                        occurred_on=day,
                        damage="大风",
                        reported_on=day,
                    ),
                ]
            )
    token = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    counts = {}
    for first in (10, 100):
        with h.count_statements() as counter:
            data = await h.ok(PAGE, {"first": first}, token=token)
        nodes = data["households"]["nodes"]
        assert len(nodes) == first
        assert all(n["housing"]["renovations"][0]["acceptanceAppraisal"] for n in nodes)
        counts[first] = counter.count
    assert counts[10] == counts[100]
    # Token, page, and one batch per housing relation (appraisals, renovations, aid,
    # disasters, appraisals by ID, organisations) - not one per household.
    assert counts[100] <= 10
