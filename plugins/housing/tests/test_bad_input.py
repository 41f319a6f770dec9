"""Bad input gets a clear error naming the field, and changes nothing; only the housing
department and city administrators write."""

import datetime as dt
from typing import Any

import pytest

from bangfu.core.calendar import today
from bangfu.plugins.housing.models import RenovationProject, RenovationStatus, SafetyGrade
from bangfu.plugins.housing.tests.support import (
    actors,
    appraise,
    gid,
    household,
    refused_anonymously,
    row_counts,
)
from bangfu.plugins.housing.tests.test_mutations import (
    ADVANCE,
    AID,
    APPRAISAL,
    REPORT,
    RESPOND,
    START,
)
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio


def days_ago(n: int) -> str:
    return (today() - dt.timedelta(days=n)).isoformat()


async def refused(h: Harness, query: str, variables: dict[str, Any], token: str) -> list[Any]:
    """The payload errors of a mutation that must fail, as (field, code) pairs; and checks
    that nothing was written."""
    before = await row_counts(h)
    data = await h.ok(query, variables, token=token)
    [payload] = data.values()
    assert payload.get("careEventsRaised", 0) == 0
    assert {k: v for k, v in payload.items() if k not in ("errors", "careEventsRaised")} == {
        k: None for k in payload if k not in ("errors", "careEventsRaised")
    }
    assert all(e["message"] for e in payload["errors"])
    assert await row_counts(h) == before
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_acceptance_without_an_a_or_b_appraisal_is_refused(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    appraisal = await appraise(h, home, SafetyGrade.D, 300)
    async with h.session() as session, session.begin():
        project = RenovationProject(
            household_id=home.id,
            status=RenovationStatus.COMPLETED,
            appraisal_id=appraisal.id,
            subsidy_amount=30000,
            funding_source="GOVERNMENT_PROGRAMME",
            programme_name="农村危房改造",
            planned_on=today() - dt.timedelta(days=290),
            approved_on=today() - dt.timedelta(days=280),
            started_on=today() - dt.timedelta(days=200),
            completed_on=today() - dt.timedelta(days=20),
        )
        session.add(project)
    accept = {"id": gid(project), "expectedVersion": 1, "status": "ACCEPTED"}
    field_code = [("input.acceptanceAppraisalId", "ACCEPTANCE_APPRAISAL_REQUIRED")]

    # No appraisal since completion: the latest is the old D.
    assert await refused(h, ADVANCE, {"input": accept}, who.housing) == field_code
    # A new appraisal, but C again.
    await appraise(h, home, SafetyGrade.C, 5)
    assert await refused(h, ADVANCE, {"input": accept}, who.housing) == field_code
    # An A appraisal dated before the completion does not count either.
    old_a = await appraise(h, home, SafetyGrade.A, 25)
    assert (
        await refused(
            h, ADVANCE, {"input": accept | {"acceptanceAppraisalId": gid(old_a)}}, who.housing
        )
        == field_code
    )
    # Accepting before the completion is a bad date.
    assert await refused(h, ADVANCE, {"input": accept | {"on": days_ago(21)}}, who.housing) == [
        ("input.on", "INVALID_DATE_RANGE")
    ]


async def test_a_grade_outside_a_to_d_is_refused_by_the_schema(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    before = await row_counts(h)
    answer = await h.gql(
        APPRAISAL,
        {
            "input": {
                "householdId": gid(home),
                "grade": "E",
                "appraisedOn": days_ago(1),
                "appraiserName": "鉴定站",
            }
        },
        token=who.housing,
    )
    assert answer.get("data") is None
    [error] = answer["errors"]
    # "Variable '$input' has invalid value at .grade: Value 'E' does not exist in
    # 'HousingSafetyGrade' enum. ..."
    assert "'$input'" in error["message"]
    assert "at .grade:" in error["message"]
    assert "'HousingSafetyGrade'" in error["message"]
    assert await row_counts(h) == before


async def test_renovating_an_a_or_b_house_is_refused(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    start = {
        "householdId": gid(home),
        "subsidyAmount": "20000",
        "fundingSource": "GOVERNMENT_PROGRAMME",
        "programmeName": "农村危房改造",
    }
    assert await refused(h, START, {"input": start}, who.housing) == [
        ("input.householdId", "NOT_APPRAISED")
    ]
    await appraise(h, home, SafetyGrade.D, 400)
    await appraise(h, home, SafetyGrade.B, 20)  # the latest decides
    assert await refused(h, START, {"input": start}, who.housing) == [
        ("input.householdId", "NOT_DANGEROUS")
    ]


async def test_bad_amounts_dates_and_funding_name_their_fields(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    await appraise(h, home, SafetyGrade.C, 10)
    assert await refused(
        h,
        START,
        {
            "input": {
                "householdId": gid(home),
                "subsidyAmount": "-500.00",
                "fundingSource": "GOVERNMENT_PROGRAMME",
                "plannedOn": (today() + dt.timedelta(days=3)).isoformat(),
            }
        },
        who.housing,
    ) == [
        ("input.subsidyAmount", "INVALID_AMOUNT"),
        ("input.plannedOn", "FUTURE_DATE"),
        ("input.programmeName", "REQUIRED"),
    ]
    assert await refused(
        h,
        START,
        {
            "input": {
                "householdId": gid(home),
                "subsidyAmount": "100.005",
                "fundingSource": "SOCIAL_DONATION",
                "plannedOn": days_ago(11),
            }
        },
        who.housing,
    ) == [
        ("input.subsidyAmount", "INVALID_AMOUNT"),
        ("input.donor", "REQUIRED"),
    ]
    assert await refused(
        h,
        START,
        {
            "input": {
                "householdId": gid(home),
                "subsidyAmount": "100",
                "fundingSource": "SOCIAL_DONATION",
                "donor": "慈善总会",
                "plannedOn": days_ago(11),  # before the appraisal it answers
            }
        },
        who.housing,
    ) == [("input.plannedOn", "INVALID_DATE_RANGE")]

    aid = {
        "householdId": gid(home),
        "kind": "RENTAL_SUBSIDY",
        "monthlyAmount": "-1",
        "periodStart": days_ago(0),
        "periodEnd": days_ago(1),
    }
    assert await refused(h, AID, {"input": aid}, who.housing) == [
        ("input.monthlyAmount", "INVALID_AMOUNT"),
        ("input.periodEnd", "INVALID_DATE_RANGE"),
    ]
    public = aid | {"kind": "PUBLIC_RENTAL_HOUSING", "monthlyAmount": "300", "periodEnd": None}
    del public["periodEnd"]
    answer = await h.gql(AID, {"input": public}, token=who.housing)
    assert "required field 'periodEnd'" in answer["errors"][0]["message"]  # by the schema
    assert await refused(h, AID, {"input": public | {"periodEnd": days_ago(-30)}}, who.housing) == [
        ("input.dwellingAddress", "REQUIRED")
    ]
    # Core's rule for every start date (docs/api.md, "Dates"): not after today; the end
    # may lie ahead.
    later = aid | {"monthlyAmount": "300", "periodStart": days_ago(-1), "periodEnd": days_ago(-60)}
    assert await refused(h, AID, {"input": later}, who.housing) == [
        ("input.periodStart", "FUTURE_DATE")
    ]

    assert await refused(
        h,
        APPRAISAL,
        {"input": {"householdId": gid(home), "grade": "B", "appraisedOn": days_ago(-1)}},
        who.housing,
    ) == [
        ("input.appraisedOn", "FUTURE_DATE"),
        ("input.appraiserName", "REQUIRED"),
    ]
    assert await refused(
        h,
        APPRAISAL,
        {
            "input": {
                "householdId": gid(home),
                "grade": "B",
                "appraisedOn": days_ago(1),
                "appraisingOrganisationId": "T3JnYW5pc2F0aW9uOjk5OTk5",  # Organisation:99999
            }
        },
        who.housing,
    ) == [("input.appraisingOrganisationId", "UNKNOWN_ORGANISATION")]
    assert await refused(
        h,
        REPORT,
        {
            "input": {
                "householdId": gid(home),
                "kind": "EARTHQUAKE",
                "occurredOn": days_ago(-2),
                "damage": "  ",
            }
        },
        who.housing,
    ) == [("input.occurredOn", "FUTURE_DATE"), ("input.damage", "REQUIRED")]


async def test_a_household_outside_the_area_or_a_wrong_id_is_not_found(harness: Harness) -> None:
    h = harness
    who = await actors(h)
    hongtong, _ = await household(h, region="141024")  # Hongtong, not Xiangfen
    await appraise(h, hongtong, SafetyGrade.D, 30)
    not_found = [("input.householdId", "NOT_FOUND")]
    for query, variables in (
        (
            APPRAISAL,
            {"grade": "A", "appraisedOn": days_ago(1), "appraiserName": "鉴定站"},
        ),
        (
            START,
            {
                "subsidyAmount": "100",
                "fundingSource": "SOCIAL_DONATION",
                "donor": "慈善总会",
            },
        ),
        (
            AID,
            {
                "kind": "RENTAL_SUBSIDY",
                "monthlyAmount": "300",
                "periodStart": days_ago(0),
                "periodEnd": days_ago(-365),
            },
        ),
        (
            REPORT,
            {"kind": "FIRE", "occurredOn": days_ago(1), "damage": "失火"},
        ),
    ):
        variables = {"input": variables | {"householdId": gid(hongtong)}}
        assert await refused(h, query, variables, who.xiangfen_housing) == not_found
    # The city-wide housing department may; a malformed or foreign ID is NOT_FOUND too.
    ok = await h.ok(
        REPORT,
        {
            "input": {
                "householdId": gid(hongtong),
                "kind": "FIRE",
                "occurredOn": days_ago(1),
                "damage": "失火",
            }
        },
        token=who.housing,
    )
    disaster = ok["housingDisasterReport"]["disaster"]
    assert await refused(
        h, RESPOND, {"input": {"id": disaster["id"], "response": "慰问"}}, who.xiangfen_housing
    ) == [("input.id", "NOT_FOUND")]
    assert (
        await refused(
            h,
            REPORT,
            {
                "input": {
                    "householdId": disaster["id"],  # a DisasterReport's ID, not a Household's
                    "kind": "FIRE",
                    "occurredOn": days_ago(1),
                    "damage": "失火",
                }
            },
            who.housing,
        )
        == not_found
    )


async def test_only_the_housing_department_and_city_administrators_write(
    harness: Harness,
) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    variables = {
        "input": {
            "householdId": gid(home),
            "grade": "C",
            "appraisedOn": days_ago(1),
            "appraiserName": "鉴定站",
        }
    }
    for token in (who.civil_affairs, who.education):
        before = await row_counts(h)
        answer = await h.gql(APPRAISAL, variables, token=token)
        assert answer.get("data") is None
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
        assert "housing:write" in answer["errors"][0]["message"]
        assert await row_counts(h) == before
    # Both may read.
    for token in (who.civil_affairs, who.education):
        data = await h.ok(
            "query($id: ID!) { household(id: $id) { housing { dangerous } } }",
            {"id": gid(home)},
            token=token,
        )
        assert data["household"]["housing"] == {"dangerous": False}
    for token in (who.housing, who.admin):
        data = await h.ok(APPRAISAL, variables, token=token)
        assert data["housingAppraisalRecord"]["errors"] == []
    await refused_anonymously(h, APPRAISAL, variables)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-CN", "该住房从未鉴定，请先登记 C 级或 D 级鉴定"),
        ("en", "the dwelling has never been appraised: record a C or D appraisal first"),
    ],
)
async def test_an_error_reads_in_the_language_asked_for(
    harness: Harness, language: str, message: str
) -> None:
    h = harness
    who = await actors(h)
    home, _ = await household(h)
    start = {
        "householdId": gid(home),
        "subsidyAmount": "20000",
        "fundingSource": "GOVERNMENT_PROGRAMME",
        "programmeName": "农村危房改造",
    }
    response = await h.post(START, {"input": start}, token=who.housing, language=language)
    assert response.json()["data"]["housingRenovationStart"] == {
        "renovation": None,
        "errors": [{"field": "input.householdId", "message": message, "code": "NOT_APPRAISED"}],
    }
