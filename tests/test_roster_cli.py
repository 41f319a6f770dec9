"""``bangfu import template`` and ``bangfu import roster``: the command line."""

import asyncio
from pathlib import Path

import openpyxl
import pytest

from bangfu.cli import main
from bangfu.core.registry.models import Household, Person
from tests.helpers import id_number
from tests.roster_files import household, workbook
from tests.test_cli import _count
from tests.test_cli import env as env


def test_the_template_has_text_id_columns_and_instructions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANGFU_LANGUAGE", "en")
    out = tmp_path / "template.xlsx"
    assert main(["import", "template", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    roster, instructions = book.worksheets
    headers = [c.value for c in roster[1]]
    assert headers[:4] == [
        "户主身份证号 / head_id_number",
        "身份证号 / id_number",
        "姓名 / name",
        "与户主关系 / relation",
    ]
    assert {"就读学校 / education_school", "房屋安全等级 / housing_safety_grade"} <= set(headers)
    # ID columns are text, so a typed number keeps all its digits; the name column is not.
    assert roster.cell(row=2, column=2).number_format == "@"
    assert roster.cell(row=500, column=1).number_format == "@"
    assert roster.cell(row=2, column=3).number_format == "General"
    text = "\n".join(str(c) for row in instructions.iter_rows(values_only=True) for c in row if c)
    assert "1.41023E+17" in text and "education_grade" in text


def test_import_roster_dry_run_then_real_then_again(
    env: dict[str, str | None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BANGFU_LANGUAGE", "en")
    url, schema = env["url"], env["schema"]
    assert url is not None
    assert main(["db", "upgrade"]) == 0
    roster = tmp_path / "roster.xlsx"
    rows = household("141023", (id_number(), "王建国"), (id_number(), "王小明", "子女"))
    roster.write_bytes(workbook(rows))
    capsys.readouterr()

    assert main(["import", "roster", str(roster), "--dry-run"]) == 0
    assert "All 2 rows are valid; this was a dry run: nothing was written." in (
        capsys.readouterr().out
    )
    assert asyncio.run(_count(url, schema, Person)) == 0

    assert main(["import", "roster", str(roster), "--area", "141024"]) == 1
    assert "region 141023 is outside your area" in capsys.readouterr().out
    assert asyncio.run(_count(url, schema, Person)) == 0

    assert main(["import", "roster", str(roster)]) == 0
    out = capsys.readouterr().out
    assert "rows: created 2, updated 0, unchanged 0" in out
    assert asyncio.run(_count(url, schema, Person)) == 2
    assert asyncio.run(_count(url, schema, Household)) == 1

    assert main(["import", "roster", str(roster)]) == 0
    assert "rows: created 0, updated 0, unchanged 2" in capsys.readouterr().out

    rows.append([rows[0][0], "1.41023E+17", "某人", "子女", None, None, None])
    roster.write_bytes(workbook(rows))
    report = tmp_path / "report.xlsx"
    assert main(["import", "roster", str(roster), "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert 'Row 4, column "id_number" (cell B4): the ID number is in scientific notation' in out
    sheet = openpyxl.load_workbook(report).worksheets[0]
    assert sheet.cell(row=4, column=8).value.startswith("id_number: the ID number is in scientific")
    assert asyncio.run(_count(url, schema, Person)) == 2
