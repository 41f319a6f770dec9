"""The examples of docs/indicators.md stay valid against the schema (they were run to
write it, on the demo data)."""

import json
import re
from pathlib import Path

from graphql import build_schema as from_sdl
from graphql import parse, validate

from bangfu.core.plugins import PluginHost, get_plugin_manager
from bangfu.schema.build import build_schema

DOC = Path(__file__).resolve().parent.parent / "docs" / "indicators.md"


def test_every_example_is_valid_and_every_answer_is_json() -> None:
    text = DOC.read_text(encoding="utf-8")
    queries = re.findall(r"```graphql\n(.*?)```", text, re.S)
    answers = re.findall(r"```json\n(.*?)```", text, re.S)
    assert len(queries) == len(answers) == 4
    graphql_schema = from_sdl(build_schema(PluginHost(get_plugin_manager())).as_str())
    for query in queries:
        assert validate(graphql_schema, parse(query)) == [], query
    for answer in answers:
        assert "errors" not in json.loads(answer), answer
