"""Scheduled and background work (DESIGN.md §7), run by Huey, an existing job library.

A *job* is an async function of a :class:`JobContext` with a name, retries and, for a
periodic job, a :class:`Schedule`. Core lists its jobs in :func:`core_jobs`; a
:class:`JobRegistry` collects them (and, later, plugins' jobs) and
:mod:`bangfu.core.jobs.queue` turns them into Huey tasks. ``bangfu worker`` runs them;
every run is recorded in ``core_job_run`` (``bangfu jobs runs``).

Adding a daily job (e.g. a refresh)::

    REFRESH = Job(name="bottomline.refresh", run=refresh, schedule=Daily(dt.time(2, 0)))

and one line in :func:`core_jobs`. ``run`` returns a short summary for the record of runs
(``"re-judged 120 persons"``) or None; it never returns or raises personal data in a
message: an error is recorded by its class name only, unless it is a :class:`JobFailure`
whose message the job wrote for operators.
"""

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bangfu.core.calendar import CHINA
from bangfu.core.config import Settings

if TYPE_CHECKING:
    from bangfu.core.plugins import PluginHost

__all__ = [
    "Daily",
    "Every",
    "Job",
    "JobContext",
    "JobFailure",
    "JobFunction",
    "JobRegistry",
    "Schedule",
    "core_jobs",
    "default_registry",
]


#: A job's ``run``: ``async def run(context: JobContext, **kwargs) -> str | None``.
JobFunction = Callable[..., Coroutine[Any, Any, str | None]]


class JobFailure(Exception):
    """A failure a job explains to operators: its message is recorded as it is, so it
    must hold no personal data. Any other exception is recorded by its class name only."""


class Schedule(Protocol):
    """When a periodic job is due: :meth:`period` names the period ``now`` falls in, or
    is None when the job is not due at ``now``. Each period's job runs once, whichever
    worker claims the period first."""

    def period(self, now: dt.datetime) -> str | None: ...

    def describe(self) -> str: ...


@dataclasses.dataclass(frozen=True)
class Daily:
    """Once a day (Asia/Shanghai), at the first check at or after ``at``: a worker that
    was down at that time runs the job when it is back, the same day."""

    at: dt.time = dt.time(0, 0)

    def period(self, now: dt.datetime) -> str | None:
        local = now.astimezone(CHINA)
        return local.date().isoformat() if local.time() >= self.at else None

    def describe(self) -> str:
        return f"daily from {self.at.strftime('%H:%M')} Asia/Shanghai"


@dataclasses.dataclass(frozen=True)
class Every:
    """Once in every ``seconds`` (counted from the epoch): for short periods, e.g. tests.
    Workers check what is due every ``BANGFU_JOBS_CHECK_SECONDS``."""

    seconds: int

    def __post_init__(self) -> None:
        if self.seconds < 1:
            raise ValueError("a period is at least one second")

    def period(self, now: dt.datetime) -> str:
        start = int(now.timestamp()) // self.seconds * self.seconds
        return dt.datetime.fromtimestamp(start, dt.UTC).isoformat(timespec="seconds")

    def describe(self) -> str:
        return f"every {self.seconds} s"


@dataclasses.dataclass
class JobContext:
    """What a running job gets: the settings, sessions on Bangfu's database, which
    period (periodic jobs) and which attempt (1 is the first) this is, and the plugin
    host (``host``; :meth:`plugins` builds the enabled plugins' when none was given)."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    period: str | None = None
    attempt: int = 1
    host: "PluginHost | None" = None

    def plugins(self) -> "PluginHost":
        """The plugin host: the one given, else the enabled plugins' (``BANGFU_PLUGINS``),
        built once per process and settings."""
        if self.host is None:
            enabled = self.settings.enabled_plugins
            self.host = _default_host(None if enabled is None else tuple(enabled))
        return self.host


@functools.cache
def _default_host(enabled: tuple[str, ...] | None) -> "PluginHost":
    from bangfu.core.plugins import PluginHost, get_plugin_manager

    return PluginHost(get_plugin_manager(entry_points=True if enabled is None else enabled))


@dataclasses.dataclass(frozen=True)
class Job:
    """A named job. ``name`` is also its name in the record of runs and on the command
    line (``bangfu jobs enqueue NAME``): letters, digits, ``.``, ``_`` and ``-``.
    A failed run is tried again ``retries`` times, ``retry_delay`` seconds apart."""

    name: str
    run: JobFunction
    schedule: Schedule | None = None
    retries: int = 3
    retry_delay: float = 60
    description: str = ""

    def __post_init__(self) -> None:
        allowed = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        if not self.name or not set(self.name) <= allowed or len(self.name) > 100:
            raise ValueError(f"job name {self.name!r}: lower-case letters, digits, . _ -")
        if self.retries < 0 or self.retry_delay < 0:
            raise ValueError("retries and retry_delay are not negative")


class JobRegistry:
    """The jobs a worker runs, by name. Adding a second job of the same name is refused."""

    def __init__(self, jobs: "list[Job] | tuple[Job, ...]" = ()) -> None:
        self._jobs: dict[str, Job] = {}
        for job in jobs:
            self.add(job)

    def add(self, job: Job) -> Job:
        if job.name in self._jobs:
            raise ValueError(f"a job named {job.name!r} is registered already")
        self._jobs[job.name] = job
        return job

    def job(
        self,
        name: str,
        *,
        schedule: Schedule | None = None,
        retries: int = 3,
        retry_delay: float = 60,
        description: str = "",
    ) -> Callable[[JobFunction], JobFunction]:
        """Decorator form of :meth:`add`."""

        def register(
            run: JobFunction,
        ) -> JobFunction:
            self.add(Job(name, run, schedule, retries, retry_delay, description))
            return run

        return register

    def __getitem__(self, name: str) -> Job:
        return self._jobs[name]

    def __contains__(self, name: object) -> bool:
        return name in self._jobs

    def __iter__(self) -> Iterator[Job]:
        return iter(self._jobs.values())

    def __len__(self) -> int:
        return len(self._jobs)


def core_jobs() -> list[Job]:
    """Core's jobs. A core module with a job adds it here."""
    from bangfu.core.bottomline.jobs import COMPACT_TALLY, REFRESH
    from bangfu.core.care.jobs import HOLIDAY_EVENTS
    from bangfu.core.notify.jobs import CARE_REMINDERS, DELIVER
    from bangfu.core.webhooks.delivery import DELIVER as DELIVER_WEBHOOKS

    return [REFRESH, COMPACT_TALLY, HOLIDAY_EVENTS, CARE_REMINDERS, DELIVER, DELIVER_WEBHOOKS]


def default_registry(extra: "list[Job] | tuple[Job, ...]" = ()) -> JobRegistry:
    """Core's jobs and ``extra`` (plugins' jobs, once a hook provides them)."""
    return JobRegistry([*core_jobs(), *extra])
