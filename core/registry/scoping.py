"""How each model is limited to an actor's area: every mapped model says it, or is global.

The security layer (``core.security.scoping``) turns these declarations into one
``with_loader_criteria`` per scoped model on every ORM statement of a session.
"""

from typing import Any, ClassVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from core.db import PathString, path_within


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
        return path_within(cls.area_path, prefix)  # type: ignore[attr-defined]


class PersonScoped:
    """A model with a ``person_id``; visible when the person is in the actor's area."""

    __area_scope__: ClassVar[str] = "person"
    person_id: Any

    @classmethod
    def __area_criteria__(cls, prefix: str) -> ColumnElement[bool]:
        from core.registry.models import Person

        return cls.person_id.in_(  # type: ignore[no-any-return]
            select(Person.id).where(path_within(Person.area_path, prefix))
        )


class HouseholdScoped:
    """A model with a ``household_id``; visible when the household is in the actor's area."""

    __area_scope__: ClassVar[str] = "household"
    household_id: Any

    @classmethod
    def __area_criteria__(cls, prefix: str) -> ColumnElement[bool]:
        from core.registry.models import Household

        return cls.household_id.in_(  # type: ignore[no-any-return]
            select(Household.id).where(path_within(Household.area_path, prefix))
        )
