"""How each model is limited to an actor's area: every mapped model says it, or is global.

The security layer (``bangfu.core.security.scoping``) turns these declarations into one
``with_loader_criteria`` per scoped model on every ORM statement of a session.
"""

from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, column, false, select
from sqlalchemy.orm import Mapped, aliased, declared_attr, mapped_column

from bangfu.core.db import PathString, path_between, path_bounds, path_within


class GlobalModel:
    """Reference or security data readable regardless of the actor's area."""

    __area_scope__: ClassVar[str] = "global"


class AreaPathScoped:
    """A model that carries the materialised path of its own region (``area_path``)."""

    __area_scope__: ClassVar[str] = "area_path"

    @declared_attr
    def area_path(cls) -> Mapped[str]:
        return mapped_column(PathString, index=True)

    @classmethod
    def __area_criteria__(cls, prefix: str) -> ColumnElement[bool]:
        return path_within(cls.area_path, prefix)

    @classmethod
    def __area_criteria_between__(cls, lower: str, upper: str) -> ColumnElement[bool]:
        """The same criteria from the path's bounds (see ``bangfu.core.security.scoping``)."""
        return path_between(cls.area_path, lower, upper)

    @classmethod
    def __paired_criteria__(cls, person_ids: Select[Any]) -> ColumnElement[bool]:
        """Rows a paired official may see; models that relate to no person: none."""
        return false()


class PersonScoped:
    """A model with a ``person_id``; visible when the person is in the actor's area."""

    __area_scope__: ClassVar[str] = "person"
    person_id: Any

    @classmethod
    def __area_criteria__(cls, prefix: str) -> ColumnElement[bool]:

        return cls.__area_criteria_between__(*path_bounds(prefix))

    @classmethod
    def __area_criteria_between__(cls, lower: str, upper: str) -> ColumnElement[bool]:
        from bangfu.core.registry.models import Person

        # Correlated EXISTS, one primary-key probe per row: an IN over every person of the
        # area was materialised by each statement (half a second at 100,000 persons).
        # An alias correlated to nothing: a statement that itself selects from persons
        # (a join, or the ORM's own FROM) must not swallow the subquery's FROM.
        person = aliased(Person)
        return (
            select(person.id)
            .where(
                person.id == _column(cls, "person_id"), path_between(person.area_path, lower, upper)
            )
            .correlate_except(person)
            .exists()
        )

    @classmethod
    def __paired_criteria__(cls, person_ids: Select[Any]) -> ColumnElement[bool]:
        return cls.person_id.in_(person_ids)


class HouseholdScoped:
    """A model with a ``household_id``; visible when the household is in the actor's area."""

    __area_scope__: ClassVar[str] = "household"
    household_id: Any

    @classmethod
    def __area_criteria__(cls, prefix: str) -> ColumnElement[bool]:

        return cls.__area_criteria_between__(*path_bounds(prefix))

    @classmethod
    def __area_criteria_between__(cls, lower: str, upper: str) -> ColumnElement[bool]:
        from bangfu.core.registry.models import Household

        # Correlated EXISTS, as for PersonScoped.
        household = aliased(Household)
        return (
            select(household.id)
            .where(
                household.id == _column(cls, "household_id"),
                path_between(household.area_path, lower, upper),
            )
            .correlate_except(household)
            .exists()
        )

    @classmethod
    def __paired_criteria__(cls, person_ids: Select[Any]) -> ColumnElement[bool]:
        return cls.household_id.in_(households_of(person_ids))


def _column(cls: Any, name: str) -> Any:
    """``cls.<name>``; on the bare mixin (SQLAlchemy runs a mixin-wide criteria lambda once
    with the mixin itself, to find its bound parameters) a stand-in column of that name."""
    found = getattr(cls, name, None)
    return column(name) if found is None else found


def paired_person_ids(official_id: int | None) -> Select[Any]:
    """Persons paired with ``official_id`` by a pairing in force today (R6)."""
    from bangfu.core.calendar import today
    from bangfu.core.care.models import Pairing
    from bangfu.core.effective import in_force

    return select(Pairing.person_id).where(
        Pairing.official_id == official_id,
        in_force(Pairing.start_date, Pairing.end_date, today()),
    )


def households_of(person_ids: Select[Any]) -> Select[Any]:
    """Households these persons are current members of (a membership starting after
    today is not in force yet, :mod:`bangfu.core.effective`)."""
    from bangfu.core.calendar import today
    from bangfu.core.effective import current
    from bangfu.core.registry.models import Membership

    return select(Membership.household_id).where(
        Membership.person_id.in_(person_ids),
        current(Membership.start_date, Membership.end_date, today()),
    )
