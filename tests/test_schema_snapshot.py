"""The printed schema is committed, so every API change shows in review: ``schema.graphql``
of core and the built-in plugins, and ``schema.demo.graphql`` of the demo
(``python3 dev.py run``), which adds the befriending plugin of ``examples/``."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from bangfu.core.plugins import PluginHost, builtin_plugin_names, get_plugin_manager
from bangfu.schema.build import build_schema

ROOT = Path(__file__).parent.parent
SNAPSHOT = ROOT / "schema.graphql"
DEMO_SNAPSHOT = ROOT / "schema.demo.graphql"
EXAMPLE = ROOT / "examples" / "bangfu-befriending"


def builtin_host() -> PluginHost:
    """Core and the built-in plugins only: an external plugin installed beside Bangfu
    (examples/bangfu-befriending in CI) does not change the committed schema."""
    return PluginHost(get_plugin_manager(entry_points=builtin_plugin_names()))


def test_builtin_plugins_are_the_four_domains() -> None:
    assert builtin_plugin_names() == ["education", "employment", "housing", "medical"]


def test_printed_schema_matches_the_committed_schema_graphql() -> None:
    printed = build_schema(builtin_host()).as_str() + "\n"
    assert SNAPSHOT.read_text(encoding="utf-8") == printed, (
        "the GraphQL schema changed: review it, then run `bangfu schema --builtin > schema.graphql`"
    )


def test_printed_demo_schema_matches_the_committed_schema_demo_graphql() -> None:
    """The demo's schema: core, the built-ins and befriending, printed in a child process
    (this suite's process never loads befriending's models), from the example's folder
    whether or not it is installed."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(EXAMPLE)!r})
        import bangfu_befriending.plugin
        from bangfu.core.plugins import PluginHost, builtin_plugin_names, get_plugin_manager
        from bangfu.schema.build import build_schema
        pm = get_plugin_manager(
            entry_points=builtin_plugin_names(), plugins=[bangfu_befriending.plugin]
        )
        print(build_schema(PluginHost(pm)).as_str())
        """
    )
    printed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONIOENCODING": "utf-8"},
    ).stdout
    assert "befriendingRelationships" in printed
    assert DEMO_SNAPSHOT.read_text(encoding="utf-8") == printed, (
        "the demo's GraphQL schema changed: review it, then run `bangfu schema > "
        "schema.demo.graphql` in the environment of `python3 dev.py run` (befriending "
        "installed, BANGFU_PLUGINS unset)"
    )


def test_schema_follows_the_api_conventions() -> None:
    schema = build_schema(PluginHost(get_plugin_manager()))  # every enabled plugin
    mutation = schema.get_type_by_name("Mutation")
    assert mutation is not None
    for field in mutation.fields:  # type: ignore[attr-defined]
        if field.name in ("login", "logout"):
            continue
        payload = schema.get_type_by_name(
            field.type.of_type.__strawberry_definition__.name
            if hasattr(field.type, "of_type")
            else field.type.__strawberry_definition__.name
        )
        names = {f.name for f in payload.fields}  # type: ignore[union-attr]
        assert "errors" in names, f"{field.name} returns no errors list"
    sdl = schema.as_str()
    for plugin_field in (
        "education: EducationOnPerson",
        "medical: MedicalOnPerson",
        "employment: EmploymentOnPerson",
        "housing: HousingOnHousehold",
    ):
        assert plugin_field in sdl  # nullable fields on the core types
