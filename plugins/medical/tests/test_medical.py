"""Person.medical: insured this year, and the insurance by year."""

import datetime as dt
import decimal

import pytest

from bangfu.core.calendar import today
from bangfu.core.idnumber import make
from bangfu.core.security import Role
from bangfu.plugins.medical.models import InsuranceEnrolment, InsuranceScheme
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

QUERY = """query($id: ID!) { person(id: $id) { medical { insuredThisYear
  insurance { year scheme premium premiumPaidByGovernment criticalIllnessCovered }
  criticalIllnessCoveredThisYear } } }"""


async def test_insured_this_year(harness: Harness) -> None:
    h = harness
    year = today().year
    _, (insured, lapsed) = await h.household(
        "141023",
        [
            ("HEAD", "李大山", make("141023", dt.date(1960, 1, 1), 11)),
            ("SPOUSE", "张桂兰", make("141023", dt.date(1962, 1, 1), 12)),
        ],
    )
    async with h.session() as session, session.begin():
        session.add_all(
            [
                InsuranceEnrolment(
                    person_id=insured.id,
                    year=year,
                    scheme=InsuranceScheme.RESIDENT,
                    premium=decimal.Decimal("380.00"),
                    premium_paid_by_government=True,
                    critical_illness_covered=True,
                ),
                InsuranceEnrolment(
                    person_id=insured.id,
                    year=year - 1,
                    scheme=InsuranceScheme.RESIDENT,
                    premium=decimal.Decimal("350.00"),
                ),
                InsuranceEnrolment(
                    person_id=lapsed.id,
                    year=year - 1,
                    scheme=InsuranceScheme.RESIDENT,
                    premium=decimal.Decimal("350.00"),
                ),
            ]
        )
    token = await h.actor("county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")
    first = await h.ok(QUERY, {"id": to_global_id("Person", insured.id)}, token=token)
    assert first["person"]["medical"] == {
        "insuredThisYear": True,
        "insurance": [
            {
                "year": year,
                "scheme": "RESIDENT",
                "premium": "380.00",
                "premiumPaidByGovernment": True,
                "criticalIllnessCovered": True,
            },
            {
                "year": year - 1,
                "scheme": "RESIDENT",
                "premium": "350.00",
                "premiumPaidByGovernment": False,
                "criticalIllnessCovered": False,
            },
        ],
        "criticalIllnessCoveredThisYear": True,
    }
    second = await h.ok(QUERY, {"id": to_global_id("Person", lapsed.id)}, token=token)
    assert second["person"]["medical"]["insuredThisYear"] is False
    assert second["person"]["medical"]["criticalIllnessCoveredThisYear"] is False
