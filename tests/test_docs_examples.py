"""Every GraphQL example in the guides stays valid against the schema.

The examples were run to write the guides; this keeps them true as the schema changes.
docs/care.md has its own, stricter test (tests/test_care_docs.py).
"""

import re
from pathlib import Path

import pytest
from graphql import GraphQLSchema, parse, validate
from graphql import build_schema as from_sdl

from bangfu.core.plugins import PluginHost, get_plugin_manager
from bangfu.schema.build import build_schema

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDES = sorted(p for p in DOCS.rglob("*.md") if p.name != "care.md")


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return from_sdl(build_schema(PluginHost(get_plugin_manager())).as_str())


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: str(p.relative_to(DOCS)))
def test_graphql_examples_are_valid(guide: Path, graphql_schema: GraphQLSchema) -> None:
    blocks = re.findall(r"```graphql\n(.*?)```", guide.read_text(encoding="utf-8"), re.S)
    invalid = {
        block: [e.message for e in validate(graphql_schema, parse(block))]
        for block in blocks
        if not block.lstrip().startswith(("type ", "interface ", "extend ", "input ", "schema"))
    }
    assert {block: errors for block, errors in invalid.items() if errors} == {}
