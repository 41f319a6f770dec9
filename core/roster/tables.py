"""Looking a cell's text up in a table of accepted words (Chinese or English)."""

import re
import unicodedata
from collections.abc import Mapping
from typing import TypeVar

from bangfu.core.roster.columns import RosterValueError

T = TypeVar("T")


def lookup(table: Mapping[str, T], text: str, what: str, accepted: str) -> T:
    """``table[text]`` ignoring case, spaces and full-width forms, or a clear reason."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
    if key not in table:
        raise RosterValueError(f"unknown {what} {text!r}: use one of {accepted}")
    return table[key]
