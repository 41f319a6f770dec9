"""Every plugin's roster columns (bangfu_roster_columns), and a failure while writing."""

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from bangfu.core.calendar import today
from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.core.roster.columns import (
    Change,
    RosterColumn,
    RosterColumns,
    RosterTarget,
    RosterValueError,
    RosterWriteContext,
)
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, World, id_number, make_world
from tests.roster_files import HEADERS_ZH, bare, workbook
from tests.test_roster_import import audit_rows, counts, upload

pytestmark = pytest.mark.anyio

PLUGIN_HEADERS = [
    "就读学校",
    "学段 / education_stage",
    "年级",
    "本年参保险种",
    "个人缴费",
    "政府代缴",
    "就业状态",
    "工作单位",
    "房屋安全等级",
]

PERSON = """
query($id: ID!) { node(id: $id) { ... on Person {
  education { currentEnrolment { schoolName stage grade status } history { schoolName } }
  medical { insurance { year scheme premium premiumPaidByGovernment } }
  employment { currentStatus { status employer } history { status } }
} } }"""


def plugin_rows() -> list[list[Any]]:
    head, child = id_number(), id_number(dt.date(2015, 9, 1))
    return [
        # core columns, then school, stage, grade, scheme, premium, paid by government,
        # work status, employer, safety grade
        [
            head,
            head,
            "王建国",
            "户主",
            XIANGFEN_VILLAGE,
            None,
            "低保",
            None,
            None,
            None,
            "城乡居民医保",
            "380",
            "是",
            "务工",
            "临汾钢铁厂",
            "C",
        ],
        [
            head,
            child,
            "王小明",
            "子女",
            None,
            None,
            None,
            "东关小学",
            "小学",
            4,
            "居民医保",
            None,
            None,
            None,
            None,
            None,
        ],
    ]


async def person_ids(h: Harness, token: str) -> dict[str, str]:
    data = await h.ok("{ persons(first: 10) { nodes { id name } } }", token=token)
    return {p["name"]: p["id"] for p in data["persons"]["nodes"]}


async def test_plugin_columns_are_written_and_a_second_import_changes_nothing(
    world: World,
) -> None:
    h = world.h
    rows = plugin_rows()
    content = workbook(rows, headers=HEADERS_ZH + PLUGIN_HEADERS)
    response = await upload(h, world.admin, content)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["counts"]["education"]["CREATED"] == 1
    assert report["counts"]["medical"]["CREATED"] == 2
    assert report["counts"]["employment"]["CREATED"] == 1
    assert report["counts"]["housing"]["CREATED"] == 1
    ids = await person_ids(h, world.admin)
    child = (await h.ok(PERSON, {"id": ids["王小明"]}, token=world.admin))["node"]
    assert child["education"]["currentEnrolment"] == {
        "schoolName": "东关小学",
        "stage": "PRIMARY",
        "grade": 4,
        "status": "ENROLLED",
    }
    year = today().year
    assert child["medical"]["insurance"] == [
        {"year": year, "scheme": "RESIDENT", "premium": "0.00", "premiumPaidByGovernment": False}
    ]
    head = (await h.ok(PERSON, {"id": ids["王建国"]}, token=world.admin))["node"]
    assert head["employment"]["currentStatus"] == {"status": "EMPLOYED", "employer": "临汾钢铁厂"}
    assert head["medical"]["insurance"][0]["premium"] == "380.00"
    data = await h.ok(
        "{ households(first: 1) { nodes { housing { latestAppraisal { grade } } } } }",
        token=world.admin,
    )
    assert data["households"]["nodes"][0]["housing"]["latestAppraisal"] == {"grade": "C"}

    again = (await upload(h, world.admin, content)).json()
    assert again["counts"]["rows"] == {"CREATED": 0, "UPDATED": 0, "UNCHANGED": 2}
    for plugin in ("education", "medical", "employment", "housing"):
        assert again["counts"][plugin]["CREATED"] == again["counts"][plugin]["UPDATED"] == 0

    rows[1][9] = 5  # the child moved up a grade: a new enrolment period, history kept
    moved = (
        await upload(h, world.admin, workbook(rows, headers=HEADERS_ZH + PLUGIN_HEADERS))
    ).json()
    assert moved["counts"]["education"] == {"CREATED": 0, "UPDATED": 1, "UNCHANGED": 0}
    child = (await h.ok(PERSON, {"id": ids["王小明"]}, token=world.admin))["node"]
    assert child["education"]["currentEnrolment"]["grade"] == 5
    assert len(child["education"]["history"]) == 2


async def test_plugin_cells_are_validated_and_need_the_plugins_permission(world: World) -> None:
    h = world.h
    rows = plugin_rows()
    rows[1][9], rows[1][10] = 8, "医保"  # grade 8 of primary school; an unknown scheme
    rows[1][15] = "B"  # a household column on a member's row
    report = (
        await upload(h, world.admin, workbook(rows, headers=HEADERS_ZH + PLUGIN_HEADERS))
    ).json()
    reasons = {(p["row"], p["column"]): p["reason"] for p in report["problems"]}
    assert reasons == {
        (3, "education_grade"): "a primary school (PRIMARY) grade is 1 to 6",
        (3, "medical_insurance_scheme"): (
            "本年参保险种 (insurance scheme): '医保' is not an insurance scheme: write "
            "城乡居民医保 or 职工医保"
        ),
        (3, "housing_safety_grade"): "this column is about the household: fill it on the head's "
        "row (relation 户主) only, and leave it blank on the members' rows",
    }
    # A county civil-affairs officer may import persons but not the departments' records.
    report = (
        await upload(
            h, world.xiangfen, workbook(plugin_rows(), headers=HEADERS_ZH + PLUGIN_HEADERS)
        )
    ).json()
    refused = {(p["row"], p["column"]): p["reason"] for p in report["problems"]}
    assert refused[(3, "education_school")] == (
        "your account may not fill the columns of education (permission education:write): ask "
        "your county's administrator for it, or clear these columns"
    )
    assert (await counts(h))["Person"] == 0


@dataclasses.dataclass
class FailingPlugin:
    """A plugin whose column write fails on one row: a database failure mid-import."""

    fail_on: str = "boom"
    written: list[str] = dataclasses.field(default_factory=list)

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="probe", title="Probe", version="1")

    @hookimpl
    def bangfu_roster_columns(self) -> Sequence[RosterColumns]:
        def parse(text: str) -> str:
            if text == "bad":
                raise RosterValueError("probe values are never 'bad'")
            return text

        async def write(
            session: Any, context: RosterWriteContext, values: Mapping[str, Any]
        ) -> Change:
            if values["probe_flag"] == self.fail_on:
                raise RuntimeError("disk full")
            self.written.append(values["probe_flag"])
            return Change.CREATED

        return [
            RosterColumns(
                RosterTarget.PERSON, (RosterColumn("probe_flag", "探针", parse),), write=write
            )
        ]


@pytest.fixture
async def failing(
    tmp_path: Path, database_url: str | None
) -> AsyncIterator[tuple[World, FailingPlugin]]:
    plugin = FailingPlugin()
    async with Harness.start(
        tmp_path, database_url=database_url, plugins=False, extra_plugins=[plugin]
    ) as h:
        yield await make_world(h), plugin


async def test_a_failure_at_row_500_commits_nothing(failing: tuple[World, FailingPlugin]) -> None:
    world, plugin = failing
    h = world.h
    rows = []
    for index in range(1000):
        head = id_number()
        rows.append([head, head, f"户主{index}", "户主", XIANGFEN_VILLAGE, None, "低保", "ok"])
    rows[498][7] = "boom"  # spreadsheet row 500
    response = await upload(h, world.admin, workbook(rows, headers=[*HEADERS_ZH, "探针"]))
    assert response.status_code == 422
    report = response.json()
    assert report["problems"] == [] and not report["committed"]
    # Rolled back: it claims nothing it did before the failure.
    assert report["counts"] == {} and not report["retryable"]
    assert report["failure"] == (
        "the import stopped at row 500: an unexpected error (details are in the server log); "
        "nothing was written"
    )
    assert "disk full" not in response.text
    assert len(plugin.written) == 498  # the writes before it ran, and were rolled back
    assert await counts(h) == {
        "Person": 0,
        "Household": 0,
        "Membership": 0,
        "CategoryAssignment": 0,
    }
    assert await audit_rows(h) == [("roster.import", "failed", False)]


async def test_a_plugin_parse_error_is_reported_like_any_bad_cell(
    failing: tuple[World, FailingPlugin],
) -> None:
    world, plugin = failing
    head = id_number()
    rows = [[head, head, "户主", "户主", XIANGFEN_VILLAGE, None, None, "bad"]]
    report = (
        await upload(world.h, world.admin, workbook(rows, headers=[*HEADERS_ZH, "probe_flag"]))
    ).json()
    assert bare(report["problems"]) == [
        {"row": 2, "column": "probe_flag", "reason": "probe values are never 'bad'"}
    ]
    assert plugin.written == []
