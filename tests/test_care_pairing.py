"""One-to-one pairing (一包一, R6): pairings, hand-over history, officials, five knowns."""

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.care.models import Pairing
from bangfu.core.care.pairing import Pairings
from bangfu.core.errors import DomainError
from bangfu.core.registry.models import Category, CategoryAssignment
from bangfu.core.security import SYSTEM, Role
from bangfu.schema.relay import from_global_id, to_global_id
from tests.helpers import HONGTONG_VILLAGE, World
from tests.test_care_helpers import PAIRING_START, family, official, pair, user_gid

pytestmark = pytest.mark.anyio

PAIRING_END = """
mutation($input: PairingEndInput!) {
  pairingEnd(input: $input) {
    pairing { id active endDate endReason }
    errors { field code }
  }
}"""

FIVE_KNOWNS = """
mutation($input: PairingFiveKnownsUpdateInput!) {
  pairingFiveKnownsUpdate(input: $input) {
    pairing { fiveKnowns { completeness missing staleItems items { item note verifiedOn stale } } }
    errors { field code }
  }
}"""


async def start(world: World, person: str, official_gid: str, token: str | None = None) -> dict:
    data = await world.h.ok(
        PAIRING_START,
        {"input": {"personId": person, "officialId": official_gid}},
        token=token or world.xiangfen,
    )
    return data["pairingStart"]  # type: ignore[no-any-return]


async def active_rows(world: World, person_id: int) -> int:
    async with world.h.session() as session:
        return int(
            await session.scalar(
                select(func.count(Pairing.id)).where(
                    Pairing.person_id == person_id, Pairing.end_date.is_(None)
                )
            )
            or 0
        )


async def test_pairing_start_and_the_one_active_pairing_rule(world: World) -> None:
    f = await family(world.h)
    _, first = await official(world.h, "official-a")
    _, second = await official(world.h, "official-b")
    started = await start(world, f.person_gids[0], first)
    assert started["errors"] == []
    assert started["pairing"]["active"] is True
    assert started["pairing"]["official"]["id"] == first
    assert started["pairing"]["person"]["name"] == "成员0"
    again = await start(world, f.person_gids[0], second)
    assert again["pairing"] is None
    assert [(e["field"], e["code"]) for e in again["errors"]] == [
        ("input.personId", "ALREADY_PAIRED")
    ]
    assert await active_rows(world, f.person_ids[0]) == 1


async def test_two_concurrent_starts_for_one_person_one_wins(world: World) -> None:
    f = await family(world.h)
    officials = [(await official(world.h, f"official-{i}"))[1] for i in range(2)]
    answers = await asyncio.gather(*(start(world, f.person_gids[0], o) for o in officials))
    won = [a for a in answers if a["pairing"] is not None]
    lost = [a for a in answers if a["pairing"] is None]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0]["errors"][0]["code"] == "ALREADY_PAIRED"
    assert "active pairing" in lost[0]["errors"][0]["message"]
    assert await active_rows(world, f.person_ids[0]) == 1


async def test_hand_over_keeps_the_history(world: World) -> None:
    f = await family(world.h)
    _, first = await official(world.h, "official-a")
    _, second = await official(world.h, "official-b")
    pairing = await pair(world, f.person_gids[0], first)
    refused = await world.h.ok(
        PAIRING_END, {"input": {"id": pairing, "reason": " "}}, token=world.xiangfen
    )
    assert refused["pairingEnd"]["errors"][0]["code"] == "REQUIRED"
    ended = await world.h.ok(
        PAIRING_END,
        {"input": {"id": pairing, "reason": "handed over to official-b"}},
        token=world.xiangfen,
    )
    assert ended["pairingEnd"]["errors"] == []
    assert ended["pairingEnd"]["pairing"]["active"] is False
    assert ended["pairingEnd"]["pairing"]["endDate"] == today().isoformat()
    twice = await world.h.ok(
        PAIRING_END, {"input": {"id": pairing, "reason": "again"}}, token=world.xiangfen
    )
    assert twice["pairingEnd"]["errors"][0]["code"] == "ALREADY_ENDED"
    await pair(world, f.person_gids[0], second)
    history = await world.h.ok(
        """query($p: ID!) { pairings(first: 10, filter: {personId: $p, activeOnly: false}) {
             totalCount nodes { active official { id } endReason } } }""",
        {"p": f.person_gids[0]},
        token=world.xiangfen,
    )
    nodes = history["pairings"]["nodes"]
    assert [(n["active"], n["official"]["id"]) for n in nodes] == [(False, first), (True, second)]
    assert nodes[0]["endReason"] == "handed over to official-b"


async def test_pairing_refusals(world: World) -> None:
    plain = await family(world.h, categories=(None,))
    elsewhere = await family(world.h, HONGTONG_VILLAGE)
    f = await family(world.h)
    _, gid = await official(world.h, "official-a")
    await world.h.actor("staff", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")

    cases = [
        (plain.person_gids[0], gid, "input.personId", "NOT_A_HARDSHIP_PERSON"),
        (elsewhere.person_gids[0], gid, "input.personId", "NOT_FOUND"),
        (f.person_gids[0], await user_gid(world.h, "staff"), "input.officialId", "NOT_AN_OFFICIAL"),
        ("UGVyc29uOjk5OTk5", gid, "input.personId", "NOT_FOUND"),
    ]
    for person, official_gid, field, code in cases:
        answer = await start(world, person, official_gid)
        assert (answer["errors"][0]["field"], answer["errors"][0]["code"]) == (field, code)
    denied = await world.h.gql(
        PAIRING_START,
        {"input": {"personId": f.person_gids[0], "officialId": gid}},
        token=world.supervisor,
    )
    assert denied["data"] is None or denied["data"]["pairingStart"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_another_countys_official_looks_like_no_official(world: World) -> None:
    """Which users of another county are paired officials cannot be probed: such an
    official, a user that does not exist, and a user who is not an official get one
    answer, whether the person is a hardship person or not; nothing is written."""
    hardship = await family(world.h)
    plain = await family(world.h, categories=(None,))
    _, theirs = await official(world.h, "hongtong-official", region="141024")
    await world.h.actor("hongtong-staff", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141024")
    not_an_official = await user_gid(world.h, "hongtong-staff")
    nobody = to_global_id("User", 99999)
    for person in (hardship, plain):
        answers = [await start(world, person.person_gids[0], o) for o in (theirs, nobody)]
        answers.append(await start(world, person.person_gids[0], not_an_official))
        assert answers[0] == answers[1] == answers[2], answers
        assert answers[0]["pairing"] is None
        assert answers[0]["errors"] == [
            {
                "field": "input.officialId",
                "message": "no active user with the PAIRED_OFFICIAL role in your area",
                "code": "NOT_AN_OFFICIAL",
            }
        ]
        assert await active_rows(world, person.person_ids[0]) == 0
    # Officials one may pair with: those of one's area, and those whose area holds it.
    _, citywide = await official(world.h, "city-official", region="141000")
    assert (await start(world, hardship.person_gids[0], citywide))["errors"] == []


async def test_unpaired_persons_and_officials(world: World) -> None:
    families = [await family(world.h) for _ in range(4)]
    plain = await family(world.h, categories=(None,))
    _, busy = await official(world.h, "busy")
    _, calm = await official(world.h, "calm")
    for f in families[:3]:
        await pair(world, f.person_gids[0], busy)
    unpaired = await world.h.ok(
        """{ unpairedPersons(first: 10, regionCode: "141023") { totalCount nodes { id } } }""",
        token=world.xiangfen,
    )
    assert [n["id"] for n in unpaired["unpairedPersons"]["nodes"]] == [families[3].person_gids[0]]
    assert plain.person_gids[0] not in str(unpaired)
    await pair(world, families[3].person_gids[0], calm)
    officials = await world.h.ok(
        """{ all: pairedOfficials(first: 10) { totalCount nodes { official { id displayName }
               pairedCount overloaded pairings { person { id } } } }
             busy: pairedOfficials(first: 10, overloadedOnly: true, moreThan: 2) {
               nodes { official { displayName } pairedCount } } }""",
        token=world.xiangfen,
    )
    rows = {n["official"]["displayName"]: n for n in officials["all"]["nodes"]}
    assert {name: n["pairedCount"] for name, n in rows.items()} == {"busy": 3, "calm": 1}
    assert rows["busy"]["overloaded"] is False  # the default threshold is 5
    assert len(rows["busy"]["pairings"]) == 3
    assert officials["busy"]["nodes"] == [{"official": {"displayName": "busy"}, "pairedCount": 3}]
    # Another county's staff see none of these pairings.
    theirs = await world.h.ok(
        "{ pairedOfficials(first: 10) { totalCount } pairings(first: 10) { totalCount } }",
        token=world.hongtong,
    )
    assert theirs == {"pairedOfficials": {"totalCount": 0}, "pairings": {"totalCount": 0}}


async def test_five_knowns_kept_by_the_paired_official(world: World) -> None:
    f = await family(world.h, categories=(Category.SPECIAL_HARDSHIP, Category.ORPHAN))
    token, gid = await official(world.h, "official-a")
    other_token, _ = await official(world.h, "official-b")
    pairing = await pair(world, f.person_gids[1], gid)
    long_ago = (today() - dt.timedelta(days=400)).isoformat()
    data = await world.h.ok(
        FIVE_KNOWNS,
        {
            "input": {
                "pairingId": pairing,
                "items": [
                    {"item": "FAMILY_SITUATION", "note": "与祖父同住"},
                    {"item": "WISHES", "note": "想上职业学校", "verifiedOn": long_ago},
                    {"item": "DIFFICULTIES", "note": "冬季取暖困难"},
                ],
            }
        },
        token=token,
    )
    knowns = data["pairingFiveKnownsUpdate"]["pairing"]["fiveKnowns"]
    assert data["pairingFiveKnownsUpdate"]["errors"] == []
    assert knowns["completeness"] == pytest.approx(2 / 5)
    assert knowns["staleItems"] == ["WISHES"]
    assert knowns["missing"] == ["ECONOMIC_SITUATION", "MEDICAL_AND_SCHOOLING"]
    assert [i["item"] for i in knowns["items"]] == ["FAMILY_SITUATION", "WISHES", "DIFFICULTIES"]
    # Verifying the stale item again makes it fresh.
    data = await world.h.ok(
        FIVE_KNOWNS,
        {"input": {"pairingId": pairing, "items": [{"item": "WISHES", "note": "想学烹饪"}]}},
        token=token,
    )
    assert data["pairingFiveKnownsUpdate"]["pairing"]["fiveKnowns"]["completeness"] == 0.6
    # Another paired official neither sees the pairing nor may write it.
    other = await world.h.ok(
        FIVE_KNOWNS,
        {"input": {"pairingId": pairing, "items": [{"item": "WISHES", "note": "x"}]}},
        token=other_token,
    )
    assert other["pairingFiveKnownsUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    bad = await world.h.ok(
        FIVE_KNOWNS,
        {
            "input": {
                "pairingId": pairing,
                "items": [
                    {"item": "WISHES", "note": ""},
                    {"item": "WISHES", "note": "again", "verifiedOn": "2999-01-01"},
                ],
            }
        },
        token=token,
    )
    codes = {(e["field"], e["code"]) for e in bad["pairingFiveKnownsUpdate"]["errors"]}
    assert codes == {
        ("input.items.0.note", "INVALID_INPUT"),
        ("input.items.1", "DUPLICATE"),
        ("input.items.1.verifiedOn", "FUTURE_DATE"),
    }


async def test_paired_official_sees_only_own_pairings(world: World) -> None:
    mine = await family(world.h)
    theirs = await family(world.h)
    token, gid = await official(world.h, "official-a")
    _, other = await official(world.h, "official-b")
    await pair(world, mine.person_gids[0], gid)
    await pair(world, theirs.person_gids[0], other)
    seen = await world.h.ok("{ pairings(first: 10) { nodes { person { id } } } }", token=token)
    assert seen["pairings"]["nodes"] == [{"person": {"id": mine.person_gids[0]}}]


async def test_the_database_refuses_a_second_active_pairing_in_a_race(world: World) -> None:
    """Two transactions both pass the check before either writes: the index decides."""
    f = await family(world.h)
    _, first = await official(world.h, "official-a")
    _, second = await official(world.h, "official-b")
    ids = [int(from_global_id(g)[1]) for g in (first, second)]
    h = world.h
    async with h.session(SYSTEM) as one, h.session(SYSTEM) as two:
        await one.begin()
        await two.begin()
        service_one = Pairings(one, SYSTEM, h.settings)
        service_two = Pairings(two, SYSTEM, h.settings)
        await service_one.start(f.person_ids[0], ids[0], None)  # flushed, not committed
        racing = asyncio.ensure_future(service_two.start(f.person_ids[0], ids[1], None))
        await asyncio.sleep(0.3)  # the second waits for the first (row or write lock)
        await one.commit()
        with pytest.raises(DomainError) as caught:
            await racing
        await two.rollback()
    assert caught.value.errors[0].code == "ALREADY_PAIRED"
    assert await active_rows(world, f.person_ids[0]) == 1


async def test_unpaired_persons_are_those_who_need_a_pairing_unless_a_category_is_asked(
    world: World,
) -> None:
    """Dibao members are supported through their household (docs/indicators.md): not
    listed by default; a member holding dibao and a pairing category is."""
    orphan = await family(world.h, categories=(Category.ORPHAN,))
    dibao = await family(world.h, categories=(Category.DIBAO, Category.DIBAO))
    both = await family(world.h, categories=(Category.DIBAO,))
    async with world.h.session() as session, session.begin():
        first = await session.scalar(
            select(CategoryAssignment).where(CategoryAssignment.person_id == both.person_ids[0])
        )
        assert first is not None
        session.add(
            CategoryAssignment(
                person_id=both.person_ids[0],
                category=Category.POOR_DISABLED,
                valid_from=first.valid_from,
                certifying_organisation_id=first.certifying_organisation_id,
            )
        )
    query = """query($category: Category) {
      unpairedPersons(first: 10, category: $category) { totalCount nodes { id } } }"""

    async def listed(category: str | None) -> list[str]:
        data = await world.h.ok(query, {"category": category}, token=world.xiangfen)
        page = data["unpairedPersons"]
        assert page["totalCount"] == len(page["nodes"])
        return [n["id"] for n in page["nodes"]]

    assert await listed(None) == [orphan.person_gids[0], both.person_gids[0]]
    assert await listed("DIBAO") == [*dibao.person_gids, both.person_gids[0]]
    assert await listed("ORPHAN") == [orphan.person_gids[0]]
    assert await listed("POOR_DISABLED") == [both.person_gids[0]]
    assert await listed("SPECIAL_HARDSHIP") == []
    bad = await world.h.client.post(
        "/graphql",
        json={"query": query, "variables": {"category": "NOBODY"}},
        headers={"Authorization": f"Bearer {world.xiangfen}"},
    )
    assert "NOBODY" in bad.text and bad.json().get("data") is None
