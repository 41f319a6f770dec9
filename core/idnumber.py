"""GB 11643 Chinese resident ID numbers (居民身份证号码): parsing and validation.

A second-generation number has 18 characters::

    141023 19850704 123 X
    |      |        |   +-- check character (ISO 7064 MOD 11-2, digit or "X")
    |      |        +------ sequence code (odd = male, even = female)
    |      +--------------- birth date YYYYMMDD
    +---------------------- address code (GB/T 2260)

First-generation (legacy) numbers have 15 digits: a 2-digit year (always
19YY) and no check character. They are upgraded to the 18-character form.

Privacy: no error message, ``repr`` or warning produced by this module ever
contains a full ID number.  Warnings may contain the 6-digit address code.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from stdnum.cn import ric
from stdnum.exceptions import ValidationError
from stdnum.iso7064 import mod_11_2

from bangfu.core.i18n import _

__all__ = [
    "MIN_BIRTH_DATE",
    "IdNumber",
    "IdNumberError",
    "Sex",
    "check_character",
    "is_valid",
    "make",
    "mask",
    "normalise",
    "parse",
    "parse_spreadsheet_cell",
    "spreadsheet_damage",
    "upgrade_legacy",
]

#: Earliest birth date accepted by :func:`parse`.
MIN_BIRTH_DATE = datetime.date(1900, 1, 1)

_SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Province-level prefixes of GB/T 2260 address codes.
_PROVINCE_CODES: frozenset[str] = frozenset(
    [str(n) for n in range(11, 16)]
    + [str(n) for n in range(21, 24)]
    + [str(n) for n in range(31, 38)]
    + [str(n) for n in range(41, 47)]
    + [str(n) for n in range(50, 55)]
    + [str(n) for n in range(61, 66)]
    + ["71", "81", "82"]
)

_RE_18 = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_RE_15 = re.compile(r"[0-9]{15}", re.ASCII)
_RE_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]*)?E[+-]?[0-9]+", re.ASCII | re.IGNORECASE)
_MASK_MIDDLE = "*" * 8
# A number a spreadsheet printed with a decimal part (``141023198507041234.0``).
_RE_DECIMAL = re.compile(r"[0-9]+\.[0-9]*", re.ASCII)

#: The fix for every kind of damage a spreadsheet does to a number stored as a number.


class Sex(enum.StrEnum):
    """Sex encoded in the sequence code (17th character): odd = male."""

    MALE = "MALE"
    FEMALE = "FEMALE"


class IdNumberError(ValueError):
    """Invalid ID number.

    ``code`` is always ``"INVALID_ID_NUMBER"``; ``reason`` is a short human
    sentence.  The message never contains the ID number itself, so that logs
    do not carry plain ID numbers.
    """

    code: str = "INVALID_ID_NUMBER"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason: str = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class IdNumber:
    """A parsed, valid resident ID number.

    ``repr()`` is masked so that an ``IdNumber`` in a log line or traceback
    does not reveal the number.
    """

    value: str
    """Canonical 18 characters, uppercase ``X``."""
    region_code: str
    """First 6 digits: the address code (GB/T 2260)."""
    birth_date: datetime.date
    sex: Sex
    """From the 17th digit: odd = :attr:`Sex.MALE`."""
    upgraded_from_legacy: bool
    """True when the input was a 15-digit first-generation number."""
    warnings: tuple[str, ...] = ()
    """Non-fatal findings, e.g. an address code not in use in the birth year."""

    def masked(self) -> str:
        """Return first 6 + ``"********"`` + last 4, e.g. ``141023********123X``."""
        return self.value[:6] + _MASK_MIDDLE + self.value[14:]

    def age_on(self, day: datetime.date) -> int:
        """Return the age in completed years (周岁) on ``day``.

        Someone born on 29 February completes a year on 1 March in common
        years.  Raises :class:`ValueError` if ``day`` is before the birth date.
        """
        born = self.birth_date
        if day < born:
            raise ValueError("day is before the birth date")
        years = day.year - born.year
        if (day.month, day.day) < (born.month, born.day):
            years -= 1
        return years

    def __repr__(self) -> str:
        return (
            f"IdNumber(masked={self.masked()!r}, sex={self.sex.value}, "
            f"upgraded_from_legacy={self.upgraded_from_legacy}, "
            f"warnings={self.warnings!r})"
        )

    def __str__(self) -> str:
        return self.masked()


def normalise(raw: str) -> str:
    """Normalise user input without removing anything inside the number.

    NFKC-normalises (full-width digits and full-width ``Ｘ`` become ASCII),
    strips surrounding whitespace and uppercases ``x``.  Internal whitespace
    and other characters are kept so that :func:`parse` can reject them.
    """
    return unicodedata.normalize("NFKC", raw).strip().replace("x", "X")


def check_character(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character (``0``-``9`` or ``X``).

    ``first17`` must be exactly 17 ASCII digits.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise IdNumberError(_("the first 17 characters must be 17 digits"))
    result: str = mod_11_2.calc_check_digit(first17)
    return result


def upgrade_legacy(number15: str) -> str:
    """Upgrade a 15-digit first-generation number to 18 characters.

    Inserts ``"19"`` before the 2-digit year and appends the check character.
    Only the format is checked here; use :func:`parse` for full validation.
    """
    if not _RE_15.fullmatch(number15):
        raise IdNumberError(
            _("a first-generation ID number must be exactly 15 digits: compare it with the ID card")
        )
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


def _today_in_china() -> datetime.date:
    return datetime.datetime.now(_SHANGHAI).date()


def _birth_date(canonical: str) -> datetime.date:
    """Extract the birth date, raising IdNumberError if it is not a real date."""
    year, month, day = int(canonical[6:10]), int(canonical[10:12]), int(canonical[12:14])
    if not 1 <= month <= 12:
        raise IdNumberError(
            _(
                "the birth date (the 8 digits from the 7th) has an invalid month: check those "
                "8 digits against the ID card"
            )
        )
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise IdNumberError(
            _(
                "the birth date (the 8 digits from the 7th) is not a real calendar date: "
                "check those 8 digits against the ID card"
            )
        ) from None


def _address_warnings(canonical: str, birth_date: datetime.date) -> tuple[str, ...]:
    """Warn (not fail) when the address code was not in use in the birth year."""
    if not _address_warnings_of(canonical[:6], birth_date.year):
        return ()
    return (
        _(
            "address code {code} was not in use in {year}",
            code=canonical[:6],
            year=birth_date.year,
        ),
    )


@functools.lru_cache(maxsize=8192)
def _address_warnings_of(code: str, year: int) -> tuple[str, ...]:
    # stdnum's lookup depends on the address code and the birth year only, and is slow
    # (a roster of 20,000 rows spent most of its parsing here): remembered.
    # The warning is written by the caller, in the reader's language (not kept here).
    try:
        ric.get_birth_place(f"{code}{year:04d}0101000")
    except ValidationError:
        return (code, str(year))
    return ()


def parse(raw: str, *, today: datetime.date | None = None) -> IdNumber:
    """Parse and validate a resident ID number (18 characters or legacy 15 digits).

    ``today`` bounds the birth date from above; it defaults to today's date in
    Asia/Shanghai.  Raises :class:`IdNumberError` with a specific reason.
    """
    if not isinstance(raw, str):
        raise IdNumberError(_("the ID number must be text"))
    text = normalise(raw)
    if not text:
        raise IdNumberError(_("the ID number is empty: enter the 18 characters from the ID card"))
    if _RE_SCIENTIFIC.fullmatch(text):
        raise IdNumberError(
            _(
                "the ID number looks like scientific notation (was it formatted as a number "
                "in a spreadsheet?): enter it as text"
            )
        )
    if any(ch.isspace() for ch in text):
        raise IdNumberError(
            _("the ID number contains spaces: delete them and enter the characters only")
        )

    legacy = len(text) == 15
    if legacy:
        if not _RE_15.fullmatch(text):
            raise IdNumberError(
                _(
                    "a first-generation ID number must be exactly 15 digits: compare it with the "
                    "ID card"
                )
            )
        canonical = upgrade_legacy(text)
    elif len(text) == 18:
        if not _RE_18.fullmatch(text):
            raise IdNumberError(
                _(
                    "the ID number must be 17 digits followed by a digit or X: compare it with "
                    "the ID card"
                )
            )
        if text[17] != check_character(text[:17]):
            raise IdNumberError(
                _(
                    "the check character (the last one) does not match the other 17: a digit "
                    "was probably mistyped; compare the number with the ID card"
                )
            )
        canonical = text
    else:
        raise IdNumberError(
            _(
                "the ID number has {count} characters; it must have 18 characters (or 15 digits "
                "for a first-generation number): compare it with the ID card",
                count=len(text),
            )
        )

    if canonical[:2] not in _PROVINCE_CODES:
        raise IdNumberError(
            _("the first 2 digits are not a province code: compare the number with the ID card")
        )

    birth_date = _birth_date(canonical)
    if birth_date < MIN_BIRTH_DATE:
        raise IdNumberError(
            _(
                "the birth date (the 8 digits from the 7th) is before 1900: check those 8 "
                "digits against the ID card"
            )
        )
    if birth_date > (today if today is not None else _today_in_china()):
        raise IdNumberError(
            _(
                "the birth date (the 8 digits from the 7th) is in the future: check those 8 "
                "digits against the ID card"
            )
        )

    return IdNumber(
        value=canonical,
        region_code=canonical[:6],
        birth_date=birth_date,
        sex=Sex.MALE if int(canonical[16]) % 2 == 1 else Sex.FEMALE,
        upgraded_from_legacy=legacy,
        warnings=_address_warnings(canonical, birth_date),
    )


def is_valid(raw: str) -> bool:
    """Return True if :func:`parse` accepts ``raw`` (warnings are allowed)."""
    try:
        parse(raw)
    except IdNumberError:
        return False
    return True


def make(region_code: str, birth_date: datetime.date, sequence: int) -> str:
    """Build a valid 18-character number (for demo data and tests).

    ``sequence`` is 1..999 (odd = male); the check character is computed.
    Raises :class:`ValueError` for a malformed region code, an unknown
    province, a birth date before 1900 or a sequence out of range.
    """
    if not re.fullmatch(r"[0-9]{6}", region_code, re.ASCII):
        raise ValueError("region_code must be 6 digits")
    if region_code[:2] not in _PROVINCE_CODES:
        raise ValueError("region_code does not start with a valid province code")
    if not MIN_BIRTH_DATE <= birth_date <= datetime.date(9999, 12, 31):
        raise ValueError("birth_date must be on or after 1900-01-01")
    if isinstance(sequence, bool) or not 1 <= sequence <= 999:
        raise ValueError("sequence must be between 1 and 999")
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def mask(raw_or_canonical: str) -> str:
    """Mask a stored ID number for display or logging.

    Returns first 6 + ``"********"`` + last 4 for an 18-character value
    (15-digit legacy values are upgraded first).  Anything else is masked
    completely, so this never leaks an unexpected value.  It does not validate.
    """
    text = normalise(raw_or_canonical)
    if _RE_15.fullmatch(text):
        text = upgrade_legacy(text)
    if len(text) == 18:
        return text[:6] + _MASK_MIDDLE + text[14:]
    return "*" * len(text)


def spreadsheet_damage(cell: object) -> str | None:
    """Say what a spreadsheet did to an ID number cell, with the fix, or None.

    Each finding is reported, never repaired: a number that lost its last digits cannot be
    recovered, and "cleaning" full-width digits or spaces behind the user's back hides a
    column that will go wrong again. Detected:

    - a numeric cell (Excel keeps 15 significant digits of a number);
    - scientific notation (``1.41023E+17``) or a decimal part (``...1234.0``);
    - 18 digits ending in zeros whose check character fails: the digits after the 15th
      were lost when the number was stored as a number;
    - full-width digits or ``Ｘ``; a lowercase ``x``; spaces anywhere in the cell.
    """
    if isinstance(cell, bool):
        return _(
            "the cell holds TRUE/FALSE, not an ID number; format the ID column as text and "
            "re-enter the number from the ID card"
        )
    if isinstance(cell, int | float):
        return _(
            "the cell holds a number, not text: a spreadsheet keeps only 15 digits of a "
            "number and may show it as 1.41023E+17; format the ID column as text and "
            "re-enter the number from the ID card"
        )
    if not isinstance(cell, str):
        return _(
            "the cell does not hold text; format the ID column as text and re-enter the "
            "number from the ID card"
        )
    if any(ch.isspace() for ch in cell):
        return _("the ID number contains spaces; delete them and enter the 18 characters only")
    ascii_text = unicodedata.normalize("NFKC", cell)
    if _RE_SCIENTIFIC.fullmatch(ascii_text):
        return _(
            "the ID number is in scientific notation (like 1.41023E+17); format the ID column "
            "as text and re-enter the number from the ID card"
        )
    if _RE_DECIMAL.fullmatch(ascii_text):
        return _(
            "the ID number has a decimal point, so it was stored as a number; format the ID "
            "column as text and re-enter the number from the ID card"
        )
    if ascii_text != cell:
        return _(
            "the ID number contains full-width characters (such as １ or Ｘ); "
            "re-enter it with half-width digits and X"
        )
    if len(cell) == 18 and cell[17] == "x":
        return _("the check character is a lowercase x; enter it as an uppercase X")
    if (
        _RE_18.fullmatch(cell)
        and cell.endswith("0")
        and cell[15:].strip("0") == ""
        and cell[17] != check_character(cell[:17])
    ):
        return _(
            "the digits after the 15th are zeros and the check character does not match: "
            "the spreadsheet stored the number as a number and lost them; format the ID "
            "column as text and re-enter the number from the ID card"
        )
    return None


def parse_spreadsheet_cell(cell: object, *, today: datetime.date | None = None) -> IdNumber:
    """Parse an ID number from a spreadsheet cell, refusing any damage the sheet did.

    Like :func:`parse`, but strict: the cell must hold text with exactly the characters of
    the number (see :func:`spreadsheet_damage`). A 15-digit first-generation number is
    upgraded to 18 characters (``upgraded_from_legacy`` is True).
    Raises :class:`IdNumberError` with the reason and the fix.
    """
    if cell is None or cell == "":
        raise IdNumberError(_("the ID number is empty"))
    damage = spreadsheet_damage(cell)
    if damage is not None:
        raise IdNumberError(damage)
    assert isinstance(cell, str)
    parsed = parse(cell, today=today)
    if cell.endswith("000"):
        # Its check character matches, but a number stored as a number ends the same way
        # one time in eleven: accepted, with a warning to compare it with the card.
        warning = _(
            "the ID number ends in 000, as numbers damaged by a spreadsheet do; "
            "compare it with the ID card"
        )
        return dataclasses.replace(parsed, warnings=(*parsed.warnings, warning))
    return parsed
