"""GraphQL over HTTP: what the transport refuses before any GraphQL runs (SECURITY.md,
"Transport"). These checks do not depend on the database, so they run on SQLite only."""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.app import create_app
from bangfu.core.config import Settings
from bangfu.core.registry.models import Household
from bangfu.testing import Harness
from tests.helpers import (
    CREATE_HOUSEHOLD,
    XIANGFEN_VILLAGE,
    World,
    id_number,
    make_world,
    websocket_scope,
)

pytestmark = pytest.mark.anyio

QUERY = "{ persons(first: 1) { totalCount } }"


@pytest.fixture
async def dev(tmp_path: Path) -> AsyncIterator[World]:
    (tmp_path / "dev").mkdir()
    async with Harness.start(tmp_path / "dev") as h:
        yield await make_world(h)


@pytest.fixture
async def prod(tmp_path: Path) -> AsyncIterator[World]:
    (tmp_path / "prod").mkdir()
    # Transport, not trusted documents (tests/test_persisted.py): documents run as text.
    settings = {"profile": "production", "trusted_documents": False}
    async with Harness.start(tmp_path / "prod", settings=settings) as h:
        yield await make_world(h)


def create_body() -> dict[str, Any]:
    members = [{"relation": "HEAD", "person": {"name": "王建国", "idNumber": id_number()}}]
    return {
        "query": CREATE_HOUSEHOLD,
        "variables": {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members}},
    }


async def households(h: Harness) -> int:
    async with h.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Household)) or 0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/json; charset=latin-1",
        "application/jsonp",
        None,
    ],
)
async def test_a_mutation_in_a_non_json_body_is_refused_unexecuted(
    dev: World, content_type: str | None
) -> None:
    h = dev.h
    headers = bearer(dev.admin)
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = json.dumps(create_body())
    if content_type and content_type.startswith("multipart"):
        body = f'--xyz\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{body}\r\n--xyz--\r\n'
    response = await h.client.post("/graphql", content=body.encode(), headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert await households(h) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/graphql-response+json",
    ],
)
async def test_json_bodies_are_executed(dev: World, content_type: str) -> None:
    response = await dev.h.client.post(
        "/graphql",
        content=json.dumps({"query": QUERY}).encode(),
        headers={**bearer(dev.admin), "Content-Type": content_type},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"persons": {"totalCount": 0}}}


async def test_a_body_over_the_limit_is_413_before_parsing(dev: World) -> None:
    h = dev.h
    big = json.dumps({**create_body(), "padding": "x" * (20 * 1024 * 1024)}).encode()
    response = await h.client.post(
        "/graphql", content=big, headers={**bearer(dev.admin), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    # Streamed without a Content-Length (chunked): the bytes are counted as they come.
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, 2 * 1024 * 1024, 65536):
            yield b" " * 65536 if start else b'{"query": "{ __typename }", "x": "'

    response = await h.client.post(
        "/graphql",
        content=chunks(),
        headers={**bearer(dev.admin), "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert await households(h) == 0


@pytest.mark.parametrize(
    "body, message",
    [
        (
            b'{"query": "query($v: String) { __typename }", "variables": {"v": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}}",
            "nested deeper",
        ),
        (b'{"query": "{ __typename }", "variables": ' + b'{"a":' * 65 + b"1" + b"}" * 66, "nested"),
        (b'{"query": "{ __typename }"', "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"query": "{ \xff\xfe }"}', "not valid UTF-8"),
        (b'"{ __typename }"', "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b'{"query": 42}', "`query` string"),
        (b'{"variables": {}}', "`query` string"),
        (b'{"query": "{ __typename }", "variables": [1]}', "`variables` must be an object"),
        (b'{"query": "{ __typename }", "operationName": 7}', "`operationName` must be"),
        (
            b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]',
            "batched requests",
        ),
    ],
)
async def test_bad_json_is_400_and_the_server_stays_healthy(
    dev: World, body: bytes, message: str
) -> None:
    h = dev.h
    response = await h.client.post(
        "/graphql",
        content=body,
        headers={**bearer(dev.admin), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["errors"][0]["message"]
    assert (await h.client.get("/healthz")).status_code == 200
    assert await h.ok(QUERY, token=dev.admin) == {"persons": {"totalCount": 0}}


async def test_get_runs_queries_only_in_development(dev: World, prod: World) -> None:
    params = {"query": QUERY}
    answer = await dev.h.client.get("/graphql", params=params, headers=bearer(dev.admin))
    assert answer.status_code == 200
    assert answer.json() == {"data": {"persons": {"totalCount": 0}}}

    # A mutation over GET: 405 and nothing happens.
    body = create_body()
    mutation = {"query": body["query"], "variables": json.dumps(body["variables"])}
    refused = await dev.h.client.get("/graphql", params=mutation, headers=bearer(dev.admin))
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"
    assert await households(dev.h) == 0

    # In production GET is refused altogether (GraphiQL too).
    for request in (params, mutation, {}):
        refused = await prod.h.client.get(
            "/graphql", params=request, headers={**bearer(prod.admin), "Accept": "text/html"}
        )
        assert refused.status_code == 405
        assert refused.headers["allow"] == "POST"
    assert await households(prod.h) == 0


async def test_other_methods_are_405(dev: World) -> None:
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        response = await dev.h.client.request(
            method, "/graphql", json={"query": QUERY}, headers=bearer(dev.admin)
        )
        assert response.status_code == 405, method


async def test_graphiql_introspection_and_hints_follow_the_profile(dev: World, prod: World) -> None:
    graphiql = await dev.h.client.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
    introspect = "{ __schema { queryType { name } } }"
    assert await dev.h.ok(introspect) == {"__schema": {"queryType": {"name": "Query"}}}
    typo = await dev.h.gql("{ persns(first: 1) { totalCount } }", token=dev.admin)
    assert "Did you mean 'persons' or 'person'?" in typo["errors"][0]["message"]

    closed = await prod.h.gql(introspect)
    assert "data" not in closed  # a request error: nothing executed
    assert "introspection" in closed["errors"][0]["message"].lower()
    assert closed["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    typo = await prod.h.gql("{ persns(first: 1) { totalCount } }", token=prod.admin)
    assert typo["errors"][0]["message"] == "Cannot query field 'persns' on type 'Query'."
    typo = await prod.h.gql("{ persons(frist: 1) { totalCount } }", token=prod.admin)
    assert all("Did you mean" not in e["message"] for e in typo["errors"])


async def test_every_response_carries_a_request_id(dev: World) -> None:
    first = await dev.h.post(QUERY, token=dev.admin)
    second = await dev.h.client.get("/healthz")
    refused = await dev.h.client.post("/graphql", content=b"x", headers=bearer(dev.admin))
    ids = [r.headers["x-request-id"] for r in (first, second, refused)]
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == 3
    assert refused.json()["errors"][0]["extensions"]["requestId"] == ids[2]


@pytest.mark.parametrize(
    "profile", [{"profile": "production"}, {"profile": "development", "subscriptions": False}]
)
async def test_websocket_upgrades_are_refused_where_subscriptions_are_off(
    tmp_path: Path, profile: dict[str, Any]
) -> None:
    """Subscriptions are off in production unless enabled (tests/test_subscriptions.py has
    them on): then no WebSocket handshake succeeds at all."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ws.db'}",
        secret_key_file=tmp_path / "ws.key",
        **profile,
    )
    app = create_app(settings)
    for origin in (b"https://evil.example", b"http://testserver"):
        for protocols in (["graphql-transport-ws"], ["graphql-ws"], []):
            sent: list[dict[str, Any]] = []

            async def receive() -> dict[str, Any]:
                return {"type": "websocket.connect"}

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)  # noqa: B023

            scope = websocket_scope(protocols, origin=origin, client="203.0.113.9")
            await app(scope, receive, send)
            # Closed before being accepted: the server answers the handshake with 403.
            assert sent == [{"type": "websocket.close", "code": 1008}]


async def test_a_plain_text_response_is_never_a_500(dev: World) -> None:
    """Requests strawberry itself would have answered with a 500 (non-object JSON)."""
    for body in (b"null", b"true", b'"x"', b"[]"):
        response = await dev.h.client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400


async def test_graphql_response_json_answers_request_errors_with_400(dev: World) -> None:
    h = dev.h
    wanted = {**bearer(dev.admin), "Accept": "application/graphql-response+json"}
    ok = await h.client.post("/graphql", json={"query": QUERY}, headers=wanted)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
    assert ok.json() == {"data": {"persons": {"totalCount": 0}}}

    for document in ("{", "{ nope }", "{ persons(first: 0) { totalCount } }"):
        refused = await h.client.post("/graphql", json={"query": document}, headers=wanted)
        assert refused.status_code == 400, document
        assert "data" not in refused.json() and refused.json()["errors"]

    # A field that fails while executing is not a request error: 200, with data.
    executed = await h.client.post(
        "/graphql",
        json={"query": '{ persons(first: 1, after: "nope") { totalCount } }'},
        headers=wanted,
    )
    assert executed.status_code == 200
    assert executed.json()["data"] is None and executed.json()["errors"][0]["path"] == ["persons"]

    # Plain application/json: 200 (the specification's SHOULD), without data all the same.
    classic = await h.client.post("/graphql", json={"query": "{"}, headers=bearer(dev.admin))
    assert classic.status_code == 200
    assert classic.headers["content-type"] == "application/json; charset=utf-8"
    assert "data" not in classic.json()
    assert classic.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_bodies_are_utf8_json_and_big_integers_fall_back(dev: World) -> None:
    """Responses are serialised by orjson: UTF-8, not \\u escapes; a value orjson refuses
    (an integer beyond 64 bits, which no Bangfu scalar produces) still serialises."""
    from bangfu.app import GraphQLEndpoint

    response = await dev.h.client.post("/graphql", json={"query": "{ plugins { name } }"})
    assert response.status_code == 200 and response.json()["data"]["plugins"]
    answer = await dev.h.client.post(
        "/graphql",
        json={"query": '{ region(code: "141023") { name } }'},
        headers={"Authorization": f"Bearer {dev.xiangfen}"},
    )
    assert "襄汾县".encode() in answer.content and answer.json()["data"]["region"]["name"]
    data = {"n": 2**70, "name": "襄汾"}
    encoded = GraphQLEndpoint.encode_json(None, data)  # type: ignore[arg-type]
    assert json.loads(encoded) == data


def test_a_server_process_keeps_large_answers_out_of_the_heap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """glibc's mmap threshold is fixed at start (bangfu.app.tune_memory), unless the
    operator set it: the benchmark's five minutes of the mix measure what it is for."""
    import platform

    from bangfu import app

    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "262144")
    assert app.tune_memory() is False  # the operator's own setting is left alone
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    if platform.libc_ver()[0] == "glibc":
        assert app.tune_memory() is True
