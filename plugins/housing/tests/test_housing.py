"""Household.housing and the root field housingDangerous."""

import datetime as dt
from decimal import Decimal

import pytest

from bangfu.core.calendar import today
from bangfu.core.idnumber import make
from bangfu.core.security import Role
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
from bangfu.plugins.housing.tests.support import (
    actors,
    appraise,
    gid,
    household,
    refused_anonymously,
)
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

QUERY = """query($id: ID!) { household(id: $id) { housing { dangerous
  latestAppraisal { grade appraisedOn reportReference } } } }"""

FULL = """query($id: ID!) { household(id: $id) { housing {
  dangerous
  latestAppraisal { grade }
  appraisals { grade appraisedOn dangerous }
  openRenovation { status subsidyAmount active appraisal { grade } }
  renovations { status }
  aid { kind monthlyAmount periodStart periodEnd active }
  disasters { kind occurredOn responded }
} } }"""

DANGEROUS = """query($first: Int!, $after: String, $region: String) {
  housingDangerous(first: $first, after: $after, regionCode: $region) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id address }
  } }"""


async def test_latest_appraisal_decides_dangerous(harness: Harness) -> None:
    h = harness
    household, _ = await h.household(
        "141023", [("HEAD", "赵铁柱", make("141023", dt.date(1970, 1, 1), 11))]
    )
    token = await h.actor("county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")
    household_id = to_global_id("Household", household.id)
    assert (await h.ok(QUERY, {"id": household_id}, token=token))["household"]["housing"] == {
        "dangerous": False,
        "latestAppraisal": None,
    }
    async with h.session() as session, session.begin():
        session.add_all(
            [
                SafetyAppraisal(
                    household_id=household.id, grade=SafetyGrade.A, appraised_on=dt.date(2020, 5, 1)
                ),
                SafetyAppraisal(
                    household_id=household.id,
                    grade=SafetyGrade.D,
                    appraised_on=dt.date(2025, 6, 1),
                    report_reference="JD-2025-17",
                ),
            ]
        )
    assert (await h.ok(QUERY, {"id": household_id}, token=token))["household"]["housing"] == {
        "dangerous": True,
        "latestAppraisal": {
            "grade": "D",
            "appraisedOn": "2025-06-01",
            "reportReference": "JD-2025-17",
        },
    }


async def test_household_housing_shows_history_renovation_aid_and_disasters(
    harness: Harness,
) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    day = today()
    old = await appraise(h, home, SafetyGrade.B, 900)
    latest = await appraise(h, home, SafetyGrade.C, 60)
    async with h.session() as session, session.begin():
        session.add_all(
            [
                RenovationProject(
                    household_id=home.id,
                    status=RenovationStatus.APPROVED,
                    appraisal_id=latest.id,
                    subsidy_amount=Decimal("15000.00"),
                    funding_source=FundingSource.GOVERNMENT_PROGRAMME,
                    programme_name="农村危房改造",
                    planned_on=day - dt.timedelta(days=50),
                    approved_on=day - dt.timedelta(days=20),
                ),
                HousingAid(
                    household_id=home.id,
                    kind=AidKind.RENTAL_SUBSIDY,
                    monthly_amount=Decimal("300.00"),
                    period_start=day - dt.timedelta(days=800),
                    period_end=day - dt.timedelta(days=436),
                ),
                HousingAid(
                    household_id=home.id,
                    kind=AidKind.RENTAL_SUBSIDY,
                    monthly_amount=Decimal("350.00"),
                    period_start=day - dt.timedelta(days=30),
                    period_end=day + dt.timedelta(days=334),
                ),
                DisasterReport(
                    household_id=home.id,
                    kind=DisasterKind.FLOOD,
                    occurred_on=day - dt.timedelta(days=5),
                    damage="院墙倒塌",
                    reported_on=day - dt.timedelta(days=4),
                ),
            ]
        )
    data = await h.ok(FULL, {"id": gid(home)}, token=who.civil_affairs)
    assert data["household"]["housing"] == {
        "dangerous": True,
        "latestAppraisal": {"grade": "C"},
        "appraisals": [
            {"grade": "C", "appraisedOn": latest.appraised_on.isoformat(), "dangerous": True},
            {"grade": "B", "appraisedOn": old.appraised_on.isoformat(), "dangerous": False},
        ],
        "openRenovation": {
            "status": "APPROVED",
            "subsidyAmount": "15000.00",
            "active": True,
            "appraisal": {"grade": "C"},
        },
        "renovations": [{"status": "APPROVED"}],
        "aid": [
            {
                "kind": "RENTAL_SUBSIDY",
                "monthlyAmount": "350.00",
                "periodStart": (day - dt.timedelta(days=30)).isoformat(),
                "periodEnd": (day + dt.timedelta(days=334)).isoformat(),
                "active": True,
            },
            {
                "kind": "RENTAL_SUBSIDY",
                "monthlyAmount": "300.00",
                "periodStart": (day - dt.timedelta(days=800)).isoformat(),
                "periodEnd": (day - dt.timedelta(days=436)).isoformat(),
                "active": False,
            },
        ],
        "disasters": [
            {
                "kind": "FLOOD",
                "occurredOn": (day - dt.timedelta(days=5)).isoformat(),
                "responded": False,
            }
        ],
    }
    # Another county's officer does not see the household at all.
    other = await h.actor("hongtong", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141024")
    assert (await h.ok(FULL, {"id": gid(home)}, token=other))["household"] is None


async def test_dangerous_households_are_c_or_d_without_an_active_renovation(
    harness: Harness,
) -> None:
    h = harness
    who = await actors(h)
    day = today()

    async def with_project(grade: SafetyGrade, status: RenovationStatus | None, region: str):
        home, _ = await household(h, region=region)
        appraisal = await appraise(h, home, grade, 100)
        if status is not None:
            steps = list(RenovationStatus).index(status)
            dates = [day - dt.timedelta(days=90 - 10 * i) for i in range(steps + 1)]
            async with h.session() as session, session.begin():
                session.add(
                    RenovationProject(
                        household_id=home.id,
                        status=status,
                        appraisal_id=appraisal.id,
                        subsidy_amount=Decimal("20000"),
                        funding_source=FundingSource.SOCIAL_DONATION,
                        donor="慈善总会",
                        **dict(
                            zip(
                                ("planned_on", "approved_on", "started_on", "completed_on"),
                                dates,
                                strict=False,
                            )
                        ),
                    )
                )
        return home

    d_alone = await with_project(SafetyGrade.D, None, "141023")
    c_completed = await with_project(SafetyGrade.C, RenovationStatus.COMPLETED, "141023")
    c_hongtong = await with_project(SafetyGrade.C, None, "141024")
    for status in (RenovationStatus.PLANNED, RenovationStatus.APPROVED, RenovationStatus.UNDER_WAY):
        await with_project(SafetyGrade.D, status, "141023")  # in hand: not listed
    await with_project(SafetyGrade.A, None, "141023")
    await with_project(SafetyGrade.B, None, "141024")
    await household(h)  # never appraised: not listed
    renovated, _ = await household(h)
    await appraise(h, renovated, SafetyGrade.D, 500)
    await appraise(h, renovated, SafetyGrade.A, 20)  # the latest decides: not listed

    everyone = await h.ok(DANGEROUS, {"first": 10}, token=who.housing)
    page = everyone["housingDangerous"]
    assert page["totalCount"] == 3
    assert [n["id"] for n in page["nodes"]] == [gid(d_alone), gid(c_completed), gid(c_hongtong)]

    first = (await h.ok(DANGEROUS, {"first": 2}, token=who.housing))["housingDangerous"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await h.ok(
            DANGEROUS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, token=who.housing
        )
    )["housingDangerous"]
    assert [n["id"] for n in first["nodes"] + rest["nodes"]] == [n["id"] for n in page["nodes"]]
    assert rest["pageInfo"]["hasNextPage"] is False

    hongtong = await h.ok(DANGEROUS, {"first": 10, "region": "141024"}, token=who.housing)
    assert [n["id"] for n in hongtong["housingDangerous"]["nodes"]] == [gid(c_hongtong)]
    # Area scoping: a Xiangfen officer sees Xiangfen's only, and no Hongtong household even
    # when asking for Hongtong.
    xiangfen = await h.ok(DANGEROUS, {"first": 10}, token=who.civil_affairs)
    assert xiangfen["housingDangerous"]["totalCount"] == 2
    asked = await h.ok(DANGEROUS, {"first": 10, "region": "141024"}, token=who.civil_affairs)
    assert asked["housingDangerous"]["nodes"] == []

    unknown = await h.gql(DANGEROUS, {"first": 10, "region": "999999"}, token=who.housing)
    assert "regionCode" in unknown["errors"][0]["message"]
    await refused_anonymously(h, DANGEROUS, {"first": 10})
