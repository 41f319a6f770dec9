"""Bangfu installs under one import name, ``bangfu``, beside ordinary packages.

The repository keeps ``core/``, ``schema/``, ``plugins/`` and ``migrations/`` at the top
(the design card), and pyproject.toml maps them to ``bangfu.core`` … (package-dir). A wheel
that put ``schema`` at the top of site-packages would overwrite the popular PyPI package of
that name, and the other way round.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {"bangfu": "bangfu", "core": "bangfu.core", "schema": "bangfu.schema"}
MAPPED |= {"plugins": "bangfu.plugins", "migrations": "bangfu.migrations"}


def _package_folders() -> set[str]:
    names = set()
    for folder, package in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if "tests" not in parts:
                names.add(".".join((package, *parts)))
    return names


def test_pyproject_lists_every_package_folder() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(setuptools["packages"]) == _package_folders()
    assert setuptools["package-dir"] == {
        package: folder for folder, package in MAPPED.items() if package.count(".") <= 1
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # From a copy without build/ (setuptools would reuse a stale build/lib of a checkout).
    source = tmp_path_factory.mktemp("source") / "bangfu"
    ignored = ("build", ".venv", ".git", "*.egg-info", "__pycache__", "*cache*", "*.db")
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(*ignored, "bench-data", "node_modules")
    )
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        pytest.skip(f"the wheel cannot be built here (pip wheel failed): {built.stderr[-500:]}")
    (path,) = out.glob("bangfu-*.whl")
    return path


def test_the_wheel_installs_only_the_bangfu_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert archive.read(top_level).decode().split() == ["bangfu"]
        entry_points = archive.read(top_level.replace("top_level.txt", "entry_points.txt"))
    tops = {name.split("/", 1)[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"bangfu"}
    for module in ("core/config.py", "schema/build.py", "plugins/education/plugin.py"):
        assert f"bangfu/{module}" in names
    # The demo data (bangfu demo, bangfu serve --demo) travels as a package of its own.
    assert {"bangfu/demo/__init__.py", "bangfu/demo/households.py"} <= set(names)
    assert not [n for n in names if n.startswith("bangfu/core/") and "demo" in n]
    # Alembic's environment and template, and each plugin's revisions, travel with it.
    assert "bangfu/migrations/env.py" in names
    assert "bangfu/migrations/script.py.mako" in names
    assert any(n.startswith("bangfu/plugins/medical/migrations/versions/") for n in names)
    assert b"education = bangfu.plugins.education.plugin" in entry_points
    # The GraphiQL page and all it loads (GraphiQL, React, their licences): served by
    # Bangfu itself, from the installed package.
    static = ROOT / "bangfu" / "graphiql" / "static"
    shipped = {f"bangfu/graphiql/static/{p.name}" for p in static.iterdir() if p.is_file()}
    assert "bangfu/graphiql/static/graphiql.min.js" in shipped
    assert "bangfu/graphiql/static/LICENSE-react.txt" in shipped
    assert {"bangfu/graphiql/__init__.py", "bangfu/graphiql/index.html", *shipped} <= set(names)


def test_the_wheel_works_beside_the_pypi_package_schema(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    fetched = subprocess.run(
        [*install, "--target", str(target), str(wheel), "schema>=0.7,<1"],
        capture_output=True,
        text=True,
    )
    if fetched.returncode != 0 and "schema" in fetched.stderr and "No matching" in fetched.stderr:
        pytest.skip(f"the PyPI package schema cannot be fetched here: {fetched.stderr[-300:]}")
    assert fetched.returncode == 0, fetched.stderr
    fresh = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / ("Scripts" if os.name == "nt" else "bin") / "python"
    # The fresh environment sees the wheel first, then this environment's dependencies
    # (strawberry, SQLAlchemy, ...) but not its editable Bangfu, whose finder is not run.
    path = os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])
    database = tmp_path / "bangfu.db"
    script = f"""
import importlib.metadata, sys
import schema
assert schema.Schema(int).validate(7) == 7, "the PyPI package schema works"
from bangfu.cli import main
from bangfu.core.config import Settings
from bangfu.schema.build import build_schema
import bangfu.plugins.education.plugin as education
assert education.__file__.startswith({str(target)!r}), education.__file__
assert schema.__file__.startswith({str(target)!r}), schema.__file__
from bangfu import graphiql
assert "帮扶 Bangfu" in graphiql.page()
assert (graphiql.FOLDER / "static" / "react-dom.production.min.js").stat().st_size > 100_000
sys.exit(main(["db", "upgrade"]))
"""
    env = {
        **os.environ,
        "PYTHONPATH": path,
        "BANGFU_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    }
    env["BANGFU_SECRET_KEY_FILE"] = str(tmp_path / "bangfu.key")
    ran = subprocess.run(
        [str(python), "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert database.stat().st_size > 0
