"""The ``bangfu`` command speaks BANGFU_LANGUAGE: Chinese unless it says English, and it
still answers when the settings are invalid."""

from pathlib import Path

import pytest

from bangfu.cli import command_language, main
from bangfu.core import i18n
from tests.test_users_and_clients_cli import CREATE, env, stdin  # noqa: F401 (a fixture)

#: How the command chooses its language: BANGFU_LANGUAGE zh, unset (Chinese), en.
LANGUAGES = [("zh", "zh"), (None, "zh"), ("en", "en")]


def _speak(monkeypatch: pytest.MonkeyPatch, language: str | None) -> None:
    if language is None:
        monkeypatch.delenv("BANGFU_LANGUAGE", raising=False)
    else:
        monkeypatch.setenv("BANGFU_LANGUAGE", language)


@pytest.mark.parametrize(("variable", "spoken"), LANGUAGES)
def test_a_refused_plugin_name(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str | None,
    spoken: str,
) -> None:
    _speak(monkeypatch, variable)
    assert main(["plugin", "new", "Bad-Name", "--directory", str(tmp_path)]) == 2
    expected = {
        "zh": "bangfu: 插件名称 'Bad-Name'：请使用 2 至 30 个小写字母和数字，以字母开头"
        "（它将作为数据表、权限和 GraphQL 字段的前缀）\n",
        "en": "bangfu: plugin name 'Bad-Name': use 2 to 30 lower-case letters and digits, "
        "starting with a letter (it prefixes tables, actions and GraphQL fields)\n",
    }[spoken]
    assert capsys.readouterr().err == expected
    assert i18n.language() == "en"  # the command's language ends with it


@pytest.mark.parametrize(("variable", "spoken"), LANGUAGES)
def test_a_refused_user_with_the_argument_named(
    env: dict[str, str | None],  # noqa: F811 (the fixture)
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str | None,
    spoken: str,
) -> None:
    argv = list(CREATE)
    argv[8] = "EMPEROR"
    stdin(monkeypatch, "Tiger-lily-2026\n")
    _speak(monkeypatch, variable)
    assert main(argv) == 2
    roles = "CITY_ADMINISTRATOR, CIVIL_AFFAIRS_OFFICER"
    expected = {
        "zh": f"bangfu：错误：参数 --role：角色 'EMPEROR' 不存在（可选：{roles}",
        "en": f"bangfu: error: argument --role: unknown role 'EMPEROR' (one of: {roles}",
    }[spoken]
    assert capsys.readouterr().err.startswith(expected)


def test_the_database_command_in_chinese(
    env: dict[str, str | None],  # noqa: F811 (the fixture)
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _speak(monkeypatch, None)
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == "数据库已是最新的迁移版本\n"


@pytest.mark.parametrize(
    ("variable", "spoken"), [("zh-CN", "zh"), ("EN", "en"), ("fr", "zh"), ("", "zh")]
)
def test_invalid_settings_still_choose_a_language(
    monkeypatch: pytest.MonkeyPatch, variable: str, spoken: str
) -> None:
    """Settings that do not validate (here a port out of range) do not stop the choice."""
    monkeypatch.setenv("BANGFU_PORT", "0")
    monkeypatch.setenv("BANGFU_LANGUAGE", variable)
    assert command_language() == spoken
