"""A disaster report raises a DISASTER care event for every current member in a hardship
category, in the report's own transaction."""

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bangfu.core.calendar import today
from bangfu.core.care.events import CareEventKind, CareEventRaised
from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.core.registry.models import Category, Membership, Person
from bangfu.plugins.housing.models import DisasterReport
from bangfu.plugins.housing.tests.support import actors, certify, gid, household, row_counts
from bangfu.plugins.housing.tests.test_mutations import REPORT
from bangfu.schema.relay import from_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio


class Listener:
    """A plugin that hears care events (as the care work would), defined in the test."""

    def __init__(self) -> None:
        self.heard: list[CareEventRaised] = []
        self.report_visible: list[bool] = []
        self.fail = False

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="ear", title="Listens to care events", version="0.0.1")

    @hookimpl
    async def bangfu_care_event(self, session: Any, event: CareEventRaised) -> None:
        if self.fail:
            raise RuntimeError("the care work is down")
        _, key = from_global_id(event.source or "")
        # The event comes in the report's transaction: the report is there, uncommitted.
        self.report_visible.append(await session.get(DisasterReport, int(key)) is not None)
        self.heard.append(event)


@pytest.fixture
def listener() -> Listener:
    return Listener()


@pytest.fixture
async def harness_with_listener(
    tmp_path: Path, database_url: str | None, listener: Listener
) -> AsyncIterator[Harness]:
    async with Harness.start(tmp_path, database_url=database_url, extra_plugins=[listener]) as h:
        yield h


async def test_members_in_hardship_categories_get_a_disaster_event(
    harness_with_listener: Harness, listener: Listener
) -> None:
    h = harness_with_listener
    who = await actors(h)
    home, (head, spouse, child, parent, grandchild, moved_out) = await household(h, members=6)
    day = today()
    await certify(h, head, Category.DIBAO)
    await certify(h, child, Category.CHILD_IN_DIFFICULTY, valid_to=day)  # still valid today
    await certify(h, spouse, Category.DIBAO, valid_to=day - dt.timedelta(days=1))  # ended
    await certify(h, parent, Category.SPECIAL_HARDSHIP, valid_from=day + dt.timedelta(days=10))
    await certify(h, grandchild, Category.ORPHAN)
    await certify(h, moved_out, Category.POOR_DISABLED)
    async with h.session() as session, session.begin():
        await session.execute(
            update(Person).where(Person.id == grandchild.id).values(deceased=True)
        )
        membership = await session.scalar(
            select(Membership).where(Membership.person_id == moved_out.id)
        )
        assert membership is not None
        membership.start_date = day - dt.timedelta(days=100)
        membership.end_date = day - dt.timedelta(days=3)
        membership.end_reason = "迁出"

    occurred = day - dt.timedelta(days=2)
    data = await h.ok(
        REPORT,
        {
            "input": {
                "householdId": gid(home),
                "kind": "EARTHQUAKE",
                "occurredOn": occurred.isoformat(),
                "damage": "地震致墙体多处裂缝，屋面瓦片脱落",
            }
        },
        token=who.housing,
    )
    result = data["housingDisasterReport"]
    assert result["errors"] == []
    assert result["careEventsRaised"] == 2
    source = result["disaster"]["id"]
    assert sorted(listener.heard, key=lambda e: e.person_id) == [
        CareEventRaised(
            person_id=person.id,
            kind=CareEventKind.DISASTER,
            occurred_on=occurred,
            raised_by="housing",
            summary=f"Dwelling damaged (earthquake) on {occurred}: 地震致墙体多处裂缝，屋面瓦片脱落",
            source=source,
        )
        for person in sorted((head, child), key=lambda p: p.id)
    ]
    assert listener.report_visible == [True, True]


async def test_a_failing_listener_rolls_the_report_back(
    harness_with_listener: Harness, listener: Listener
) -> None:
    h = harness_with_listener
    who = await actors(h)
    home, (head,) = await household(h)
    await certify(h, head, Category.SPECIAL_HARDSHIP)
    listener.fail = True
    before = await row_counts(h)
    answer = await h.gql(
        REPORT,
        {
            "input": {
                "householdId": gid(home),
                "kind": "FIRE",
                "occurredOn": today().isoformat(),
                "damage": "厨房失火",
            }
        },
        token=who.housing,
    )
    assert answer.get("data") is None
    assert answer["errors"]
    assert await row_counts(h) == before  # no report without its care events
