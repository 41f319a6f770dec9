"""The plugin's messages in Chinese and English: its own catalog, complete and compiled,
and what a client reads in the language it asks for."""

import io
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from bangfu_befriending import messages
from befriending_world import World, gid

from bangfu.plugin import today

PACKAGE = Path(messages.__file__).resolve().parent
CATALOG = messages.LOCALE / "zh" / "LC_MESSAGES" / f"{messages.DOMAIN}.po"


def _placeholders(text: str) -> set[str]:
    return {name for _t, name, _s, _c in string.Formatter().parse(text) if name is not None}


def test_every_message_has_a_chinese_translation() -> None:
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    wanted = {message for _f, _l, message, _c, _x in extract_from_dir(PACKAGE)}
    missing = []
    for msgid in wanted:
        found = catalog.get(msgid)
        strings = () if found is None else found.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if found is None or found.fuzzy or not all(strings):
            missing.append(msgid)
            continue
        first = msgid[0] if isinstance(msgid, tuple) else msgid
        assert all(_placeholders(s) == _placeholders(first) for s in strings), msgid
    assert not missing, f"not translated in {CATALOG.name}: run pybabel (README): {missing}"


def test_the_compiled_catalog_is_the_catalog() -> None:
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    assert CATALOG.with_suffix(".mo").read_bytes() == compiled.getvalue(), (
        "the .mo is out of date: run pybabel compile (README)"
    )


START = """mutation($input: BefriendingStartInput!) { befriendingStart(input: $input) {
  relationship { id } errors { field code message } } }"""


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-CN", "{day} 是将来的日期，请填写已发生的日期"),
        ("en", "{day} is in the future"),
    ],
)
async def test_a_client_reads_the_language_it_asks_for(
    world: World, language: str, message: str
) -> None:
    tomorrow = today().toordinal() + 1
    day = today().fromordinal(tomorrow).isoformat()
    variables = {"input": {"personId": gid(world.child), "since": day}}
    response = await world.h.post(START, variables, token=world.womens, language=language)
    assert response.json()["data"]["befriendingStart"] == {
        "relationship": None,
        "errors": [
            {"field": "input.since", "code": "FUTURE_DATE", "message": message.format(day=day)}
        ],
    }
