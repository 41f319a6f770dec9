"""Persisted documents: Apollo's automatic persisted queries in development, trusted
documents per API client (and for the users' applications) in production."""

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bangfu.core.config import Settings
from bangfu.core.registry.models import Household
from bangfu.core.security import Role
from bangfu.core.security.documents import NewDocument, add_documents, as_hash
from bangfu.http import RequestRefused
from bangfu.persisted import DocumentCache, named_document
from bangfu.testing import Harness
from tests.helpers import CREATE_HOUSEHOLD, XIANGFEN_VILLAGE, id_number, make_world

pytestmark = pytest.mark.anyio

QUERY = "query Count { persons(first: 1) { totalCount } }"
PLUGINS = "{ plugins { name } }"
LOGIN = 'mutation { login(username: "nobody", password: "wrong-password") { token } }'


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


async def send(
    h: Harness,
    body: dict[str, Any],
    token: str | None = None,
    accept: str | None = None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if accept:
        headers["Accept"] = accept
    return await h.client.post("/graphql", json=body, headers=headers)


def code_of(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


@pytest.fixture
async def dev(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    async with Harness.start(tmp_path, database_url=database_url) as h:
        yield h


@pytest.fixture
async def prod(tmp_path: Path, database_url: str | None) -> AsyncIterator[Harness]:
    async with Harness.start(
        tmp_path, database_url=database_url, settings={"profile": "production"}
    ) as h:
        yield h


def test_the_profiles_choose_the_mode() -> None:
    dev = Settings(profile="development")
    assert dev.persisted_queries_enabled and not dev.trusted_documents_enabled
    prod = Settings(profile="production")
    assert prod.trusted_documents_enabled and not prod.persisted_queries_enabled
    assert Settings(profile="production", trusted_documents=False).persisted_queries is None
    assert not Settings(profile="production", trusted_documents=False).persisted_queries_enabled
    both = Settings(persisted_queries=True, trusted_documents=True)
    assert not both.persisted_queries_enabled  # nothing is learnt where documents are trusted


# --- Automatic persisted queries (development) ----------------------------------------


async def test_an_unknown_hash_is_not_found_then_the_document_is_kept(dev: Harness) -> None:
    token = await dev.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
    miss = await send(dev, {"extensions": persisted(QUERY)}, token)
    assert miss.status_code == 200
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert code_of(miss) == "PERSISTED_QUERY_NOT_FOUND"
    assert "data" not in miss.json()
    assert miss.headers["cache-control"] == "no-store"
    # As Apollo's link answers it: the text with the hash; kept, and run.
    full = await send(dev, {"query": QUERY, "extensions": persisted(QUERY)}, token)
    assert full.json() == {"data": {"persons": {"totalCount": 0}}}
    hit = await send(dev, {"extensions": persisted(QUERY)}, token)
    assert hit.json() == {"data": {"persons": {"totalCount": 0}}}
    # The persisted-documents convention's documentId names the same document.
    by_id = await send(dev, {"documentId": f"sha256:{sha(QUERY)}"}, token)
    assert by_id.json() == {"data": {"persons": {"totalCount": 0}}}


async def test_a_graphql_response_client_gets_400_for_an_unknown_hash(dev: Harness) -> None:
    miss = await send(
        dev, {"extensions": persisted(QUERY)}, accept="application/graphql-response+json"
    )
    assert miss.status_code == 400
    assert code_of(miss) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_hash_that_is_not_the_documents_is_refused_and_not_kept(dev: Harness) -> None:
    token = await dev.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
    wrong = await send(dev, {"query": QUERY, "extensions": persisted("{ other }")}, token)
    assert wrong.status_code == 400
    assert code_of(wrong) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert "SHA-256" in wrong.json()["errors"][0]["message"]
    still = await send(dev, {"extensions": persisted("{ other }")}, token)
    assert code_of(still) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    ("extensions", "field"),
    [
        ({"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}}, "version"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "xyz"}}, "sha256Hash"),
        ({"persistedQuery": "abc"}, "persistedQuery"),
    ],
)
async def test_a_malformed_persisted_query_names_its_field(
    dev: Harness, extensions: dict[str, Any], field: str
) -> None:
    refused = await send(dev, {"extensions": extensions})
    assert refused.status_code == 400 and code_of(refused) == "BAD_REQUEST"
    assert field in refused.json()["errors"][0]["message"]


async def test_an_invalid_document_is_not_kept(dev: Harness) -> None:
    token = await dev.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
    bad = "{ persns { totalCount } }"
    answer = await send(dev, {"query": bad, "extensions": persisted(bad)}, token)
    assert answer.json()["errors"]
    assert code_of(await send(dev, {"extensions": persisted(bad)}, token)) == (
        "PERSISTED_QUERY_NOT_FOUND"
    )


async def test_a_persisted_query_over_get(dev: Harness) -> None:
    token = await dev.actor("admin", roles=[Role.CITY_ADMINISTRATOR])
    headers = {"Authorization": f"Bearer {token}"}
    params = {"extensions": json.dumps(persisted(QUERY))}
    miss = await dev.client.get("/graphql", params=params, headers=headers)
    assert code_of(miss) == "PERSISTED_QUERY_NOT_FOUND"
    await send(dev, {"query": QUERY, "extensions": persisted(QUERY)}, token)
    hit = await dev.client.get("/graphql", params=params, headers=headers)
    assert hit.json() == {"data": {"persons": {"totalCount": 0}}}


async def test_a_persisted_mutation_is_refused_over_get(dev: Harness) -> None:
    world = await make_world(dev)
    members = [{"relation": "HEAD", "person": {"name": "王建国", "idNumber": id_number()}}]
    variables = {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members}}
    body = {"query": CREATE_HOUSEHOLD, "variables": variables}
    assert (
        await send(dev, {**body, "extensions": persisted(CREATE_HOUSEHOLD)}, world.admin)
    ).json()["data"]["householdCreate"]["household"]
    refused = await dev.client.get(
        "/graphql",
        params={
            "extensions": json.dumps(persisted(CREATE_HOUSEHOLD)),
            "variables": json.dumps(variables),
        },
        headers={"Authorization": f"Bearer {world.admin}"},
    )
    assert refused.status_code == 405 and code_of(refused) == "METHOD_NOT_ALLOWED"
    async with dev.session() as session:
        assert await session.scalar(select(func.count()).select_from(Household)) == 1


async def test_without_either_mode_a_hash_alone_is_not_supported(
    tmp_path: Path,
) -> None:
    async with Harness.start(
        tmp_path, settings={"persisted_queries": False, "trusted_documents": False}
    ) as h:
        refused = await send(h, {"extensions": persisted(PLUGINS)})
        assert refused.json()["errors"][0]["message"] == "PersistedQueryNotSupported"
        assert code_of(refused) == "PERSISTED_QUERY_NOT_SUPPORTED"
        # With the text, the extension is no obstacle.
        ok = await send(h, {"query": PLUGINS, "extensions": persisted(PLUGINS)})
        assert "errors" not in ok.json()


def test_the_cache_forgets_the_least_recently_used_first() -> None:
    cache = DocumentCache(max_bytes=10)
    cache.put("a", "1234")
    cache.put("b", "5678")
    assert cache.get("a") == "1234"  # a is now the more recently used
    cache.put("c", "90ab")
    assert cache.get("b") is None and cache.get("a") == "1234" and cache.get("c") == "90ab"
    cache.put("huge", "x" * 11)  # larger than the cache: never kept
    assert cache.get("huge") is None and len(cache) == 2 and cache.size == 8


@given(st.text(max_size=80))
def test_a_hash_is_64_hex_digits_with_or_without_its_prefix(value: str) -> None:
    found = as_hash(value)
    if found is not None:
        assert len(found) == 64 and set(found) <= set("0123456789abcdef")
    digest = sha(value)
    assert as_hash(digest) == digest == as_hash(f"sha256:{digest.upper()}")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=70),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=8,
)
HASHES = st.sampled_from(["0" * 64, "sha256:" + "A" * 64, "f" * 63, "", "sha256:"])


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "query": st.none() | st.text(max_size=30) | st.integers(),
            "documentId": st.none() | HASHES | JSON,
            "operationName": JSON,
            "extensions": st.none()
            | st.fixed_dictionaries(
                {},
                optional={
                    "persistedQuery": JSON
                    | st.fixed_dictionaries(
                        {"version": st.sampled_from([1, 2, "1", None]), "sha256Hash": HASHES | JSON}
                    )
                },
            ),
        },
    )
)
def test_any_request_object_names_a_document_or_is_a_clear_400(params: dict[str, Any]) -> None:
    try:
        named = named_document(params)
    except RequestRefused as refused:
        assert refused.status == 400 and refused.code == "BAD_REQUEST"
        assert "`" in refused.message  # names the field at fault
        return
    assert named.sha256 is None or as_hash(named.sha256) == named.sha256
    assert named.query is None or isinstance(named.query, str)


async def test_a_refusal_speaks_the_callers_language(prod: Harness) -> None:
    token = await prod.actor("clerk", roles=[Role.CIVIL_AFFAIRS_OFFICER])
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}
    refused = await prod.client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["message"].startswith("此处只运行已登记的文档")


# --- Trusted documents (production) ---------------------------------------------------


async def register(h: Harness, client: str | None, *texts: str) -> None:
    async with h.session() as session, session.begin():
        await add_documents(session, client, [NewDocument(t, ("op",)) for t in texts])


async def test_a_client_runs_its_registered_documents_only(prod: Harness) -> None:
    partner = await prod.api_client("partner-app")
    other = await prod.api_client("other-app")
    await register(prod, "partner-app", QUERY)
    by_hash = await send(prod, {"extensions": persisted(QUERY)}, partner)
    assert by_hash.json() == {"data": {"persons": {"totalCount": 0}}}
    by_id = await send(prod, {"documentId": f"sha256:{sha(QUERY)}"}, partner)
    assert by_id.json() == {"data": {"persons": {"totalCount": 0}}}
    by_text = await send(prod, {"query": QUERY}, partner)
    assert by_text.json() == {"data": {"persons": {"totalCount": 0}}}
    # Another client's set does not hold it: an unknown hash, and a refused text.
    assert code_of(await send(prod, {"extensions": persisted(QUERY)}, other)) == (
        "PERSISTED_QUERY_NOT_FOUND"
    )
    refused = await send(prod, {"query": QUERY}, other)
    assert refused.status_code == 403 and code_of(refused) == "TRUSTED_DOCUMENT_REQUIRED"
    assert "registered" in refused.json()["errors"][0]["message"]
    # A text that differs by one space is another document.
    assert (await send(prod, {"query": QUERY + " "}, partner)).status_code == 403


async def test_an_unregistered_mutation_changes_nothing(prod: Harness) -> None:
    world = await make_world(prod)
    members = [{"relation": "HEAD", "person": {"name": "王建国", "idNumber": id_number()}}]
    body = {
        "query": CREATE_HOUSEHOLD,
        "variables": {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members}},
    }
    refused = await send(prod, body, world.admin)
    assert refused.status_code == 403 and code_of(refused) == "TRUSTED_DOCUMENT_REQUIRED"
    async with prod.session() as session:
        assert await session.scalar(select(func.count()).select_from(Household)) == 0
    # Registered for the users' applications, the same mutation runs for a user.
    await register(prod, None, CREATE_HOUSEHOLD)
    done = await send(prod, {**body, "extensions": persisted(CREATE_HOUSEHOLD)}, world.admin)
    assert done.json()["data"]["householdCreate"]["errors"] == []
    # The users' set is not a client's.
    partner = await prod.api_client("partner-app")
    assert (await send(prod, body, partner)).status_code == 403


async def test_logging_in_and_out_and_plugins_need_no_registration(prod: Harness) -> None:
    login = await send(prod, {"query": LOGIN})
    assert login.status_code == 200
    assert login.json()["data"]["login"]["token"] is None  # refused, but run
    assert "data" in (await send(prod, {"query": PLUGINS})).json()
    token = await prod.actor("clerk", roles=[Role.CIVIL_AFFAIRS_OFFICER])
    logout = await send(prod, {"query": "mutation { logout }"}, token)
    assert logout.json() == {"data": {"logout": True}}


async def test_without_a_token_only_public_documents_run(prod: Harness) -> None:
    # Nothing is registered for an anonymous caller: a hash is unknown, a text with data
    # is 401 as anywhere.
    assert code_of(await send(prod, {"extensions": persisted(QUERY)})) == (
        "PERSISTED_QUERY_NOT_FOUND"
    )
    assert (await send(prod, {"query": QUERY})).status_code == 401


async def test_a_stale_token_is_told_to_log_in_not_refused(prod: Harness) -> None:
    refused = await send(prod, {"query": QUERY}, "bfc_not-a-token")
    assert refused.status_code == 401
    refused = await send(prod, {"query": QUERY}, "bfu_not-a-token")
    assert refused.status_code == 401


async def test_introspection_and_typos_in_production_need_documents_too(prod: Harness) -> None:
    token = await prod.actor("clerk", roles=[Role.CIVIL_AFFAIRS_OFFICER])
    typo = await send(prod, {"query": "{ persns(first: 1) { totalCount } }"}, token)
    assert typo.status_code == 403 and code_of(typo) == "TRUSTED_DOCUMENT_REQUIRED"
