"""Alembic environment: core's branch plus one branch per plugin, on an async engine.

Run through :mod:`bangfu.core.migrate`, which builds the ``Config`` in code (no ``alembic.ini``).
The target metadata is ``bangfu.core.db.Base.metadata`` after importing every core models module
and, for each plugin version folder ``<package>/migrations/versions``, ``<package>.models``.
Only core's and those plugins' tables are compared (see ``bangfu.core.migrate.context_options``).

If ``config.attributes["connection"]`` holds a sync ``Connection``, migrations run on it
(the Alembic cookbook pattern, e.g. from ``AsyncConnection.run_sync``); otherwise an async
engine is made from ``sqlalchemy.url`` (and the PostgreSQL schema in
``config.attributes["bangfu_schema"]``, if any) and driven with ``asyncio.run``.
"""

import asyncio

from alembic import context
from sqlalchemy import Connection

from bangfu.core import migrate

config = context.config
target_metadata = migrate.import_models(migrate.plugin_branches(config))


def run_migrations_offline() -> None:
    """Emit SQL to the output instead of running it (``--sql``)."""
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no database URL (sqlalchemy.url) to migrate")
    dialect_name = url.split(":", 1)[0].split("+", 1)[0]
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **migrate.context_options(config, dialect_name),
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        **migrate.context_options(config, connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(url: str) -> None:
    engine = migrate.make_engine(url, config.attributes.get("bangfu_schema"))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no database URL (sqlalchemy.url) to migrate")
    asyncio.run(run_async_migrations(url))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
