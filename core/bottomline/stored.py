"""The stored bottom line: every person's verdicts, judged again inside each write.

**Kept current in the write's transaction.** Two session listeners do it for every write
path (GraphQL mutations, roster imports, commands), none of which has to remember:

- ``after_flush`` (and ``do_orm_execute`` for ORM bulk inserts) notes the persons and
  households of the rows the transaction writes: a ``PersonScoped`` row's person, a
  ``HouseholdScoped`` row's household, ``Person`` and ``Household`` rows themselves;
- ``before_commit`` widens them (every member, current or former, of each household; what
  each module's ``bangfu_bottom_line_affected`` names: core adds the household members of
  a changed person or category and a changed person's wards), judges those persons with
  :func:`bangfu.core.bottomline.evaluate.evaluate` as the system actor and replaces their
  rows, before the commit. A rollback undoes the rows with the write.

``before_commit`` is a synchronous event; an ``AsyncSession`` commits inside SQLAlchemy's
greenlet, where ``await_only`` runs the (async) judgement on the same connection.

Only the engines :func:`attach`-ed with a plugin host are kept (the service, the
commands that write): the host and settings of the judgement come from there.
``BANGFU_STORED_BOTTOM_LINE=false`` attaches nothing.

**Commands** (``bangfu bottomline``): :func:`rebuild` judges an area again, :func:`check`
compares fresh judgements with the stored rows, :func:`refresh` judges what the calendar or
a changed rules version made due.
"""

import dataclasses
import datetime as dt
import logging
import random
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import async_session as async_session_of
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction, attributes
from sqlalchemy.util import await_only

from bangfu.core import calendar
from bangfu.core.bottomline import tally
from bangfu.core.bottomline.evaluate import BATCH, BottomLine, evaluate
from bangfu.core.bottomline.models import RulesVersion, StoredVerdict
from bangfu.core.care.common import active_hardship_persons
from bangfu.core.config import Settings
from bangfu.core.db import chunks, path_within
from bangfu.core.registry.models import CategoryAssignment, Household, Membership, Person, Region
from bangfu.core.security.actor import SYSTEM

if TYPE_CHECKING:
    from bangfu.core.plugins import PluginHost

log = logging.getLogger("bangfu.bottomline")

PENDING_KEY = "bangfu_bottom_line_pending"
TABLE = cast(Table, StoredVerdict.__table__)
RULES = cast(Table, RulesVersion.__table__)
_attached: "weakref.WeakKeyDictionary[Engine, tuple[PluginHost, Settings]]" = (
    weakref.WeakKeyDictionary()
)


@dataclasses.dataclass
class Pending:
    """What a transaction wrote that verdicts depend on, noted at each flush."""

    persons: set[int] = dataclasses.field(default_factory=set)
    households: set[int] = dataclasses.field(default_factory=set)
    rows: list[Any] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.persons or self.households or self.rows)

    def note(self, obj: Any, deleted: bool = False, changed: bool = False) -> None:
        """``changed``: an existing row was updated (a change of only the columns its
        model declares ``__bottom_line_inert__`` affects nobody)."""
        if isinstance(obj, StoredVerdict | RulesVersion):
            return
        if changed and _inert_change(obj):
            return
        scope = getattr(type(obj), "__area_scope__", None)
        if isinstance(obj, Person):
            self._add(self.persons, obj, "id", deleted)
        elif isinstance(obj, Household):
            self._add(self.households, obj, "id", deleted)
        elif scope == "person":
            self._add(self.persons, obj, "person_id", deleted)
        elif scope == "household":
            self._add(self.households, obj, "household_id", deleted)
        elif scope is None or scope == "global":
            return  # security rows, reference data, the audit trail: no verdict input
        self.rows.append(obj)

    @staticmethod
    def _add(ids: set[int], obj: Any, key: str, deleted: bool) -> None:
        """The key's value now, and the one it had before the flush (a row moved to another
        person or household changes both)."""
        value = getattr(obj, key, None)
        if value is not None:
            ids.add(value)
        if not deleted:
            history = attributes.get_history(obj, key, passive=attributes.PASSIVE_NO_FETCH)
            ids.update(v for v in history.deleted or () if v is not None)

    def note_values(self, cls: Any, values: Any) -> None:
        """An ORM bulk ``insert(Model)``: the persons and households of its parameter rows."""
        scope = getattr(cls, "__area_scope__", None)
        key = {"person": "person_id", "household": "household_id"}.get(scope or "")
        if cls is Person or cls is Household:
            key = "id"
        if key is None or cls in (StoredVerdict, RulesVersion):
            return
        rows = values if isinstance(values, list | tuple) else [values]
        target = self.households if cls is Household or scope == "household" else self.persons
        for row in rows:
            if isinstance(row, dict) and row.get(key) is not None:
                target.add(row[key])


def _inert_change(obj: Any) -> bool:
    """Whether the flush changed only columns no bottom-line rule reads."""
    inert = getattr(type(obj), "__bottom_line_inert__", None)
    if not inert:
        return False
    state = inspect(obj)
    return all(attr.key in inert for attr in state.attrs if attr.history.has_changes())


# ---------------------------------------------------------------------------
# Attaching an engine, and the listeners
# ---------------------------------------------------------------------------


def attach(engine: AsyncEngine, host: "PluginHost", settings: Settings) -> bool:
    """Keep the stored verdicts current in every transaction on ``engine`` (unless
    ``settings.stored_bottom_line`` is off). Returns whether it did."""
    if not settings.stored_bottom_line:
        _attached.pop(engine.sync_engine, None)
        return False
    install()
    _attached[engine.sync_engine] = (host, settings)
    return True


def attached(session: Session) -> "tuple[PluginHost, Settings] | None":
    bind = session.bind
    if isinstance(bind, Connection):
        bind = bind.engine
    return _attached.get(bind) if isinstance(bind, Engine) else None


def _pending(session: Session) -> Pending:
    found = session.info.get(PENDING_KEY)
    if not isinstance(found, Pending):
        found = session.info[PENDING_KEY] = Pending()
    return found


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    if attached(session) is None:
        return
    pending = _pending(session)
    for obj in session.new:
        pending.note(obj)
    for obj in session.dirty:
        pending.note(obj, changed=True)
    for obj in session.deleted:
        pending.note(obj, deleted=True)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None or attached(state.session) is None:
        return
    if state.is_insert:
        if state.parameters is not None:
            _pending(state.session).note_values(mapper.class_, state.parameters)
        return
    _note_bulk(mapper.class_, state)


def _note_bulk(cls: Any, state: ORMExecuteState) -> None:
    """An ORM bulk UPDATE or DELETE names no rows: the persons or households of the rows
    its WHERE clause matches are read first (one SELECT, scoped like the statement)."""
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if cls in (StoredVerdict, RulesVersion) or table != cls.__table__.name:
        return  # a statement on another table (whose subquery names this model)
    scope = getattr(cls, "__area_scope__", None)
    key = {"person": "person_id", "household": "household_id"}.get(scope or "")
    if cls is Person or cls is Household:
        key = "id"
    if key is None:
        return
    values = getattr(state.statement, "_values", None) or {}
    columns = {getattr(k, "key", None) or str(k) for k in values}
    if state.is_update and columns and columns <= getattr(cls, "__bottom_line_inert__", set()):
        return
    column = getattr(cls, key)
    where = getattr(state.statement, "whereclause", None)
    matched = select(column) if where is None else select(column).where(where)
    found = {v for v in state.session.execute(matched).scalars() if v is not None}
    pending = _pending(state.session)
    (pending.households if cls is Household or scope == "household" else pending.persons).update(
        found
    )


def _before_commit(session: Session) -> None:
    target = attached(session)
    if target is None:
        return
    session.flush()  # what is still pending is noted too
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    proxy = async_session_of(session)
    if proxy is None:
        raise RuntimeError("the stored bottom line is kept by AsyncSession transactions only")
    host, settings = target
    await_only(judge_pending(proxy, pending, host, settings))


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: committed or rolled back
        session.info.pop(PENDING_KEY, None)


def install() -> None:
    """Register the listeners on every ORM session (idempotent); they act only on the
    sessions of an attached engine."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_execute),
        ("before_commit", _before_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# ---------------------------------------------------------------------------
# Judging and storing
# ---------------------------------------------------------------------------


def _chunks(ids: Iterable[int], size: int = BATCH) -> Iterable[list[int]]:
    for chunk in chunks(sorted(set(ids)), size):
        yield list(chunk)


async def members(session: AsyncSession, households: Iterable[int]) -> set[int]:
    """Every person who is or was a member of these households."""
    found: set[int] = set()
    for chunk in _chunks(households):
        found.update(
            await session.scalars(
                select(Membership.person_id).where(Membership.household_id.in_(chunk))
            )
        )
    return found


async def core_affected(rows: Sequence[Any], session: AsyncSession) -> set[int]:
    """Core's rules judge a person by their household's allowances, members and adults,
    and a child by their guardian: a change of a ``Person`` or a ``CategoryAssignment``
    reaches the current members of the person's household and the person's wards."""
    persons = {r.person_id for r in rows if isinstance(r, CategoryAssignment)}
    changed_persons = {r.id for r in rows if isinstance(r, Person) and r.id is not None}
    persons |= changed_persons
    found: set[int] = set()
    # Memberships not ended, a later start included: a household a person joins later is
    # judged with them (its verdicts' valid_until names the day they join).
    for chunk in _chunks(persons):
        households = select(Membership.household_id).where(
            Membership.person_id.in_(chunk), Membership.end_date.is_(None)
        )
        found.update(
            await session.scalars(
                select(Membership.person_id).where(
                    Membership.household_id.in_(households), Membership.end_date.is_(None)
                )
            )
        )
    for chunk in _chunks(changed_persons):
        found.update(await session.scalars(select(Person.id).where(Person.guardian_id.in_(chunk))))
    return found


async def judge_pending(
    session: AsyncSession, pending: Pending, host: "PluginHost", settings: Settings
) -> int:
    """Judge again, in ``session``'s transaction and as the system actor, every person
    ``pending`` reaches; returns how many."""
    actor = session.info.get("actor")
    session.info["actor"] = SYSTEM
    try:
        persons = set(pending.persons)
        persons |= await members(session, pending.households)
        persons |= await host.bottom_line_affected(pending.rows, session)
        await store(session, persons, host, settings, calendar.today())
        return len(persons)
    finally:
        session.info["actor"] = actor


def rows_of(
    person: Person, line: BottomLine, as_of: dt.date, hardship: bool
) -> list[dict[str, Any]]:
    """The stored rows of one person's verdicts."""
    return [
        {
            "person_id": person.id,
            "indicator": str(indicator),
            "status": str(verdict.status),
            "reasons": list(verdict.reasons),
            "modules": ",".join(verdict.modules),
            "judged_on": as_of,
            "valid_until": verdict.valid_until,
            "hardship": hardship,
            "area_path": person.area_path,
        }
        for indicator, verdict in line.items()
    ]


async def fresh_rows(
    session: AsyncSession,
    persons: Sequence[Person],
    host: "PluginHost",
    settings: Settings,
    as_of: dt.date,
) -> list[dict[str, Any]]:
    """Judge a page of persons afresh: their rows as they should be stored."""
    if not persons:
        return []
    ids = [p.id for p in persons]
    lines = await evaluate(persons, session, host, as_of, settings)
    holders = set(
        await session.scalars(
            active_hardship_persons(as_of).where(CategoryAssignment.person_id.in_(ids))
        )
    )
    rows: list[dict[str, Any]] = []
    for person in persons:
        hardship = person.id in holders and not person.deceased
        rows += rows_of(person, lines[person.id], as_of, hardship)
    return rows


async def store(
    session: AsyncSession,
    person_ids: Iterable[int],
    host: "PluginHost",
    settings: Settings,
    as_of: dt.date,
) -> int:
    """Judge these persons and replace their stored rows (a person that no longer exists
    loses them); in pages, in the session's transaction. Returns the persons judged.

    Two transactions never judge one person at once: each reads what the other
    committed. PostgreSQL: an advisory lock per person, taken in ID order (no deadlock),
    held to the end of the transaction. SQLite has one writer: the rows are deleted
    first, which takes the write lock before anything is read (the driver begins a
    transaction only at the first write; reads before it see no lock).
    """
    judged = 0
    for chunk in _chunks(person_ids):
        await lock_persons(session, chunk)
        await session.execute(delete(TABLE).where(TABLE.c.person_id.in_(chunk)))
        persons = list(
            await session.scalars(select(Person).where(Person.id.in_(chunk)).order_by(Person.id))
        )
        rows = await fresh_rows(session, persons, host, settings, as_of)
        if rows:
            await session.execute(insert(TABLE), rows)
        judged += len(persons)
    return judged


#: The first key of the advisory locks of persons being judged (PostgreSQL).
LOCK_SPACE = 17017


async def lock_persons(session: AsyncSession, person_ids: list[int]) -> None:
    """PostgreSQL: wait for, and hold to the end of the transaction, the judging lock of
    each person, in ID order (``person_ids`` is sorted)."""
    if session.get_bind().dialect.name != "postgresql" or not person_ids:
        return
    await session.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(:space, locked.id)) FROM "
            "(SELECT unnest(CAST(:ids AS integer[])) AS id ORDER BY 1) AS locked"
        ),
        {"space": LOCK_SPACE, "ids": person_ids},
    )


# ---------------------------------------------------------------------------
# Commands: rebuild, check, refresh
# ---------------------------------------------------------------------------


async def region_path(session: AsyncSession, code: str | None) -> str | None:
    """The path of the region ``code`` (None: the whole city, no limit).

    :raises LookupError: no region has that code.
    """
    if code is None:
        return None
    path = await session.scalar(select(Region.path).where(Region.code == code))
    if path is None:
        raise LookupError(f"no region {code}")
    return str(path)


def _in_area(path: str | None) -> Any:
    return path_within(Person.area_path, path) if path is not None else Person.id.is_not(None)


async def count_persons(sessions: async_sessionmaker[AsyncSession], path: str | None) -> int:
    async with sessions() as session:
        session.info["actor"] = SYSTEM
        return int(await session.scalar(select(func.count(Person.id)).where(_in_area(path))) or 0)


async def rebuild(
    sessions: async_sessionmaker[AsyncSession],
    host: "PluginHost",
    settings: Settings,
    path: str | None = None,
    as_of: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
) -> int:
    """Judge every person of the area again, a page (one transaction) at a time; a
    rebuild of the whole city also drops rows of persons it no longer has and records the
    rules versions. Then the tally is compacted and (PostgreSQL) rewritten. Returns the
    persons judged."""
    as_of = as_of or calendar.today()
    judged, last = 0, None
    while True:
        async with sessions() as session, session.begin():
            session.info["actor"] = SYSTEM
            statement = select(Person.id).where(_in_area(path)).order_by(Person.id).limit(batch)
            if last is not None:
                statement = statement.where(Person.id > last)
            ids = list(await session.scalars(statement))
            if not ids:
                break
            judged += await store(session, ids, host, settings, as_of)
        last = ids[-1]
        if progress is not None:
            progress(len(ids))
        if len(ids) < batch:
            break
    async with sessions() as session, session.begin():
        session.info["actor"] = SYSTEM
        if path is None:
            # NOT EXISTS, an anti-join: PostgreSQL ran ``NOT IN (SELECT ...)`` over 333,565
            # persons as a subplan per row (minutes).
            gone = ~select(Person.id).where(Person.id == TABLE.c.person_id).exists()
            await session.execute(delete(TABLE).where(gone))
            await record_versions(session, host.rules_versions())
        await tally.compact(session)
    await tally.vacuum(sessions, full=True)
    return judged


async def record_versions(session: AsyncSession, versions: dict[str, str]) -> None:
    """Store ``versions`` as the rules the verdicts were judged with."""
    await session.execute(delete(RULES))
    await session.execute(
        insert(RULES),
        [{"module": module, "version": version} for module, version in sorted(versions.items())],
    )


@dataclasses.dataclass(frozen=True)
class Difference:
    """A stored verdict that differs from a fresh judgement (``field`` names what)."""

    person_id: int
    indicator: str
    field: str
    stored: Any
    fresh: Any

    def __str__(self) -> str:
        return (
            f"person {self.person_id} {self.indicator}: {self.field} stored {self.stored!r}, "
            f"judged afresh {self.fresh!r}"
        )


#: What a check compares (the day judged differs by design).
COMPARED = ("status", "reasons", "modules", "hardship", "area_path", "valid_until")


def compare(stored: dict[tuple[int, str], Any], fresh: list[dict[str, Any]]) -> list[Difference]:
    differences: list[Difference] = []
    for row in fresh:
        key = (row["person_id"], row["indicator"])
        found = stored.get(key)
        if found is None:
            differences.append(Difference(*key, "row", None, row["status"]))
            continue
        for field in COMPARED:
            was = getattr(found, field)
            if field == "reasons":
                was = list(was or [])
            if was != row[field]:
                differences.append(Difference(*key, field, was, row[field]))
    return differences


async def check(
    sessions: async_sessionmaker[AsyncSession],
    host: "PluginHost",
    settings: Settings,
    path: str | None = None,
    sample: int | None = None,
    as_of: dt.date | None = None,
    seed: int | None = None,
) -> list[Difference]:
    """Judge the area's persons (or a random ``sample`` of them) afresh and compare with
    the stored rows: every difference, a missing row included."""
    as_of = as_of or calendar.today()
    async with sessions() as session:
        session.info["actor"] = SYSTEM
        ids = list(await session.scalars(select(Person.id).where(_in_area(path))))
        if sample is not None and sample < len(ids):
            ids = random.Random(seed).sample(ids, sample)
        differences: list[Difference] = []
        for chunk in _chunks(ids):
            persons = list(
                await session.scalars(
                    select(Person).where(Person.id.in_(chunk)).order_by(Person.id)
                )
            )
            fresh = await fresh_rows(session, persons, host, settings, as_of)
            stored = {
                (row.person_id, row.indicator): row
                for row in await session.execute(select(TABLE).where(TABLE.c.person_id.in_(chunk)))
            }
            differences += compare(stored, fresh)
            extra = set(stored) - {(r["person_id"], r["indicator"]) for r in fresh}
            differences += [Difference(p, i, "row", stored[(p, i)].status, None) for p, i in extra]
            session.expunge_all()
        return sorted(differences, key=lambda d: (d.person_id, d.indicator, d.field))


@dataclasses.dataclass
class Refreshed:
    """What :func:`refresh` did."""

    due: int = 0
    rebuilt_for: tuple[str, ...] = ()
    judged: int = 0


async def recorded_versions(session: AsyncSession) -> dict[str, str]:
    """The rules version of each module the stored verdicts were judged with (none: never
    built)."""
    rows = await session.execute(select(RulesVersion.module, RulesVersion.version))
    return {module: version for module, version in rows}


async def changed_modules(session: AsyncSession, host: "PluginHost") -> dict[str, str]:
    """Modules whose rules version differs from the one stored (installed, upgraded or
    removed), with how: ``installed``, ``changed`` or ``removed``."""
    stored = await recorded_versions(session)
    now = host.rules_versions()
    changes = {m: "installed" for m in now if m not in stored}
    changes |= {m: "changed" for m in now if m in stored and stored[m] != now[m]}
    changes |= {m: "removed" for m in stored if m not in now}
    return changes


async def refresh(
    sessions: async_sessionmaker[AsyncSession],
    host: "PluginHost",
    settings: Settings,
    as_of: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> Refreshed:
    """Judge again what is due: the persons whose ``valid_until`` has come, and the
    verdicts of modules whose rules version changed.

    A removed module's verdicts are those it decided; an installed or upgraded module may
    decide, or out-vote another module on, any verdict: everyone is judged again.
    """
    as_of = as_of or calendar.today()
    result = Refreshed()
    async with sessions() as session:
        session.info["actor"] = SYSTEM
        changes = await changed_modules(session, host)
    result.rebuilt_for = tuple(sorted(changes))
    if any(how != "removed" for how in changes.values()):
        result.judged = await rebuild(sessions, host, settings, None, as_of, progress)
        return result
    async with sessions() as session:
        session.info["actor"] = SYSTEM
        conditions = [and_(TABLE.c.valid_until.is_not(None), TABLE.c.valid_until <= as_of)]
        for module in changes:
            conditions.append(("," + TABLE.c.modules + ",").contains(f",{module},"))
        ids = set(await session.scalars(select(TABLE.c.person_id).where(or_(*conditions))))
    result.due = len(ids)
    for chunk in _chunks(ids):
        async with sessions() as session, session.begin():
            session.info["actor"] = SYSTEM
            result.judged += await store(session, chunk, host, settings, as_of)
        if progress is not None:
            progress(len(chunk))
    if changes:
        async with sessions() as session, session.begin():
            await record_versions(session, host.rules_versions())
    return result


__all__ = [
    "Difference",
    "Pending",
    "Refreshed",
    "attach",
    "check",
    "core_affected",
    "install",
    "rebuild",
    "refresh",
    "store",
]
