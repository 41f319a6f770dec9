"""Compiled execution: a root field becomes a plan of one or two SQL statements.

graphql-core executes a page of households field by field: about 25,000 Python calls
for 100 households with their members, each a resolver, a permission check and a
``complete_value``. A plan does the same work once per document: the selection set,
with its fragments, aliases and ``@skip``/``@include`` applied, is turned into a SQL
statement that builds the answer's JSON in the database (``bangfu.schema.compiled_sql``),
one document per node of the page. The documents go into the response as they are
(``orjson.Fragment``) unless a field must be finished in Python (an ID number is
decrypted and masked after the statement).

Security is not written a second time:

* area scoping and a paired official's limits are the ORM's loader criteria
  (``bangfu.core.security.scoping``), which apply to every entity of the statement,
  nested ones included, exactly as they do to the loaders of the ordinary path;
* field permissions are each field's own :class:`~bangfu.schema.permissions.Guard`: the
  planner asks core's permissions (``allows``) for the actor once, when it plans;
* a field the actor may not read — anyone's, or a child's under 14 — holds a marker in the
  document; Python nulls it and adds the ordinary path's error at its path and its
  ``denied`` audit row.

A plan answers only where it gives what the ordinary path would. A field of ``Person`` or
``Household`` without an SQL form (a plugin's that declares none, a diagnosis under the
medical plugin's own audited check) is resolved on the ordinary path for each object after
the statement, on the row the request's loader gives (in an operation of one root field:
see ``Planner.defer``). Anything else the plan cannot do —
a field without a form deeper down, an argument the ordinary path would refuse, a person
whose bottom line is not stored in full — runs that root field on the ordinary path
(``bangfu explain`` says which and why). ``BANGFU_COMPILED=false``
turns plans off; tests/test_compiled_differential.py keeps both paths identical.

The root fields planned are ``persons``, ``households``, ``person``, ``household`` and
``node`` (of a person or a household). Plans are kept per document, operation, root
field, the values of the variables that shape them (all but the root fields' own
arguments, which are bound when the plan runs) and permission profile (kind, roles,
scopes, department), in a bounded LRU cache; the actor's area is not part of the plan:
the loader criteria bind it when the statement runs.
"""

import asyncio
import collections
import dataclasses
import datetime as dt
import inspect
import re
import threading
import types
from collections.abc import Callable
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    Node,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values, get_directive_values
from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import aliased

from bangfu.core.bottomline import GOALS, Status
from bangfu.core.bottomline.evaluate import INDICATORS
from bangfu.core.bottomline.models import RulesVersion, StoredVerdict
from bangfu.core.db import path_between, path_bounds
from bangfu.core.effective import current, in_force
from bangfu.core.registry import models
from bangfu.core.registry.persons import masked_id_number
from bangfu.core.security import scoping
from bangfu.schema.access import ChildDataGuard, core_guard
from bangfu.schema.compiled_sql import (
    DEFER_KEY,
    DENIED_KEY,
    FALLBACK_KEY,
    FINISH_PREFIX,
    MAX_KEYS,
    Sql,
)
from bangfu.schema.context import filter_region_path
from bangfu.schema.permissions import Allowed, IsAuthenticated
from bangfu.schema.relay import check_first, decode_cursor, decode_global_id, encode_cursor
from bangfu.schema.sql_forms import (
    SQL_FORM,
    SQL_MONTH_DAY,
    SQL_TODAY,
    SQL_YEAR,
    Computed,
    Embedded,
    Finished,
    Form,
    Many,
    One,
    form_of,
    model_of,
    sql_global_id,
)

#: How many plans a process keeps (least recently used go first).
PLAN_CACHE_SIZE = 512

#: Bound parameters every plan may use: today's date, its year and its ``MMDD``.
TODAY, YEAR, MONTH_DAY = SQL_TODAY, SQL_YEAR, SQL_MONTH_DAY


def today_parameters(today: dt.date) -> dict[str, Any]:
    return {
        "bangfu_today": today,
        "bangfu_year": today.year,
        "bangfu_month_day": today.strftime("%m%d"),
    }


class NotCompiled(Exception):
    """Why a root field runs on the ordinary path (shown by ``bangfu explain``)."""


class Fallback(Exception):
    """Raised while running a plan: this request's root field takes the ordinary path."""


# ---------------------------------------------------------------------------------------
# SQL forms of the fields
# ---------------------------------------------------------------------------------------


def _active(row: Any) -> Any:
    return in_force(row.valid_from, row.valid_to, TODAY, end_inclusive=True)


def _current_membership(person: Any, column: Any) -> Any:
    membership = aliased(models.Membership)
    return (
        select(getattr(membership, column.key))
        .where(
            membership.person_id == person.id,
            current(membership.start_date, membership.end_date, TODAY),
        )
        .correlate(person)
        .order_by(membership.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _head(household: Any) -> Any:
    membership = aliased(models.Membership)
    return (
        select(membership.person_id)
        .where(
            membership.household_id == household.id,
            current(membership.start_date, membership.end_date, TODAY),
            membership.relation == models.Relation.HEAD,
        )
        .correlate(household)
        .order_by(membership.id)
        .limit(1)
        .scalar_subquery()
    )


def _finish_id_number(raw: Any, context: Any) -> Any:
    if raw is None:
        return None
    holder = _Cipher(bytes.fromhex(raw))
    try:
        return masked_id_number(context.cipher, holder)  # type: ignore[arg-type]
    except Exception as exc:  # the ordinary path says what failed, at its path
        raise Fallback("the ID number did not decrypt") from exc


class _Cipher:
    """What ``masked_id_number`` reads of a person."""

    __slots__ = ("id_number_cipher",)

    def __init__(self, cipher: bytes) -> None:
        self.id_number_cipher = cipher


#: The finishers of tagged values, by tag (``Sql.tagged``).
FINISHERS: dict[str, Callable[[Any, Any], Any]] = {"idNumber": _finish_id_number}


def _gid(type_name: str) -> Form:
    return sql_global_id(type_name)[SQL_FORM]


#: Object type → (model, forms of the fields that are not plain columns). A plain field
#: (no resolver, read with ``getattr``) is the model's column of the same name.
FORMS: dict[str, tuple[type[Any] | None, dict[str, Form]]] = {
    "Person": (
        models.Person,
        {
            "id": _gid("Person"),
            "age": Computed(lambda row, sql: sql.age(row.birth_date, YEAR, MONTH_DAY)),
            "idNumber": Finished(
                lambda row, sql: sql.tagged("idNumber", sql.hex(row.id_number_cipher)),
                _finish_id_number,
            ),
            "region": One("Region", lambda row, region: region.code == row.region_code),
            "guardian": One("Person", lambda row, person: person.id == row.guardian_id),
            "household": One(
                "Household",
                lambda row, household: (
                    household.id == _current_membership(row, models.Membership.household_id)
                ),
            ),
            "relationToHead": Computed(
                lambda row, sql: _current_membership(row, models.Membership.relation)
            ),
            "memberships": Many(
                "Membership",
                lambda row, m, _args: m.person_id == row.id,
                lambda m: [m.start_date, m.id],
            ),
            "categories": Many(
                "CategoryAssignment",
                lambda row, c, args: (
                    and_(c.person_id == row.id, _active(c))
                    if args.get("activeOnly", True)
                    else c.person_id == row.id
                ),
                lambda c: [c.valid_from, c.id],
            ),
            "disability": Embedded(
                "Disability",
                lambda row: and_(
                    row.disability_category.is_not(None), row.disability_grade.is_not(None)
                ),
            ),
        },
    ),
    "Disability": (
        models.Person,
        {
            "category": Computed(lambda row, sql: row.disability_category),
            "grade": Computed(lambda row, sql: row.disability_grade),
            "certifiedOn": Computed(lambda row, sql: row.disability_certified_on),
        },
    ),
    "Household": (
        models.Household,
        {
            "id": _gid("Household"),
            "region": One("Region", lambda row, region: region.code == row.region_code),
            "members": Many(
                "Membership",
                lambda row, m, args: (
                    m.household_id == row.id
                    if args.get("includeEnded", False)
                    else and_(m.household_id == row.id, current(m.start_date, m.end_date, TODAY))
                ),
                lambda m: [m.id],
            ),
            "head": One("Person", lambda row, person: person.id == _head(row)),
        },
    ),
    "Membership": (
        models.Membership,
        {
            "id": _gid("Membership"),
            "person": One("Person", lambda row, person: person.id == row.person_id),
            "household": One("Household", lambda row, household: household.id == row.household_id),
        },
    ),
    "Region": (
        models.Region,
        {
            "parent": One("Region", lambda row, region: region.code == row.parent_code),
            "children": Many(
                "Region",
                lambda row, region, _args: region.parent_code == row.code,
                lambda region: [region.sort_key, region.code],
            ),
        },
    ),
    "Organisation": (
        models.Organisation,
        {
            "id": _gid("Organisation"),
            "region": One("Region", lambda row, region: region.code == row.region_code),
        },
    ),
    "CategoryAssignment": (
        models.CategoryAssignment,
        {
            "id": _gid("CategoryAssignment"),
            "active": Computed(lambda row, sql: sql.boolean(_active(row))),
            "certifyingOrganisation": One(
                "Organisation",
                lambda row, organisation: organisation.id == row.certifying_organisation_id,
            ),
        },
    ),
}

_INDICATOR_NAMES = [indicator.value for indicator in INDICATORS]
#: The order of a line's indicators: bottom line first (``INDICATORS``).
_INDICATOR_ORDER = {name: index for index, name in enumerate(_INDICATOR_NAMES)}


def _holding(verdict: Any, person: Any) -> Any:
    """The stored verdicts of ``person`` that hold today, of this version's indicators
    (``bangfu.core.bottomline.reading.read_lines``)."""
    return and_(
        verdict.person_id == person.id,
        verdict.indicator.in_(_INDICATOR_NAMES),
        verdict.judged_on <= TODAY,
        or_(verdict.valid_until.is_(None), verdict.valid_until > TODAY),
    )


def _rules_current(versions: dict[str, str]) -> Any:
    """Whether the stored verdicts were judged with the rules installed now (``versions``,
    each module's), as :func:`bangfu.core.bottomline.reading.rules_current` asks it, but
    inside the statement: two uncorrelated counts the database takes once, not a round
    trip of their own. When they are not, every line falls back to the ordinary path,
    which judges afresh."""
    rules = aliased(RulesVersion)
    recorded = select(func.count()).select_from(rules).scalar_subquery()
    pairs = [and_(rules.module == m, rules.version == v) for m, v in sorted(versions.items())]
    matching = select(func.count()).select_from(rules).where(or_(*pairs)).scalar_subquery()
    return and_(recorded == len(versions), matching == len(versions))


def _in_order(verdict: Any) -> list[Any]:
    return [case(_INDICATOR_ORDER, value=verdict.indicator)]


def _complete_line(person: Any) -> Any:
    """Whether every indicator of the person has a stored verdict holding today; a person
    without is judged afresh in Python, on the ordinary path."""
    verdict = aliased(StoredVerdict)
    counted = (
        select(func.count()).where(_holding(verdict, person)).correlate(person).scalar_subquery()
    )
    return counted == len(_INDICATOR_NAMES)


FORMS.update(
    {
        "BottomLine": (
            models.Person,
            {
                "indicators": Many(
                    "IndicatorVerdict",
                    lambda row, verdict, _arguments: _holding(verdict, row),
                    _in_order,
                ),
                "atRisk": Computed(
                    lambda row, sql: _at_risk(row, sql),
                ),
            },
        ),
        "IndicatorVerdict": (
            StoredVerdict,
            {
                "reasons": Computed(lambda row, sql: sql.json_column(row.reasons)),
                "modules": Computed(lambda row, sql: sql.names(row.modules)),
                "isGoal": Computed(
                    lambda row, sql: sql.boolean(row.indicator.in_([g.value for g in GOALS]))
                ),
            },
        ),
    }
)
FORMS["Person"][1]["bottomLine"] = Embedded("BottomLine", complete=_complete_line)


def _at_risk(person: Any, sql: Sql) -> Any:
    verdict = aliased(StoredVerdict)
    rows = (
        select(verdict.indicator)
        .where(_holding(verdict, person), verdict.status == Status.AT_RISK.value)
        .correlate(person)
    )
    return sql.scalars(rows, verdict.indicator, _in_order(verdict))


#: Types whose fields without an SQL form are resolved on the ordinary path, per object,
#: after the statement: their objects are the rows the request's loaders give.
DEFERRABLE = {"Person": "person", "Household": "household"}

#: Root fields a plan can answer: connections and lookups by global ID.
CONNECTIONS = {"persons": "Person", "households": "Household"}
LOOKUPS = {"person": "Person", "household": "Household"}


# ---------------------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class ObjectPlan:
    """An object type's selected fields, as a document built from one row."""

    type_name: str
    model: type[Any]
    #: (response name, what to build) in the order of the selection.
    fields: list[tuple[str, Any]]
    #: Fields finished in Python: response name → finisher.
    finish: dict[str, Callable[[Any, Any], Any]]
    #: Nested objects with something to finish or refuse: response name → (plan, many).
    nested_walk: dict[str, tuple["ObjectPlan", bool]]
    #: Fields a child guard refuses for a person under 14: response name → the guard
    #: (the document holds a marker there; Python nulls it, locates the error and writes
    #: the audit row, as the ordinary path does).
    guarded: dict[str, "Refusal"] = dataclasses.field(default_factory=dict)
    #: Per response name: the field's name, its nodes (for error locations), arguments.
    names: dict[str, str] = dataclasses.field(default_factory=dict)
    nodes_of: dict[str, list[FieldNode]] = dataclasses.field(default_factory=dict)
    arguments_of: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    #: Fields without an SQL form, resolved on the ordinary path for each object after the
    #: statement: response name → why.
    deferred: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def finishes(self) -> bool:
        """Whether every document must be read in Python (something is finished)."""
        return bool(self.finish) or any(p.finishes for p, _ in self.nested_walk.values())

    @property
    def walks(self) -> bool:
        return bool(self.finish or self.guarded or self.nested_walk or self.deferred)


@dataclasses.dataclass(frozen=True)
class Refusal:
    """How a field's guard refuses it: ``child`` for a person under 14 (that guard comes
    first), ``always`` for everyone else (a permission the actor lacks); one may be None."""

    child: ChildDataGuard | None
    always: Any


@dataclasses.dataclass
class Denial:
    """A field refused for a child: where, which nodes, by which guard."""

    path: list[str | int]
    nodes: list[FieldNode]
    guard: Any
    type_name: str
    field: str
    arguments: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class _Leaf:
    build: Callable[[Any, Sql], Any]


@dataclasses.dataclass
class Deferral:
    """A field left to the ordinary path in one object: where, of which row, and the
    document (``holder``) that gets its value."""

    path: list[str | int]
    type_name: str
    key: int
    nodes: list[FieldNode]
    holder: dict[str, Any]
    response: str


@dataclasses.dataclass(frozen=True)
class _Deferred:
    """A field the ordinary path resolves (see ``ObjectPlan.deferred``)."""


@dataclasses.dataclass(frozen=True)
class _Typename:
    name: str


@dataclasses.dataclass(frozen=True)
class _Nested:
    form: One | Many | Embedded
    plan: ObjectPlan
    arguments: dict[str, Any]
    non_null: bool


@dataclasses.dataclass
class RootPlan:
    """One root field: a connection or a lookup, with its node's plan."""

    field: str
    kind: str  # "connection" or "lookup"
    node: ObjectPlan | None
    #: Connection parts: response name → "totalCount" | "pageInfo" | "nodes" | "edges" |
    #: "__typename", with sub-selections for pageInfo and edges.
    parts: list[tuple[str, str, Any]]
    typename: str
    #: The plan of ``edges { node }`` when it is selected (its own document).
    edge_node: ObjectPlan | None = None
    #: Its key in the cache (``Plans.refuse`` drops it when the database refuses it).
    key: Any = None
    #: Whether it reads the stored verdicts (``bottomLine``).
    verdicts: bool = False
    #: The response names of ``nodes``, ``edges`` and the edge's ``node``.
    nodes_name: str = "nodes"
    edges_name: str = "edges"
    edge_node_name: str = "node"
    #: The expressions that build one node's document from the row ``entity`` (and the
    #: edge's node's), built once per plan.
    entity: Any = None
    document: Any = None
    edge_document: Any = None
    #: Its statements, built once per shape and area (:func:`_prepared`).
    prepared: dict[Any, Any] = dataclasses.field(default_factory=dict)

    @property
    def model(self) -> type[Any]:
        """The rows the root field answers with (persons or households)."""
        return models.Person if self.typename.startswith("Person") else models.Household

    @property
    def statements(self) -> int:
        """How many statements the plan runs at most (``bangfu explain``)."""
        kinds = {kind for _, kind, _ in self.parts}
        if self.kind == "lookup":
            return 1
        return int(bool(kinds & {"nodes", "edges", "pageInfo"})) + int("totalCount" in kinds)


class Planner:
    """Turns a root field's selection into a :class:`RootPlan` for one actor's profile."""

    def __init__(self, schema: GraphQLSchema, executor: Any, sql: Sql) -> None:
        self.schema = schema
        self.executor = executor
        self.context = executor.context_value
        self.sql = sql
        #: Whether the plan reads the stored bottom line (checked current when it runs).
        self.verdicts = False
        #: Whether fields without an SQL form may be left to the ordinary path per object:
        #: only in an operation of one root field. With several, the ordinary path loads
        #: (and audits: a diagnosis read is one audit row per kind of record and request)
        #: what all of them select in one batch, and a plan's own batch would split it.
        root = schema.query_type
        assert root is not None
        self.defer = len(self.collect(root, [executor.operation.selection_set])) == 1
        self.hooks = bool(self.context.host.pm.hook.bangfu_permission_allowed.get_hookimpls())

    # -- selections -------------------------------------------------------------

    def _included(self, node: Any) -> bool:
        variables = self.executor.variable_values
        skip = get_directive_values(GraphQLSkipDirective, node, variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, variables)
        return not (include and include.get("if") is False)

    def collect(
        self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """Response name → field nodes, fragments followed, directives applied."""
        found: dict[str, list[FieldNode]] = {}
        seen: set[str] = set()

        def walk(selection_set: SelectionSetNode) -> None:
            for node in selection_set.selections:
                if not self._included(node):
                    continue
                if isinstance(node, FieldNode):
                    name = node.alias.value if node.alias else node.name.value
                    found.setdefault(name, []).append(node)
                elif isinstance(node, InlineFragmentNode):
                    if node.type_condition is None or self._applies(node.type_condition, type_):
                        walk(node.selection_set)
                elif isinstance(node, FragmentSpreadNode):
                    name = node.name.value
                    fragment = self.executor.fragments.get(name)
                    definition = getattr(fragment, "definition", fragment)
                    if name in seen or definition is None:
                        continue
                    if self._applies(definition.type_condition, type_):
                        seen.add(name)
                        walk(definition.selection_set)

        for selection_set in selection_sets:
            walk(selection_set)
        return found

    def _applies(self, condition: Any, type_: GraphQLObjectType) -> bool:
        named = self.schema.get_type(condition.name.value)
        if named is None:
            return False
        return named is type_ or (
            not isinstance(named, GraphQLObjectType) and self.schema.is_sub_type(named, type_)  # type: ignore[arg-type]
        )

    def arguments(self, field: Any, node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(field, node, self.executor.variable_values)
        except Exception as exc:
            raise NotCompiled(f"argument of {node.name.value}: {exc}") from exc

    # -- permissions ------------------------------------------------------------

    def readable(self, type_name: str, name: str, field: Any) -> "Refusal | None":
        """Whether the actor may read the field: None (yes), or how it is refused — for a
        child (per person), always, or both — as the field's guard would refuse it: its
        permissions in order, the first that says no. Raises NotCompiled for a guard the
        planner cannot decide (a permission of the ordinary path only)."""
        definition = field.extensions.get("strawberry-definition")
        guard = core_guard(definition)
        if guard is None:
            return None
        if guard is False or guard is True:
            raise NotCompiled(f"{type_name}.{name} has a permission only the ordinary path runs")
        child: ChildDataGuard | None = None
        for permission in guard.permissions:
            if isinstance(permission, ChildDataGuard):
                if type_name != "Person":
                    continue  # a child guard refuses on a Person only
                if self.hooks:
                    raise NotCompiled(
                        f"{type_name}.{name}: a plugin decides permissions per person"
                    )
                if child is None and not self.context.allowed(permission.action):
                    child = permission
            elif isinstance(permission, IsAuthenticated):
                if not self.context.actor.is_authenticated:
                    return Refusal(child, permission)
            elif isinstance(permission, Allowed):
                if not self.context.allowed(permission.action):
                    return Refusal(child, permission)
            else:  # pragma: no cover - core_guard lets only core's permissions through
                raise NotCompiled(
                    f"{type_name}.{name} has a permission only the ordinary path runs"
                )
        return None if child is None else Refusal(child, None)

    # -- objects ----------------------------------------------------------------

    def object(
        self, type_: GraphQLObjectType, nodes: list[FieldNode], depth: int = 0
    ) -> ObjectPlan:
        if depth > 12:
            raise NotCompiled("the selection is nested too deeply to compile")
        model, forms = FORMS.get(type_.name, (model_of(type_), {}))
        if model is None:
            raise NotCompiled(f"type {type_.name} has no SQL form")
        if model is StoredVerdict or type_.name == "BottomLine":
            self.verdicts = True  # checked current when the plan runs
        selection_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        plan = ObjectPlan(type_.name, model, [], {}, {})
        collected = self.collect(type_, selection_sets)
        if len(collected) > MAX_KEYS:
            raise NotCompiled(f"more than {MAX_KEYS} fields selected on one {type_.name}")
        for response, children in collected.items():
            name = children[0].name.value
            if name == "__typename":
                plan.fields.append((response, _Typename(type_.name)))
                continue
            field = type_.fields.get(name)
            if field is None:
                raise NotCompiled(f"{type_.name}.{name} is unknown")
            try:
                self._field(plan, type_, model, forms, response, name, field, children, depth)
            except NotCompiled as reason:
                if (
                    not self.defer
                    or type_.name not in DEFERRABLE
                    or isinstance(field.type, GraphQLNonNull)
                ):
                    raise
                # The ordinary path resolves this field of each object, after the statement.
                for part in (plan.guarded, plan.finish, plan.nested_walk, plan.arguments_of):
                    part.pop(response, None)
                plan.fields = [(r, p) for r, p in plan.fields if r != response]
                plan.fields.append((response, _Deferred()))
                plan.deferred[response] = str(reason)
                plan.names[response] = name
                plan.nodes_of[response] = children
        return plan

    def _field(
        self,
        plan: ObjectPlan,
        type_: GraphQLObjectType,
        model: type[Any],
        forms: dict[str, Form],
        response: str,
        name: str,
        field: Any,
        children: list[FieldNode],
        depth: int,
    ) -> None:
        """Plan one selected field of ``plan`` (NotCompiled when it has no SQL form)."""
        refusing = self.readable(type_.name, name, field)
        if refusing is not None:
            if isinstance(field.type, GraphQLNonNull):
                raise NotCompiled(f"{type_.name}.{name} is refused and cannot be null")
            plan.guarded[response] = refusing
        plan.names[response] = name
        plan.nodes_of[response] = children
        form = forms.get(name) or form_of(field.extensions.get("strawberry-definition"))
        if form is None:
            form = self._plain(type_, name, field, model)
        arguments = self.arguments(field, children[0]) if field.args else {}
        if field.args and any(self.arguments(field, other) != arguments for other in children[1:]):
            raise NotCompiled(f"{type_.name}.{name} is selected with differing arguments")
        plan.arguments_of[response] = arguments
        if isinstance(form, Computed):
            plan.fields.append((response, _Leaf(form.build)))
        elif isinstance(form, Finished):
            plan.fields.append((response, _Leaf(form.raw)))
            plan.finish[response] = form.finish
        else:
            target = get_named_type(field.type)
            if not isinstance(target, GraphQLObjectType):
                raise NotCompiled(f"{type_.name}.{name}: {target.name} is not an object type")
            inner = self.object(target, children, depth + 1)
            non_null = isinstance(field.type, GraphQLNonNull)
            plan.fields.append((response, _Nested(form, inner, arguments, non_null)))
            if inner.walks:
                plan.nested_walk[response] = (inner, isinstance(form, Many))

    def _plain(self, type_: GraphQLObjectType, name: str, field: Any, model: type[Any]) -> Form:
        definition = field.extensions.get("strawberry-definition")
        if (
            definition is None
            or getattr(definition, "base_resolver", None) is not None
            or field.args
            or definition.default_resolver is not getattr
        ):
            raise NotCompiled(f"{type_.name}.{name} has no SQL form")
        column = getattr(model, definition.python_name, None)
        if column is None or not hasattr(column, "property"):
            raise NotCompiled(f"{type_.name}.{name} is not a column of {model.__name__}")
        leaf = get_named_type(field.type)
        if isinstance(leaf, GraphQLObjectType) or isinstance(
            _unwrap_non_null(field.type), GraphQLList
        ):
            raise NotCompiled(f"{type_.name}.{name} has no SQL form")
        key = definition.python_name
        if leaf.name == "Boolean":
            return Computed(lambda row, sql: sql.boolean(getattr(row, key)))
        if leaf.name == "Decimal":
            scale = getattr(column.type, "scale", None)
            return Computed(lambda row, sql: sql.decimal(getattr(row, key), scale))
        if leaf.name not in ("String", "Int", "Date", "ID") and not hasattr(leaf, "values"):
            raise NotCompiled(f"{type_.name}.{name}: scalar {leaf.name} has no SQL form")
        return Computed(lambda row, sql: getattr(row, key))

    # -- documents --------------------------------------------------------------

    def document(self, plan: ObjectPlan, row: Any) -> Any:
        """The JSON document of ``plan`` for ``row`` (an entity or alias)."""
        sql = self.sql
        pairs: list[tuple[str, Any]] = []
        for response, part in plan.fields:
            if isinstance(part, _Typename):
                pairs.append((response, literal(part.name)))
            elif isinstance(part, _Leaf):
                pairs.append((response, part.build(row, sql)))
            elif isinstance(part, _Deferred):
                pairs.append((response, sql.deferred(row.id)))
            else:
                pairs.append((response, self._nested(part, row)))
        refused = plan.guarded
        always = {r for r, refusal in refused.items() if refusal.always is not None}
        document = sql.object([(r, sql.denied(1) if r in always else v) for r, v in pairs])
        if any(refusal.child is not None for refusal in refused.values()):
            # A child's document: each field refused for a child holds its marker.
            young = sql.age(row.birth_date, YEAR, MONTH_DAY) < 14
            child = sql.object(
                [
                    (r, sql.denied(0 if refused[r].child is not None else 1) if r in refused else v)
                    for r, v in pairs
                ]
            )
            document = case((young, child), else_=document)
        return document

    def _nested(self, part: _Nested, row: Any) -> Any:
        sql = self.sql
        form = part.form
        if isinstance(form, Embedded) and part.plan.type_name == "BottomLine":
            return self._bottom_line(part.plan, row)
        if isinstance(form, Embedded):
            value = self.document(part.plan, row)
            if form.complete is not None:
                value = case((form.complete(row), value), else_=sql.fallback())
            if form.present is None:
                return value
            found: Any = case((form.present(row), value), else_=literal(None))
            if part.non_null:
                found = func.coalesce(found, sql.fallback())
            return found
        target = aliased(part.plan.model)
        if isinstance(form, One):
            value = (
                select(self.document(part.plan, target))
                .where(form.where(row, target))
                .correlate(row)
                .limit(1)
                .scalar_subquery()
            )
            value = sql.nested(value)
            if part.non_null:
                value = func.coalesce(value, sql.fallback())
            return value
        rows = (
            select(literal(1))
            .select_from(target)
            .where(form.where(row, target, part.arguments))
            .correlate(row)
        )
        return sql.nested(sql.array(rows, self.document(part.plan, target), form.order(target)))

    def _bottom_line(self, plan: ObjectPlan, person: Any) -> Any:
        """A person's line in one pass over the stored verdicts holding today: one grouped
        subquery gives the indicators, the indicators at risk and whether all ten are
        there (else the ordinary path judges the person). The forms of ``BottomLine`` say
        the same thing field by field; this is their one-scan plan."""
        sql = self.sql
        verdict = aliased(StoredVerdict)
        order = _in_order(verdict)
        at_risk = verdict.status == Status.AT_RISK.value
        rows = select(literal(1)).select_from(verdict).where(_holding(verdict, person))
        rows = rows.correlate(person)
        documents: dict[str, Any] = {}
        for response, part in plan.fields:
            if isinstance(part, _Nested):  # indicators
                documents[response] = self.document(part.plan, verdict)
            elif isinstance(part, _Leaf):  # atRisk
                documents[response] = verdict.indicator
        aggregated = sql.grouped(
            rows,
            documents,
            order,
            {r: at_risk for r, part in plan.fields if isinstance(part, _Leaf)},
        )
        pairs = [
            (r, literal(part.name) if isinstance(part, _Typename) else aggregated.columns[r])
            for r, part in plan.fields
        ]
        complete = and_(
            aggregated.count == len(_INDICATOR_NAMES),
            _rules_current(self.context.host.rules_versions()),
        )
        document = case((complete, sql.object(pairs)), else_=sql.fallback())
        return sql.nested(aggregated.select(document).scalar_subquery())

    # -- root fields ------------------------------------------------------------

    def root(
        self, field_name: str, nodes: list[FieldNode], node_type: str | None = None
    ) -> RootPlan:
        query = self.schema.query_type
        assert query is not None
        field = query.fields[field_name]
        self.readable("Query", field_name, field)
        if field_name in LOOKUPS or node_type is not None:
            type_ = self.schema.get_type(node_type) if node_type else get_named_type(field.type)
            assert isinstance(type_, GraphQLObjectType)
            node = self.object(type_, nodes)
            plan = RootPlan(field_name, "lookup", node, [], type_.name)
        else:
            plan = self._connection(field_name, field, nodes)
        plan.verdicts = self.verdicts
        plan.entity = aliased(plan.model)
        if plan.node is not None:
            plan.document = self.sql.text(self.document(plan.node, plan.entity))
        if plan.edge_node is not None:
            plan.edge_document = self.sql.text(self.document(plan.edge_node, plan.entity))
        return plan

    def _connection(self, field_name: str, field: Any, nodes: list[FieldNode]) -> RootPlan:
        connection = get_named_type(field.type)
        assert isinstance(connection, GraphQLObjectType)
        node_type = self.schema.get_type(CONNECTIONS[field_name])
        assert isinstance(node_type, GraphQLObjectType)
        parts: list[tuple[str, str, Any]] = []
        node_nodes: list[FieldNode] = []
        edge_nodes: list[FieldNode] = []
        collected = self.collect(
            connection, [n.selection_set for n in nodes if n.selection_set is not None]
        )
        for response, children in collected.items():
            name = children[0].name.value
            if name in ("totalCount", "__typename"):
                parts.append((response, name, None))
            elif name == "pageInfo":
                page_info = get_named_type(connection.fields[name].type)
                assert isinstance(page_info, GraphQLObjectType)
                inner = self.collect(
                    page_info, [c.selection_set for c in children if c.selection_set]
                )
                parts.append((response, name, [(r, c[0].name.value) for r, c in inner.items()]))
            elif name == "nodes":
                parts.append((response, name, None))
                node_nodes += children
            elif name == "edges":
                edge = get_named_type(connection.fields[name].type)
                assert isinstance(edge, GraphQLObjectType)
                inner = self.collect(edge, [c.selection_set for c in children if c.selection_set])
                edge_parts = []
                for r, c in inner.items():
                    edge_parts.append((r, c[0].name.value))
                    if c[0].name.value == "node":
                        edge_nodes += c
                parts.append((response, name, edge_parts))
            else:
                raise NotCompiled(f"{connection.name}.{name} has no SQL form")
        responses = collections.Counter(kind for _, kind, _ in parts)
        if responses["nodes"] > 1 or responses["edges"] > 1:
            raise NotCompiled(f"{field_name}: nodes or edges selected under several names")
        node = self.object(node_type, node_nodes) if node_nodes else None
        plan = RootPlan(field_name, "connection", node, parts, connection.name)
        plan.edge_node = self.object(node_type, edge_nodes) if edge_nodes else None
        for response, kind, inner in parts:
            if kind == "nodes":
                plan.nodes_name = response
            elif kind == "edges":
                plan.edges_name = response
                names = [r for r, name in inner if name == "node"]
                if len(names) > 1:
                    raise NotCompiled(f"{field_name}: an edge's node under several names")
                plan.edge_node_name = names[0] if names else "node"
        return plan


def _unwrap_non_null(type_: GraphQLOutputType) -> GraphQLOutputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


# ---------------------------------------------------------------------------------------
# The cache and running a plan
# ---------------------------------------------------------------------------------------


def profile(actor: Any, host: Any = None) -> tuple[Any, ...]:
    """What a plan's permission decisions depend on (never the area: that is bound). Core
    decides by kind, roles, scopes and department; a plugin that votes on permissions
    (``bangfu_permission_allowed``) may look at anything of the actor, so then the plan is
    the actor's own."""
    found: tuple[Any, ...] = (
        actor.kind,
        tuple(sorted(actor.roles)),
        tuple(sorted(actor.scopes)),
        actor.department,
    )
    if host is not None and host.pm.hook.bangfu_permission_allowed.get_hookimpls():
        found += (actor.id, actor.name, actor.organisation_id, actor.area_path)
    return found


class Plans:
    """The process's plans (bounded, least recently used first out)."""

    def __init__(self, size: int = PLAN_CACHE_SIZE) -> None:
        self.size = size
        self._plans: collections.OrderedDict[Any, RootPlan | NotCompiled] = (
            collections.OrderedDict()
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any, make: Callable[[], RootPlan]) -> RootPlan | NotCompiled:
        with self._lock:
            found = self._plans.get(key)
            if found is not None:
                self._plans.move_to_end(key)
                self.hits += 1
                return found
        try:
            made: RootPlan | NotCompiled = make()
        except NotCompiled as reason:
            made = reason
        with self._lock:
            self.misses += 1
            self._plans[key] = made
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)
        return made

    def refuse(self, key: Any, reason: str) -> None:
        """Keep ``key``'s plan as not compiled: the database refused its statement (SQLite's
        parser stack, which a paired official's criteria on every nested table can
        exceed). Tried once per process, then the ordinary path answers at once."""
        with self._lock:
            self._plans[key] = NotCompiled(reason)

    def __len__(self) -> int:
        return len(self._plans)


PLANS = Plans()


def refused_by_database(error: BaseException) -> bool:
    """Whether the database refused a plan's statement as such (SQLite's parser stack, SQL
    PostgreSQL does not accept), as opposed to failing for the moment (unavailable, a
    timeout): only then is the plan not tried again."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if isinstance(error, ProgrammingError):
        return True
    return isinstance(error, OperationalError) and "parser stack overflow" in str(error)


#: How root fields ran in this process: "compiled", or "fallback: <reason>" (tests and
#: the benchmark read it; it is not exported anywhere).
STATS: collections.Counter[str] = collections.Counter()


def plan_key(executor: Any, response_name: str) -> tuple[Any, ...] | None:
    """The cache key of a root field's plan; None when the document has no source text."""
    operation = executor.operation
    location = operation.loc
    if location is None:
        return None
    # Variables of the root fields' own arguments (first, after, filter, id) are bound when
    # the plan runs; any other (a directive's condition, a nested field's argument) shapes
    # the plan, so its value is part of the key.
    shaping = tuple(
        sorted(
            (name, repr(value))
            for name, value in executor.variable_values.coerced.items()
            if name not in _root_variables(executor)
        )
    )
    return (
        location.source.body,
        operation.name.value if operation.name else None,
        response_name,
        shaping,
        profile(executor.context_value.actor, executor.context_value.host),
        id(executor.schema),
        dialect_of(executor.context_value),
    )


def _root_variables(executor: Any) -> frozenset[str]:
    """The variables used only in the arguments of the operation's root fields (kept on
    the executor: computed once per request)."""
    found = getattr(executor, "_bangfu_root_variables", None)
    if found is not None:
        return found
    operation = executor.operation
    location = operation.loc
    key = (
        location.source.body if location is not None else id(operation),
        operation.name.value if operation.name else None,
    )
    known = _ROOT_VARIABLES.get(key)
    if known is not None:
        executor._bangfu_root_variables = known
        return known
    in_roots: set[str] = set()
    elsewhere: set[str] = set()

    def names(node: Any, into: set[str]) -> None:
        if isinstance(node, VariableNode):
            into.add(node.name.value)
        elif isinstance(node, Node):
            for key in node.keys:
                value = getattr(node, key, None)
                for item in value if isinstance(value, tuple | list) else (value,):
                    if isinstance(item, Node):
                        names(item, into)

    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            for argument in selection.arguments or ():
                names(argument.value, in_roots)
            for directive in selection.directives or ():
                names(directive, elsewhere)
            if selection.selection_set is not None:
                names(selection.selection_set, elsewhere)
        else:
            names(selection, elsewhere)
    for definition in executor.fragments.values():
        names(getattr(definition, "definition", definition), elsewhere)
    found = frozenset(in_roots - elsewhere)
    executor._bangfu_root_variables = found
    if location is not None:
        with PLANS._lock:
            _ROOT_VARIABLES[key] = found
            if len(_ROOT_VARIABLES) > PLAN_CACHE_SIZE:
                _ROOT_VARIABLES.popitem(last=False)
    return found


#: The root fields' own variables, per document text and operation name.
_ROOT_VARIABLES: collections.OrderedDict[tuple[Any, Any], frozenset[str]] = (
    collections.OrderedDict()
)


def dialect_of(context: Any) -> str:
    return str(context.services.sessions.kw["bind"].dialect.name)


def plan_for(executor: Any, field_details_list: Any, response_name: str) -> RootPlan | NotCompiled:
    if any(details.fragment_variable_values is not None for details in field_details_list):
        return NotCompiled("fragment variables are not compiled")
    nodes = [details.node for details in field_details_list]
    field_name = nodes[0].name.value
    node_type = None
    if field_name == "node":  # a lookup of the type its ID names
        node_type = _node_type(executor, nodes[0])
        if node_type not in LOOKUPS.values():
            return NotCompiled(f"node of type {node_type or 'unknown'} is not compiled")
    elif field_name not in CONNECTIONS and field_name not in LOOKUPS:
        return NotCompiled(f"root field {field_name} is not compiled")
    key = plan_key(executor, response_name)
    if key is None:
        return NotCompiled("the document has no source text")
    key = (*key, node_type)

    def make() -> RootPlan:
        planner = Planner(executor.schema, executor, Sql(dialect_of(executor.context_value)))
        plan = planner.root(field_name, nodes, node_type)
        plan.key = key
        return plan

    return PLANS.get(key, make)


def _node_type(executor: Any, node: FieldNode) -> str | None:
    """The type ``node(id:)`` asks for, from its argument; None for no valid ID."""
    field = executor.schema.query_type.fields["node"]
    try:
        arguments = get_argument_values(field, node, executor.variable_values)
        return decode_global_id(arguments["id"])[0]
    except Exception:  # the ordinary path answers an invalid ID
        return None


class _InfoLike:
    """What the filters' statements read of ``info``: the context."""

    def __init__(self, context: Any) -> None:
        self.context = context


async def run(plan: RootPlan, executor: Any, field_details_list: Any, response: str) -> Any:
    """The root field's value; raises :class:`Fallback` for the ordinary path."""
    context = executor.context_value
    node = field_details_list[0].node
    query = executor.schema.query_type
    field = query.fields[node.name.value]
    try:
        arguments = get_argument_values(field, node, executor.variable_values)
    except Exception as exc:
        raise Fallback("arguments") from exc
    parameters = today_parameters(context.today)
    if plan.verdicts:
        _check_verdicts(context)
    found: list[Any] = []  # refused fields (Denial) and fields left to the ordinary path
    if plan.kind == "lookup":
        value = await _lookup(plan, context, arguments, parameters, response, found)
    else:
        value = await _connection(plan, context, arguments, parameters, response, found)
    deferrals = [item for item in found if isinstance(item, Deferral)]
    if deferrals:
        await resolve_deferred(executor, deferrals)
    denials = [item for item in found if isinstance(item, Denial)]
    if denials:
        await refuse(executor, denials)
    return value


def _check_verdicts(context: Any) -> None:
    """The stored verdicts answer only when kept (the setting, here) and judged with
    today's rules (in the statement: :func:`_rules_current`); else a person's line is
    judged in Python, on the ordinary path."""
    if not context.settings.stored_bottom_line:
        raise Fallback("the bottom line is not stored")


async def _lookup(
    plan: RootPlan,
    context: Any,
    arguments: dict[str, Any],
    parameters: dict[str, Any],
    response: str,
    denials: list[Any],
) -> Any:
    try:
        type_name, key = decode_global_id(arguments["id"])
    except ValueError as exc:
        raise Fallback("not a global ID") from exc
    if type_name != plan.typename:
        raise Fallback("a global ID of another type")
    async with context.read() as session:
        statement = _prepared(
            plan,
            "lookup",
            lambda: select(plan.document).where(plan.entity.id == bindparam("bangfu_key")),
            context,
            session,
        )
        values = {**parameters, "bangfu_key": key}
        if dialect_of(context) == "postgresql":
            found = await _generic_plan(session, statement, values)
        else:
            found = (await session.execute(statement, values)).scalar_one_or_none()
    if found is None:
        return None
    assert plan.node is not None
    return _present(plan.node, context, [found], [response], denials, lookup=True)[0]


_PLAN_MODE = text("SELECT set_config('plan_cache_mode', :mode, true)")


async def _generic_plan(session: Any, statement: Any, values: dict[str, Any]) -> Any:
    """A lookup's one value, run with PostgreSQL's generic plan of the statement.

    The service plans every execution for its values (``plan_cache_mode =
    force_custom_plan``, :func:`bangfu.core.db.make_engine`: a generic plan of a long
    ``IN`` list scanned a table). A person's document is thirty subqueries, each driven by
    the one key: planning them took 4–5 ms, running them half a millisecond, and the plan
    is the same for every key. So the lookup alone runs with the prepared statement's
    generic plan (made once per connection), and the transaction's setting is put back
    before anything else runs in it (after a failure the session is discarded:
    ``Executor._run_plan``)."""
    await session.execute(_PLAN_MODE, {"mode": "force_generic_plan"})
    found = (await session.execute(statement, values)).scalar_one_or_none()
    await session.execute(_PLAN_MODE, {"mode": "force_custom_plan"})
    return found


async def _connection(
    plan: RootPlan,
    context: Any,
    arguments: dict[str, Any],
    parameters: dict[str, Any],
    response: str,
    denials: list[Any],
) -> Any:
    from bangfu.schema import query as core_query

    first = arguments.get("first")
    after = arguments.get("after")
    if first is None or arguments.get("last") is not None or arguments.get("before") is not None:
        # Backward pages (and a missing or doubled page size) take the ordinary path.
        raise Fallback("backward paging is not compiled")
    try:
        check_first(first, context.settings.max_page_size)
        cursor = decode_cursor(after) if after is not None else None
    except ValueError as exc:
        raise Fallback("arguments") from exc
    model = plan.model
    filter_ = _filter(plan.field, arguments.get("filter"))
    info = _InfoLike(context)
    kinds = {kind for _, kind, _ in plan.parts}
    if plan.field == "persons" and filter_ is not None and filter_.at_risk is not None:
        raise Fallback("the at-risk filter reads the stored bottom line")
    statement: Select[Any] = None  # type: ignore[assignment]  # a region's count needs none
    try:
        within = await _within_area(context, filter_) if "totalCount" in kinds else None
        if within is None or kinds & {"nodes", "edges", "pageInfo"}:
            if plan.field == "persons":
                statement = await core_query.persons_statement(info, filter_)  # type: ignore[arg-type]
            else:
                statement = await core_query.households_statement(info, filter_)  # type: ignore[arg-type]
    except ValueError as exc:
        raise Fallback("filter") from exc
    rows: list[Any] = []
    # Without a filter, a page's statements are the same for every request but for the
    # page's size and cursor: built once (bound parameters), their cache keys memoised.
    shape = None if filter_ is not None else ("page", cursor is not None)

    def page_statement() -> Select[Any]:
        page = statement.with_only_columns(model.id).order_by(model.id)
        page = page.limit(bindparam("bangfu_limit", type_=Integer))
        if cursor is not None:
            page = page.where(model.id > bindparam("bangfu_after", type_=Integer))
        entity = plan.entity
        columns = [entity.id, plan.document, plan.edge_document]
        columns = [c for c in columns if c is not None]
        return select(*columns).where(entity.id.in_(page)).order_by(entity.id)

    if kinds & {"nodes", "edges", "pageInfo"}:
        values = {**parameters, "bangfu_limit": first + 1}
        if cursor is not None:
            values["bangfu_after"] = cursor
        async with context.read() as session:
            prepared = _prepared(plan, shape, page_statement, context, session)
            rows = list((await session.execute(prepared, values)).all())
    has_next = len(rows) > first
    rows = rows[:first]
    total = None
    if "totalCount" in kinds:
        async with context.read() as session:
            if within is not None:  # a region inside the actor's area: one range
                counted = plan.prepared.get("count-within")
                if counted is None:  # the same for every actor: no area criteria in it
                    counted = plan.prepared["count-within"] = _count_within(model)
                connection = await session.connection()
                total = int((await connection.execute(counted, within)).scalar_one())
            else:
                counted = _prepared(
                    plan,
                    None if shape is None else "count",
                    lambda: statement.with_only_columns(
                        func.count(), maintain_column_froms=True
                    ).order_by(None),
                    context,
                    session,
                )
                total = int((await session.execute(counted)).scalar_one())
    column = 1
    nodes: list[Any] = []
    edge_nodes: list[Any] = []
    if plan.node is not None:
        nodes = _present(
            plan.node, context, [row[column] for row in rows], [response, plan.nodes_name], denials
        )
        column += 1
    if plan.edge_node is not None:
        edge_nodes = _present(
            plan.edge_node,
            context,
            [row[column] for row in rows],
            [response, plan.edges_name],
            denials,
            (plan.edge_node_name,),
        )
    result: dict[str, Any] = {}
    for response, kind, inner in plan.parts:
        if kind == "__typename":
            result[response] = plan.typename
        elif kind == "totalCount":
            result[response] = total
        elif kind == "nodes":
            result[response] = nodes
        elif kind == "pageInfo":
            values = {
                "hasNextPage": has_next,
                "hasPreviousPage": after is not None,
                "startCursor": encode_cursor(rows[0][0]) if rows else None,
                "endCursor": encode_cursor(rows[-1][0]) if rows else None,
                "__typename": "PageInfo",
            }
            result[response] = {r: values[name] for r, name in inner}
        else:  # edges
            edge_type = plan.typename.removesuffix("Connection") + "Edge"
            result[response] = [
                {
                    r: (
                        encode_cursor(row[0])
                        if name == "cursor"
                        else document
                        if name == "node"
                        else edge_type
                    )
                    for r, name in inner
                }
                for row, document in zip(rows, edge_nodes or [None] * len(rows), strict=True)
            ]
    return result


async def _within_area(context: Any, filter_: Any) -> dict[str, str] | None:
    """The bounds of the filter's region when it is the filter's only condition and lies
    inside the actor's area (``scoping.region_within_area``): the count is then one range
    of the area-path index (:func:`_count_within`)."""
    if (
        filter_ is None
        or filter_.region_code is None
        or any(
            getattr(filter_, f.name) is not None
            for f in dataclasses.fields(filter_)
            if f.name != "region_code"
        )
    ):
        return None
    path = await filter_region_path(context, filter_.region_code)
    if not scoping.region_within_area(context.actor, path):
        return None
    lower, upper = path_bounds(path)
    return {"lower": lower, "upper": upper}


def _count_within(model: Any) -> Any:
    """``count(*)`` of ``model``'s rows between two area paths, bound as ``lower`` and
    ``upper``: a statement of the table (no ORM entity, so no area criteria), run only for a
    region inside the actor's area (:func:`_within_area`)."""
    table = model.__table__
    return (
        select(func.count())
        .select_from(table)
        .where(
            path_between(
                table.c.area_path,
                bindparam("lower", type_=String),
                bindparam("upper", type_=String),
            )
        )
    )


#: Statements a plan keeps (shapes × areas); past it, they are built again.
PREPARED_PER_PLAN = 32


def _prepared(
    plan: RootPlan, shape: Any, build: Callable[[], Any], context: Any, session: Any
) -> Any:
    """The statement ``build`` makes, kept on the plan for its ``shape`` (None: build a new
    one) and the area's criteria, which it carries already (``bangfu_area_options``): a
    statement used again has its cache key memoised, where a new one of the same shape has
    SQLAlchemy walk all of it on every request (a person's document is a large tree).
    A paired official's criteria are made per request: their statements are not kept."""
    if shape is None or context.actor.paired_only:
        return build()
    options = scoping.session_options(session)
    key = (shape, options)
    statement = plan.prepared.get(key)
    if statement is None:
        statement = build()
        if options:
            statement = statement.options(*options).execution_options(bangfu_area_options=options)
        if len(plan.prepared) >= PREPARED_PER_PLAN:
            plan.prepared.clear()
        plan.prepared[key] = statement
    return statement


def _filter(field: str, value: Any) -> Any:
    """The filter argument as the resolver gets it (graphql-core gives the input's
    Python object when Strawberry declared one, else a dict)."""
    if value is None or not isinstance(value, dict):
        return value
    from bangfu.schema import query as core_query

    cls = core_query.PersonFilter if field == "persons" else core_query.HouseholdFilter
    from strawberry.utils.str_converters import to_snake_case

    return cls(**{to_snake_case(k): v for k, v in value.items()})


def _present(
    node: ObjectPlan,
    context: Any,
    documents: list[str],
    path: list[str | int],
    denials: list[Any],
    below: tuple[str, ...] = (),
    lookup: bool = False,
) -> list[Any]:
    """The documents as the response holds them: raw JSON where nothing is finished or
    refused (over HTTP), else parsed, finished and refused fields nulled (``denials``);
    a fallback marker means the ordinary path. ``path`` leads to the list of documents,
    ``below`` from an item of it to the document (``edges``: the edge's ``node``); a
    ``lookup``'s one document is at ``path`` itself."""
    fallback = '{"' + FALLBACK_KEY + '"'
    denied = '{"' + DENIED_KEY + '"'
    deferred = '{"' + DEFER_KEY + '"'
    raw = getattr(context, "request", None) is not None
    presented: list[Any] = []
    for index, document in enumerate(documents):
        if fallback in document:
            raise Fallback("a value only the ordinary path gives (a line not stored as current)")
        if raw and denied not in document and deferred not in document:
            if node.finishes:  # in the text: no object per field
                document = _finish_text(document, context)
            presented.append(orjson.Fragment(document))
            continue
        value = orjson.loads(document)
        if node.walks:
            where = [*path, *below] if lookup else [*path, index, *below]
            _walk(node, value, context, where, denials)
        presented.append(value)
    return presented


#: A value to finish in a document's text: ``{"~bangfu~finish~<tag>": "<hex>"}`` (PostgreSQL
#: writes spaces around the colon). No client string can hold it unescaped.
_TAGGED = re.compile(r'\{\s*"' + re.escape(FINISH_PREFIX) + r'(\w+)"\s*:\s*"([0-9A-Fa-f]*)"\s*\}')


def _finish_text(document: str, context: Any) -> str:
    """The document with each tagged value finished, as JSON."""

    def finished(match: re.Match[str]) -> str:
        return orjson.dumps(FINISHERS[match.group(1)](match.group(2), context)).decode()

    return _TAGGED.sub(finished, document)


def _untag(value: Any) -> Any:
    """A tagged value's payload (``{"~bangfu~finish~tag": payload}``), parsed."""
    return next(iter(value.values())) if isinstance(value, dict) else value


def _walk(
    plan: ObjectPlan, value: Any, context: Any, path: list[str | int], denials: list[Any]
) -> None:
    if value is None:
        return
    for response, refusal in plan.guarded.items():
        found = value.get(response)
        if isinstance(found, dict) and DENIED_KEY in found:
            value[response] = None
            denials.append(
                Denial(
                    [*path, response],
                    plan.nodes_of[response],
                    refusal.child if found[DENIED_KEY] == 0 else refusal.always,
                    plan.type_name,
                    plan.names[response],
                    plan.arguments_of.get(response, {}),
                )
            )
    for response in plan.deferred:
        found = value.get(response)
        if isinstance(found, dict) and DEFER_KEY in found:
            value[response] = None  # until the ordinary path has resolved it
            denials.append(
                Deferral(
                    [*path, response],
                    plan.type_name,
                    found[DEFER_KEY],
                    plan.nodes_of[response],
                    value,
                    response,
                )
            )
    for response, finisher in plan.finish.items():
        value[response] = finisher(_untag(value[response]), context)
    for response, (inner, many) in plan.nested_walk.items():
        found = value.get(response)
        if many:
            for index, item in enumerate(found or ()):
                _walk(inner, item, context, [*path, response, index], denials)
        else:
            _walk(inner, found, context, [*path, response], denials)


async def resolve_deferred(executor: Any, deferrals: list[Deferral]) -> None:
    """Resolve each field left to the ordinary path, of each object, as graphql-core
    does: its resolver on the row the request's loader gives, its permission, its errors
    at their paths and its audit rows; all of them at once, so loaders batch."""
    from graphql.execution.collect_fields import FieldDetails
    from graphql.pyutils import Path

    context = executor.context_value
    rows: dict[str, dict[int, Any]] = {}
    for type_name, loader in DEFERRABLE.items():
        keys = sorted({d.key for d in deferrals if d.type_name == type_name})
        if keys:
            rows[type_name] = dict(
                zip(keys, await context.loaders[loader].load_many(keys), strict=True)
            )
    pending: list[tuple[Deferral, Any]] = []
    for deferral in deferrals:
        source = rows[deferral.type_name].get(deferral.key)
        if source is None:  # the statement saw it, the loader does not: answer afresh
            raise Fallback("an object of a deferred field is not visible")
        parent_type = executor.schema.get_type(deferral.type_name)
        path: Any = None
        for step in deferral.path[:-1]:
            path = Path(path, step, None)
        path = Path(path, deferral.path[-1], deferral.type_name)
        details = [FieldDetails(node, None) for node in deferral.nodes]
        pending.append((deferral, executor.execute_field(parent_type, source, details, path, None)))
    awaited = [value for _, value in pending if inspect.isawaitable(value)]
    results = iter(await asyncio.gather(*awaited)) if awaited else iter(())
    for deferral, value in pending:
        if inspect.isawaitable(value):
            value = next(results)
        deferral.holder[deferral.response] = value


async def refuse(executor: Any, denials: list[Denial]) -> None:
    """The errors and audit rows of the refused fields, as the ordinary path makes them:
    one located error per field and object, one ``denied`` row per field and action."""
    from graphql import located_error
    from graphql.pyutils import Path

    from bangfu.schema.audit import audit_denial

    written: set[tuple[str, str, str]] = set()
    for denial in denials:
        try:
            denial.guard.on_unauthorized()
            raise PermissionError(denial.guard.message)  # pragma: no cover - it raises
        except Exception as raised:
            path: Any = None
            for step in denial.path:
                path = Path(path, step, None)
            executor.collected_errors.add(
                located_error(raised, denial.nodes, list(denial.path)), path
            )
        if isinstance(denial.guard, IsAuthenticated):
            action, code = denial.guard.action or "authenticate", "UNAUTHENTICATED"
        else:
            action, code = denial.guard.action, "FORBIDDEN"
        once = (denial.type_name, denial.field, action)
        if once in written:
            continue
        written.add(once)
        await audit_denial(
            _DenialInfo(executor, denial.type_name, denial.field),  # type: ignore[arg-type]
            action,
            code,
            denial.arguments,
        )


class _DenialInfo:
    """What ``audit_denial`` reads of ``info`` for a field of ``type_name``."""

    def __init__(self, executor: Any, type_name: str, field: str) -> None:
        self.context = executor.context_value
        self.operation = executor.operation
        self.path = types.SimpleNamespace(typename=type_name)
        self.field_name = field
