"""Area criteria of care rows that belong to an area rather than to a person."""

from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, false, func, literal, or_
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from bangfu.core.db import PathString, path_within


class OverlappingAreaScoped:
    """A row about a whole area (a campaign, a donation), with the area's path.

    Visible to an actor whose area lies inside it or contains it: a township officer
    records visits for the county's campaign, and sees only the township's households in
    it (those rows are household-scoped). Paired officials see none of these rows.
    """

    __area_scope__: ClassVar[str] = "area_path"

    @declared_attr
    def area_path(cls) -> Mapped[str]:
        return mapped_column(PathString, index=True)

    @classmethod
    def __area_criteria__(cls, prefix: str) -> ColumnElement[bool]:
        column: Any = cls.area_path
        return or_(
            path_within(column, prefix),
            func.substr(literal(prefix), 1, func.length(column)) == column,
        )

    @classmethod
    def __paired_criteria__(cls, person_ids: Select[Any]) -> ColumnElement[bool]:
        return false()
