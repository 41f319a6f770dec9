"""The housing mutations: a dangerous house from appraisal to accepted renovation, aid,
and disasters reported and responded to."""

import datetime as dt

import pytest

from bangfu.core.calendar import today
from bangfu.plugins.housing.models import SafetyGrade
from bangfu.plugins.housing.tests.support import actors, appraise, gid, household, row_counts
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

APPRAISAL = """mutation($input: HousingAppraisalRecordInput!) {
  housingAppraisalRecord(input: $input) {
    appraisal { id grade appraisedOn appraiserName reportReference dangerous
                appraisingOrganisation { name } }
    household { id housing { dangerous latestAppraisal { grade } } }
    errors { field message code } } }"""

START = """mutation($input: HousingRenovationStartInput!) {
  housingRenovationStart(input: $input) {
    renovation { id status active version subsidyAmount fundingSource programmeName donor
                 plannedOn appraisal { grade } }
    errors { field message code } } }"""

ADVANCE = """mutation($input: HousingRenovationAdvanceInput!) {
  housingRenovationAdvance(input: $input) {
    renovation { id status active version approvedOn startedOn completedOn acceptedOn
                 acceptanceAppraisal { id grade } }
    household { housing { dangerous openRenovation { id } renovations { status } } }
    errors { field message code } } }"""

AID = """mutation($input: HousingAidGrantInput!) {
  housingAidGrant(input: $input) {
    aid { id kind monthlyAmount periodStart periodEnd dwellingAddress active }
    errors { field message code } } }"""

REPORT = """mutation($input: HousingDisasterReportInput!) {
  housingDisasterReport(input: $input) {
    disaster { id kind occurredOn damage reportedOn respondedOn responded }
    careEventsRaised
    errors { field message code } } }"""

RESPOND = """mutation($input: HousingDisasterRespondInput!) {
  housingDisasterRespond(input: $input) {
    disaster { id respondedOn response responded }
    errors { field message code } } }"""


def days_ago(n: int) -> str:
    return (today() - dt.timedelta(days=n)).isoformat()


async def test_a_dangerous_house_is_renovated_and_accepted(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    housing_org = await h.organisation("141000-housing")

    data = await h.ok(
        APPRAISAL,
        {
            "input": {
                "householdId": gid(home),
                "grade": "D",
                "appraisedOn": days_ago(200),
                "appraisingOrganisationId": gid(housing_org),
                "reportReference": " LF-JD-2026-0017 ",
            }
        },
        token=who.housing,
    )
    result = data["housingAppraisalRecord"]
    assert result["errors"] == []
    assert result["appraisal"] | {"id": None} == {
        "id": None,
        "grade": "D",
        "appraisedOn": days_ago(200),
        "appraiserName": None,
        "reportReference": "LF-JD-2026-0017",
        "dangerous": True,
        "appraisingOrganisation": {"name": "临汾市住房和城乡建设局"},
    }
    assert result["household"]["housing"] == {"dangerous": True, "latestAppraisal": {"grade": "D"}}

    started = (
        await h.ok(
            START,
            {
                "input": {
                    "householdId": gid(home),
                    "subsidyAmount": "35000.00",
                    "fundingSource": "GOVERNMENT_PROGRAMME",
                    "programmeName": "中央财政农村危房改造补助资金",
                    "plannedOn": days_ago(180),
                }
            },
            token=who.housing,
        )
    )["housingRenovationStart"]
    assert started["errors"] == []
    project = started["renovation"]
    assert project | {"id": None} == {
        "id": None,
        "status": "PLANNED",
        "active": True,
        "version": 1,
        "subsidyAmount": "35000.00",
        "fundingSource": "GOVERNMENT_PROGRAMME",
        "programmeName": "中央财政农村危房改造补助资金",
        "donor": None,
        "plannedOn": days_ago(180),
        "appraisal": {"grade": "D"},
    }

    version = 1
    for status, ago in (("APPROVED", 150), ("UNDER_WAY", 120), ("COMPLETED", 30)):
        moved = (
            await h.ok(
                ADVANCE,
                {
                    "input": {
                        "id": project["id"],
                        "expectedVersion": version,
                        "status": status,
                        "on": days_ago(ago),
                    }
                },
                token=who.admin,  # city administrators write too
            )
        )["housingRenovationAdvance"]
        assert moved["errors"] == []
        assert moved["renovation"]["status"] == status
        version = moved["renovation"]["version"]
    assert moved["renovation"]["completedOn"] == days_ago(30)
    assert moved["renovation"]["active"] is False
    # Completed but not accepted: still open, and the house is still graded D.
    assert moved["household"]["housing"]["openRenovation"] == {"id": project["id"]}
    assert moved["household"]["housing"]["dangerous"] is True

    # Acceptance needs an A or B appraisal dated on or after the completion.
    refused = (
        await h.ok(
            ADVANCE,
            {"input": {"id": project["id"], "expectedVersion": version, "status": "ACCEPTED"}},
            token=who.housing,
        )
    )["housingRenovationAdvance"]
    assert refused["renovation"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("input.acceptanceAppraisalId", "ACCEPTANCE_APPRAISAL_REQUIRED")
    ]

    after = (
        await h.ok(
            APPRAISAL,
            {
                "input": {
                    "householdId": gid(home),
                    "grade": "A",
                    "appraisedOn": days_ago(10),
                    "appraiserName": "临汾市房屋安全鉴定站",
                }
            },
            token=who.housing,
        )
    )["housingAppraisalRecord"]["appraisal"]
    accepted = (
        await h.ok(
            ADVANCE,
            {
                "input": {
                    "id": project["id"],
                    "expectedVersion": version,
                    "status": "ACCEPTED",
                    "acceptanceAppraisalId": after["id"],
                }
            },
            token=who.housing,
        )
    )["housingRenovationAdvance"]
    assert accepted["errors"] == []
    assert accepted["renovation"]["status"] == "ACCEPTED"
    assert accepted["renovation"]["acceptedOn"] == today().isoformat()
    assert accepted["renovation"]["acceptanceAppraisal"] == {"id": after["id"], "grade": "A"}
    assert accepted["household"]["housing"] == {
        "dangerous": False,
        "openRenovation": None,
        "renovations": [{"status": "ACCEPTED"}],
    }

    # Accepted is final.
    final = (
        await h.ok(
            ADVANCE,
            {
                "input": {
                    "id": project["id"],
                    "expectedVersion": accepted["renovation"]["version"],
                    "status": "COMPLETED",
                }
            },
            token=who.housing,
        )
    )["housingRenovationAdvance"]
    assert [(e["field"], e["code"]) for e in final["errors"]] == [
        ("input.status", "INVALID_STATUS_CHANGE")
    ]


async def test_renovation_steps_are_one_at_a_time_and_versioned(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    await appraise(h, home, SafetyGrade.C, 100)
    project = (
        await h.ok(
            START,
            {
                "input": {
                    "householdId": gid(home),
                    "subsidyAmount": "12000",
                    "fundingSource": "SOCIAL_DONATION",
                    "donor": "临汾市慈善总会",
                }
            },
            token=who.housing,
        )
    )["housingRenovationStart"]["renovation"]
    assert (project["fundingSource"], project["donor"], project["programmeName"]) == (
        "SOCIAL_DONATION",
        "临汾市慈善总会",
        None,
    )
    assert project["subsidyAmount"] == "12000.00"
    assert project["plannedOn"] == today().isoformat()

    skipped = (
        await h.ok(
            ADVANCE,
            {"input": {"id": project["id"], "expectedVersion": 1, "status": "UNDER_WAY"}},
            token=who.housing,
        )
    )["housingRenovationAdvance"]
    assert [(e["field"], e["code"]) for e in skipped["errors"]] == [
        ("input.status", "INVALID_STATUS_CHANGE")
    ]
    stale = (
        await h.ok(
            ADVANCE,
            {"input": {"id": project["id"], "expectedVersion": 7, "status": "APPROVED"}},
            token=who.housing,
        )
    )["housingRenovationAdvance"]
    assert [(e["field"], e["code"]) for e in stale["errors"]] == [
        ("input.expectedVersion", "VERSION_CONFLICT")
    ]
    second = (
        await h.ok(
            START,
            {
                "input": {
                    "householdId": gid(home),
                    "subsidyAmount": "1.00",
                    "fundingSource": "SOCIAL_DONATION",
                    "donor": "某企业",
                }
            },
            token=who.housing,
        )
    )["housingRenovationStart"]
    assert [(e["field"], e["code"]) for e in second["errors"]] == [
        ("input.householdId", "RENOVATION_ALREADY_OPEN")
    ]


async def test_aid_is_granted_for_a_period(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    start = today() - dt.timedelta(days=30)
    data = await h.ok(
        AID,
        {
            "input": {
                "householdId": gid(home),
                "kind": "PUBLIC_RENTAL_HOUSING",
                "monthlyAmount": "260.50",
                "periodStart": start.isoformat(),
                "periodEnd": (start + dt.timedelta(days=3 * 365)).isoformat(),
                "dwellingAddress": "尧都区汾河花园公租房3号楼2单元502",
            }
        },
        token=who.housing,
    )
    aid = data["housingAidGrant"]
    assert aid["errors"] == []
    assert aid["aid"]["monthlyAmount"] == "260.50"
    assert aid["aid"]["active"] is True

    overlap = await h.ok(
        AID,
        {
            "input": {
                "householdId": gid(home),
                "kind": "PUBLIC_RENTAL_HOUSING",
                "monthlyAmount": "100",
                "periodStart": today().isoformat(),
                "periodEnd": today().isoformat(),
                "dwellingAddress": "另一套",
            }
        },
        token=who.housing,
    )
    assert [(e["field"], e["code"]) for e in overlap["housingAidGrant"]["errors"]] == [
        ("input.periodStart", "OVERLAP")
    ]
    # A rental subsidy is another kind: it may run at the same time.
    rental = await h.ok(
        AID,
        {
            "input": {
                "householdId": gid(home),
                "kind": "RENTAL_SUBSIDY",
                "monthlyAmount": "0",
                "periodStart": today().isoformat(),
                "periodEnd": today().isoformat(),
            }
        },
        token=who.housing,
    )
    assert rental["housingAidGrant"]["errors"] == []


async def test_a_disaster_is_reported_then_responded_to_once(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    reported = (
        await h.ok(
            REPORT,
            {
                "input": {
                    "householdId": gid(home),
                    "kind": "FLOOD",
                    "occurredOn": days_ago(3),
                    "damage": "暴雨致院墙倒塌，正房后墙开裂渗水",
                }
            },
            token=who.housing,
        )
    )["housingDisasterReport"]
    assert reported["errors"] == []
    assert reported["careEventsRaised"] == 0  # nobody in the household holds a category
    assert reported["disaster"] | {"id": None} == {
        "id": None,
        "kind": "FLOOD",
        "occurredOn": days_ago(3),
        "damage": "暴雨致院墙倒塌，正房后墙开裂渗水",
        "reportedOn": today().isoformat(),
        "respondedOn": None,
        "responded": False,
    }
    disaster_id = reported["disaster"]["id"]

    early = (
        await h.ok(
            RESPOND,
            {"input": {"id": disaster_id, "response": "入户查看", "respondedOn": days_ago(5)}},
            token=who.housing,
        )
    )["housingDisasterRespond"]
    assert [(e["field"], e["code"]) for e in early["errors"]] == [
        ("input.respondedOn", "INVALID_DATE_RANGE")
    ]
    answered = (
        await h.ok(
            RESPOND,
            {"input": {"id": disaster_id, "response": "发放应急救助金2000元，协助临时安置"}},
            token=who.housing,
        )
    )["housingDisasterRespond"]
    assert answered["errors"] == []
    assert answered["disaster"]["respondedOn"] == today().isoformat()
    assert answered["disaster"]["responded"] is True

    before = await row_counts(h)
    again = (
        await h.ok(RESPOND, {"input": {"id": disaster_id, "response": "再次"}}, token=who.housing)
    )["housingDisasterRespond"]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("input.id", "ALREADY_RESPONDED")]
    assert await row_counts(h) == before


async def test_mutations_are_audited_with_the_objects_ids(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    data = await h.ok(
        REPORT,
        {
            "input": {
                "householdId": gid(home),
                "kind": "FIRE",
                "occurredOn": days_ago(1),
                "damage": "厨房失火",
            }
        },
        token=who.housing,
    )
    disaster_id = data["housingDisasterReport"]["disaster"]["id"]
    log = await h.ok(
        """{ auditLog(first: 5) { nodes { operation outcome targets } } }""", token=who.admin
    )
    [row] = [
        n for n in log["auditLog"]["nodes"] if n["operation"] == "mutation:housingDisasterReport"
    ]
    assert row["outcome"] == "OK"
    assert disaster_id in row["targets"]
