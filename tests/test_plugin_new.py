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
    # As in an activated virtual environment: `python` is Bangfu's.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # A plugin author's environment enables every installed plugin (the suite's pin of
    # BANGFU_PLUGINS to the built-ins, conftest.py, is not theirs).
    inherited = {k: v for k, v in os.environ.items() if k != "BANGFU_PLUGINS"}
    environment = {**inherited, "PYTHONPATH": str(site), "PATH": path}
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
    # 6 tests on SQLite; 4 of them again on PostgreSQL when BANGFU_TEST_DATABASE_URL is set.
    assert re.search(r"^(6|10) passed", tests.stdout, flags=re.MULTILINE), tests.stdout

    # Then the guide's steps 4 to 9, pasted from docs/plugins/writing-a-plugin.md as a
    # reader would: the page's code must keep working.
    follow_the_guide(package)
    migration = subprocess.run(
        ["bash", "step4.sh"], cwd=package, env=environment, capture_output=True, text=True
    )
    assert migration.returncode == 0, migration.stderr
    assert migration.stdout.strip().endswith("[]")  # no drift after the new revision
    assert (package / "bangfu_welfare/migrations/versions/welfare_0002_visits.py").is_file()
    site_package = site / "bangfu_welfare"
    for source in (package / "bangfu_welfare").rglob("*.py"):  # refresh the installed copy
        target = site_package / source.relative_to(package / "bangfu_welfare")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=package,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"^(7|12) passed", tests.stdout, flags=re.MULTILINE), tests.stdout


GUIDE = Path(__file__).parent.parent / "docs" / "plugins" / "writing-a-plugin.md"


def follow_the_guide(package: Path) -> None:
    """Apply steps 4 to 9 of the guide to a freshly generated ``bangfu-welfare``."""
    page = GUIDE.read_text(encoding="utf-8")
    steps = page[page.index("### 4.") : page.index("### 10.")]
    blocks = re.findall(r"```(\w+)\n(.*?)```", steps, re.S)
    code = [body for language, body in blocks if language == "python"]

    def block(marker: str) -> str:
        """The one code block of steps 4 to 9 that contains ``marker``."""
        [found] = [body for body in code if marker in body]
        return found

    models = package / "bangfu_welfare/models.py"
    models.write_text(
        models.read_text().replace(
            "from bangfu.plugin import Base, PersonScoped",
            "from bangfu.plugin import Base, HouseholdScoped, PersonScoped",
        )
        + "\n\n"
        + block("class WelfareVisit(HouseholdScoped, Base)")
    )
    (package / "bangfu_welfare/visits.py").write_text(block("class WelfareVisitMutation"))
    (package / "bangfu_welfare/assessment.py").write_text(block("async def households_visited"))
    (package / "bangfu_welfare/roster.py").write_text(block("COLUMNS = RosterColumns"))
    (package / "tests/test_visits.py").write_text(block("def test_a_visit_is_recorded"))
    plugin = package / "bangfu_welfare/plugin.py"
    text = plugin.read_text()
    registrations = block("def bangfu_register_models").split("\n\n\n")
    hooks = block("def bangfu_roster_columns").split("\n\n\n")
    text = text.replace(
        "from bangfu_welfare.models import WelfareNote\n",
        registrations[0] + "\n" + hooks[0] + "\n",
    )
    text = text.replace("    return [WelfareNote]", "    return [WelfareNote, WelfareVisit]")
    text = text.replace(
        '    return {"Person": [WelfarePersonFields]}',
        '    return {"Person": [WelfarePersonFields], "Household": [WelfareHouseholdFields]}',
    )
    text = text.replace(
        "    return [WelfareMutation]", "    return [WelfareMutation, WelfareVisitMutation]"
    )
    end_of_loaders = "WelfareNote.id.desc()),\n        )\n    )\n"
    text = text.replace(
        end_of_loaders,
        end_of_loaders + block('    context.loaders["welfare_visits"] = DataLoader('),
    )
    plugin.write_text(text + "\n\n" + "\n\n\n".join(hooks[1:]))
    script = next(body for language, body in blocks if language == "sh" and "revision" in body)
    (package / "step4.sh").write_text(script)


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
