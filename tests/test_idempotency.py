"""Idempotency-Key on mutations (SECURITY.md, "Reliability"): one effect per key, the
first answer replayed byte for byte, a reused key with another payload refused."""

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bangfu.testing import Harness
from core.registry.models import Household
from core.security.models import IdempotencyRecord
from tests.helpers import CREATE_HOUSEHOLD, XIANGFEN_VILLAGE, World, id_number

pytestmark = pytest.mark.anyio


def create_request(name: str = "王建国") -> dict[str, Any]:
    members = [{"relation": "HEAD", "person": {"name": name, "idNumber": id_number()}}]
    return {
        "query": CREATE_HOUSEHOLD,
        "variables": {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members}},
    }


async def send(h: Harness, token: str, body: dict[str, Any], key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await h.client.post("/graphql", json=body, headers=headers)


async def count(h: Harness, model: type[Any]) -> int:
    async with h.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_same_key_three_times_is_one_effect_and_one_answer(world: World) -> None:
    h = world.h
    body = create_request()
    responses = [await send(h, world.xiangfen, body, "create-0001") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[0].json()["data"]["householdCreate"]["errors"] == []
    assert responses[1].content == responses[0].content == responses[2].content
    assert await count(h, Household) == 1

    # The stored answer is encrypted: the name in it is not in the table in clear.
    async with h.session() as session:
        record = await session.scalar(select(IdempotencyRecord))
    assert record is not None and record.status_code == 200
    assert "王建国".encode() not in (record.response_body or b"")

    # Without a key, the same request is a second household (it would be a duplicate
    # ID number: the point is that it executes).
    again = await send(h, world.xiangfen, body, None)
    assert again.content != responses[0].content


async def test_the_same_key_with_another_payload_is_refused(world: World) -> None:
    h = world.h
    first = await send(h, world.xiangfen, create_request("王建国"), "create-0002")
    assert first.status_code == 200
    reused = await send(h, world.xiangfen, create_request("李秀英"), "create-0002")
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["message"].startswith(
        "Idempotency-Key reused with a different request"
    )
    assert reused.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await count(h, Household) == 1


async def test_keys_belong_to_their_actor(world: World) -> None:
    h = world.h
    body = create_request()
    mine = await send(h, world.xiangfen, body, "shared-key")
    # Another user's same key is another key: it executes (and here finds the duplicate).
    theirs = await send(h, world.admin, body, "shared-key")
    assert mine.status_code == theirs.status_code == 200
    assert mine.content != theirs.content
    assert theirs.json()["data"]["householdCreate"]["errors"][0]["code"] == "DUPLICATE_ID_NUMBER"
    assert await count(h, IdempotencyRecord) == 2


async def test_concurrent_requests_with_one_key_never_have_two_effects(world: World) -> None:
    h = world.h
    body = create_request()
    responses = await asyncio.gather(
        *(send(h, world.xiangfen, body, "concurrent-1") for _ in range(5))
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    done = [r for r in responses if r.status_code == 200]
    assert done and all(r.content == done[0].content for r in done)
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["errors"][0]["message"].startswith(
            "a request with this Idempotency-Key is in progress"
        )
    assert await count(h, Household) == 1
    # Once the first has finished, a retry gets its answer.
    retry = await send(h, world.xiangfen, body, "concurrent-1")
    assert retry.status_code == 200 and retry.content == done[0].content


async def test_bad_keys_are_refused_and_queries_are_not_remembered(world: World) -> None:
    h = world.h
    for key in ("k" * 201, "", "tab\tkey", "键"):
        headers = {"Authorization": f"Bearer {world.xiangfen}"}
        response = await h.client.post(
            "/graphql",
            content=json.dumps(create_request()).encode(),
            headers={
                **headers,
                "Content-Type": "application/json",
                "Idempotency-Key": key.encode(),
            },
        )
        assert response.status_code == 400, key
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_IDEMPOTENCY_KEY"
    assert await count(h, Household) == 0
    assert (await send(h, world.xiangfen, create_request(), "k" * 200)).status_code == 200

    query = {"query": "{ persons(first: 1) { totalCount } }"}
    first = await send(h, world.xiangfen, query, "query-key")
    assert first.json() == {"data": {"persons": {"totalCount": 1}}}
    await send(h, world.xiangfen, create_request(), None)
    second = await send(h, world.xiangfen, query, "query-key")
    assert second.json() == {"data": {"persons": {"totalCount": 2}}}
    assert await count(h, IdempotencyRecord) == 1
