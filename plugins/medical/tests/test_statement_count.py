"""``Person.medical`` costs the same number of statements for a page of 10 as of 100."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from bangfu.core.registry.models import Person
from bangfu.core.security import Role
from bangfu.demo import load_demo
from bangfu.plugins.medical import diagnoses
from bangfu.plugins.medical.models import MedicalCondition
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

PAGE = """query($first: Int!) { persons(first: $first) { nodes { name
  medical {
    insuredThisYear criticalIllnessCoveredThisYear insurance { year premium }
    conditionCount hasSeriousCondition
    conditions { id serious diagnosedOn diagnosisCode diagnosisName diagnosis }
    hospitalisations { hospital admittedOn dischargedOn serious }
    claims { totalCost outOfPocket outOfPocketRatio hospitalisation { hospital } }
    outOfPocketThisYear { ratio }
  } } } }"""


async def test_person_medical_statements_do_not_grow_with_the_page(
    tmp_path: Path, database_url: str | None
) -> None:
    async with Harness.start(tmp_path, database_url=database_url, plugins=["medical"]) as h:
        async with h.session() as session, session.begin():
            await load_demo(
                session, h.cipher, h.host, households=60, seed=11, today=dt.date(2026, 11, 28)
            )
            persons = (await session.scalars(select(Person).order_by(Person.id))).all()
            for person in persons[::3]:  # a diagnosis for every third person
                session.add(
                    MedicalCondition(
                        person_id=person.id,
                        diagnosis_code="HYPERTENSION",
                        diagnosis_cipher=diagnoses.seal(h.cipher, person.id, "原发性高血压"),
                        diagnosed_on=dt.date(2020, 1, 1),
                    )
                )
        assert len(persons) >= 100
        readers = {
            "admin": await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR]),
            # Reads children's medical data (a supervisor would add core's one denial row
            # for them, in the page of 100 only: the demo lists heads of household first).
            "masked": await h.actor("civil", roles=[Role.CIVIL_AFFAIRS_OFFICER]),
        }
        for who, token in readers.items():
            await h.ok("{ me { username } }", token=token)  # first audit row: the head row
            await h.gql(PAGE, {"first": 1}, token=token)
            counts = {}
            for first in (10, 100):
                with h.count_statements() as counter:
                    answer = await h.gql(PAGE, {"first": first}, token=token)
                assert len(answer["data"]["persons"]["nodes"]) == first
                diagnoses_shown = [
                    c["diagnosis"]
                    for n in answer["data"]["persons"]["nodes"]
                    for c in n["medical"]["conditions"]
                    if c["diagnosis"]
                ]
                assert bool(diagnoses_shown) is (who == "admin")
                assert ("errors" in answer) is (who == "masked")
                counts[first] = counter.count
            assert counts[10] == counts[100], (who, counts)
