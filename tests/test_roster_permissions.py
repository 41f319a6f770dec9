"""Who may import what: a plugin's write action alone imports its columns for registered
persons; creating or changing core data needs registry:write (category:write), row by row;
a plugin's write refuses a row with RosterValueError, and nothing is written."""

import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.core.roster.columns import (
    Change,
    RosterColumn,
    RosterColumns,
    RosterTarget,
    RosterValueError,
    RosterWriteContext,
)
from bangfu.core.security import Role, audit
from bangfu.core.security.models import AuditEvent
from bangfu.core.security.permissions import Action
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, World, id_number, make_world
from tests.roster_files import HEADERS_ZH, bare, workbook
from tests.test_roster_import import audit_rows, counts, upload

pytestmark = pytest.mark.anyio

NOTE = "probe.note"


@dataclasses.dataclass
class ProbePlugin:
    """A plugin with a write action for mass-organisation members and one roster column.

    Its note is stored as an audit event (a table every test database has), in the
    import's transaction: what it wrote is committed or rolled back with the import.
    A note ``refuse`` is refused by ``write``, as a rule about the importer would be.
    """

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="probe", title="Probe", version="1")

    @hookimpl
    def bangfu_register_actions(self) -> Sequence[Action]:
        return [
            Action("probe:write", "Write probe notes", frozenset({Role.MASS_ORGANISATION_MEMBER}))
        ]

    @hookimpl
    def bangfu_roster_columns(self) -> Sequence[RosterColumns]:
        async def write(
            session: Any, context: RosterWriteContext, values: Mapping[str, Any]
        ) -> Change:
            note = values["probe_note"]
            if note == "refuse":
                raise RosterValueError("this note is refused for you", column="probe_note")
            target = f"Person:{context.person.id}"
            events = await session.scalars(
                select(AuditEvent).where(AuditEvent.operation == NOTE).order_by(AuditEvent.id)
            )
            current = [e.details["note"] for e in events if e.targets == [target]]
            if current and current[-1] == note:
                return Change.UNCHANGED
            await audit.record(
                session, context.actor, NOTE, "ok", targets=[target], details={"note": note}
            )
            return Change.UPDATED if current else Change.CREATED

        return [
            RosterColumns(
                RosterTarget.PERSON, (RosterColumn("probe_note", "探针备注", str),), write=write
            )
        ]


@dataclasses.dataclass
class Setting:
    world: World
    member: str  # a women's-federation member: probe:write, no registry:write
    head: str
    child: str


@pytest.fixture
async def setting(tmp_path: Path, database_url: str | None) -> AsyncIterator[Setting]:
    async with Harness.start(
        tmp_path, database_url=database_url, plugins=False, extra_plugins=[ProbePlugin()]
    ) as h:
        world = await make_world(h)
        member = await h.actor(
            "wf",
            roles=[Role.MASS_ORGANISATION_MEMBER],
            organisation="141000-womens-federation",
        )
        head, child = id_number(), id_number()
        await h.household(XIANGFEN_VILLAGE, [("HEAD", "王建国", head), ("CHILD", "王小明", child)])
        yield Setting(world, member, head, child)


HEADERS = [*HEADERS_ZH, "探针备注"]


def rows_of(s: Setting, head_note: str = "来访", child_note: str = "上学") -> list[list[Any]]:
    """The registered household as registered (blank region and address), with notes."""
    return [
        [s.head, s.head, "王建国", "户主", None, None, None, head_note],
        [s.head, s.child, "王小明", "子女", None, None, None, child_note],
    ]


async def notes(h: Harness) -> list[str]:
    async with h.session() as session:
        events = await session.scalars(
            select(AuditEvent).where(AuditEvent.operation == NOTE).order_by(AuditEvent.id)
        )
        return [e.details["note"] for e in events]


async def test_a_member_imports_plugin_columns_for_registered_persons(setting: Setting) -> None:
    s = setting
    h = s.world.h
    before = await counts(h)
    content = workbook(rows_of(s), headers=HEADERS)
    dry = await upload(h, s.member, content, dryRun="true")
    assert dry.status_code == 200, dry.text
    assert await notes(h) == []
    response = await upload(h, s.member, content)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] and report["committed"] and report["problems"] == []
    assert report["counts"] == dry.json()["counts"]
    assert report["counts"]["probe"] == {"CREATED": 2, "UPDATED": 0, "UNCHANGED": 0}
    assert report["counts"]["persons"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 2}
    assert report["counts"]["memberships"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 2}
    assert sorted(await notes(h)) == ["上学", "来访"]
    assert await counts(h) == before
    assert await audit_rows(h) == [("roster.import", "ok", True), ("roster.import", "ok", False)]
    again = (await upload(h, s.member, content)).json()
    assert again["ok"] and again["counts"]["rows"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 2}
    assert len(await notes(h)) == 2


async def test_a_member_may_not_create_or_change_core_data(setting: Setting) -> None:
    s = setting
    h = s.world.h
    before = await counts(h)
    rows = rows_of(s)
    rows[1][2] = "王晓明"  # a registered person's name changed
    rows.append([s.head, id_number(), "李秀英", "配偶", None, None, None, "新"])  # a new person
    other = id_number()
    rows.append([other, other, "赵大", "户主", XIANGFEN_VILLAGE, None, None, None])  # a new head
    rows[0][6] = "低保"  # a category the head does not hold
    for dry_run in ("true", "false"):
        response = await upload(h, s.member, workbook(rows, headers=HEADERS), dryRun=dry_run)
        assert response.status_code == 422, response.text
        report = response.json()
        assert not report["committed"] and report["counts"] == {}
        assert {(p["row"], p["column"]): p["reason"] for p in report["problems"]} == {
            (2, None): "this row would certify a hardship category (困难类别) the person does "
            "not hold yet, and your account may not write hardship categories (permission "
            "category:write): ask the civil-affairs bureau to certify it, or clear the "
            "categories cell",
            (3, None): "this row would change the person's registered details (name, phone, "
            "hukou, disability), and your account may not write persons and households "
            "(permission registry:write): ask your county's administrator for it, or make the "
            "row match the registered details",
            (4, None): "this row would register a new person, and your account may not write "
            "persons and households (permission registry:write): ask your county's "
            "administrator for it, or leave the row out",
            (5, None): "this row would register a new household, and your account may not "
            "write persons and households (permission registry:write): ask your county's "
            "administrator for it, or leave the household out",
        }
    assert await counts(h) == before
    assert await notes(h) == []
    assert await audit_rows(h) == [
        ("roster.import", "failed", True),
        ("roster.import", "failed", False),
    ]
    # The same file is the civil-affairs officer's to import, but not the probe column.
    officer = (await upload(h, s.world.xiangfen, workbook(rows, headers=HEADERS))).json()
    assert {(p["row"], p["column"]): p["reason"] for p in officer["problems"]} == {
        (row, "probe_note"): "your account may not fill the columns of probe (permission "
        "probe:write): ask your county's administrator for it, or clear these columns"
        for row in (2, 3, 4)
    }
    assert await counts(h) == before


async def test_a_plugin_refusing_a_row_while_writing_is_a_problem_of_the_row(
    setting: Setting,
) -> None:
    s = setting
    h = s.world.h
    response = await upload(h, s.member, workbook(rows_of(s, child_note="refuse"), HEADERS))
    assert response.status_code == 422, response.text
    report = response.json()
    assert report["failure"] is None and not report["committed"]
    assert bare(report["problems"]) == [
        {"row": 3, "column": "probe_note", "reason": "this note is refused for you"}
    ]
    assert await notes(h) == []  # the first row's note was written, then rolled back
    assert await audit_rows(h) == [("roster.import", "failed", False)]


async def test_a_user_with_no_write_action_is_refused_by_the_route(setting: Setting) -> None:
    h = setting.world.h
    response = await upload(h, setting.world.supervisor, workbook(rows_of(setting), HEADERS))
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "your account may not import rosters: importing needs one of the permissions "
        "registry:write, probe:write; ask your county's administrator"
    )
    assert await audit_rows(h) == [("roster.import", "denied", False)]
