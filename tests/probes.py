"""A plugin for the robustness tests: root fields that count, fail and run slow SQL."""

import strawberry
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from strawberry.types import Info

from core.plugins import PluginInfo, hookimpl
from schema.permissions import requires

SECRET_HOST = "db-7.internal.example"
SECRET_PASSWORD = "Tr0ub4dor-s3cret"


class ProbePlugin:
    """``probeHits`` counts its calls, ``probeFail`` raises a database error holding a host
    and a password, ``probeSlow`` runs one statement that takes minutes."""

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

        return [ProbeQuery]
