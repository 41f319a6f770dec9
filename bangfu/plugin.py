"""The public API for Bangfu plugins: import what a plugin uses from here, and only here.

``bangfu.plugin`` is to Bangfu's internals what ``pytest`` is to ``_pytest``: the modules
behind it (``core``, ``schema``) may move and change; these names stay. A plugin, its
tests (with :mod:`bangfu.testing`) and the guide import nothing else of Bangfu. The
guide, ``docs/plugins/api.md``, describes each name; this is the short reference.

Versioning: the names of ``__all__`` are versioned with the hook contract
(:data:`HOOK_CONTRACT`, ``MAJOR.MINOR``). Removing a name or changing it incompatibly
raises the major version; adding one raises the minor version. ``tests/test_public_api.py``
keeps the exact list and says so when it changes.

Hooks and the plugin's identity
    :data:`hookimpl` marks a hook implementation (a function without it is ignored);
    :class:`PluginInfo` is what ``bangfu_plugin_info`` returns; :class:`DemoUser` what
    ``bangfu_demo_users`` returns (a plugin's demo logins, contract 2.1); :data:`HOOK_CONTRACT` is
    the version of the hooks and of this API; :class:`PluginError` is what the host
    raises for a plugin it refuses.

Core models a plugin may read (SQLAlchemy, area-scoped: a session sees the actor's area)
    :class:`Person` (``id``, ``name``, ``birth_date``, ``sex``, ``region_code``,
    ``area_path``, ``deceased`` — True once the death is recorded, the row stays —,
    ``guardian_id``, ``disability_category``/``disability_grade``, ``is_key_person``),
    :class:`Household` (``id``, ``region_code``, ``area_path``, ``address``,
    ``is_key_household``), :class:`Membership` (``household_id``, ``person_id``,
    ``relation``, ``start_date``, ``end_date`` — ``None`` while current —), and
    :class:`CategoryAssignment` (``person_id``, ``category``, ``valid_from``, ``valid_to``
    — both days included; ``None`` while open —, ``certifying_organisation_id``,
    ``monthly_allowance``, ``end_reason``); :class:`Category`, :class:`Relation`,
    :class:`Region`, :class:`Organisation` and :class:`OrganisationKind`; :class:`User`
    (a login: ``username``, ``organisation_id``, ``roles``); :class:`Pairing` (a
    person's paired official: ``person_id``, ``official_id``, ``start_date``,
    ``end_date``);
    :class:`AuditEvent` (the audit trail). :func:`active_hardship_persons` selects the
    ids of persons holding a category on a day.

Declaring tables
    :class:`Base` (every model maps on it), the scope mixins :class:`PersonScoped`,
    :class:`HouseholdScoped`, :class:`AreaPathScoped` and :class:`GlobalModel`;
    :func:`path_within` (a path column within a region's path), :func:`utcnow`;
    ``migrate`` (the migration tooling: ``upgrade``, ``revision``, ``check``).

Actions and access rules
    :class:`Action`, :func:`plugin_actions` (the three actions of a domain plugin; its
    ``writers`` give the write action to other roles, e.g. civil-affairs officers),
    :class:`Role`, :class:`Actor`, :class:`ActorKind`, :data:`SYSTEM`; the field rules
    :func:`requires`, :func:`person_data`, :func:`public`, and :class:`Allowed` (a
    Strawberry permission for one action).

GraphQL types and helpers
    :data:`PersonType` and :data:`HouseholdType` (the composed ``Person`` and
    ``Household``, for a plugin type's field that returns one: declare the plugin's types
    at module level and annotate with these), :class:`MembershipType` (core's
    ``Membership``), :class:`PersonConnection`, :class:`PersonEdge`,
    :class:`HouseholdConnection`, :class:`HouseholdEdge` (their pages) and :class:`Page`
    (the fields every connection shares, the base of a plugin's own ``XConnection``);
    :class:`OrganisationType` (core's ``Organisation``); :func:`decode_id` and
    :func:`to_global_id` (Relay global IDs), :func:`check_first` (the ``first`` limit of
    a page), :func:`paginate` (a keyset page of a statement); :func:`graphql_enum` (an
    enum with a description for each value, contract 2.5).

Fast fields
    :func:`prefetchable` and :func:`direct` mark plain resolvers; :func:`ready` and
    :func:`then` read a DataLoader without awaiting when the value is already loaded;
    :func:`by_key` and :func:`grouped` build the batch functions of a plugin's loaders.
    For compiled execution, :func:`sql_model` (a type's rows) and the field metadata
    :func:`sql_value`, :func:`sql_global_id` (an ``id``), :func:`sql_one`, :func:`sql_many`
    and :func:`sql_same_row` give a
    field its SQL form (``bangfu.schema.sql_forms``); :data:`SQL_TODAY`, :data:`SQL_YEAR`
    and :data:`SQL_MONTH_DAY` are today in such a form.

Mutations and errors
    :func:`run_mutation` runs a mutation's work in one audited write transaction and
    answers with its payload: what the work returned, or, when it raised a
    :class:`DomainError` (every :class:`FieldError`; everything rolled back), the errors
    as the payload's own error type; :class:`ErrorCode` (every code, core's and the
    plugins', e.g. ``NOT_FOUND``, ``FUTURE_DATE``); :class:`Error` is the interface every
    payload error type implements and :class:`CoreError` core's own;
    :func:`reachable_organisation` and :func:`reachable_user` (contract 2.5) load the
    organisation or user a write names, refused like an unknown one when it is out of
    the writer's reach (another county's), and :func:`reaches` is that rule for a
    region's path; :func:`text_problems` checks a text's presence and length,
    :func:`length_errors` a text against its column's length; :func:`audit_event`
    records an audit row and :class:`Outcome` is its outcome.

Scan costs
    Every argument of a connection (each field of its ``filter`` input) declares what it
    reads, as field ``metadata``: :data:`INDEXED`, :data:`NARROWS` (a region code, also as
    the :data:`RegionCode` argument type), :data:`SCANS`, :data:`JUDGES`, or
    :func:`scan_cost`; the query limits price a document by them. :data:`SEARCH` marks a
    filter matched with ``LIKE`` (bounded by ``BANGFU_MAX_SEARCH_LENGTH``).

Roster columns, the bottom line and the assessment
    :class:`RosterColumns`, :class:`RosterColumn`, :class:`RosterTarget`,
    :class:`Change`, :class:`RosterValueError`, :class:`RosterWriteContext`,
    :class:`RosterSubject`, :class:`RosterBatch`; :class:`Finding`, :class:`Indicator`,
    :class:`Status`; :class:`IndicatorScore`, :class:`AssessmentItem`, :class:`Unit`,
    :class:`UnitKind`, :class:`AssessmentPeriod`.

Care events and notifications
    :class:`CareEventRaised` (what ``host.raise_care_event`` takes and ``bangfu_care_event``
    receives) and :class:`CareEventKind`; :func:`notify_responsible` (contract 2.6) tells
    a person's paired official (else the county's civil-affairs office) of a record of the
    plugin, once, in the write's transaction. A plugin's notification channel (contract
    2.7, the hook ``bangfu_notification_channels``) is a :class:`NotificationChannel`: the
    worker hands it each :class:`OutgoingNotification`, and it raises
    :class:`ChannelError` (or anything) when it did not take one.

Days
    :func:`today` (today in Asia/Shanghai) and :func:`age_on` (whole years on a day).

Messages in the users' language
    :class:`Messages` (contract 2.4): a plugin's own gettext catalog, read in the
    request's language (Chinese by default, English on request) like Bangfu's.
"""

from bangfu.core import migrate
from bangfu.core.assessment.types import (
    AssessmentItem,
    AssessmentPeriod,
    IndicatorScore,
    Unit,
    UnitKind,
)
from bangfu.core.bottomline import Finding, Indicator, Status
from bangfu.core.calendar import age_on, today
from bangfu.core.care.common import active_hardship_persons
from bangfu.core.care.events import CareEventKind, CareEventRaised
from bangfu.core.care.models import Pairing
from bangfu.core.db import Base, path_within, utcnow
from bangfu.core.errors import DomainError, ErrorCode, FieldError, text_problems
from bangfu.core.hookspecs import HOOK_CONTRACT
from bangfu.core.i18n import Messages
from bangfu.core.notify.channels import ChannelError, NotificationChannel, OutgoingNotification
from bangfu.core.notify.service import notify_responsible
from bangfu.core.plugins import DemoUser, PluginError, PluginInfo, hookimpl
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Household,
    Membership,
    Organisation,
    OrganisationKind,
    Person,
    Region,
    Relation,
)
from bangfu.core.registry.scoping import AreaPathScoped, GlobalModel, HouseholdScoped, PersonScoped
from bangfu.core.roster.columns import (
    Change,
    RosterBatch,
    RosterColumn,
    RosterColumns,
    RosterSubject,
    RosterTarget,
    RosterValueError,
    RosterWriteContext,
)
from bangfu.core.security import SYSTEM, Actor, ActorKind, Role
from bangfu.core.security.audit import Outcome
from bangfu.core.security.models import AuditEvent, User
from bangfu.core.security.permissions import Action, plugin_actions
from bangfu.core.security.references import reachable_organisation, reachable_user, reaches
from bangfu.core.text_limits import length_errors
from bangfu.schema.access import person_data, public
from bangfu.schema.audit import audit_event
from bangfu.schema.composed import (
    HouseholdConnection,
    HouseholdEdge,
    HouseholdType,
    PersonConnection,
    PersonEdge,
    PersonType,
)
from bangfu.schema.connections import After, Before, First, Last, Page, paginate
from bangfu.schema.core_types import Membership as MembershipType
from bangfu.schema.descriptions import graphql_enum
from bangfu.schema.errors import CoreError, Error
from bangfu.schema.input_limits import SEARCH
from bangfu.schema.loaders import by_key, grouped
from bangfu.schema.nodes import node_source
from bangfu.schema.permissions import Allowed, requires
from bangfu.schema.prefetch import direct, prefetchable, ready, then
from bangfu.schema.relay import Node, check_first, decode_id, to_global_id
from bangfu.schema.scan_cost import INDEXED, JUDGES, NARROWS, SCANS, RegionCode, scan_cost
from bangfu.schema.sql_forms import (
    SQL_MONTH_DAY,
    SQL_TODAY,
    SQL_YEAR,
    sql_global_id,
    sql_many,
    sql_model,
    sql_one,
    sql_same_row,
    sql_value,
)
from bangfu.schema.transactions import run_mutation
from bangfu.schema.types import Organisation as OrganisationType

__all__ = [
    "HOOK_CONTRACT",
    "INDEXED",
    "JUDGES",
    "NARROWS",
    "SCANS",
    "SEARCH",
    "SQL_MONTH_DAY",
    "SQL_TODAY",
    "SQL_YEAR",
    "SYSTEM",
    "Action",
    "Actor",
    "ActorKind",
    "After",
    "Allowed",
    "AreaPathScoped",
    "AssessmentItem",
    "AssessmentPeriod",
    "AuditEvent",
    "Base",
    "Before",
    "CareEventKind",
    "CareEventRaised",
    "Category",
    "CategoryAssignment",
    "Change",
    "ChannelError",
    "CoreError",
    "DemoUser",
    "DomainError",
    "Error",
    "ErrorCode",
    "FieldError",
    "Finding",
    "First",
    "GlobalModel",
    "Household",
    "HouseholdConnection",
    "HouseholdEdge",
    "HouseholdScoped",
    "HouseholdType",
    "Indicator",
    "IndicatorScore",
    "Last",
    "Membership",
    "MembershipType",
    "Messages",
    "Node",
    "NotificationChannel",
    "Organisation",
    "OrganisationKind",
    "OrganisationType",
    "Outcome",
    "OutgoingNotification",
    "Page",
    "Pairing",
    "Person",
    "PersonConnection",
    "PersonEdge",
    "PersonScoped",
    "PersonType",
    "PluginError",
    "PluginInfo",
    "Region",
    "RegionCode",
    "Relation",
    "Role",
    "RosterBatch",
    "RosterColumn",
    "RosterColumns",
    "RosterSubject",
    "RosterTarget",
    "RosterValueError",
    "RosterWriteContext",
    "Status",
    "Unit",
    "UnitKind",
    "User",
    "active_hardship_persons",
    "age_on",
    "audit_event",
    "by_key",
    "check_first",
    "decode_id",
    "direct",
    "graphql_enum",
    "grouped",
    "hookimpl",
    "length_errors",
    "migrate",
    "node_source",
    "notify_responsible",
    "paginate",
    "path_within",
    "person_data",
    "plugin_actions",
    "prefetchable",
    "public",
    "reachable_organisation",
    "reachable_user",
    "reaches",
    "ready",
    "requires",
    "run_mutation",
    "scan_cost",
    "sql_global_id",
    "sql_many",
    "sql_model",
    "sql_one",
    "sql_same_row",
    "sql_value",
    "text_problems",
    "then",
    "to_global_id",
    "today",
    "utcnow",
]
