"""Social donations (社会捐助, R4): exact amounts, restrictions, an atomic ledger."""

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.care.donation_models import Donation, DonationAllocation
from bangfu.core.registry.models import Category
from bangfu.core.security import Role
from tests.helpers import HONGTONG_VILLAGE, World
from tests.test_care_helpers import family, organisation_gid

pytestmark = pytest.mark.anyio

RECORD = """
mutation($input: DonationRecordInput!) {
  donationRecord(input: $input) {
    donation { id donor amount allocated remaining region { code } category domain }
    errors { field code }
  }
}"""

ALLOCATE = """
mutation($input: DonationAllocateInput!) {
  donationAllocate(input: $input) {
    allocation { amount measure { id allocated } }
    donation { allocated remaining }
    errors { field message code }
  }
}"""

ADD = """
mutation($input: AssistanceMeasureAddInput!) {
  assistanceMeasureAdd(input: $input) { measure { id } errors { code } }
}"""


async def donation(world: World, amount: str, **extra: Any) -> dict[str, Any]:
    payload = {
        "donor": "临汾市慈善总会",
        "amount": amount,
        "receivedOn": today().isoformat(),
        **extra,
    }
    data = await world.h.ok(RECORD, {"input": payload}, token=world.xiangfen)
    return data["donationRecord"]  # type: ignore[no-any-return]


async def measure(world: World, household: str, token: str | None = None, **extra: Any) -> str:
    payload = {
        "householdId": household,
        "domain": "LIVING",
        "description": "冬季取暖补助",
        "problemIds": [],
        "responsibleOrganisationId": await organisation_gid(world.h, "141023-civil-affairs"),
        "deadline": (today() + dt.timedelta(days=30)).isoformat(),
        "fundingSource": "SOCIAL_DONATION",
        **extra,
    }
    data = await world.h.ok(ADD, {"input": payload}, token=token or world.xiangfen)
    assert data["assistanceMeasureAdd"]["errors"] == []
    return data["assistanceMeasureAdd"]["measure"]["id"]  # type: ignore[no-any-return]


async def allocate(world: World, donation_id: str, measure_id: str, amount: str) -> dict[str, Any]:
    data = await world.h.ok(
        ALLOCATE,
        {"input": {"donationId": donation_id, "measureId": measure_id, "amount": amount}},
        token=world.xiangfen,
    )
    return data["donationAllocate"]  # type: ignore[no-any-return]


async def test_allocations_never_exceed_the_donation(world: World) -> None:
    f = await family(world.h)
    recorded = await donation(world, "1000.10")
    assert recorded["errors"] == []
    gift = recorded["donation"]
    assert (gift["amount"], gift["remaining"], gift["region"]["code"]) == (
        "1000.10",
        "1000.10",
        "141023",
    )
    target = await measure(world, f.gid)
    first = await allocate(world, gift["id"], target, "600.05")
    assert first["errors"] == []
    assert first["donation"] == {"allocated": "600.05", "remaining": "400.05"}
    assert first["allocation"]["measure"]["allocated"] == "600.05"
    too_much = await allocate(world, gift["id"], target, "400.06")
    assert too_much["errors"] == [
        {
            "field": "input.amount",
            "message": "only 400.05 yuan of the donation remain",
            "code": "DONATION_EXCEEDED",
        }
    ]
    assert (await allocate(world, gift["id"], target, "400.05"))["donation"]["remaining"] == "0.00"


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "NaN"])
async def test_bad_amounts(world: World, amount: str) -> None:
    answer = await donation(world, amount)
    assert answer["errors"] == [{"field": "input.amount", "code": "INVALID_AMOUNT"}]


async def test_restrictions(world: World) -> None:
    orphan = await family(world.h, categories=(None, Category.ORPHAN))
    plain = await family(world.h, categories=(Category.DIBAO,))
    restricted = (await donation(world, "500", category="ORPHAN", domain="EDUCATION"))["donation"]
    government = await measure(world, orphan.gid, fundingSource="GOVERNMENT_PROGRAMME")
    living = await measure(world, orphan.gid)
    schooling = await measure(world, orphan.gid, domain="EDUCATION")
    not_orphan = await measure(world, plain.gid, domain="EDUCATION")
    for target in (government, living, not_orphan):
        answer = await allocate(world, restricted["id"], target, "10")
        assert answer["errors"][0]["code"] == "DONATION_RESTRICTED", answer
    assert (await allocate(world, restricted["id"], schooling, "10"))["errors"] == []
    # A county's donation cannot be spent in another county: that county cannot see it.
    theirs = await family(world.h, "141024100201")
    assert theirs
    elsewhere = await world.h.ok("{ donations(first: 5) { totalCount } }", token=world.hongtong)
    assert elsewhere["donations"]["totalCount"] == 0


async def test_two_concurrent_allocations_beyond_the_remainder(world: World) -> None:
    f = await family(world.h)
    gift = (await donation(world, "100.00"))["donation"]
    targets = [await measure(world, f.gid) for _ in range(2)]
    answers = await asyncio.gather(
        *(allocate(world, gift["id"], target, "60.00") for target in targets)
    )
    won = [a for a in answers if not a["errors"]]
    lost = [a for a in answers if a["errors"]]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0]["errors"][0]["code"] == "DONATION_EXCEEDED"
    await ledger_is_whole(world, expected_fen=6000)


async def test_many_concurrent_allocations_keep_the_ledger_whole(world: World) -> None:
    f = await family(world.h)
    gift = (await donation(world, "100.00"))["donation"]
    target = await measure(world, f.gid)
    answers = await asyncio.gather(
        *(allocate(world, gift["id"], target, "30.00") for _ in range(6))
    )
    assert sum(1 for a in answers if not a["errors"]) == 3
    await ledger_is_whole(world, expected_fen=9000)


async def ledger_is_whole(world: World, expected_fen: int) -> None:
    async with world.h.session() as session:
        stored = await session.scalar(select(Donation))
        allocated = await session.scalar(select(func.sum(DonationAllocation.amount_fen)))
    assert stored is not None
    assert stored.allocated_fen == allocated == expected_fen <= stored.amount_fen


async def test_who_may_record_and_allocate(world: World) -> None:
    member = await world.h.actor("union", roles=[Role.MASS_ORGANISATION_MEMBER], region="141023")
    recorded = await world.h.ok(
        RECORD,
        {"input": {"donor": "县总工会", "amount": "2000", "receivedOn": today().isoformat()}},
        token=member,
    )
    assert recorded["donationRecord"]["errors"] == []
    f = await family(world.h)
    target = await measure(world, f.gid)
    denied = await world.h.gql(
        ALLOCATE,
        {
            "input": {
                "donationId": recorded["donationRecord"]["donation"]["id"],
                "measureId": target,
                "amount": "1",
            }
        },
        token=member,
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_totals_count_only_what_the_reader_may_see(world: World) -> None:
    """A city-wide donation allocated in two counties: each county's `allocated` counts its
    own allocations; the remainder (which tells the rest) only for whose area holds the
    donation's and for allocators; the others get null with FORBIDDEN, the rest intact."""
    h = world.h
    recorded = await h.ok(
        RECORD,
        {
            "input": {
                "donor": "临汾市慈善总会",
                "amount": "5000",
                "receivedOn": today().isoformat(),
                "regionCode": "141000",
            }
        },
        token=world.admin,
    )
    gift = recorded["donationRecord"]["donation"]["id"]
    ours = await family(h)
    theirs = await family(h, HONGTONG_VILLAGE)
    assert (await allocate(world, gift, await measure(world, ours.gid), "1000"))["errors"] == []
    their_measure = await measure(
        world,
        theirs.gid,
        token=world.hongtong,
        responsibleOrganisationId=await organisation_gid(h, "141024-civil-affairs"),
    )
    allocated = await h.ok(
        ALLOCATE,
        {"input": {"donationId": gift, "measureId": their_measure, "amount": "1500"}},
        token=world.hongtong,
    )
    assert allocated["donationAllocate"]["donation"] == {
        "allocated": "1500.00",
        "remaining": "2500.00",
    }
    county_supervisor = await h.actor("xf-supervisor", roles=[Role.SUPERVISOR], region="141023")
    read = """query($id: ID!) {
      donation(id: $id) { amount allocated remaining allocations { amount } }
      donations(first: 10) { nodes { allocated } }
    }"""

    async def seen(token: str) -> dict[str, Any]:
        return await h.gql(read, {"id": gift}, token=token)

    for token in (world.admin, world.supervisor):
        answer = await seen(token)
        assert "errors" not in answer
        assert answer["data"]["donation"]["allocated"] == "2500.00"
        assert answer["data"]["donation"]["remaining"] == "2500.00"
    officer = await seen(world.xiangfen)
    assert "errors" not in officer
    assert officer["data"]["donation"] == {
        "amount": "5000.00",
        "allocated": "1000.00",
        "remaining": "2500.00",
        "allocations": [{"amount": "1000.00"}],
    }
    assert officer["data"]["donations"]["nodes"] == [{"allocated": "1000.00"}]
    supervised = await seen(county_supervisor)
    assert supervised["data"]["donation"] == {
        "amount": "5000.00",
        "allocated": "1000.00",
        "remaining": None,
        "allocations": [{"amount": "1000.00"}],
    }
    assert [(e["path"], e["extensions"]["code"]) for e in supervised["errors"]] == [
        (["donation", "remaining"], "FORBIDDEN")
    ]
    assert "1500" not in str(supervised) and "2500" not in str(supervised)
