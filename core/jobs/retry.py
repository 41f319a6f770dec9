"""When a failed delivery is tried again: exponential backoff, then giving up."""

import datetime as dt
import random

#: The first retry's delay; each next one doubles it, up to :data:`MAX_DELAY`.
FIRST_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=6)
#: Attempts in all (the first and its retries) before a delivery is given up: with the
#: delays above, the last is about 14.5 hours after the first (52,290 seconds).
MAX_ATTEMPTS = 12
#: How long an attempt waits for the receiver's answer before it counts as failed.
DELIVERY_TIMEOUT = dt.timedelta(seconds=10)


def retry_delay(attempt: int, *, jitter: random.Random | None = None) -> dt.timedelta | None:
    """How long after failed attempt number ``attempt`` (1 for the first) the next one is
    due, or None when that was the last (:data:`MAX_ATTEMPTS`).

    The delay doubles from :data:`FIRST_DELAY` and stops growing at :data:`MAX_DELAY`;
    ``jitter`` adds up to a tenth more, so endpoints that failed together are not retried
    all at the same moment.
    """
    if attempt < 1:
        raise ValueError("attempts count from 1")
    if attempt >= MAX_ATTEMPTS:
        return None
    delay = min(FIRST_DELAY * 2 ** (attempt - 1), MAX_DELAY)
    if jitter is not None:
        delay += delay * jitter.uniform(0, 0.1)
    return delay
