"""Person.education costs the same number of statements for 100 households' members as for
10 households' (demo households list their heads first, so persons(first:) would show
adults only)."""

import pytest

from bangfu.core.calendar import today
from bangfu.core.security import Role
from bangfu.demo import load_demo
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

HOUSEHOLDS = """query($first: Int!) { households(first: $first) { nodes { members { person {
  name education {
    currentEnrolment { schoolName stage status schoolRegion { name } person { id } }
    history { schoolName status startDate endDate }
    unaccountedFor
    aidThisSchoolYear { kind amount grantingOrganisation { name } }
    aidTotalThisSchoolYear } } } } } }"""
ENROLMENTS = """query($first: Int!) { educationEnrolments(first: $first) { totalCount nodes {
  schoolName schoolRegion { name } person { ... on Person { name } } } } }"""


async def test_statements_do_not_grow_with_the_page(harness: Harness) -> None:
    h = harness
    async with h.session() as session, session.begin():
        await load_demo(session, h.cipher, h.host, households=120, seed=7, today=today())
    token = await h.actor("edu", roles=[Role.DEPARTMENT_OFFICER], department="education")
    for query in (HOUSEHOLDS, ENROLMENTS):
        counts = {}
        for first in (10, 100):
            with h.count_statements() as counter:
                data = await h.ok(query, {"first": first}, token=token)
            (connection,) = data.values()
            assert len(connection["nodes"]) == first
            counts[first] = counter.count
        assert counts[10] == counts[100], counts
        # One per relation level: token, page, then a batch per loader (9 and 5 today).
        assert counts[100] <= 10, counts
    # The page really has schooling and aid to load.
    data = await h.ok(HOUSEHOLDS, {"first": 100}, token=token)
    educations = [
        m["person"]["education"] for n in data["households"]["nodes"] for m in n["members"]
    ]
    assert len(educations) > 100
    assert any(e["currentEnrolment"] for e in educations)
    assert any(len(e["history"]) > 1 for e in educations)
    assert any(e["aidThisSchoolYear"] for e in educations)
