"""Timing helpers: the served apps under uvicorn on loopback, latencies, load, memory."""

import asyncio
import contextlib
import dataclasses
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.server import STATEMENTS_PATH

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only: the benchmark never listens on another interface


@dataclasses.dataclass
class Latency:
    median_ms: float
    p95_ms: float
    samples: int = 0

    @classmethod
    def of(cls, seconds: list[float]) -> "Latency":
        ordered = sorted(seconds)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return cls(statistics.median(ordered) * 1000, p95 * 1000, len(ordered))


Call = Callable[[], Awaitable[Any]]


async def interleaved(
    calls: dict[str, Call], warmup: int, count: int, budget: float | None = None
) -> tuple[dict[str, Latency], dict[str, str]]:
    """Each side's latency, timed in one loop: rounds of one call per side, each call timed
    alone, so that every side sees the same load of the machine. The order turns by one
    each round (A B C, B C A, C A B), so that no side always comes first or always follows
    the same one. ``warmup`` untimed rounds first, then ``count`` timed rounds; with
    ``budget`` (seconds), a slow query stops early: the warm-up after a quarter of it, the
    timed rounds once it is spent and at least three were made. A side whose call raises
    ``RuntimeError`` (an HTTP error status) leaves the loop: its message is returned
    instead of a latency."""
    order = list(calls)
    seconds: dict[str, list[float]] = {name: [] for name in order}
    failed: dict[str, str] = {}

    async def one_round(number: int, timing: bool) -> None:
        turn = number % len(order)
        for name in order[turn:] + order[:turn]:
            if name in failed:
                continue
            began = time.perf_counter()
            try:
                await calls[name]()
            except RuntimeError as error:
                failed[name] = str(error)[:120]
                continue
            if timing:
                seconds[name].append(time.perf_counter() - began)

    started = time.perf_counter()
    for number in range(warmup):
        await one_round(number, timing=False)
        if budget is not None and time.perf_counter() - started > budget / 4:
            break
    started = time.perf_counter()
    for number in range(count):
        await one_round(number, timing=True)
        if budget is not None and number >= 2 and time.perf_counter() - started > budget:
            break
    latencies = {
        name: Latency.of(taken) for name, taken in seconds.items() if taken and name not in failed
    }
    return latencies, failed


async def timed(call: Call, warmup: int, count: int, budget: float | None = None) -> Latency:
    """One side alone: ``warmup`` calls, then ``count`` timed calls (see :func:`interleaved`)."""
    latencies, failed = await interleaved({"call": call}, warmup, count, budget)
    if failed:
        raise RuntimeError(failed["call"])
    return latencies["call"]


SERVICE_APP = "bench.server:create_app"
BOUND_APP = "bench.bound_server:create_app"


class Server:
    """An app factory (the service by default, or :data:`BOUND_APP`) under uvicorn with
    ``workers`` processes, on 127.0.0.1; ``env`` is added to this process's environment."""

    def __init__(
        self, env: dict[str, str], port: int, workers: int, app: str = SERVICE_APP
    ) -> None:
        self.env, self.port, self.workers, self.app = env, port, workers, app
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://{HOST}:{port}"

    @contextlib.asynccontextmanager
    async def running(self, start_within: float = 120) -> AsyncIterator["Server"]:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            self.app,
            "--factory",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        # Popen returns at once: the server starts while we poll /readyz.
        self.process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: ASYNC220
        try:
            await self._wait_ready(start_within)
            yield self
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    async def _wait_ready(self, start_within: float) -> None:
        deadline = time.monotonic() + start_within
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.process.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        if self.workers == 1 or len(self._processes()) > self.workers:
                            return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the server did not start within {start_within:.0f} s")

    def _processes(self) -> list[int]:
        """The uvicorn process and every process below it."""
        assert self.process is not None
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                queue.extend(int(child) for child in task.read_text().split())
        return found

    def peak_memory_mb(self) -> float:
        """The largest peak resident set (VmHWM) of the server's processes, in MB."""
        return self._largest("VmHWM:")

    def memory_mb(self) -> float:
        """The largest resident set now (VmRSS) of the server's processes, in MB."""
        return self._largest("VmRSS:")

    def _largest(self, field: str) -> float:
        largest = 0
        for pid in self._processes():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(field):
                        largest = max(largest, int(line.split()[1]))
        return largest / 1024

    async def statements(self, client: httpx.AsyncClient) -> int:
        return int((await client.get(f"{self.url}{STATEMENTS_PATH}")).json()["statements"])


class GraphQLClient:
    """POSTs GraphQL requests (``{"query", "variables"}``, the bearer token) to ``url`` +
    ``path``: the service's ``/graphql``, or a lower bound's ``/bound/<kind>``."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        token: str | None = None,
        path: str = "/graphql",
    ) -> None:
        self.client, self.url, self.token = client, f"{url}{path}", token

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> bytes:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.client.post(
            self.url, json={"query": query, "variables": variables or {}}, headers=headers
        )
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
        return response.content


async def load(calls: Sequence[Call], concurrency: int, seconds: float) -> tuple[float, int]:
    """Requests per second, and how many failed (the server's 30-second limit, say):
    ``concurrency`` clients cycling through ``calls`` for ``seconds``."""
    done, failed, elapsed = await _load(calls, concurrency, seconds)
    return done / elapsed, failed


async def alternating_load(
    calls: Mapping[str, Sequence[Call]],
    concurrency: int,
    seconds: float,
    turn: float = 4.0,
    warmed: Callable[[], None] | None = None,
) -> dict[str, tuple[float, int]]:
    """:func:`load` of each side for ``seconds`` in all, in turns of about ``turn`` seconds
    taken in the order A B, B A, A B, ..., so that the sides' throughputs are measured over
    the same stretch of time, as their latencies are in :func:`interleaved`. ``warmed`` is
    called once a fifth of the turns are done (each side warmed up under the load)."""
    turns = max(1, round(seconds / turn))
    totals = {name: [0, 0, 0.0] for name in calls}
    order = list(calls)
    for turn in range(turns):
        if warmed is not None and turn == max(1, turns // 5) and turns > 1:
            warmed()
        for name in order if turn % 2 == 0 else order[::-1]:
            done, failed, elapsed = await _load(calls[name], concurrency, seconds / turns)
            totals[name][0] += done
            totals[name][1] += failed
            totals[name][2] += elapsed
    return {name: (done / elapsed, int(failed)) for name, (done, failed, elapsed) in totals.items()}


async def _load(calls: Sequence[Call], concurrency: int, seconds: float) -> tuple[int, int, float]:
    done = failed = 0
    deadline = time.monotonic() + seconds

    async def worker(offset: int) -> None:
        nonlocal done, failed
        index = offset
        while time.monotonic() < deadline:
            try:
                await calls[index % len(calls)]()
                done += 1
            except RuntimeError:  # an HTTP error status: counted, not fatal
                failed += 1
            index += 1

    started = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return done, failed, time.monotonic() - started
