"""Diagnoses are sensitive (PIPL art. 28): who sees what a condition is, and who only
sees that there is one. Every unmasked read is audited; a tampered value never shows."""

import datetime as dt

import pytest
from sqlalchemy import select, update

from bangfu.core.security import Role
from bangfu.core.security.models import AuditEvent
from bangfu.plugins.medical.access import OPERATIONS
from bangfu.plugins.medical.models import MedicalCondition
from bangfu.plugins.medical.tests.helpers import (
    add_condition,
    error_paths,
    family,
    gid,
    insure,
    pair,
    stay,
)
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

QUERY = """query($id: ID!) { person(id: $id) { name idNumber
  medical { insuredThisYear conditionCount hasSeriousCondition
    conditions { id serious diagnosedOn diagnosisCode diagnosisName diagnosis }
    hospitalisations { admittedOn hospital } } } }"""

SHOWN = {
    "serious": False,
    "diagnosedOn": "2019-04-02",
    "diagnosisCode": "DIABETES",
    "diagnosisName": "糖尿病 (diabetes)",
    "diagnosis": "2型糖尿病伴周围神经病变",
}
MASKED = {**SHOWN, "diagnosisCode": None, "diagnosisName": None, "diagnosis": None}
CONDITION_PATHS = {
    "person.medical.conditions.0.diagnosisCode",
    "person.medical.conditions.0.diagnosisName",
    "person.medical.conditions.0.diagnosis",
}
SENSITIVE_PATHS = {*CONDITION_PATHS, "person.medical.hospitalisations.0.hospital"}


async def _read(h: Harness, token: str, person_gid: str) -> dict:
    return await h.gql(QUERY, {"id": person_gid}, token=token)


def _conditions(answer: dict) -> list[dict]:
    return [
        {k: v for k, v in c.items() if k != "id"}
        for c in answer["data"]["person"]["medical"]["conditions"]
    ]


async def _audit(h: Harness, operation: str) -> list[AuditEvent]:
    async with h.session() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.operation == operation).order_by(AuditEvent.id)
        )
        return list(rows.all())


async def test_who_sees_what_a_condition_is(harness: Harness) -> None:
    h = harness
    head, _spouse = await family(h)
    await insure(h, head)
    await add_condition(h, head)
    await stay(h, head, dt.date(2025, 3, 1), dt.date(2025, 3, 9))
    person = gid(head)

    readers = {
        "city administrator": await h.actor(
            "admin", roles=[Role.CITY_ADMINISTRATOR], region="141000"
        ),
        "medical officer": await h.actor(
            "med", roles=[Role.DEPARTMENT_OFFICER], region="141023", department="medical"
        ),
        "city medical officer": await h.actor(
            "citymed", roles=[Role.DEPARTMENT_OFFICER], region="141000", department="medical"
        ),
        "paired official": await h.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023"),
    }
    await pair(h, "paired", head)
    maskeds = {
        "civil-affairs officer": await h.actor(
            "county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023"
        ),
        "education officer": await h.actor(
            "edu", roles=[Role.DEPARTMENT_OFFICER], region="141023", department="education"
        ),
        "supervisor": await h.actor("sup", roles=[Role.SUPERVISOR], region="141000"),
        "mass-organisation member": await h.actor(
            "women", roles=[Role.MASS_ORGANISATION_MEMBER], region="141023"
        ),
        "partner client scoped for medical": await h.api_client(
            "partner-med", region="141023", plugins=["medical"]
        ),
    }

    for who, token in readers.items():
        answer = await _read(h, token, person)
        assert "errors" not in answer, (who, answer.get("errors"))
        assert _conditions(answer) == [SHOWN], who
        assert answer["data"]["person"]["medical"]["conditionCount"] == 1
        assert answer["data"]["person"]["medical"]["hospitalisations"] == [
            {"admittedOn": "2025-03-01", "hospital": "临汾市人民医院"}
        ]

    for who, token in maskeds.items():
        answer = await _read(h, token, person)
        # Null with FORBIDDEN at exactly the three fields; the rest of the person intact.
        assert error_paths(answer) == SENSITIVE_PATHS, who
        assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}, who
        assert _conditions(answer) == [MASKED], who
        data = answer["data"]["person"]
        assert data["name"] == "李大山" and data["idNumber"].startswith("141023"), who
        assert data["medical"]["insuredThisYear"] is True, who
        assert data["medical"]["hospitalisations"] == [
            {"admittedOn": "2025-03-01", "hospital": None}
        ]
        assert (data["medical"]["conditionCount"], data["medical"]["hasSeriousCondition"]) == (
            1,
            False,
        )
        assert "糖尿病" not in str(answer) and "DIABETES" not in str(answer), who

    # A partner client without the medical scope gets no medical data at all.
    unscoped = await h.api_client("partner", region="141023")
    answer = await _read(h, unscoped, person)
    assert answer["data"]["person"]["medical"] is None
    assert error_paths(answer) == {"person.medical"}
    assert answer["data"]["person"]["name"] == "李大山"

    # Every reader's unmasked read left an audit row naming the person; denials did too.
    reads = await _audit(h, OPERATIONS["MedicalCondition"])
    assert [r.actor_name for r in reads if r.outcome == "ok"] == [
        "admin",
        "med",
        "citymed",
        "paired",
    ]
    assert all(person in r.targets for r in reads if r.outcome == "ok")
    denied = {r.actor_name for r in reads if r.outcome == "denied"}
    assert {"county", "edu", "sup", "women", "partner-med"} <= denied
    hospitals = await _audit(h, OPERATIONS["MedicalHospitalisation"])
    assert [r.actor_name for r in hospitals if r.outcome == "ok"] == [
        "admin",
        "med",
        "citymed",
        "paired",
    ]


async def test_a_paired_official_reads_only_the_diagnoses_of_their_own_persons(
    harness: Harness,
) -> None:
    h = harness
    head, spouse = await family(h)
    for person in (head, spouse):
        await add_condition(h, person)
    only_paired = await h.actor("paired", roles=[Role.PAIRED_OFFICIAL], region="141023")
    # A paired official who is also a supervisor sees the whole area, but reads only the
    # diagnoses of the persons paired with them.
    also_supervisor = await h.actor(
        "paired-sup", roles=[Role.PAIRED_OFFICIAL, Role.SUPERVISOR], region="141023"
    )
    await pair(h, "paired", head)
    await pair(h, "paired-sup", spouse)

    assert _conditions(await _read(h, only_paired, gid(head))) == [SHOWN]
    assert (await _read(h, only_paired, gid(spouse)))["data"]["person"] is None  # not theirs

    assert _conditions(await _read(h, also_supervisor, gid(spouse))) == [SHOWN]
    other = await _read(h, also_supervisor, gid(head))
    assert _conditions(other) == [MASKED]
    assert error_paths(other) == CONDITION_PATHS


async def test_a_childs_medical_data_needs_read_sensitive(harness: Harness) -> None:
    h = harness
    *_, child = await family(h, child_born=dt.date(dt.date.today().year - 8, 1, 15))
    await add_condition(h, child, "CONGENITAL_HEART_DISEASE", "室间隔缺损", serious=True)
    education = await h.actor(
        "edu", roles=[Role.DEPARTMENT_OFFICER], region="141023", department="education"
    )
    medical = await h.actor(
        "med", roles=[Role.DEPARTMENT_OFFICER], region="141023", department="medical"
    )
    masked = await _read(h, education, gid(child))
    assert masked["data"]["person"]["medical"] is None
    assert error_paths(masked) == {"person.medical", "person.idNumber"}
    shown = await _read(h, medical, gid(child))
    assert error_paths(shown) == {"person.idNumber"}  # registry data is not theirs
    assert shown["data"]["person"]["medical"]["conditions"][0]["diagnosis"] == "室间隔缺损"
    assert shown["data"]["person"]["medical"]["hasSeriousCondition"] is True


async def test_diagnoses_are_encrypted_and_a_tampered_one_never_shows(harness: Harness) -> None:
    h = harness
    head, spouse = await family(h)
    first = await add_condition(h, head)
    second = await add_condition(h, spouse, "HYPERTENSION", "原发性高血压3级")
    async with h.session() as session:
        stored = await session.scalar(
            select(MedicalCondition.diagnosis_cipher).where(MedicalCondition.id == first.id)
        )
    assert stored is not None and "糖尿病".encode() not in stored

    medical = await h.actor(
        "med", roles=[Role.DEPARTMENT_OFFICER], region="141023", department="medical"
    )
    flipped = bytearray(stored)
    flipped[-1] ^= 0x01
    async with h.session() as session, session.begin():
        await session.execute(
            update(MedicalCondition)
            .where(MedicalCondition.id == first.id)
            .values(diagnosis_cipher=bytes(flipped))
        )
        # A ciphertext moved onto another person's row fails like a tampered one.
        await session.execute(
            update(MedicalCondition)
            .where(MedicalCondition.id == second.id)
            .values(diagnosis_cipher=stored)
        )
    for person in (head, spouse):
        answer = await _read(h, medical, gid(person))
        assert answer["data"]["person"]["medical"]["conditions"][0]["diagnosis"] is None
        assert answer["data"]["person"]["medical"]["conditions"][0]["diagnosisCode"] is not None
        assert error_paths(answer, "UNREADABLE_VALUE") == {"person.medical.conditions.0.diagnosis"}
        assert [e["message"] for e in answer["errors"]] == [
            "the stored value failed its integrity check; the incident is logged"
        ]
        assert "周围神经病变" not in str(answer) and "原发性高血压" not in str(answer)
