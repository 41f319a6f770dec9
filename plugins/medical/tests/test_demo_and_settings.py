"""Demo data looks like a Linfen county's; the list of conditions is the city's to set."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.registry.models import Person
from bangfu.core.security import Role
from bangfu.demo import load_demo
from bangfu.plugins.medical.models import (
    Hospitalisation,
    InsuranceEnrolment,
    MedicalAidClaim,
    MedicalCondition,
)
from bangfu.plugins.medical.settings import DEFAULT_CONDITIONS, MedicalSettings, medical_settings
from bangfu.plugins.medical.tests.helpers import family, gid
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    medical_settings.cache_clear()
    yield
    medical_settings.cache_clear()


async def test_demo_rows_are_realistic(tmp_path: Path, database_url: str | None) -> None:
    async with Harness.start(tmp_path, database_url=database_url, plugins=["medical"]) as h:
        async with h.session() as session, session.begin():
            await load_demo(session, h.cipher, h.host, households=150, seed=3, today=today())
        async with h.session() as session:
            persons = await session.scalar(
                select(func.count()).select_from(Person).where(Person.deceased.is_(False))
            )
            insured = await session.scalar(
                select(func.count())
                .select_from(InsuranceEnrolment)
                .where(InsuranceEnrolment.year == today().year)
            )
            codes = set((await session.scalars(select(MedicalCondition.diagnosis_code))).all())
            conditions = await session.scalar(select(func.count()).select_from(MedicalCondition))
            stays = (await session.scalars(select(Hospitalisation))).all()
            claims = (await session.scalars(select(MedicalAidClaim))).all()
        assert persons and 0.9 < insured / persons < 1  # nearly all insured
        assert codes <= set(DEFAULT_CONDITIONS) and len(codes) >= 3
        assert 0.03 < conditions / persons < 0.4
        claimed = {c.hospitalisation_id for c in claims}
        assert any(s.id in claimed for s in stays) and any(s.id not in claimed for s in stays)
        for c in claims:
            parts = c.paid_by_insurance + c.paid_by_medical_aid + c.paid_by_donations
            assert parts + c.out_of_pocket == c.total_cost and c.out_of_pocket >= 0
            assert c.settled_on <= today()
        for s in stays:
            assert s.discharged_on is None or s.admitted_on <= s.discharged_on <= today()


async def test_the_list_of_conditions_comes_from_the_settings(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.setenv("BANGFU_MEDICAL_CONDITIONS", '{"SILICOSIS": "尘肺病", "DIABETES": "糖尿病"}')
    monkeypatch.setenv("BANGFU_MEDICAL_SERIOUS_CONDITIONS", '["SILICOSIS"]')
    h = harness
    head, _ = await family(h)
    token = await h.actor(
        "med", roles=[Role.DEPARTMENT_OFFICER], region="141023", department="medical"
    )
    mutation = """mutation($input: MedicalConditionRecordInput!) {
      medicalConditionRecord(input: $input) {
        condition { serious diagnosisCode diagnosisName diagnosis } errors { field code } } }"""
    answers = {}
    for code in ("SILICOSIS", "UREMIA"):
        data = await h.ok(
            mutation,
            {
                "input": {
                    "personId": gid(head),
                    "diagnosisCode": code,
                    "diagnosedOn": (today() - dt.timedelta(days=30)).isoformat(),
                }
            },
            token=token,
        )
        answers[code] = data["medicalConditionRecord"]
    assert answers["SILICOSIS"] == {
        "condition": {
            "serious": True,
            "diagnosisCode": "SILICOSIS",
            "diagnosisName": "尘肺病",
            "diagnosis": None,
        },
        "errors": [],
    }
    assert answers["UREMIA"]["errors"] == [
        {"field": "input.diagnosisCode", "code": "UNKNOWN_CONDITION"}
    ]


def test_settings_are_checked() -> None:
    assert (
        MedicalSettings().out_of_pocket_threshold
        == MedicalSettings.model_fields["out_of_pocket_threshold"].default
    )
    for bad in (
        {"out_of_pocket_threshold": "1.5"},
        {"conditions": {}},
        {"conditions": {"lower case": "x"}},
        {"conditions": {"A": "x"}, "serious_conditions": ["B"]},
    ):
        with pytest.raises(ValueError):
            MedicalSettings(**bad)  # type: ignore[arg-type]
