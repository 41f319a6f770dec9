"""``BANGFU_PLUGINS``: which installed plugins are enabled (every one when unset).

The main suite pins it to the built-ins (conftest.py), so installing another plugin beside
Bangfu (``python3 dev.py run`` installs examples/bangfu-befriending) changes none of its
tests; an operator uses it to switch an installed plugin off; a name that is not installed
stops the start.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bangfu.cli import main
from bangfu.core.config import Settings
from bangfu.core.plugins import (
    PluginError,
    PluginHost,
    builtin_plugin_names,
    get_plugin_manager,
    installed_plugin_names,
)
from bangfu.core.security import Role
from bangfu.testing import Harness

PLUGINS = "{ plugins { name } }"
UNSET_SCRIPT = (
    "from bangfu.core.plugins import PluginHost, get_plugin_manager\n"
    "print(*sorted(PluginHost(get_plugin_manager()).plugins))"
)


def test_the_main_suite_sees_the_builtin_plugins_only() -> None:
    assert os.environ["BANGFU_PLUGINS"] == ",".join(builtin_plugin_names())
    assert set(PluginHost(get_plugin_manager()).plugins) == set(builtin_plugin_names())
    assert set(builtin_plugin_names()) <= set(installed_plugin_names())


def test_the_setting_lists_names_separated_by_commas() -> None:
    assert Settings(plugins=None).enabled_plugins is None
    assert Settings(plugins=" medical, education,,medical ").enabled_plugins == [
        "education",
        "medical",
    ]
    assert Settings(plugins="").enabled_plugins == []


def test_the_setting_chooses_the_plugins_and_names_win_over_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BANGFU_PLUGINS", "education")
    assert set(PluginHost(get_plugin_manager()).plugins) == {"education"}
    monkeypatch.setenv("BANGFU_PLUGINS", "")
    assert PluginHost(get_plugin_manager()).plugins == {}
    settings = Settings(plugins="housing,medical")
    assert set(PluginHost(get_plugin_manager(settings=settings)).plugins) == {
        "housing",
        "medical",
    }
    # Unset: every installed plugin (built-ins and any other installed beside them). Asked
    # in a child process: loading an installed example here would put its models into
    # this process's metadata, which later tests of this worker (a backup) would read.
    environment = {k: v for k, v in os.environ.items() if k != "BANGFU_PLUGINS"}
    loaded = subprocess.run(
        [sys.executable, "-c", UNSET_SCRIPT], env=environment, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == sorted(installed_plugin_names())
    # A list of names given in the code (bangfu schema --builtin, a test) is not the setting's.
    monkeypatch.setenv("BANGFU_PLUGINS", "education")
    assert set(PluginHost(get_plugin_manager(entry_points=["medical"])).plugins) == {"medical"}


def test_an_unknown_name_in_the_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANGFU_PLUGINS", "education,welfare")
    with pytest.raises(PluginError) as refused:
        get_plugin_manager()
    message = str(refused.value)
    assert message.startswith("BANGFU_PLUGINS enables welfare, but no such plugin is installed")
    assert "education, employment, housing, medical" in message
    assert message.endswith("correct the name or install its package")


@pytest.mark.parametrize("command", [["serve", "--demo"], ["plugins"], ["schema"]])
def test_the_commands_stop_at_an_unknown_name(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BANGFU_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    monkeypatch.setenv("BANGFU_PLUGINS", "welfare")
    monkeypatch.setenv("BANGFU_DEMO", "true")  # what serve --demo sets, undone afterwards
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("bangfu: plugin error: BANGFU_PLUGINS enables welfare, but no such")
    assert not (tmp_path / "b.db").exists()  # nothing was migrated or served


def test_bangfu_plugins_lists_the_disabled_ones(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BANGFU_PLUGINS", "medical")
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "medical " in out and "Education assistance" not in out
    disabled = sorted(set(installed_plugin_names()) - {"medical"})
    assert f"installed but not enabled (BANGFU_PLUGINS): {', '.join(disabled)}" in out


@pytest.mark.anyio
async def test_the_api_serves_the_enabled_plugins_only(
    tmp_path: Path, database_url: str | None
) -> None:
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"plugins": "education"}
    ) as h:
        token = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
        answer = await h.ok(PLUGINS, token=token)
        assert answer == {"plugins": [{"name": "education"}]}
        person = await h.gql('{ __type(name: "Person") { fields { name } } }', token=token)
        fields = {f["name"] for f in person["data"]["__type"]["fields"]}
        assert "education" in fields and "medical" not in fields
