"""The per-request context: the actor, the read session, DataLoaders and the plugin host."""

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from bangfu.core import calendar
from bangfu.core.admission import Admission, Busy
from bangfu.core.bottomline.reading import Readiness
from bangfu.core.config import Settings
from bangfu.core.i18n import _
from bangfu.core.log_throttle import FailureLog
from bangfu.core.plugins import PluginHost
from bangfu.core.registry.area_sizes import AreaSizes
from bangfu.core.security.actor import Actor
from bangfu.core.security.crypto import FieldCipher
from bangfu.schema.audit import audited_write

log = logging.getLogger("bangfu.context")

#: How long :meth:`Context.close` waits for fields still giving up the read session.
CLOSE_WAIT_SECONDS = 10.0
#: Region paths a process keeps (a city has a few thousand regions).
MAX_KNOWN_REGIONS = 20_000


@dataclasses.dataclass
class Services:
    """What lives as long as the app: settings, database, plugins, keys, and the process's
    bounds on concurrent work with the area sizes that price it (``bangfu.schema.limits``)."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    host: PluginHost
    cipher: FieldCipher
    #: Failures logged once per interval (``bangfu.core.log_throttle``).
    failures: FailureLog = dataclasses.field(default_factory=FailureLog)
    area_sizes: AreaSizes = dataclasses.field(default_factory=AreaSizes)
    #: Whether reads use the stored bottom line (``bangfu.core.bottomline.reading``).
    verdicts: Readiness = dataclasses.field(default_factory=Readiness)
    admission: Admission = dataclasses.field(init=False)
    #: Regions' paths by code (``Context.region_path``): a path is its code's place in
    #: the tree and never changes, so a filter's region is looked up once per process.
    region_paths: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.admission = Admission(self.settings)


class Loaders(dict[str, DataLoader[Any, Any]]):
    """A request's DataLoaders by name, made when the request first asks for one.

    ``fill`` registers them all (core's, then every plugin's ``bangfu_graphql_context``),
    once, before any loader is read: a request that loads nothing (a compiled page, a
    count) does not build the fifty loaders it would never use."""

    def __init__(self, fill: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._fill = fill

    def _filled(self) -> None:
        fill, self._fill = self._fill, None
        if fill is not None:
            fill()

    def __missing__(self, name: str) -> DataLoader[Any, Any]:
        if self._fill is None:
            raise KeyError(name)
        self._filled()
        return self[name]

    def __contains__(self, name: object) -> bool:
        self._filled()
        return super().__contains__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._filled()
        return super().get(name, default)


class Context:
    """Everything a resolver may use for one request.

    Reads go through one session per request, used by one coroutine at a time (a lock
    serialises concurrently resolving fields: an ``AsyncSession`` must never be shared
    by two at once). Writes get their own transaction through :meth:`write`.
    """

    def __init__(
        self,
        services: Services,
        actor: Actor,
        request: Any = None,
        token: str | None = None,
        session: AsyncSession | None = None,
    ) -> None:
        self.services = services
        self.actor = actor
        self.request = request
        self.token = token
        self.today = calendar.today()
        self.loaders: dict[str, DataLoader[Any, Any]] = Loaders()
        #: Makes a request's loaders afresh (set by the app; :meth:`refresh` uses it).
        self.new_loaders: Callable[[], Loaders] | None = None
        #: A subscription's ``connection_init`` payload (graphql-transport-ws).
        self.connection_params: Any = None
        self._decisions: dict[str, bool] = {}
        #: The read session (``session``: one opened already, for this actor).
        self._session: AsyncSession | None = session
        self._lock = asyncio.Lock()
        #: Set when admission refused the request (``bangfu.schema.limits``): answered 429.
        self.busy: Busy | None = None

    @property
    def host(self) -> PluginHost:
        return self.services.host

    @property
    def cipher(self) -> FieldCipher:
        return self.services.cipher

    @property
    def settings(self) -> Settings:
        return self.services.settings

    async def region_path(self, code: str) -> str | None:
        """The path of the region ``code``, or None when there is no such region. Known
        paths are kept for the process (:attr:`Services.region_paths`); an unknown code is
        asked again next time (it may have been added since)."""
        known = self.services.region_paths
        path = known.get(code)
        if path is None:
            region = await self.loaders["region"].load(code)
            if region is None:
                return None
            if len(known) >= MAX_KNOWN_REGIONS:
                known.clear()
            path = known[code] = region.path
        return path

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """The request's read session, for one coroutine at a time."""
        async with self._lock:
            if self._session is None:
                self._session = self.services.sessions()
                self._session.info["actor"] = self.actor
            yield self._session

    async def refresh(self) -> None:
        """Between two messages of a subscription: close the read session (no transaction
        stays open while the stream waits) and start with empty loaders, so the next
        message reads what is true then."""
        await self.discard_read_session()
        self.loaders = self.new_loaders() if self.new_loaders is not None else Loaders()

    async def discard_read_session(self) -> None:
        """Close the read session after a failed statement; the next read opens another.
        Objects the loaders hold stay as loaded (closing detaches them, never expires)."""
        async with self._lock:
            session, self._session = self._session, None
            if session is not None:
                await session.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction as this actor: committed on success, rolled back on any error.

        Audited (``bangfu.schema.audit.audited_write``): one ``ok`` row with what changed, in the
        same transaction, or one ``failed`` row after a rollback."""
        async with audited_write(self) as session:
            yield session

    def allowed(self, action: str, resource: object | None = None) -> bool:
        """Whether the actor may ``action``; decisions without a resource are cached for
        the request (a page of persons asks the same question for every field)."""
        if resource is not None:
            return self.host.allowed(self.actor, action, resource)
        decided = self._decisions.get(action)
        if decided is None:
            decided = self._decisions[action] = self.host.allowed(self.actor, action)
        return decided

    async def close(self) -> None:
        """Return the read session's connection to the pool, once no field uses it.

        When the time limit cancels a request, ``asyncio.gather`` lets the request go on
        as soon as the first of its fields has stopped, while others may still be giving
        up a statement on this session (SQLAlchemy then invalidates its connection).
        Closing under them failed with "Cannot operate on a closed database" (503 and a
        traceback instead of the 504): the lock is taken first. Should the session still
        fail to close, or the wait last ``CLOSE_WAIT_SECONDS``, its connection is dropped
        rather than returned to the pool.
        """
        session = self._session
        if session is None:
            return
        try:
            async with asyncio.timeout(CLOSE_WAIT_SECONDS), self._lock:
                self._session = None
                await session.close()
        except Exception as exc:  # the connection's state is unknown: never reuse it
            self._session = None
            log.debug("the read session could not be closed (%s): dropped", type(exc).__name__)
            with contextlib.suppress(Exception):
                await session.invalidate()


async def filter_region_path(context: Context, code: str) -> str:
    """The path of a filter's region; an unknown code is a request error."""
    path = await context.region_path(code)
    if path is None:
        raise ValueError(_("filter.regionCode: unknown region code {code}", code=repr(code)))
    return path
