"""Stored text fits its column, on every database and for every writer.

SQLite stores a string of any length in a ``VARCHAR(200)``; PostgreSQL refuses it with a
driver error (a 500). Before each flush, :func:`check_lengths` holds every string that a
new or changed row would store to its column's length and refuses the write with a
:class:`~bangfu.core.errors.DomainError` (``TOO_LONG``, "at most N characters", naming the
field by its camel-case name): the mutation's payload gets the error, and its transaction
is rolled back. Services check the fields they know with their own messages first; this
covers every other column, plugins' included, with the column's own length.
"""

from itertools import chain
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from bangfu.core.errors import DomainError, ErrorCode, FieldError
from bangfu.core.i18n import _

#: Free-text notes kept in TEXT columns (visit notes, responses, five-knowns notes).
MAX_NOTES = 4000


def length_errors(field: str, value: str | None, limit: Any) -> list[FieldError]:
    """``[error]`` when ``value`` is longer than ``limit``: a number of characters, or a
    mapped string attribute (``Person.phone``) whose column's length is the limit."""
    if isinstance(limit, int):
        length = limit
    else:
        length = limit.property.columns[0].type.length
    if value is None or len(value) <= length:
        return []
    return [FieldError(field, _("at most {limit} characters", limit=length), ErrorCode.TOO_LONG)]


def check_length(field: str, value: str | None, limit: Any) -> None:
    """Raise :func:`length_errors` as a :class:`~bangfu.core.errors.DomainError`, if any."""
    if errors := length_errors(field, value, limit):
        raise DomainError(*errors)


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def too_long(obj: Any) -> list[FieldError]:
    """The strings of ``obj`` set since it was loaded that do not fit their columns."""
    state = inspect(obj)
    # A new row stores everything it holds; a loaded one only what was changed (an old
    # row too long for its column is left alone until that field is written).
    changed = state.dict.keys() if state.key is None else state.committed_state.keys()
    errors = []
    for attribute in state.mapper.column_attrs:
        if attribute.key not in changed:
            continue
        length = getattr(attribute.columns[0].type, "length", None)
        value = state.dict.get(attribute.key)
        if length is not None and isinstance(value, str) and len(value) > length:
            errors.append(
                FieldError(
                    camel_case(attribute.key),
                    _("at most {limit} characters", limit=length),
                    ErrorCode.TOO_LONG,
                )
            )
    return errors


def check_lengths(session: Session, _context: Any, _instances: Any) -> None:
    """``before_flush``: refuse the flush when any new or changed string is too long."""
    errors = [error for obj in chain(session.new, session.dirty) for error in too_long(obj)]
    if errors:
        raise DomainError(*errors)


def install() -> None:
    """Register :func:`check_lengths` on every session (idempotent)."""
    if not event.contains(Session, "before_flush", check_lengths):
        event.listen(Session, "before_flush", check_lengths)
