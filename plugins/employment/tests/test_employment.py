"""Person.employment: the current work status."""

import datetime as dt

import pytest

from bangfu.core.idnumber import make
from bangfu.core.security import Role
from bangfu.plugins.employment.models import WorkStatus, WorkStatusRecord
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

QUERY = """query($id: ID!) { person(id: $id) { employment { currentStatus { status employer since until } } } }"""


async def test_current_status_is_the_open_record(harness: Harness) -> None:
    h = harness
    _, (worker,) = await h.household(
        "141023", [("HEAD", "孙建军", make("141023", dt.date(1985, 1, 1), 11))]
    )
    async with h.session() as session, session.begin():
        session.add_all(
            [
                WorkStatusRecord(
                    person_id=worker.id,
                    status=WorkStatus.SEEKING_WORK,
                    since=dt.date(2024, 1, 1),
                    until=dt.date(2024, 6, 30),
                ),
                WorkStatusRecord(
                    person_id=worker.id,
                    status=WorkStatus.EMPLOYED,
                    employer="临汾物流公司",
                    since=dt.date(2024, 7, 1),
                ),
            ]
        )
    token = await h.actor("county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")
    data = await h.ok(QUERY, {"id": to_global_id("Person", worker.id)}, token=token)
    assert data["person"]["employment"]["currentStatus"] == {
        "status": "EMPLOYED",
        "employer": "临汾物流公司",
        "since": "2024-07-01",
        "until": None,
    }
