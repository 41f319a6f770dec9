"""Phone numbers of mainland China: checked with ``phonenumbers`` and stored in one form.

Accepted: a mobile number (``138 1234 5678``) or a landline number with its area code
(``0357-2091234``, ``(0357) 209 1234``), written with spaces, hyphens, brackets, full-width
digits or a leading ``+86`` / ``0086``. Refused: anything else, e.g. ``call me``, a
number too short or too long for China's numbering plan, a number of Hong Kong, Macao,
Taiwan or another country, service numbers (``400``/``800``, ``95xxx``) and numbers a
person cannot be called on.

Stored form: the national number, digits only, as dialled inside mainland China: a mobile
number's 11 digits (``13812345678``), a landline's trunk ``0``, area code and subscriber
number (``03572091234``). All numbers are of one country, so no ``+86`` is kept; this is
the form people write and the form Bangfu stored before numbers were checked, so masking
(``138****5678``) and searching stay the same. :func:`e164` gives ``+8613812345678`` for a
gateway that needs it.
"""

import re
import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberType

from bangfu.core.i18n import _

#: The characters a written phone number may have besides digits.
_ALLOWED = re.compile(r"[0-9+\-() ./]+", re.ASCII)
_CALLABLE = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


class PhoneError(ValueError):
    """Why a text is not a phone number of mainland China (a translated sentence)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise(text: str) -> str:
    """The stored form of ``text`` (see the module), or :class:`PhoneError`."""
    written = unicodedata.normalize("NFKC", text).strip()
    if not written:
        raise PhoneError(_("is empty: write a phone number, or leave it out"))
    if not _ALLOWED.fullmatch(written) or not any(c.isdigit() for c in written):
        raise PhoneError(
            _(
                "is not a phone number: write the digits only (spaces, hyphens, brackets "
                "and a leading +86 are allowed)"
            )
        )
    try:
        number = phonenumbers.parse(written, "CN")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(
            _(
                "is not a phone number of mainland China: a mobile number has 11 digits "
                "starting with 1, a landline number is its area code starting with 0 and 7 "
                "or 8 digits"
            )
        ) from exc
    if number.country_code != 86:
        raise PhoneError(
            _(
                "is a number of another country or region (+{code}): only numbers of "
                "mainland China (+86) are accepted",
                code=number.country_code,
            )
        )
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(
            _(
                "is not a phone number of mainland China: a mobile number has 11 digits "
                "starting with 1, a landline number is its area code starting with 0 and 7 "
                "or 8 digits"
            )
        )
    if phonenumbers.number_type(number) not in _CALLABLE:
        raise PhoneError(
            _(
                "is not a mobile or landline number (e.g. a 400, 800 or 95 service number): "
                "write the person's own mobile or landline number"
            )
        )
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(c for c in national if c.isdigit())


def is_valid(text: str) -> bool:
    try:
        normalise(text)
    except PhoneError:
        return False
    return True


def e164(stored: str) -> str:
    """``13812345678`` → ``+8613812345678`` (a stored or written number)."""
    number = phonenumbers.parse(normalise(stored), "CN")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
