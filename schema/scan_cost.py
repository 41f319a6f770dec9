"""What a field reads to answer: the scan cost of filters and of whole-area fields.

The static cost of ``bangfu.schema.limits`` counts the values an answer holds: a page of 100
costs 100 times its selection. It cannot see what a resolver *reads* to find that page:
``persons(first: 1, filter: {atRisk: FOOD})`` judges every person of the actor's area
until it finds one. So every filter argument of every connection (a field with ``first``)
declares its **scan cost**, where it is declared, and any other field that reads a whole
area declares one too::

    # a field of a filter input
    region_code: str | None = strawberry.field(default=None, metadata=NARROWS)
    # an argument
    region_code: Annotated[str | None, strawberry.argument(metadata=NARROWS)] = None
    # a field that reads its whole area, whatever its arguments
    @strawberry.field(extensions=requires(READ), metadata=JUDGES)

A scan cost is ``fixed + per_person × persons`` in the unit of the static cost (about
one resolved field's work), ``persons`` being the estimated number of persons in the area
the field reads (``bangfu.core.registry.area_sizes``): the actor's area, or the region that a
``NARROWS`` argument of the same field names when it lies inside it. When the connection's
``totalCount`` is selected, the per-person part counts twice (the count reads all matches
again). The costs of a document's fields, multiplied like the static cost by the pages
around them, are its scan cost, refused over ``max_scan_cost`` before anything runs.

Measured on the demo data (2 cores, all built-in plugins): a field costs about 34 µs;
judging one person's bottom line about 0.8 ms, hence ``JUDGES`` = 25 per person; a SQL
filter that reads the whole area (``LIKE '%…%'``, ``NOT IN``, ``GROUP BY``) 1 to 4 µs per
person, hence ``SCANS`` = 0.1.

A connection argument without a declared scan cost is refused at start
(:class:`MissingScanCostError`), like a field without an access rule.
"""

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import strawberry
from graphql import (
    GraphQLArgument,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

METADATA_KEY = "bangfu.scan_cost"
PAGING_ARGUMENTS = frozenset({"first", "after", "last", "before"})


@dataclasses.dataclass(frozen=True)
class ScanCost:
    """What giving a filter (or resolving a field) reads: ``fixed`` plus ``per_person``
    for each person of the area read; ``narrows``: the value names the region read."""

    fixed: float = 0
    per_person: float = 0
    narrows: bool = False
    #: What it costs instead when the bottom line is read from the stored verdicts
    #: (``BANGFU_STORED_BOTTOM_LINE``, on by default); None: the same.
    stored: "ScanCost | None" = None

    def reading(self, stored_bottom_line: bool) -> "ScanCost":
        """The cost that applies with the stored bottom line on or off."""
        return self.stored if stored_bottom_line and self.stored is not None else self

    @property
    def metadata(self) -> dict[str, "ScanCost"]:
        """This cost as the ``metadata`` of a Strawberry field or argument."""
        return {METADATA_KEY: self}


def scan_cost(*, fixed: float = 0, per_person: float = 0) -> dict[str, ScanCost]:
    """The ``metadata`` of a field or argument that costs ``fixed + per_person × persons``."""
    return ScanCost(fixed=fixed, per_person=per_person).metadata


#: An index lookup, or a condition on rows read anyway: the page's own cost covers it.
INDEXED = ScanCost().metadata
#: A region code: an indexed range of region paths, and the area the field's scans read.
NARROWS = ScanCost(narrows=True).metadata
#: SQL reads every row of the area (a substring, an anti-join, a GROUP BY): 0.1 a person.
SCANS = ScanCost(per_person=0.1).metadata
#: Judging one person's bottom line in Python, in the unit of a field.
JUDGED_PERSON = 25
#: Reading one person's stored verdicts (ten rows), in the unit of a field.
STORED_PERSON = 1
#: Every person of the area is judged in Python (the bottom line): 25 a person; with the
#: stored verdicts, SQL reads the area's rows of one indicator (an index range): ``SCANS``.
JUDGES = ScanCost(per_person=JUDGED_PERSON, stored=ScanCost(per_person=0.1)).metadata
#: One person's bottom line (``Person.bottomLine``): judged, or read from ten stored rows.
JUDGES_ONE = ScanCost(fixed=JUDGED_PERSON, stored=ScanCost(fixed=STORED_PERSON)).metadata


#: The type of an optional ``regionCode`` argument of a field: it narrows what it reads.
RegionCode = Annotated[
    str | None,
    strawberry.argument(
        description="Only what lies in this region or below it (a region code within your "
        "area); omitted: your whole area.",
        metadata=NARROWS,
    ),
]


class MissingScanCostError(RuntimeError):
    """A connection's argument declares no scan cost: the service does not start."""


def declared(element: GraphQLField | GraphQLArgument | GraphQLInputField) -> ScanCost | None:
    """The scan cost declared on a field, argument or input field, if any."""
    definition = (element.extensions or {}).get("strawberry-definition")
    metadata: Mapping[Any, Any] = getattr(definition, "metadata", None) or {}
    found = metadata.get(METADATA_KEY)
    return found if isinstance(found, ScanCost) else None


def is_connection(field: GraphQLField) -> bool:
    return "first" in field.args


def check_scan_costs(schema: GraphQLSchema) -> None:
    """Refuse a schema in which an argument of a connection has no scan cost."""
    missing = sorted(set(_undeclared(schema)))
    if missing:
        raise MissingScanCostError(
            "every filter of a connection declares what it scans (bangfu.schema.scan_cost: "
            "metadata=INDEXED, NARROWS, SCANS, JUDGES or scan_cost(...)); missing: "
            + ", ".join(missing)
        )


def _undeclared(schema: GraphQLSchema) -> Iterator[str]:
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if not is_connection(field):
                continue
            for arg_name, argument in field.args.items():
                if arg_name in PAGING_ARGUMENTS:
                    continue
                where = f"{type_.name}.{name}({arg_name}"
                inner = get_named_type(argument.type)
                if isinstance(inner, GraphQLInputObjectType):
                    for input_name, input_field in inner.fields.items():
                        if declared(input_field) is None:
                            yield f"{where}.{input_name})"
                elif declared(argument) is None:
                    yield f"{where})"
