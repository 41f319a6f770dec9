"""Household.housing: the latest safety appraisal of the dwelling."""

import datetime as dt

import pytest

from bangfu.testing import Harness
from core.idnumber import make
from core.security import Role
from plugins.housing.models import SafetyAppraisal, SafetyGrade
from schema.relay import to_global_id

pytestmark = pytest.mark.anyio

QUERY = """query($id: ID!) { household(id: $id) { housing { dangerous
  latestAppraisal { grade appraisedOn reportReference } } } }"""


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
