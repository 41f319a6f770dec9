"""Demo data: most school-age children at school, a few dropouts, aid this school year."""

import collections

import pytest
from sqlalchemy import select

from bangfu.core.bottomline import Indicator, Status
from bangfu.core.calendar import age_on, today
from bangfu.core.registry.models import Person
from bangfu.demo import load_demo
from bangfu.plugins.education.models import EducationAid, Enrolment, EnrolmentStatus, FundingSource
from bangfu.plugins.education.rules import at_school, in_effect, of_compulsory_age, school_year
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio


async def test_demo_schooling_and_aid_are_realistic(harness: Harness) -> None:
    h = harness
    day = today()
    async with h.session() as session, session.begin():
        await load_demo(session, h.cipher, h.host, households=400, seed=11, today=day)
    async with h.session() as session:
        persons = list((await session.scalars(select(Person))).all())
        periods = collections.defaultdict(list)
        for period in await session.scalars(select(Enrolment)):
            periods[period.person_id].append(period)
        aid = list((await session.scalars(select(EducationAid))).all())
        findings = await h.host.bottom_line(persons, session, day)

    school_age = [p for p in persons if of_compulsory_age(p.birth_date, day)]
    at_school_now = [
        p for p in school_age if any(at_school(e) and in_effect(e, day) for e in periods[p.id])
    ]
    assert len(school_age) > 50
    assert 0.9 < len(at_school_now) / len(school_age) < 1  # most, not all
    dropouts = [e for es in periods.values() for e in es if e.status is EnrolmentStatus.DROPPED_OUT]
    assert dropouts and all(e.end_date is not None and e.end_reason for e in dropouts)
    assert any(e.status is EnrolmentStatus.GRADUATED for es in periods.values() for e in es)
    assert all(e.stage is not None for es in periods.values() for e in es)
    first_day, _ = school_year(day)
    assert aid and all(first_day <= a.granted_on <= day for a in aid)
    assert {a.funding_source for a in aid} == set(FundingSource)
    assert all(
        age_on(p.birth_date, day) < 18 for p in persons if p.id in {a.person_id for a in aid}
    )

    statuses = collections.Counter(
        (f.indicator, f.status) for f in findings if f.module == "education"
    )
    assert (
        statuses[(Indicator.SCHOOL, Status.OK)] > statuses[(Indicator.SCHOOL, Status.AT_RISK)] > 0
    )
    assert (
        statuses[(Indicator.GOOD_SCHOOL, Status.OK)]
        > statuses[(Indicator.GOOD_SCHOOL, Status.AT_RISK)]
        > 0
    )
