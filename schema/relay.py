"""Relay conventions: global IDs, the Node interface, cursors and page arguments."""

import base64
import binascii
from typing import Any

import strawberry

from bangfu.core.errors import DomainError, ErrorCode, not_found
from bangfu.core.i18n import _


def to_global_id(type_name: str, pk: int | str) -> str:
    """``Person:42`` in base64, as Relay expects."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


#: The largest key a row can have: keys are INTEGER columns, 32-bit signed on PostgreSQL
#: (SQLite's are 64-bit, and backups move between the two). A larger key reached the
#: database as an overflow of the driver (a 500): it is refused here as "no such object".
MAX_KEY = 2**31 - 1


def parse_key(text: str) -> int:
    """The integer key of a global ID or cursor: ASCII digits, 1 to :data:`MAX_KEY`.

    Anything else — a sign, spaces, underscores, other scripts' digits, zero, a key no
    row can have — raises ValueError, and so means "no such object", never a query.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_KEY)):
        raise ValueError(_("not a valid key"))
    key = int(text)
    if not 1 <= key <= MAX_KEY:
        raise ValueError(_("not a valid key"))
    return key


def split_global_id(global_id: str) -> tuple[str, str]:
    """The type name and the key text of a global ID, the key not checked yet; a malformed
    ID raises ValueError."""
    try:
        decoded = base64.b64decode(global_id.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(_("not a valid global ID")) from exc
    type_name, sep, pk = decoded.partition(":")
    if not sep or not type_name:
        raise ValueError(_("not a valid global ID"))
    return type_name, pk


#: A region's code, the key of its global ID: GB/T 2260 digits, or a zone's local code.
MAX_REGION_CODE = 12


def parse_region_code(text: str) -> str:
    """The region code of a ``Region`` global ID: 1 to 12 ASCII letters or digits; anything
    else raises ValueError (no such region)."""
    if not (text.isascii() and text.isalnum()) or len(text) > MAX_REGION_CODE:
        raise ValueError(_("not a valid region code"))
    return text


def from_global_id(global_id: str) -> tuple[str, str]:
    """Split a global ID; a malformed one, or one whose key no row can have, raises
    ValueError. The key part is always a valid :func:`parse_key` key."""
    type_name, pk = split_global_id(global_id)
    parse_key(pk)
    return type_name, pk


def decode_global_id(global_id: str | strawberry.ID) -> tuple[str, int]:
    """The type name and integer key of a global ID; ValueError when it names nothing.

    Every global ID an argument or input field takes is decoded here (through
    :func:`decode_id`, :func:`bangfu.schema.care.common.key_of` or ``node``'s loader).
    """
    type_name, pk = from_global_id(str(global_id))
    return type_name, int(pk)


def decode_id(global_id: str | strawberry.ID, expected: str, field: str) -> int:
    """The integer key of a global ID of type ``expected``, or a NOT_FOUND DomainError."""
    try:
        type_name, key = decode_global_id(global_id)
        if type_name != expected:
            raise ValueError
        return key
    except ValueError as exc:
        raise DomainError.of(field, not_found(expected), ErrorCode.NOT_FOUND) from exc


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="The global ID of the object.")


@strawberry.type(description="Where a page of a connection stands.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether more objects follow this page: ask again with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether objects come before this page (true when `after` was given)."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the first object of the page; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last object of the page, to pass as `after` for the "
        "next page; null when the page is empty."
    )


def encode_cursor(pk: int) -> str:
    return base64.b64encode(f"cursor:{pk}".encode()).decode()


def decode_cursor(cursor: str, argument: str = "after") -> int:
    """The key a cursor points after (or, for ``before``, before); ValueError (a request
    error naming ``argument``) when it is not one."""
    try:
        kind, _sep, pk = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        if kind != "cursor":
            raise ValueError
        return parse_key(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        if argument == "before":
            raise ValueError(_("before: not a valid cursor")) from exc
        raise ValueError(_("after: not a valid cursor")) from exc


def check_first(first: int, max_page_size: int) -> None:
    if not 1 <= first <= max_page_size:
        raise ValueError(_("first: must be between 1 and {maximum}", maximum=max_page_size))


def check_last(last: int, max_page_size: int) -> None:
    if not 1 <= last <= max_page_size:
        raise ValueError(_("last: must be between 1 and {maximum}", maximum=max_page_size))


def check_page(first: int | None, last: int | None, max_page_size: int) -> None:
    """A connection's page size: exactly one of ``first`` (forward) and ``last``
    (backward), 1 to ``max_page_size``; ValueError (BAD_USER_INPUT) otherwise."""
    if first is not None and last is not None:
        raise ValueError(_("first and last: give one of them, not both"))
    if first is not None:
        check_first(first, max_page_size)
    elif last is not None:
        check_last(last, max_page_size)
    else:
        raise ValueError(_("first or last: one of them is required"))


def page_info(
    rows: list[Any],
    has_next: bool,
    after: str | None,
    *,
    has_previous: bool | None = None,
    before: str | None = None,
) -> PageInfo:
    """Where a page stands. Forward (``first``): a next page when more rows were found than
    asked or a ``before`` bounds the page, a previous one after a cursor. Backward
    (``last``, with ``has_previous``): the mirror image."""
    if has_previous is None:
        has_previous = after is not None
        has_next = has_next or before is not None
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=encode_cursor(rows[0].id) if rows else None,
        end_cursor=encode_cursor(rows[-1].id) if rows else None,
    )
