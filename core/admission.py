"""How much work one actor, one client address and all costly requests may have running.

One process serves everyone from one event loop and one database pool, so a user who
sends many requests at once, or many costly ones, must not take them all. Per worker
process (the bounds are not shared between processes or hosts):

- each actor may have ``max_requests_per_actor`` requests running at once;
- a request whose cost (``bangfu.schema.limits``) is at least ``expensive_query_cost`` is
  *expensive*: each actor may have ``max_expensive_per_actor`` of them running, each client
  address ``max_expensive_per_address``, and all of them together hold one of the
  ``expensive_lane_size`` places of the expensive lane, smaller than the database pool,
  so that connections stay free for everyone else. A request waits at most
  ``expensive_lane_wait_seconds`` for a place.

Over a bound, the request is refused at once (:class:`Busy`: HTTP 429 with
``Retry-After``), never queued without end.

A subscription (``careEventUpdates``) reads the database every poll interval for as long
as it is open, so each actor may have ``max_subscriptions_per_actor`` open at once, over
all their connections (:meth:`Admission.subscription`); another is refused with
``TOO_MANY_REQUESTS``.
"""

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

from bangfu.core.config import Settings
from bangfu.core.i18n import _


class Busy(Exception):
    """A bound is reached: try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


#: Retry-After of a refusal: a plain request is over in a moment, a costly one in seconds.
RETRY_REQUEST_SECONDS = 1
RETRY_EXPENSIVE_SECONDS = 5


class Admission:
    """The bounds of one process (see the module docstring). Single event loop: plain
    counters need no lock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running: Counter[str] = Counter()
        self.expensive_of_actor: Counter[str] = Counter()
        self.expensive_of_address: Counter[str] = Counter()
        self.subscriptions: Counter[str] = Counter()
        self._lane: asyncio.Semaphore | None = None

    @property
    def lane(self) -> asyncio.Semaphore:
        # Made on first use, inside the event loop that serves the requests.
        if self._lane is None:
            self._lane = asyncio.Semaphore(self.settings.expensive_lane_size)
        return self._lane

    def request(self, actor: str) -> Any:
        """Hold one of the actor's places for a request, or raise :class:`Busy`."""
        limit = self.settings.max_requests_per_actor
        message = _(
            "you have {limit} requests running already: wait for them to finish", limit=limit
        )
        return _place(self.running, actor, limit, message)

    def subscription(self, actor: str) -> Any:
        """Hold one of the actor's places for an open subscription, or raise :class:`Busy`."""
        limit = self.settings.max_subscriptions_per_actor
        message = _("you have {limit} subscriptions open already: close one first", limit=limit)
        return _place(self.subscriptions, actor, limit, message)

    @contextlib.asynccontextmanager
    async def expensive(self, actor: str, address: str | None) -> AsyncIterator[None]:
        """Hold a place in the expensive lane for the actor and address, or raise Busy."""
        settings = self.settings
        if self.expensive_of_actor[actor] >= settings.max_expensive_per_actor:
            raise Busy(
                _(
                    "you have {limit} costly requests running already: wait for them to "
                    "finish, or ask for less",
                    limit=settings.max_expensive_per_actor,
                ),
                RETRY_EXPENSIVE_SECONDS,
            )
        if address is not None and (
            self.expensive_of_address[address] >= settings.max_expensive_per_address
        ):
            raise Busy(
                _(
                    "{limit} costly requests from your address are running already: wait for "
                    "them to finish",
                    limit=settings.max_expensive_per_address,
                ),
                RETRY_EXPENSIVE_SECONDS,
            )
        self.expensive_of_actor[actor] += 1
        if address is not None:
            self.expensive_of_address[address] += 1
        try:
            await self._enter_lane()
            try:
                yield
            finally:
                self.lane.release()
        finally:
            _release(self.expensive_of_actor, actor)
            if address is not None:
                _release(self.expensive_of_address, address)

    async def _enter_lane(self) -> None:
        wait = self.settings.expensive_lane_wait_seconds
        try:
            if wait <= 0:
                if self.lane.locked():
                    raise TimeoutError
                await self.lane.acquire()
            else:
                async with asyncio.timeout(wait):
                    await self.lane.acquire()
        except TimeoutError:
            raise Busy(
                _("the service is busy with other costly requests: try again shortly"),
                RETRY_EXPENSIVE_SECONDS,
            ) from None


@contextlib.contextmanager
def _place(counter: Counter[str], key: str, limit: int, message: str) -> Iterator[None]:
    """Hold one of ``key``'s ``limit`` places in ``counter``, or raise :class:`Busy`."""
    if counter[key] >= limit:
        raise Busy(message, RETRY_REQUEST_SECONDS)
    counter[key] += 1
    try:
        yield
    finally:
        _release(counter, key)


def _release(counter: Counter[str], key: str) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]
