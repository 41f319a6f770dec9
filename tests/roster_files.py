"""Building roster files for the import tests: workbooks written the way clerks write them."""

import csv
import io
from collections.abc import Sequence
from typing import Any

import openpyxl

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS_ZH = ["户主身份证号", "身份证号", "姓名", "与户主关系", "区划代码", "家庭住址", "困难类别"]
HEADERS_EN = [
    "head_id_number",
    "id_number",
    "name",
    "relation",
    "region_code",
    "address",
    "categories",
]


def workbook(rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS_ZH) -> bytes:
    """An .xlsx with ``headers`` and ``rows``; Python ints and floats become numeric cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(
    rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS_EN, encoding: str = "utf-8-sig"
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def household(
    village: str,
    head: tuple[str, str],
    *members: tuple[str, str, str],
    categories: str = "",
    address: str = "东关村 1 号",
) -> list[list[Any]]:
    """Rows of one household: ``head`` is (ID number, name); members (ID, name, relation)."""
    head_id, head_name = head
    rows: list[list[Any]] = [[head_id, head_id, head_name, "户主", village, address, categories]]
    rows += [
        [head_id, number, name, relation, None, None, None] for number, name, relation in members
    ]
    return rows


def read_workbook(content: bytes) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def bare(problems: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Problems of a report with row, column and reason only (without the texts built
    from them: columnName, cell, message)."""
    return [{k: p[k] for k in ("row", "column", "reason")} for p in problems]
