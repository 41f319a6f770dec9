"""Excel reports: the roster and the assessment workbooks, the download route, reportLink,
the ``bangfu report`` command; every export audited, every workbook opened and read."""

import argparse
import datetime as dt
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

import bangfu.report_cli
from bangfu.core.calendar import today
from bangfu.core.db import utcnow
from bangfu.core.registry.models import CategoryAssignment
from bangfu.core.reports import links
from bangfu.core.security.models import AuditEvent
from bangfu.report_cli import run as report_command
from bangfu.testing import TEST_KEY
from tests.helpers import World
from tests.test_assessment import setup
from tests.test_care_helpers import official

pytestmark = pytest.mark.anyio

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINK = """
query($report: ReportKind!, $code: String!, $year: Int) {
  reportLink(report: $report, regionCode: $code, year: $year) { url expiresAt } }"""


async def get(world: World, url: str, token: str | None = None, language: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if language:
        headers["Accept-Language"] = language
    return await world.h.client.get(url, headers=headers)


async def audit_rows(world: World, operation: str) -> list[AuditEvent]:
    async with world.h.session() as session:
        return list(
            (
                await session.scalars(select(AuditEvent).where(AuditEvent.operation == operation))
            ).all()
        )


def rows_of(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


async def test_roster_workbook_through_the_route(world: World) -> None:
    people = await setup(world)
    query = urlencode({"region": "141000", "idNumbers": "full", "reason": "年度核查低保名单"})
    response = await get(world, f"/reports/roster.xlsx?{query}", world.admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = rows_of(sheet)
    header = rows[0]
    assert header[:10] == (
        "No.",
        "County",
        "Village",
        "Name",
        "ID number",
        "Sex",
        "Age",
        "Hardship categories",
        "Certified since",
        "Monthly allowance (yuan)",
    )
    by_name = {row[3]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {"孤老甲", "孤儿乙", "低保丙"}  # the uncle holds no category
    elder = by_name["孤老甲"]
    number = world.h.id_number_of(people["elder"])
    # Asked for with a reason by an admin, who may reveal: in full, as text.
    assert elder["ID number"] == number
    id_column = header.index("ID number") + 1
    assert sheet.cell(row=2, column=id_column).data_type == "s"
    assert elder["County"] == "襄汾县" and elder["Village"] == "东关村"
    assert elder["Hardship categories"] == "person in special hardship"
    assert elder["food (bottom line)"] == "no risk"
    assert elder["someone in charge (bottom line)"] == "no risk"
    assert elder["Paired official"] == "paired-xf"
    assert elder["Open care events"] == 1
    orphan = by_name["孤儿乙"]
    assert orphan["food (bottom line)"] == "at risk"
    assert (
        "someone in charge (bottom line): a child without parental care"
        in orphan["At risk because"]
    )
    [row] = await audit_rows(world, "export:roster")
    assert row.outcome == "ok" and row.actor_name == "admin"
    assert row.details == {
        "region": "141000",
        "rows": 3,
        "idNumbers": "full",
        "reason": "年度核查低保名单",
    }


async def test_roster_masks_id_numbers_and_keeps_to_the_area(world: World) -> None:
    people = await setup(world)
    response = await get(world, "/reports/roster.xlsx?region=141000", world.xiangfen)
    assert response.status_code == 200, response.text
    rows = rows_of(load_workbook(BytesIO(response.content)).worksheets[0])
    names = {row[3]: row for row in rows[1:]}
    assert set(names) == {"孤老甲", "孤儿乙"}  # not the Hongtong person
    number = world.h.id_number_of(people["elder"])
    masked = names["孤老甲"][4]
    assert masked != number and masked.startswith(number[:6]) and masked.endswith(number[-4:])
    assert number[6:14] not in masked  # never the birth date


async def test_refusals_change_nothing_but_the_audit(world: World) -> None:
    await setup(world)
    assert (await get(world, "/reports/roster.xlsx?region=141000")).status_code == 401
    refused = await get(world, "/reports/roster.xlsx?region=141000", language="zh-CN")
    assert refused.json()["errors"][0]["message"] == (
        "请先登录，并发送 'Authorization: Bearer <token>'，或打开 reportLink 生成的链接"
        "（链接几分钟后失效）"
    )
    assert refused.json()["errors"][0]["code"] == "UNAUTHENTICATED"
    response = await get(world, "/reports/roster.xlsx?region=141000", "not-a-token")
    assert response.status_code == 401
    token, _ = await official(world.h, "paired-report")
    response = await get(world, "/reports/roster.xlsx?region=141000", token)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "FORBIDDEN"
    # The supervisor may export, but not full ID numbers.
    full = "/reports/roster.xlsx?region=141000&idNumbers=full&reason=核查名单"
    assert (await get(world, full, world.supervisor)).status_code == 403
    denied = await audit_rows(world, "export:roster")
    assert [(d.outcome, d.actor_name) for d in denied] == [
        ("denied", "paired-report"),
        ("denied", "supervisor"),
    ]
    for url, field in (
        ("/reports/roster.xlsx?region=999999", "region"),
        ("/reports/roster.xlsx", "region"),
        ("/reports/assessment.xlsx?region=141000&year=abc", "year"),
        ("/reports/assessment.xlsx?region=141000&year=1990", "year"),
        ("/reports/assessment.xlsx?region=141023100&year=2026", "region"),
        ("/reports/roster.xlsx?region=141000&idNumbers=full&reason=x", "reason"),
    ):
        response = await get(world, url, world.admin)
        assert response.status_code == 400, url
        assert response.json()["errors"][0]["field"] == field
    assert len(await audit_rows(world, "export:roster")) == 2
    assert await audit_rows(world, "export:assessment") == []


async def test_report_link_opens_once_signed_and_only_as_issued(world: World) -> None:
    await setup(world)
    data = await world.h.ok(LINK, {"report": "ROSTER", "code": "141023"}, token=world.xiangfen)
    url = data["reportLink"]["url"]
    assert url.startswith("/reports/roster.xlsx?region=141023&link=")
    response = await get(world, url)  # no bearer token: the link is enough
    assert response.status_code == 200
    assert len(rows_of(load_workbook(BytesIO(response.content)).worksheets[0])) == 3
    # Another region with the same link, a tampered link, an expired link: refused.
    link = parse_qs(urlsplit(url).query)["link"][0]
    assert (await get(world, f"/reports/roster.xlsx?region=141024&link={link}")).status_code == 401
    tampered = link[:-1] + ("0" if link[-1] != "0" else "1")
    assert (
        await get(world, f"/reports/roster.xlsx?region=141023&link={tampered}")
    ).status_code == 401
    user_id = int(link.split(".")[0])
    expired = links.sign(
        world.h.cipher,
        user_id,
        "/reports/roster.xlsx",
        {"region": "141023"},
        utcnow() - dt.timedelta(seconds=1),
    )
    query = urlencode({"region": "141023", "link": expired})
    assert (await get(world, f"/reports/roster.xlsx?{query}")).status_code == 401
    # Bad arguments are refused by reportLink itself.
    answer = await world.h.gql(LINK, {"report": "ASSESSMENT", "code": "141000"}, token=world.admin)
    assert "year: give a year between 2000" in answer["errors"][0]["message"]
    answer = await world.h.gql(LINK, {"report": "ROSTER", "code": "1"}, token=world.admin)
    assert "regionCode: unknown region code '1'" in answer["errors"][0]["message"]
    answer = await world.h.gql(
        LINK, {"report": "ROSTER", "code": "1"}, token=world.admin, language="zh-CN"
    )
    assert answer["errors"][0]["message"] == "regionCode：行政区划代码 '1' 不存在"
    full = LINK.replace("year: $year", "year: $year, fullIdNumbers: true, reason: $reason")
    full = full.replace("$year: Int", "$year: Int, $reason: String")
    answer = await world.h.gql(full, {"report": "ROSTER", "code": "141023"}, token=world.admin)
    assert "reason: full ID numbers need a reason" in answer["errors"][0]["message"]
    answer = await world.h.gql(
        full, {"report": "ROSTER", "code": "141023", "reason": "核查"}, token=world.supervisor
    )
    assert "full ID numbers need registry:reveal" in answer["errors"][0]["message"]
    data = await world.h.ok(
        full, {"report": "ROSTER", "code": "141023", "reason": "年度核查"}, token=world.admin
    )
    response = await get(world, data["reportLink"]["url"])
    assert response.status_code == 200
    rows = rows_of(load_workbook(BytesIO(response.content)).worksheets[0])
    assert all("*" not in row[4] for row in rows[1:])


async def test_assessment_workbook_has_ranking_indicator_sheets_and_charts(world: World) -> None:
    await setup(world)
    year = today().year
    data = await world.h.ok(
        LINK, {"report": "ASSESSMENT", "code": "141000", "year": year}, token=world.admin
    )
    response = await get(world, data["reportLink"]["url"])
    assert response.status_code == 200, response.text
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == [
        "Ranking",
        "screening_coverage",
        "pairing_coverage",
        "five_knowns_freshness",
        "care_timeliness",
        "plan_completion",
        "bottom_line_coverage",
    ]
    ranking = rows_of(book["Ranking"])
    header = ranking[2]
    first = dict(zip(header, ranking[3], strict=True))
    assert (first["Kind"], first["Key"], first["Rank"]) == ("county", "141023", 1)
    hongtong = next(dict(zip(header, r, strict=True)) for r in ranking if r[1] == "141024")
    assert hongtong["Eligible"] == "no"
    assert "pairing_coverage 0.0% (0/1)" in hongtong["Not eligible because"]
    pairing_title = "Pairing coverage (persons paired / persons of the pairing categories)"
    assert hongtong[pairing_title] == 0
    assert len(book["Ranking"]._charts) == 1
    pairing = rows_of(book["pairing_coverage"])
    xiangfen = next(r for r in pairing if r[:2] == ("county", "141023"))
    assert xiangfen[3:7] == (1, 2, 0.5, "yes")
    assert ("county", "141023", "襄汾县", "孤儿乙", "no", "no active pairing") in [
        r[:6] for r in pairing
    ]
    assert len(book["pairing_coverage"]._charts) == 1
    [row] = await audit_rows(world, "export:assessment")
    assert row.details["year"] == year and row.outcome == "ok"


async def test_report_command_writes_both_workbooks_with_progress(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await setup(world)
    monkeypatch.setattr(bangfu.report_cli, "load_master_key", lambda _settings: TEST_KEY)
    out = tmp_path / "roster.xlsx"
    args = argparse.Namespace(
        report_command="roster", region="141023", out=out, full_id_numbers=False
    )
    assert await report_command(args, world.h.settings, world.h.host) == 0
    captured = capsys.readouterr()
    assert f"wrote {out} (2 persons)" in captured.out
    assert "2/2" in captured.err  # the progress bar
    rows = rows_of(load_workbook(out).worksheets[0])
    assert {r[3] for r in rows[1:]} == {"孤老甲", "孤儿乙"}
    assert all("*" in r[4] for r in rows[1:])  # masked unless --full-id-numbers
    out = tmp_path / "assessment.xlsx"
    args = argparse.Namespace(
        report_command="assessment", region="141000", year=today().year, out=out
    )
    assert await report_command(args, world.h.settings, world.h.host) == 0
    assert load_workbook(out).sheetnames[0] == "Ranking"
    args = argparse.Namespace(report_command="roster", region="14", out=out, full_id_numbers=False)
    assert await report_command(args, world.h.settings, world.h.host) == 2
    assert "--region: unknown region code '14'" in capsys.readouterr().err
    system = await audit_rows(world, "export:roster")
    assert [(r.actor_name, r.details["rows"]) for r in system] == [("system", 2)]


async def _certify(world: World, people: dict[str, Any]) -> None:
    """The elder's category: certified on 2024-03-01, with a monthly allowance."""
    async with world.h.session() as session, session.begin():
        await session.execute(
            update(CategoryAssignment)
            .where(CategoryAssignment.person_id == people["elder"].id)
            .values(valid_from=dt.date(2024, 3, 1), monthly_allowance=Decimal("1234.5"))
        )


def _column(sheet: Any, header: str) -> int:
    return next(c.column for c in sheet[1] if c.value == header)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh-CN",
            {
                "sheet": "花名册 141000",
                "header": (
                    "序号",
                    "县（市、区）",
                    "村（社区）",
                    "姓名",
                    "身份证号",
                    "性别",
                    "年龄",
                ),
                "categories": "困难类别",
                "category": "特困人员",
                "certified": "认定日期",
                "allowance": "月补助（元）",
                "sex": ("性别", "男"),
                "food": ("有饭吃（兜底）", "无风险"),
                "risk": ("有人管（兜底）", "有风险"),
                "because": ("风险原因", "有人管（兜底）："),
            },
        ),
        (
            "en",
            {
                "sheet": "Roster 141000",
                "header": ("No.", "County", "Village", "Name", "ID number", "Sex", "Age"),
                "categories": "Hardship categories",
                "category": "person in special hardship",
                "certified": "Certified since",
                "allowance": "Monthly allowance (yuan)",
                "sex": ("Sex", "male"),
                "food": ("food (bottom line)", "no risk"),
                "risk": ("someone in charge (bottom line)", "at risk"),
                "because": ("At risk because", "someone in charge (bottom line): "),
            },
        ),
    ],
)
async def test_the_roster_workbook_cell_by_cell(
    world: World, language: str, expected: dict[str, Any]
) -> None:
    people = await setup(world)
    await _certify(world, people)
    response = await get(world, "/reports/roster.xlsx?region=141000", world.admin, language)
    assert response.status_code == 200, response.text
    book = load_workbook(BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.title == expected["sheet"]
    assert tuple(c.value for c in sheet[1])[:7] == expected["header"]
    rows = {row[3].value: row for row in sheet.iter_rows(min_row=2)}
    elder, orphan = rows["孤老甲"], rows["孤儿乙"]
    assert elder[1].value == "襄汾县" and elder[2].value == "东关村"  # regions by name
    sex_header, sex = expected["sex"]
    assert elder[_column(sheet, sex_header) - 1].value == sex
    assert elder[_column(sheet, expected["categories"]) - 1].value == expected["category"]
    certified = elder[_column(sheet, expected["certified"]) - 1]
    assert certified.is_date and certified.value.date() == dt.date(2024, 3, 1)
    assert certified.number_format == "yyyy-mm-dd"
    allowance = elder[_column(sheet, expected["allowance"]) - 1]
    assert allowance.value == 1234.5 and allowance.number_format == "¥#,##0.00"
    food_header, no_risk = expected["food"]
    assert elder[_column(sheet, food_header) - 1].value == no_risk
    risk_header, at_risk = expected["risk"]
    assert orphan[_column(sheet, risk_header) - 1].value == at_risk
    because_header, prefix = expected["because"]
    assert prefix in orphan[_column(sheet, because_header) - 1].value
    # Wide enough for what they hold: 18 characters of an ID number, a Chinese header.
    assert sheet.column_dimensions["E"].width >= 20
    risk_letter = sheet.cell(row=1, column=_column(sheet, risk_header)).column_letter
    assert sheet.column_dimensions[risk_letter].width >= len(risk_header) * (
        2 if language.startswith("zh") else 1
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh-CN",
            {
                "ranking": "排名",
                "title": "{year} 年度考核：临汾市（141000）",
                "as_of": "截至",
                "header": ("类型", "代码", "考核对象", "得分", "名次", "可评先", "不可评先的原因"),
                "county": "县（市、区）",
                "no": "否",
                "pairing": "包联覆盖率（已包联人数 / 应包联类别人数）",
                "share": "比例",
            },
        ),
        (
            "en",
            {
                "ranking": "Ranking",
                "title": "Assessment {year}: 临汾市 (141000)",
                "as_of": "as of",
                "header": (
                    "Kind",
                    "Key",
                    "Assessed unit",
                    "Score",
                    "Rank",
                    "Eligible",
                    "Not eligible because",
                ),
                "county": "county",
                "no": "no",
                "pairing": "Pairing coverage (persons paired / persons of the pairing categories)",
                "share": "Share",
            },
        ),
    ],
)
async def test_the_assessment_workbook_cell_by_cell(
    world: World, language: str, expected: dict[str, Any]
) -> None:
    await setup(world)
    year = today().year
    response = await get(
        world, f"/reports/assessment.xlsx?region=141000&year={year}", world.admin, language
    )
    assert response.status_code == 200, response.text
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames[0] == expected["ranking"]
    ranking = book[expected["ranking"]]
    assert ranking["A1"].value == expected["title"].format(year=year)
    assert ranking["A2"].value == expected["as_of"]
    assert ranking["B2"].is_date and ranking["B2"].number_format == "yyyy-mm-dd"
    header = [c.value for c in ranking[3]]
    assert tuple(header[:7]) == expected["header"]
    pairing_column = header.index(expected["pairing"]) + 1
    hongtong = next(row for row in ranking.iter_rows(min_row=4) if row[1].value == "141024")
    assert hongtong[0].value == expected["county"] and hongtong[5].value == expected["no"]
    assert hongtong[pairing_column - 1].value == 0
    assert hongtong[pairing_column - 1].number_format == "0.0%"
    assert hongtong[3].number_format == "0.0"
    assert ranking.column_dimensions["C"].width >= 8  # 襄汾县, three wide characters
    sheet = book["pairing_coverage"]
    assert sheet["A1"].value == expected["pairing"]
    header_row = next(
        row for row in sheet.iter_rows(max_row=6) if row[5].value == expected["share"]
    )
    share = sheet.cell(row=header_row[0].row + 1, column=6)
    assert isinstance(share.value, float) and share.number_format == "0.00%"
