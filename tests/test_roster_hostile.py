"""Hostile roster files: each ends in a clear answer, the server alive, memory bounded.

The files are generated (``tests.hostile_files``). That the refusal comes from the checks
before anything is materialised is asserted by replacing the reader with one that fails
the test if it is ever started; that the reader's own limits hold when the checks are
bypassed is asserted by the test process surviving a file that makes calamine abort.
"""

import asyncio
import functools
import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

import bangfu.core.roster.read
from bangfu.cli import main
from bangfu.core.registry.models import Person
from bangfu.core.roster.limits import RosterLimits
from bangfu.core.roster.xlsx_check import SheetFacts, WorkbookRefused, check_workbook
from bangfu.testing import Harness
from tests import hostile_files
from tests.helpers import XIANGFEN_VILLAGE, World, id_number, make_world
from tests.roster_files import bare, csv_file, household, workbook
from tests.test_cli import _count
from tests.test_cli import env as env
from tests.test_roster_import import audit_rows, counts, upload

pytestmark = pytest.mark.anyio

#: name -> (the file, media type, what the answer says)
HOSTILE: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "dimension bomb": (
        hostile_files.dimension_bomb,
        "xlsx",
        "cell XFD1048576 holds a value on row 1,048,576, but a roster has at most 50,000 rows",
    ),
    "zip bomb": (
        hostile_files.zip_bomb,
        "xlsx",
        "the workbook unpacks to 1,024 MiB, more than the 100 MiB a roster may",
    ),
    "zip bomb whose directory lies": (
        hostile_files.lying_zip_bomb,
        "xlsx",
        "the workbook is damaged (its part xl/worksheets/sheet1.xml does not unpack to the "
        "size it states)",
    ),
    "huge shared string": (
        hostile_files.huge_shared_string,
        "xlsx",
        "the workbook unpacks to 512 MiB, more than the 100 MiB a roster may",
    ),
    "a million rows": (
        hostile_files.million_rows,
        "xlsx",
        "cell A50001 holds a value on row 50,001, but a roster has at most 50,000 rows",
    ),
    "16,000 columns": (
        hostile_files.sixteen_thousand_columns,
        "xlsx",
        "cell CW1 holds a value in column 101, but a roster has at most 100 columns: delete "
        "the columns to the right of the roster",
    ),
    "renamed PDF": (
        hostile_files.renamed_pdf,
        "xlsx",
        "the file is a PDF document, not an Excel workbook",
    ),
    "empty workbook": (lambda: b"", "xlsx", "the file is empty"),
    "empty CSV": (lambda: b"", "csv", "the file is empty"),
}


@functools.cache
def hostile(name: str) -> bytes:
    return HOSTILE[name][0]()


MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


@pytest.fixture
def materialised(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the reader (the child that materialises a sheet) was started for: a
    hostile file must be refused before it."""
    started: list[Path] = []
    real = bangfu.core.roster.read.read_sheet

    def reader(source: Path, out: Path, limits: RosterLimits) -> None:
        started.append(source)
        real(source, out, limits)

    monkeypatch.setattr(bangfu.core.roster.read, "read_sheet", reader)
    return started


async def test_hostile_files_are_refused_over_http_before_being_read(
    world: World, materialised: list[Path]
) -> None:
    h = world.h
    for name, (_make, kind, message) in HOSTILE.items():
        response = await upload(h, world.xiangfen, hostile(name), media=MEDIA[kind], dryRun="true")
        assert response.status_code == 422, (name, response.text)
        report = response.json()
        [problem] = report["problems"]
        assert problem["row"] == 0 and problem["column"] is None, name
        assert problem["reason"].startswith(message), (name, problem["reason"])
        assert not report["committed"] and report["counts"] == {}
    assert materialised == []
    # Every refusal is audited, dry run or not.
    assert await audit_rows(h) == [("roster.import", "failed", True)] * len(HOSTILE)
    # The server is alive and imports the next ordinary file, through the reader.
    content = workbook(household(XIANGFEN_VILLAGE, (id_number(), "王建国")))
    response = await upload(h, world.xiangfen, content)
    assert response.status_code == 200, response.text
    assert (await counts(h))["Person"] == 1 and len(materialised) == 1


def test_hostile_files_are_refused_by_the_command(
    env: dict[str, str | None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    materialised: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BANGFU_LANGUAGE", "en")
    url, schema = env["url"], env["schema"]
    assert url is not None
    assert main(["db", "upgrade"]) == 0
    for index, (name, (_make, kind, message)) in enumerate(HOSTILE.items()):
        path = tmp_path / f"hostile-{index}.{kind}"
        path.write_bytes(hostile(name))
        capsys.readouterr()
        assert main(["import", "roster", str(path), "--dry-run"]) == 1, name
        out = capsys.readouterr().out
        assert f"The file: {message}" in out, (name, out)
        assert "The file was refused; nothing was written." in out
    assert materialised == []
    assert asyncio.run(_count(url, schema, Person)) == 0


async def test_what_the_checks_miss_costs_only_the_reader_process(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the checks bypassed, calamine really allocates for the dimension bomb and
    aborts: in the reader process, under its memory limit, never in the server's."""
    monkeypatch.setattr(
        bangfu.core.roster.read, "check_workbook", lambda path, limits: SheetFacts()
    )
    for name in ("dimension bomb", "huge shared string"):
        response = await upload(world.h, world.xiangfen, hostile(name), dryRun="true")
        assert response.status_code == 422, response.text
        assert bare(response.json()["problems"]) == [
            {
                "row": 0,
                "column": None,
                "reason": "the workbook could not be read within the memory and time a roster "
                "may use: remove other sheets, pictures and formatting, or split the roster "
                "into several files",
            }
        ]
    response = await upload(
        world.h, world.xiangfen, workbook(household(XIANGFEN_VILLAGE, (id_number(), "王建国")))
    )
    assert response.status_code == 200, response.text


async def test_every_limit_is_a_setting_with_its_own_message(
    tmp_path: Path, database_url: str | None
) -> None:
    limits = {
        "max_roster_rows": 12,
        "max_roster_columns": 20,
        "max_roster_cell_chars": 100,
        "max_roster_unpacked_bytes": 2**20,
    }
    async with Harness.start(tmp_path, database_url=database_url, settings=limits) as h:
        world = await make_world(h)
        rows = []
        for _ in range(12):
            rows += household(XIANGFEN_VILLAGE, (id_number(), "户主"))
        wide = [["户主身份证号", "身份证号", "姓名", "与户主关系", *("备注" for _ in range(17))]]
        long_name = household(XIANGFEN_VILLAGE, (id_number(), "名" * 101))
        files = {
            "rows": (
                workbook(rows),
                "cell A13 holds a value on row 13, but a roster has at most 12",
            ),
            "rows of a CSV": (
                csv_file(rows),
                "cell A13 holds a value on row 13, but a roster has at most 12",
            ),
            "columns": (
                hostile_files.xlsx(wide),
                "cell U1 holds a value in column 21, but a roster has at most 20 columns",
            ),
            "columns of a CSV": (
                csv_file([], headers=wide[0]),
                "cell U1 holds a value in column 21, but a roster has at most 20 columns",
            ),
            "cell length": (
                workbook(long_name),
                "cell C2 holds more than the 100 characters a roster cell may hold",
            ),
            "cell length in a CSV": (
                csv_file(long_name),
                "cell C2 holds more than the 100 characters a roster cell may hold",
            ),
            "unpacked size": (
                hostile_files.zip_bomb(2**21),
                "the workbook unpacks to 2 MiB, more than the 1 MiB a roster may",
            ),
        }
        for what, (content, message) in files.items():
            media = MEDIA["csv"] if "CSV" in what else MEDIA["xlsx"]
            response = await upload(h, world.xiangfen, content, media=media)
            assert response.status_code == 422, (what, response.text)
            [problem] = response.json()["problems"]
            assert problem["reason"].startswith(message), (what, problem)
        assert (await counts(h))["Person"] == 0


# -- the checks agree with the reader (property-based) --------------------------------

LIMITS = RosterLimits(max_rows=12, max_columns=10, max_cell_chars=20)
#: kind -> (the cell's type attribute, its content)
KINDS = {
    "number": ("", "<v>1</v>"),
    "text": (' t="inlineStr"', "<is><t>x</t></is>"),
    "formula": ("", "<f>1+1</f><v>2</v>"),
    "styled": ("", ""),  # formatted, empty: no value, and a reader skips it
    "long": (' t="inlineStr"', f"<is><t>{'y' * 25}</t></is>"),
}
Cell = tuple[int, int, str]  # row, column, kind


@st.composite
def sparse_cells(draw: Any) -> list[Cell]:
    """Cells scattered over 16 rows and 14 columns, in the file's order."""
    cells = []
    for row in sorted(draw(st.lists(st.integers(1, 16), unique=True, max_size=6))):
        for column in sorted(draw(st.lists(st.integers(1, 14), unique=True, max_size=5))):
            cells.append((row, column, draw(st.sampled_from(sorted(KINDS)))))
    return cells


def sheet_of(cells: list[Cell], drop_references: list[bool]) -> bytes:
    """Sheet XML of ``cells``; a cell right after its neighbour may leave out ``r``."""
    rows: dict[int, list[str]] = {}
    previous = (0, 0)
    for (row, column, kind), drop in zip(cells, drop_references, strict=False):
        kind_attribute, content = KINDS[kind]
        implied = previous == (row, column - 1)
        reference = "" if implied and drop else f' r="{hostile_files.cell_name(row, column)}"'
        rows.setdefault(row, []).append(f'<c{reference}{kind_attribute} s="1">{content}</c>')
        previous = (row, column)
    xml = "".join(f'<row r="{row}">{"".join(cells)}</row>' for row, cells in rows.items())
    return (hostile_files.SHEET_HEAD + xml + hostile_files.SHEET_TAIL).encode()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparse_cells(), st.lists(st.booleans(), min_size=30, max_size=30))
def test_the_checks_place_cells_as_the_reader_does(
    cells: list[Cell], drop_references: list[bool]
) -> None:
    content = hostile_files.zip_of(
        hostile_files.workbook_parts(
            hostile_files.part("xl/worksheets/sheet1.xml", sheet_of(cells, drop_references))
        )
    )
    valued = [(r, c, k) for r, c, k in cells if k != "styled"]
    # This sheet is small, so the reader may read it here: its extent is the checks' model.
    reader = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    if valued:
        last = (max(r for r, _c, _k in valued) - 1, max(c for _r, c, _k in valued) - 1)
        assert reader.end == last
    else:
        assert reader.end is None
    offenders = [
        (r, c, k)
        for r, c, k in valued
        if r > LIMITS.max_rows or c > LIMITS.max_columns or k == "long"
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sparse.xlsx"
        path.write_bytes(content)
        try:
            facts = check_workbook(path, LIMITS)
        except WorkbookRefused as refused:
            # Refused for the first offending cell in the file's order, named.
            assert offenders, str(refused)
            row, column, _kind = offenders[0]
            beyond = row > LIMITS.max_rows or column > LIMITS.max_columns
            verb = "holds a value" if beyond else "holds more than the 20 characters"
            assert str(refused).startswith(f"cell {hostile_files.cell_name(row, column)} {verb}"), (
                str(refused)
            )
            return
    assert not offenders
    found = {(row, column + 1) for column, rows in facts.formulas.items() for row in rows}
    assert found == {(r, c) for r, c, k in cells if k == "formula"}
    assert facts.used_rows == len({r for r, _c, _k in valued})
