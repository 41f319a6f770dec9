"""The demo rows are plausible: most adults work, some seek work for months, a few hold
public-welfare posts; the history is consistent and obeys the plugin's own rules."""

import collections
import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from bangfu.core.bottomline import Indicator, Status
from bangfu.core.calendar import age_on, today
from bangfu.core.registry.models import Person
from bangfu.demo import load_demo
from bangfu.plugins.employment.models import (
    WORKING,
    JobPlacement,
    PublicWelfarePost,
    Training,
    WorkStatus,
    WorkStatusRecord,
)
from bangfu.plugins.employment.service import AT_WORK_OR_LOOKING
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio


async def test_demo_data_is_plausible_and_consistent(employment_only: Harness) -> None:
    h, day = employment_only, today()
    async with h.session() as session, session.begin():
        await load_demo(session, h.cipher, h.host, households=300, seed=11)
    async with h.session() as session:
        persons = {p.id: p for p in await session.scalars(select(Person))}
        statuses = list(
            await session.scalars(
                select(WorkStatusRecord).order_by(
                    WorkStatusRecord.person_id, WorkStatusRecord.since
                )
            )
        )
        trainings = list(await session.scalars(select(Training)))
        placements = list(await session.scalars(select(JobPlacement)))
        posts = list(await session.scalars(select(PublicWelfarePost)))

    history = collections.defaultdict(list)
    for status in statuses:
        history[status.person_id].append(status)
    adults = {pid for pid, p in persons.items() if age_on(p.birth_date, day) >= 16}
    assert set(history) == adults  # every adult has a status, no child has one
    for pid, records in history.items():
        assert [r.until for r in records][-1] is None  # one current status, the last
        for earlier, later in itertools.pairwise(records):
            assert earlier.until == later.since - dt.timedelta(days=1)
        for record in records:
            assert record.since <= day
            if record.status in AT_WORK_OR_LOOKING:
                assert age_on(persons[pid].birth_date, record.since) >= 16

    current = {pid: records[-1] for pid, records in history.items()}
    working_age = [s for pid, s in current.items() if age_on(persons[pid].birth_date, day) < 60]
    able = [
        s for s in working_age if s.status not in (WorkStatus.STUDENT, WorkStatus.UNABLE_TO_WORK)
    ]
    working = [s for s in able if s.status in WORKING]
    seeking = [s for s in able if s.status is WorkStatus.SEEKING_WORK]
    assert len(working) > 0.7 * len(able)  # most adults work
    assert 0.05 * len(able) < len(seeking) < 0.25 * len(able)
    assert any((day - s.since).days > 90 for s in seeking)  # some for months
    assert any((day - s.since).days <= 90 for s in seeking)
    assert any(s.status is WorkStatus.IN_TRAINING for s in able)
    assert any(s.status is WorkStatus.UNABLE_TO_WORK and s.unable_reason for s in working_age)

    assert any(t.completed for t in trainings) and any(not t.completed for t in trainings)
    assert placements and all(p.monthly_wage > 0 for p in placements)
    assert 0 < len(posts) < 0.15 * len(able)  # a few welfare posts
    for rows in (trainings, placements, posts):  # no overlaps, as the mutations demand
        by_person = collections.defaultdict(list)
        for row in rows:
            by_person[row.person_id].append(row)
        assert all(len(v) == 1 for v in by_person.values())

    # The indicators find people at risk and people fine.
    async with h.session() as session:
        findings = await h.host.bottom_line(list(persons.values()), session, day)
    work = collections.Counter(f.status for f in findings if f.indicator is Indicator.WORK)
    assert work[Status.OK] > work[Status.AT_RISK] > 0
    assert work[Status.NOT_APPLICABLE] > 0
