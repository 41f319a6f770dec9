"""Types declared at module level: only Person and Household are composed at start.

Every other GraphQL type, core's and each plugin's, is declared once, importable by name,
and refers to Person and Household lazily (``bangfu.plugin.PersonType``,
``HouseholdType``), so each schema gets the classes it composed, whatever was built
before or after it.
"""

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from bangfu.core.plugins import PluginHost, PluginInfo, get_plugin_manager, hookimpl
from bangfu.core.security import Role
from bangfu.plugin import HouseholdType, PersonConnection, PersonType, requires, to_global_id
from bangfu.schema.build import build_schema
from bangfu.schema.relay import decode_id
from bangfu.testing import Harness, make_id_number

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    ROOT / "core",
    ROOT / "schema",
    ROOT / "plugins",
    ROOT / "bangfu",
    ROOT / "examples" / "bangfu-befriending" / "bangfu_befriending",
]
STRAWBERRY_DECORATORS = {"type", "input", "interface", "enum", "scalar", "union"}


def python_files() -> list[Path]:
    return [
        path
        for folder in SOURCES
        for path in folder.rglob("*.py")
        if "tests" not in path.relative_to(ROOT).parts
    ]


def _is_strawberry_type(node: ast.AST) -> bool:
    for decorator in getattr(node, "decorator_list", []):
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "strawberry"
            and target.attr in STRAWBERRY_DECORATORS
        ):
            return True
    return False


def types_declared_in_functions(path: Path) -> list[str]:
    found: list[str] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and function and _is_strawberry_type(child):
                found.append(f"{path.relative_to(ROOT)}:{child.lineno} {child.name} in {function}")
            inner = (
                child.name
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                else function
            )
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def test_no_graphql_type_is_declared_inside_a_function() -> None:
    found = [hit for path in python_files() for hit in types_declared_in_functions(path)]
    assert found == [], "declare these at module level:\n" + "\n".join(found)


def test_no_type_ignore_hides_an_invalid_type() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "ignore[valid-type" in line or "ignore[name-defined" in line
    ]
    assert found == []


@strawberry.type
class LazyTestOnPerson:
    @strawberry.field(extensions=requires("registry:read"))
    @staticmethod
    def lazytest_initial(root: Any) -> str | None:
        return root.name[:1]  # type: ignore[no-any-return]


@strawberry.type
class LazyTestQuery:
    @strawberry.field(extensions=requires("registry:read"))
    async def lazytest_person(self, info: Info, id: strawberry.ID) -> PersonType | None:
        return await info.context.loaders["person"].load(decode_id(id, "Person", "id"))  # type: ignore[no-any-return]

    @strawberry.field(extensions=requires("registry:read"))
    def lazytest_household_type_name(self) -> str:
        return "Household"

    @strawberry.field(extensions=requires("registry:read"))
    def lazytest_nobody(self) -> HouseholdType | None:
        return None

    @strawberry.field(extensions=requires("registry:read"))
    def lazytest_page(self) -> PersonConnection | None:
        return None


class LazyTestPlugin:
    """Adds a field to Person and root fields that return the composed Person."""

    def __init__(self, with_mixin: bool) -> None:
        self.with_mixin = with_mixin

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="lazytest", title="Lazy types", version="0.0.1")

    @hookimpl
    def bangfu_graphql_type_extensions(self) -> dict[str, list[type]]:
        return {"Person": [LazyTestOnPerson]} if self.with_mixin else {}

    @hookimpl
    def bangfu_graphql_query_types(self) -> list[type]:
        return [LazyTestQuery]


def host(with_mixin: bool) -> PluginHost:
    return PluginHost(get_plugin_manager(entry_points=False, plugins=[LazyTestPlugin(with_mixin)]))


def person_block(sdl: str) -> str:
    person = sdl[sdl.index("type Person implements Node") :]
    return person[: person.index("}")]


def test_each_schema_gets_the_person_it_composed_whatever_was_built_after_it() -> None:
    with_mixin = build_schema(host(with_mixin=True))
    without = build_schema(host(with_mixin=False))
    assert "lazytestInitial" in person_block(with_mixin.as_str())
    assert "lazytestInitial" not in person_block(without.as_str())
    # The plugin's root field and the module-level connection name the schema's own Person.
    for schema, has_field in ((with_mixin, True), (without, False)):
        person = schema._schema.type_map["Person"]
        assert ("lazytestInitial" in person.fields) is has_field  # type: ignore[attr-defined]
        root = schema._schema.query_type.fields["lazytestPerson"].type  # type: ignore[union-attr]
        assert root is person
        edge = schema._schema.type_map["PersonEdge"].fields["node"].type.of_type  # type: ignore[attr-defined]
        assert edge is person


async def test_a_future_annotations_module_may_name_the_rows_and_the_types_alike() -> None:
    from tests.lazy_future_types import FutureTestQuery

    class FuturePlugin:
        @hookimpl
        def bangfu_plugin_info(self) -> PluginInfo:
            return PluginInfo(name="futuretest", title="Future", version="0.0.1")

        @hookimpl
        def bangfu_graphql_query_types(self) -> list[type]:
            return [FutureTestQuery]

    schema = build_schema(
        PluginHost(get_plugin_manager(entry_points=False, plugins=[FuturePlugin()]))
    )
    query = schema._schema.query_type
    assert query is not None
    assert query.fields["futuretestHome"].type is schema._schema.type_map["Household"]
    people = query.fields["futuretestPeople"].type.of_type.of_type.of_type  # type: ignore[attr-defined]
    assert people is schema._schema.type_map["Person"]


async def test_a_plugin_root_field_returns_the_composed_person(tmp_path: Path) -> None:
    async with Harness.start(
        tmp_path, plugins=False, extra_plugins=[LazyTestPlugin(with_mixin=True)]
    ) as h:
        build_schema(host(with_mixin=False))  # another schema, built later, changes nothing
        _, (head,) = await h.household(
            "141023", [("HEAD", "王小明", make_id_number("141023", dt.date(1980, 1, 1), 1))]
        )
        token = await h.actor("officer", roles=[Role.SUPERVISOR])
        person_id = to_global_id("Person", head.id)
        data = await h.ok(
            "query($id: ID!) { lazytestPerson(id: $id) { name lazytestInitial } }",
            {"id": person_id},
            token=token,
        )
    assert data == {"lazytestPerson": {"name": "王小明", "lazytestInitial": "王"}}
