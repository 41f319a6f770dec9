"""The plugin host: a plugin-manager factory and a typed facade over its hooks.

The manager is built by :func:`get_plugin_manager` (never a module global), so tests
choose their plugin set. :class:`PluginHost` validates what plugins return once, at
start, and is what the rest of the code calls instead of untyped ``pm.hook.x(...)``.
"""

import dataclasses
import datetime as dt
import enum
import importlib.metadata
import inspect
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core import hookspecs
from bangfu.core.assessment.types import AssessmentPeriod, IndicatorScore
from bangfu.core.bottomline import Finding
from bangfu.core.care.care_events import record_event
from bangfu.core.care.events import CareEventRaised
from bangfu.core.config import Settings
from bangfu.core.db import Base
from bangfu.core.errors import ErrorCode
from bangfu.core.hookspecs import HOOK_CONTRACT
from bangfu.core.i18n import _
from bangfu.core.notify.channels import NotificationChannel, check_channels
from bangfu.core.roster.columns import KEY_PATTERN, RosterColumns
from bangfu.core.roster.headers import CORE_COLUMNS
from bangfu.core.security.actor import Actor, Role
from bangfu.core.security.permissions import CORE_ACTIONS, Action, client_vote, decide

hookimpl = pluggy.HookimplMarker("bangfu")
ENTRY_POINT_GROUP = "bangfu.plugins"
CORE_NAME = "core"


class PluginError(RuntimeError):
    """A plugin breaks the contract; the service refuses to start."""


def _current_major() -> str:
    major = Version(HOOK_CONTRACT).major
    return f">={major}.0,<{major + 1}"


@dataclasses.dataclass(frozen=True)
class PluginInfo:
    """What ``bangfu_plugin_info`` returns.

    ``contract`` is a PEP 440 specifier of the hook-contract versions
    (``bangfu.core.hookspecs.HOOK_CONTRACT``) the plugin works with; it defaults to the current
    major version. ``package`` is the distribution to upgrade when it does not match.
    """

    name: str
    title: str
    version: str
    owners: tuple[str, ...] = ()
    description: str = ""
    contract: str = dataclasses.field(default_factory=_current_major)
    package: str | None = None
    #: The version of the plugin's bottom-line rules (``bangfu_bottom_line``); the
    #: plugin's ``version`` when None. A change makes ``bangfu bottomline refresh`` judge
    #: the stored verdicts again.
    rules_version: str | None = None


def _contract_error(exc: pluggy.PluginValidationError, name: str | None) -> str:
    """The refusal of a plugin whose hooks do not match the contract, with what to change
    for a known incompatible change."""
    if "core_types" in str(exc):
        # Translators: {error} is pluggy's own (English) message.
        return _(
            "plugin {name} does not match the hook contract: {error}\n(hook contract 2.0 "
            "removed core_types: declare the types at module level, refer to Person and "
            "Household through bangfu.plugin.PersonType and HouseholdType, and return them "
            "from a hook without arguments)",
            name=name or "?",
            error=exc,
        )
    if name is None:
        return _("a plugin does not match the hook contract: {error}", error=exc)
    return _("plugin {name} does not match the hook contract: {error}", name=name, error=exc)


class DemoUser(NamedTuple):
    """A demo login (``bangfu demo``, ``bangfu serve --demo``): core's own, and what
    ``bangfu_demo_users`` returns.

    Created with the demo password and ``is_demo`` (it logs in only in demo mode).
    ``organisation_code`` names a reference organisation (``141000-womens-federation``);
    ``region_code`` is the user's area, by default the organisation's own region. ``roles``
    are roles a user may hold (not ``PARTNER_CLIENT``).
    """

    username: str
    display_name: str
    roles: tuple[Role, ...]
    organisation_code: str
    region_code: str | None = None


def check_contract(info: PluginInfo, offered: str = HOOK_CONTRACT) -> None:
    """Refuse a plugin whose declared contract versions do not admit ``offered``."""
    try:
        supported = SpecifierSet(info.contract)
    except InvalidSpecifier as exc:
        raise PluginError(
            _(
                "plugin {name}: contract {contract} is not a version specifier such as '>=1.0,<2'",
                name=info.name,
                contract=repr(info.contract),
            )
        ) from exc
    if Version(offered) in supported:
        return
    lower_bounds = [Version(s.version) for s in supported if s.operator in (">=", ">", "~=")]
    values = {
        "name": info.name,
        "version": info.version,
        "contract": info.contract,
        "offered": offered,
    }
    if lower_bounds and Version(offered) < max(lower_bounds):
        message = _(
            "plugin {name} {version} supports hook contract {contract}, but this Bangfu offers "
            "{offered}: upgrade Bangfu to a release whose hook contract is in {contract}",
            **values,
        )
    elif info.package:
        message = _(
            "plugin {name} {version} supports hook contract {contract}, but this Bangfu offers "
            "{offered}: upgrade {package} to a release that supports hook contract {offered}",
            package=info.package,
            **values,
        )
    else:
        message = _(
            "plugin {name} {version} supports hook contract {contract}, but this Bangfu offers "
            "{offered}: upgrade the package of plugin {name} to a release that supports hook "
            "contract {offered}",
            **values,
        )
    raise PluginError(message)


class _CorePlugin:
    """Core's own contributions, registered like any plugin."""

    @hookimpl
    def bangfu_register_actions(self) -> Sequence[Action]:
        return CORE_ACTIONS

    @hookimpl
    def bangfu_error_codes(self) -> Sequence[type[enum.Enum]]:
        return [ErrorCode]

    @hookimpl
    async def bangfu_bottom_line_affected(
        self, rows: Sequence[Any], session: AsyncSession
    ) -> set[int]:
        """Core's rules read a household's allowances, members and adults, and a ward's
        guardian: a change of a person or a category reaches them."""
        from bangfu.core.bottomline.stored import core_affected

        return await core_affected(rows, session)

    @hookimpl
    async def bangfu_care_event(self, session: AsyncSession, event: CareEventRaised) -> None:
        """Record a care event a module raised, with its deadline (core/care)."""
        if not isinstance(session, AsyncSession):
            return  # no database to record into (the hook's plumbing called on its own)
        await record_event(session, event, Settings())


def builtin_plugin_names() -> list[str]:
    """The entry-point names of the plugins shipped in Bangfu itself (``plugins/*``).

    The committed ``schema.graphql`` is printed from these alone, so a department's
    plugin installed beside Bangfu does not change it.
    """
    return sorted(
        ep.name
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        if ep.value.startswith("bangfu.plugins.")
    )


def installed_plugin_names() -> list[str]:
    """The entry-point names of every installed plugin, built-in or not, enabled or not."""
    return sorted({ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})


def get_plugin_manager(
    *,
    entry_points: bool | Iterable[str] = True,
    plugins: Sequence[object] = (),
    settings: Settings | None = None,
) -> pluggy.PluginManager:
    """Build a plugin manager with core, the entry-point plugins and ``plugins``.

    :param entry_points: True loads the enabled ``bangfu.plugins`` entry points (the setting
        ``BANGFU_PLUGINS``, ``Settings.plugins``: every installed one when unset), False none,
        a collection of names only those, whatever the setting (the built-ins are entry
        points too).
    :param plugins: extra plugin objects (modules or instances), e.g. defined in a test.
    :param settings: whose ``plugins`` to read when ``entry_points`` is True (default: the
        environment's).
    :raises PluginError: a name (given, or in the setting) that no installed plugin has.
    """
    pm = pluggy.PluginManager("bangfu")
    pm.add_hookspecs(hookspecs)
    pm.register(_CorePlugin(), name=CORE_NAME)
    if entry_points is not False:
        found = {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
        if entry_points is True:
            enabled = (settings or Settings()).enabled_plugins
            wanted = None if enabled is None else set(enabled)
            if wanted is not None and (missing := wanted - set(found)):
                raise PluginError(
                    _(
                        "BANGFU_PLUGINS enables {missing}, but no such plugin is installed "
                        "(installed: {found}): correct the name or install its package",
                        missing=", ".join(sorted(missing)),
                        found=", ".join(sorted(found)) or "-",
                    )
                )
        else:
            wanted = set(entry_points)
            if missing := wanted - set(found):
                raise PluginError(
                    _(
                        "no installed plugin named {missing} (entry points in {group}: {found})",
                        missing=", ".join(sorted(missing)),
                        group=repr(ENTRY_POINT_GROUP),
                        found=", ".join(sorted(found)) or "-",
                    )
                )
        for name, ep in sorted(found.items()):
            if wanted is None or name in wanted:
                try:
                    pm.register(ep.load(), name=name)
                except pluggy.PluginValidationError as exc:
                    raise PluginError(_contract_error(exc, name)) from exc
    try:
        for plugin in plugins:
            pm.register(plugin)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(_contract_error(exc, None)) from exc
    for hook_name in SYNC_HOOKS:
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if inspect.iscoroutinefunction(impl.function):
                raise PluginError(
                    _(
                        "plugin {plugin_name}: {hook_name} must not be async (it is not awaited)",
                        plugin_name=impl.plugin_name,
                        hook_name=hook_name,
                    )
                )
    return pm


def _call_each(
    pm: pluggy.PluginManager, hook_name: str, **kwargs: Any
) -> Iterator[tuple[str, Any]]:
    """Call one hook's implementations one by one, keeping who returned what.

    A generator: each implementation is called only when the caller asks for
    its result, so an async hook's coroutine is awaited before the next one is
    created, and an exception stops the later implementations from running.
    """
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        # Like pluggy, pass only the arguments the implementation declares.
        yield impl.plugin_name, impl.function(**{a: kwargs[a] for a in impl.argnames})


# Hooks the host calls without awaiting: an ``async def`` implementation would never run.
SYNC_HOOKS = (
    "bangfu_plugin_info",
    "bangfu_register_models",
    "bangfu_migrations",
    "bangfu_register_actions",
    "bangfu_permission_allowed",
    "bangfu_graphql_type_extensions",
    "bangfu_graphql_query_types",
    "bangfu_graphql_mutation_types",
    "bangfu_graphql_context",
    "bangfu_roster_columns",
    "bangfu_error_codes",
    "bangfu_demo_users",
    "bangfu_notification_channels",
)

# An error code is an upper-snake-case GraphQL enum value.
CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")


class PluginHost:
    """The validated view of the loaded plugins that the rest of the service uses."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self.plugins: dict[str, PluginInfo] = {}
        self._name_of: dict[str, str] = {CORE_NAME: CORE_NAME}
        for registered, info in _call_each(pm, "bangfu_plugin_info"):
            if not isinstance(info, PluginInfo):
                raise PluginError(
                    _(
                        "plugin {registered}: bangfu_plugin_info must return PluginInfo",
                        registered=registered,
                    )
                )
            if info.name in self.plugins or info.name == CORE_NAME:
                raise PluginError(_("two plugins are named {name}", name=repr(info.name)))
            if not info.name.isidentifier() or not info.name.islower():
                raise PluginError(
                    _("plugin name {name} must be a lower-case identifier", name=repr(info.name))
                )
            check_contract(info)
            self.plugins[info.name] = info
            self._name_of[registered] = info.name
        for plugin_name, _plugin in pm.list_name_plugin():
            if plugin_name not in self._name_of:
                raise PluginError(
                    _(
                        "plugin {plugin_name} does not implement bangfu_plugin_info",
                        plugin_name=plugin_name,
                    )
                )
        self.models = self._collect_models()
        self.actions = self._collect_actions()
        self.roster_columns = self._collect_roster_columns()
        self.error_codes = self._collect_error_codes()
        self.notification_channels = self._collect_notification_channels()

    def plugin_of(self, registered_name: str) -> str:
        return self._name_of[registered_name]

    def _collect_models(self) -> list[type[Any]]:
        models: list[type[Any]] = []
        for registered, classes in _call_each(self.pm, "bangfu_register_models"):
            plugin = self.plugin_of(registered)
            for cls in classes:
                table = getattr(cls, "__table__", None)
                if table is None or table.metadata is not Base.metadata:
                    raise PluginError(
                        _(
                            "plugin {plugin}: model {model} is not mapped on bangfu.core.db.Base",
                            plugin=plugin,
                            model=cls.__qualname__,
                        )
                    )
                if not table.name.startswith(f"{plugin}_"):
                    raise PluginError(
                        _(
                            "plugin {plugin}: table {name} must be named {plugin}_...",
                            plugin=plugin,
                            name=repr(table.name),
                        )
                    )
                if getattr(cls, "__area_scope__", None) is None:
                    raise PluginError(
                        _(
                            "plugin {plugin}: model {model} declares no area scope (inherit "
                            "PersonScoped, HouseholdScoped, AreaPathScoped or GlobalModel)",
                            plugin=plugin,
                            model=cls.__qualname__,
                        )
                    )
                models.append(cls)
        return models

    def _collect_actions(self) -> dict[str, Action]:
        declared = [
            (self.plugin_of(registered), action)
            for registered, actions in _call_each(self.pm, "bangfu_register_actions")
            for action in actions
        ]
        owner: dict[str, str] = {}
        for plugin, action in declared:
            if action.name in owner:
                raise PluginError(
                    _(
                        "action {name} is defined twice ({first} and {plugin})",
                        name=repr(action.name),
                        first=owner[action.name],
                        plugin=plugin,
                    )
                )
            owner[action.name] = plugin
        for plugin, action in declared:
            if plugin != CORE_NAME and not action.name.startswith(f"{plugin}:"):
                raise PluginError(
                    _(
                        "plugin {plugin}: action {name} must start {plugin}:",
                        plugin=plugin,
                        name=repr(action.name),
                    )
                )
        return {action.name: action for _plugin, action in declared}

    def _collect_roster_columns(self) -> list[tuple[str, RosterColumns]]:
        """``(plugin, group)`` for every roster column group, keys and headers checked."""
        found: list[tuple[str, RosterColumns]] = []
        seen: dict[str, str] = {
            name: CORE_NAME
            for column in CORE_COLUMNS
            for name in (column.key, column.header_zh, *column.aliases)
        }
        for registered, groups in _call_each(self.pm, "bangfu_roster_columns"):
            plugin = self.plugin_of(registered)
            for group in groups:
                if not isinstance(group, RosterColumns):
                    raise PluginError(
                        _(
                            "plugin {plugin}: bangfu_roster_columns must return RosterColumns",
                            plugin=plugin,
                        )
                    )
                for column in group.columns:
                    if not (
                        KEY_PATTERN.fullmatch(column.key) and column.key.startswith(f"{plugin}_")
                    ):
                        raise PluginError(
                            _(
                                "plugin {plugin}: roster column {key} must be lower snake case "
                                "starting {plugin}_",
                                plugin=plugin,
                                key=repr(column.key),
                            )
                        )
                    for header in (column.key, column.header_zh):
                        if header in seen:
                            raise PluginError(
                                _(
                                    "roster header {header} is declared twice ({first} and "
                                    "{plugin})",
                                    header=repr(header),
                                    first=seen[header],
                                    plugin=plugin,
                                )
                            )
                        seen[header] = plugin
                found.append((plugin, group))
        return found

    def _collect_error_codes(self) -> dict[str, tuple[str, ...]]:
        """Every declared error code, with the modules that declare it (core first).

        A code declared by several modules is one code: the same failure, the same code.
        """
        declared: dict[str, list[str]] = {}
        for registered, enums in _call_each(self.pm, "bangfu_error_codes"):
            plugin = self.plugin_of(registered)
            for codes in enums:
                if not (isinstance(codes, type) and issubclass(codes, enum.Enum)):
                    raise PluginError(
                        _("plugin {plugin}: bangfu_error_codes must return enums", plugin=plugin)
                    )
                for member in codes:
                    if member.value != member.name or not CODE_PATTERN.fullmatch(member.name):
                        raise PluginError(
                            _(
                                "plugin {plugin}: error code {name} must be upper snake case with "
                                "its name as its value",
                                plugin=plugin,
                                name=repr(member.name),
                            )
                        )
                    owners = declared.setdefault(member.name, [])
                    if plugin not in owners:
                        owners.append(plugin)
        return {
            code: tuple(sorted(owners, key=lambda o: (o != CORE_NAME, o)))
            for code, owners in sorted(declared.items())
        }

    def _collect_notification_channels(self) -> dict[str, NotificationChannel]:
        """The plugins' notification channels by name, checked (``check_channels``)."""
        return check_channels(
            [
                (self.plugin_of(registered), channel)
                for registered, channels in _call_each(self.pm, "bangfu_notification_channels")
                for channel in channels
            ]
        )

    # -- permissions --------------------------------------------------------

    def allowed(self, actor: Actor, action: str, resource: object | None = None) -> bool:
        """Decide a permission with the veto rule over core's grant and every plugin's vote."""
        declared = self.actions.get(action)
        if declared is None:
            raise KeyError(f"unknown action {action!r}")
        votes: list[bool | None] = [True if declared.granted_to(actor) else None]
        votes.append(client_vote(actor, action))
        votes += self.pm.hook.bangfu_permission_allowed(
            actor=actor, action=action, resource=resource
        )
        return decide(votes)

    # -- GraphQL ------------------------------------------------------------

    def type_extensions(self) -> list[tuple[str, str, type]]:
        """``(plugin, core type name, mixin)`` for every mixin plugins contribute."""
        found = []
        for registered, mapping in _call_each(self.pm, "bangfu_graphql_type_extensions"):
            for type_name, mixins in mapping.items():
                for mixin in mixins:
                    found.append((self.plugin_of(registered), type_name, mixin))
        return found

    def query_types(self) -> list[tuple[str, type]]:
        return [
            (self.plugin_of(registered), cls)
            for registered, classes in _call_each(self.pm, "bangfu_graphql_query_types")
            for cls in classes
        ]

    def mutation_types(self) -> list[tuple[str, type]]:
        return [
            (self.plugin_of(registered), cls)
            for registered, classes in _call_each(self.pm, "bangfu_graphql_mutation_types")
            for cls in classes
        ]

    def extend_context(self, context: Any) -> None:
        self.pm.hook.bangfu_graphql_context(context=context)

    # -- data and migrations -----------------------------------------------

    async def demo_data(
        self, session: AsyncSession, households: Sequence[Any], rng: random.Random
    ) -> None:
        for _registered, result in _call_each(
            self.pm, "bangfu_demo_data", session=session, households=households, rng=rng
        ):
            if inspect.isawaitable(result):
                await result

    def demo_users(self) -> list[tuple[str, DemoUser]]:
        """``(plugin, user)`` for every demo login the plugins add (``bangfu_demo_users``).

        Called only when demo users are created or listed. A user name must start with the
        plugin's name; ``bangfu.demo.create_demo_users`` checks the rest.
        """
        found: list[tuple[str, DemoUser]] = []
        for registered, users in _call_each(self.pm, "bangfu_demo_users"):
            plugin = self.plugin_of(registered)
            for user in users:
                if not isinstance(user, DemoUser):
                    raise PluginError(
                        _("plugin {plugin}: bangfu_demo_users must return DemoUser", plugin=plugin)
                    )
                if not user.username.startswith(plugin):
                    raise PluginError(
                        _(
                            "plugin {plugin}: demo user {username} must start with {plugin}",
                            plugin=plugin,
                            username=repr(user.username),
                        )
                    )
                found.append((plugin, user))
        return found

    async def raise_care_event(self, session: AsyncSession, event: CareEventRaised) -> None:
        """Hand a care event to every ``bangfu_care_event`` implementation, in ``session``."""
        for _registered, result in _call_each(
            self.pm, "bangfu_care_event", session=session, event=event
        ):
            if inspect.isawaitable(result):
                await result

    async def bottom_line(
        self, persons: Sequence[Any], session: AsyncSession, as_of: dt.date
    ) -> list[Finding]:
        """Every plugin's findings for a page of persons (one call per plugin)."""
        findings: list[Finding] = []
        for registered, result in _call_each(
            self.pm, "bangfu_bottom_line", persons=persons, session=session, as_of=as_of
        ):
            found = await result if inspect.isawaitable(result) else result
            module = self.plugin_of(registered)
            findings += [f if f.module else dataclasses.replace(f, module=module) for f in found]
        return findings

    async def bottom_line_affected(self, rows: Sequence[Any], session: AsyncSession) -> set[int]:
        """Every module's further persons affected by ``rows`` (one call per module)."""
        found: set[int] = set()
        for _registered, result in _call_each(
            self.pm, "bangfu_bottom_line_affected", rows=rows, session=session
        ):
            ids = await result if inspect.isawaitable(result) else result
            found.update(int(i) for i in ids or ())
        return found

    def rules_versions(self) -> dict[str, str]:
        """The bottom-line rules version of core and of every plugin."""
        from bangfu.core.bottomline.core_rules import RULES_VERSION

        versions = {CORE_NAME: RULES_VERSION}
        for name, info in self.plugins.items():
            versions[name] = info.rules_version or info.version
        return versions

    async def assessment_indicators(
        self, session: AsyncSession, period: AssessmentPeriod
    ) -> list[IndicatorScore]:
        """Every plugin's extra assessment indicators (one call per plugin).

        :raises PluginError: a score that is not an ``IndicatorScore`` or whose code
            does not start with ``<plugin>_``.
        """
        scores: list[IndicatorScore] = []
        for registered, result in _call_each(
            self.pm, "bangfu_assessment_indicators", session=session, period=period
        ):
            found = await result if inspect.isawaitable(result) else result
            plugin = self.plugin_of(registered)
            for score in found:
                if not isinstance(score, IndicatorScore):
                    raise PluginError(
                        _(
                            "plugin {plugin}: bangfu_assessment_indicators must return "
                            "IndicatorScore",
                            plugin=plugin,
                        )
                    )
                if plugin != CORE_NAME and not score.indicator.startswith(f"{plugin}_"):
                    raise PluginError(
                        _(
                            "plugin {plugin}: indicator {indicator} must start {plugin}_",
                            plugin=plugin,
                            indicator=repr(score.indicator),
                        )
                    )
                scores.append(score)
        return scores

    def migration_dirs(self) -> dict[str, Path]:
        dirs = {}
        for registered, folder in _call_each(self.pm, "bangfu_migrations"):
            if folder is None:
                continue
            path = Path(folder)
            if not path.is_dir():
                raise PluginError(
                    _(
                        "plugin {plugin}: no migrations folder {path}",
                        plugin=self.plugin_of(registered),
                        path=path,
                    )
                )
            dirs[self.plugin_of(registered)] = path
        return dirs
