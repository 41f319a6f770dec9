"""A plugin module with ``from __future__ import annotations`` that imports the rows
``Person`` and ``Household`` under their own names and refers to the GraphQL types through
``PersonType`` and ``HouseholdType`` (tests/test_module_level_types.py)."""

from __future__ import annotations

import strawberry

from bangfu.plugin import Household, HouseholdType, Person, PersonType, requires


@strawberry.type
class FutureTestQuery:
    @strawberry.field(extensions=requires("registry:read"))
    def futuretest_home(self) -> HouseholdType | None:
        return None

    @strawberry.field(extensions=requires("registry:read"))
    def futuretest_people(self) -> list[PersonType]:
        return []

    @strawberry.field(extensions=requires("registry:read"))
    def futuretest_row_names(self) -> list[str]:
        return [Person.__tablename__, Household.__tablename__]
