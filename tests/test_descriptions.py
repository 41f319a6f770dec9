"""Every type, field, argument, input field and enum value of the schema is described.

The schema is built as ``bangfu schema --builtin`` prints it (core and the built-in plugins).
Core's part is checked on its own, so a plugin's gaps do not hide core's.
"""

import pytest

from bangfu.core.plugins import PluginHost, builtin_plugin_names, get_plugin_manager
from bangfu.schema.build import build_schema
from bangfu.schema.descriptions import MissingDescription, graphql_enum, missing_descriptions

#: Modules of plugins: the built-in ones live in ``bangfu.plugins``, external ones in
#: packages of their own (``bangfu_befriending``).
PLUGIN_MODULES = ("bangfu.plugins.",)


def builtin_missing() -> list[MissingDescription]:
    host = PluginHost(get_plugin_manager(entry_points=builtin_plugin_names()))
    return missing_descriptions(build_schema(host))


def is_core(item: MissingDescription) -> bool:
    return item.module == "bangfu" or (
        item.module.startswith("bangfu.") and not item.module.startswith(PLUGIN_MODULES)
    )


def report(items: list[MissingDescription]) -> str:
    return "\n".join([f"{len(items)} without a description:", *map(str, items)])


def test_every_core_type_field_argument_and_enum_value_is_described() -> None:
    missing = [item for item in builtin_missing() if is_core(item) or not item.module]
    assert missing == [], report(missing)


@pytest.mark.xfail(strict=True, reason="plugins' descriptions land with the descplug branch")
def test_every_element_of_the_printed_schema_is_described() -> None:
    missing = builtin_missing()
    assert missing == [], report(missing)


def test_the_check_finds_what_is_missing() -> None:
    missing = [str(item) for item in builtin_missing()]
    assert all(" (" in item for item in missing)  # each names the module that defines it
    import strawberry

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
    import enum

    class Colour(enum.StrEnum):
        RED = "RED"
        BLUE = "BLUE"

    with pytest.raises(ValueError, match=r"missing \['BLUE'\], unknown \['GREEN'\]"):
        graphql_enum(
            Colour, name="Colour", description="A colour.", values={"RED": "r", "GREEN": "g"}
        )
