"""JSON built by the database, in each dialect's words.

PostgreSQL has ``json_build_object`` and ``json_agg``; SQLite has ``json_object`` and
``json_group_array``. SQLite drops the JSON subtype of a value that leaves a subquery, so
every nested document is wrapped in ``json(...)`` there, or it would arrive as a string.
Booleans are stored as 0 and 1 on SQLite and become ``true``/``false`` here; decimals are
written as the ORM reads them (``500.00`` at the column's scale); global IDs are base64
of ``Type:key``, as ``bangfu.schema.relay.to_global_id`` makes them (SQLite: the
``bangfu_global_id`` function registered on each connection by ``bangfu.core.db``).
"""

from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement

#: The markers' keys hold ``~``, which no GraphQL name (an alias, a field) may: no key a
#: client chooses is ever one, and a string value cannot hold them unescaped (JSON writes
#: its quotes escaped), so finding ``{"~bangfu~...`` in a document finds a marker.
#: What a document holds where the plan cannot give the answer the ordinary path would
#: (a null in a non-null place, a bottom line not stored in full): its root field is
#: then run again on the ordinary path.
FALLBACK_KEY = "~bangfu~fallback"
#: What a document holds in place of a field refused for a child (nulled in Python).
DENIED_KEY = "~bangfu~denied"
#: What a document holds in place of a field the ordinary path resolves: the row's key.
DEFER_KEY = "~bangfu~defer"
#: What a document holds where Python finishes a value (an ID number to decrypt and
#: mask): ``{"~bangfu~<tag>": "<hex>"}``; finished in the text of the document, not by
#: parsing it (``bangfu.schema.compiled``).
FINISH_PREFIX = "~bangfu~finish~"

#: The most keys of one JSON object a plan builds (PostgreSQL takes 100 arguments).
MAX_KEYS = 50


class Sql:
    """The JSON expressions of one dialect (``postgresql`` or ``sqlite``)."""

    def __init__(self, dialect: str) -> None:
        if dialect not in ("postgresql", "sqlite"):
            raise ValueError(f"compiled execution knows PostgreSQL and SQLite, not {dialect}")
        self.postgresql = dialect == "postgresql"

    def object(self, pairs: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
        arguments: list[Any] = []
        for key, value in pairs:
            arguments += [literal(key, String), value]
        if self.postgresql:
            return func.json_build_object(*arguments)
        return func.json_object(*arguments)

    def nested(self, document: Any) -> ColumnElement[Any]:
        """A document from a subquery, kept a document (not a string) in its parent."""
        if self.postgresql:
            return type_coerce(document, _Json())
        return func.json(document)

    def array(self, documents: Select[Any], document: Any, order: list[Any]) -> Any:
        """The JSON array of ``document`` over the rows of ``documents``, in ``order``."""
        if self.postgresql:
            aggregated = func.coalesce(
                func.json_agg(aggregate_order_by(document, *order)),
                literal_column("'[]'::json"),
            )
            return documents.with_only_columns(aggregated).scalar_subquery()
        inner = documents.with_only_columns(document.label("doc")).order_by(*order).subquery()
        return (
            Select(func.json_group_array(func.json(inner.c.doc))).select_from(inner)
        ).scalar_subquery()

    def scalars(self, values: Select[Any], value: Any, order: list[Any]) -> Any:
        """The JSON array of a scalar ``value`` over the rows of ``values``, in ``order``."""
        if self.postgresql:
            aggregated = func.coalesce(
                func.json_agg(aggregate_order_by(value, *order)),
                literal_column("'[]'::json"),
            )
            return values.with_only_columns(aggregated).scalar_subquery()
        inner = values.with_only_columns(value.label("value")).order_by(*order).subquery()
        return (Select(func.json_group_array(inner.c.value)).select_from(inner)).scalar_subquery()

    def json_column(self, column: Any) -> ColumnElement[Any]:
        """A JSON column's value as a document (SQLite stores it as text)."""
        if self.postgresql:
            return column
        return func.json(column)

    def names(self, column: Any) -> ColumnElement[Any]:
        """A comma-separated list of plain names (``core,medical``) as a JSON array of
        strings; empty for ``''``. The names are identifiers: no quote to escape."""
        text = literal('["', Text) + func.replace(column, ",", '","') + literal('"]', Text)
        listed = cast(text, postgresql.JSON) if self.postgresql else func.json(text)
        empty = literal_column("'[]'::json") if self.postgresql else func.json("[]")
        return case((column == "", empty), else_=listed)

    def grouped(
        self,
        rows: Select[Any],
        values: dict[str, Any],
        order: list[Any],
        only: dict[str, Any],
    ) -> "Grouped":
        """Several JSON arrays over the same rows in one scan: ``values[name]`` (a document,
        or a scalar when ``name`` is in ``only``, whose condition filters its rows), each in
        ``order``; and the rows' count."""
        if self.postgresql:
            columns: dict[str, Any] = {}
            for name, value in values.items():
                aggregated: Any = func.json_agg(aggregate_order_by(value, *order))
                if name in only:
                    aggregated = aggregated.filter(only[name])
                columns[name] = func.coalesce(aggregated, literal_column("'[]'::json"))
            return Grouped(rows, columns, func.count())
        labelled = [value.label(f"v{index}") for index, value in enumerate(values.values())]
        conditions = [condition.label(f"c{index}") for index, condition in enumerate(only.values())]
        inner = rows.with_only_columns(*labelled, *conditions).order_by(*order).subquery()
        filters = {name: inner.c[f"c{index}"] for index, name in enumerate(only)}
        columns = {}
        for index, name in enumerate(values):
            value = inner.c[f"v{index}"]
            if name in filters:
                columns[name] = func.json_group_array(value).filter(filters[name] != 0)
            else:
                columns[name] = func.json_group_array(func.json(value))
        over: Any = Select(literal(1)).select_from(inner)
        return Grouped(over, columns, func.count())

    def boolean(self, column: Any) -> ColumnElement[Any]:
        if self.postgresql:
            return column
        return case(
            (column.is_(None), literal(None)),
            (column != 0, func.json("true")),
            else_=func.json("false"),
        )

    def decimal(self, column: Any, scale: int | None) -> ColumnElement[Any]:
        if self.postgresql:
            return cast(column, Text)
        if scale is None:
            return cast(column, Text)
        return case(
            (column.is_(None), literal(None)),
            else_=func.printf(f"%.{int(scale)}f", column),
        )

    def global_id(self, type_name: str, key: Any) -> ColumnElement[Any]:
        if self.postgresql:
            text = literal(f"{type_name}:", Text).op("||")(cast(key, Text))
            return func.encode(func.convert_to(text, "UTF8"), "base64")
        return func.bangfu_global_id(type_name, key)

    def hex(self, column: Any) -> ColumnElement[Any]:
        if self.postgresql:
            return func.encode(column, "hex")
        return func.hex(column)

    def age(self, birth_date: Any, year: Any, month_day: Any) -> ColumnElement[Any]:
        """Completed years on the day whose year and ``MMDD`` are bound, as
        ``bangfu.core.calendar.age_on`` counts them."""
        if self.postgresql:
            born = cast(func.extract("year", birth_date), Integer)
            later = cast(func.to_char(birth_date, "MMDD") > month_day, Integer)
        else:
            born = cast(func.strftime("%Y", birth_date), Integer)
            later = cast(func.strftime("%m%d", birth_date) > month_day, Integer)
        return year - born - later

    def fallback(self) -> ColumnElement[Any]:
        marker = '{"' + FALLBACK_KEY + '":1}'
        if self.postgresql:
            return literal_column(f"'{marker}'::json")
        return func.json(literal(marker))

    def denied(self, which: int) -> ColumnElement[Any]:
        """The marker of a refused field: ``which`` refusal of the field (0: a child's)."""
        marker = '{"' + DENIED_KEY + '":' + str(int(which)) + "}"
        if self.postgresql:
            return literal_column(f"'{marker}'::json")
        return func.json(literal(marker))

    def deferred(self, key: Any) -> ColumnElement[Any]:
        """The marker of a field resolved on the ordinary path for the row with ``key``."""
        return self.object([(DEFER_KEY, key)])

    def tagged(self, tag: str, value: Any) -> ColumnElement[Any]:
        """``value`` (hex digits) for Python to finish with the finisher ``tag``."""
        return self.object([(FINISH_PREFIX + tag, value)])

    def text(self, document: Any) -> ColumnElement[Any]:
        """The document as text for the driver (asyncpg would decode ``json`` itself)."""
        if self.postgresql:
            return cast(document, Text)
        return document


class Grouped:
    """Aggregates over one scan of rows: ``columns`` by name, the ``count``; ``select(x)``
    is the statement of ``x`` over those rows."""

    def __init__(self, rows: Select[Any], columns: dict[str, Any], count: Any) -> None:
        self.rows = rows
        self.columns = columns
        self.count = count

    def select(self, value: Any) -> Select[Any]:
        return self.rows.with_only_columns(value)


class _Json(Text):
    """A value of PostgreSQL's ``json`` type, passed on as it is."""

    cache_ok = True
