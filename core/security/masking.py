"""Masking of sensitive values before they are written anywhere (audit rows, logs).

Two entry points:

- :func:`mask_tree` turns any value (a mutation's arguments, Strawberry input objects,
  dicts, lists, dates, enums ...) into JSON-ready data with sensitive parts masked, by the
  name of the key that holds them: ID numbers become first 6 + ``********`` + last 4,
  phone numbers ``138****5678``, passwords, tokens and secrets are removed entirely, and
  other sensitive values (diagnoses, disability, birth dates, ciphertexts, digests) become
  :data:`MASKED`. Free text is scanned too: anything shaped like an ID number or a mobile
  number inside a string is masked.
- :func:`mask_column` masks one ORM column value the same way, by column name and type
  (``LargeBinary`` columns are always :data:`MASKED`; ``*_masked`` columns are shown).

Free text that holds sensitive data whatever its name (a screening visit's notes, a
problem's description) is marked: a column with ``info={"sensitive": True}``, an input
field (a dataclass field, e.g. ``strawberry.field(metadata={"sensitive": True})``) with
``metadata``; its value becomes :data:`MASKED`.

A birth date is masked together with the ID number: the masked number's first 6 and last
4 characters plus the 8 birth-date digits are the whole number.
"""

import dataclasses
import datetime as dt
import decimal
import enum
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeEngine

from bangfu.core import idnumber

MASKED = "***"

# Keys whose values are removed entirely.
DROPPED = ("password", "token", "secret")
# Keys whose values are masked (only the fact that they are set is shown).
SENSITIVE = ("id_number", "cipher", "digest", "diagnos", "birth", "disabilit")

# The mark of a column (``info``) or input field (``metadata``) whose value is masked.
SENSITIVE_MARK = "sensitive"
# ``info`` of a column of free text about a household or a person.
SENSITIVE_TEXT = {SENSITIVE_MARK: True}

_ID_18 = re.compile(r"(?<![0-9０-９])[0-9０-９]{17}[0-9０-９XxＸｘ](?![0-9０-９A-Za-z])")
_ID_15 = re.compile(r"(?<![0-9０-９])[0-9０-９]{15}(?![0-9０-９A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(key: str) -> str:
    """``idNumber`` → ``id_number`` (keys are matched in snake case)."""
    return _CAMEL.sub("_", key).lower()


def camel(key: str) -> str:
    """``id_number`` → ``idNumber`` (input keys are shown as in the GraphQL schema)."""
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def is_dropped(key: str) -> bool:
    name = snake(key)
    return any(word in name for word in DROPPED)


def is_sensitive(key: str) -> bool:
    name = snake(key)
    return not name.endswith("_masked") and (
        is_dropped(name) or "phone" in name or any(word in name for word in SENSITIVE)
    )


def mask_id_number(value: str) -> str:
    """First 6 + ``********`` + last 4 of an ID number; anything else masked completely."""
    try:
        return idnumber.mask(value)
    except Exception:  # an unexpected shape: show nothing of it
        return "*" * len(value)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; short values are masked completely."""
    text = value.strip()
    if len(text) < 7:
        return "*" * len(text)
    return text[:3] + "****" + text[-4:]


def mask_text(text: str) -> str:
    """Mask whatever looks like an ID number or a mobile number inside free text."""
    text = _ID_18.sub(lambda m: mask_id_number(m.group()), text)
    text = _ID_15.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group()), text)


def _mask_sensitive(key: str, value: Any) -> Any:
    """The masked form of ``value`` held under the sensitive ``key``."""
    if value is None:
        return None
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_sensitive(key, item) for item in value]
    name = snake(key)
    if any(word in name for word in ("cipher", "digest")):
        return MASKED  # derived from an ID number: nothing of it is shown
    if "id_number" in name and isinstance(value, str):
        return mask_id_number(value)
    if "phone" in name and isinstance(value, str):
        return mask_phone(value)
    return MASKED


def mask_tree(value: Any, key: str | None = None) -> Any:
    """``value`` as JSON-ready data, masked by the names of the keys that hold it.

    Strawberry input objects (dataclasses) become dicts with GraphQL (camelCase) keys;
    unset fields are left out; enums become their values, dates ISO strings, decimals
    strings, bytes :data:`MASKED`.
    """
    if key is not None and is_sensitive(key):
        return _mask_sensitive(key, value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return mask_tree(value.value)
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return MASKED
    if isinstance(value, Mapping):
        return {
            str(k): mask_tree(v, str(k))
            for k, v in value.items()
            if not is_dropped(str(k)) and not _unset(v)
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            camel(f.name): _masked_if_marked(
                f.metadata.get(SENSITIVE_MARK), mask_tree(getattr(value, f.name), f.name)
            )
            for f in dataclasses.fields(value)
            if not is_dropped(f.name) and not _unset(getattr(value, f.name, None))
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_tree(item, key) for item in value]
    return mask_text(str(value))


def mask_column(name: str, type_: TypeEngine[Any], value: Any, *, sensitive: bool = False) -> Any:
    """One column value, masked by the column's name and type (or completely when the
    column is marked ``sensitive``), JSON-ready."""
    if value is None:
        return None
    if sensitive:
        return MASKED
    if isinstance(type_, LargeBinary) or isinstance(value, bytes | bytearray | memoryview):
        return MASKED
    if is_dropped(name):
        return MASKED  # a column (a password hash) is shown as changed, never its value
    return mask_tree(value, name)


def _unset(value: Any) -> bool:
    # strawberry.UNSET, without importing Strawberry into core
    return type(value).__name__ == "UnsetType"


def _masked_if_marked(marked: Any, value: Any) -> Any:
    return MASKED if marked and value is not None else value
