"""One user must not starve the others (SECURITY.md, "Query cost"): filters priced by what
they read, refused over the budget before anything runs; costly requests bounded per
actor, per client address and in all, so that the database pool stays free for others."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
import strawberry

from bangfu.core.plugins import PluginHost, PluginInfo, get_plugin_manager, hookimpl
from bangfu.schema.build import build_schema
from bangfu.schema.permissions import requires
from bangfu.schema.scan_cost import INDEXED, MissingScanCostError
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, World, id_number, make_world
from tests.probes import ProbePlugin

pytestmark = pytest.mark.anyio

EMPTY_VILLAGE = "141023100202"  # a village of Xiangfen where nobody lives
PERSONS = 8  # in Xiangfen
BUDGET = 2_000  # max_scan_cost here: the at-risk filter costs 25 a person, 200 a county


class Scanned:
    def __init__(self, world: World, probe: ProbePlugin) -> None:
        self.world = world
        self.h = world.h
        self.probe = probe

    async def answer(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        return await self.h.gql(query, variables, token=self.world.xiangfen)

    async def refused(self, document: str, variables: dict[str, Any] | None = None) -> str:
        """The message of a document refused as a whole, before anything ran (it selects
        ``probeHits``, which counts its calls)."""
        assert "probeHits" in document
        before = self.probe.hits
        answer = await self.answer(document, variables)
        assert answer.get("data") is None, answer
        assert self.probe.hits == before, "a resolver ran"
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "SCAN_TOO_COSTLY"
        return str(error["message"])

    async def accepted(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        answer = await self.answer(query, variables)
        assert "errors" not in answer, answer
        return answer["data"]


@pytest.fixture
async def scanned(tmp_path: Path, database_url: str | None) -> AsyncIterator[Scanned]:
    probe = ProbePlugin()
    async with Harness.start(
        tmp_path,
        database_url=database_url,
        extra_plugins=[probe],
        settings={"max_scan_cost": BUDGET},
    ) as h:
        world = await make_world(h)
        await h.region(EMPTY_VILLAGE, "空村", "141023100")
        for i in range(PERSONS):
            await h.household(XIANGFEN_VILLAGE, [("HEAD", f"户主{i}", id_number())])
        yield Scanned(world, probe)


def at_risk(aliases: int, extra: str = "", selection: str = "nodes { name }") -> str:
    """A document of ``aliases`` at-risk filters of the officer's county, and probeHits."""
    return (
        "{ probeHits "
        + " ".join(
            f"a{i}: persons(first: 100, filter: {{atRisk: FOOD{extra}}}) {{ {selection} }}"
            for i in range(aliases)
        )
        + " }"
    )


async def test_many_aliases_of_an_area_filter_are_refused_before_anything_runs(
    scanned: Scanned,
) -> None:
    # The finding: each alias of the at-risk filter judges the whole county. Its static
    # cost is small (pages of names); what it reads is 25 a person of the county.
    message = await scanned.refused(at_risk(27))
    assert message.startswith("the query reads too much")
    assert f"over the budget of {BUDGET}" in message and "regionCode" in message
    # Fewer of them, and the same filter narrowed to a region with nobody, are accepted.
    data = await scanned.accepted(at_risk(2))
    assert set(data) == {"probeHits", "a0", "a1"}
    await scanned.accepted(at_risk(27, f', regionCode: "{EMPTY_VILLAGE}"'))
    # A region outside the officer's area does not make it cheaper (nothing is read
    # outside the area, but it is priced as the area).
    await scanned.refused(at_risk(27, ', regionCode: "141024"'))


async def test_with_the_stored_bottom_line_the_area_filter_is_priced_as_sql(
    scanned: Scanned,
) -> None:
    """Once the verdicts are stored (a whole rebuild records the rules), the at-risk filter
    is one SQL condition over the area's rows (0.1 a person, like a substring search), and
    the document refused above runs; with the rules unrecorded it is priced as judging."""
    from bangfu.core.bottomline import stored

    h = scanned.h
    await stored.rebuild(h.services.sessions, h.host, h.settings)
    data = await scanned.accepted(at_risk(27))
    assert {name for name in data if name.startswith("a")} == {f"a{i}" for i in range(27)}
    await scanned.accepted(
        '{ s1: bottomLineSummary(regionCode: "141023") { persons } '
        's2: bottomLineSummary(regionCode: "141023") { persons } }'
    )


async def test_the_count_of_an_area_filter_reads_the_area_again(scanned: Scanned) -> None:
    # 25 × 8 persons = 200 a read: five aliases cost 1,000, or 2,000 with their counts.
    await scanned.accepted(at_risk(5, selection="totalCount"))
    await scanned.accepted(at_risk(6))
    await scanned.refused(at_risk(6, selection="totalCount"))


async def test_scans_are_priced_through_variables_fragments_and_pages(scanned: Scanned) -> None:
    # A filter in a variable.
    query = "query($f: PersonFilter) { probeHits " + " ".join(
        f"a{i}: persons(first: 1, filter: $f) {{ totalCount }}" for i in range(6)
    )
    await scanned.refused(query + " }", {"f": {"atRisk": "FOOD"}})
    cheap = await scanned.accepted(query + " }", {"f": {"search": "户主"}})
    assert cheap["a0"] == {"totalCount": PERSONS}
    # A field that judges its whole region (bottomLineSummary), through a fragment: 200
    # each, eleven of them are over the budget.
    summaries = " ".join(
        f's{i}: bottomLineSummary(regionCode: "141023") {{ persons }}' for i in range(11)
    )
    await scanned.refused(f"{{ probeHits ...Many }} fragment Many on Query {{ {summaries} }}")
    # A field judged for each person of a page (bottomLine), multiplied by the page.
    await scanned.refused("{ probeHits persons(first: 100) { nodes { bottomLine { atRisk } } } }")
    await scanned.accepted("{ persons(first: 50) { nodes { bottomLine { atRisk } } } }")


async def test_an_unpriced_filter_stops_the_service_at_start() -> None:
    class Unpriced:
        @hookimpl
        def bangfu_plugin_info(self) -> PluginInfo:
            return PluginInfo(name="probe", title="An unpriced filter", version="0")

        @hookimpl
        def bangfu_graphql_query_types(self) -> list[type]:
            @strawberry.type
            class ProbeQuery:
                @strawberry.field(extensions=requires("registry:read"))
                def probe_things(
                    self,
                    first: int,
                    kind: str | None = None,
                    day: Annotated[str | None, strawberry.argument(metadata=INDEXED)] = None,
                ) -> int:
                    return 0

            return [ProbeQuery]

    host = PluginHost(get_plugin_manager(entry_points=False, plugins=[Unpriced()]))
    with pytest.raises(MissingScanCostError, match=r"missing: Query\.probeThings\(kind\)$"):
        build_schema(host)


# --- bounds on concurrent work ----------------------------------------------------------


@pytest.fixture
async def bounded(tmp_path: Path, database_url: str | None) -> AsyncIterator[Scanned]:
    """A pool of two connections, and one costly request per officer."""
    settings = {
        "database_pool_size": 2,
        "database_max_overflow": 0,
        "database_pool_timeout_seconds": 2,
        "max_expensive_per_actor": 1,
        "expensive_lane_wait_seconds": 0,
    }
    async for value in bounds(tmp_path, database_url, settings):
        yield value


async def bounds(
    tmp_path: Path, database_url: str | None, settings: dict[str, Any]
) -> AsyncIterator[Scanned]:
    probe = ProbePlugin()
    async with Harness.start(
        tmp_path, database_url=database_url, extra_plugins=[probe], settings=settings
    ) as h:
        yield Scanned(await make_world(h), probe)


async def settled(tasks: list["asyncio.Task[httpx.Response]"], count: int) -> list[Any]:
    """The first ``count`` of ``tasks`` to finish (a few seconds at most: they are answered
    at once, or the bound does not hold and the test fails here rather than hanging)."""
    done: set[asyncio.Task[httpx.Response]] = set()
    pending = set(tasks)
    while len(done) < count and pending:
        finished, pending = await asyncio.wait(
            pending, timeout=10, return_when=asyncio.FIRST_COMPLETED
        )
        if not finished:
            break
        done |= finished
    assert len(done) == count, f"{len(done)} of {len(tasks)} answered, {count} expected"
    return [task.result() for task in done]


def too_many(response: httpx.Response) -> str:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"].isdigit()
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "TOO_MANY_REQUESTS"
    return str(error["message"])


async def test_costly_requests_of_one_officer_leave_room_for_others(bounded: Scanned) -> None:
    h, world, probe = bounded.h, bounded.world, bounded.probe
    tasks = [asyncio.create_task(h.post("{ probeHold }", token=world.xiangfen)) for _ in range(5)]
    await asyncio.wait_for(probe.entered.wait(), 10)
    # One runs, holding a database connection; the four others are refused at once.
    refused = await settled(tasks, 4)
    for response in refused:
        assert "costly requests running already" in too_many(response)
    # Meanwhile another user is answered: the officer holds one connection of two.
    me = await h.post("{ me { username } }", token=world.hongtong)
    assert (me.status_code, me.json()) == (200, {"data": {"me": {"username": "hongtong"}}})
    probe.release.set()
    (held,) = [task for task in tasks if not task.done()]
    assert (await held).json() == {"data": {"probeHold": 1}}
    assert h.engine.pool.checkedout() == 0


async def test_requests_of_one_actor_are_bounded_whatever_their_cost(
    tmp_path: Path, database_url: str | None
) -> None:
    async for bounded in bounds(tmp_path, database_url, {"max_requests_per_actor": 2}):
        await requests_of_one_actor_are_bounded(bounded)


async def requests_of_one_actor_are_bounded(bounded: Scanned) -> None:
    h, world, probe = bounded.h, bounded.world, bounded.probe
    waiting = [asyncio.create_task(h.post("{ probeWait }", token=world.xiangfen)) for _ in range(2)]
    await asyncio.wait_for(probe.inside_at_least(2), 10)
    third = await h.post("{ me { username } }", token=world.xiangfen)
    assert "2 requests running already" in too_many(third)
    other = await h.post("{ me { username } }", token=world.hongtong)
    assert other.json() == {"data": {"me": {"username": "hongtong"}}}
    probe.release.set()
    assert [(await task).status_code for task in waiting] == [200, 200]
    again = await h.post("{ me { username } }", token=world.xiangfen)
    assert again.json() == {"data": {"me": {"username": "xiangfen"}}}


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({"max_expensive_per_address": 1}, "costly requests from your address"),
        ({"expensive_lane_size": 1, "expensive_lane_wait_seconds": 0}, "busy with other"),
    ],
)
async def test_costly_requests_are_bounded_per_address_and_in_all(
    tmp_path: Path, settings: dict[str, Any], refusal: str
) -> None:
    async for bounded in bounds(tmp_path, None, settings):
        h, world, probe = bounded.h, bounded.world, bounded.probe
        held = asyncio.create_task(h.post("{ probeHold }", token=world.xiangfen))
        await asyncio.wait_for(probe.entered.wait(), 10)
        # Another officer, from the same address (the test client's).
        other = await h.post("{ probeHold }", token=world.hongtong)
        assert refusal in too_many(other)
        cheap = await h.post("{ me { username } }", token=world.hongtong)
        assert cheap.json() == {"data": {"me": {"username": "hongtong"}}}
        probe.release.set()
        assert (await held).status_code == 200
