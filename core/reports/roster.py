"""The hardship roster of an area: one row per living person holding a hardship category,
with categories, the ten indicators, the paired official and open care events.

Written in the language being written (the request's, or ``BANGFU_LANGUAGE``): headers and
labels (男, 低保, 有风险), regions by name, the certification day as a date, the monthly
allowance as money (¥#,##0.00), columns as wide as their values (a Chinese character
counts two).

ID numbers are written as text, masked (first 6 and last 4 characters) unless the caller
passes ``full_id_numbers`` for an actor allowed to reveal them. Persons are read and
judged in keyset pages of 1,000 (a constant number of statements per page).
"""

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Callable
from io import BytesIO
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import BOTTOM_LINE, GOALS, Status
from bangfu.core.bottomline.evaluate import hardship_persons, pages
from bangfu.core.bottomline.reading import read_lines
from bangfu.core.calendar import age_on
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.models import Pairing
from bangfu.core.config import Settings
from bangfu.core.db import path_within
from bangfu.core.effective import in_force
from bangfu.core.i18n import N_, _
from bangfu.core.registry.models import CategoryAssignment, Person, Region
from bangfu.core.registry.persons import masked_id_number, read_id_number
from bangfu.core.reports.cells import (
    DATE_FORMAT,
    MONEY_FORMAT,
    column_width,
    display_width,
    safe_row,
    text_cell,
)
from bangfu.core.reports.labels import CATEGORY, INDICATOR, SEX, STATUS, label, listing
from bangfu.core.security.crypto import DecryptionError, FieldCipher
from bangfu.core.security.models import User

if TYPE_CHECKING:
    from bangfu.core.plugins import PluginHost

INDICATORS = (*BOTTOM_LINE, *GOALS)
#: The columns: (key, header msgid, width in character widths). Headers are written in the
#: language being written; the keys name the columns for the code and the tests.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("number", N_("No."), 6),
    ("county", N_("County"), 14),
    ("village", N_("Village"), 16),
    ("name", N_("Name"), 10),
    ("id_number", N_("ID number"), 21),
    ("sex", N_("Sex"), 6),
    ("age", N_("Age"), 6),
    ("categories", N_("Hardship categories"), 24),
    ("certified", N_("Certified since"), 12),
    ("allowance", N_("Monthly allowance (yuan)"), 14),
    *((indicator.value, INDICATOR[indicator.value], 12) for indicator in INDICATORS),
    ("at_risk_because", N_("At risk because"), 60),
    ("official", N_("Paired official"), 12),
    ("open_events", N_("Open care events"), 10),
)
KEYS = tuple(key for key, _header, _width in COLUMNS)
ID_COLUMN = KEYS.index("id_number")


def header() -> list[str]:
    """The header row in the language being written."""
    return [_(title) for _key, title, _width in COLUMNS]


async def count_roster(session: AsyncSession, region_path: str, as_of: dt.date) -> int:
    statement = hardship_persons(region_path, as_of)
    counted = statement.with_only_columns(func.count(Person.id)).order_by(None)
    return int((await session.execute(counted)).scalar_one())


async def write_roster(
    session: AsyncSession,
    host: "PluginHost",
    settings: Settings,
    cipher: FieldCipher,
    region: Region,
    as_of: dt.date,
    *,
    full_id_numbers: bool = False,
    progress: Callable[[int], None] | None = None,
) -> tuple[bytes, int]:
    """The roster workbook of ``region`` as bytes, and the number of persons in it.

    :param progress: called with the number of persons written after each page.
    """
    names = {
        code: name
        for code, name in await session.execute(
            select(Region.code, Region.name).where(path_within(Region.path, region.path))
        )
    }
    names[region.code] = region.name
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Roster {code}", code=region.code)[:31])
    titles = header()
    for index, ((_key, _title, width), title) in enumerate(zip(COLUMNS, titles, strict=True)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = column_width(
            [width, display_width(title)]
        )
    sheet.freeze_panes = "E2"
    sheet.append([_bold(sheet, title) for title in titles])
    written = 0
    async for page in pages(session, hardship_persons(region.path, as_of)):
        lines = await read_lines(page, session, host, as_of, settings)
        extra = await _page_details(session, [p.id for p in page], as_of)
        for person in page:
            written += 1
            categories, official, open_events = (
                extra["categories"].get(person.id, []),
                extra["officials"].get(person.id, ""),
                extra["open_events"].get(person.id, 0),
            )
            certified = extra["certified"].get(person.id)
            allowance = extra["allowances"].get(person.id)
            line = lines[person.id]
            reasons = [
                _(
                    "{indicator}: {reasons}",
                    indicator=label(INDICATOR, i.value),
                    reasons="; ".join(line[i].reasons),
                )
                for i in INDICATORS
                if line[i].status is Status.AT_RISK
            ]
            segments = person.area_path.split("/")
            county = segments[1] if len(segments) > 2 else person.region_code
            row: list[Any] = [
                written,
                names.get(county, county),
                names.get(person.region_code, person.region_code),
                person.name,
                _id_cell(sheet, cipher, person, full_id_numbers),
                label(SEX, person.sex.value) if person.sex else "",
                age_on(person.birth_date, as_of),
                listing([label(CATEGORY, c) for c in sorted(categories)]),
                _formatted(sheet, certified, DATE_FORMAT),
                _formatted(sheet, allowance, MONEY_FORMAT),
                *(label(STATUS, line[i].status.value) for i in INDICATORS),
                _wrapped(sheet, "\n".join(reasons)),
                official,
                open_events,
            ]
            # Names and notes are typed by people: text cells, never formulas.
            sheet.append(safe_row(sheet, row))
        if progress is not None:
            progress(len(page))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue(), written


def _bold(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell


def _formatted(sheet: Any, value: Any, number_format: str) -> Any:
    """A date or an amount as itself, shown with ``number_format``; None stays blank."""
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _wrapped(sheet: Any, text: str) -> Any:
    if not text:
        return ""
    cell = text_cell(sheet, text)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _id_cell(sheet: Any, cipher: FieldCipher, person: Person, full: bool) -> WriteOnlyCell:
    try:
        value = read_id_number(cipher, person) if full else masked_id_number(cipher, person)
    except DecryptionError:
        value = _("(unreadable)")
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "@"  # text: Excel must not turn 18 digits into a number
    return cell


async def _page_details(
    session: AsyncSession, ids: list[int], as_of: dt.date
) -> dict[str, dict[int, Any]]:
    """Categories (with the first day certified and the monthly allowance), paired official
    and open care events of a page: three statements."""
    categories: dict[int, list[str]] = defaultdict(list)
    certified: dict[int, dt.date] = {}
    allowances: dict[int, decimal.Decimal] = {}
    for person_id, category, valid_from, allowance in await session.execute(
        select(
            CategoryAssignment.person_id,
            CategoryAssignment.category,
            CategoryAssignment.valid_from,
            CategoryAssignment.monthly_allowance,
        ).where(
            CategoryAssignment.person_id.in_(ids),
            in_force(
                CategoryAssignment.valid_from,
                CategoryAssignment.valid_to,
                as_of,
                end_inclusive=True,
            ),
        )
    ):
        categories[person_id].append(str(category))
        if person_id not in certified or valid_from < certified[person_id]:
            certified[person_id] = valid_from
        if allowance is not None:
            allowances[person_id] = allowances.get(person_id, decimal.Decimal(0)) + allowance
    officials = {
        person_id: name
        for person_id, name in await session.execute(
            select(Pairing.person_id, User.display_name)
            .join(User, User.id == Pairing.official_id)
            .where(
                Pairing.person_id.in_(ids), in_force(Pairing.start_date, Pairing.end_date, as_of)
            )
        )
    }
    open_events = {
        person_id: count
        for person_id, count in await session.execute(
            select(CareEvent.person_id, func.count(CareEvent.id))
            .where(CareEvent.person_id.in_(ids), CareEvent.answered_on.is_(None))
            .group_by(CareEvent.person_id)
        )
    }
    return {
        "categories": categories,
        "certified": certified,
        "allowances": allowances,
        "officials": officials,
        "open_events": open_events,
    }
