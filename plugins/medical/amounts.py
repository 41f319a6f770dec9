"""Yuan amounts and ratios, exact: ``decimal.Decimal`` only, never float."""

import decimal

from bangfu.core.i18n import _
from bangfu.plugin import FieldError
from bangfu.plugins.medical.errors import MedicalErrorCode

FEN = decimal.Decimal("0.01")
RATIO_PLACES = decimal.Decimal("0.0001")
# Numeric(12, 2): ten digits before the point.
LARGEST = decimal.Decimal("9999999999.99")


def ratio(part: decimal.Decimal, whole: decimal.Decimal) -> decimal.Decimal:
    """``part / whole`` rounded half up to 4 places (0.1235 = 12.35 %)."""
    return (part / whole).quantize(RATIO_PLACES, rounding=decimal.ROUND_HALF_UP)


def percent(value: decimal.Decimal) -> str:
    """``0.2350`` → ``23.5 %``."""
    shown = (value * 100).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
    return f"{shown.normalize():f} %"


def amount_error(
    value: decimal.Decimal, field: str, *, positive: bool = False
) -> FieldError | None:
    """Why ``value`` is not an amount in yuan (finite, fen at most, not negative, at most
    ten digits before the point), or None."""

    def refuse(message: str) -> FieldError:
        return FieldError(field, message, MedicalErrorCode.INVALID_AMOUNT)

    if not value.is_finite():
        return refuse(_("an amount must be a number of yuan"))
    if value < 0:
        return refuse(_("an amount cannot be negative"))
    if value > LARGEST:
        return refuse(_("an amount cannot exceed {limit} yuan", limit=LARGEST))
    if value != value.quantize(FEN):
        return refuse(_("an amount has at most two decimal places (fen)"))
    if positive and value == 0:
        return refuse(_("the amount must be more than zero"))
    return None


def ratio_error(value: decimal.Decimal) -> str | None:
    """Why ``value`` (the argument ``ratio``) is not a ratio between 0 and 1 with at most 4
    places, or None."""
    if not value.is_finite() or not 0 <= value <= 1:  # NaN and infinities too
        return _("ratio: a ratio is between 0 and 1 (0.1 = 10 %)")
    if value != value.quantize(RATIO_PLACES):
        return _("ratio: a ratio has at most 4 decimal places")
    return None
