"""`bangfu demo` includes the care work: a campaign, plans, pairings with five knowns
(some stale), and open, overdue and answered events."""

import pytest

from bangfu.core.security import Role
from bangfu.core.security.models import User
from bangfu.demo import create_demo_users, load_demo
from bangfu.testing import Harness
from tests.helpers import token_of

pytestmark = pytest.mark.anyio


async def test_demo_has_the_care_work(harness: Harness) -> None:
    async with harness.session() as session, session.begin():
        await create_demo_users(session)
        await load_demo(session, harness.cipher, harness.host, households=300, seed=11)
    admin = await harness.actor("care-admin", roles=[Role.CITY_ADMINISTRATOR])
    data = await harness.ok(
        """{
          screeningCampaigns(first: 5) { nodes { name totals { targets visited notFound refused
            notYetVisited } coverage(level: COUNTY) { region { code } targets } } }
          assistancePlans(first: 100) { totalCount nodes { measures { status fundingSource allocated } } }
          unansweredKeyProblems(first: 1) { totalCount }
          pairings(first: 100) { totalCount nodes { fiveKnowns { completeness staleItems } } }
          overloaded: pairedOfficials(first: 10, overloadedOnly: true) { nodes { official { displayName } pairedCount } }
          unpairedPersons(first: 1) { totalCount }
          careEventCounts { dueState count }
          careEscalation { overdue }
          donations(first: 5) { nodes { amount allocated remaining } }
        }""",
        token=admin,
    )
    campaign = data["screeningCampaigns"]["nodes"][0]
    totals = campaign["totals"]
    assert totals["targets"] >= 150
    assert (
        min(totals["visited"], totals["notFound"], totals["refused"], totals["notYetVisited"]) > 0
    )
    assert sum(row["targets"] for row in campaign["coverage"]) == totals["targets"]
    plans = data["assistancePlans"]
    assert plans["totalCount"] > 0
    statuses = {m["status"] for p in plans["nodes"] for m in p["measures"]}
    assert {"PLANNED", "UNDER_WAY", "DONE"} <= statuses
    assert data["unansweredKeyProblems"]["totalCount"] > 0
    pairings = data["pairings"]["nodes"]
    assert data["pairings"]["totalCount"] > 20
    assert any(p["fiveKnowns"]["staleItems"] for p in pairings)
    assert any(p["fiveKnowns"]["completeness"] == 1.0 for p in pairings)
    assert data["overloaded"]["nodes"][0]["pairedCount"] > 5
    assert data["unpairedPersons"]["totalCount"] > 0
    counts = {c["dueState"]: c["count"] for c in data["careEventCounts"]}
    assert all(counts[state] > 0 for state in ("NOT_DUE", "OVERDUE", "ANSWERED_ON_TIME"))
    assert counts["DUE_SOON"] + counts["ANSWERED_LATE"] > 0
    assert data["careEscalation"][0]["overdue"] > 0
    assert any(d["allocated"] != "0.00" for d in data["donations"]["nodes"])

    # The demo login of a paired official sees their seven persons and their open events.
    token = await _login(harness, "paired")
    mine = await harness.ok(
        "{ pairings(first: 20) { totalCount } myCareEvents(first: 20) { nodes { dueState } } "
        "persons(first: 20) { totalCount } "
        "myNotifications(first: 50) { nodes { reason state subject { id } } } }",
        token=token,
    )
    # The demo login was told of its seven pairings (read) and of its persons' open events.
    told = mine["myNotifications"]["nodes"]
    assert [n["state"] for n in told if n["reason"] == "PAIRING_STARTED"] == ["READ"] * 7
    assert all(n["subject"] is not None for n in told)
    # The county's civil-affairs officer was told of the overdue events (escalations).
    office = await harness.ok(
        "{ myNotifications(first: 50) { totalCount nodes { reason state } } }",
        token=await _login(harness, "xiangfen"),
    )
    assert office["myNotifications"]["totalCount"] > 0
    assert {n["state"] for n in office["myNotifications"]["nodes"]} == {"DELIVERED"}
    assert "ESCALATION" in {n["reason"] for n in office["myNotifications"]["nodes"]}
    assert mine["pairings"]["totalCount"] == mine["persons"]["totalCount"] == 7
    assert {e["dueState"] for e in mine["myCareEvents"]["nodes"]} <= {
        "NOT_DUE",
        "DUE_SOON",
        "OVERDUE",
    }


async def _login(harness: Harness, username: str) -> str:
    """A bearer token of a demo user outside demo mode."""
    return await token_of(harness, User.username == username)
