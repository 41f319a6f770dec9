"""What docs/plugins/writing-a-plugin.md promises a plugin author, tried with a plugin
written here against the public API alone (``bangfu.plugin``, ``bangfu.testing``): a
camelCase root field of a one-word plugin name, a write action owned by civil affairs,
the bottom line of persons the plugin does not judge, and what a roster ``write`` sees of
the categories certified in its own row."""

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bangfu.plugin import (
    CategoryAssignment,
    Change,
    Finding,
    Indicator,
    PluginInfo,
    Role,
    RosterColumn,
    RosterColumns,
    RosterTarget,
    RosterWriteContext,
    Status,
    check_first,
    hookimpl,
    plugin_actions,
    requires,
    to_global_id,
)
from bangfu.schema.build import starts_with_plugin_name
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, id_number
from tests.roster_files import HEADERS_ZH, workbook
from tests.test_roster_import import upload

pytestmark = pytest.mark.anyio

NAME = "livingallowance"


@strawberry.type
class LivingAllowanceQuery:
    @strawberry.field(
        description="Payment amounts, the latest first (`first` 1 to the page size).",
        extensions=requires(f"{NAME}:read"),
    )
    def living_allowance_payments(self, info: Info, first: int = 10) -> list[int]:
        check_first(first, info.context.settings.max_page_size)
        return [700, 650][:first]


@strawberry.type
class LivingAllowanceMutation:
    @strawberry.mutation(
        description="Record a payment (civil affairs).", extensions=requires(f"{NAME}:write")
    )
    def living_allowance_payment_record(self, amount: int) -> int:
        return amount


@dataclasses.dataclass
class LivingAllowancePlugin:
    """A civil-affairs plugin: root fields in camelCase, a write action for civil-affairs
    officers, the WORK indicator of the persons it pays, and a roster column."""

    paid: set[int] = dataclasses.field(default_factory=set)
    judged: list[list[int]] = dataclasses.field(default_factory=list)
    seen_categories: list[list[str]] = dataclasses.field(default_factory=list)

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name=NAME, title="Living allowance", version="0.1.0")

    @hookimpl
    def bangfu_register_actions(self) -> Any:
        return plugin_actions(NAME, "living allowances", writers=[Role.CIVIL_AFFAIRS_OFFICER])

    @hookimpl
    def bangfu_graphql_query_types(self) -> Sequence[type]:
        return [LivingAllowanceQuery]

    @hookimpl
    def bangfu_graphql_mutation_types(self) -> Sequence[type]:
        return [LivingAllowanceMutation]

    @hookimpl
    def bangfu_bottom_line(self, persons: Sequence[Any], session: Any, as_of: dt.date) -> Any:
        self.judged.append([p.id for p in persons])
        return [
            Finding(p.id, Indicator.WORK, Status.NOT_APPLICABLE, ("paid an allowance",))
            for p in persons
            if p.id in self.paid
        ]

    @hookimpl
    def bangfu_roster_columns(self) -> Sequence[RosterColumns]:
        async def write(
            session: Any, context: RosterWriteContext, values: Mapping[str, Any]
        ) -> Change:
            held = await session.scalars(
                select(CategoryAssignment.category).where(
                    CategoryAssignment.person_id == context.person.id
                )
            )
            self.seen_categories.append(sorted(str(c) for c in held))
            return Change.UNCHANGED

        column = RosterColumn("livingallowance_amount", "生活补贴", str)
        return [RosterColumns(RosterTarget.PERSON, (column,), write=write)]


@pytest.fixture
async def plugged(
    tmp_path: Path, database_url: str | None
) -> AsyncIterator[tuple[Harness, LivingAllowancePlugin]]:
    plugin = LivingAllowancePlugin()
    async with Harness.start(
        tmp_path, database_url=database_url, plugins=False, extra_plugins=[plugin]
    ) as h:
        yield h, plugin


def test_a_root_field_starts_with_the_plugin_name_in_any_case_without_underscores() -> None:
    assert starts_with_plugin_name("livingAllowancePayments", "livingallowance")
    assert starts_with_plugin_name("livingAllowancePayments", "living_allowance")
    assert starts_with_plugin_name("educationDropouts", "education")
    assert not starts_with_plugin_name("allowancePayments", "livingallowance")
    assert not starts_with_plugin_name("livingPayments", "livingallowance")


async def test_a_camel_case_field_of_a_one_word_plugin_and_its_civil_affairs_write(
    plugged: tuple[Harness, LivingAllowancePlugin],
) -> None:
    # The schema builds with livingAllowancePayments (the prefix check once compared
    # "livingallowance" case-sensitively and refused it), and civil affairs writes.
    h, _plugin = plugged
    officer = await h.actor("county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")
    department = await h.actor("dept", roles=[Role.DEPARTMENT_OFFICER], department=NAME)
    assert await h.ok("{ livingAllowancePayments(first: 1) }", token=officer) == {
        "livingAllowancePayments": [700]
    }
    record = "mutation { livingAllowancePaymentRecord(amount: 700) }"
    assert await h.ok(record, token=officer) == {"livingAllowancePaymentRecord": 700}
    refused = await h.gql(record, token=department)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The shared `first` check: the same message as core's connections.
    answer = await h.gql("{ livingAllowancePayments(first: 0) }", token=officer)
    assert answer["errors"][0]["message"] == "first: must be between 1 and 100"
    # A resolver's ValueError is the client's input at fault, and says so.
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_plugin_actions_give_write_to_the_writers_only() -> None:
    default = {a.name: a for a in plugin_actions("welfare", "welfare")}
    assert default["welfare:write"].roles == {Role.CITY_ADMINISTRATOR, Role.DEPARTMENT_OFFICER}
    assert default["welfare:write"].department == "welfare"
    civil = {
        a.name: a for a in plugin_actions(NAME, "allowances", writers=[Role.CIVIL_AFFAIRS_OFFICER])
    }
    assert civil[f"{NAME}:write"].roles == {Role.CITY_ADMINISTRATOR, Role.CIVIL_AFFAIRS_OFFICER}
    assert Role.CIVIL_AFFAIRS_OFFICER in civil[f"{NAME}:read-sensitive"].roles


BOTTOM_LINE = """query($id: ID!) { person(id: $id) { bottomLine {
  indicators { indicator status reasons modules } } } }"""


async def test_a_person_the_plugin_does_not_judge_stays_unknown(
    plugged: tuple[Harness, LivingAllowancePlugin],
) -> None:
    h, plugin = plugged
    _, (paid, other) = await h.household(
        "141023",
        [("HEAD", "王建国", id_number()), ("SPOUSE", "李秀英", id_number(male=False))],
    )
    plugin.paid.add(paid.id)
    admin = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR])

    async def work(person: Any) -> dict[str, Any]:
        data = await h.ok(BOTTOM_LINE, {"id": to_global_id("Person", person.id)}, token=admin)
        [found] = [
            v for v in data["person"]["bottomLine"]["indicators"] if v["indicator"] == "WORK"
        ]
        return found

    assert await work(paid) == {
        "indicator": "WORK",
        "status": "NOT_APPLICABLE",
        "reasons": ["paid an allowance"],
        "modules": [NAME],
    }
    # No finding for a person: the indicator is UNKNOWN, never OK.
    assert await work(other) == {
        "indicator": "WORK",
        "status": "UNKNOWN",
        "reasons": ["no installed module decides this indicator"],
        "modules": [],
    }
    # The hook was given the person although they hold no hardship category.
    assert [other.id] in plugin.judged


async def test_categories_certified_in_the_same_roster_row_are_not_visible_to_write(
    plugged: tuple[Harness, LivingAllowancePlugin],
) -> None:
    h, plugin = plugged
    admin = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
    await h.region("141023100", "新城镇", "141023")
    await h.region(XIANGFEN_VILLAGE, "东关村", "141023100")
    head = id_number()
    row = [head, head, "王建国", "户主", XIANGFEN_VILLAGE, None, "低保", "700"]
    content = workbook([row], headers=[*HEADERS_ZH, "生活补贴"])
    first = await upload(h, admin, content)
    assert first.status_code == 200, first.text
    assert first.json()["counts"]["categories"]["CREATED"] == 1
    # The row's new DIBAO is inserted after every write of the batch: not seen yet.
    assert plugin.seen_categories == [[]]
    # At the next import the category is held, and the plugin's write sees it.
    second = await upload(h, admin, content)
    assert second.status_code == 200, second.text
    assert plugin.seen_categories == [[], ["DIBAO"]]
