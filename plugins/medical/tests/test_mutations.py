"""Medical mutations: what they record, who may call them, and bad input that changes nothing."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bangfu.core.calendar import today
from bangfu.core.security import Role
from bangfu.core.security.models import AuditEvent
from bangfu.plugins.medical.models import MedicalAidClaim, MedicalCondition
from bangfu.plugins.medical.tests.helpers import claim, family, gid, row_counts, stay
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

INSURANCE = """mutation($input: MedicalInsuranceRecordInput!) { medicalInsuranceRecord(input: $input) {
  insurance { year scheme premium premiumPaidByGovernment criticalIllnessCovered }
  errors { field message code } } }"""
CONDITION = """mutation($input: MedicalConditionRecordInput!) { medicalConditionRecord(input: $input) {
  condition { id serious diagnosedOn diagnosisCode diagnosisName diagnosis }
  errors { field message code } } }"""
HOSPITALISATION = """mutation($input: MedicalHospitalisationRecordInput!) {
  medicalHospitalisationRecord(input: $input) {
    hospitalisation { id hospital admittedOn dischargedOn serious }
    errors { field message code } } }"""
DISCHARGE = """mutation($input: MedicalHospitalisationDischargeInput!) {
  medicalHospitalisationDischarge(input: $input) {
    hospitalisation { id admittedOn dischargedOn } errors { field message code } } }"""
CLAIM = """mutation($input: MedicalClaimSettleInput!) { medicalClaimSettle(input: $input) {
  claim { id totalCost paidByInsurance paidByMedicalAid paidByDonations outOfPocket
          outOfPocketRatio settledOn hospitalisation { hospital } }
  errors { field message code } } }"""
PERSON = """query($id: ID!) { person(id: $id) { medical { insuredThisYear
  criticalIllnessCoveredThisYear conditionCount hospitalisations { hospital dischargedOn }
  claims { totalCost outOfPocketRatio } outOfPocketThisYear { year totalCost outOfPocket ratio } } } }"""


def days_ago(n: int) -> str:
    return (today() - dt.timedelta(days=n)).isoformat()


async def medical_officer(h: Harness, region: str = "141023", name: str = "med") -> str:
    return await h.actor(name, roles=[Role.DEPARTMENT_OFFICER], region=region, department="medical")


async def payload(h: Harness, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    data = await h.ok(query, {"input": variables}, token=token)
    return next(iter(data.values()))  # type: ignore[no-any-return]


async def test_the_medical_department_records_a_whole_episode(harness: Harness) -> None:
    h = harness
    head, _ = await family(h)
    token = await medical_officer(h)
    year = today().year

    insured = await payload(
        h,
        INSURANCE,
        {
            "personId": gid(head),
            "year": year,
            "scheme": "RESIDENT",
            "premium": "380.00",
            "premiumPaidByGovernment": True,
        },
        token,
    )
    assert insured == {
        "insurance": {
            "year": year,
            "scheme": "RESIDENT",
            "premium": "380.00",
            "premiumPaidByGovernment": True,
            "criticalIllnessCovered": True,
        },
        "errors": [],
    }
    corrected = await payload(
        h,
        INSURANCE,
        {
            "personId": gid(head),
            "year": year,
            "scheme": "EMPLOYEE",
            "premium": "0",
            "criticalIllnessCovered": False,
        },
        token,
    )
    assert corrected["insurance"]["scheme"] == "EMPLOYEE"
    assert (await row_counts(h))["medical_insurance_enrolment"] == 1  # one per year

    condition = await payload(
        h,
        CONDITION,
        {
            "personId": gid(head),
            "diagnosisCode": "uremia",
            "diagnosis": " 慢性肾脏病5期，规律透析 ",
            "diagnosedOn": "2024-03-05",
        },
        token,
    )
    assert condition["errors"] == []
    assert {k: v for k, v in condition["condition"].items() if k != "id"} == {
        "serious": True,  # UREMIA is serious by the default list
        "diagnosedOn": "2024-03-05",
        "diagnosisCode": "UREMIA",
        "diagnosisName": "尿毒症 (end-stage renal disease, dialysis)",
        "diagnosis": "慢性肾脏病5期，规律透析",
    }

    admitted = await payload(
        h,
        HOSPITALISATION,
        {
            "personId": gid(head),
            "hospital": "临汾市中心医院",
            "admittedOn": days_ago(12),
            "serious": True,
        },
        token,
    )
    stay_id = admitted["hospitalisation"]["id"]
    assert admitted["hospitalisation"]["dischargedOn"] is None
    discharged = await payload(h, DISCHARGE, {"id": stay_id, "dischargedOn": days_ago(2)}, token)
    assert discharged["hospitalisation"]["dischargedOn"] == days_ago(2)

    settled = await payload(
        h,
        CLAIM,
        {
            "personId": gid(head),
            "hospitalisationId": stay_id,
            "totalCost": "48213.57",
            "paidByInsurance": "31339.82",
            "paidByMedicalAid": "12000.00",
            "paidByDonations": "2000.00",
            "outOfPocket": "2873.75",
            "settledOn": days_ago(1),
        },
        token,
    )
    assert settled["errors"] == []
    assert settled["claim"] | {"id": None} == {
        "id": None,
        "totalCost": "48213.57",
        "paidByInsurance": "31339.82",
        "paidByMedicalAid": "12000.00",
        "paidByDonations": "2000.00",
        "outOfPocket": "2873.75",
        "outOfPocketRatio": "0.0596",  # 2873.75 / 48213.57 = 0.05960...
        "settledOn": days_ago(1),
        "hospitalisation": {"hospital": "临汾市中心医院"},
    }

    summary = (await h.ok(PERSON, {"id": gid(head)}, token=token))["person"]["medical"]
    assert summary["insuredThisYear"] is True
    assert summary["criticalIllnessCoveredThisYear"] is False  # as corrected
    assert summary["conditionCount"] == 1
    assert summary["hospitalisations"] == [
        {"hospital": "临汾市中心医院", "dischargedOn": days_ago(2)}
    ]
    if today() > dt.date(today().year, 1, 1):  # settled this year (not on 1 January)
        assert summary["outOfPocketThisYear"] == {
            "year": year,
            "totalCost": "48213.57",
            "outOfPocket": "2873.75",
            "ratio": "0.0596",
        }

    # The audit trail keeps the mutation, with the diagnosis and its code masked.
    async with h.session() as session:
        row = await session.scalar(
            select(AuditEvent).where(AuditEvent.operation == "mutation:medicalConditionRecord")
        )
        stored = await session.scalar(select(MedicalCondition.diagnosis_cipher))
    assert row is not None and row.outcome == "ok"
    assert "UREMIA" not in str(row.details) and "透析" not in str(row.details)
    assert stored is not None and "透析".encode() not in stored


async def test_parts_adding_up_are_compared_exactly(harness: Harness) -> None:
    h = harness
    head, _ = await family(h)
    token = await medical_officer(h)
    base = {"personId": gid(head), "settledOn": days_ago(1), "paidByDonations": "0"}
    # 0.1 + 0.2 is not 0.3 in floating point; in yuan it is.
    exact = await payload(
        h,
        CLAIM,
        {
            **base,
            "totalCost": "0.30",
            "paidByInsurance": "0.10",
            "paidByMedicalAid": "0.20",
            "outOfPocket": "0",
        },
        token,
    )
    assert exact["errors"] == [] and exact["claim"]["outOfPocketRatio"] == "0.0000"
    before = await row_counts(h)
    one_fen_short = await payload(
        h,
        CLAIM,
        {
            **base,
            "totalCost": "1000.00",
            "paidByInsurance": "600.00",
            "paidByMedicalAid": "200.00",
            "outOfPocket": "199.99",
        },
        token,
    )
    assert one_fen_short == {
        "claim": None,
        "errors": [
            {
                "field": "input.totalCost",
                "message": "the parts add up to 999.99 yuan, not the total of 1000.00 yuan",
                "code": "PARTS_DO_NOT_ADD_UP",
            }
        ],
    }
    assert await row_counts(h) == before


BAD_INPUT = [
    pytest.param(
        CLAIM,
        {
            "totalCost": "100.00",
            "paidByInsurance": "-1.00",
            "paidByMedicalAid": "81.00",
            "outOfPocket": "20.00",
        },
        [("input.paidByInsurance", "INVALID_AMOUNT")],
        id="negative amount",
    ),
    pytest.param(
        CLAIM,
        {"totalCost": "NaN", "paidByInsurance": "1", "paidByMedicalAid": "1", "outOfPocket": "1"},
        [("input.totalCost", "INVALID_AMOUNT")],
        id="NaN amount",
    ),
    pytest.param(
        CLAIM,
        {
            "totalCost": "10.005",
            "paidByInsurance": "10.005",
            "paidByMedicalAid": "0",
            "outOfPocket": "0",
        },
        [("input.totalCost", "INVALID_AMOUNT"), ("input.paidByInsurance", "INVALID_AMOUNT")],
        id="fractions of a fen",
    ),
    pytest.param(
        CLAIM,
        {"totalCost": "0", "paidByInsurance": "0", "paidByMedicalAid": "0", "outOfPocket": "0"},
        [("input.totalCost", "INVALID_AMOUNT")],
        id="nothing to settle",
    ),
    pytest.param(
        CLAIM,
        {
            "totalCost": "10",
            "paidByInsurance": "10",
            "paidByMedicalAid": "0",
            "outOfPocket": "0",
            "settledOn": "2999-01-01",
        },
        [("input.settledOn", "FUTURE_DATE")],
        id="settled in the future",
    ),
    pytest.param(
        CONDITION,
        {"diagnosisCode": "COMMON_COLD", "diagnosis": "感冒", "diagnosedOn": "2024-01-01"},
        [("input.diagnosisCode", "UNKNOWN_CONDITION")],
        id="unknown condition code",
    ),
    pytest.param(
        CONDITION,
        {"diagnosisCode": "DIABETES", "diagnosedOn": "1950-01-01"},
        [("input.diagnosedOn", "INVALID_DATE_RANGE")],
        id="diagnosed before birth",
    ),
    pytest.param(
        HOSPITALISATION,
        {"hospital": "临汾市人民医院", "admittedOn": "2025-05-10", "dischargedOn": "2025-05-09"},
        [("input.dischargedOn", "INVALID_DATE_RANGE")],
        id="discharged before admission",
    ),
    pytest.param(
        HOSPITALISATION,
        {"hospital": "  ", "admittedOn": "2025-05-10"},
        [("input.hospital", "REQUIRED")],
        id="no hospital",
    ),
    pytest.param(
        INSURANCE,
        {"year": 1999, "scheme": "RESIDENT", "premium": "-5"},
        [("input.premium", "INVALID_AMOUNT"), ("input.year", "INVALID_YEAR")],
        id="insurance year and premium",
    ),
]


@pytest.mark.parametrize(("mutation", "fields", "expected"), BAD_INPUT)
async def test_bad_input_is_refused_and_changes_nothing(
    harness: Harness, mutation: str, fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    h = harness
    head, _ = await family(h)
    token = await medical_officer(h)
    before = await row_counts(h)
    variables = {"personId": gid(head), "settledOn": days_ago(1), **fields}
    if mutation is not CLAIM:
        variables.pop("settledOn")
    answer = await payload(h, mutation, variables, token)
    assert [(e["field"], e["code"]) for e in answer["errors"]] == expected
    assert all(e["message"] for e in answer["errors"])
    assert next(v for k, v in answer.items() if k != "errors") is None
    assert await row_counts(h) == before


async def test_a_non_numeric_amount_is_refused_before_anything_runs(harness: Harness) -> None:
    h = harness
    head, _ = await family(h)
    token = await medical_officer(h)
    before = await row_counts(h)
    answer = await h.gql(
        CLAIM,
        {
            "input": {
                "personId": gid(head),
                "totalCost": "一百元",
                "paidByInsurance": "0",
                "paidByMedicalAid": "0",
                "outOfPocket": "0",
                "settledOn": days_ago(1),
            }
        },
        token=token,
    )
    assert answer.get("data") is None
    [error] = answer["errors"]
    assert "totalCost" in error["message"] and "Decimal" in error["message"]
    assert await row_counts(h) == before


async def test_discharges_that_cannot_be(harness: Harness) -> None:
    h = harness
    head, _ = await family(h)
    token = await medical_officer(h)
    admitted = today() - dt.timedelta(days=10)
    open_stay = await stay(h, head, admitted, None)
    closed_stay = await stay(h, head, admitted, admitted + dt.timedelta(days=3))
    before = await row_counts(h)
    early = await payload(
        h,
        DISCHARGE,
        {
            "id": to_global_id("MedicalHospitalisation", open_stay.id),
            "dischargedOn": (admitted - dt.timedelta(days=1)).isoformat(),
        },
        token,
    )
    assert [(e["field"], e["code"]) for e in early["errors"]] == [
        ("input.dischargedOn", "INVALID_DATE_RANGE")
    ]
    twice = await payload(
        h,
        DISCHARGE,
        {"id": to_global_id("MedicalHospitalisation", closed_stay.id), "dischargedOn": days_ago(1)},
        token,
    )
    assert [(e["field"], e["code"]) for e in twice["errors"]] == [("input.id", "ALREADY_ENDED")]
    malformed = await payload(h, DISCHARGE, {"id": gid(head), "dischargedOn": days_ago(1)}, token)
    assert [(e["field"], e["code"]) for e in malformed["errors"]] == [("input.id", "NOT_FOUND")]
    assert await row_counts(h) == before


async def test_persons_and_stays_outside_the_area_are_not_found(harness: Harness) -> None:
    h = harness
    head, spouse = await family(h)  # in 襄汾 141023
    elsewhere = await medical_officer(h, region="141024", name="hongtong-med")
    own = await medical_officer(h)
    other_stay = await stay(h, spouse, today() - dt.timedelta(days=5), None)
    before = await row_counts(h)

    outside = await payload(
        h,
        INSURANCE,
        {"personId": gid(head), "year": today().year, "scheme": "RESIDENT", "premium": "380"},
        elsewhere,
    )
    missing = await payload(
        h,
        INSURANCE,
        {
            "personId": to_global_id("Person", 999_999),
            "year": today().year,
            "scheme": "RESIDENT",
            "premium": "380",
        },
        elsewhere,
    )
    assert outside == missing  # out of area and absent look the same
    assert outside["errors"] == [
        {"field": "input.personId", "message": "no Person with this ID", "code": "NOT_FOUND"}
    ]
    # A claim cannot settle another person's stay.
    foreign = await payload(
        h,
        CLAIM,
        {
            "personId": gid(head),
            "hospitalisationId": to_global_id("MedicalHospitalisation", other_stay.id),
            "totalCost": "10",
            "paidByInsurance": "10",
            "paidByMedicalAid": "0",
            "outOfPocket": "0",
            "settledOn": days_ago(1),
        },
        own,
    )
    assert [(e["field"], e["code"]) for e in foreign["errors"]] == [
        ("input.hospitalisationId", "NOT_FOUND")
    ]
    assert await row_counts(h) == before


async def test_only_the_medical_department_and_city_administrators_write(
    harness: Harness,
) -> None:
    h = harness
    head, _ = await family(h)
    variables = {
        "input": {
            "personId": gid(head),
            "year": today().year,
            "scheme": "RESIDENT",
            "premium": "380.00",
        }
    }
    refused = {
        "education officer": await h.actor(
            "edu", roles=[Role.DEPARTMENT_OFFICER], region="141023", department="education"
        ),
        "civil-affairs officer": await h.actor(
            "county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023"
        ),
        "supervisor": await h.actor("sup", roles=[Role.SUPERVISOR], region="141000"),
        "paired official": await h.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023"),
        "partner client": await h.api_client("partner", region="141023", plugins=["medical"]),
    }
    for who, token in refused.items():
        answer = await h.gql(INSURANCE, variables, token=token)
        assert answer.get("data") is None or answer["data"]["medicalInsuranceRecord"] is None, who
        assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}, who
    assert (await row_counts(h))["medical_insurance_enrolment"] == 0

    admin = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR], region="141000")
    done = await h.ok(INSURANCE, variables, token=admin)
    assert done["medicalInsuranceRecord"]["errors"] == []
    assert (await row_counts(h))["medical_insurance_enrolment"] == 1


async def test_the_database_itself_refuses_parts_that_do_not_add_up(harness: Harness) -> None:
    h = harness
    head, _ = await family(h)
    await claim(h, head, "0.30", "0.10", today())  # exact: 0.07 + 0.13 + 0 + 0.10
    with pytest.raises(IntegrityError):
        async with h.session() as session, session.begin():
            row = claim_row(head.id, "100.00", ("60.00", "20.00", "0.00", "19.99"))
            session.add(row)
    assert (await row_counts(h))["medical_aid_claim"] == 1


def claim_row(person_id: int, total: str, parts: tuple[str, str, str, str]) -> MedicalAidClaim:
    insurance, aid, donations, paid = (Decimal(p) for p in parts)
    return MedicalAidClaim(
        person_id=person_id,
        total_cost=Decimal(total),
        paid_by_insurance=insurance,
        paid_by_medical_aid=aid,
        paid_by_donations=donations,
        out_of_pocket=paid,
        settled_on=today(),
    )


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-CN", "各项合计 999.99 元，与总费用 1000.00 元不符，请核对"),
        ("en", "the parts add up to 999.99 yuan, not the total of 1000.00 yuan"),
    ],
)
async def test_an_error_reads_in_the_language_asked_for(
    harness: Harness, language: str, message: str
) -> None:
    h = harness
    head, _ = await family(h)
    token = await medical_officer(h)
    claim = {
        "personId": gid(head),
        "settledOn": days_ago(1),
        "totalCost": "1000.00",
        "paidByInsurance": "600.00",
        "paidByMedicalAid": "200.00",
        "paidByDonations": "0",
        "outOfPocket": "199.99",
    }
    response = await h.post(CLAIM, {"input": claim}, token=token, language=language)
    assert response.json()["data"]["medicalClaimSettle"] == {
        "claim": None,
        "errors": [{"field": "input.totalCost", "message": message, "code": "PARTS_DO_NOT_ADD_UP"}],
    }
