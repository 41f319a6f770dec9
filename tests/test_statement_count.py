"""Statements per request depend on the query's shape, never on the page size."""

import datetime as dt

import pytest

from bangfu.core.security import Role
from bangfu.demo import load_demo
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

HOUSEHOLDS_PAGE = """
query($first: Int!) {
  households(first: $first) {
    totalCount
    nodes {
      id address region { name }
      housing { latestAppraisal { grade } dangerous }
      head { name }
      members {
        relation
        person {
          id name idNumber age sex
          categories { category monthlyAllowance certifyingOrganisation { name } }
          education { currentEnrolment { schoolName stage status } }
          medical { insuredThisYear insurance { year } }
          employment { currentStatus { status } }
        }
      }
    }
  }
}"""

PERSONS_PAGE = """
query($first: Int!) {
  persons(first: $first) {
    nodes {
      name household { id } relationToHead guardian { name }
      education { currentEnrolment { schoolName } }
      employment { currentStatus { status } }
      medical { insuredThisYear }
    }
  }
}"""


async def test_statement_count_is_constant_in_the_page_size(harness: Harness) -> None:
    h = harness
    async with h.session() as session, session.begin():
        await load_demo(
            session, h.cipher, h.host, households=120, seed=7, today=dt.date(2026, 11, 28)
        )
    token = await h.actor("city", roles=[Role.CITY_ADMINISTRATOR], region="141000")

    counts = {}
    for first in (10, 100):
        with h.count_statements() as counter:
            data = await h.ok(HOUSEHOLDS_PAGE, {"first": first}, token=token)
        assert len(data["households"]["nodes"]) == first
        counts[first] = counter.count
    assert counts[10] == counts[100]
    # One per relation level, not per row: token, page, count, and a handful of batches.
    assert counts[100] <= 16

    person_counts = {}
    for first in (10, 100):
        with h.count_statements() as counter:
            data = await h.ok(PERSONS_PAGE, {"first": first}, token=token)
        assert len(data["persons"]["nodes"]) == first
        person_counts[first] = counter.count
    assert person_counts[10] == person_counts[100]
