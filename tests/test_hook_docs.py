"""Every hook is documented and tested (Datasette's rule): a hook added to
``core/hookspecs.py`` without a section in ``docs/plugins/hooks.md`` or a test named
``test_hook_<hook>`` fails here."""

import ast
import functools
import inspect
import re
from pathlib import Path

import pytest

from bangfu.core import hookspecs

ROOT = Path(__file__).parent.parent
HOOKS = sorted(
    name
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("bangfu_")
)


def test_hookspecs_are_found() -> None:
    assert "bangfu_plugin_info" in HOOKS and len(HOOKS) >= 12


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_in_hooks_md(hook: str) -> None:
    page = (ROOT / "docs" / "plugins" / "hooks.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## (\w+)$", page, flags=re.MULTILINE))
    assert hook in sections, f"docs/plugins/hooks.md has no section '## {hook}'"


@functools.cache
def _test_names() -> frozenset[str]:
    names = set()
    for path in [*ROOT.glob("tests/test_*.py"), *ROOT.glob("plugins/*/tests/test_*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
    return frozenset(names)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_of_its_own(hook: str) -> None:
    assert f"test_hook_{hook}" in _test_names(), f"no test named test_hook_{hook}"


def test_every_documented_hook_exists() -> None:
    page = (ROOT / "docs" / "plugins" / "hooks.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^## (bangfu_\w+)$", page, flags=re.MULTILINE))
    assert documented <= set(HOOKS), f"documented but not in hookspecs: {documented - set(HOOKS)}"
