"""Looking a cell's text up in a table of accepted words (Chinese or English)."""

import re
import unicodedata
from collections.abc import Mapping
from typing import TypeVar

from bangfu.core.i18n import _
from bangfu.core.roster.columns import RosterValueError

T = TypeVar("T")


def lookup(table: Mapping[str, T], text: str, what: str, accepted: str) -> T:
    """``table[text]`` ignoring case, spaces and full-width forms, or a clear reason.

    ``accepted`` lists the words a clerk may write (Chinese first), e.g. ``"城镇、农村"``.
    ``what`` (an English word naming the value) is kept for the callers that pass it; the
    reason does not need it, since the problem names its column.
    """
    del what  # the problem's column says what the value is
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
    if key not in table:
        raise RosterValueError(
            _(
                "「{text}」 is not one of the values this column takes: write one of {accepted}",
                text=text,
                accepted=accepted,
            )
        )
    return table[key]
