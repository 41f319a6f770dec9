"""A plugin for the robustness tests: root fields that count, fail and run slow SQL."""

import asyncio

import strawberry
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from strawberry.types import Info

from core.plugins import PluginInfo, hookimpl
from schema.permissions import requires

SECRET_HOST = "db-7.internal.example"
SECRET_PASSWORD = "Tr0ub4dor-s3cret"


class ProbePlugin:
    """``probeHits`` counts its calls, ``probeFail`` raises a database error holding a host
    and a password, ``probeSlow`` runs one statement that takes minutes, ``probeSleep``
    waits an hour without the database."""

    def __init__(self) -> None:
        self.hits = 0

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
                raise OperationalError(
                    "SELECT secret FROM core_user",
                    {},
                    ConnectionError(
                        f'connection to server at "{SECRET_HOST}" (10.0.0.7), port 5432 '
                        f'failed: password authentication failed, password="{SECRET_PASSWORD}"'
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

            @strawberry.field(extensions=requires("registry:read"))
            async def probe_sleep(self) -> int | None:
                await asyncio.sleep(3600)
                return None

        return [ProbeQuery]
