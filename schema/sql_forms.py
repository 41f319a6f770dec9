"""SQL forms of GraphQL fields: how compiled execution builds a field in the database.

A field with an SQL form is built by the plan's statement (``bangfu.schema.compiled``)
instead of by its resolver, on every path that compiles; the resolver stays the
definition for everything else, and the differential test keeps the two identical. A
field without one still works: a field of ``Person`` or ``Household`` is then resolved on
the ordinary path for each object, any other sends its root field to the ordinary path.

* A type's rows: ``@sql_model(Model)`` on a Strawberry type says which model its objects
  are rows of. Its plain fields (no resolver) are the model's columns of the same name.
* ``SQL_TODAY``, ``SQL_YEAR``, ``SQL_MONTH_DAY``: today, bound when the plan runs.
* A field's form, as field ``metadata``:

  - ``sql_value(build)``: a value from the row, ``build(row, sql)``;
  - ``sql_global_id("Type")``: an ``id`` field, the row's global ID;
  - ``sql_one("Type", where)``: at most one object, ``where(row, target)``;
  - ``sql_many("Type", where, order)``: a list, ``where(row, target, arguments)`` in
    ``order(target)`` — exactly the resolver's order;
  - ``sql_same_row("Type", present=None)``: an object read from the same row (a
    plugin's ``Person.medical`` wrapper), null unless ``present(row)``.

``row`` and ``target`` are aliased ORM entities, so area scoping applies to them as it
does to the loaders. The field's access rule stays its extension and is asked as usual.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Date, Integer, String, bindparam

#: The metadata key of a field's SQL form.
SQL_FORM = "bangfu_sql_form"
#: The attribute ``sql_model`` sets on a Strawberry type.
SQL_MODEL = "__bangfu_sql_model__"

T = TypeVar("T")

#: Today (Asia/Shanghai), its year and its ``MMDD``, as a plan binds them when it runs:
#: for a form that depends on the day (what holds today, this year's enrolment).
SQL_TODAY = bindparam("bangfu_today", type_=Date())
SQL_YEAR = bindparam("bangfu_year", type_=Integer())
SQL_MONTH_DAY = bindparam("bangfu_month_day", type_=String())


@dataclasses.dataclass(frozen=True)
class Computed:
    """A value computed from the row: ``build(row, sql)``."""

    build: Callable[[Any, Any], Any]


@dataclasses.dataclass(frozen=True)
class One:
    """At most one object of ``target``: ``where(row, target_alias)`` finds it."""

    target: str
    where: Callable[[Any, Any], Any]


@dataclasses.dataclass(frozen=True)
class Many:
    """A list of ``target``: ``where(row, target_alias, arguments)``, in ``order``."""

    target: str
    where: Callable[[Any, Any, dict[str, Any]], Any]
    order: Callable[[Any], list[Any]]


@dataclasses.dataclass(frozen=True)
class Embedded:
    """An object of ``target`` read from the same row; null unless ``present(row)``.
    ``complete(row)``, when given, is a condition without which the plan cannot answer
    for that row (the root field then runs on the ordinary path)."""

    target: str
    present: Callable[[Any], Any] | None = None
    complete: Callable[[Any], Any] | None = None


@dataclasses.dataclass(frozen=True)
class Finished:
    """SQL gives ``raw(row, sql)``; Python finishes it after the statement with
    ``finish(raw, context)`` (a failure runs the root field on the ordinary path)."""

    raw: Callable[[Any, Any], Any]
    finish: Callable[[Any, Any], Any]


Form = Computed | One | Many | Embedded | Finished


def sql_model(model: type[Any]) -> Callable[[T], T]:
    """Class decorator: the Strawberry type's objects are rows of ``model``."""

    def mark(cls: T) -> T:
        setattr(cls, SQL_MODEL, model)
        return cls

    return mark


def sql_value(build: Callable[[Any, Any], Any]) -> dict[str, Any]:
    return {SQL_FORM: Computed(build)}


def sql_global_id(type_name: str) -> dict[str, Any]:
    """The form of an ``id`` field: the global ID of ``type_name`` and the row's key."""
    return {SQL_FORM: Computed(lambda row, sql: sql.global_id(type_name, row.id))}


def sql_one(target: str, where: Callable[[Any, Any], Any]) -> dict[str, Any]:
    return {SQL_FORM: One(target, where)}


def sql_many(
    target: str,
    where: Callable[[Any, Any, dict[str, Any]], Any],
    order: Callable[[Any], list[Any]],
) -> dict[str, Any]:
    return {SQL_FORM: Many(target, where, order)}


def sql_same_row(target: str, present: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    return {SQL_FORM: Embedded(target, present)}


def form_of(definition: Any) -> Form | None:
    """The SQL form a Strawberry field definition declares, if any."""
    metadata = getattr(definition, "metadata", None) or {}
    found = metadata.get(SQL_FORM)
    return found if isinstance(found, Computed | One | Many | Embedded | Finished) else None


def model_of(graphql_type: Any) -> type[Any] | None:
    """The model ``sql_model`` gave a GraphQL object type's Strawberry class, if any."""
    definition = graphql_type.extensions.get("strawberry-definition")
    origin = getattr(definition, "origin", None)
    return getattr(origin, SQL_MODEL, None)
