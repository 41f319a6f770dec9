"""Messages in Chinese and English (bangfu.core.i18n): the catalog, the rules of writing
a message, the choice of language, and what a client reads."""

import ast
import re
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bangfu import messages
from bangfu.core import i18n
from bangfu.core.config import Settings
from bangfu.testing import Harness
from tests.helpers import CREATE_HOUSEHOLD, XIANGFEN_VILLAGE, World, id_number, make_world
from tests.test_compiled_differential import INVALID

TRANSLATING = {"_", "ngettext", "N_"}


def _placeholders(text: str) -> set[str]:
    return {name for _t, name, _s, _c in string.Formatter().parse(text) if name is not None}


def test_every_message_has_a_chinese_translation() -> None:
    wanted = messages.extracted()
    catalog = messages.current()
    missing, stale, holes = [], [], []
    for message in wanted:
        if not message.id:
            continue
        found = catalog.get(message.id)
        if found is None:
            stale.append(message.id)
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        if not all(strings) or found.fuzzy:
            missing.append(message.id)
            continue
        # A translation keeps every placeholder of its msgid, and invents none.
        for translated in strings:
            if _placeholders(translated) != _placeholders(ids[0]):
                holes.append((message.id, translated))
    assert not stale, f"not in the catalog: run `python3 dev.py messages`: {stale}"
    assert not missing, f"no Chinese translation in {messages.CATALOG.name}: {missing}"
    assert not holes, f"placeholders differ between message and translation: {holes}"


def test_the_compiled_catalog_is_the_catalog() -> None:
    assert messages.COMPILED.read_bytes() == messages.compiled_bytes(messages.current()), (
        "bangfu.mo is out of date: run `python3 dev.py messages`"
    )


def _sources() -> list[Path]:
    files: list[Path] = []
    for source in messages.SOURCES:
        for path in (messages.ROOT / source).rglob("*.py"):
            if not any(messages._skipped(part) for part in path.relative_to(messages.ROOT).parts):
                files.append(path)
    return files


def _is_translation(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"_", "ngettext"}
    )


def test_messages_are_written_whole() -> None:
    """A message is one literal msgid with named placeholders. Gluing translated pieces
    (``_("a") + x``, f-strings around ``_()``, ``_(f"...")``, ``.format`` on a
    translation) cannot be translated: the word order of Chinese is not English's."""
    problems = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(messages.ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in TRANSLATING:
                    literal = node.args[:2] if node.func.id == "ngettext" else node.args[:1]
                    if node.func.id == "N_" and not node.args:
                        continue
                    for arg in literal:
                        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                            if node.func.id == "_" and isinstance(arg, ast.Name):
                                continue  # a message marked elsewhere with N_()
                            problems.append(f"{where}:{node.lineno}: not a literal msgid")
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
                if _is_translation(node.left) or _is_translation(node.right):
                    problems.append(f"{where}:{node.lineno}: a translation glued with +/%")
            if isinstance(node, ast.JoinedStr):
                for value in node.values:
                    if isinstance(value, ast.FormattedValue) and _is_translation(value.value):
                        problems.append(f"{where}:{node.lineno}: a translation inside an f-string")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
                and _is_translation(node.func.value)
            ):
                problems.append(f"{where}:{node.lineno}: .format on a translation: pass values")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("header", "spoken"),
    [
        (None, "zh"),
        ("", "zh"),
        ("zh-CN", "zh"),
        ("zh-Hans-CN,zh;q=0.9", "zh"),
        ("en", "en"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-CN;q=0.5, en;q=0.8", "en"),
        ("fr-FR, en;q=0.1", "en"),
        ("fr-FR", "zh"),
        ("*", "zh"),
        ("en;q=0", "zh"),
        ("en;q=abc, zh", "zh"),
        ("EN-gb", "en"),
    ],
)
def test_accept_language_chooses(header: str | None, spoken: str) -> None:
    assert i18n.negotiate(header, "zh") == spoken


@given(st.text(max_size=300))
def test_any_accept_language_header_gives_a_language(header: str) -> None:
    assert i18n.negotiate(header, "en") in i18n.LANGUAGES


@given(
    st.lists(
        st.tuples(st.sampled_from(["zh-CN", "en", "fr", "de-DE", "ja"]), st.integers(0, 1000)),
        min_size=1,
        max_size=6,
    )
)
def test_the_heaviest_spoken_language_wins(choices: list[tuple[str, int]]) -> None:
    header = ", ".join(f"{tag};q={weight / 1000:.3f}" for tag, weight in choices)
    spoken = [
        (w, -i, i18n.normalise(t)) for i, (t, w) in enumerate(choices) if w and i18n.normalise(t)
    ]
    expected = max(spoken)[2] if spoken else "en"
    assert i18n.negotiate(header, "en") == expected


def _blank_name() -> dict[str, Any]:
    head = {"relation": "HEAD", "person": {"name": " ", "idNumber": id_number()}}
    return {"input": {"regionCode": XIANGFEN_VILLAGE, "members": [head]}}


def _name_error(answer: dict[str, Any]) -> dict[str, Any]:
    errors = answer["data"]["householdCreate"]["errors"]
    return next(e for e in errors if e["field"] == "input.members.0.person.name")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-CN", "必填"), ("zh", "必填"), ("en-GB", "is required"), ("fr", "is required")],
)
async def test_a_client_reads_the_language_it_asks_for(
    world: World, language: str, message: str
) -> None:
    response = await world.h.post(
        CREATE_HOUSEHOLD, _blank_name(), token=world.xiangfen, language=language
    )
    error = _name_error(response.json())
    assert (error["message"], error["code"]) == (message, "REQUIRED")
    assert response.headers["Content-Language"] == ("zh-Hans" if message == "必填" else "en")
    assert "accept-language" in response.headers["Vary"].lower()


@pytest.mark.anyio
async def test_chinese_is_the_default(tmp_path: Path, database_url: str | None) -> None:
    """The service's own setting (the harness reads English unless told otherwise)."""
    assert Settings.model_fields["language"].default == "zh"
    async with Harness.start(tmp_path, database_url=database_url, settings={"language": "zh"}) as h:
        world = await make_world(h)
        response = await h.post(CREATE_HOUSEHOLD, _blank_name(), token=world.xiangfen)
    assert _name_error(response.json())["message"] == "必填"
    assert response.headers["Content-Language"] == "zh-Hans"


def test_a_language_bangfu_does_not_speak_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="Bangfu speaks zh, en, not 'fr'"):
        Settings(language="fr")
    assert Settings(language="zh-CN").language == "zh"


CJK = re.compile(r"[\u4e00-\u9fff]")
#: Refusals of every kind a client meets: arguments, IDs, filters, validation, syntax,
#: variables, limits, payload errors (tests/test_compiled_differential.py's invalid inputs
#: among them).
REFUSED: list[tuple[str, dict[str, Any]]] = [
    *INVALID.values(),
    ("{ persons(first: 2) { nodes { nosuchfield } } }", {}),
    ("{ persons(first: 2) { nodes { id }", {}),
    ("query($n: Int!) { persons(first: $n) { totalCount } }", {"n": "many"}),
    ("query($n: Int!) { persons(first: $n) { totalCount } }", {}),
    ("{ persons(first: 2, sortBy: NAME) { totalCount } }", {}),
    ("{ " + " ".join(f"a{i}: persons(first: 1) {{ totalCount }}" for i in range(40)) + " }", {}),
    ("{ regions { " + "children { " * 14 + "code" + " }" * 14 + " } }", {}),
    (
        "query($i: HouseholdCreateInput!) { householdCreate(input: $i) { errors { message } } }",
        {
            "i": {
                "regionCode": XIANGFEN_VILLAGE,
                "members": [{"relation": "HEAD", "person": {"name": "", "idNumber": "123"}}],
            }
        },
    ),
]


def _messages(answer: dict[str, Any]) -> list[str]:
    found = [error["message"] for error in answer.get("errors") or ()]
    for payload in (answer.get("data") or {}).values():
        if isinstance(payload, dict):
            found += [error["message"] for error in payload.get("errors") or ()]
    return found


@pytest.mark.anyio
async def test_every_refusal_reads_in_chinese_by_default(
    tmp_path: Path, database_url: str | None
) -> None:
    """Each kind of refusal, sent with no Accept-Language to a service left at its default
    language, reads in Chinese (the code stays the code); with `en`, in English."""
    async with Harness.start(tmp_path, database_url=database_url, settings={"language": "zh"}) as h:
        world = await make_world(h)
        refused = 0
        for query, variables in REFUSED:
            chinese = (await h.post(query, variables, token=world.xiangfen)).json()
            english = (await h.post(query, variables, token=world.xiangfen, language="en")).json()
            said = _messages(chinese)
            if not said:  # a forged or foreign ID reads as absent: null, no message
                assert chinese.get("data"), query
                continue
            refused += 1
            assert all(CJK.search(message) for message in said), (query, said)
            assert not any(CJK.search(message) for message in _messages(english)), query
        assert refused >= len(REFUSED) - 4  # the four forged IDs
        unauthenticated = await h.client.post("/graphql", json={"query": "{ me { username } }"})
        assert CJK.search(unauthenticated.text), unauthenticated.text
