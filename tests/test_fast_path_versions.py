"""The fast path runs only on the Strawberry and graphql-core versions it was tested with.

``bangfu.schema.execution`` and ``bangfu.schema.prefetch`` use private parts of both libraries; a new
release may change them without notice. So the installed versions must lie in
``TESTED_WITH``, and ``pyproject.toml`` must pin exactly those ranges: upgrading means
changing both, after running the differential test (docs/operations.md, "The fast path").
"""

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from bangfu.schema.execution import TESTED_WITH

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


@pytest.mark.parametrize("package", sorted(TESTED_WITH))
def test_the_installed_version_is_one_the_fast_path_was_tested_with(package: str) -> None:
    installed = version(package)
    tested = SpecifierSet(TESTED_WITH[package])
    assert tested.contains(installed, prereleases=True), (
        f"{package} {installed} is installed, but the fast path (schema/execution.py, "
        f"schema/prefetch.py) was tested with {package}{tested} only: run "
        "tests/test_fast_path_differential.py and the benchmark with this version, then "
        "widen TESTED_WITH and the pin in pyproject.toml (or install a tested version)"
    )


def test_pyproject_pins_the_tested_ranges() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pinned = {r.name: r.specifier for r in map(Requirement, dependencies)}
    for package, tested in TESTED_WITH.items():
        assert pinned.get(package) == SpecifierSet(tested), (
            f"pyproject.toml pins {package}{pinned.get(package, '')}, but the fast path "
            f"was tested with {package}{tested} (bangfu.schema.execution.TESTED_WITH)"
        )
