"""Logs never carry plain ID numbers: every log record is masked when it is created.

Installed as a log-record factory, so it covers every logger (ours, Strawberry's,
SQLAlchemy's, uvicorn's) and the text of logged exceptions, whatever the handlers.
"""

import logging
import re
from typing import Any

# An 18-character number (17 digits and a digit or X) or a 15-digit legacy number, not
# inside a longer run of digits; full-width digits are folded first.
_ID_NUMBER = re.compile(r"(?<![0-9])([0-9]{6})([0-9]{8}[0-9]{3}[0-9Xx]|[0-9]{9})(?![0-9A-Za-z])")
_FULL_WIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ｘＸ"}
_installed = False


def mask_text(text: str) -> str:
    """Replace every ID-number-like sequence by its first 6 and last 4 characters."""
    folded = text.translate(_FULL_WIDTH)
    if not any(c.isdigit() for c in folded):
        return text
    return _ID_NUMBER.sub(
        lambda m: m.group(1) + "*" * (len(m.group(2)) - 4) + m.group(2)[-4:], folded
    )


def install() -> None:
    """Mask every log record from now on (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return record
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text(formatter.formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
