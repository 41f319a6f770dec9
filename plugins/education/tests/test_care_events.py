"""A dropout raises a SCHOOL_DROPOUT care event (五个关心) through the plugin host, in the
transaction that records it: heard here by listener plugins defined in the test."""

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.calendar import today
from bangfu.core.care.events import CareEventKind, CareEventRaised
from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.plugins.education.models import Enrolment, EnrolmentStatus
from bangfu.plugins.education.rules import school_year
from bangfu.plugins.education.tests.conftest import World, gid, make_world
from bangfu.plugins.education.tests.test_mutations import END, RECORD, enrolment
from bangfu.schema.relay import from_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

SCHOOL_START = school_year(today())[0]


class Ear:
    """A plugin that hears care events, and looks at what raised them in the same session."""

    def __init__(self, *, fail: bool = False) -> None:
        self.heard: list[tuple[CareEventRaised, EnrolmentStatus | None, bool]] = []
        self.fail = fail

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="ear", title="Listens to care events", version="0.0.1")

    @hookimpl
    async def bangfu_care_event(self, session: Any, event: CareEventRaised) -> None:
        if self.fail:
            raise RuntimeError("the care work is down")
        assert event.source is not None
        raised_by = await session.get(Enrolment, int(from_global_id(event.source)[1]))
        status = None if raised_by is None else raised_by.status
        self.heard.append((event, status, session.in_transaction()))


@pytest.fixture
async def ear() -> Ear:
    return Ear()


@pytest.fixture
async def world(tmp_path: Path, database_url: str | None, ear: Ear) -> AsyncIterator[World]:
    async with Harness.start(
        tmp_path, database_url=database_url, plugins=["education"], extra_plugins=[ear]
    ) as h:
        yield await make_world(h)


async def end(world: World, **fields: Any) -> dict[str, Any]:
    data = await world.ok(END, {"input": {"personId": gid(world.child), **fields}}, world.education)
    return data["educationEnrolmentEnd"]  # type: ignore[no-any-return]


async def test_ending_an_enrolment_as_a_dropout_raises_one_care_event(
    world: World, ear: Ear
) -> None:
    recorded = await world.ok(RECORD, {"input": enrolment(world)}, world.education)
    enrolment_id = recorded["educationEnrolmentRecord"]["enrolment"]["id"]
    assert ear.heard == []
    day = today()
    bad = await end(
        world, endDate=(SCHOOL_START - dt.timedelta(days=1)).isoformat(), status="DROPPED_OUT"
    )
    assert bad["errors"] and ear.heard == []  # refused input raises nothing

    ended = await end(world, endDate=day.isoformat(), status="DROPPED_OUT", reason="外出务工")
    assert ended["errors"] == []
    (event, status, in_transaction), *more = ear.heard
    assert more == []
    assert event == CareEventRaised(
        person_id=world.child.id,
        kind=CareEventKind.SCHOOL_DROPOUT,
        occurred_on=day,
        raised_by="education",
        summary=f"dropped out of 襄汾县实验小学 (PRIMARY) on {day.isoformat()}",
        source=enrolment_id,
    )
    # The listener ran inside the transaction, and saw the enrolment already ended.
    assert status is EnrolmentStatus.DROPPED_OUT and in_transaction


async def test_recording_a_dropout_raises_a_care_event(world: World, ear: Ear) -> None:
    left = SCHOOL_START - dt.timedelta(days=20)
    payload = await world.ok(
        RECORD,
        {
            "input": enrolment(
                world,
                status="DROPPED_OUT",
                startDate=(left - dt.timedelta(days=400)).isoformat(),
                endDate=left.isoformat(),
            )
        },
        world.education,
    )
    assert payload["educationEnrolmentRecord"]["errors"] == []
    assert [(e.kind, e.occurred_on, e.person_id) for e, _, _ in ear.heard] == [
        (CareEventKind.SCHOOL_DROPOUT, left, world.child.id)
    ]
    # A current "out of school since" period raises its event from its start date.
    await world.ok(
        RECORD,
        {
            "input": enrolment(
                world, personId=gid(world.teen), status="DROPPED_OUT", startDate=left.isoformat()
            )
        },
        world.education,
    )
    assert [(e.occurred_on, e.person_id) for e, _, _ in ear.heard[1:]] == [(left, world.teen.id)]
    # Ending that period as DROPPED_OUT again is not a new dropout.
    await world.ok(
        END,
        {
            "input": {
                "personId": gid(world.teen),
                "endDate": today().isoformat(),
                "status": "DROPPED_OUT",
            }
        },
        world.education,
    )
    assert len(ear.heard) == 2


async def test_other_endings_raise_nothing(world: World, ear: Ear) -> None:
    await world.ok(RECORD, {"input": enrolment(world)}, world.education)
    ended = await end(world, endDate=today().isoformat(), status="GRADUATED")
    assert ended["errors"] == [] and ear.heard == []


@pytest.mark.parametrize("ear", [Ear(fail=True)])
async def test_a_failing_listener_rolls_the_dropout_back(world: World, ear: Ear) -> None:
    await world.ok(RECORD, {"input": enrolment(world)}, world.education)
    answer = await world.h.gql(
        END,
        {
            "input": {
                "personId": gid(world.child),
                "endDate": today().isoformat(),
                "status": "DROPPED_OUT",
            }
        },
        token=world.education,
    )
    assert answer["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    async with world.h.session() as session:
        (stored,) = (await session.scalars(select(Enrolment))).all()
    assert (stored.status, stored.end_date) == (EnrolmentStatus.ENROLLED, None)
