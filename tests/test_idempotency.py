"""Idempotency-Key on mutations (SECURITY.md, "Reliability"): one effect per key, the
first answer replayed byte for byte, a reused key with another payload refused."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bangfu.core.registry.models import Household, Person
from bangfu.core.security.models import IdempotencyRecord
from bangfu.testing import Harness
from tests.helpers import CREATE_HOUSEHOLD, XIANGFEN_VILLAGE, World, id_number, make_world
from tests.probes import ProbePlugin

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


REGISTER = """mutation($village: String!, $name: String!, $idNumber: String!, $hang: String) {
  probeRegister(village: $village, name: $name, idNumber: $idNumber, hang: $hang)
}"""
ROOT = Path(__file__).resolve().parents[1]


async def retried_as_told(h: Harness, token: str, body: dict[str, Any], key: str) -> httpx.Response:
    """Send, and while the answer is "in progress", wait its Retry-After and send again; a
    claim's lease is twice the time limit (2 s here), so a few seconds are enough."""
    for _ in range(10):
        response = await send(h, token, body, key)
        if response.status_code != 409:
            return response
        assert response.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
        await asyncio.sleep(int(response.headers["retry-after"]))
    raise AssertionError(f"the key {key} stays in progress: {response.text}")


async def test_a_key_held_by_a_killed_server_resolves(
    tmp_path: Path, database_url: str | None
) -> None:
    # A server process is killed (kill -9: no cleanup) while two idempotent mutations hang
    # in it: one after its household was committed, one before. Retries then get a final
    # answer, never a second effect: the committed one says its answer was lost, the
    # other runs anew.
    async with Harness.start(
        tmp_path,
        database_url=database_url,
        plugins=False,
        extra_plugins=[ProbePlugin()],
        settings={"request_timeout_seconds": 1},
    ) as h:
        world = await make_world(h)
        bodies = {
            hang: {
                "query": REGISTER,
                "variables": {
                    "village": XIANGFEN_VILLAGE,
                    "name": name,
                    "idNumber": id_number(),
                    "hang": hang,
                },
            }
            for hang, name in (("AFTER_COMMIT", "甲"), ("BEFORE_COMMIT", "乙"))
        }
        spec = {
            "settings": h.settings.model_dump(mode="json"),
            "token": world.xiangfen,
            "requests": [{"key": f"crash-{hang}", "body": body} for hang, body in bodies.items()],
        }
        worker = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "tests.crash_worker", json.dumps(spec)),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert worker.stdout is not None
        try:
            ready = await worker.stdout.readline()
        finally:
            worker.kill()  # SIGKILL: no cleanup of any kind runs
            _out, errors = await worker.communicate()
        assert ready == b"ready\n", errors.decode()

        lost = await retried_as_told(
            h, world.xiangfen, bodies["AFTER_COMMIT"], "crash-AFTER_COMMIT"
        )
        assert lost.status_code == 200
        assert lost.json()["data"] is None
        assert lost.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_ANSWER_LOST"
        rerun = await retried_as_told(
            h, world.xiangfen, bodies["BEFORE_COMMIT"], "crash-BEFORE_COMMIT"
        )
        assert rerun.status_code == 200 and "errors" not in rerun.json(), rerun.text
        assert isinstance(rerun.json()["data"]["probeRegister"], int), rerun.text

        # Final answers: every later retry gets them again, byte for byte.
        for key, first in (("AFTER_COMMIT", lost), ("BEFORE_COMMIT", rerun)):
            again = await send(h, world.xiangfen, bodies[key], f"crash-{key}")
            assert (again.status_code, again.content) == (first.status_code, first.content)
        async with h.session() as session:
            names = list(await session.scalars(select(Person.name).order_by(Person.name)))
        assert sorted(names) == sorted(["甲", "乙"])  # one each: nothing was done twice


async def test_a_timed_out_key_runs_again_only_when_nothing_was_committed(
    tmp_path: Path, database_url: str | None
) -> None:
    probe = ProbePlugin(hangs=True)
    async with Harness.start(
        tmp_path,
        database_url=database_url,
        plugins=False,
        extra_plugins=[probe],
        settings={"request_timeout_seconds": 1},
    ) as h:
        world = await make_world(h)
        answers = {}
        for hang in ("BEFORE_COMMIT", "AFTER_COMMIT"):
            body = {
                "query": REGISTER,
                "variables": {
                    "village": XIANGFEN_VILLAGE,
                    "name": hang,
                    "idNumber": id_number(),
                    "hang": hang,
                },
            }
            probe.hangs = True
            first = await send(h, world.xiangfen, body, f"slow-{hang}")
            assert first.status_code == 504
            probe.hangs = False
            answers[hang] = (first, await send(h, world.xiangfen, body, f"slow-{hang}"))
        # Cancelled before its commit: nothing was done, the retry runs it.
        _timed_out, rerun = answers["BEFORE_COMMIT"]
        assert rerun.status_code == 200 and isinstance(rerun.json()["data"]["probeRegister"], int)
        # Cancelled after it: the household exists, the retry gets the 504 again.
        timed_out, replayed = answers["AFTER_COMMIT"]
        assert (replayed.status_code, replayed.content) == (504, timed_out.content)
        async with h.session() as session:
            names = sorted(await session.scalars(select(Person.name)))
        assert names == ["AFTER_COMMIT", "BEFORE_COMMIT"]
