"""Logs never carry plain ID numbers or mobile numbers: every log record is masked when
it is created (with the same masker as the audit trail).

Installed as a log-record factory, so it covers every logger (ours, Strawberry's,
SQLAlchemy's, uvicorn's) and the text of logged exceptions, whatever the handlers.
"""

import logging
from typing import Any

from bangfu.core.security.masking import mask_text

_installed = False


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
