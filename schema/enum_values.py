"""``graphql_enum``: a Python enum as a GraphQL enum with a description on every value.

Strawberry describes an enum value with ``strawberry.enum_value(...)`` as the member's
value, which a ``StrEnum`` (the models store theirs by name) cannot hold. This registers
the enum with ``strawberry.enum`` and then gives each value its description, so the
printed schema carries them; a member left out, or one of another enum, is a mistake
caught when the module is imported.
"""

import enum
from collections.abc import Mapping
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=type[enum.Enum])


def graphql_enum(cls: E, *, name: str, description: str, values: Mapping[enum.Enum, str]) -> E:
    """Register ``cls`` as the GraphQL enum ``name``, described, with ``values[member]``
    the description of each member; returns ``cls`` as ``strawberry.enum`` does.

    :raises ValueError: a member of ``cls`` without a description, or a key that is not
        a member of ``cls``.
    """
    members = list(cls)
    missing = [member.name for member in members if not values.get(member)]
    foreign = [repr(key) for key in values if key not in members]
    if missing or foreign:
        raise ValueError(
            f"graphql_enum({cls.__name__}): describe every member and only those "
            f"(missing: {', '.join(missing) or '-'}; not members: {', '.join(foreign) or '-'})"
        )
    strawberry.enum(cls, name=name, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        value.description = values[cls(value.value)]
    return cls
