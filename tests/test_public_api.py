"""The public plugin API: ``bangfu.plugin`` and ``bangfu.testing`` are all a plugin imports.

The plugin template, the guide, the hooks reference and the befriending example import
nothing else of Bangfu; the list of public names is kept here, versioned with the hook
contract; every name is documented, and so is the whole ``Harness``.
"""

import ast
import inspect
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import bangfu.plugin
import bangfu.testing
from bangfu.plugin_new import new_plugin

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins"
EXAMPLE = ROOT / "examples" / "bangfu-befriending"
PUBLIC_MODULES = {"bangfu.plugin", "bangfu.testing"}
# Bangfu's top-level import names (before and after they move under ``bangfu``).
BANGFU_ROOTS = {"bangfu", "core", "schema", "plugins", "migrations"}

#: The public names of bangfu.plugin. Removing a name or changing it incompatibly raises
#: the major version of HOOK_CONTRACT (core/hookspecs.py); adding one the minor version.
PUBLIC_NAMES = [
    "After",
    "Before",
    "First",
    "Last",
    "HOOK_CONTRACT",
    "INDEXED",
    "JUDGES",
    "NARROWS",
    "SCANS",
    "SEARCH",
    "SQL_MONTH_DAY",
    "SQL_TODAY",
    "SQL_YEAR",
    "RegionCode",
    "scan_cost",
    "SYSTEM",
    "Action",
    "Actor",
    "ActorKind",
    "Allowed",
    "AreaPathScoped",
    "AssessmentItem",
    "AssessmentPeriod",
    "AuditEvent",
    "Base",
    "CareEventKind",
    "CareEventRaised",
    "Category",
    "CategoryAssignment",
    "Change",
    "CoreError",
    "DemoUser",
    "DomainError",
    "Error",
    "ErrorCode",
    "FieldError",
    "Finding",
    "GlobalModel",
    "Household",
    "HouseholdConnection",
    "HouseholdEdge",
    "HouseholdScoped",
    "HouseholdType",
    "Indicator",
    "IndicatorScore",
    "Membership",
    "MembershipType",
    "Messages",
    "Node",
    "Organisation",
    "OrganisationKind",
    "OrganisationType",
    "Outcome",
    "Page",
    "Pairing",
    "Person",
    "PersonConnection",
    "PersonEdge",
    "PersonScoped",
    "PersonType",
    "PluginError",
    "PluginInfo",
    "Region",
    "Relation",
    "Role",
    "RosterBatch",
    "RosterColumn",
    "RosterColumns",
    "RosterSubject",
    "RosterTarget",
    "RosterValueError",
    "RosterWriteContext",
    "Status",
    "Unit",
    "UnitKind",
    "User",
    "active_hardship_persons",
    "age_on",
    "audit_event",
    "by_key",
    "check_first",
    "decode_id",
    "direct",
    "graphql_enum",
    "grouped",
    "hookimpl",
    "migrate",
    "node_source",
    "paginate",
    "path_within",
    "person_data",
    "plugin_actions",
    "prefetchable",
    "public",
    "reachable_organisation",
    "reachable_user",
    "reaches",
    "ready",
    "requires",
    "run_mutation",
    "text_problems",
    "length_errors",
    "notify_responsible",
    "NotificationChannel",
    "OutgoingNotification",
    "ChannelError",
    "sql_global_id",
    "sql_many",
    "sql_model",
    "sql_one",
    "sql_same_row",
    "sql_value",
    "then",
    "to_global_id",
    "today",
    "utcnow",
]
TESTING_NAMES = [
    "TEST_KEY",
    "Harness",
    "PluginHost",
    "RosterImport",
    "StatementCounter",
    "get_plugin_manager",
    "make_id_number",
    "missing_descriptions",
    "RecordingChannel",
]


def test_the_public_names_are_the_committed_list() -> None:
    added = sorted(set(bangfu.plugin.__all__) - set(PUBLIC_NAMES))
    removed = sorted(set(PUBLIC_NAMES) - set(bangfu.plugin.__all__))
    assert (added, removed) == ([], []), (
        f"bangfu.plugin.__all__ changed: added {added}, removed {removed}. The public plugin "
        "API is versioned with HOOK_CONTRACT (core/hookspecs.py): removing or incompatibly "
        "changing a name raises its major version, adding one its minor version. Update "
        "HOOK_CONTRACT, PUBLIC_NAMES in this test and docs/plugins/api.md together."
    )
    assert sorted(bangfu.testing.__all__) == sorted(TESTING_NAMES), (
        "bangfu.testing.__all__ changed: it is versioned with HOOK_CONTRACT like bangfu.plugin"
    )


@pytest.mark.parametrize(
    ("module", "names"), [(bangfu.plugin, PUBLIC_NAMES), (bangfu.testing, TESTING_NAMES)]
)
def test_every_public_name_exists_and_is_documented(module: object, names: list[str]) -> None:
    reference = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in names:
        assert hasattr(module, name), name
        assert re.search(rf"`{name}\b", reference), f"docs/plugins/api.md does not list {name}"


def imports_of(source: str) -> Iterator[tuple[int, str, list[str]]]:
    """``(line, module, names)`` of each import statement of ``source``; a fragment that
    does not parse as a whole (a docs snippet) is searched statement by statement."""
    try:
        statements = [ast.parse(textwrap.dedent(source))]
    except SyntaxError:
        pattern = r"^[ \t]*(?:from[ \t]+\S+[ \t]+import[ \t]+(?:\([^)]*\)|.*)|import[ \t]+.*)$"
        statements = [
            ast.parse(match.group(0).strip())
            for match in re.finditer(pattern, source, flags=re.MULTILINE)
        ]
    for tree in statements:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield node.lineno, node.module, [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield node.lineno, alias.name, []


def python_sources(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``(where, source)`` of every Python file and docs block a plugin author copies."""
    package = new_plugin("welfare", tmp_path)
    for path in sorted(package.rglob("*.py")):
        yield f"plugin template: {path.relative_to(package)}", path.read_text(encoding="utf-8")
    for path in sorted(EXAMPLE.rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for page in ("writing-a-plugin.md", "hooks.md"):
        text = (DOCS / page).read_text(encoding="utf-8")
        for number, block in enumerate(re.findall(r"```python\n(.*?)```", text, re.S), 1):
            yield f"docs/plugins/{page}, python block {number}", block


def test_plugins_import_bangfu_only_through_the_public_api(tmp_path: Path) -> None:
    public = {"bangfu.plugin": set(PUBLIC_NAMES), "bangfu.testing": set(TESTING_NAMES)}
    wrong = []
    seen = 0
    for where, source in python_sources(tmp_path):
        for line, module, names in imports_of(source):
            if module.partition(".")[0] not in BANGFU_ROOTS:
                continue
            seen += 1
            if module not in PUBLIC_MODULES:
                wrong.append(f"{where}, line {line}: imports {module}")
            else:
                wrong += [
                    f"{where}, line {line}: {module}.{name} is not public"
                    for name in names
                    if name not in public[module]
                ]
    assert seen > 30  # the sources were found and read
    assert wrong == [], "\n".join(
        ["Import Bangfu only from bangfu.plugin and bangfu.testing (docs/plugins/api.md):", *wrong]
    )


def test_the_import_check_sees_a_forbidden_import() -> None:
    found = list(imports_of("x = 1\n    from bangfu.schema.relay import decode_id\n"))
    assert found == [(1, "bangfu.schema.relay", ["decode_id"])]
    found = list(
        imports_of("from bangfu.core.roster.columns import (\n    Change,\n    RosterColumn,\n)\n")
    )
    assert found == [(1, "bangfu.core.roster.columns", ["Change", "RosterColumn"])]


def harness_members() -> list[str]:
    """Public methods of Harness and the attributes its ``__init__`` sets."""
    methods = [name for name, _ in inspect.getmembers(bangfu.testing.Harness) if name[0] != "_"]
    init = ast.parse(textwrap.dedent(inspect.getsource(bangfu.testing.Harness.__init__)))
    attributes = {
        node.attr
        for node in ast.walk(init)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    }
    return sorted(set(methods) | {a for a in attributes if a[0] != "_"})


def test_the_whole_harness_is_documented() -> None:
    guide = (DOCS / "writing-a-plugin.md").read_text(encoding="utf-8")
    tests_section = guide[guide.index("\n## Tests") : guide.index("\n## What the host refuses")]
    members = harness_members()
    assert {"client", "host", "actor", "household", "ok", "organisation"} <= set(members)
    docstring = inspect.getdoc(bangfu.testing.Harness) or ""
    for name in members:
        member = getattr(bangfu.testing.Harness, name, None)
        if callable(member):
            assert inspect.getdoc(member), f"Harness.{name} has no docstring"
        else:
            assert f"``{name}``" in docstring, f"the Harness docstring does not describe {name}"
        assert re.search(rf"`(?:await |with )?(?:h|Harness)\.{name}\b", tests_section), (
            f"docs/plugins/writing-a-plugin.md (Tests) does not list Harness.{name}"
        )
