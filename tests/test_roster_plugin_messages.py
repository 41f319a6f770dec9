"""The domain plugins' roster problems in the clerk's language: each names its column,
says what is wrong and how to fix it, in Chinese by default and in English on request."""

from typing import Any

import pytest

from tests.helpers import World
from tests.roster_files import HEADERS_ZH, workbook
from tests.test_roster_import import XLSX
from tests.test_roster_plugin_columns import PLUGIN_HEADERS, plugin_rows

pytestmark = pytest.mark.anyio

PROBLEMS = {
    "zh-CN": {
        (3, "education_grade"): "“年级”填写的“九”不是年级：请填写 1 到 8 的整数，例如 3",
        (3, "medical_insurance_scheme"): (
            "“本年参保险种”填写的“医保”无法识别：请填写“城乡居民医保”或“职工医保”"
        ),
        (2, "employment_employer"): (
            "只有就业状态为“务工/就业”或“自主创业”时才填写“工作单位”：请清空工作单位，"
            "或更正就业状态"
        ),
        (2, "housing_safety_grade"): (
            "“房屋安全等级”填写的“E”无法识别：请按鉴定报告填写 A、B、C 或 D"
        ),
    },
    "en": {
        (3, "education_grade"): (
            "年级 (grade): '九' is not a grade: write a whole number from 1 to 8, such as 3"
        ),
        (3, "medical_insurance_scheme"): (
            "本年参保险种 (insurance scheme): '医保' is not an insurance scheme: write "
            "城乡居民医保 or 职工医保"
        ),
        (2, "employment_employer"): (
            "工作单位 (employer) goes with the work status 务工/就业 or 自主创业 only: empty "
            "the employer, or correct the work status"
        ),
        (2, "housing_safety_grade"): (
            "房屋安全等级 (safety grade): 'E' is not a safety grade: write A, B, C or D as "
            "the appraisal report says"
        ),
    },
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_plugin_problems_name_the_column_and_the_fix(world: World, language: str) -> None:
    rows: list[list[Any]] = plugin_rows()
    rows[0][13], rows[0][15] = "求职", "E"  # an employer while seeking work; grade E
    rows[1][9], rows[1][10] = "九", "医保"  # a grade in words; an unknown scheme
    response = await world.h.client.post(
        "/import/roster",
        content=workbook(rows, headers=HEADERS_ZH + PLUGIN_HEADERS),
        headers={
            "Content-Type": XLSX,
            "Authorization": f"Bearer {world.admin}",
            "Accept-Language": language,
        },
    )
    report = response.json()
    reasons = {(p["row"], p["column"]): p["reason"] for p in report["problems"]}
    assert reasons == PROBLEMS[language]
