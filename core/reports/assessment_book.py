"""The assessment workbook of an area (R9): the ranking, a sheet per indicator with the
figures of every unit and the list behind them, and bar charts of the indicators per
county.

Written in the language being written: headers, kinds of unit and yes/no as labels, the
day judged as a date, shares as percentages (0.0% in the ranking, 0.00% beside their
numerator and denominator), columns as wide as their values.
"""

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bangfu.core.assessment.compute import Assessment, UnitResult
from bangfu.core.assessment.types import UnitKind
from bangfu.core.i18n import _
from bangfu.core.reports.cells import (
    DATE_FORMAT,
    FINE_SHARE_FORMAT,
    SHARE_FORMAT,
    fit_columns,
    neutralise,
)
from bangfu.core.reports.labels import ASSESSMENT, UNIT_KIND, label, yes_no

BOLD = Font(bold=True)
#: A unit's score, 0 to 100.
SCORE_FORMAT = "0.0"


def sheet_name(code: str) -> str:
    """An indicator's sheet: its code, within Excel's 31 characters."""
    return code[:31]


def title(assessment: Assessment, code: str) -> str:
    """An indicator's title in the language being written (a plugin's as it gave it)."""
    return label(ASSESSMENT, code) if code in ASSESSMENT else assessment.titles[code]


def write_assessment(assessment: Assessment) -> bytes:
    """The assessment workbook as bytes, in the language being written."""
    book = Workbook()
    ranking = book.active
    assert ranking is not None
    ranking.title = _("Ranking")
    codes = list(assessment.titles)
    _ranking(ranking, assessment, codes)
    for code in codes:
        _indicator(book.create_sheet(sheet_name(code)), assessment, code)
    neutralise(book)  # unit names, notes and reasons are text, never formulas
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _unit_columns() -> list[str]:
    return [_("Kind"), _("Key"), _("Assessed unit")]


def _unit(result: UnitResult) -> list[Any]:
    return [label(UNIT_KIND, result.unit.kind.value), result.unit.key, result.unit.name]


def _header(sheet: Worksheet, values: list[Any]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _heading(sheet: Worksheet, assessment: Assessment, text: str) -> None:
    """The sheet's title, and the day the figures are as of, as a date."""
    period = assessment.period
    sheet.append([text])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=13)
    sheet.append([_("as of"), period.as_of])
    sheet.cell(row=sheet.max_row, column=2).number_format = DATE_FORMAT


def _ranking(sheet: Worksheet, assessment: Assessment, codes: list[str]) -> None:
    period = assessment.period
    _heading(
        sheet,
        assessment,
        _(
            "Assessment {year}: {region} ({code})",
            year=period.year,
            region=assessment.region_name,
            code=period.region_code,
        ),
    )
    _header(
        sheet,
        [
            *_unit_columns(),
            _("Score"),
            _("Rank"),
            _("Eligible"),
            _("Not eligible because"),
            *(title(assessment, code) for code in codes),
        ],
    )
    first = sheet.max_row + 1
    for result in assessment.units:
        sheet.append(
            [
                *_unit(result),
                result.score,
                result.rank,
                yes_no(result.eligible),
                "; ".join(result.ineligible_reasons),
                *(None if (s := result.scores.get(code)) is None else s.ratio for code in codes),
            ]
        )
        row = sheet.max_row
        sheet.cell(row=row, column=4).number_format = SCORE_FORMAT
        sheet.cell(row=row, column=7).alignment = Alignment(wrap_text=True, vertical="top")
        for column in range(8, 8 + len(codes)):
            sheet.cell(row=row, column=column).number_format = SHARE_FORMAT
    _fit(sheet, header_row=first - 1, wide={7: 50, **{8 + i: 16 for i in range(len(codes))}})
    counties = len(assessment.of_kind(UnitKind.REGION))
    if counties:
        chart = BarChart()
        chart.title = _("Score per county")
        chart.y_axis.title = _("score (0-100)")
        chart.add_data(
            Reference(sheet, min_col=4, min_row=first - 1, max_row=first + counties - 1),
            titles_from_data=True,
        )
        chart.set_categories(
            Reference(sheet, min_col=3, min_row=first, max_row=first + counties - 1)
        )
        chart.width, chart.height = 24, 10
        sheet.add_chart(chart, f"{get_column_letter(3 + 5 + len(codes))}2")


def _indicator(sheet: Worksheet, assessment: Assessment, code: str) -> None:
    threshold = assessment.thresholds.get(code)
    _heading(sheet, assessment, title(assessment, code))
    sheet.append(
        [_("weight"), assessment.weights.get(code, 0), _("threshold"), threshold]
        if threshold is not None
        else [_("weight"), assessment.weights.get(code, 0), _("no threshold")]
    )
    if threshold is not None:
        sheet.cell(row=sheet.max_row, column=4).number_format = SHARE_FORMAT
    _header(
        sheet,
        [*_unit_columns(), _("Numerator"), _("Denominator"), _("Share"), _("Below threshold")],
    )
    first = sheet.max_row + 1
    scored = [(r, r.scores[code]) for r in assessment.units if code in r.scores]
    for result, score in scored:
        below = threshold is not None and score.ratio is not None and score.ratio < threshold
        sheet.append(
            [*_unit(result), score.numerator, score.denominator, score.ratio, yes_no(below)]
        )
        sheet.cell(row=sheet.max_row, column=6).number_format = FINE_SHARE_FORMAT
    counties = sum(1 for r, _s in scored if r.unit.kind is UnitKind.REGION)
    if counties:
        chart = BarChart()
        chart.title = _("{indicator} per county", indicator=title(assessment, code))
        chart.y_axis.title = _("share")
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
    _header(sheet, [*_unit_columns(), _("Item"), _("Counted"), _("Note")])
    for result, score in scored:
        for item in score.items:
            sheet.append([*_unit(result), item.label, yes_no(item.met), item.note])
    _fit(sheet, header_row=first - 1, wide={6: 40})


def _fit(sheet: Worksheet, header_row: int, wide: dict[int, int]) -> None:
    """Columns as wide as their values (the title rows above the header do not count);
    a column of long texts ``wide`` at most (its cells wrap)."""
    fit_columns(sheet, skip_rows=header_row - 1)
    for column, most in wide.items():
        dimension = sheet.column_dimensions[get_column_letter(column)]
        dimension.width = min(most, dimension.width or most)
