"""Admission for a serious illness raises a hospitalisation care event (五个关心), in the
same transaction as the stay."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.care.events import CareEventKind, CareEventRaised
from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.core.security import Role
from bangfu.plugins.medical.models import Hospitalisation
from bangfu.plugins.medical.tests.helpers import family, gid, row_counts
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

RECORD = """mutation($input: MedicalHospitalisationRecordInput!) {
  medicalHospitalisationRecord(input: $input) {
    hospitalisation { id } errors { field message code } } }"""


class Listener:
    """A plugin defined in the test that hears care events (like the care work does)."""

    def __init__(self, refuse: bool = False) -> None:
        self.heard: list[CareEventRaised] = []
        self.stays_seen: list[int] = []
        self.refuse = refuse

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="ear", title="Listens to care events", version="0.0.1")

    @hookimpl
    async def bangfu_care_event(self, session: Any, event: CareEventRaised) -> None:
        # The stay that raised the event is visible: same transaction.
        count = await session.scalar(select(func.count()).select_from(Hospitalisation))
        self.stays_seen.append(count)
        self.heard.append(event)
        if self.refuse:
            raise DomainError.of(None, "the care work is closed", ErrorCode.INVALID_INPUT)


async def _record(h: Harness, token: str, person_gid: str, serious: bool) -> dict[str, Any]:
    admitted = (today() - dt.timedelta(days=1)).isoformat()
    data = await h.ok(
        RECORD,
        {
            "input": {
                "personId": person_gid,
                "hospital": "临汾市肿瘤医院",
                "admittedOn": admitted,
                "serious": serious,
            }
        },
        token=token,
    )
    return data["medicalHospitalisationRecord"]  # type: ignore[no-any-return]


async def test_a_serious_admission_raises_a_hospitalisation_care_event(
    tmp_path: Path, database_url: str | None
) -> None:
    ear = Listener()
    async with Harness.start(tmp_path, database_url=database_url, extra_plugins=[ear]) as h:
        head, spouse = await family(h)
        token = await h.actor(
            "med", roles=[Role.DEPARTMENT_OFFICER], region="141023", department="medical"
        )
        serious = await _record(h, token, gid(head), serious=True)
        assert serious["errors"] == []
        [event] = ear.heard
        assert event == CareEventRaised(
            person_id=head.id,
            kind=CareEventKind.HOSPITALISATION,
            occurred_on=today() - dt.timedelta(days=1),
            raised_by="medical",
            summary=event.summary,
            source=serious["hospitalisation"]["id"],
        )
        # No diagnosis in it, nor the hospital's name (a cancer hospital tells the illness).
        assert "肿瘤" not in event.summary and "serious illness" in event.summary
        assert ear.stays_seen == [1]

        ordinary = await _record(h, token, gid(spouse), serious=False)
        assert ordinary["errors"] == [] and len(ear.heard) == 1


# The host creates every listener's coroutine before awaiting the first; when ours
# refuses, core's is never awaited (a core matter: it should call them one at a time).
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_a_refused_event_leaves_no_stay(tmp_path: Path, database_url: str | None) -> None:
    ear = Listener(refuse=True)
    async with Harness.start(tmp_path, database_url=database_url, extra_plugins=[ear]) as h:
        head, _ = await family(h)
        token = await h.actor(
            "med", roles=[Role.DEPARTMENT_OFFICER], region="141023", department="medical"
        )
        before = await row_counts(h)
        refused = await _record(h, token, gid(head), serious=True)
        assert refused["hospitalisation"] is None
        assert [e["code"] for e in refused["errors"]] == ["INVALID_INPUT"]
        assert len(ear.heard) == 1
        assert await row_counts(h) == before  # the stay rolled back with the event
