"""A plugin for the robustness tests: root fields that count, fail and run slow SQL."""

import asyncio
from collections.abc import Callable

import strawberry
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from strawberry.types import Info

from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.core.registry.models import Relation
from bangfu.core.registry.service import MemberData, PersonData, Registry
from bangfu.schema.permissions import requires
from bangfu.schema.scan_cost import scan_cost

SECRET_HOST = "db-7.internal.example"
SECRET_PASSWORD = "Tr0ub4dor-s3cret"


class ProbePlugin:
    """``probeHits`` counts its calls, ``probeFail`` raises a database error holding a host
    and a password, ``probeSlow`` runs one statement that takes minutes, ``probeSleep``
    waits an hour without the database.

    ``probeHold`` (priced as an expensive scan) and ``probeWait`` (cheap) wait for
    ``release``, ``probeHold`` holding a database connection meanwhile; ``entered`` is set
    when one has started.

    The mutation ``probeRegister`` registers a household of one in a village; built with
    ``hangs=True``, the plugin makes it stop for good where its ``hang`` argument says
    (``BEFORE_COMMIT``: its transaction flushed, not committed; ``AFTER_COMMIT``), after
    calling ``on_hang``: a process to kill there leaves what a crash would.
    """

    def __init__(self, *, hangs: bool = False, on_hang: Callable[[], None] = lambda: None) -> None:
        self.hits = 0
        self.hangs = hangs
        self.on_hang = on_hang
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.inside = 0  # probeHold and probeWait calls waiting for ``release``
        self._changed = asyncio.Condition()

    async def _wait(self) -> None:
        async with self._changed:
            self.inside += 1
            self._changed.notify_all()
        self.entered.set()
        try:
            await self.release.wait()
        finally:
            self.inside -= 1

    async def inside_at_least(self, count: int) -> None:
        """Return once ``count`` calls wait for ``release``."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.inside >= count)

    async def _hang(self) -> None:
        self.on_hang()
        await asyncio.Event().wait()

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="probe", title="Probes for robustness tests", version="0.0.1")

    @hookimpl
    def bangfu_graphql_query_types(self) -> list[type]:
        plugin = self

        @strawberry.type
        class ProbeQuery:
            @strawberry.field(extensions=requires("registry:read"))
            def probe_hits(self) -> int:
                plugin.hits += 1
                return plugin.hits

            @strawberry.field(extensions=requires("registry:read"))
            async def probe_fail(self) -> str | None:
                # A failing statement (not the database unavailable: that is a 503).
                raise ProgrammingError(
                    "SELECT secret FROM core_user",
                    {},
                    Exception(
                        f'relation "core_user" does not exist on server "{SECRET_HOST}" '
                        f'(10.0.0.7), port 5432, user bangfu, password="{SECRET_PASSWORD}"'
                    ),
                )

            @strawberry.field(extensions=requires("registry:read"))
            async def probe_slow(self, info: Info) -> int | None:
                async with info.context.read() as session:
                    if session.bind.dialect.name == "postgresql":
                        await session.execute(text("SELECT pg_sleep(120)"))
                        return 0
                    counted = await session.execute(
                        text(
                            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                            "WHERE x < 2000000000) SELECT count(*) FROM c"
                        )
                    )
                    return int(counted.scalar_one())

            @strawberry.field(
                extensions=requires("registry:read"), metadata=scan_cost(fixed=50_000)
            )
            async def probe_hold(self, info: Info) -> int:
                async with info.context.read() as session:
                    await session.execute(text("SELECT 1"))
                    await plugin._wait()
                return 1

            @strawberry.field(extensions=requires("registry:read"))
            async def probe_wait(self) -> int:
                await plugin._wait()
                return 1

            @strawberry.field(extensions=requires("registry:read"))
            async def probe_sleep(self) -> int | None:
                await asyncio.sleep(3600)
                return None

        return [ProbeQuery]

    @hookimpl
    def bangfu_graphql_mutation_types(self) -> list[type]:
        plugin = self

        @strawberry.type
        class ProbeMutation:
            @strawberry.mutation(extensions=requires("registry:write"))
            async def probe_register(
                self, info: Info, village: str, name: str, id_number: str, hang: str | None = None
            ) -> int:
                hang = hang if plugin.hangs else None
                async with info.context.write() as session:
                    registry = Registry(session, info.context.actor, info.context.cipher)
                    member = MemberData(relation=Relation.HEAD, person=PersonData(name, id_number))
                    household = await registry.create_household(village, None, [member], None)
                    await session.flush()
                    if hang == "BEFORE_COMMIT":
                        await plugin._hang()
                if hang == "AFTER_COMMIT":
                    await plugin._hang()
                return household.id

        return [ProbeMutation]
