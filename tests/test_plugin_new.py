"""``bangfu plugin new NAME`` writes a plugin package whose own tests pass as generated,
once it is installed beside Bangfu (here with ``pip install --target`` into a folder on
``PYTHONPATH``, so the project's virtual environment is left as it was)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bangfu.cli import main


def test_the_generated_plugin_installs_and_its_tests_pass(tmp_path: Path) -> None:
    assert main(["plugin", "new", "welfare", "--directory", str(tmp_path)]) == 0
    package = tmp_path / "bangfu-welfare"
    assert (package / "pyproject.toml").read_text().count('welfare = "bangfu_welfare.plugin"') == 1
    assert (package / "bangfu_welfare/migrations/versions/welfare_0001_initial.py").is_file()
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", "--target", str(site), str(package)], check=True)
    assert (site / "bangfu_welfare" / "plugin.py").is_file()
    environment = {**os.environ, "PYTHONPATH": str(site)}
    # The installed entry point makes Bangfu find the plugin: `bangfu plugins` lists it.
    listed = subprocess.run(
        [sys.executable, "-c", "from bangfu.cli import main; main(['plugins'])"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "welfare      0.1.0    Welfare" in listed.stdout
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=package,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    # 5 tests on SQLite; 3 of them again on PostgreSQL when BANGFU_TEST_DATABASE_URL is set.
    assert re.search(r"^(5|8) passed", tests.stdout, flags=re.MULTILINE), tests.stdout


@pytest.mark.parametrize("name", ["Welfare", "social_work", "x", "core", "9lives"])
def test_unusable_names_are_refused(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugin", "new", name, "--directory", str(tmp_path)]) == 2
    assert f"plugin name {name!r}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bangfu-welfare").mkdir()
    assert main(["plugin", "new", "welfare", "--directory", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert list((tmp_path / "bangfu-welfare").iterdir()) == []
