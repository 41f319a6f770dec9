"""Every answer of /graphql is a GraphQL response (GraphQL over HTTP), whatever failed:
JSON with ``errors`` and an ``extensions.code``, in the media type the ``Accept`` header
prefers, without ``data`` when nothing executed, with the headers every answer carries;
and a request error executes nothing (issue 20)."""

import datetime as dt
import json
import re
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from bangfu.core.db import utcnow
from bangfu.core.registry.models import Household
from bangfu.core.security.models import AccessToken, ApiClient
from bangfu.core.security.tokens import token_digest
from bangfu.http import GRAPHQL_RESPONSE, JSON, negotiate
from bangfu.testing import Harness
from tests.helpers import CREATE_HOUSEHOLD, XIANGFEN_VILLAGE, World, id_number

pytestmark = pytest.mark.anyio

MEDIA_TYPES = [JSON, GRAPHQL_RESPONSE]
#: How the names of codes end, and the codes that end otherwise (for the documentation test).
CODE_ENDINGS = (
    "_FAILED",
    "_REQUIRED",
    "_NOT_FOUND",
    "_VARIABLES",
    "_DEEP",
    "_ALIASES",
    "_DIRECTIVES",
    "_TOKENS",
    "_COMPLEX",
    "_COSTLY",
    "_DISABLED",
    "_INPUT",
    "_REQUEST",
    "_ALLOWED",
    "_TYPE",
    "_LARGE",
    "_LONG",
    "_KEY",
    "_PROGRESS",
    "_REUSED",
    "_REQUESTS",
    "_ERROR",
    "_UNAVAILABLE",
    "_LOST",
    "_LOGINS",
)
KNOWN_CODES = {"UNAUTHENTICATED", "FORBIDDEN", "TIMEOUT"}
ME = "{ me { username } }"


async def post(
    h: Harness,
    body: dict[str, Any],
    *,
    token: str | None = None,
    accept: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if accept:
        sent["Accept"] = accept
    return await h.client.post("/graphql", json=body, headers=sent)


def refused(response: httpx.Response, status: int, code: str, media_type: str = JSON) -> dict:
    """The one error of a GraphQL response without data, after checking it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    answer = response.json()
    assert "data" not in answer, answer
    assert [e["extensions"]["code"] for e in answer["errors"]] == [code], answer
    return dict(answer["errors"][0])


# -- Accept ---------------------------------------------------------------------------------

ranges = st.sampled_from(
    [JSON, GRAPHQL_RESPONSE, "application/*", "*/*", "text/html", "application/xml", "x"]
)
qualities = st.one_of(st.none(), st.sampled_from(["0", "0.5", "1", "0.9", "abc", "nan", "-1", "2"]))


@given(st.lists(st.tuples(ranges, qualities), max_size=6))
def test_negotiation_answers_one_of_the_two_types_for_any_accept(
    parts: list[tuple[str, str | None]],
) -> None:
    header = ", ".join(r if q is None else f"{r};q={q}" for r, q in parts)
    chosen = negotiate(header)
    assert chosen in (JSON, GRAPHQL_RESPONSE)
    named = {r for r, q in parts}
    if GRAPHQL_RESPONSE not in named and "application/*" not in named and "*/*" not in named:
        assert chosen == JSON
    if JSON not in named and GRAPHQL_RESPONSE in named and all(q is None for _r, q in parts):
        assert chosen == GRAPHQL_RESPONSE


@given(st.text(max_size=200))
def test_negotiation_never_fails_on_garbage(header: str) -> None:
    assert negotiate(header) in (JSON, GRAPHQL_RESPONSE)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("text/html", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}; charset=utf-8", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
        (f"{JSON}, {GRAPHQL_RESPONSE}", JSON),
        (f"{GRAPHQL_RESPONSE}, {JSON}", GRAPHQL_RESPONSE),
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0", JSON),
        (f"{GRAPHQL_RESPONSE}, */*;q=0.1", GRAPHQL_RESPONSE),
        (f"*/*, {JSON};q=0", GRAPHQL_RESPONSE),
    ],
)
def test_negotiation_examples(accept: str | None, chosen: str) -> None:
    assert negotiate(accept) == chosen


# -- Request errors -------------------------------------------------------------------------

#: 13 levels deep (the limit is 12).
DEEP = (
    "{ persons(first: 1) { nodes { "
    + "household { head { " * 5
    + "household { id }"
    + " } }" * 5
    + " } } }"
)
#: 30 pages of 100 persons of 18 fields: a static cost of 57,030, over 50,000.
COSTLY = (
    "{ "
    + " ".join(f"a{i}: persons(first: 100) {{ nodes {{ ...P }} }}" for i in range(30))
    + " } fragment P on Person { id name age birthDate deceased hukouType idNumber"
    + " isKeyPerson phone sex version household { id head { id name age sex } } }"
)
ALIASES = "{ " + " ".join(f"a{i}: me {{ username }}" for i in range(31)) + " }"
TOKENS = "{ " + " ".join(f"a{i}: __typename" for i in range(700)) + " }"
DIRECTIVES = "{ me " + "@skip(if: false) " * 51 + "{ username } }"
REQUEST_ERRORS = {
    "syntax": ({"query": "{ me { username "}, "GRAPHQL_PARSE_FAILED"),
    "tokens": ({"query": TOKENS}, "TOO_MANY_TOKENS"),
    "validation": ({"query": "{ me { nosuch } }"}, "GRAPHQL_VALIDATION_FAILED"),
    "literal": (
        {"query": '{ medicalHighOutOfPocket(first: 5, ratio: "abc") { totalCount } }'},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "variables": (
        {
            "query": "query($n: Int!) { persons(first: $n) { totalCount } }",
            "variables": {"n": "ten"},
        },
        "INVALID_VARIABLES",
    ),
    "missing variable": (
        {"query": "query($n: Int!) { persons(first: $n) { totalCount } }"},
        "INVALID_VARIABLES",
    ),
    "depth": ({"query": DEEP}, "QUERY_TOO_DEEP"),
    "aliases": ({"query": ALIASES}, "TOO_MANY_ALIASES"),
    "directives": ({"query": DIRECTIVES}, "TOO_MANY_DIRECTIVES"),
    "cost": ({"query": COSTLY}, "QUERY_TOO_COSTLY"),
    "first": ({"query": "{ persons(first: 0) { totalCount } }"}, "BAD_USER_INPUT"),
    "no operation name": (
        {"query": "query a { me { username } } query b { me { username } }"},
        "OPERATION_NAME_REQUIRED",
    ),
    "unknown operation name": ({"query": ME, "operationName": "nope"}, "OPERATION_NOT_FOUND"),
}


async def test_request_errors_have_a_code_and_no_data(world: World) -> None:
    for case, (body, code) in REQUEST_ERRORS.items():
        for media_type in MEDIA_TYPES:
            response = await post(world.h, body, token=world.admin, accept=media_type)
            # GraphQL over HTTP: 400 in its own media type, 200 in application/json.
            status = 400 if media_type == GRAPHQL_RESPONSE else 200
            assert response.status_code == status, (case, media_type)
            refused(response, status, code, media_type)


async def test_several_operations_without_a_name_run_none(world: World) -> None:
    """`mutation m { logout } query q { me { username } }` used to log the caller out."""
    h = world.h
    document = "mutation m { logout } query q { me { username } }"
    for media_type in MEDIA_TYPES:
        answer = await post(h, {"query": document}, token=world.xiangfen, accept=media_type)
        refused(
            answer,
            400 if media_type == GRAPHQL_RESPONSE else 200,
            "OPERATION_NAME_REQUIRED",
            media_type,
        )
    # The same over GET (the development profile): refused as a request error, not run.
    over_get = await h.client.get(
        "/graphql",
        params={"query": document},
        headers={"Authorization": f"Bearer {world.xiangfen}"},
    )
    refused(over_get, 200, "OPERATION_NAME_REQUIRED")
    assert await h.ok(ME, token=world.xiangfen) == {"me": {"username": "xiangfen"}}
    # Named, each runs: first the query, then the mutation.
    named = await post(h, {"query": document, "operationName": "q"}, token=world.xiangfen)
    assert named.json() == {"data": {"me": {"username": "xiangfen"}}}
    named = await post(h, {"query": document, "operationName": "m"}, token=world.xiangfen)
    assert named.json() == {"data": {"logout": True}}


async def test_a_refused_mutation_changes_nothing(world: World) -> None:
    h = world.h
    members = [{"relation": "HEAD", "person": {"name": "王建国", "idNumber": id_number()}}]
    variables = {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members}}
    for body in (
        {"query": CREATE_HOUSEHOLD + " query q { me { username } }", "variables": variables},
        {"query": CREATE_HOUSEHOLD, "variables": variables, "operationName": "nope"},
        {"query": CREATE_HOUSEHOLD, "variables": {"input": {"regionCode": 5}}},
    ):
        response = await post(h, body, token=world.admin, accept=GRAPHQL_RESPONSE)
        assert response.status_code == 400 and "data" not in response.json()
    async with h.session() as session:
        assert (await session.scalars(select(Household))).first() is None


async def test_an_api_client_s_mutation_is_a_403_request_error(world: World) -> None:
    h = world.h
    client = await h.api_client("partner", region="141023")
    body = {"query": "mutation { logout }"}
    error = refused(
        await post(h, body, token=client, accept=GRAPHQL_RESPONSE),
        403,
        "FORBIDDEN",
        GRAPHQL_RESPONSE,
    )
    assert "read-only" in error["message"]
    refused(await post(h, body, token=client), 200, "FORBIDDEN")


async def test_a_field_error_still_has_data_and_200(world: World) -> None:
    body = {"query": '{ persons(first: 1, after: "nope") { totalCount } }'}
    for media_type in MEDIA_TYPES:
        response = await post(world.h, body, token=world.admin, accept=media_type)
        assert response.status_code == 200
        answer = response.json()
        assert answer["data"] is None and answer["errors"][0]["path"] == ["persons"]
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "document",
    [
        '{ assessment(regionCode: "141023", year: 1800) { year } }',
        '{ assessment(regionCode: "999999", year: 2025) { year } }',
        "{ medicalUninsured(first: 5, year: 1700) { totalCount } }",
        '{ medicalHighOutOfPocket(first: 5, ratio: "7") { totalCount } }',
        '{ persons(first: 5, filter: {regionCode: "999"}) { totalCount } }',
        '{ bottomLineSummary(regionCode: "99") { __typename } }',
        '{ reportLink(regionCode: "141023", report: ASSESSMENT, year: 1800) { url } }',
        "{ nodes(ids: [" + ", ".join(f'"x{i}"' for i in range(101)) + "]) { id } }",
    ],
)
async def test_argument_errors_carry_a_code(world: World, document: str) -> None:
    answer = await world.h.gql(document, token=world.admin)
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["BAD_USER_INPUT"], answer


# -- 401 ------------------------------------------------------------------------------------


def challenge(response: httpx.Response) -> dict[str, str]:
    """The parameters of ``WWW-Authenticate: Bearer ...`` (RFC 6750)."""
    scheme, _sep, rest = response.headers["www-authenticate"].partition(" ")
    assert scheme == "Bearer"
    params = {}
    for item in rest.split(","):
        name, _eq, value = item.strip().partition("=")
        params[name] = value.strip('"')
    return params


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
async def test_401_says_why_with_www_authenticate(world: World, media_type: str) -> None:
    h = world.h
    body = {"query": "{ persons(first: 1) { totalCount } }"}

    def reason(response: httpx.Response) -> str:
        error = refused(response, 401, "UNAUTHENTICATED", media_type)
        return str(error["extensions"]["reason"])

    missing = await post(h, body, accept=media_type)
    assert reason(missing) == "MISSING" and challenge(missing) == {"realm": "bangfu"}

    malformed = await post(h, body, accept=media_type, headers={"Authorization": "Basic eA=="})
    assert reason(malformed) == "MALFORMED"
    assert challenge(malformed) == {"realm": "bangfu", "error": "invalid_request"}

    invalid = await post(h, body, token="bfu_" + "x" * 43, accept=media_type)
    assert reason(invalid) == "INVALID"
    assert challenge(invalid) == {"realm": "bangfu", "error": "invalid_token"}

    expired = await h.actor(f"expired-{media_type[-4:]}", roles=[], region="141023")
    async with h.session() as session, session.begin():
        await session.execute(
            update(AccessToken)
            .where(AccessToken.digest == token_digest(expired))
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
    answer = await post(h, body, token=expired, accept=media_type)
    assert reason(answer) == "EXPIRED" and challenge(answer)["error"] == "invalid_token"

    revoked = await h.actor(f"revoked-{media_type[-4:]}", roles=[], region="141023")
    assert (await h.ok("mutation { logout }", token=revoked)) == {"logout": True}
    assert reason(await post(h, body, token=revoked, accept=media_type)) == "REVOKED"

    client = await h.api_client(f"partner-{media_type[-4:]}", region="141023")
    async with h.session() as session, session.begin():
        await session.execute(
            update(ApiClient)
            .where(ApiClient.digest == token_digest(client))
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
    assert reason(await post(h, body, token=client, accept=media_type)) == "EXPIRED"
    async with h.session() as session, session.begin():
        await session.execute(
            update(ApiClient)
            .where(ApiClient.digest == token_digest(client))
            .values(revoked_at=utcnow())
        )
    assert reason(await post(h, body, token=client, accept=media_type)) == "REVOKED"


# -- Transport refusals and headers ---------------------------------------------------------


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
async def test_transport_refusals_are_graphql_responses(world: World, media_type: str) -> None:
    h = world.h
    auth = {"Authorization": f"Bearer {world.admin}", "Accept": media_type}
    head = await h.client.head("/graphql", headers=auth)
    assert head.status_code == 405 and head.headers["allow"] == "GET, POST"
    assert head.headers["content-type"] == f"{media_type}; charset=utf-8"
    put = await h.client.put("/graphql", content=b"{}", headers=auth)
    assert refused(put, 405, "METHOD_NOT_ALLOWED", media_type)
    assert put.headers["allow"] == "GET, POST"
    mutation = await h.client.get("/graphql", params={"query": "mutation { logout }"}, headers=auth)
    refused(mutation, 405, "METHOD_NOT_ALLOWED", media_type)
    assert mutation.headers["allow"] == "POST"
    form = await h.client.post(
        "/graphql", content=b"query={me{username}}", headers={**auth, "Content-Type": "text/plain"}
    )
    refused(form, 415, "UNSUPPORTED_MEDIA_TYPE", media_type)
    big = await h.client.post(
        "/graphql",
        content=json.dumps({"query": "#" * h.settings.max_body_bytes}).encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    refused(big, 413, "PAYLOAD_TOO_LARGE", media_type)
    bad = await h.client.post(
        "/graphql", content=b"{", headers={**auth, "Content-Type": "application/json"}
    )
    refused(bad, 400, "BAD_REQUEST", media_type)
    no_query = await h.client.get("/graphql", headers=auth)
    refused(no_query, 400, "BAD_REQUEST", media_type)


SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


async def test_every_answer_forbids_sniffing_referrers_framing_and_caching(world: World) -> None:
    h = world.h
    answers = {
        "graphql": await post(h, {"query": ME}, token=world.admin),
        "graphql error": await post(h, {"query": "{"}, token=world.admin),
        "graphql 401": await post(h, {"query": ME}, token="nope"),
        "healthz": await h.client.get("/healthz"),
        "roster template 401": await h.client.get("/import/roster/template"),
        "report": await h.client.get("/reports/roster.xlsx?region=141023"),
        "graphiql": await h.client.get("/graphql", headers={"Accept": "text/html"}),
    }
    for name, response in answers.items():
        for header, value in SECURITY.items():
            assert response.headers[header] == value, name
        assert response.headers["cache-control"] == "no-store", name
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], name
    for name in ("roster template 401", "report"):
        assert answers[name].status_code == 401, name
        assert answers[name].headers["www-authenticate"] == 'Bearer realm="bangfu"', name
    # GraphiQL's page keeps its own policy (its scripts and styles from this origin).
    assert "script-src 'self'" in answers["graphiql"].headers["content-security-policy"]
    for name in ("graphql", "graphql error", "graphql 401", "healthz"):
        assert answers[name].headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        ), name
    assert "Accept" in answers["graphql"].headers["vary"]
    # GraphiQL's static assets hold no personal data: they may be cached.
    asset = await h.client.get("/graphiql/graphiql.min.js")
    assert asset.status_code == 200 and "cache-control" not in asset.headers
    assert asset.headers["x-content-type-options"] == "nosniff"


def test_every_top_level_code_is_in_the_api_guide() -> None:
    """Each code the transport and the request checks give is documented (docs/api.md's
    top-level errors and HTTP status codes)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sources = [
        "bangfu/http.py",
        "bangfu/app.py",
        "bangfu/idempotency.py",
        "schema/request_errors.py",
        "schema/limits.py",
        "schema/input_limits.py",
        "schema/auth.py",
    ]
    pattern = re.compile(r'"([A-Z][A-Z_]{4,})"')
    used = {
        code
        for source in sources
        for code in pattern.findall((root / source).read_text(encoding="utf-8"))
        if code.endswith(CODE_ENDINGS) or code in KNOWN_CODES
    }
    guide = (root / "docs" / "api.md").read_text(encoding="utf-8")
    assert used and {code for code in used if f"`{code}`" not in guide} == set()
