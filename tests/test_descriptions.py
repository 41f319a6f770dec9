"""Every type, field, argument, input field and enum value of the schema is described.

The schema is built as ``bangfu schema --builtin`` prints it (core and the built-in plugins).
Core's part is checked on its own, so a plugin's gaps do not hide core's.
"""

import enum

import pytest
import strawberry

import bangfu.testing
from bangfu.core.plugins import PluginHost, builtin_plugin_names, get_plugin_manager
from bangfu.schema.build import build_schema
from bangfu.schema.descriptions import MissingDescription, graphql_enum, missing_descriptions

#: Where core's definitions live (Strawberry's for its own scalars; none for a type without
#: a Python class). Everything else is a plugin's: the built-in ones in ``bangfu.plugins``,
#: external ones in packages of their own (``bangfu_befriending``).
CORE_PACKAGES = {"bangfu", "strawberry", "graphql", ""}


def builtin_missing() -> list[MissingDescription]:
    host = PluginHost(get_plugin_manager(entry_points=builtin_plugin_names()))
    return missing_descriptions(build_schema(host))


def is_core(item: MissingDescription) -> bool:
    return not item.module.startswith("bangfu.plugins.") and (
        item.module.partition(".")[0] in CORE_PACKAGES
    )


def report(items: list[MissingDescription]) -> str:
    return "\n".join([f"{len(items)} without a description:", *map(str, items)])


def test_every_core_type_field_argument_and_enum_value_is_described() -> None:
    missing = [item for item in builtin_missing() if is_core(item)]
    assert missing == [], report(missing)


def test_every_element_of_the_printed_schema_is_described() -> None:
    missing = builtin_missing()
    assert missing == [], report(missing)


def test_the_check_finds_what_is_missing() -> None:
    missing = [str(item) for item in builtin_missing()]
    assert all(" (" in item for item in missing)  # each names the module that defines it

    @strawberry.type(description="Described.")
    class Thing:
        bare: int

        @strawberry.field(description="Described.")
        def with_argument(self, flag: bool) -> int:
            return 0

    @strawberry.type
    class Query:
        thing: Thing | None = strawberry.field(description="Described.")

    found = {(m.kind, m.coordinate) for m in missing_descriptions(strawberry.Schema(Query))}
    assert found == {
        ("type", "Query"),
        ("field", "Thing.bare"),
        ("argument", "Thing.withArgument(flag:)"),
    }


def test_an_enum_must_describe_exactly_its_values() -> None:
    class Colour(enum.StrEnum):
        RED = "RED"
        BLUE = "BLUE"

    with pytest.raises(ValueError, match=r"missing: BLUE; not members: 'GREEN'"):
        graphql_enum(
            Colour, name="Colour", description="A colour.", values={"RED": "r", "GREEN": "g"}
        )


def test_plugin_authors_check_their_own_package() -> None:
    host = PluginHost(get_plugin_manager(entry_points=builtin_plugin_names()))
    assert bangfu.testing.missing_descriptions(host, package="bangfu.schema") == []
    for item in bangfu.testing.missing_descriptions(host, package="bangfu.plugins"):
        assert item.endswith(")") and "(bangfu.plugins." in item, item
