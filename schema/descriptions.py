"""Descriptions in the schema: every type, field, argument, input field and enum value has one.

GraphiQL, code generators and linters show a description to a partner's developer, so the
printed schema carries one for everything (issue 20). :func:`missing_descriptions` finds
those that are missing, with the Python module that defines each, so a test can hold core
and each plugin to it. :func:`graphql_enum` describes the values of an enum whose Python
class cannot carry ``strawberry.enum_value`` (a ``StrEnum`` stored in the database).
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    specified_scalar_types,
)

E = TypeVar("E", bound=type[enum.Enum])

#: Where Strawberry keeps its own definition on a graphql-core type, field or value.
_DEFINITION = "strawberry-definition"


def graphql_enum(
    cls: E, *, name: str, description: str, values: Mapping[enum.Enum | str, str]
) -> E:
    """Register ``cls`` as the GraphQL enum ``name`` with a description for each value;
    returns ``cls`` as ``strawberry.enum`` does.

    ``values`` maps every member (or its name) to its description. A member without a
    description, or a key that is neither a member nor a member's name, raises ValueError
    when the module is imported, so a new member cannot go undescribed.
    """
    members = list(cls)
    by_name: dict[str, str] = {}
    foreign: list[str] = []
    for key, text in values.items():
        if isinstance(key, enum.Enum):
            if key in members:
                by_name[key.name] = text
            else:
                foreign.append(repr(key))
        elif key in cls.__members__:
            by_name[key] = text
        else:
            foreign.append(repr(key))
    missing = [m.name for m in members if not (by_name.get(m.name) or "").strip()]
    if missing or foreign:
        raise ValueError(
            f"graphql_enum({name}): describe every member and only those "
            f"(missing: {', '.join(missing) or '-'}; not members: {', '.join(foreign) or '-'})"
        )
    strawberry.enum(cls, name=name, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = by_name[value.name]
    return cls


@dataclass(frozen=True)
class MissingDescription:
    """One schema element without a description.

    ``kind`` is ``type``, ``field``, ``argument``, ``input field`` or ``enum value``;
    ``coordinate`` names it in GraphQL (``Person``, ``Person.name``,
    ``Query.persons(first:)``, ``Sex.MALE``); ``module`` is the Python module of the
    Strawberry definition (the class, or the resolver of a field and its arguments).
    """

    kind: str
    coordinate: str
    module: str

    def __str__(self) -> str:
        return f"{self.kind} {self.coordinate} ({self.module})"


def missing_descriptions(schema: strawberry.Schema) -> list[MissingDescription]:
    """Every type, field, argument, input field and enum value of ``schema`` whose
    description is missing or blank; introspection types and GraphQL's own scalars are
    left out. In schema order (types by name)."""
    graphql: GraphQLSchema = schema._schema
    missing: list[MissingDescription] = []

    def check(description: str | None, kind: str, coordinate: str, module: str) -> None:
        if not (description or "").strip():
            missing.append(MissingDescription(kind, coordinate, module))

    for name in sorted(graphql.type_map):
        graphql_type = graphql.type_map[name]
        if name.startswith("__") or name in specified_scalar_types:
            continue
        type_module = _module(_definition(graphql_type))
        check(graphql_type.description, "type", name, type_module)
        if isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                check(value.description, "enum value", f"{name}.{value_name}", type_module)
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, input_field in graphql_type.fields.items():
                module = _module(_definition(input_field)) or type_module
                check(input_field.description, "input field", f"{name}.{field_name}", module)
        elif isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in graphql_type.fields.items():
                module = _module(_definition(field)) or type_module
                coordinate = f"{name}.{field_name}"
                check(field.description, "field", coordinate, module)
                for argument_name, argument in field.args.items():
                    check(
                        argument.description,
                        "argument",
                        f"{coordinate}({argument_name}:)",
                        module,
                    )
    return missing


def _definition(element: Any) -> Any:
    return (getattr(element, "extensions", None) or {}).get(_DEFINITION)


def _module(definition: Any) -> str:
    """The module that defines a Strawberry definition: a field's resolver or class, a
    type's class; empty when there is none (a scalar of Strawberry's own)."""
    if definition is None:
        return ""
    origin = getattr(definition, "origin", None)  # a class, or a field's resolver
    origin = getattr(origin, "__func__", origin)  # a staticmethod's function
    return str(getattr(origin, "__module__", "") or "")


#: The ``input`` argument of every core mutation.
INPUT = strawberry.argument(
    description="What to do. An input that is refused changes nothing: the payload's "
    "`errors` say which field is wrong and why."
)
#: The ``errors`` field of every core payload.
ERRORS = (
    "Why the input was refused, one entry per problem; empty when the mutation succeeded. "
    "When it is not empty nothing was changed."
)
#: The ``id`` argument of every field that looks one object up by its global ID.
GLOBAL_ID = strawberry.argument(
    description="The object's global ID (its `id`). The answer is null when it names "
    "nothing, or nothing you may see (the two look the same)."
)
#: The ``filter`` argument of every connection field that takes one.
FILTER = strawberry.argument(description="Conditions the objects must meet; omitted: none.")
