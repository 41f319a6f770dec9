"""Test helpers, for Bangfu's own tests and for plugin authors' tests.

A :class:`Harness` builds the app with the plugins you choose on a fresh database
(a SQLite file, or a throw-away schema of a PostgreSQL database), creates actors in the
areas and roles you give, and runs GraphQL requests in-process::

    async with Harness.start(tmp_path, plugins=["education"]) as h:
        token = await h.actor("xiangfen", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")
        data = await h.ok("{ persons(first: 10) { totalCount } }", token=token)

With :mod:`bangfu.plugin` this is the public API for plugin authors: a plugin's tests import
Bangfu only from these two modules. Besides :class:`Harness` and :class:`StatementCounter`
it re-exports :func:`make_id_number` (valid ID numbers), :class:`PluginHost` and
:func:`get_plugin_manager` (a host over chosen plugins) and :class:`RosterImport` (a roster
import run directly, as the command line does). ``docs/plugins/writing-a-plugin.md``
("Tests") lists every attribute and method.
"""

import contextlib
import datetime as dt
import json
import secrets
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import httpx
import strawberry
from sqlalchemy import event, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bangfu.app import create_app
from bangfu.core.config import Settings
from bangfu.core.db import Base, make_engine, utcnow
from bangfu.core.idnumber import make as make_id_number
from bangfu.core.notify.channels import ChannelError, OutgoingNotification
from bangfu.core.plugins import PluginHost, get_plugin_manager
from bangfu.core.registry.models import (
    Household,
    Organisation,
    OrganisationKind,
    Person,
    Region,
    RegionLevel,
    Relation,
)
from bangfu.core.registry.persons import read_id_number
from bangfu.core.registry.reference import ensure_reference_data
from bangfu.core.registry.service import MemberData, PersonData, Registry
from bangfu.core.roster.importer import RosterImport
from bangfu.core.security import SYSTEM, Actor, Role
from bangfu.core.security.auth import token_digest
from bangfu.core.security.crypto import FieldCipher
from bangfu.core.security.models import AccessToken, User
from bangfu.schema.build import build_schema
from bangfu.schema.descriptions import missing_descriptions as _missing_descriptions

__all__ = [
    "TEST_KEY",
    "Harness",
    "PluginHost",
    "RecordingChannel",
    "RosterImport",
    "StatementCounter",
    "get_plugin_manager",
    "make_id_number",
    "missing_descriptions",
]

#: The field-encryption key of every harness (a test key, never a secret).
TEST_KEY = b"bangfu-tests-not-a-secret-key-32"
_HASH_FOR_TESTS = "$argon2id$v=19$m=65536,t=3,p=4$dGVzdHNhbHQ$not-a-usable-hash"


def missing_descriptions(host: PluginHost, *, package: str | None = None) -> list[str]:
    """The types, fields, arguments, input fields and enum values of the schema ``host``
    builds that have no description, as ``"field Person.welfare (bangfu_welfare.types)"``.

    ``package`` keeps those defined in that Python package (``"bangfu_welfare"``): a
    plugin's test asserts ``missing_descriptions(host, package="bangfu_welfare") == []``.
    """
    found = _missing_descriptions(build_schema(host))
    if package is not None:
        found = [
            item
            for item in found
            if item.module == package or item.module.startswith(package + ".")
        ]
    return [str(item) for item in found]


class RecordingChannel:
    """A notification channel for tests (contract 2.7): keeps what it was given, and fails
    on demand.

    ``fail`` is how many attempts fail before it takes notifications again (``0``: none;
    ``-1`` or ``True``: every attempt), each with :class:`bangfu.plugin.ChannelError`
    (``retry`` as given). A plugin's test returns it from ``bangfu_notification_channels``
    and runs ``await h.deliver_notifications()``; ``delivered`` lists what it took,
    ``attempts`` every call.
    """

    def __init__(
        self,
        name: str = "test-channel",
        *,
        fail: int | bool = 0,
        retry: bool = True,
        reasons: "Iterable[str] | None" = None,
    ) -> None:
        self.name = name
        self.fail = fail
        self.retry = retry
        self.reasons = None if reasons is None else frozenset(reasons)
        self.delivered: list[OutgoingNotification] = []
        self.attempts: list[OutgoingNotification] = []

    @property
    def fail(self) -> int:
        """How many attempts still fail (``-1``: every one); ``True`` sets every one."""
        return self._fail

    @fail.setter
    def fail(self, value: int | bool) -> None:
        self._fail = -1 if value is True else int(value)

    async def deliver(self, notification: OutgoingNotification) -> None:
        self.attempts.append(notification)
        if self.fail != 0:
            if self.fail > 0:
                self.fail -= 1
            raise ChannelError(f"{self.name} failed on demand", retry=self.retry)
        self.delivered.append(notification)


class StatementCounter:
    """Counts the SQL statements an engine runs while active (a ``with`` block).

    ``count`` is the number of statements, ``statements`` their SQL text in order.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        """Count the statements of ``engine`` (``Harness.count_statements()`` makes one)."""
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        self.statements.append(statement)

    def __enter__(self) -> "StatementCounter":
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._on_execute)


# Building the schema and the tables is most of a harness's start. Both depend only on
# the installed plugins (and, for the schema, the settings), so one test process builds
# each once: schemas are reused, and a new SQLite database is a copy of a template file.
_SCHEMAS: dict[tuple[Any, ...], strawberry.Schema] = {}
_SQLITE_TEMPLATES: dict[tuple[str, ...], Path] = {}
# Settings that reach the database or the key, never the schema.
_NOT_IN_SCHEMA = {"database_url", "database_schema", "secret_key_file"}


def _schema_key(settings: Settings, host: PluginHost) -> tuple[Any, ...]:
    fields = settings.model_dump(exclude=_NOT_IN_SCHEMA)
    return (tuple(sorted(host.plugins)), repr(sorted(fields.items())))


class Harness:
    """An app on a fresh database, with helpers to make actors and send GraphQL.

    Make one with :meth:`start`. Its attributes:

    ``settings``
        the :class:`bangfu.core.config.Settings` of the app (``settings=`` of :meth:`start`).
    ``host``
        the plugin host: ``h.host.plugins`` (name to ``PluginInfo``), ``h.host.allowed(actor,
        action)``, ``h.host.roster_columns``, ``await h.host.assessment_indicators(...)``.
    ``cipher``
        the field cipher (ID numbers are stored encrypted; see :meth:`id_number_of`).
    ``app``
        the Starlette application.
    ``services``
        the app's services; ``h.services.sessions`` is the session factory.
    ``engine``
        the SQLAlchemy engine of the test database.
    ``client``
        an ``httpx.AsyncClient`` talking to ``app`` in-process (base URL
        ``http://testserver``), for requests other than GraphQL (``/roster``, ``/reports``).
    """

    def __init__(self, settings: Settings, host: PluginHost, *, reuse: bool = False) -> None:
        """``reuse``: the plugins are installed ones, so a schema built for the same
        plugins and settings may be shared (never with plugin objects defined in a test)."""
        self.settings = settings
        self.host = host
        self.cipher = FieldCipher(TEST_KEY)
        schema = None
        if reuse:
            key = _schema_key(settings, host)
            schema = _SCHEMAS.get(key)
            if schema is None:
                schema = _SCHEMAS[key] = build_schema(host, settings)
        self.app = create_app(settings, plugins=host, cipher=self.cipher, schema=schema)
        self.services = self.app.state.services
        self.engine: AsyncEngine = self.services.sessions.kw["bind"]
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://testserver"
        )

    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls,
        tmp_path: Path,
        *,
        database_url: str | None = None,
        plugins: Iterable[str] | bool = True,
        extra_plugins: Sequence[object] = (),
        settings: dict[str, Any] | None = None,
    ) -> AsyncIterator["Harness"]:
        """A harness on a new database; PostgreSQL gets a schema dropped at the end.

        ``plugins``: True loads the enabled installed plugins (``BANGFU_PLUGINS``, or
        ``settings={"plugins": ...}``; every installed one when unset), a list of names only
        those, False none; ``extra_plugins`` are plugin objects defined in a test.
        """
        schema = None
        reuse = not extra_plugins
        sqlite_file = None
        if database_url is None or database_url.startswith("sqlite"):
            sqlite_file = tmp_path / "test.db"
            database_url = f"sqlite+aiosqlite:///{sqlite_file}"
        else:
            schema = f"t_{uuid.uuid4().hex[:12]}"
            admin = make_engine(database_url, pooled=False)
            async with admin.begin() as connection:
                await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            await admin.dispose()
        config = Settings(
            database_url=database_url,
            database_schema=schema,
            secret_key_file=tmp_path / "unused.key",
            # Tests read English messages unless they choose Chinese (the service's
            # default): settings={"language": "zh"}, or an Accept-Language header.
            **({"language": "en"} | (settings or {})),
        )
        host = PluginHost(
            get_plugin_manager(entry_points=plugins, plugins=extra_plugins, settings=config)
        )
        template_key = tuple(sorted(host.plugins))
        template = _SQLITE_TEMPLATES.get(template_key) if reuse else None
        if sqlite_file is not None and template is not None:
            shutil.copyfile(template, sqlite_file)
        harness = cls(config, host, reuse=reuse)
        try:
            if sqlite_file is None or template is None:
                async with harness.engine.begin() as connection:
                    await connection.run_sync(Base.metadata.create_all)
                async with harness.session() as session, session.begin():
                    await ensure_reference_data(session)
                if sqlite_file is not None and reuse:
                    await harness.engine.dispose()  # everything on disk before the copy
                    folder = Path(tempfile.mkdtemp(prefix="bangfu-template-"))
                    _SQLITE_TEMPLATES[template_key] = folder / "template.db"
                    shutil.copyfile(sqlite_file, _SQLITE_TEMPLATES[template_key])
            yield harness
        finally:
            await harness.client.aclose()
            await harness.engine.dispose()
            if schema is not None:
                admin = make_engine(database_url, pooled=False)
                async with admin.begin() as connection:
                    await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                await admin.dispose()

    @contextlib.asynccontextmanager
    async def session(self, actor: Actor = SYSTEM) -> AsyncIterator[AsyncSession]:
        """A session acting as ``actor`` (the system actor sees everything)."""
        async with self.services.sessions() as session:
            session.info["actor"] = actor
            yield session

    async def region(self, code: str, name: str, parent: str) -> Region:
        """Add a township or village below ``parent`` (levels follow the code length)."""
        async with self.session() as session, session.begin():
            parent_region = await session.get(Region, parent)
            if parent_region is None:
                raise LookupError(f"no region {parent}")
            level = RegionLevel.TOWNSHIP if len(code) == 9 else RegionLevel.VILLAGE
            region = Region(
                code=code,
                name=name,
                level=level,
                parent_code=parent,
                path=f"{parent_region.path}{code}/",
            )
            session.add(region)
        return region

    async def household(
        self, region: str, members: Sequence[tuple[str, str, str]]
    ) -> tuple[Household, list[Person]]:
        """Register a household in ``region`` directly (as the system actor).

        :param members: ``(relation, name, id_number)`` per member, one ``HEAD``.
        :returns: the household and its persons, in the order given.
        """
        async with self.session() as session, session.begin():
            registry = Registry(session, SYSTEM, self.cipher)
            household = await registry.create_household(
                region,
                None,
                [
                    MemberData(relation=Relation(relation), person=PersonData(name, number))
                    for relation, name, number in members
                ],
                None,
            )
            persons = [
                await session.get_one(Person, m.person_id)
                for m in await registry.current_members(household.id)
            ]
        order = {number: i for i, (_, _, number) in enumerate(members)}
        by_number = sorted(persons, key=lambda p: order.get(self.id_number_of(p), 0))
        return household, by_number

    def id_number_of(self, person: Person) -> str:
        """The person's full ID number, decrypted."""
        return read_id_number(self.cipher, person)

    async def organisation(self, code: str) -> Organisation:
        """The organisation with ``code`` (e.g. ``141000-womens-federation`` of the
        reference data, or ``test-<username>`` made by :meth:`actor`).

        :raises LookupError: no organisation has that code.
        """
        async with self.session() as session:
            found = await session.scalar(select(Organisation).where(Organisation.code == code))
        if found is None:
            raise LookupError(f"no organisation {code}")
        return found

    async def actor(
        self,
        username: str,
        *,
        roles: Sequence[Role],
        region: str = "141000",
        organisation: str | None = None,
        department: str | None = None,
    ) -> str:
        """Create a user with ``roles`` in ``region`` and return a valid bearer token.

        The user belongs to ``organisation`` (a code; created as a department when it does
        not exist; default ``test-<username>``). ``department`` makes a new organisation
        that plugin's department, so a ``DEPARTMENT_OFFICER`` holds its write action.
        """
        async with self.session() as session, session.begin():
            org_code = organisation or f"test-{username}"
            org = await session.scalar(select(Organisation).where(Organisation.code == org_code))
            if org is None:
                org = Organisation(
                    code=org_code,
                    name=f"Test organisation of {username}",
                    kind=OrganisationKind.DEPARTMENT,
                    region_code=region,
                    department=department,
                )
                session.add(org)
                await session.flush()
            user = User(
                username=username,
                display_name=username,
                password_hash=_HASH_FOR_TESTS,
                organisation_id=org.id,
                region_code=region,
                roles=[r.value for r in roles],
            )
            session.add(user)
            await session.flush()
            token = secrets.token_urlsafe(24)
            session.add(
                AccessToken(
                    digest=token_digest(token),
                    user_id=user.id,
                    expires_at=utcnow() + dt.timedelta(hours=1),
                )
            )
        return token

    async def api_client(
        self,
        name: str,
        *,
        region: str = "141000",
        organisation: str = "141000-womens-federation",
        plugins: Sequence[str] = (),
        expires_days: int = 30,
    ) -> str:
        """Create a read-only partner API client reading ``region`` (and the fields of
        ``plugins``) and return its ``bfc_`` bearer token."""
        from bangfu.core.security.clients import create_client

        async with self.session() as session, session.begin():
            token, _client = await create_client(
                session,
                name,
                organisation_code=organisation,
                region_code=region,
                plugins=plugins,
                known_plugins=self.host.plugins,
                expires_days=expires_days,
            )
        return token

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        language: str | None = None,
    ) -> httpx.Response:
        """POST one GraphQL request to ``/graphql``; the HTTP response, whatever its status.

        ``language`` is sent as ``Accept-Language`` (``zh-CN``, ``en``); without it the
        messages are in the harness's ``language`` setting (English unless chosen)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if language:
            headers["Accept-Language"] = language
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        language: str | None = None,
    ) -> dict[str, Any]:
        """The JSON answer of one GraphQL request (data and errors)."""
        response = await self.post(query, variables, token=token, language=language)
        if response.status_code != 200:
            raise AssertionError(f"HTTP {response.status_code}: {response.text}")
        return json.loads(response.text)

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The ``data`` of a request that must have no GraphQL errors."""
        answer = await self.gql(query, variables, token=token)
        if answer.get("errors"):
            raise AssertionError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]

    async def deliver_notifications(self, *, retry_now: bool = False) -> str:
        """Run the worker's job ``notify.deliver`` once with this harness's plugins: hand the
        notifications recorded to every channel and send the deliveries due. ``retry_now``
        first makes every pending channel delivery due now (a retry's turn, without
        waiting for it). Returns the job's summary."""
        from bangfu.core.jobs import JobContext
        from bangfu.core.notify import jobs
        from bangfu.core.notify.models import NotificationDelivery

        if retry_now:
            async with self.session() as session, session.begin():
                await session.execute(
                    update(NotificationDelivery)
                    .where(NotificationDelivery.state == "PENDING")
                    .values(next_attempt_at=utcnow())
                )
        return await jobs.deliver(JobContext(self.settings, self.services.sessions, host=self.host))

    def count_statements(self) -> StatementCounter:
        """``with h.count_statements() as counter:`` counts the SQL statements run inside."""
        return StatementCounter(self.engine)
