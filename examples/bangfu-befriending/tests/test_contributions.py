"""What the befriending plugin contributes beyond its own API: the assessment indicator,
the roster columns, its migration branch; and that Bangfu runs without it."""

import datetime as dt
import io
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from bangfu_befriending.indicators import INDICATOR
from bangfu_befriending.models import Contact, ContactKind, Relationship
from bangfu_befriending.plugin import bangfu_migrations
from befriending_world import World, gid, id_number, years_ago
from sqlalchemy import select

from bangfu.plugin import (
    SYSTEM,
    Actor,
    ActorKind,
    AssessmentPeriod,
    Change,
    Organisation,
    Role,
    RosterSubject,
    RosterValueError,
    RosterWriteContext,
    UnitKind,
    User,
    migrate,
    today,
)
from bangfu.testing import Harness, PluginHost, RosterImport, get_plugin_manager

pytestmark = pytest.mark.anyio

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def period(region_path: str = "141000/") -> AssessmentPeriod:
    day = today()
    return AssessmentPeriod(
        year=day.year,
        region_code=region_path.strip("/").split("/")[-1],
        region_path=region_path,
        starts_on=dt.date(day.year, 1, 1),
        ends_on=dt.date(day.year, 12, 31),
        as_of=day,
    )


async def befriend(w: World, organisation_code: str, person_id: int, contacted: int | None) -> None:
    async with w.h.session() as session, session.begin():
        organisation = await session.scalar(
            select(Organisation).where(Organisation.code == organisation_code)
        )
        volunteer = await session.scalar(select(User).where(User.username == "wf"))
        assert organisation is not None and volunteer is not None
        relationship = Relationship(
            person_id=person_id,
            volunteer_id=volunteer.id,
            organisation_id=organisation.id,
            since=today() - dt.timedelta(days=400),
        )
        session.add(relationship)
        await session.flush()
        if contacted is not None:
            session.add(
                Contact(
                    relationship_id=relationship.id,
                    person_id=person_id,
                    organisation_id=organisation.id,
                    contacted_on=today() - dt.timedelta(days=contacted),
                    kind=ContactKind.CALL,
                )
            )


async def test_the_assessment_indicator_is_the_share_of_befriended_children_contacted_in_90_days(
    world: World,
) -> None:
    w = world
    _, (_head, other_child) = await w.h.household(
        "141024",
        [
            ("HEAD", "赵大", id_number(years_ago(38), "141024")),
            ("CHILD", "赵小", id_number(years_ago(7), "141024")),
        ],
    )
    await befriend(w, "141000-womens-federation", w.child.id, contacted=89)  # met
    await befriend(w, "141000-womens-federation", w.teen.id, contacted=90)  # 90 days ago: not met
    await befriend(w, "141000-womens-federation", w.parent.id, contacted=1)  # an adult: not counted
    await befriend(w, "141000-trade-union", other_child.id, contacted=None)
    async with w.h.session() as session:
        scores = await w.h.host.assessment_indicators(session, period())
    by_unit = {s.unit.key: s for s in scores}
    assert set(by_unit) == {"141000-womens-federation", "141000-trade-union"}
    womens = by_unit["141000-womens-federation"]
    assert (womens.indicator, womens.unit.kind) == (INDICATOR, UnitKind.ORGANISATION)
    assert (womens.numerator, womens.denominator) == (1, 2)
    assert [(i.label, i.met) for i in womens.items] == [("李小军", False), ("李小梅", True)]
    assert by_unit["141000-trade-union"].ratio == 0.0
    # Only the assessed area counts: Xiangfen (141023) has no trade-union befriending.
    async with w.h.session() as session:
        county = await w.h.host.assessment_indicators(session, period("141000/141023/"))
    assert {s.unit.key for s in county} == {"141000-womens-federation"}


async def test_the_roster_columns_parse_check_and_write_idempotently(world: World) -> None:
    w = world
    [(plugin, group)] = w.h.host.roster_columns
    assert plugin == "befriending"
    organisation, since = group.columns
    assert (organisation.key, organisation.header_zh) == (
        "befriending_organisation",
        "结对帮扶组织",
    )
    assert organisation.parse(" 妇联 ").value == "WOMENS_FEDERATION"
    with pytest.raises(RosterValueError, match="must be one of 工会, 妇联, 共青团"):
        organisation.parse("红十字会")
    with pytest.raises(RosterValueError, match="must be a date"):
        since.parse("2024-13-01")
    subject = RosterSubject(id_number=None, today=today())  # type: ignore[arg-type]
    assert group.check is not None
    future = today() + dt.timedelta(days=1)
    assert group.check({"befriending_since": future}, subject) == [
        ("befriending_organisation", "give both the organisation and the day, or neither"),
        ("befriending_since", f"{future} is in the future: write the first day"),
    ]
    async with w.h.session() as session:
        volunteer = await session.scalar(select(User).where(User.username == "wf"))
    assert volunteer is not None
    actor = Actor(
        kind=ActorKind.USER,
        name="wf",
        id=volunteer.id,
        organisation_id=volunteer.organisation_id,
        area_path="141000/",
        roles=frozenset({Role.MASS_ORGANISATION_MEMBER}),
    )
    values = {
        "befriending_organisation": organisation.parse("妇联"),
        "befriending_since": since.parse("2024-09-01"),
    }
    changes = []
    for _ in range(2):
        async with w.h.session(actor) as session, session.begin():
            context = RosterWriteContext(actor=actor, today=today(), person=w.child, household=None)  # type: ignore[arg-type]
            changes.append(await group.write(session, context, values))
    assert changes == [Change.CREATED, Change.UNCHANGED]
    page = await w.ok(
        "query($id: ID!) { person(id: $id) { befriending { relationships { since volunteer } } } }",
        {"id": gid(w.child)},
        w.womens,
    )
    assert page["person"]["befriending"]["relationships"] == [
        {"since": "2024-09-01", "volunteer": "wf"}
    ]


async def test_without_the_plugin_the_service_runs_and_its_fields_are_gone(tmp_path: Path) -> None:
    # The same installation with the plugin switched off (as after `pip uninstall`): the
    # host finds no befriending, the schema has none of its fields, the API answers.
    assert "befriending" in PluginHost(get_plugin_manager()).plugins
    async with Harness.start(tmp_path, plugins=False) as h:
        assert "befriending" not in h.host.plugins
        token = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
        _, (person,) = await h.household("141023", [("HEAD", "李建国", id_number(years_ago(40)))])
        answer = await h.gql(
            "query($id: ID!) { person(id: $id) { name befriending { relationships { since } } } }",
            {"id": gid(person)},
            token=token,
        )
        assert answer.get("data") is None
        assert "Cannot query field 'befriending' on type 'Person'" in answer["errors"][0]["message"]
        assert (
            await h.ok(
                "query($id: ID!) { person(id: $id) { name } }", {"id": gid(person)}, token=token
            )
        ) == {"person": {"name": "李建国"}}
        assert (await h.client.get("/healthz")).status_code == 200


def test_the_migration_branch_builds_exactly_the_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    dirs = {"befriending": bangfu_migrations()}
    migrate.upgrade(url, dirs)
    assert [d for d in migrate.check(url, dirs) if "befriending_" in repr(d)] == []
    migrate.downgrade(url, dirs, "befriending@base")
    assert "befriending_0001" not in migrate.current(url, dirs)
    migrate.upgrade(url, dirs)
    assert "befriending_0001" in migrate.current(url, dirs)


def test_core_never_imports_the_plugin() -> None:
    # Every module of Bangfu that serving the app loads (bangfu.testing builds the app),
    # under whichever top-level names Bangfu installs.
    import bangfu.testing

    sources = {
        Path(module.__file__)
        for name, module in list(sys.modules.items())
        if name.partition(".")[0] in {"bangfu", "core", "schema", "plugins", "migrations"}
        and getattr(module, "__file__", None)
    }
    assert Path(bangfu.testing.__file__) in sources
    for source in sources:
        assert "bangfu_befriending" not in source.read_text(encoding="utf-8"), source


ROSTER_HEADERS = ["户主身份证号", "身份证号", "姓名", "与户主关系", "结对帮扶组织", "结对日期"]


def befriending_roster(w: World, organisation: str = "妇联") -> bytes:
    """The registered household as registered, each member befriended since 2024-09-01."""
    head = w.h.id_number_of(w.parent)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(ROSTER_HEADERS)
    sheet.append([head, head, "李建国", "户主", organisation, "2024-09-01"])
    sheet.append([head, w.h.id_number_of(w.child), "李小梅", "子女", organisation, "2024-09-01"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def import_roster(w: World, token: str, content: bytes) -> Any:
    return await w.h.client.post(
        "/import/roster",
        content=content,
        headers={"Content-Type": XLSX, "Authorization": f"Bearer {token}"},
    )


async def relationships(w: World) -> list[tuple[int, str, str, dt.date]]:
    async with w.h.session() as session:
        rows = await session.execute(
            select(Relationship.person_id, User.username, Organisation.code, Relationship.since)
            .join(User, User.id == Relationship.volunteer_id)
            .join(Organisation, Organisation.id == Relationship.organisation_id)
            .order_by(Relationship.person_id)
        )
        return [(p, u, o, s) for p, u, o, s in rows]


async def test_a_womens_federation_member_imports_the_befriending_of_registered_persons(
    world: World,
) -> None:
    w = world
    content = befriending_roster(w)
    response = await import_roster(w, w.womens, content)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["committed"] and report["problems"] == []
    assert report["counts"]["befriending"] == {"CREATED": 2, "UPDATED": 0, "UNCHANGED": 0}
    assert report["counts"]["persons"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 2}
    since = dt.date(2024, 9, 1)
    expected = sorted(
        (person.id, "wf", "141000-womens-federation", since) for person in (w.parent, w.child)
    )
    assert await relationships(w) == expected
    again = await import_roster(w, w.womens, content)
    assert again.status_code == 200, again.text
    assert again.json()["counts"]["befriending"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 2}
    assert again.json()["counts"]["rows"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 2}
    assert await relationships(w) == expected


async def test_a_befriending_roster_imported_by_anyone_else_is_refused_row_by_row(
    world: World, tmp_path: Path
) -> None:
    w = world
    content = befriending_roster(w)
    # A civil-affairs officer may write persons, but not befriending: each row refused.
    response = await import_roster(w, w.civil_affairs, content)
    assert response.status_code == 422, response.text
    assert {(p["row"], p["column"], p["reason"]) for p in response.json()["problems"]} == {
        (
            row,
            "befriending_organisation",
            "your account may not fill the columns of befriending (permission "
            "befriending:write): ask your county's administrator for it, or clear these columns",
        )
        for row in (2, 3)
    }
    # A trade-union member holds befriending:write, but is no member of a 妇联: the
    # plugin refuses each row when it writes; nothing is written, nothing crashes.
    refusal = (
        "only a member of a 妇联 (women's federation) imports its befriending (the importing "
        "user becomes the volunteer): you are not one; let a member of that organisation "
        "import this row"
    )
    response = await import_roster(w, w.union, content)
    assert response.status_code == 422, response.text
    report = response.json()
    assert report["failure"] is None and not report["committed"]
    assert {(p["row"], p["column"], p["reason"]) for p in report["problems"]} == {
        (2, "befriending_organisation", refusal),
        (3, "befriending_organisation", refusal),
    }
    # The command line imports as the system, which belongs to no organisation.
    path = tmp_path / "roster.xlsx"
    path.write_bytes(content)
    job = RosterImport(
        w.h.services.sessions, SYSTEM, w.h.cipher, w.h.host.roster_columns, lambda _a: True
    )
    cli = await job.run(path, dry_run=False)
    assert cli.failure is None and not cli.committed
    assert [(p.row, p.reason) for p in cli.problems] == [(2, refusal), (3, refusal)]
    assert await relationships(w) == []
