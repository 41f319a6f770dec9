"""``bangfu documents add|list|remove``: trusted documents per API client and for the users'
applications; a bad file is refused naming the problem, and nothing is stored."""

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from bangfu.cli import main
from bangfu.core.security.models import AuditEvent, TrustedDocument
from tests.test_users_and_clients_cli import env, query, refused  # noqa: F401 (fixture)

QUERY = "query Count { persons(first: 1) { totalCount } }\n"
OTHER = "query Me { me { username } }"
MUTATION = "mutation Out { logout }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def stored() -> list[tuple[int | None, str, str]]:
    rows = query(select(TrustedDocument).order_by(TrustedDocument.id))
    return [(row.client_id, row.sha256, row.operations) for row in rows]


@pytest.fixture
def client(env: dict[str, str | None], capsys: pytest.CaptureFixture[str]) -> str:  # noqa: F811
    argv = ["client", "create", "partner-app", "--organisation", "141000-womens-federation"]
    assert main([*argv, "--region", "141000"]) == 0
    capsys.readouterr()
    return "partner-app"


def test_add_list_and_remove(
    client: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    graphql = tmp_path / "count.graphql"
    graphql.write_text(QUERY, encoding="utf-8")
    apollo = tmp_path / "manifest.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": sha(OTHER), "name": "Me", "type": "query", "body": OTHER},
                    {"id": sha(QUERY), "name": "Count", "type": "query", "body": QUERY},
                ],
            }
        ),
        encoding="utf-8",
    )
    codegen = tmp_path / "persisted-documents.json"
    codegen.write_text(json.dumps({sha(MUTATION): MUTATION}), encoding="utf-8")

    assert main(["documents", "add", "--client", client, str(graphql), str(apollo)]) == 0
    out = capsys.readouterr().out
    assert "2 document(s) added to the set of partner-app; 1 were there already" in out
    assert main(["documents", "add", "--users", str(codegen)]) == 0
    capsys.readouterr()
    rows = stored()
    assert [(r[1], r[2]) for r in rows] == [
        (sha(QUERY), "Count"),
        (sha(OTHER), "Me"),
        (sha(MUTATION), "Out"),
    ]
    assert rows[0][0] is not None and rows[2][0] is None

    assert main(["documents", "list", "--client", client]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].startswith("SHA-256")
    assert [line.split()[0] for line in listing[1:]] == [sha(QUERY), sha(OTHER)]
    assert listing[1].split()[-1] == "Count"

    assert main(["documents", "remove", "--client", client, sha(OTHER)]) == 0
    assert "1 document(s) removed from the set of partner-app" in capsys.readouterr().out
    assert [r[1] for r in stored()] == [sha(QUERY), sha(MUTATION)]
    assert main(["documents", "remove", "--users", "--all"]) == 0
    assert [r[1] for r in stored()] == [sha(QUERY)]
    operations = query(select(AuditEvent.operation).order_by(AuditEvent.id))
    assert operations[-4:] == [
        "cli:documents.add",
        "cli:documents.add",
        "cli:documents.remove",
        "cli:documents.remove",
    ]


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        ("query { persons(first: 1) { totalCount }", "bad.graphql", "Syntax Error"),
        ("{ persns { totalCount } }", "bad.graphql", "Cannot query field 'persns'"),
        ("fragment F on Person { name }", "bad.graphql", "no operation"),
        ("", "empty.graphql", "empty"),
        ("[1, 2]", "bad.json", "expected an Apollo persisted-query manifest"),
        ("{not json", "bad.json", "not valid JSON"),
        (json.dumps({"a" * 40: QUERY}), "sha1.json", "hashAlgorithm to sha256"),
        (
            json.dumps({"format": "apollo-persisted-query-manifest", "version": 2}),
            "apollo.json",
            '"version": 1',
        ),
    ],
)
def test_a_bad_file_is_refused_naming_the_problem_and_nothing_is_stored(
    client: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    name: str,
    reason: str,
) -> None:
    good = tmp_path / "good.graphql"
    good.write_text(QUERY, encoding="utf-8")
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    error = refused(capsys, ["documents", "add", "--client", client, str(good), str(bad)])
    assert str(bad) in error and reason in error, error
    assert stored() == []


def test_an_unknown_client_or_hash_is_refused(
    client: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.graphql"
    good.write_text(QUERY, encoding="utf-8")
    error = refused(capsys, ["documents", "add", "--client", "nobody", str(good)])
    assert "--client" in error and "no client named 'nobody'" in error
    error = refused(capsys, ["documents", "remove", "--client", client, "abc"])
    assert "HASH" in error and "64 hexadecimal digits" in error
    error = refused(capsys, ["documents", "remove", "--client", client, sha(QUERY)])
    assert "the set holds no document" in error
    error = refused(capsys, ["documents", "remove", "--client", client])
    assert "--all" in error
    missing = tmp_path / "missing.graphql"
    error = refused(capsys, ["documents", "add", "--client", client, str(missing)])
    assert str(missing) in error
    assert stored() == []
