"""One error interface: every payload error implements ``Error``, whose ``code`` is one enum
composed from core's and every plugin's codes; docs/api.md lists each code; a request with
several bad fields gets all of them."""

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from graphql import GraphQLEnumType, GraphQLList, GraphQLNonNull, GraphQLObjectType
from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.care.donation_models import Donation
from bangfu.core.plugins import PluginHost, builtin_plugin_names, get_plugin_manager
from bangfu.schema.build import build_schema
from tests.helpers import World, create_household

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "bangfu-befriending" / "bangfu_befriending" / "service.py"


def builtin_host() -> PluginHost:
    return PluginHost(get_plugin_manager(entry_points=builtin_plugin_names()))


def example_codes() -> set[str]:
    """The befriending example's declared codes, read without importing it (its models
    would join core's metadata)."""
    tree = ast.parse(EXAMPLE.read_text(encoding="utf-8"))
    enum = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == "BefriendingErrorCode"
    )
    return {
        target.id
        for node in enum.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def documented_codes() -> set[str]:
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = page.split("\n## Error codes\n", 1)[1].split("\n### ", 1)[0]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))


def test_the_api_table_lists_every_code_and_no_other() -> None:
    composed = set(builtin_host().error_codes) | example_codes()
    documented = documented_codes()
    assert not composed - documented, f"codes missing in docs/api.md: {composed - documented}"
    assert not documented - composed, f"docs/api.md lists unknown codes: {documented - composed}"


def test_every_payload_error_implements_error_and_there_is_one_code_enum() -> None:
    schema = build_schema(PluginHost(get_plugin_manager()))._schema  # every installed plugin
    mutation = schema.mutation_type
    assert mutation is not None
    error_types = set()
    for name, field in mutation.fields.items():
        payload = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if not isinstance(payload, GraphQLObjectType) or "errors" not in payload.fields:
            continue
        item = payload.fields["errors"].type
        while isinstance(item, GraphQLNonNull | GraphQLList):
            item = item.of_type
        assert isinstance(item, GraphQLObjectType), name
        assert [i.name for i in item.interfaces] == ["Error"], f"{name}: {item.name}"
        error_types.add(item.name)
    assert {"CoreError", "EducationError", "HousingError"} <= error_types
    enums = [t for t in schema.type_map.values() if isinstance(t, GraphQLEnumType)]
    assert [t.name for t in enums if t.name.endswith("ErrorCode")] == ["ErrorCode"]


RECORD = """
mutation($input: DonationRecordInput!) {
  donationRecord(input: $input) { donation { id } errors { __typename field code } }
}"""


@pytest.mark.anyio
async def test_core_reports_every_bad_field_of_a_request_at_once(world: World) -> None:
    tomorrow = today() + dt.timedelta(days=1)
    payload = {"donor": " ", "amount": "-5", "receivedOn": tomorrow.isoformat()}
    data = await world.h.ok(RECORD, {"input": payload}, token=world.xiangfen)
    assert data["donationRecord"] == {
        "donation": None,
        "errors": [
            {"__typename": "CoreError", "field": "input.donor", "code": "REQUIRED"},
            {"__typename": "CoreError", "field": "input.amount", "code": "INVALID_AMOUNT"},
            {"__typename": "CoreError", "field": "input.receivedOn", "code": "FUTURE_DATE"},
        ],
    }
    async with world.h.session() as session:
        assert await session.scalar(select(func.count()).select_from(Donation)) == 0


UPDATE = """
mutation($input: PersonUpdateInput!) {
  personUpdate(input: $input) { person { name } errors { field code } }
}"""


@pytest.mark.anyio
async def test_person_update_reports_a_blank_name_and_a_bad_id_number_together(
    world: World,
) -> None:
    person = (await create_household(world.h, world.xiangfen))["household"]["head"]
    data = await world.h.ok(
        UPDATE,
        {
            "input": {
                "id": person["id"],
                "expectedVersion": person["version"],
                "name": "  ",
                "idNumber": "141023",
            }
        },
        token=world.xiangfen,
    )
    assert data["personUpdate"] == {
        "person": None,
        "errors": [
            {"field": "input.name", "code": "REQUIRED"},
            {"field": "input.idNumber", "code": "INVALID_ID_NUMBER"},
        ],
    }
    after = await world.h.ok(
        "query($id: ID!) { node(id: $id) { ... on Person { name } } }",
        {"id": person["id"]},
        token=world.xiangfen,
    )
    assert after["node"]["name"] == person["name"]
