"""The plugin host: plugins found through entry points, contributions checked at start."""

from pathlib import Path
from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from bangfu.core.plugins import PluginError, PluginHost, PluginInfo, get_plugin_manager, hookimpl
from bangfu.core.roster.columns import Change, RosterColumn, RosterColumns, RosterTarget
from bangfu.core.security import Role
from bangfu.core.security.permissions import Action
from bangfu.schema.access import MissingAccessRuleError, public
from bangfu.schema.build import build_schema
from bangfu.schema.core_types import SchemaCompositionError
from bangfu.schema.permissions import requires
from bangfu.testing import Harness
from tests.helpers import create_household, make_world

pytestmark = pytest.mark.anyio


def plugin(name: str, **hooks: Any) -> object:
    """A plugin object defined in the test, with ``bangfu_plugin_info`` and ``hooks``."""

    class TestPlugin:
        @hookimpl
        def bangfu_plugin_info(self) -> PluginInfo:
            return PluginInfo(name=name, title=f"Test plugin {name}", version="0.0.1")

    for hook_name, function in hooks.items():
        setattr(TestPlugin, hook_name, hookimpl(staticmethod(function)))
    return TestPlugin()


@strawberry.type
class Greeting:
    @strawberry.field(
        description="A field added by a plugin defined in a test.",
        extensions=requires("registry:read"),
    )
    def greeting(self, info: Info) -> str | None:
        return f"你好, {self.name}"  # type: ignore[attr-defined]


def test_builtin_plugins_are_entry_points() -> None:
    host = PluginHost(get_plugin_manager())
    assert set(host.plugins) == {"education", "medical", "housing", "employment"}
    assert {
        "education:write",
        "medical:write",
        "housing:write",
        "employment:write",
        "registry:write",
    } <= set(host.actions)


def test_choosing_plugins_and_unknown_plugin() -> None:
    host = PluginHost(get_plugin_manager(entry_points=["education"]))
    assert set(host.plugins) == {"education"}
    schema = build_schema(host).as_str()
    assert "education: EducationOnPerson" in schema
    assert "medical: MedicalOnPerson" not in schema
    with pytest.raises(PluginError, match="no installed plugin named welfare"):
        get_plugin_manager(entry_points=["welfare"])


async def test_a_plugin_defined_in_a_test_adds_a_field_to_person(tmp_path: Path) -> None:
    extra = plugin("greeter", bangfu_graphql_type_extensions=lambda: {"Person": [Greeting]})
    async with Harness.start(tmp_path, plugins=False, extra_plugins=[extra]) as h:
        world = await make_world(h)
        await create_household(h, world.xiangfen)
        data = await h.ok("{ persons(first: 1) { nodes { name greeting } } }", token=world.xiangfen)
        assert data["persons"]["nodes"] == [{"name": "王建国", "greeting": "你好, 王建国"}]
        plugins = await h.ok("{ plugins { name version } }")
        assert plugins["plugins"] == [{"name": "greeter", "version": "0.0.1"}]


@strawberry.type
class NameClash:
    @strawberry.field
    def name(self) -> str | None:
        return "clash"


@strawberry.type
class EducationClash:
    @strawberry.field(name="education")
    def other_education(self) -> str | None:
        return "clash"


@strawberry.type
class NotNullable:
    @strawberry.field
    def must_have(self) -> str:
        return "x"


@pytest.mark.parametrize(
    "mixin, message",
    [
        (NameClash, "field Person.name is defined by both core and clash"),
        (
            EducationClash,
            "field Person.education is defined by both (education and clash|clash and education)",
        ),
        (NotNullable, "field Person.mustHave must be nullable"),
    ],
)
def test_field_collisions_are_refused_at_start(mixin: type, message: str, tmp_path: Path) -> None:
    from bangfu.app import create_app
    from bangfu.core.config import Settings

    extra = plugin("clash", bangfu_graphql_type_extensions=lambda: {"Person": [mixin]})
    host = PluginHost(get_plugin_manager(entry_points=["education"], plugins=[extra]))
    with pytest.raises(SchemaCompositionError, match=message):
        create_app(Settings(secret_key_file=tmp_path / "k.key"), plugins=host)


def test_root_fields_must_carry_the_plugin_prefix() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def persons_extra(self) -> int:
            return 1

    extra = plugin("clash", bangfu_graphql_query_types=lambda: [Query])
    with pytest.raises(SchemaCompositionError, match="must start with 'clash'"):
        build_schema(PluginHost(get_plugin_manager(entry_points=False, plugins=[extra])))


def test_duplicate_actions_are_refused() -> None:
    twice = plugin(
        "dupe",
        bangfu_register_actions=lambda: [Action("dupe:x", "x", frozenset({Role.SUPERVISOR}))] * 2,
    )
    with pytest.raises(PluginError, match="action 'dupe:x' is defined twice"):
        PluginHost(get_plugin_manager(entry_points=False, plugins=[twice]))
    foreign = plugin(
        "dupe", bangfu_register_actions=lambda: [Action("education:write", "x", frozenset())]
    )
    with pytest.raises(PluginError, match="is defined twice"):
        PluginHost(get_plugin_manager(entry_points=["education"], plugins=[foreign]))
    unprefixed = plugin(
        "dupe", bangfu_register_actions=lambda: [Action("other:x", "x", frozenset())]
    )
    with pytest.raises(PluginError, match="must start dupe:"):
        PluginHost(get_plugin_manager(entry_points=False, plugins=[unprefixed]))


def test_misspelled_hook_is_refused() -> None:
    class Typo:
        @hookimpl
        def bangfu_plugin_inof(self) -> None:  # a typo: no such hook
            return None

    with pytest.raises(PluginError, match="bangfu_plugin_inof"):
        get_plugin_manager(entry_points=False, plugins=[Typo()])


def test_plugin_without_info_is_refused() -> None:
    class Anonymous:
        @hookimpl
        def bangfu_register_actions(self) -> list[Action]:
            return []

    with pytest.raises(PluginError, match="does not implement bangfu_plugin_info"):
        PluginHost(get_plugin_manager(entry_points=False, plugins=[Anonymous()]))


def test_models_must_be_on_core_metadata_with_the_plugin_prefix() -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    from bangfu.core.db import Base

    class Elsewhere:  # a table on another MetaData
        __table__ = Table("bad_elsewhere", MetaData(), Column("id", Integer, primary_key=True))
        __area_scope__ = "global"

    class Unprefixed:  # on core's MetaData, without the plugin's prefix
        __table__ = Table("test_unprefixed", Base.metadata, Column("id", Integer, primary_key=True))
        __area_scope__ = "global"

    class Unscoped:
        __table__ = Table("bad_unscoped", Base.metadata, Column("id", Integer, primary_key=True))

    def host_with(model: type) -> PluginHost:
        bad = plugin("bad", bangfu_register_models=lambda: [model])
        return PluginHost(get_plugin_manager(entry_points=False, plugins=[bad]))

    try:
        with pytest.raises(PluginError, match=r"is not mapped on bangfu\.core\.db\.Base"):
            host_with(Elsewhere)
        with pytest.raises(PluginError, match="table 'test_unprefixed' must be named bad_"):
            host_with(Unprefixed)
        with pytest.raises(PluginError, match="declares no area scope"):
            host_with(Unscoped)
    finally:
        Base.metadata.remove(Unprefixed.__table__)
        Base.metadata.remove(Unscoped.__table__)


def test_plugin_votes_can_veto_a_permission() -> None:
    from bangfu.core.security.actor import Actor, ActorKind

    veto = plugin(
        "veto",
        bangfu_permission_allowed=lambda actor, action, resource: (
            False if action == "registry:write" else None
        ),
    )
    host = PluginHost(get_plugin_manager(entry_points=False, plugins=[veto]))
    admin = Actor(
        kind=ActorKind.USER,
        name="a",
        area_path="141000/",
        roles=frozenset({Role.CITY_ADMINISTRATOR}),
    )
    assert host.allowed(admin, "registry:read") is True
    assert host.allowed(admin, "registry:write") is False
    supervisor = Actor(
        kind=ActorKind.USER, name="s", area_path="141000/", roles=frozenset({Role.SUPERVISOR})
    )
    assert host.allowed(supervisor, "category:write") is False


def test_plugins_command_lists_what_is_loaded(capsys: pytest.CaptureFixture[str]) -> None:
    from bangfu.cli import main

    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    for name in ("education", "medical", "housing", "employment"):
        assert name in out
    assert "education:write" in out


def test_a_contract_1_hook_taking_core_types_is_refused_with_the_reason() -> None:
    """Contract 2.0 removed ``core_types`` from the GraphQL hooks (types are declared at
    module level and refer to Person and Household lazily): an old implementation that
    still takes it stops the service at start, naming the hook and the argument."""

    @strawberry.type
    class Query:
        @strawberry.field(extensions=public())
        def oldstyle_ping(self) -> int:
            return 1

    old = plugin("oldstyle", bangfu_graphql_query_types=lambda core_types: [Query])
    with pytest.raises(
        PluginError, match=r"(?s)bangfu_graphql_query_types.*core_types.*contract 2.0 removed"
    ):
        get_plugin_manager(entry_points=False, plugins=[old])


def test_async_implementations_of_sync_hooks_are_refused() -> None:
    async def vote(actor: Any, action: str, resource: Any) -> bool:
        return False

    with pytest.raises(PluginError, match="bangfu_permission_allowed must not be async"):
        get_plugin_manager(
            entry_points=False, plugins=[plugin("slow", bangfu_permission_allowed=vote)]
        )


def test_wrong_hook_arguments_are_a_plugin_error() -> None:
    class Wrong:
        @hookimpl
        def bangfu_permission_allowed(self, actor: Any, verb: str) -> None:  # no such argument
            return None

    with pytest.raises(PluginError, match="does not match the hook contract"):
        get_plugin_manager(entry_points=False, plugins=[Wrong()])


def test_a_field_without_an_access_rule_stops_the_service() -> None:
    @strawberry.type
    class Unguarded:
        @strawberry.field
        def secret(self) -> str | None:
            return "everyone would see this"

    @strawberry.type
    class Query:
        @strawberry.field
        def unguarded_count(self) -> int:
            return 1

    on_person = plugin("unguarded", bangfu_graphql_type_extensions=lambda: {"Person": [Unguarded]})
    with pytest.raises(MissingAccessRuleError, match=r"Person\.secret \(plugin unguarded\)"):
        build_schema(PluginHost(get_plugin_manager(entry_points=False, plugins=[on_person])))
    at_root = plugin("unguarded", bangfu_graphql_query_types=lambda: [Query])
    with pytest.raises(MissingAccessRuleError, match=r"Query\.unguarded_count"):
        build_schema(PluginHost(get_plugin_manager(entry_points=False, plugins=[at_root])))


async def test_care_events_reach_every_listener() -> None:
    import datetime as dt

    from bangfu.core.care.events import CareEventKind, CareEventRaised

    heard: list[tuple[object, CareEventRaised]] = []

    async def listener(session: Any, event: CareEventRaised) -> None:
        heard.append((session, event))

    host = PluginHost(
        get_plugin_manager(entry_points=False, plugins=[plugin("ear", bangfu_care_event=listener)])
    )
    event = CareEventRaised(
        person_id=7,
        kind=CareEventKind.SCHOOL_DROPOUT,
        occurred_on=dt.date(2026, 11, 2),
        raised_by="education",
    )
    session = object()
    await host.raise_care_event(session, event)  # type: ignore[arg-type]
    assert heard == [(session, event)]


async def test_bottom_line_findings_are_collected_once_per_page_with_their_module() -> None:
    import datetime as dt

    from bangfu.core.bottomline import Finding, Indicator, Status

    calls: list[int] = []

    def judge(persons: Any, session: Any, as_of: dt.date) -> list[Finding]:
        calls.append(len(persons))
        return [Finding(p, Indicator.SCHOOL, Status.OK) for p in persons]

    async def judge_async(persons: Any, session: Any, as_of: dt.date) -> list[Finding]:
        return [
            Finding(p, Indicator.WORK, Status.AT_RISK, ("no work for 120 days",)) for p in persons
        ]

    host = PluginHost(
        get_plugin_manager(
            entry_points=False,
            plugins=[
                plugin("school", bangfu_bottom_line=judge),
                plugin("work", bangfu_bottom_line=judge_async),
            ],
        )
    )
    findings = await host.bottom_line([1, 2, 3], session=None, as_of=dt.date(2026, 11, 28))  # type: ignore[arg-type]
    assert calls == [3]
    assert {(f.person_id, f.indicator, f.status, f.module) for f in findings} == {
        *((p, Indicator.SCHOOL, Status.OK, "school") for p in (1, 2, 3)),
        *((p, Indicator.WORK, Status.AT_RISK, "work") for p in (1, 2, 3)),
    }


async def test_assessment_indicators_are_collected_and_their_codes_checked() -> None:
    import datetime as dt

    from bangfu.core.assessment import (
        AssessmentItem,
        AssessmentPeriod,
        IndicatorScore,
        Unit,
        UnitKind,
    )

    unit = Unit(UnitKind.ORGANISATION, "ORG-1", "Women's federation")
    items = (AssessmentItem("child 1", True, 1), AssessmentItem("child 2", False, 2, "120 days"))

    async def indicators(session: Any, period: AssessmentPeriod) -> list[IndicatorScore]:
        return [IndicatorScore(f"friends_contact_{period.year}", "Contacted", unit, items)]

    period = AssessmentPeriod(
        2026, "141000", "141000", dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2026, 11, 28)
    )
    host = PluginHost(
        get_plugin_manager(
            entry_points=False, plugins=[plugin("friends", bangfu_assessment_indicators=indicators)]
        )
    )
    [score] = await host.assessment_indicators(None, period)  # type: ignore[arg-type]
    assert (score.indicator, score.numerator, score.denominator, score.ratio) == (
        "friends_contact_2026",
        1,
        2,
        0.5,
    )

    def unprefixed(session: Any, period: AssessmentPeriod) -> list[IndicatorScore]:
        return [IndicatorScore("contact", "Contacted", unit, items)]

    bad = PluginHost(
        get_plugin_manager(
            entry_points=False, plugins=[plugin("friends", bangfu_assessment_indicators=unprefixed)]
        )
    )
    with pytest.raises(PluginError, match="indicator 'contact' must start friends_"):
        await bad.assessment_indicators(None, period)  # type: ignore[arg-type]


def test_roster_columns_need_the_plugin_prefix_and_unique_headers() -> None:
    async def write(*_args: object) -> Change:
        return Change.UNCHANGED

    def group(*columns: tuple[str, str]) -> list[RosterColumns]:
        return [
            RosterColumns(
                RosterTarget.PERSON, tuple(RosterColumn(k, zh, str) for k, zh in columns), write
            )
        ]

    good = plugin("probe", bangfu_roster_columns=lambda: group(("probe_note", "备注")))
    host = PluginHost(get_plugin_manager(entry_points=False, plugins=[good]))
    assert [(name, g.columns[0].key) for name, g in host.roster_columns] == [
        ("probe", "probe_note")
    ]
    for columns, message in (
        ((("note", "备注"),), "must be lower snake case starting probe_"),
        ((("probe_Note", "备注"),), "must be lower snake case starting probe_"),
        ((("probe_a", "备注"), ("probe_b", "备注")), "'备注' is declared twice"),
        ((("probe_name", "姓名"),), "'姓名' is declared twice \\(core and probe\\)"),
    ):
        bad = plugin("probe", bangfu_roster_columns=lambda columns=columns: group(*columns))
        with pytest.raises(PluginError, match=message):
            PluginHost(get_plugin_manager(entry_points=False, plugins=[bad]))
    not_columns = plugin("probe", bangfu_roster_columns=lambda: [("probe_x", "x")])
    with pytest.raises(PluginError, match="must return RosterColumns"):
        PluginHost(get_plugin_manager(entry_points=False, plugins=[not_columns]))
