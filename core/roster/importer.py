"""Importing a roster: validate every row, then write every row in one transaction.

1. Read the file row by row (streamed) and parse every cell (:mod:`bangfu.core.roster.rows`).
2. Check the file as a whole: an ID number twice, a household without its head, a
   region repeated differently, plugin columns the actor may not write.
3. In the import's one transaction, check against the database: persons registered
   outside the actor's area or in another household, head changes, unknown regions or
   regions outside the area.
4. Only if nothing was found: write (an idempotent upsert keyed on the ID number), in
   chunks that are flushed and let go of, so memory holds the parsed rows and one chunk.
   A dry run does the same writes and rolls them back, so its report is the real one.
   Any failure while writing rolls everything back.

Who may import what: the write actions of the plugins whose columns the file fills, and
``registry:write`` (``category:write``) only for rows that create or change core data
(a person, a household, a membership; a hardship category). What a row changes is known
exactly while writing, so that is where the core permissions are decided: a row that
needs one the actor lacks becomes a problem, and a file with problems is rolled back
whole. An import that only fills plugin columns for registered persons needs no
``registry:write``. A plugin's ``write`` may refuse a row with ``RosterValueError``: that
too is a problem of the row, and nothing is written.
"""

import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.calendar import today as china_today
from bangfu.core.db import chunks
from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.i18n import N_, _
from bangfu.core.registry import eligibility
from bangfu.core.registry.models import (
    Category,
    CategoryAssignment,
    Household,
    Membership,
    Organisation,
    Person,
    Region,
    Relation,
)
from bangfu.core.registry.persons import ID_NUMBER_CONTEXT, new_person
from bangfu.core.registry.reference import CITY_CODE, civil_affairs_code
from bangfu.core.roster import TEMPLATE_PATH, outside
from bangfu.core.roster.columns import (
    Change,
    RosterBatch,
    RosterColumns,
    RosterValueError,
    RosterWriteContext,
)
from bangfu.core.roster.headers import Column, columns_of, find_header, match_headers
from bangfu.core.roster.limits import HEADER_SEARCH_ROWS, RosterLimits
from bangfu.core.roster.lock import ImportBusy, import_lock
from bangfu.core.roster.read import RosterFileError, Sheet, open_roster
from bangfu.core.roster.report import Report
from bangfu.core.roster.rows import Problem, RosterRow, parse_row
from bangfu.core.security import audit
from bangfu.core.security.actor import Actor
from bangfu.core.security.crypto import FieldCipher

log = logging.getLogger("bangfu.roster")

CHUNK = 1000
_IN_CHUNK = 500  # values per IN (...) list
AUDIT_OPERATION = "roster.import"
REGISTRY_WRITE = "registry:write"
CATEGORY_WRITE = "category:write"
#: A row refused for a core permission, by what it would do: whole sentences.
_REFUSALS = {
    "create a person": N_(
        "this row would register a new person, and your account may not write persons and "
        "households (permission registry:write): ask your county's administrator for it, or "
        "leave the row out"
    ),
    "change the person's details": N_(
        "this row would change the person's registered details (name, phone, hukou, "
        "disability), and your account may not write persons and households (permission "
        "registry:write): ask your county's administrator for it, or make the row match the "
        "registered details"
    ),
    "change the household's region or address": N_(
        "this row would change the household's region or address, and your account may not "
        "write persons and households (permission registry:write): ask your county's "
        "administrator for it, or make the row match the registered household"
    ),
    "create a household": N_(
        "this row would register a new household, and your account may not write persons "
        "and households (permission registry:write): ask your county's administrator for it, "
        "or leave the household out"
    ),
    "change the person's relation": N_(
        "this row would change the person's relation to the head, and your account may not "
        "write persons and households (permission registry:write): ask your county's "
        "administrator for it, or write the registered relation"
    ),
    "add the person to a household": N_(
        "this row would add the person to a household, and your account may not write "
        "persons and households (permission registry:write): ask your county's administrator "
        "for it, or leave the row out"
    ),
    "certify a hardship category": N_(
        "this row would certify a hardship category (困难类别) the person does not hold yet, "
        "and your account may not write hardship categories (permission category:write): ask "
        "the civil-affairs bureau to certify it, or clear the categories cell"
    ),
}
NO_HEADER = N_(
    "no header row was found in the first {rows} rows: the header row names the columns, "
    "e.g. 户主身份证号, 身份证号, 姓名 and 与户主关系 (or head_id_number, id_number, name and "
    "relation); start from the template (bangfu import template, or GET {template})"
)
NO_DATA = N_("the file has no data rows below its header row: add the roster's rows")
FORMULA = N_(
    "the cell holds a formula, and a roster takes typed values only: copy the column and "
    "paste it back as values (选择性粘贴 → 数值)"
)
NO_HEAD = N_(
    "no head with this head's ID number is registered in your area, and the file has no row "
    "for this head: add the head's own row (relation 户主), or correct the head's ID number "
    "(户主身份证号)"
)
BUSY = N_(
    "another roster import was running for longer than this one may wait; nothing was "
    "written: send the file again in a few minutes"
)
CONFLICT = N_(
    "the import stopped at row {row}: another change registered some of the same persons or "
    "households at the same moment; nothing was written: send the file again"
)


class Progress(Protocol):
    """A progress display (a tqdm bar on the command line)."""

    def start(self, phase: str, total: int | None) -> None: ...

    def advance(self, count: int) -> None: ...


class _Silent:
    def start(self, phase: str, total: int | None) -> None:
        pass

    def advance(self, count: int) -> None:
        pass


@dataclasses.dataclass
class _Household:
    """What the import knows of one household of the file (keyed by the head's number)."""

    head: RosterRow | None = None
    rows: list[RosterRow] = dataclasses.field(default_factory=list)
    household_id: int | None = None  # registered already
    region: Region | None = None


#: The stable code of a function's bureau in a region (eligibility.function_of).
_CERTIFIER_CODES: dict[eligibility.Function, Callable[[str], str]] = {
    eligibility.Function.CIVIL_AFFAIRS: civil_affairs_code,
    eligibility.Function.VETERANS_AFFAIRS: eligibility.veterans_affairs_code,
}


@dataclasses.dataclass
class _Existing:
    person_id: int
    area_path: str


class _Stop(Exception):
    """Roll back the dry run after its writes."""


class _ChangedMeanwhile(Exception):
    """A row's person or membership changed between the checks and the writes (another
    writer committed in between; imports themselves wait for each other)."""

    def __init__(self, row: int) -> None:
        super().__init__(row)
        self.roster_row = row


@dataclasses.dataclass
class RosterImport:
    """One import of one file by one actor."""

    sessions: async_sessionmaker[AsyncSession]
    actor: Actor
    cipher: FieldCipher
    roster_groups: Sequence[tuple[str, RosterColumns]]
    allowed: Callable[[str], bool]
    # Only rows in this area (a path) are accepted; default: the actor's area.
    area_path: str | None = None
    today: dt.date = dataclasses.field(default_factory=china_today)
    progress: Progress = dataclasses.field(default_factory=_Silent)
    certifiers: dict[str, int] = dataclasses.field(default_factory=dict)
    limits: RosterLimits = dataclasses.field(default_factory=RosterLimits)
    # Rows refused for a core permission while writing (one problem per row).
    _refused: set[int] = dataclasses.field(default_factory=set, init=False, repr=False)
    _permitted: dict[str, bool] = dataclasses.field(default_factory=dict, init=False, repr=False)
    # Heads whose own row is in the file with problems: their members say nothing more.
    _bad_heads: set[str] = dataclasses.field(default_factory=set, init=False, repr=False)
    # Rows answered "registered outside your area" (audited one by one).
    _outside: list[outside.Outside] = dataclasses.field(
        default_factory=list, init=False, repr=False
    )
    # The digests of the persons registered when the file was checked.
    _existed: set[str] = dataclasses.field(default_factory=set, init=False, repr=False)

    def covers(self, path: str) -> bool:
        area = self.area_path or self.actor.area_path
        if area is None:
            return self.actor.sees_everything
        return path.startswith(area)

    # -- the whole import ------------------------------------------------------

    async def run(self, path: Path, *, dry_run: bool, file_name: str | None = None) -> Report:
        report = Report(file_name or path.name, dry_run)
        try:
            # Reading and parsing is CPU work: off the event loop, so a server keeps serving.
            rows = await asyncio.to_thread(self._parse, path, report)
        except RosterFileError as exc:
            report.problems.append(Problem(0, None, str(exc)))
            report.headers = None  # nothing to annotate in a file that cannot be read
        if report.headers is None or report.headers.problems or not report.rows:
            await self._audit(report)  # refused as a whole: an audit row all the same
            return report
        households = self._check_file(rows, report)
        self._check_permissions(rows, report)
        audited = False
        async with self.sessions() as session:
            session.info["actor"] = self.actor
            try:
                await import_lock(session, self.limits.wait_seconds)
                await self._check_database(session, households, rows, report)
                if report.problems:
                    # Nothing was written: the refusal and every "registered outside your
                    # area" answer commit together, under the lock.
                    await self._record(session, report)
                    await session.commit()
                    audited = True
                else:
                    await self._write(session, households, rows, report)
                    if report.problems:
                        # A row the actor may not write, or a plugin refused: nothing is
                        # written, and the counts of the undone writes are not reported.
                        report.counts.clear()
                        raise _Stop
                    if dry_run:
                        raise _Stop
                    await self._record(session, report)
                    await session.commit()
                    report.committed = audited = True
            except _Stop:
                await session.rollback()
            except ImportBusy:
                await session.rollback()
                report.failure, report.retry = _(BUSY), True
            except Exception as exc:
                await session.rollback()
                report.failure = self._failure(exc, report)
            if report.failure is not None:
                report.counts.clear()  # rolled back: nothing of it happened
        if not audited:
            await self._audit(report)
        return report

    # -- 1. parse ----------------------------------------------------------------

    def _parse(self, path: Path, report: Report) -> list[RosterRow]:
        self.progress.start(_("reading the file"), None)
        with open_roster(path, self.limits) as sheet:
            return self._parse_sheet(sheet, report)

    def _parse_sheet(self, sheet: Sheet, report: Report) -> list[RosterRow]:
        columns = columns_of(self.roster_groups)
        groups = [group for _plugin, group in self.roster_groups]
        rows: list[RosterRow] = []
        leading = []
        for found in sheet.rows:
            leading.append(found)
            if len(leading) == HEADER_SEARCH_ROWS:
                break
        if not leading:
            raise RosterFileError(
                _("the file is empty: it needs a header row and the roster's rows below it")
            )
        header = find_header(leading, columns)
        if header is None:
            message = _(NO_HEADER, rows=HEADER_SEARCH_ROWS, template=TEMPLATE_PATH)
            report.header_row = leading[0][0]
            report.headers = match_headers((), columns)
            report.headers.problems = [message]
            report.problems.append(Problem(report.header_row, None, message))
            return rows
        report.header_row, headers = header
        report.headers = headers
        report.ignored_columns = headers.ignored
        if headers.problems:
            report.problems += [Problem(report.header_row, None, p) for p in headers.problems]
            return rows
        self._formulas(sheet, headers.by_index, report)
        data = [found for found in leading if found[0] > report.header_row]
        total = None if sheet.used_rows is None else max(0, sheet.used_rows - len(leading))
        self.progress.start(_("checking the rows"), None if total is None else total + len(data))
        for number, cells in itertools.chain(data, sheet.rows):
            report.rows += 1
            parsed = parse_row(number, cells, headers.by_index, groups, self.today)
            report.problems += parsed.problems
            report.warnings += parsed.warnings
            if parsed.row is not None:
                row = parsed.row
                row.digest = self.cipher.digest(row.id_number.value, context=ID_NUMBER_CONTEXT)
                rows.append(row)
            elif parsed.head_of is not None:
                self._bad_heads.add(parsed.head_of)
            if report.rows % 100 == 0:
                self.progress.advance(100)
        self.progress.advance(report.rows % 100)
        if report.rows == 0:
            report.problems.append(Problem(report.header_row, None, _(NO_DATA)))
        return rows

    def _formulas(self, sheet: Sheet, by_index: dict[int, Column], report: Report) -> None:
        """A formula in an imported column is a problem of its cell: the import would take
        its cached value without anyone seeing the formula. Other columns (a 序号 of
        ``=ROW()-2``) are not imported, so their formulas do not matter."""
        assert report.header_row is not None
        for index, column in by_index.items():
            for number in sheet.formulas.get(index, ()):
                if number > report.header_row:
                    report.problems.append(Problem(number, column.key, _(FORMULA)))

    # -- 2. the file as a whole ----------------------------------------------------

    def _check_file(self, rows: list[RosterRow], report: Report) -> dict[str, _Household]:
        seen: dict[str, int] = {}
        households: dict[str, _Household] = {}
        for row in rows:
            first = seen.setdefault(row.id_number.value, row.row)
            if first != row.row:
                report.problems.append(
                    Problem(
                        row.row,
                        "id_number",
                        _(
                            "the same ID number is already on row {first}: a person is listed "
                            "once; delete one of the two rows, or correct the ID number",
                            first=first,
                        ),
                    )
                )
            household = households.setdefault(row.head_id_number, _Household())
            household.rows.append(row)
            if row.is_head and household.head is None:
                household.head = row
        for household in households.values():
            head = household.head
            for row in household.rows:
                if (
                    head is not None
                    and row is not head
                    and row.region_code is not None
                    and row.region_code != head.region_code
                ):
                    report.problems.append(
                        Problem(
                            row.row,
                            "region_code",
                            _(
                                "the region code differs from the one on the head's row "
                                "{head_row}: a household has one region; leave it blank on a "
                                "member's row, or repeat the head's",
                                head_row=head.row,
                            ),
                        )
                    )
        return households

    def may(self, action: str) -> bool:
        """Whether the actor holds ``action`` (asked once per import)."""
        if self.actor.sees_everything:
            return True
        if action not in self._permitted:
            self._permitted[action] = self.allowed(action)
        return self._permitted[action]

    def _plugin_action(self, plugin: str) -> str:
        """The action that writes a plugin's columns: its ``<plugin>:write``, or
        ``registry:write`` for a plugin that declares no write action."""
        action = f"{plugin}:write"
        try:
            self.may(action)
        except KeyError:
            return REGISTRY_WRITE
        return action

    def _check_permissions(self, rows: list[RosterRow], report: Report) -> None:
        """Plugin columns: every row filling a plugin's columns needs its write action.

        The core actions (``registry:write``, ``category:write``) are decided per row while
        writing (:meth:`require`), when it is known what the row changes.
        """
        if self.actor.sees_everything:
            return
        actions: dict[int, str] = {}
        for row in rows:
            for index, values in row.plugin_values.items():
                plugin = self.roster_groups[index][0]
                action = actions.get(index) or actions.setdefault(
                    index, self._plugin_action(plugin)
                )
                if not self.may(action):
                    report.problems.append(
                        Problem(
                            row.row,
                            next(iter(values), None),
                            _(
                                "your account may not fill the columns of {plugin} "
                                "(permission {action}): ask your county's administrator for "
                                "it, or clear these columns",
                                plugin=plugin,
                                action=action,
                            ),
                        )
                    )

    def require(self, report: Report, row: RosterRow, action: str, doing: str) -> None:
        """Refuse ``row`` (one problem per row) if the actor lacks the core ``action``;
        ``doing`` is a key of :data:`_REFUSALS`."""
        if self.may(action) or row.row in self._refused:
            return
        self._refused.add(row.row)
        refusal = _REFUSALS[doing]
        report.problems.append(Problem(row.row, None, _(refusal)))

    # -- 3. against the database ---------------------------------------------------

    async def _check_database(
        self,
        session: AsyncSession,
        households: dict[str, _Household],
        rows: list[RosterRow],
        report: Report,
    ) -> None:
        regions = {r.code: r for r in (await session.scalars(select(Region))).all()}
        head_digests = {
            key: self.cipher.digest(key, context=ID_NUMBER_CONTEXT) for key in households
        }
        existing = await self._existing(
            session, {r.digest for r in rows} | set(head_digests.values())
        )
        self._existed = set(existing)
        memberships = await self._memberships(session, [e.person_id for e in existing.values()])

        def bad(row: RosterRow, column: str | None, reason: str) -> None:
            report.problems.append(Problem(row.row, column, reason))

        for key, household in households.items():
            head = household.head
            registered = existing.get(head_digests[key])
            if registered is not None and not self.covers(registered.area_path):
                # The head's own row is answered below, like any person's; a member's row
                # gets what a head unknown here gets, so it tells nothing more.
                if head is None and key not in self._bad_heads:
                    for row in household.rows:
                        bad(row, "head_id_number", _(NO_HEAD))
                continue
            membership = memberships.get(registered.person_id) if registered else None
            if membership is not None and membership.relation is Relation.HEAD:
                household.household_id = membership.household_id
            elif membership is not None:
                for row in household.rows:
                    bad(
                        row,
                        "head_id_number",
                        _(
                            "the person named as head is registered as a member, not the "
                            "head, of a household: change that household's head first "
                            "(householdHeadChange), or correct the head's ID number"
                        ),
                    )
                continue
            elif head is None:
                # A head's row with problems of its own is the one cause: said there, once.
                if key not in self._bad_heads:
                    for row in household.rows:
                        bad(row, "head_id_number", _(NO_HEAD))
                continue
            code = head.region_code if head is not None else None
            if code is None and household.household_id is None:
                assert head is not None
                bad(
                    head,
                    "region_code",
                    _(
                        "this household is new, so its region is needed: write the village's "
                        "12-digit region code (区划代码) on the head's row"
                    ),
                )
            elif code is not None:
                region = regions.get(code)
                if region is None:
                    bad(
                        head,  # type: ignore[arg-type]
                        "region_code",
                        _(
                            "region code {code} is not a registered region: check it against "
                            "the region list (a village's code has 12 digits)",
                            code=code,
                        ),
                    )
                elif not self.covers(region.path):
                    bad(
                        head,  # type: ignore[arg-type]
                        "region_code",
                        _(
                            "region {code} is outside your area: you may import households of "
                            "your own area only; correct the code, or leave the household out",
                            code=code,
                        ),
                    )
                else:
                    household.region = region
        elsewhere: list[outside.Outside] = []
        for row in rows:
            found = existing.get(row.digest)
            if found is None:
                continue
            if not self.covers(found.area_path):
                elsewhere.append(outside.Outside(row.row, found.person_id))
                continue
            membership = memberships.get(found.person_id)
            if membership is None:
                continue
            household = households[row.head_id_number]
            if membership.household_id != household.household_id:
                bad(
                    row,
                    "id_number",
                    _(
                        "this person is a current member of another household: end that "
                        "membership first (the person moved out), or correct the head's ID "
                        "number"
                    ),
                )
            elif membership.relation is not row.relation and Relation.HEAD in (
                membership.relation,
                row.relation,
            ):
                bad(
                    row,
                    "relation",
                    _(
                        "the row changes who is the household's head, which a roster cannot "
                        "do: change the head in Bangfu (householdHeadChange), then import "
                        "the file"
                    ),
                )
        await self._check_categories(session, rows, existing, report)
        problems, self._outside = await outside.answer(
            session,
            self.actor,
            elsewhere,
            per_file=self.limits.outside_area_per_file,
            per_day=self.limits.outside_area_per_day,
            today=self.today,
        )
        report.problems += problems
        self.certifiers = await self._certifying_organisations(session, households)

    async def _check_categories(
        self,
        session: AsyncSession,
        rows: list[RosterRow],
        existing: dict[str, _Existing],
        report: Report,
    ) -> None:
        """The category rules (core/registry/eligibility.py) for every category a row would
        certify anew: a row that breaks one is refused with the rule and its policy. The
        row's disability, else the one on record, counts; every row is a household member."""
        wanted = [r for r in rows if r.categories]
        known = [existing[r.digest].person_id for r in wanted if r.digest in existing]
        on_record: dict[int, tuple[int | None, int | None]] = {}
        held: set[tuple[int, Category]] = set()
        for chunk in chunks(sorted(set(known)), _IN_CHUNK):
            result = await session.execute(
                select(Person.id, Person.disability_category, Person.disability_grade).where(
                    Person.id.in_(chunk)
                )
            )
            on_record.update({pid: (category, grade) for pid, category, grade in result})
            current = await session.execute(
                select(CategoryAssignment.person_id, CategoryAssignment.category).where(
                    CategoryAssignment.person_id.in_(chunk),
                    CategoryAssignment.valid_to.is_(None)
                    | (CategoryAssignment.valid_to >= self.today),
                )
            )
            held |= {(pid, category) for pid, category in current}
        for row in wanted:
            found = existing.get(row.digest)
            disability = row.disability or (
                on_record.get(found.person_id, (None, None)) if found else (None, None)
            )
            facts = eligibility.Facts(
                birth_date=row.id_number.birth_date,
                disability_category=disability[0],
                disability_grade=disability[1],
                in_household=True,
            )
            valid_from = row.category_valid_from or self.today
            rule_set = eligibility.rule_set_on(valid_from)
            last_day = eligibility.last_day_in_force(valid_from, None, self.today)
            for category in row.categories:
                if found is not None and (found.person_id, category) in held:
                    continue  # held already: the import leaves it as it is
                for rule in rule_set.broken(category, facts, valid_from, last_day):
                    report.problems.append(
                        Problem(
                            row.row,
                            "categories",
                            eligibility.broken_rule_message(category, rule),
                        )
                    )

    async def _existing(self, session: AsyncSession, digests: set[str]) -> dict[str, _Existing]:
        found: dict[str, _Existing] = {}
        for chunk in chunks(sorted(digests), _IN_CHUNK):
            result = await session.execute(
                select(Person.id_number_digest, Person.id, Person.area_path)
                .where(Person.id_number_digest.in_(chunk))
                # Uniqueness is city-wide: a person outside the area must be found (and refused).
                .execution_options(bangfu_uniqueness_check=True)
            )
            for digest, person_id, area_path in result:
                found[digest] = _Existing(person_id, area_path)
        return found

    async def _memberships(
        self, session: AsyncSession, person_ids: Iterable[int]
    ) -> dict[int, Membership]:
        found: dict[int, Membership] = {}
        for chunk in chunks(sorted(person_ids), _IN_CHUNK):
            rows = await session.scalars(
                select(Membership).where(
                    Membership.person_id.in_(chunk), Membership.end_date.is_(None)
                )
            )
            found.update({m.person_id: m for m in rows})
        return found

    async def _certifying_organisations(
        self, session: AsyncSession, households: dict[str, _Household]
    ) -> dict[str, int]:
        """The civil-affairs and veterans-affairs bureaus of the city and of each county
        concerned: the bodies competent to certify categories (eligibility.Function)."""
        counties = {_county(h.region.path) for h in households.values() if h.region}
        codes = {
            code(region)
            for code in (civil_affairs_code, eligibility.veterans_affairs_code)
            for region in (CITY_CODE, *counties)
        }
        rows = await session.execute(
            select(Organisation.code, Organisation.id).where(Organisation.code.in_(codes))
        )
        return {code: org_id for code, org_id in rows}

    # -- 4. write ----------------------------------------------------------------

    async def _write(
        self,
        session: AsyncSession,
        households: dict[str, _Household],
        rows: list[RosterRow],
        report: Report,
    ) -> None:
        # Heads first, so every member's household exists when the member is written.
        ordered = sorted(rows, key=lambda r: (not r.is_head, r.row))
        self.progress.start(_("writing"), len(ordered))
        for chunk in chunks(ordered, CHUNK):
            await _Chunk(self, session, households, report).write(list(chunk))
            session.expunge_all()
            self.progress.advance(len(chunk))

    def _failure(self, exc: Exception, report: Report) -> str:
        where = getattr(exc, "roster_row", None)
        at = f" at row {where}" if where else ""  # the log's
        if isinstance(exc, IntegrityError | _ChangedMeanwhile):
            # Another writer (a mutation, not an import: imports wait for each other)
            # registered the same person meanwhile. Retrying sees it registered.
            log.warning("roster import conflicted%s: %s", at, type(exc).__name__)
            report.retry = True
            return _(CONFLICT, row=where or "?")
        if isinstance(exc, DomainError):
            reason = str(exc)
        else:
            log.exception("roster import failed%s", at)
            reason = _("an unexpected error (details are in the server log)")
        if where:
            return _(
                "the import stopped at row {row}: {reason}; nothing was written",
                row=where,
                reason=reason,
            )
        return _("the import stopped: {reason}; nothing was written", reason=reason)

    def _audit_details(self, report: Report) -> dict[str, Any]:
        details: dict[str, Any] = {
            "file": report.file_name,
            "dryRun": report.dry_run,
            "rows": report.rows,
        }
        if report.ok:
            details["counts"] = report.as_dict()["counts"]
        else:
            details["problems"] = len(report.problems)
            details["failure"] = report.failure
        if self._outside:
            details["outsideArea"] = len(self._outside)
        return details

    async def _record(self, session: AsyncSession, report: Report) -> None:
        """The import's audit row, and one per "registered outside your area" answer."""
        report.sort()
        await outside.record(session, self.actor, self._outside, report.file_name, report.dry_run)
        await audit.record(
            session,
            self.actor,
            AUDIT_OPERATION,
            audit.Outcome.OK if report.ok else audit.Outcome.FAILED,
            details=self._audit_details(report),
        )

    async def _audit(self, report: Report) -> None:
        """:meth:`_record` in a transaction of its own (after a rollback, or none)."""
        self._outside = []  # answers are recorded only with the refusal that gave them
        async with self.sessions() as session, session.begin():
            session.info["actor"] = self.actor
            await self._record(session, report)


class _Chunk:
    """Writes one chunk of rows (heads before members) and counts what changed."""

    def __init__(
        self,
        job: RosterImport,
        session: AsyncSession,
        households: dict[str, _Household],
        report: Report,
    ) -> None:
        self.job = job
        self.session = session
        self.households = households
        self.report = report
        self.new_households: dict[str, Household] = {}
        self.households_changed: set[int] = set()

    async def write(self, rows: list[RosterRow]) -> None:
        session, report = self.session, self.report
        persons = await self._load(Person, Person.id_number_digest, [r.digest for r in rows])
        for row in rows:
            # What was checked must still hold (another writer may have committed since).
            if (row.digest in persons) != (row.digest in self.job._existed):
                raise _ChangedMeanwhile(row.row)
        household_rows = await self._load(
            Household,
            Household.id,
            [self.households[r.head_id_number].household_id for r in rows],
        )
        changed: dict[int, bool] = {}
        created: set[int] = set()
        homes: dict[int, Household] = {}
        new_persons: dict[str, dict[str, Any]] = {}
        for row in rows:
            try:
                household = self._household(row, household_rows)
                change = self._person(row, persons.get(row.digest), household, new_persons)
            except Exception as exc:
                exc.roster_row = row.row  # type: ignore[attr-defined]
                raise
            homes[row.row] = household
            changed[row.row] = change is not Change.UNCHANGED or row.row in self.households_changed
            if change is Change.CREATED:
                created.add(row.row)
                self.job.require(report, row, REGISTRY_WRITE, "create a person")
            elif change is Change.UPDATED:
                self.job.require(report, row, REGISTRY_WRITE, "change the person's details")
            report.count("persons", change)
        await session.flush()  # new households get their ids; changed persons are written
        for key, household in self.new_households.items():
            self.households[key].household_id = household.id
        if new_persons:
            # One statement for the new persons (the ORM would insert them one by one on
            # SQLite), then read them back by their unique digest.
            await session.execute(insert(Person), list(new_persons.values()))
            persons.update(await self._load(Person, Person.id_number_digest, list(new_persons)))
        row_of = {row.row: (persons[row.digest], homes[row.row]) for row in rows}
        batch = RosterBatch(
            person_ids=tuple(sorted({p.id for p, _h in row_of.values()})),
            household_ids=tuple(sorted({h.id for _p, h in row_of.values()})),
        )
        memberships = await self._memberships(list(batch.person_ids))
        held = await self._held_categories(list(batch.person_ids))
        for row in rows:
            person, household = row_of[row.row]
            current = memberships.get(person.id)
            changed[row.row] |= self._membership(row, person, household, current, batch)
            categories = held.get(person.id, set())
            changed[row.row] |= self._categories(row, person, household, categories, batch)
        for row in rows:
            person, household = row_of[row.row]
            try:
                changed[row.row] |= await self._plugins(row, person, household, batch)
            except Exception as exc:
                exc.roster_row = row.row  # type: ignore[attr-defined]
                raise
        await session.flush()  # ended rows first, then their successors in bulk
        for model, values in batch.inserts.items():
            await session.execute(insert(model), values)
        for row in rows:
            outcome = (
                Change.CREATED
                if row.row in created
                else Change.UPDATED
                if changed[row.row]
                else Change.UNCHANGED
            )
            report.count("rows", outcome)

    async def _load(self, model: Any, key: Any, values: list[Any]) -> dict[Any, Any]:
        found: dict[Any, Any] = {}
        wanted = sorted({v for v in values if v})
        for chunk in chunks(wanted, _IN_CHUNK):
            for obj in await self.session.scalars(select(model).where(key.in_(chunk))):
                found[getattr(obj, key.key)] = obj
        return found

    def _household(self, row: RosterRow, loaded: dict[int, Household]) -> Household:
        key = row.head_id_number
        if key in self.new_households:
            return self.new_households[key]
        info = self.households[key]
        if info.household_id is not None:
            household = loaded[info.household_id]
            if row.is_head:
                change = self._update_household(household, row, info.region)
                self.report.count("households", change)
                if change is Change.UPDATED:
                    self.households_changed.add(row.row)
                    self.job.require(
                        self.report, row, REGISTRY_WRITE, "change the household's region or address"
                    )
            return household
        # A new household: created on its head's row (heads are written first).
        assert row.is_head and info.region is not None
        household = Household(
            region_code=info.region.code, area_path=info.region.path, address=row.address
        )
        self.session.add(household)
        self.new_households[key] = household
        self.report.count("households", Change.CREATED)
        self.job.require(self.report, row, REGISTRY_WRITE, "create a household")
        return household

    def _update_household(
        self, household: Household, row: RosterRow, region: Region | None
    ) -> Change:
        change = Change.UNCHANGED
        if region is not None and household.region_code != region.code:
            household.region_code, household.area_path = region.code, region.path
            change = Change.UPDATED
        if row.address is not None and household.address != row.address:
            household.address = row.address
            change = Change.UPDATED
        return change

    def _person(
        self,
        row: RosterRow,
        person: Person | None,
        household: Household,
        new_persons: dict[str, dict[str, Any]],
    ) -> Change:
        fields: dict[str, Any] = {}
        if row.phone is not None:
            fields["phone"] = row.phone
        if row.hukou_type is not None:
            fields["hukou_type"] = row.hukou_type
        if row.disability is not None:
            fields["disability_category"], fields["disability_grade"] = row.disability
        if person is None:
            region = Region(code=household.region_code, path=household.area_path)
            built = new_person(
                self.job.cipher, row.id_number, name=row.name, region=region, **fields
            )
            new_persons[row.digest] = {
                key: value for key, value in vars(built).items() if not key.startswith("_")
            }
            return Change.CREATED
        fields["name"] = row.name
        fields["region_code"], fields["area_path"] = household.region_code, household.area_path
        change = Change.UNCHANGED
        for name, value in fields.items():
            if getattr(person, name) != value:
                setattr(person, name, value)
                change = Change.UPDATED
        return change

    async def _memberships(self, person_ids: list[int]) -> dict[int, Membership]:
        # Not ended, a later start included: like ALREADY_IN_A_HOUSEHOLD, a membership
        # recorded from a later day overlaps one from today (bangfu.core.effective.overlaps).
        found: dict[int, Membership] = {}
        for chunk in chunks(sorted(set(person_ids)), _IN_CHUNK):
            rows = await self.session.scalars(
                select(Membership).where(
                    Membership.person_id.in_(chunk), Membership.end_date.is_(None)
                )
            )
            found.update({m.person_id: m for m in rows})
        return found

    def _membership(
        self,
        row: RosterRow,
        person: Person,
        household: Household,
        current: Membership | None,
        batch: RosterBatch,
    ) -> bool:
        if current is not None and current.household_id != household.id:
            raise _ChangedMeanwhile(row.row)  # checked: the person was in no other household
        if current is not None and current.relation is row.relation:
            self.report.count("memberships", Change.UNCHANGED)
            return False
        if current is not None:
            # A relation corrected (never to or from HEAD: checked before): history kept.
            # (on its start day if it starts later: written before the rule, never in force)
            current.end_date = max(self.job.today, current.start_date)
            current.end_reason = "relation corrected by a roster import"
            self.report.count("memberships", Change.UPDATED)
            self.job.require(self.report, row, REGISTRY_WRITE, "change the person's relation")
        else:
            self.report.count("memberships", Change.CREATED)
            self.job.require(self.report, row, REGISTRY_WRITE, "add the person to a household")
        batch.add(
            Membership,
            household_id=household.id,
            person_id=person.id,
            relation=row.relation,
            start_date=self.job.today,
        )
        return True

    async def _held_categories(self, person_ids: list[int]) -> dict[int, set[Any]]:
        # Not ended, a later start included (not "in force"): a category recorded from a
        # later day is left as it is, not certified a second time over it.
        held: dict[int, set[Any]] = {}
        for chunk in chunks(sorted(set(person_ids)), _IN_CHUNK):
            result = await self.session.execute(
                select(CategoryAssignment.person_id, CategoryAssignment.category).where(
                    CategoryAssignment.person_id.in_(chunk),
                    (CategoryAssignment.valid_to.is_(None))
                    | (CategoryAssignment.valid_to >= self.job.today),
                )
            )
            for person_id, category in result:
                held.setdefault(person_id, set()).add(category)
        return held

    def _categories(
        self,
        row: RosterRow,
        person: Person,
        household: Household,
        held: set[Any],
        batch: RosterBatch,
    ) -> bool:
        changed = False
        for category in row.categories:
            if category in held:
                self.report.count("categories", Change.UNCHANGED)
                continue
            self.job.require(self.report, row, CATEGORY_WRITE, "certify a hardship category")
            # The competent body of the person's county, else the city's.
            certifiers = self.job.certifiers
            function = eligibility.rule_set_on(
                row.category_valid_from or self.job.today
            ).certifiers[category]
            code = _CERTIFIER_CODES[function]
            organisation = certifiers.get(code(_county(household.area_path))) or certifiers.get(
                code(CITY_CODE)
            )
            if organisation is None:
                raise DomainError.of(
                    "categories",
                    _(
                        "no {body} is registered to certify {category}: ask the administrator "
                        "to register it",
                        body=eligibility.body_name(function),
                        category=category.value,
                    ),
                    ErrorCode.UNKNOWN_ORGANISATION,
                )
            valid_from = row.category_valid_from or self.job.today
            batch.add(
                CategoryAssignment,
                person_id=person.id,
                category=category,
                valid_from=valid_from,
                certifying_organisation_id=organisation,
                evidence="roster import",
                rule_version=eligibility.rule_set_on(valid_from).version,
            )
            self.report.count("categories", Change.CREATED)
            changed = True
        return changed

    async def _plugins(
        self, row: RosterRow, person: Person, household: Household, batch: RosterBatch
    ) -> bool:
        if not row.plugin_values:
            return False
        changed = False
        context = RosterWriteContext(self.job.actor, self.job.today, person, household, batch)
        for index, values in row.plugin_values.items():
            plugin, group = self.job.roster_groups[index]
            try:
                change = await group.write(self.session, context, values)
            except RosterValueError as exc:
                # The plugin refuses the row: a problem of the row; the import is undone.
                column = exc.column if exc.column in values else next(iter(values), None)
                self.report.problems.append(Problem(row.row, column, exc.reason))
                continue
            self.report.count(plugin, change)
            changed |= change is not Change.UNCHANGED
        return changed


def _county(path: str) -> str:
    """The county-level code of a region path (``141000/141023/...`` gives ``141023``)."""
    parts = [p for p in path.split("/") if p]
    return parts[1] if len(parts) > 1 else parts[0]


def import_actions(
    groups: Sequence[tuple[str, RosterColumns]], declared: Iterable[str]
) -> list[str]:
    """The actions any one of which lets a user import a roster at all: ``registry:write``,
    and the write action of each plugin with roster columns (the rows then decide)."""
    known = set(declared)
    plugins = sorted({f"{plugin}:write" for plugin, _group in groups} & known)
    return [REGISTRY_WRITE, *plugins]
