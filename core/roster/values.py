"""Parsers plugins share for roster cells: yuan amounts, yes/no, dates."""

import datetime as dt
import decimal
import re

from bangfu.core.i18n import _
from bangfu.core.roster.columns import RosterValueError

YES = {"是", "有", "yes", "y", "true", "1", "√"}
NO = {"否", "无", "no", "n", "false", "0", "×"}
_DATE_ZH = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?")


def yuan(text: str) -> decimal.Decimal:
    """An exact, non-negative amount in yuan with at most two decimals (``1,200.50``)."""
    try:
        amount = decimal.Decimal(text.replace(",", "").replace("元", "").strip())
    except decimal.InvalidOperation:
        raise RosterValueError(
            _(
                "「{text}」 is not an amount of money: write the amount in yuan as a number, "
                "e.g. 1200 or 1,200.50",
                text=text,
            )
        ) from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise RosterValueError(
            _(
                "「{text}」 is not a usable amount: an amount in yuan is 0 or more, with at most "
                "2 decimals (fen), e.g. 1200 or 1,200.50",
                text=text,
            )
        )
    return amount.quantize(decimal.Decimal("0.01"))


def yes_no(text: str) -> bool:
    """是/否, yes/no, true/false, 1/0."""
    key = text.strip().lower()
    if key in YES:
        return True
    if key in NO:
        return False
    raise RosterValueError(_("「{text}」 is not yes or no: write 是 or 否", text=text))


def day(text: str) -> dt.date:
    """``2024-03-01``, ``2024/3/1``, ``2024.3.1`` or ``2024年3月1日``."""
    found = _DATE_ZH.fullmatch(text)
    parts = found.groups() if found else re.split(r"[-/.]", text)
    try:
        year, month, day_ = (int(p) for p in parts)
        return dt.date(year, month, day_)
    except ValueError:
        raise RosterValueError(
            _(
                "「{text}」 is not a date: write it as 2024-03-01 or 2024年3月1日, or format the "
                "cell as a date",
                text=text,
            )
        ) from None
