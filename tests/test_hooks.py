"""One test per hook of ``core/hookspecs.py``, named ``test_hook_<hook>``.

``tests/test_hook_docs.py`` fails when a hook has no such test (Datasette's rule), so a new
hook cannot land without one. Each test drives the hook through what a user or an operator
sees: the GraphQL answer, the loaded host, the command's output.
"""

import datetime as dt
import enum
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from packaging.specifiers import SpecifierSet
from sqlalchemy import select
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from bangfu.cli import print_demo_logins
from bangfu.core.assessment.types import (
    AssessmentItem,
    AssessmentPeriod,
    IndicatorScore,
    Unit,
    UnitKind,
)
from bangfu.core.bottomline import Finding, Indicator, Status
from bangfu.core.care.events import CareEventKind, CareEventRaised
from bangfu.core.errors import ErrorCode
from bangfu.core.hookspecs import HOOK_CONTRACT
from bangfu.core.plugins import (
    DemoUser,
    PluginError,
    PluginHost,
    PluginInfo,
    get_plugin_manager,
    hookimpl,
)
from bangfu.core.roster.columns import (
    Change,
    RosterColumn,
    RosterColumns,
    RosterTarget,
    RosterValueError,
)
from bangfu.core.security import Role
from bangfu.core.security.actor import Actor, ActorKind
from bangfu.core.security.models import User
from bangfu.core.security.permissions import Action
from bangfu.demo import DEMO_PASSWORD, DEMO_USERS, all_demo_users, create_demo_users, load_demo
from bangfu.schema.build import build_schema
from bangfu.schema.errors import CoreError, Error
from bangfu.schema.permissions import requires
from bangfu.testing import Harness, RecordingChannel

pytestmark = pytest.mark.anyio


def plugin(name: str, info: dict[str, Any] | None = None, **hooks: Any) -> object:
    """A plugin object defined in the test: ``bangfu_plugin_info`` plus ``hooks``."""

    class TestPlugin:
        @hookimpl
        def bangfu_plugin_info(self) -> PluginInfo:
            return PluginInfo(
                name=name, title=f"Test plugin {name}", version="0.0.1", **(info or {})
            )

    for hook_name, function in hooks.items():
        setattr(TestPlugin, hook_name, hookimpl(staticmethod(function)))
    return TestPlugin()


def host_of(*plugins: object, entry_points: Any = False) -> PluginHost:
    return PluginHost(get_plugin_manager(entry_points=entry_points, plugins=plugins))


OFFICER = Actor(
    kind=ActorKind.USER,
    name="o",
    area_path="141000/",
    roles=frozenset({Role.DEPARTMENT_OFFICER}),
    department="hooktest",
)


async def test_hook_bangfu_plugin_info(tmp_path: Path) -> None:
    declared = plugin("hooktest", {"owners": ("TRADE_UNION",), "contract": ">=2.0,<3"})
    async with Harness.start(tmp_path, plugins=False, extra_plugins=[declared]) as h:
        data = await h.ok("{ plugins { name title version } }")
    assert data["plugins"] == [
        {"name": "hooktest", "title": "Test plugin hooktest", "version": "0.0.1"}
    ]
    with pytest.raises(PluginError, match="must be a lower-case identifier"):
        host_of(plugin("Hook-Test"))


def test_hook_bangfu_register_models() -> None:
    host = host_of(entry_points=["education"])
    tables = {model.__table__.name for model in host.models}
    assert tables == {"education_enrolment", "education_aid"}
    assert all(model.__area_scope__ == "person" for model in host.models)
    assert host_of(plugin("hooktest")).models == []


def test_hook_bangfu_migrations(tmp_path: Path) -> None:
    folder = tmp_path / "versions"
    folder.mkdir()
    assert host_of(plugin("hooktest", bangfu_migrations=lambda: folder)).migration_dirs() == {
        "hooktest": folder
    }
    assert host_of(plugin("hooktest", bangfu_migrations=lambda: None)).migration_dirs() == {}
    missing = host_of(plugin("hooktest", bangfu_migrations=lambda: tmp_path / "absent"))
    with pytest.raises(PluginError, match="plugin hooktest: no migrations folder"):
        missing.migration_dirs()


def test_hook_bangfu_register_actions() -> None:
    action = Action(
        "hooktest:write", "Write", frozenset({Role.DEPARTMENT_OFFICER}), department="hooktest"
    )
    host = host_of(plugin("hooktest", bangfu_register_actions=lambda: [action]))
    assert host.actions["hooktest:write"] is action
    assert host.allowed(OFFICER, "hooktest:write") is True
    other_department = Actor(**{**OFFICER.__dict__, "department": "education"})
    assert host.allowed(other_department, "hooktest:write") is False


def test_hook_bangfu_permission_allowed() -> None:
    seen: list[tuple[str, object]] = []

    def vote(actor: Actor, action: str, resource: object | None) -> bool | None:
        seen.append((action, resource))
        if action == "registry:read" and resource == "closed file":
            return False
        return True if action == "registry:write" and actor.department == "hooktest" else None

    host = host_of(plugin("hooktest", bangfu_permission_allowed=vote))
    assert host.allowed(OFFICER, "registry:read") is True
    assert host.allowed(OFFICER, "registry:read", "closed file") is False  # a veto
    assert host.allowed(OFFICER, "registry:write") is True  # a grant core does not give
    assert ("registry:read", "closed file") in seen


@strawberry.type
class HookTestOnPerson:
    @strawberry.field(extensions=requires("registry:read"))
    def hooktest_initial(self) -> str | None:
        return self.name[:1]  # type: ignore[attr-defined]


def test_hook_bangfu_graphql_type_extensions() -> None:
    extension = plugin(
        "hooktest", bangfu_graphql_type_extensions=lambda: {"Person": [HookTestOnPerson]}
    )
    sdl = build_schema(host_of(extension)).as_str()
    person = sdl[sdl.index("type Person implements Node") :]
    assert "hooktestInitial: String\n" in person[: person.index("}")]
    assert "hooktestInitial" not in build_schema(host_of(plugin("hooktest"))).as_str()


@strawberry.type
class HookTestQuery:
    @strawberry.field(extensions=requires("registry:read"))
    def hooktest_echo(self, word: str) -> str:
        return word * 2

    @strawberry.field(extensions=requires("registry:read"))
    async def hooktest_squares(self, info: Info, numbers: list[int]) -> list[int]:
        return await info.context.loaders["hooktest_square"].load_many(numbers)  # type: ignore[no-any-return]


@strawberry.input
class HookTestCountInput:
    number: int


@strawberry.type
class HookTestCountPayload:
    number: int | None
    errors: list[CoreError]


@strawberry.type
class HookTestMutation:
    @strawberry.mutation(extensions=requires("registry:write"))
    def hooktest_count(self, input: HookTestCountInput) -> HookTestCountPayload:
        if input.number < 0:
            from bangfu.core.errors import ErrorCode

            return HookTestCountPayload(
                number=None,
                errors=[
                    CoreError(field="input.number", message="below 0", code=ErrorCode.INVALID_INPUT)
                ],
            )
        return HookTestCountPayload(number=input.number + 1, errors=[])


async def test_hook_bangfu_graphql_query_types(tmp_path: Path) -> None:
    extra = plugin("hooktest", bangfu_graphql_query_types=lambda: [HookTestQuery])
    async with Harness.start(tmp_path, plugins=False, extra_plugins=[extra]) as h:
        token = await h.actor("officer", roles=[Role.SUPERVISOR])
        data = await h.ok('{ hooktestEcho(word: "好") }', token=token)
    assert data == {"hooktestEcho": "好好"}


async def test_hook_bangfu_graphql_mutation_types(tmp_path: Path) -> None:
    extra = plugin("hooktest", bangfu_graphql_mutation_types=lambda: [HookTestMutation])
    async with Harness.start(tmp_path, plugins=False, extra_plugins=[extra]) as h:
        token = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
        mutation = "mutation($n: Int!) { hooktestCount(input: {number: $n}) { number errors { field code } } }"
        assert (await h.ok(mutation, {"n": 1}, token=token))["hooktestCount"] == {
            "number": 2,
            "errors": [],
        }
        assert (await h.ok(mutation, {"n": -1}, token=token))["hooktestCount"] == {
            "number": None,
            "errors": [{"field": "input.number", "code": "INVALID_INPUT"}],
        }


class HookTestCode(enum.StrEnum):
    """The test plugin's codes: one shared with core (one code), one of its own."""

    INVALID_AMOUNT = "INVALID_AMOUNT"
    HOOKTEST_ODD = "HOOKTEST_ODD"


@strawberry.type
class HookTestError(Error):
    pass


@strawberry.type
class HookTestOddPayload:
    number: int | None
    errors: list[HookTestError]


@strawberry.type
class HookTestOddMutation:
    @strawberry.mutation(extensions=requires("registry:write"))
    def hooktest_even(self, input: HookTestCountInput) -> HookTestOddPayload:
        errors = []
        if input.number < 0:
            errors.append(
                HookTestError(field="input.number", message="<0", code=HookTestCode.INVALID_AMOUNT)
            )
        if input.number % 2:
            errors.append(
                HookTestError(field="input.number", message="odd", code=HookTestCode.HOOKTEST_ODD)
            )
        return HookTestOddPayload(number=None if errors else input.number, errors=errors)


async def test_hook_bangfu_error_codes(tmp_path: Path) -> None:
    extra = plugin(
        "hooktest",
        bangfu_error_codes=lambda: [HookTestCode],
        bangfu_graphql_mutation_types=lambda: [HookTestOddMutation],
    )
    async with Harness.start(tmp_path, plugins=False, extra_plugins=[extra]) as h:
        token = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
        mutation = """mutation($n: Int!) { hooktestEven(input: {number: $n}) {
          number errors { __typename field code } } }"""
        answer = (await h.ok(mutation, {"n": -3}, token=token))["hooktestEven"]
        codes = await h.ok(
            '{ __type(name: "ErrorCode") { enumValues { name description } } }', token=token
        )
        implementations = await h.ok(
            '{ __type(name: "Error") { kind possibleTypes { name } } }', token=token
        )
    assert answer == {
        "number": None,
        "errors": [
            {"__typename": "HookTestError", "field": "input.number", "code": "INVALID_AMOUNT"},
            {"__typename": "HookTestError", "field": "input.number", "code": "HOOKTEST_ODD"},
        ],
    }
    values = {v["name"]: v["description"] for v in codes["__type"]["enumValues"]}
    assert values["HOOKTEST_ODD"] == "declared by hooktest"
    # One code, two modules; core's codes say what they mean too.
    assert values["INVALID_AMOUNT"].endswith("(declared by core, hooktest)")
    assert values["INVALID_AMOUNT"].startswith("An amount of money")
    assert set(values) == {c.value for c in ErrorCode} | {"HOOKTEST_ODD"}
    assert implementations["__type"]["kind"] == "INTERFACE"
    assert {"CoreError", "HookTestError"} <= {
        t["name"] for t in implementations["__type"]["possibleTypes"]
    }


def test_bangfu_error_codes_are_upper_snake_case_named_by_their_value() -> None:
    class Lower(enum.StrEnum):
        odd = "odd"

    class Renamed(enum.StrEnum):
        ODD = "HOOKTEST_ODD"

    for codes in (Lower, Renamed):
        with pytest.raises(
            PluginError, match=r"plugin hooktest: error code .* must be upper snake"
        ):
            host_of(plugin("hooktest", bangfu_error_codes=lambda codes=codes: [codes]))
    with pytest.raises(PluginError, match="bangfu_error_codes must return enums"):
        host_of(plugin("hooktest", bangfu_error_codes=lambda: ["HOOKTEST_ODD"]))


async def test_hook_bangfu_graphql_context(tmp_path: Path) -> None:
    batches: list[list[int]] = []

    async def squares(keys: list[int]) -> list[int]:
        batches.append(list(keys))
        return [k * k for k in keys]

    def add_loaders(context: Any) -> None:
        context.loaders["hooktest_square"] = DataLoader(squares)

    extra = plugin(
        "hooktest",
        bangfu_graphql_query_types=lambda: [HookTestQuery],
        bangfu_graphql_context=add_loaders,
    )
    async with Harness.start(tmp_path, plugins=False, extra_plugins=[extra]) as h:
        token = await h.actor("officer", roles=[Role.SUPERVISOR])
        data = await h.ok(
            "{ a: hooktestSquares(numbers: [1, 2]) b: hooktestSquares(numbers: [3]) }", token=token
        )
        await h.ok("{ hooktestSquares(numbers: [4]) }", token=token)
    assert data == {"a": [1, 4], "b": [9]}
    assert batches == [[1, 2, 3], [4]]  # one batch per request, a new loader per request


async def test_hook_bangfu_demo_data() -> None:
    drawn: list[list[float]] = []

    async def demo(session: Any, households: Any, rng: random.Random) -> None:
        session.append(("rows for", len(households)))
        drawn.append([rng.random() for _ in range(3)])

    def plain(session: Any, households: Any, rng: random.Random) -> None:
        session.append("plain")

    host = host_of(
        plugin("hooktest", bangfu_demo_data=demo), plugin("other", bangfu_demo_data=plain)
    )
    written: list[Any] = []
    await host.demo_data(written, ["h1", "h2"], random.Random(7))  # type: ignore[arg-type]
    await host.demo_data([], ["h1"], random.Random(7))  # type: ignore[arg-type]
    assert sorted(map(str, written)) == ["('rows for', 2)", "plain"]
    assert drawn[0] == drawn[1]  # the same seed gives the same demo data


LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token errors { code } } }"
VOLUNTEER = DemoUser(
    "hooktest-volunteer",
    "市妇联志愿者",
    (Role.MASS_ORGANISATION_MEMBER,),
    "141000-womens-federation",
)


async def test_hook_bangfu_demo_users(
    tmp_path: Path, database_url: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plugin adds a demo login for its own work (a women's-federation volunteer, whom no
    core demo user stands for): made like core's, before the plugins' demo rows."""
    found: list[Any] = []

    async def demo_rows(session: Any, households: Any, rng: random.Random) -> None:
        found.append(await session.scalar(select(User).where(User.username == VOLUNTEER.username)))

    declared = plugin("hooktest", bangfu_demo_users=lambda: [VOLUNTEER], bangfu_demo_data=demo_rows)
    async with Harness.start(
        tmp_path,
        database_url=database_url,
        plugins=False,
        extra_plugins=[declared],
        settings={"demo": True},
    ) as h:
        async with h.session() as session, session.begin():
            users = await create_demo_users(session, h.host)
            again = await create_demo_users(session, h.host)  # idempotent
            await load_demo(session, h.cipher, h.host, households=3, seed=7)
        assert [u.id for u in again] == [u.id for u in users]
        assert [u.username for u in users] == [
            *(u.username for u in DEMO_USERS),
            "hooktest-volunteer",
        ]
        made = users[-1]
        assert (made.display_name, made.roles, made.region_code, made.is_demo) == (
            "市妇联志愿者",
            ["MASS_ORGANISATION_MEMBER"],
            "141000",  # the organisation's own region
            True,
        )
        assert made.password_hash == users[0].password_hash  # the demo password, like core's
        assert found == [made]  # there before the plugin's demo rows
        answer = await h.ok(LOGIN, {"u": "hooktest-volunteer", "p": DEMO_PASSWORD})
        assert answer["login"]["token"] and answer["login"]["errors"] == []

        refusals = {
            "unknown organisation 'nowhere'": VOLUNTEER._replace(
                username="hooktest-1", organisation_code="nowhere"
            ),
            "region 141023 lies outside": VOLUNTEER._replace(
                username="hooktest-2",
                organisation_code="141024-civil-affairs",
                region_code="141023",
            ),
            "PARTNER_CLIENT is for API clients": VOLUNTEER._replace(
                username="hooktest-3", roles=(Role.PARTNER_CLIENT,)
            ),
        }
        for message, user in refusals.items():
            host = host_of(plugin("hooktest", bangfu_demo_users=lambda user=user: [user]))
            with pytest.raises(
                PluginError, match=f"plugin hooktest: demo user '{user.username}': {message}"
            ):
                async with h.session() as session, session.begin():
                    await create_demo_users(session, host)

    print_demo_logins(host_of(declared))  # bangfu demo, bangfu serve --demo
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "hooktest" in line]
    assert line.split() == [
        "hooktest-volunteer",
        "MASS_ORGANISATION_MEMBER",
        "141000-womens-federation",
        "市妇联志愿者",
    ]

    with pytest.raises(PluginError, match="demo user 'volunteer' must start with hooktest"):
        renamed = VOLUNTEER._replace(username="volunteer")
        host_of(plugin("hooktest", bangfu_demo_users=lambda: [renamed])).demo_users()
    with pytest.raises(PluginError, match="bangfu_demo_users must return DemoUser"):
        host_of(plugin("hooktest", bangfu_demo_users=lambda: [("hooktest-x",)])).demo_users()
    twice = host_of(
        plugin("hooktest", bangfu_demo_users=lambda: [VOLUNTEER]),
        plugin("hook", bangfu_demo_users=lambda: [VOLUNTEER]),
    )
    with pytest.raises(
        PluginError, match=r"'hooktest-volunteer' is declared twice \(hook and hooktest\)"
    ):
        all_demo_users(twice)


async def test_hook_bangfu_care_event() -> None:
    heard: list[CareEventRaised] = []

    async def listener(session: Any, event: CareEventRaised) -> None:
        heard.append(event)

    host = host_of(plugin("hooktest", bangfu_care_event=listener))
    event = CareEventRaised(
        person_id=7,
        kind=CareEventKind.SCHOOL_DROPOUT,
        occurred_on=dt.date(2026, 11, 2),
        raised_by="hooktest",
    )
    await host.raise_care_event(object(), event)  # type: ignore[arg-type]
    assert heard == [event]


def test_hook_bangfu_notification_channels() -> None:
    """The host collects the plugins' channels by name and refuses one that breaks the
    contract; delivery itself is tests/test_notification_channels.py."""
    sms = RecordingChannel("sms-gateway", reasons={"ESCALATION"})
    host = host_of(plugin("hooktest", bangfu_notification_channels=lambda: [sms]))
    assert host.notification_channels == {"sms-gateway": sms}
    assert host_of(plugin("hooktest")).notification_channels == {}

    class Plain:
        name = "plain"

        def deliver(self, notification: Any) -> None:  # not async
            return None

    class OneReason:
        name = "one-reason"
        reasons = "ESCALATION"  # a string, not a set of them

        async def deliver(self, notification: Any) -> None:
            return None

    refusals = [
        ([Plain()], "needs a name and an async deliver"),
        ([RecordingChannel("SMS")], "must be lower-case letters, digits and -"),
        ([RecordingChannel("in-app")], "and not in-app"),
        ([RecordingChannel("a"), RecordingChannel("a")], "two notification channels are named"),
        ([OneReason()], "reasons must be a set"),
    ]
    for channels, message in refusals:
        with pytest.raises(PluginError, match=message):
            host_of(plugin("hooktest", bangfu_notification_channels=lambda c=channels: c))

    async def later() -> list[Any]:
        return [sms]

    with pytest.raises(PluginError, match="bangfu_notification_channels must not be async"):
        host_of(plugin("hooktest", bangfu_notification_channels=later))


async def test_hook_bangfu_bottom_line() -> None:
    def judge(persons: Any, session: Any, as_of: dt.date) -> list[Finding]:
        return [
            Finding(p.id, Indicator.FOOD, Status.AT_RISK, (f"no meal on {as_of}",)) for p in persons
        ]

    host = host_of(plugin("hooktest", bangfu_bottom_line=judge))
    person = SimpleNamespace(id=7)
    findings = await host.bottom_line([person], object(), dt.date(2026, 11, 2))  # type: ignore[arg-type]
    assert [(f.person_id, f.indicator, f.status, f.reasons, f.module) for f in findings] == [
        (7, Indicator.FOOD, Status.AT_RISK, ("no meal on 2026-11-02",), "hooktest")
    ]


async def test_hook_bangfu_bottom_line_affected(tmp_path: Path) -> None:
    """A plugin names further persons a write affects; they are judged in its commit."""
    from sqlalchemy import select

    from bangfu.core.bottomline.models import StoredVerdict
    from bangfu.core.idnumber import make
    from bangfu.core.registry.models import HukouType, Person

    seen: list[list[Any]] = []

    async def affected(rows: Any, session: Any) -> list[int]:
        seen.append(list(rows))
        renamed = [r for r in rows if isinstance(r, Person) and r.name == "改名"]
        if not renamed:
            return []
        return list(await session.scalars(select(Person.id).where(Person.name == "邻居")))

    unit = host_of(plugin("hooktest", bangfu_bottom_line_affected=lambda rows, session: [3, 4]))
    assert await unit.bottom_line_affected([object()], object()) == {3, 4}  # type: ignore[arg-type]

    test_plugin = plugin("hooktest", bangfu_bottom_line_affected=affected)
    async with Harness.start(tmp_path, plugins=False, extra_plugins=[test_plugin]) as h:
        _, (first,) = await h.household(
            "141023", [("HEAD", "甲", make("141023", dt.date(1980, 1, 1), 11))]
        )
        _, (neighbour,) = await h.household(
            "141024", [("HEAD", "邻居", make("141024", dt.date(1980, 1, 1), 13))]
        )
        async with h.session() as session:
            before = {
                row.person_id: row.judged_on for row in await session.scalars(select(StoredVerdict))
            }
        assert set(before) == {first.id, neighbour.id}
        async with h.session() as session, session.begin():
            await session.execute(
                StoredVerdict.__table__.delete().where(StoredVerdict.person_id == neighbour.id)
            )
            changed = await session.get_one(Person, first.id)
            changed.name = "改名"
            changed.hukou_type = HukouType.RURAL  # a name alone changes no verdict
        assert any(isinstance(r, Person) and r.id == first.id for r in seen[-1])
        async with h.session() as session:
            judged = set(await session.scalars(select(StoredVerdict.person_id)))
        assert judged == {first.id, neighbour.id}  # the neighbour's rows came back


def test_hook_bangfu_roster_columns() -> None:
    async def write(session: Any, context: Any, values: Any) -> Change:
        return Change.UNCHANGED

    def parse_count(cell: str) -> int:
        if not cell.isdigit():
            raise RosterValueError("visits must be a whole number")
        return int(cell)

    group = RosterColumns(
        target=RosterTarget.PERSON,
        columns=(RosterColumn("hooktest_visits", "走访次数", parse_count),),
        write=write,
    )
    host = host_of(plugin("hooktest", bangfu_roster_columns=lambda: [group]))
    assert host.roster_columns == [("hooktest", group)]
    assert host.roster_columns[0][1].columns[0].parse("3") == 3
    unprefixed = RosterColumns(
        target=RosterTarget.PERSON,
        columns=(RosterColumn("visits", "次数", parse_count),),
        write=write,
    )
    with pytest.raises(PluginError, match="roster column 'visits' must be lower snake case"):
        host_of(plugin("hooktest", bangfu_roster_columns=lambda: [unprefixed]))
    with pytest.raises(PluginError, match="roster header '走访次数' is declared twice"):
        host_of(
            plugin("hooktest", bangfu_roster_columns=lambda: [group]),
            plugin(
                "other",
                bangfu_roster_columns=lambda: [
                    RosterColumns(
                        target=RosterTarget.PERSON,
                        columns=(RosterColumn("other_visits", "走访次数", parse_count),),
                        write=write,
                    )
                ],
            ),
        )


async def test_hook_bangfu_assessment_indicators() -> None:
    period = AssessmentPeriod(
        year=2026,
        region_code="141023",
        region_path="141000/141023/",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        as_of=dt.date(2026, 11, 2),
    )
    unit = Unit(UnitKind.ORGANISATION, "141000-trade-union", "临汾市总工会")

    async def scores(session: Any, period: AssessmentPeriod) -> list[IndicatorScore]:
        items = (AssessmentItem("王小明", True), AssessmentItem("李小梅", False))
        return [IndicatorScore(f"hooktest_visits_{period.year}", "Visits", unit, items)]

    host = host_of(plugin("hooktest", bangfu_assessment_indicators=scores))
    [score] = await host.assessment_indicators(object(), period)  # type: ignore[arg-type]
    assert (score.indicator, score.numerator, score.denominator, score.ratio) == (
        "hooktest_visits_2026",
        1,
        2,
        0.5,
    )

    def foreign(session: Any, period: AssessmentPeriod) -> list[IndicatorScore]:
        return [IndicatorScore("visits", "Visits", unit)]

    with pytest.raises(PluginError, match="indicator 'visits' must start hooktest_"):
        await host_of(
            plugin("hooktest", bangfu_assessment_indicators=foreign)
        ).assessment_indicators(object(), period)  # type: ignore[arg-type]


# -- the contract version -------------------------------------------------------------


def test_a_plugin_for_another_contract_is_refused_with_what_to_upgrade() -> None:
    major = int(HOOK_CONTRACT.split(".")[0])
    old = plugin("oldie", {"contract": f">={major - 1}.0,<{major}", "package": "bangfu-oldie"})
    with pytest.raises(PluginError) as refused:
        host_of(old)
    message = str(refused.value)
    assert f"this Bangfu offers {HOOK_CONTRACT}" in message
    assert (
        f"upgrade bangfu-oldie to a release that supports hook contract {HOOK_CONTRACT}" in message
    )
    future = plugin("future", {"contract": f">={major + 1}.0"})
    with pytest.raises(PluginError, match=r"future .* upgrade Bangfu to a release"):
        host_of(future)
    with pytest.raises(PluginError, match="is not a version specifier"):
        host_of(plugin("garbled", {"contract": "one point oh"}))


def test_plugins_declare_the_contract_and_the_command_shows_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bangfu.cli import main

    host = host_of(plugin("hooktest"), entry_points=["education"])
    assert host.plugins["education"].contract == ">=2.0,<3"
    assert HOOK_CONTRACT in SpecifierSet(host.plugins["hooktest"].contract)  # the default
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert f"hook contract {HOOK_CONTRACT}" in out
    assert "supports contract >=2.0,<3" in out
