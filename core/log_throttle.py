"""Logging a failure once per interval, however many requests it fails.

A database outage fails every request: logged once per request, a 15-second outage wrote
23,843 lines and 194 tracebacks. :class:`FailureLog` logs the first occurrence of each
distinct failure, with its traceback and request ID, and then only counts its repeats
until ``interval`` seconds have passed; the next occurrence after that is logged again,
saying how many were not. A failing dependency (the database unavailable, in any way) is
one failure wherever it surfaces; any other error is distinct by its type and the line
that raised it.
"""

import dataclasses
import logging
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Hashable

from bangfu.core.db_health import unavailable_reason

#: How many distinct failures are remembered (the oldest is forgotten first).
MAX_KEYS = 1000


@dataclasses.dataclass
class _Seen:
    logged_at: float
    suppressed: int = 0


def failure_key(error: BaseException | None) -> Hashable:
    """What makes two failures "the same": the unavailable database is one failure;
    anything else is its type and the innermost line of its traceback."""
    reason = unavailable_reason(error)
    if reason is not None:
        return ("database unavailable", reason)
    if error is None:
        return None
    frames = traceback.extract_tb(error.__traceback__)
    where = (frames[-1].filename, frames[-1].lineno) if frames else None
    return (type(error).__qualname__, where)


class FailureLog:
    """One per app: what was logged when, and how many repeats were not."""

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.clock = clock
        self._seen: OrderedDict[Hashable, _Seen] = OrderedDict()
        self._lock = threading.Lock()

    def error(
        self,
        logger: logging.Logger,
        message: str,
        *args: object,
        error: BaseException | None = None,
        key: Hashable = None,
    ) -> bool:
        """Log ``message % args`` at ERROR with ``error``'s traceback, unless the same
        failure was logged less than ``interval`` seconds ago (then count it).

        :param key: what identifies the failure, with the logger's name; by default
            :func:`failure_key` of ``error``.
        :returns: whether it was logged.
        """
        identity = (logger.name, key if key is not None else failure_key(error))
        now = self.clock()
        with self._lock:
            seen = self._seen.get(identity)
            if seen is not None and now - seen.logged_at < self.interval:
                seen.suppressed += 1
                return False
            repeats = seen.suppressed if seen is not None else 0
            self._seen[identity] = _Seen(logged_at=now)
            self._seen.move_to_end(identity)
            while len(self._seen) > MAX_KEYS:
                self._seen.popitem(last=False)
        if repeats:
            message += " (and %d more like it in the %g s before, not logged)"
            args = (*args, repeats, self.interval)
        exc_info = (type(error), error, error.__traceback__) if error is not None else None
        logger.error(message, *args, exc_info=exc_info, stacklevel=2)
        return True
