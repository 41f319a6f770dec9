"""``Person.employment`` for 100 persons costs the statements it costs for 10."""

import datetime as dt

import pytest

from bangfu.core.security import Role
from bangfu.demo import load_demo
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

PERSONS = """
query($first: Int!) {
  persons(first: $first) {
    nodes {
      name
      employment {
        currentStatus { status employer monthlyIncome since until unableToWork { reason } }
        history { status since until }
        trainings { course completed }
        placements { employer monthlyWage }
        currentPlacement { employer }
        welfarePosts { post monthlySubsidy }
        currentWelfarePost { post }
      }
    }
  }
}"""


async def test_person_employment_costs_the_same_for_10_and_100_persons(
    employment_only: Harness,
) -> None:
    h = employment_only
    async with h.session() as session, session.begin():
        await load_demo(
            session, h.cipher, h.host, households=120, seed=7, today=dt.date(2026, 11, 28)
        )
    token = await h.actor("hrss", roles=[Role.DEPARTMENT_OFFICER], department="employment")

    counts = {}
    for first in (10, 100):
        with h.count_statements() as counter:
            data = await h.ok(PERSONS, {"first": first}, token=token)
        nodes = data["persons"]["nodes"]
        assert len(nodes) == first
        counts[first] = counter.count
    assert any(n["employment"]["history"] for n in nodes)
    assert any(n["employment"]["trainings"] for n in nodes)
    assert counts[10] == counts[100]
    # Compiled (the default): the token and the page's one statement. Uncompiled: the
    # token, the page and one statement per loader used (five). Whatever the page.
    assert counts[100] <= (2 if h.settings.compiled else 7)
