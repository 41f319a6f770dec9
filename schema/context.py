"""The per-request context: the actor, the read session, DataLoaders and the plugin host."""

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from core import calendar
from core.config import Settings
from core.log_throttle import FailureLog
from core.plugins import PluginHost
from core.security.actor import Actor
from core.security.crypto import FieldCipher
from schema.audit import audited_write


@dataclasses.dataclass
class Services:
    """What lives as long as the app: settings, database, plugins, keys."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    host: PluginHost
    cipher: FieldCipher
    #: Failures logged once per interval (``core.log_throttle``).
    failures: FailureLog = dataclasses.field(default_factory=FailureLog)


class Context:
    """Everything a resolver may use for one request.

    Reads go through one session per request, used by one coroutine at a time (a lock
    serialises concurrently resolving fields: an ``AsyncSession`` must never be shared
    by two at once). Writes get their own transaction through :meth:`write`.
    """

    def __init__(
        self, services: Services, actor: Actor, request: Any = None, token: str | None = None
    ) -> None:
        self.services = services
        self.actor = actor
        self.request = request
        self.token = token
        self.today = calendar.today()
        self.loaders: dict[str, DataLoader[Any, Any]] = {}
        self._decisions: dict[str, bool] = {}
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()

    @property
    def host(self) -> PluginHost:
        return self.services.host

    @property
    def cipher(self) -> FieldCipher:
        return self.services.cipher

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """The request's read session, for one coroutine at a time."""
        async with self._lock:
            if self._session is None:
                self._session = self.services.sessions()
                self._session.info["actor"] = self.actor
            yield self._session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction as this actor: committed on success, rolled back on any error.

        Audited (``schema.audit.audited_write``): one ``ok`` row with what changed, in the
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
        if self._session is not None:
            await self._session.close()
            self._session = None
