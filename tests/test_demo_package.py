"""Demo data lives in ``bangfu.demo``, out of the production packages: the service imports
it only when demo data is asked for (``bangfu demo``, ``bangfu serve --demo``)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

NOT_IMPORTED = """
import sys
import bangfu.app, bangfu.cli, bangfu.plugin
from bangfu.app import create_app
from bangfu.core.plugins import PluginHost, get_plugin_manager

host = PluginHost(get_plugin_manager())
assert sorted(host.plugins) >= ["education", "employment", "housing", "medical"], host.plugins
app = create_app(plugins=host)
assert bangfu.cli.main(["plugins"]) == 0
demo = sorted(name for name in sys.modules if name == "bangfu.demo" or name.startswith("bangfu.demo."))
assert not demo, f"imported without demo data: {demo}"
"""


def test_the_service_without_demo_data_does_not_import_bangfu_demo(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BANGFU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bangfu.db'}",
        "BANGFU_SECRET_KEY_FILE": str(tmp_path / "bangfu.key"),
    }
    ran = subprocess.run(
        [sys.executable, "-c", NOT_IMPORTED],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_no_demo_module_is_left_in_the_production_packages() -> None:
    for folder in ("core", "schema", "migrations"):
        assert not sorted((ROOT / folder).rglob("*demo*.py")), folder
    # The plugins keep their bangfu_demo_data implementation (demo.py) and their tests.
    for path in (ROOT / "plugins").rglob("*demo*.py"):
        assert path.name == "demo.py" or "tests" in path.parts, path
