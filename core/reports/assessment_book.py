"""The assessment workbook of an area (R9): the ranking, a sheet per indicator with the
figures of every unit and the list behind them, and bar charts of the indicators per
county.
"""

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from bangfu.core.assessment.compute import Assessment
from bangfu.core.assessment.types import UnitKind
from bangfu.core.reports.cells import neutralise

RANKING = "Ranking"
UNIT_COLUMNS = ("Kind", "Key", "Name")


def sheet_name(code: str) -> str:
    """An indicator's sheet: its code, within Excel's 31 characters."""
    return code[:31]


def write_assessment(assessment: Assessment) -> bytes:
    """The assessment workbook as bytes."""
    book = Workbook()
    ranking = book.active
    assert ranking is not None
    ranking.title = RANKING
    codes = list(assessment.titles)
    _ranking(ranking, assessment, codes)
    for code in codes:
        _indicator(book.create_sheet(sheet_name(code)), assessment, code)
    neutralise(book)  # unit names, notes and reasons are text, never formulas
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _header(sheet: Worksheet, values: list[Any]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _ranking(sheet: Worksheet, assessment: Assessment, codes: list[str]) -> None:
    period = assessment.period
    sheet.append(
        [
            f"Assessment {period.year}, {assessment.region_name} ({period.region_code}), "
            f"as of {period.as_of.isoformat()}"
        ]
    )
    _header(
        sheet,
        [*UNIT_COLUMNS, "Score", "Rank", "Eligible", "Not eligible because", *codes],
    )
    first = sheet.max_row + 1
    for result in assessment.units:
        sheet.append(
            [
                result.unit.kind.value,
                result.unit.key,
                result.unit.name,
                result.score,
                result.rank,
                "yes" if result.eligible else "no",
                "; ".join(result.ineligible_reasons),
                *(None if (s := result.scores.get(code)) is None else s.ratio for code in codes),
            ]
        )
    counties = len(assessment.of_kind(UnitKind.REGION))
    if counties:
        chart = BarChart()
        chart.title = "Score per county"
        chart.y_axis.title = "score (0-100)"
        chart.add_data(
            Reference(sheet, min_col=4, min_row=first - 1, max_row=first + counties - 1),
            titles_from_data=True,
        )
        chart.set_categories(
            Reference(sheet, min_col=3, min_row=first, max_row=first + counties - 1)
        )
        chart.width, chart.height = 24, 10
        sheet.add_chart(chart, f"{_column(len(UNIT_COLUMNS) + 5 + len(codes))}2")


def _indicator(sheet: Worksheet, assessment: Assessment, code: str) -> None:
    threshold = assessment.thresholds.get(code)
    sheet.append([assessment.titles[code]])
    sheet.append(
        [
            f"weight {assessment.weights.get(code, 0)}",
            f"threshold {threshold:.0%}" if threshold is not None else "no threshold",
        ]
    )
    _header(sheet, [*UNIT_COLUMNS, "Numerator", "Denominator", "Share", "Below threshold"])
    first = sheet.max_row + 1
    scored = [(r, r.scores[code]) for r in assessment.units if code in r.scores]
    for result, score in scored:
        below = threshold is not None and score.ratio is not None and score.ratio < threshold
        sheet.append(
            [
                result.unit.kind.value,
                result.unit.key,
                result.unit.name,
                score.numerator,
                score.denominator,
                score.ratio,
                "yes" if below else "no",
            ]
        )
    counties = sum(1 for r, _s in scored if r.unit.kind is UnitKind.REGION)
    if counties:
        chart = BarChart()
        chart.title = f"{code} per county"
        chart.y_axis.title = "share"
        chart.add_data(
            Reference(sheet, min_col=6, min_row=first - 1, max_row=first + counties - 1),
            titles_from_data=True,
        )
        chart.set_categories(
            Reference(sheet, min_col=3, min_row=first, max_row=first + counties - 1)
        )
        chart.width, chart.height = 20, 9
        sheet.add_chart(chart, "J2")
    sheet.append([])
    _header(sheet, [*UNIT_COLUMNS, "Item", "Counted", "Note"])
    for result, score in scored:
        for item in score.items:
            sheet.append(
                [
                    result.unit.kind.value,
                    result.unit.key,
                    result.unit.name,
                    item.label,
                    "yes" if item.met else "no",
                    item.note,
                ]
            )


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
