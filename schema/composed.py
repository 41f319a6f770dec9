"""How every other type refers to the composed GraphQL types ``Person`` and ``Household``.

Only ``Person`` and ``Household`` are composed at start (core's fields plus every plugin's
mixin). Every other type is declared once, at module level, and names them through
:data:`PersonType` and :data:`HouseholdType`: ``strawberry.lazy`` references to this
module's attributes ``ComposedPerson`` and ``ComposedHousehold``, which :func:`composing`
sets to the classes of the schema being built (one build at a time). Strawberry resolves a lazy
reference when it converts the schema, so each schema gets the classes it composed.

For mypy the two names are the rows they stand for (``models.Person``, ``models.Household``):
a resolver declared ``-> PersonType | None`` returns a person row.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

import strawberry

from bangfu.schema.connections import CURSOR, Page

if TYPE_CHECKING:
    from bangfu.core.registry.models import Household as _HouseholdRow
    from bangfu.core.registry.models import Person as _PersonRow

    PersonType: TypeAlias = _PersonRow
    HouseholdType: TypeAlias = _HouseholdRow
else:
    # Target names no module would import (a module with ``from __future__ import
    # annotations`` evaluates the name inside its own namespace first, where ``Person``
    # may well be the row).
    PersonType = Annotated["ComposedPerson", strawberry.lazy(__name__)]
    HouseholdType = Annotated["ComposedHousehold", strawberry.lazy(__name__)]

#: The composed classes of the schema being built (then of the last one built).
ComposedPerson: Any = None
ComposedHousehold: Any = None

_building = threading.RLock()


@contextmanager
def composing(person: type, household: type) -> Iterator[None]:
    """Make :data:`PersonType` and :data:`HouseholdType` mean ``person`` and ``household``
    while a schema is built; builds wait for each other."""
    global ComposedPerson, ComposedHousehold
    with _building:
        ComposedPerson, ComposedHousehold = person, household
        yield


@strawberry.type(name="PersonEdge", description="A person and its cursor.")
class PersonEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: PersonType = strawberry.field(description="The person.")


@strawberry.type(name="PersonConnection", description="A page of persons, with the total count.")
class PersonConnection(Page):
    edges: list[PersonEdge] = strawberry.field(
        description="The persons of this page with their cursors, in order."
    )
    nodes: list[PersonType] = strawberry.field(
        description="The persons of this page, in order: `edges` without the cursors."
    )


@strawberry.type(name="HouseholdEdge", description="A household and its cursor.")
class HouseholdEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: HouseholdType = strawberry.field(description="The household.")


@strawberry.type(
    name="HouseholdConnection", description="A page of households, with the total count."
)
class HouseholdConnection(Page):
    edges: list[HouseholdEdge] = strawberry.field(
        description="The households of this page with their cursors, in order."
    )
    nodes: list[HouseholdType] = strawberry.field(
        description="The households of this page, in order: `edges` without the cursors."
    )
