"""Everything the plugin adds to the schema is described, as a client reads it."""

from typing import Any

import pytest

from bangfu.plugin import Role
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

PREFIX = "Befriending"
SCHEMA = """{ __schema { types { name kind description
  fields { name description args { name description } }
  inputFields { name description }
  enumValues { name description } } } }"""


def undescribed(types: list[dict[str, Any]], prefix: str) -> list[str]:
    """What the plugin adds without a description: its types (named ``prefix...``) and
    everything in them, and its fields on the root types, ``Person`` and ``Household``."""
    missing = []
    root_field = prefix[0].lower() + prefix[1:]
    for type_ in types:
        name = type_["name"]
        own = name.startswith(prefix)
        if own and not type_["description"]:
            missing.append(name)
        for field in (type_["fields"] or []) + (type_["inputFields"] or []):
            if not (own or field["name"].startswith(root_field)):
                continue
            if not field["description"]:
                missing.append(f"{name}.{field['name']}")
            missing += [
                f"{name}.{field['name']}({arg['name']})"
                for arg in field.get("args") or []
                if not arg["description"]
            ]
        if own:
            missing += [
                f"{name}.{value['name']}"
                for value in type_["enumValues"] or []
                if not value["description"]
            ]
    return missing


async def test_everything_the_plugin_adds_is_described(harness: Harness) -> None:
    token = await harness.actor("reader", roles=[Role.CITY_ADMINISTRATOR])
    types = (await harness.ok(SCHEMA, token=token))["__schema"]["types"]
    names = {t["name"] for t in types}
    assert {"BefriendingContact", "BefriendingContactKind", "BefriendingStartInput"} <= names
    assert undescribed(types, PREFIX) == []
