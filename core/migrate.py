"""Database migrations: a programmatic Alembic API (no ``alembic.ini`` needed).

Core's revisions live in ``migrations/versions`` (branch ``core``); every plugin ships its
own branch in ``<package>/migrations/versions`` next to its ``<package>/models.py``. Its
first revision has ``branch_labels = ("<plugin>",)``, ``down_revision = None`` and
``depends_on`` the core revision it builds on. One ``alembic_version`` table records the
head of every branch.

The functions here are synchronous. The database URL is the async one the service uses
(``sqlite+aiosqlite:///...`` or ``postgresql+asyncpg://...``); ``migrations/env.py`` runs
Alembic on an async engine through ``asyncio.run``. Called while an event loop is running
in this thread (an app's lifespan), they run in a worker thread and block until it is
done; prefer ``await asyncio.to_thread(upgrade, ...)`` there, so the loop keeps serving.

``plugin_dirs`` is what :meth:`bangfu.core.plugins.PluginHost.migration_dirs` returns: a mapping
of plugin name to its migrations folder, or a plain sequence of folders (the plugin name is
then the folder of its package: ``<name>/migrations/versions``). A folder may be the
``versions`` folder itself or the ``migrations`` folder that holds it.

``schema`` (PostgreSQL only, like ``BANGFU_DATABASE_SCHEMA``) is the ``search_path`` the
tables and ``alembic_version`` live in; the schema must exist.
"""

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, Table, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bangfu.core.db import Base

__all__ = [
    "CORE_BRANCH",
    "CORE_VERSIONS",
    "SCRIPT_LOCATION",
    "check",
    "context_options",
    "current",
    "downgrade",
    "heads",
    "import_models",
    "make_config",
    "make_engine",
    "pending",
    "resolve_plugin_dirs",
    "revision",
    "upgrade",
]

CORE_PACKAGE_DIR = Path(__file__).resolve().parent
SCRIPT_LOCATION = CORE_PACKAGE_DIR.parent / "migrations"
CORE_VERSIONS = SCRIPT_LOCATION / "versions"
CORE_BRANCH = "core"
#: The job library's queue tables on PostgreSQL (bangfu.core.jobs.queue.POSTGRES_TABLES):
#: created by core_0006 with Huey's own DDL, not described by a model.
JOB_QUEUE_TABLES = frozenset({"huey_kv", "huey_schedule", "huey_task", "huey_counter"})
PluginDirs = Mapping[str, str | os.PathLike[str]] | Sequence[str | os.PathLike[str]]

_T = TypeVar("_T")
# Alembic's ``context`` and ``op`` are module-level proxies: one command at a time.
_LOCK = threading.Lock()


# -- configuration ----------------------------------------------------------------------


@dataclass(frozen=True)
class PluginBranch:
    """A plugin's version folder, and the models module that defines its tables."""

    name: str
    versions: Path
    models_module: str | None


def resolve_plugin_dirs(plugin_dirs: PluginDirs = ()) -> dict[str, PluginBranch]:
    """Normalise ``plugin_dirs`` to ``{plugin name: PluginBranch}``."""
    items: Iterable[tuple[str | None, str | os.PathLike[str]]]
    if isinstance(plugin_dirs, Mapping):
        items = plugin_dirs.items()
    elif isinstance(plugin_dirs, str | os.PathLike):
        raise TypeError("plugin_dirs is a mapping or a sequence of folders, not one folder")
    else:
        items = ((None, folder) for folder in plugin_dirs)
    branches: dict[str, PluginBranch] = {}
    for given_name, folder in items:
        versions = Path(folder).resolve()
        if (versions / "versions").is_dir():
            versions = versions / "versions"
        if not versions.is_dir():
            raise FileNotFoundError(f"no migrations folder {versions}")
        if versions == CORE_VERSIONS.resolve():
            raise ValueError("core's version folder is always included; do not pass it")
        package_dir = _package_dir(versions)
        name = given_name or (package_dir.name if package_dir else versions.name)
        if name == CORE_BRANCH or name in branches:
            raise ValueError(f"plugin name {name!r} given twice (or it is {CORE_BRANCH!r})")
        branches[name] = PluginBranch(name, versions, _models_module(package_dir))
    return branches


def make_config(
    database_url: str | None = None,
    plugin_dirs: PluginDirs = (),
    *,
    schema: str | None = None,
    connection: Connection | None = None,
) -> Config:
    """An Alembic ``Config`` built in code: core's versions plus the plugins' folders.

    With ``connection`` (a sync :class:`~sqlalchemy.Connection`, e.g. inside
    ``AsyncConnection.run_sync``) ``env.py`` migrates on it instead of opening its own
    engine; call the ``alembic.command`` functions directly with such a config.
    """
    branches = resolve_plugin_dirs(plugin_dirs)
    config = Config()
    # Config values are interpolated (``%(here)s``): escape ``%`` in paths and URLs.
    config.set_main_option("script_location", _escape(str(SCRIPT_LOCATION)))
    config.set_main_option("path_separator", "os")
    locations = [str(CORE_VERSIONS), *(str(b.versions) for b in branches.values())]
    config.set_main_option("version_locations", _escape(os.pathsep.join(locations)))
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", _escape(database_url))
    config.attributes["bangfu_plugins"] = branches
    config.attributes["bangfu_schema"] = schema
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def make_engine(database_url: str, schema: str | None = None) -> AsyncEngine:
    """An unpooled async engine for migrating.

    SQLite runs without ``PRAGMA foreign_keys=ON`` here, as batch mode (which rebuilds
    tables) needs; PostgreSQL gets ``schema`` as its ``search_path``.
    """
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if schema is not None:
        if not database_url.startswith("postgresql"):
            raise ValueError("a database schema is for PostgreSQL only")
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    return create_async_engine(database_url, **kwargs)


def _escape(value: str) -> str:
    return value.replace("%", "%%")


def _package_dir(versions: Path) -> Path | None:
    """``<package>`` for ``<package>/migrations/versions``, else None."""
    if versions.name == "versions" and versions.parent.name == "migrations":
        return versions.parent.parent
    return None


def _models_module(package_dir: Path | None) -> str | None:
    """The dotted name of ``<package>/models.py`` (or ``models/``), if there is one."""
    if package_dir is None or not (
        (package_dir / "models.py").is_file() or (package_dir / "models" / "__init__.py").is_file()
    ):
        return None
    return f"{package_name(package_dir)}.models"


def package_name(directory: Path) -> str:
    """The import name of a package folder.

    The repository's folders are installed under ``bangfu`` (pyproject.toml's package-dir:
    ``plugins/education`` is ``bangfu.plugins.education``); any other package is named by
    its folders up to the first one without an ``__init__.py``.
    """
    import bangfu
    import bangfu.plugins

    resolved = directory.resolve()
    for package in (bangfu.plugins, bangfu):
        for root in package.__path__:
            try:
                rest = resolved.relative_to(Path(root).resolve())
            except ValueError:
                continue
            return ".".join((package.__name__, *rest.parts))
    if resolved.is_relative_to(CORE_PACKAGE_DIR.parent / "migrations"):
        rest = resolved.relative_to(CORE_PACKAGE_DIR.parent / "migrations")
        return ".".join(("bangfu.migrations", *rest.parts))
    parts = [resolved.name]
    parent = resolved.parent
    while (parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    return ".".join(parts)


def plugin_branches(config: Config) -> dict[str, PluginBranch]:
    """The plugins of a config: from :func:`make_config`, else from ``version_locations``."""
    branches = config.attributes.get("bangfu_plugins")
    if branches is None:
        core = CORE_VERSIONS.resolve()
        folders = [
            folder
            for folder in config.get_version_locations_list() or []
            if Path(folder).resolve() != core
        ]
        branches = resolve_plugin_dirs(folders)
        config.attributes["bangfu_plugins"] = branches
    return dict(branches)


# -- models and the comparison options ----------------------------------------------------


def import_models(branches: Mapping[str, PluginBranch]) -> MetaData:
    """Import every core models module and the plugins' ones; return ``Base.metadata``."""
    for path in sorted(CORE_PACKAGE_DIR.rglob("models.py")):
        relative = path.relative_to(CORE_PACKAGE_DIR).with_suffix("")
        import_module(".".join((__package__ or "bangfu.core", *relative.parts)))
    for branch in branches.values():
        if branch.models_module is not None:
            import_module(branch.models_module)
    return Base.metadata


def owned_tables(branches: Mapping[str, PluginBranch]) -> set[str]:
    """Names of the tables in ``Base.metadata`` that core and these plugins own.

    A table is owned when it is mapped by a class defined in core or in one of the plugins'
    packages, or when its name starts with ``core_`` or ``<plugin>_``. Tables of other
    plugins imported into the same process (tests, a plugin switched off) are left out.
    """
    prefixes = tuple(f"{name}_" for name in (CORE_BRANCH, *branches))
    packages = (
        f"{CORE_BRANCH}.",
        *(f"{b.models_module.rpartition('.')[0]}." for b in branches.values() if b.models_module),
    )
    owned = {name for name in Base.metadata.tables if name.startswith(prefixes)}
    for mapper in Base.registry.mappers:
        if f"{mapper.class_.__module__}.".startswith(packages):
            owned.update(table.name for table in mapper.tables if isinstance(table, Table))
    return owned


def context_options(config: Config, dialect_name: str) -> dict[str, Any]:
    """The ``context.configure`` options ``env.py`` and :func:`check` share."""
    owned = owned_tables(plugin_branches(config))
    known = set(Base.metadata.tables)

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        if type_ != "table":
            return True  # indexes, constraints, columns follow their table
        if name in owned:
            return True
        # Another plugin's table (imported, but not migrated here) is not ours to judge;
        # a table in the database that no model knows is reported, except the job
        # library's queue (core_0006 creates it on PostgreSQL; Huey owns its shape).
        return reflected and name not in known and name not in JOB_QUEUE_TABLES

    return {
        "compare_type": True,
        "render_as_batch": dialect_name == "sqlite",
        "include_object": include_object,
    }


# -- running -----------------------------------------------------------------------------


def _outside_event_loop(fn: Callable[..., _T], *args: Any) -> _T:
    """Call ``fn``; in a worker thread if an event loop runs in this thread."""

    def locked() -> _T:
        with _LOCK:
            return fn(*args)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return locked()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="bangfu-migrate") as pool:
        return pool.submit(locked).result()


def _on_connection(database_url: str, schema: str | None, fn: Callable[[Connection], _T]) -> _T:
    async def run() -> _T:
        engine = make_engine(database_url, schema)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def upgrade(
    database_url: str,
    plugin_dirs: PluginDirs = (),
    revision: str = "heads",
    *,
    schema: str | None = None,
) -> None:
    """Upgrade the database to ``revision`` (default: the heads of every branch).

    Revisions in the version table that none of these branches knows — a plugin that was
    uninstalled, its tables left in place — are set aside for the run and kept, so the
    service still starts without the plugin and picks its branch up again when the
    plugin is reinstalled.
    """
    config = make_config(database_url, plugin_dirs, schema=schema)
    script = ScriptDirectory.from_config(config)

    def run(connection: Connection) -> None:
        detached = _detach_unknown_revisions(connection, script)
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, revision)
        finally:
            del config.attributes["connection"]
        for version in detached:
            connection.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version}
            )
        connection.commit()

    _outside_event_loop(_on_connection, database_url, schema, run)


def _detach_unknown_revisions(connection: Connection, script: ScriptDirectory) -> list[str]:
    """Remove the version rows no branch of ``script`` knows; return them."""
    if not inspect(connection).has_table("alembic_version"):
        return []
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    unknown = [version for version in rows if not _known(script, version)]
    for version in unknown:
        connection.execute(
            text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": version}
        )
    return unknown


def _known(script: ScriptDirectory, version: str) -> bool:
    try:
        return script.get_revision(version) is not None
    except Exception:  # alembic raises ResolutionError / CommandError for unknown ids
        return False


def downgrade(
    database_url: str,
    plugin_dirs: PluginDirs = (),
    revision: str = "base",
    *,
    schema: str | None = None,
) -> None:
    """Downgrade the database to ``revision`` (default: base, dropping every table)."""
    config = make_config(database_url, plugin_dirs, schema=schema)
    _outside_event_loop(command.downgrade, config, revision)


def check(
    database_url: str, plugin_dirs: PluginDirs = (), *, schema: str | None = None
) -> list[Any]:
    """The differences between the database and the models: empty when there is no drift.

    Items are what :func:`alembic.autogenerate.compare_metadata` returns, e.g.
    ``("add_table", Table(...))``. Only core's and these plugins' tables are compared.
    """
    config = make_config(database_url, plugin_dirs)
    metadata = import_models(plugin_branches(config))

    def compare(connection: Connection) -> list[Any]:
        options = context_options(config, connection.dialect.name)
        context = MigrationContext.configure(connection, opts=options)
        return list(compare_metadata(context, metadata))

    return _outside_event_loop(_on_connection, database_url, schema, compare)


def current(
    database_url: str, plugin_dirs: PluginDirs = (), *, schema: str | None = None
) -> set[str]:
    """The revisions the database is at (one per branch; empty for a new database)."""
    del plugin_dirs  # the version table alone answers; kept for a uniform signature

    def heads_of(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    return _outside_event_loop(_on_connection, database_url, schema, heads_of)


def heads(plugin_dirs: PluginDirs = ()) -> set[str]:
    """The head revisions of core and these plugins."""
    return set(ScriptDirectory.from_config(make_config(None, plugin_dirs)).get_heads())


def pending(database_url: str, plugin_dirs: PluginDirs = (), *, schema: str | None = None) -> bool:
    """Whether any revision of core or these plugins is not applied to the database."""
    script = ScriptDirectory.from_config(make_config(None, plugin_dirs))
    applied: set[str] = set()
    todo = list(current(database_url, plugin_dirs, schema=schema))
    todo = [version for version in todo if _known(script, version)]  # not uninstalled plugins'
    while todo:  # the applied revisions are the current ones and all they build on
        for rev in script.get_revisions(todo.pop()):
            if rev is not None and rev.revision not in applied:
                applied.add(rev.revision)
                todo.extend(_to_tuple(rev.down_revision) + _to_tuple(rev.dependencies))
    return any(rev.revision not in applied for rev in script.walk_revisions())


def _to_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def revision(
    database_url: str,
    plugin_dirs: PluginDirs,
    message: str,
    *,
    branch: str = CORE_BRANCH,
    rev_id: str | None = None,
    depends_on: str | None = None,
    schema: str | None = None,
) -> None:
    """Autogenerate a revision on ``branch`` (core or a plugin) against an up-to-date database.

    The first revision of a plugin starts its branch (``down_revision = None``); give it
    ``depends_on`` the core revision its tables need. Review and clean up what is written.
    """
    config = make_config(database_url, plugin_dirs, schema=schema)
    branches = plugin_branches(config)
    if branch != CORE_BRANCH and branch not in branches:
        raise ValueError(f"no migrations folder given for plugin {branch!r}")
    version_path = CORE_VERSIONS if branch == CORE_BRANCH else branches[branch].versions
    script = ScriptDirectory.from_config(config)
    if any(branch in rev.branch_labels for rev in script.walk_revisions()):
        where: dict[str, Any] = {"head": f"{branch}@head"}
    else:
        where = {"head": "base", "branch_label": branch, "version_path": str(version_path)}

    def generate() -> None:
        command.revision(
            config, message, autogenerate=True, rev_id=rev_id, depends_on=depends_on, **where
        )

    _outside_event_loop(generate)
