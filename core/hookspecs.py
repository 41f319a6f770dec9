"""The Bangfu plugin contract: every hook a plugin may implement.

Written in pytest's style: each hook is a typed, do-nothing function whose docstring says
when it is called, what it receives and what it returns. Plugins implement hooks with
``bangfu.core.plugins.hookimpl`` and are found through the ``bangfu.plugins`` entry-point group;
the four built-in domain plugins are registered the same way.

Hooks are always called with keyword arguments. A hook implementation may be ``async``
where its docstring says the host awaits it.
"""

import enum
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pluggy import HookspecMarker

if TYPE_CHECKING:
    import datetime as dt
    import random

    from sqlalchemy.ext.asyncio import AsyncSession

    from bangfu.core.assessment.types import AssessmentPeriod, IndicatorScore
    from bangfu.core.bottomline import Finding
    from bangfu.core.care.events import CareEventRaised
    from bangfu.core.notify.channels import NotificationChannel
    from bangfu.core.plugins import DemoUser, PluginInfo
    from bangfu.core.registry.models import Household, Person
    from bangfu.core.roster.columns import RosterColumns
    from bangfu.core.security.actor import Actor
    from bangfu.core.security.permissions import Action

hookspec = HookspecMarker("bangfu")

#: The version of this contract, ``MAJOR.MINOR``. A new hook or a new optional argument
#: raises the minor version; removing or changing a hook raises the major version. It
#: versions the public plugin API too (``bangfu.plugin.__all__``, ``bangfu.testing``):
#: a new name raises the minor version, a name removed or changed incompatibly the major. A
#: plugin declares the versions it supports in ``PluginInfo.contract`` (a PEP 440
#: specifier such as ``">=1.0,<2"``); the host refuses a plugin whose specifier does not
#: admit this version, saying what to upgrade.
HOOK_CONTRACT = "2.7"

# -------------------------------------------------------------------------
# Start-up: who the plugin is, its tables and its actions
# -------------------------------------------------------------------------


@hookspec
def bangfu_plugin_info() -> "PluginInfo":
    """Describe the plugin: its name, title, owning organisation kinds and version.

    Called once at start. Every plugin must implement it; the name is the prefix of the
    plugin's tables (``<name>_``), GraphQL root fields and actions (``<name>:...``).

    :returns: a :class:`bangfu.core.plugins.PluginInfo`.
    """


@hookspec
def bangfu_register_models() -> Sequence[type[Any]]:
    """Return the plugin's ORM model classes.

    Called once at start. Each class must be mapped on ``bangfu.core.db.Base`` (so one
    ``MetaData`` holds every table), its table named ``<plugin>_...``, and it must declare
    how it is area-scoped (``PersonScoped``, ``HouseholdScoped``, ``AreaPathScoped``) or
    that it is global (``GlobalModel``). Violations stop the service at start.

    :returns: a sequence of model classes.
    """


@hookspec
def bangfu_migrations() -> Path | None:
    """Return the folder of the plugin's Alembic migrations (its own version branch).

    Called by ``bangfu db upgrade`` and by the migration on ``bangfu serve`` (SQLite).
    The first revision in the folder has ``branch_labels = ("<plugin>",)`` and
    ``depends_on`` the core revision it builds on.

    :returns: an existing folder, or None for a plugin without tables.
    """


@hookspec
def bangfu_register_actions() -> Sequence["Action"]:
    """Return the permission actions the plugin defines, e.g. ``education:write``.

    Called once at start. Action names must start with ``<plugin>:``; an action name
    defined twice (by any two plugins, or by a plugin and core) stops the service.

    :returns: a sequence of :class:`bangfu.core.security.permissions.Action`.
    """


@hookspec
def bangfu_permission_allowed(actor: "Actor", action: str, resource: object | None) -> bool | None:
    """Vote on whether ``actor`` may perform ``action`` on ``resource``.

    Called on every permission check. The veto rule decides: any ``False`` denies, else
    any ``True`` allows, else the check is denied. Core votes ``True`` when one of the
    actor's roles is granted the action; return ``False`` to veto, ``None`` to abstain.

    :param actor: who asks.
    :param action: the action name, e.g. ``education:write``.
    :param resource: the object concerned (a Person, a Household, ...), or None.
    :returns: True, False or None.
    """


# -------------------------------------------------------------------------
# The GraphQL schema
# -------------------------------------------------------------------------


@hookspec
def bangfu_graphql_type_extensions() -> Mapping[str, Sequence[type]]:
    """Return mixins that add fields to the core types ``Person`` and ``Household``.

    Called once when the schema is built. Each mixin is a ``@strawberry.type`` class whose
    fields must be nullable (a denied field must not null the whole person). Its resolvers
    receive the core ORM row as ``root`` (declare them ``@staticmethod`` with ``root:
    Person`` or ``root: Household``, the models of :mod:`bangfu.plugin`). A field name used
    by core or another plugin stops the service at start.

    :returns: ``{"Person": [Mixin, ...], "Household": [...]}``.
    """


@hookspec
def bangfu_graphql_query_types() -> Sequence[type]:
    """Return Strawberry types whose fields are merged into ``Query``.

    Called once when the schema is built. Root field names must start with the plugin's
    name (``educationEnrolments``). The types are declared at module level; where they
    refer to ``Person`` or ``Household`` they do so through ``bangfu.plugin.PersonType`` and
    ``HouseholdType`` (and the connections ``PersonConnection``, ``HouseholdConnection``),
    which every schema resolves to the types it composed. (Contract 1.x passed
    ``core_types`` here; 2.0 removed it.)

    :returns: a sequence of ``@strawberry.type`` classes.
    """


@hookspec
def bangfu_graphql_mutation_types() -> Sequence[type]:
    """Return Strawberry types whose fields are merged into ``Mutation``.

    Same rules as :func:`bangfu_graphql_query_types`; mutation names are noun first and
    prefixed with the plugin's name (``educationEnrolmentRecord``), and return a payload
    with ``errors`` (run them with ``bangfu.plugin.run_mutation``).

    :returns: a sequence of ``@strawberry.type`` classes.
    """


@hookspec
def bangfu_error_codes() -> Sequence[type[enum.Enum]]:
    """Declare the error codes the plugin's mutations put in payload ``errors``.

    Called once at start. The GraphQL enum ``ErrorCode`` (the ``code`` of the ``Error``
    interface every payload error implements) is composed from core's codes and every
    plugin's. A code is an upper-snake-case member whose value is its name; a name that
    core or another plugin declares too is the same code (the same failure has the same
    code everywhere), so prefer core's generic codes (``REQUIRED``, ``TOO_LONG``,
    ``INVALID_AMOUNT``, ``FUTURE_DATE``, ``INVALID_DATE_RANGE``, ``DUPLICATE``, ``OVERLAP``,
    ``NOT_FOUND`` ...) and add a code only for a failure no other code names.

    :returns: a sequence of enum classes (normally one ``enum.StrEnum``).
    """


@hookspec
def bangfu_graphql_context(context: Any) -> None:
    """Add the plugin's per-request DataLoaders to the request context.

    Called once per GraphQL request, when it first asks for a loader (a request that
    loads nothing, such as a compiled page or a count, never calls it). Register loaders with
    ``context.loaders[<name>] = DataLoader(...)`` (names prefixed with the plugin's name).

    :param context: the request's :class:`bangfu.schema.context.Context`.
    """


# -------------------------------------------------------------------------
# Data
# -------------------------------------------------------------------------


@hookspec
async def bangfu_demo_data(
    session: "AsyncSession", households: Sequence["Household"], rng: "random.Random"
) -> None:
    """Add the plugin's own demo rows for the demo households.

    Called (and awaited) by ``bangfu demo`` after core demo data is written, inside the
    same transaction, as the system actor. Use ``rng`` only, so demo data is reproducible.

    :param session: the demo transaction's session.
    :param households: the demo households, with ``members`` loaded as a list attribute
        ``demo_members`` of ``(Person, Relation)`` pairs.
    :param rng: the seeded random generator.
    """


@hookspec
def bangfu_demo_users() -> Sequence["DemoUser"]:
    """Return demo logins for the plugin's own work, beside core's nine (contract 2.1).

    Called by ``bangfu demo`` and ``bangfu serve --demo`` when they create the demo users
    (before the demo rows, so ``bangfu_demo_data`` finds them) and list them; never
    outside demo mode. Each user is created once, like core's demo users: with the demo
    password, ``is_demo`` (it logs in only in demo mode). The user name must start with
    the plugin's name; a user name another demo user has, an unknown organisation, a
    region outside the organisation's or a role a user cannot hold stops the command.
    Must not be async.

    :returns: a sequence of :class:`bangfu.plugin.DemoUser`.
    """


@hookspec
def bangfu_roster_columns() -> Sequence["RosterColumns"]:
    """Return the groups of roster columns the plugin reads (and writes) in Excel/CSV rosters.

    Called once when the plugin host is built; the importer (``bangfu import roster``, the
    upload route) and ``bangfu import template`` use the result. Every column key must
    start with ``<plugin>_`` and be lower snake case; a key or Chinese header used twice
    (by any two plugins, or by a plugin and core) stops the service. Must not be async.

    Each cell is parsed (``RosterColumn.parse``) and each row checked
    (``RosterColumns.check``) for the whole file before anything is written; then
    ``RosterColumns.write`` is awaited per row inside the import's single transaction.

    :returns: a sequence of :class:`bangfu.core.roster.columns.RosterColumns`.
    """


# -------------------------------------------------------------------------
# The care work and the indicators
# -------------------------------------------------------------------------


@hookspec
async def bangfu_care_event(session: "AsyncSession", event: "CareEventRaised") -> None:
    """Receive a care event (五个关心) that a module raised.

    Called (and awaited) by ``PluginHost.raise_care_event`` in the raising module's
    transaction, so the event and what raised it are written or rolled back together.
    The care work records the event with its deadline; other plugins may listen too.

    :param session: the transaction of the write that raised the event.
    :param event: person, kind, day it happened, who raised it.
    """


@hookspec
def bangfu_notification_channels() -> Sequence["NotificationChannel"]:
    """Deliver notifications somewhere besides the recipient's list: an SMS gateway, a
    government messaging platform (contract 2.7).

    Return channel objects (:class:`bangfu.plugin.NotificationChannel`): each has a
    ``name`` (lower-case letters, digits and ``-``; unique, not ``in-app``), an optional
    ``reasons`` (the notification reasons it carries; every reason when absent or None)
    and ``async deliver(notification)``. Called once when the plugin host starts.

    The worker (``bangfu worker``, job ``notify.deliver``) hands every notification
    recorded to every channel that carries its reason, and awaits ``deliver`` with a
    :class:`bangfu.plugin.OutgoingNotification` (at most 10 seconds per attempt), never
    inside a request. ``deliver`` returns when the channel took the notification; it raises
    when it did not: :class:`bangfu.plugin.ChannelError` with a message for the log
    (``retry=False`` gives the delivery up at once), any other exception by its class
    name. A failed delivery is retried (30 seconds, doubling, up to 6 hours) and given up
    after 12 attempts; ``bangfu notification log`` shows each attempt. Delivery is at
    least once: the notification's ``delivery_id`` is the same on every attempt.

    :returns: a sequence of channels.
    """


@hookspec
async def bangfu_bottom_line(
    persons: Sequence["Person"], session: "AsyncSession", as_of: "dt.date"
) -> Sequence["Finding"]:
    """Judge the indicators the plugin owns for a page of persons (R3).

    Called once per page of persons, never once per person: load what you need for all
    of them in a constant number of statements. Return a finding per person and
    indicator you decide (``OK``, ``AT_RISK`` with reasons, ``NOT_APPLICABLE``); an
    indicator nobody decides stays ``UNKNOWN``. May be ``async``.

    :param persons: the persons (ORM rows), all in the caller's area.
    :param session: a read session scoped to the caller.
    :param as_of: the day to judge (Asia/Shanghai).
    :returns: a sequence of :class:`bangfu.core.bottomline.Finding`.
    """


@hookspec
async def bangfu_bottom_line_affected(
    rows: Sequence[Any], session: "AsyncSession"
) -> Iterable[int]:
    """Name the persons whose bottom line a write's rows may change, beyond their own.

    The stored verdicts are judged again before every write commits, for the persons of
    the rows the write flushed: a person-scoped row's person, every member of a
    household-scoped row's household. Implement this hook when a change of your rows
    affects other persons too (everyone in a household, a guardian's wards). Return
    nothing for rows that are not yours. May be ``async``; called once per transaction,
    inside it, as the system actor.

    :param rows: the ORM rows created, changed or deleted in the transaction (created and
        changed rows as they are now, deleted ones as they were).
    :param session: the write's session (its transaction, unscoped while the hook runs).
    :returns: person IDs to judge again (any iterable; unknown IDs are ignored).
    """


@hookspec
async def bangfu_assessment_indicators(
    session: "AsyncSession", period: "AssessmentPeriod"
) -> Sequence["IndicatorScore"]:
    """Contribute the plugin's own indicators to the annual assessment (年度目标考核, R9).

    Called (and awaited) once per assessment: by the ``assessment`` query and by
    ``bangfu report assessment``. Compute every unit's figure in a constant number of
    statements (``GROUP BY``, or one query for the rows behind all units), never one
    query per unit or person. May also be a plain function.

    Each :class:`bangfu.core.assessment.IndicatorScore` is one indicator for one unit (a county
    ``REGION``, an ``ORGANISATION`` or a paired ``OFFICIAL``) with the items behind it:
    every item is in the denominator, the items that are ``met`` in the numerator. The
    indicator code must start with ``<plugin>_``; weights and thresholds are configured
    by that code, and an indicator without a configured weight is shown but not scored.

    :param session: a read session scoped to the caller's area.
    :param period: the year, the assessed region and its path, the first and last day of
        the year and the day judged (``as_of``).
    :returns: a sequence of :class:`bangfu.core.assessment.IndicatorScore`.
    """
