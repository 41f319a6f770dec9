"""The hardship roster of an area: one row per living person holding a hardship category,
with categories, the ten indicators, the paired official and open care events.

ID numbers are written as text, masked (first 6 and last 4 characters) unless the caller
passes ``full_id_numbers`` for an actor allowed to reveal them. Persons are read and
judged in keyset pages of 1,000 (a constant number of statements per page).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from io import BytesIO
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.bottomline import BOTTOM_LINE, GOALS, Status
from bangfu.core.bottomline.evaluate import hardship_persons, pages
from bangfu.core.bottomline.reading import read_lines
from bangfu.core.calendar import age_on
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.models import Pairing
from bangfu.core.config import Settings
from bangfu.core.db import path_within
from bangfu.core.registry.models import CategoryAssignment, Person, Region
from bangfu.core.registry.persons import masked_id_number, read_id_number
from bangfu.core.reports.cells import safe_row
from bangfu.core.security.crypto import DecryptionError, FieldCipher
from bangfu.core.security.models import User

if TYPE_CHECKING:
    from bangfu.core.plugins import PluginHost

INDICATORS = (*BOTTOM_LINE, *GOALS)
HEADER = (
    "No.",
    "County",
    "Village",
    "Name",
    "ID number",
    "Sex",
    "Age",
    "Categories",
    *(indicator.value for indicator in INDICATORS),
    "At risk because",
    "Paired official",
    "Open care events",
)
ID_COLUMN = HEADER.index("ID number")


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
    sheet = book.create_sheet(f"Roster {region.code}"[:31])
    sheet.freeze_panes = "E2"
    sheet.append([_bold(sheet, title) for title in HEADER])
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
            line = lines[person.id]
            reasons = [
                f"{i.value}: {'; '.join(line[i].reasons)}"
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
                person.sex.value if person.sex else "",
                age_on(person.birth_date, as_of),
                ", ".join(sorted(categories)),
                *(line[i].status.value for i in INDICATORS),
                "\n".join(reasons),
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


def _id_cell(sheet: Any, cipher: FieldCipher, person: Person, full: bool) -> WriteOnlyCell:
    try:
        value = read_id_number(cipher, person) if full else masked_id_number(cipher, person)
    except DecryptionError:
        value = "(unreadable)"
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "@"  # text: Excel must not turn 18 digits into a number
    return cell


async def _page_details(
    session: AsyncSession, ids: list[int], as_of: dt.date
) -> dict[str, dict[int, Any]]:
    """Categories, paired official and open care events of a page: three statements."""
    categories: dict[int, list[str]] = defaultdict(list)
    for person_id, category in await session.execute(
        select(CategoryAssignment.person_id, CategoryAssignment.category).where(
            CategoryAssignment.person_id.in_(ids),
            CategoryAssignment.valid_from <= as_of,
            or_(CategoryAssignment.valid_to.is_(None), CategoryAssignment.valid_to >= as_of),
        )
    ):
        categories[person_id].append(str(category))
    officials = {
        person_id: name
        for person_id, name in await session.execute(
            select(Pairing.person_id, User.display_name)
            .join(User, User.id == Pairing.official_id)
            .where(Pairing.person_id.in_(ids), Pairing.end_date.is_(None))
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
    return {"categories": categories, "officials": officials, "open_events": open_events}
