"""The befriending plugin end to end through GraphQL: volunteers befriend, record
contacts and raise flags; contacts and emotional-state notes reach only the writing
organisation, the paired official and administrators."""

import datetime as dt

import pytest
from befriending_world import World, gid
from sqlalchemy import select

from bangfu.plugin import AuditEvent, Role, today

pytestmark = pytest.mark.anyio

START = """mutation($input: BefriendingStartInput!) { befriendingStart(input: $input) {
  relationship { id since volunteer organisation { name } } errors { field code message } } }"""
CONTACT = """mutation($input: BefriendingContactRecordInput!) { befriendingContactRecord(input: $input) {
  contact { contactedOn kind donationYuan helpGiven } errors { field code message } } }"""
FLAG = """mutation($input: BefriendingFlagRaiseInput!) { befriendingFlagRaise(input: $input) {
  flag { id raisedOn note } errors { field code } } }"""
PERSON = """query($id: ID!) { person(id: $id) { name befriending {
  relationships { since until volunteer organisation { name } }
  contacts { contactedOn kind familyChanges emotionalState helpGiven donationYuan organisation { name } }
  openFlags { note } } } }"""
PUBLIC_PART = """query($id: ID!) { person(id: $id) { name befriending {
  relationships { volunteer } contacts { contactedOn } openFlags { note } } } }"""


def days_ago(days: int) -> str:
    return (today() - dt.timedelta(days=days)).isoformat()


async def befriend(w: World, token: str, person: str, since: int = 200) -> None:
    answer = await w.ok(START, {"input": {"personId": person, "since": days_ago(since)}}, token)
    assert answer["befriendingStart"]["errors"] == []


async def test_a_volunteer_befriends_records_a_contact_and_raises_a_flag(world: World) -> None:
    w = world
    child = gid(w.child)
    started = await w.ok(START, {"input": {"personId": child, "since": days_ago(200)}}, w.womens)
    assert started["befriendingStart"]["relationship"]["volunteer"] == "wf"
    assert started["befriendingStart"]["relationship"]["organisation"] == {
        "name": "临汾市妇女联合会"
    }
    contact = {
        "personId": child,
        "contactedOn": days_ago(3),
        "kind": "VISIT",
        "familyChanges": "父亲外出务工",
        "emotionalState": "情绪低落, 不愿说话",
        "helpGiven": "书包和文具",
        "donationYuan": "200.50",
    }
    recorded = await w.ok(CONTACT, {"input": contact}, w.womens)
    assert recorded["befriendingContactRecord"] == {
        "contact": {
            "contactedOn": days_ago(3),
            "kind": "VISIT",
            "donationYuan": "200.50",
            "helpGiven": "书包和文具",
        },
        "errors": [],
    }
    flagged = await w.ok(FLAG, {"input": {"personId": child, "note": "情绪明显变差"}}, w.womens)
    assert flagged["befriendingFlagRaise"]["errors"] == []
    assert flagged["befriendingFlagRaise"]["flag"]["raisedOn"] == today().isoformat()

    full = {
        "name": "李小梅",
        "befriending": {
            "relationships": [
                {
                    "since": days_ago(200),
                    "until": None,
                    "volunteer": "wf",
                    "organisation": {"name": "临汾市妇女联合会"},
                }
            ],
            "contacts": [
                {
                    "contactedOn": days_ago(3),
                    "kind": "VISIT",
                    "familyChanges": "父亲外出务工",
                    "emotionalState": "情绪低落, 不愿说话",
                    "helpGiven": "书包和文具",
                    "donationYuan": "200.50",
                    "organisation": {"name": "临汾市妇女联合会"},
                }
            ],
            "openFlags": [{"note": "情绪明显变差"}],
        },
    }
    # The writing organisation, the paired official and an administrator read everything.
    for reader in (w.womens, w.paired, w.admin):
        assert (await w.ok(PERSON, {"id": child}, reader))["person"] == full
    # The paired official sees the flag in their list.
    flags = await w.ok(
        "{ befriendingOpenFlags { note personId organisation { name } } }", None, w.paired
    )
    assert flags["befriendingOpenFlags"] == [
        {"note": "情绪明显变差", "personId": child, "organisation": {"name": "临汾市妇女联合会"}}
    ]
    # Every read of an emotional-state note is audited: one row per request.
    async with w.h.session() as session:
        reads = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.operation == "query:BefriendingContact.emotionalState"
                )
            )
        ).all()
    assert [(r.actor_name, r.outcome) for r in reads] == [
        ("wf", "ok"),
        ("paired", "ok"),
        ("admin", "ok"),
    ]


async def test_contacts_and_flags_stay_with_the_writing_organisation_the_paired_official_and_administrators(
    world: World,
) -> None:
    w = world
    teen = gid(w.teen)  # 16: not a child under 14, so others may see that he is befriended
    await befriend(w, w.womens, teen)
    contact = {
        "personId": teen,
        "contactedOn": days_ago(1),
        "kind": "CALL",
        "emotionalState": "焦虑",
    }
    assert (await w.ok(CONTACT, {"input": contact}, w.womens))["befriendingContactRecord"][
        "errors"
    ] == []
    await w.ok(FLAG, {"input": {"personId": teen, "note": "考试前焦虑加重"}}, w.womens)
    outside = {"relationships": [{"volunteer": "wf"}], "contacts": [], "openFlags": []}
    # Another organisation's volunteer and the civil-affairs officer see the relationship only.
    for reader in (w.union, w.civil_affairs):
        answer = await w.ok(PUBLIC_PART, {"id": teen}, reader)
        assert answer["person"]["befriending"] == outside
        flags = await w.h.gql("{ befriendingOpenFlags { note } }", token=reader)
        assert flags.get("data") is None or flags["data"]["befriendingOpenFlags"] == []
    # A paired official of nobody here does not see the person at all.
    assert (await w.ok(PUBLIC_PART, {"id": teen}, w.other_paired))["person"] is None
    # A department officer has no befriending:read: the field is null, the person intact.
    answer = await w.h.gql(PUBLIC_PART, {"id": teen}, token=w.education)
    assert answer["data"]["person"] == {"name": "李小军", "befriending": None}
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_child_under_14s_befriending_is_hidden_from_those_without_the_duty(
    world: World,
) -> None:
    w = world
    await befriend(w, w.womens, gid(w.child))
    answer = await w.h.gql(PUBLIC_PART, {"id": gid(w.child)}, token=w.civil_affairs)
    assert answer["data"]["person"] == {"name": "李小梅", "befriending": None}
    assert answer["errors"][0]["path"] == ["person", "befriending"]


async def test_bad_input_names_the_field_and_changes_nothing(world: World) -> None:
    w = world
    child = gid(w.child)
    contact = {
        "personId": child,
        "contactedOn": (today() + dt.timedelta(days=1)).isoformat(),
        "kind": "ACTIVITY",
        "donationYuan": "10.001",
        "helpGiven": "x" * 2001,
    }
    answer = await w.ok(CONTACT, {"input": contact}, w.womens)
    assert answer["befriendingContactRecord"]["contact"] is None
    assert sorted(
        (e["field"], e["code"]) for e in answer["befriendingContactRecord"]["errors"]
    ) == [
        ("input.contactedOn", "FUTURE_DATE"),
        ("input.donationYuan", "INVALID_AMOUNT"),
        ("input.helpGiven", "TOO_LONG"),
        ("input.personId", "NOT_BEFRIENDED"),
    ]
    assert await w.counts() == (0, 0, 0)
    await befriend(w, w.womens, child, since=10)
    early = {"personId": child, "contactedOn": days_ago(20), "kind": "CALL"}
    errors = (await w.ok(CONTACT, {"input": early}, w.womens))["befriendingContactRecord"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("input.contactedOn", "INVALID_DATE_RANGE")
    ]
    again = await w.ok(START, {"input": {"personId": child, "since": days_ago(5)}}, w.womens)
    assert [e["code"] for e in again["befriendingStart"]["errors"]] == ["ALREADY_BEFRIENDED"]
    empty_flag = await w.ok(FLAG, {"input": {"personId": child, "note": "  "}}, w.womens)
    assert empty_flag["befriendingFlagRaise"]["errors"] == [
        {"field": "input.note", "code": "REQUIRED"}
    ]
    assert await w.counts() == (1, 0, 0)


async def test_only_mass_organisation_members_write_and_only_in_their_area(world: World) -> None:
    w = world
    child = gid(w.child)
    variables = {"input": {"personId": child, "since": days_ago(3)}}
    for token in (w.admin, w.paired, w.education, w.civil_affairs):
        denied = await w.h.gql(START, variables, token=token)
        assert denied.get("data") is None
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    hongtong = await w.h.actor(
        "hongtong-wf",
        roles=[Role.MASS_ORGANISATION_MEMBER],
        region="141024",
        organisation="141000-womens-federation",
    )
    outside = await w.ok(START, variables, hongtong)
    assert outside["befriendingStart"]["errors"] == [
        {"field": "input.personId", "code": "NOT_FOUND", "message": "no Person with this ID"}
    ]
    assert await w.counts() == (0, 0, 0)


async def test_ending_a_befriending_and_closing_a_flag(world: World) -> None:
    w = world
    teen = gid(w.teen)
    started = await w.ok(START, {"input": {"personId": teen, "since": days_ago(30)}}, w.womens)
    relationship = started["befriendingStart"]["relationship"]["id"]
    flag = (await w.ok(FLAG, {"input": {"personId": teen, "note": "失眠"}}, w.womens))[
        "befriendingFlagRaise"
    ]["flag"]["id"]
    close = "mutation($id: ID!) { befriendingFlagClose(input: {id: $id}) { flag { closedOn } errors { code } } }"
    assert (await w.ok(close, {"id": flag}, w.union))["befriendingFlagClose"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]
    closed = await w.ok(close, {"id": flag}, w.womens)
    assert closed["befriendingFlagClose"] == {
        "flag": {"closedOn": today().isoformat()},
        "errors": [],
    }
    assert (await w.ok(close, {"id": flag}, w.womens))["befriendingFlagClose"]["errors"] == [
        {"code": "ALREADY_ENDED"}
    ]
    end = """mutation($id: ID!, $until: Date!) { befriendingEnd(input: {id: $id, until: $until}) {
      relationship { until } errors { field code } } }"""
    before = await w.ok(end, {"id": relationship, "until": days_ago(31)}, w.womens)
    assert before["befriendingEnd"]["errors"] == [
        {"field": "input.until", "code": "INVALID_DATE_RANGE"}
    ]
    ended = await w.ok(end, {"id": relationship, "until": days_ago(0)}, w.womens)
    assert ended["befriendingEnd"] == {"relationship": {"until": days_ago(0)}, "errors": []}
    read = await w.ok(PERSON, {"id": teen}, w.paired)
    assert read["person"]["befriending"]["openFlags"] == []
    assert read["person"]["befriending"]["relationships"][0]["until"] == days_ago(0)


NODE = """query($id: ID!) { node(id: $id) { id ... on BefriendingFlag { note }
  ... on BefriendingRelationship { since volunteer } } }"""


async def test_node_refetches_flags_and_relationships_as_the_person_shows_them(
    world: World,
) -> None:
    """``node(id:)`` reads a flag as ``befriendingOpenFlags`` does (the writing organisation,
    the paired official, administrators) and a relationship as ``Person.befriending`` does
    (a child's only with befriending:read-sensitive); to anyone else a flag reads as one
    that does not exist."""
    w = world
    teen = gid(w.teen)
    started = await w.ok(START, {"input": {"personId": teen, "since": days_ago(30)}}, w.womens)
    relationship = started["befriendingStart"]["relationship"]["id"]
    raised = await w.ok(FLAG, {"input": {"personId": teen, "note": "情绪低落"}}, w.womens)
    flag = raised["befriendingFlagRaise"]["flag"]["id"]
    absent = "QmVmcmllbmRpbmdGbGFnOjIxNDc0ODM2NDc="  # BefriendingFlag:2147483647
    for reader in (w.womens, w.paired, w.admin):
        found = await w.ok(NODE, {"id": flag}, reader)
        assert found["node"] == {"id": flag, "note": "情绪低落"}
    for reader in (w.union, w.other_paired):
        assert await w.h.gql(NODE, {"id": flag}, token=reader) == await w.h.gql(
            NODE, {"id": absent}, token=reader
        )
    found = await w.ok(NODE, {"id": relationship}, w.civil_affairs)
    assert found["node"] == {"id": relationship, "since": days_ago(30), "volunteer": "wf"}
    # A child's befriending: refused to the civil-affairs officer as on the person.
    child = await w.ok(START, {"input": {"personId": gid(w.child), "since": days_ago(3)}}, w.womens)
    child_relationship = child["befriendingStart"]["relationship"]["id"]
    refused = await w.h.gql(NODE, {"id": child_relationship}, token=w.civil_affairs)
    on_person = await w.h.gql(PUBLIC_PART, {"id": gid(w.child)}, token=w.civil_affairs)
    assert refused["data"] == {"node": None}
    assert refused["errors"][0]["message"] == on_person["errors"][0]["message"]
    assert (await w.ok(NODE, {"id": child_relationship}, w.paired))["node"]["id"] == (
        child_relationship
    )


MINE = """{ befriendingRelationships { personId since volunteer organisation { name } } }"""


async def test_each_reader_lists_the_befriendings_whose_contacts_they_may_read(
    world: World,
) -> None:
    w = world
    await befriend(w, w.womens, gid(w.child), since=300)
    await befriend(w, w.union, gid(w.parent), since=100)
    ended = await w.ok(START, {"input": {"personId": gid(w.teen), "since": days_ago(50)}}, w.union)
    assert ended["befriendingStart"]["errors"] == []
    end = """mutation($input: BefriendingEndInput!) { befriendingEnd(input: $input) {
      errors { field } } }"""
    relationship = ended["befriendingStart"]["relationship"]["id"]
    done = await w.ok(end, {"input": {"id": relationship, "until": days_ago(1)}}, w.union)
    assert done["befriendingEnd"]["errors"] == []

    def persons(answer: dict) -> list[str]:
        return [r["personId"] for r in answer["befriendingRelationships"]]

    # A member: their own organisation's current befriendings, newest first.
    assert persons(await w.ok(MINE, {}, w.womens)) == [gid(w.child)]
    assert persons(await w.ok(MINE, {}, w.union)) == [gid(w.parent)]  # the teen's ended
    # The paired official of the child and the teen: theirs, whoever befriends them.
    assert persons(await w.ok(MINE, {}, w.paired)) == [gid(w.child)]
    assert persons(await w.ok(MINE, {}, w.other_paired)) == []
    # A city administrator: all, newest first.
    assert persons(await w.ok(MINE, {}, w.admin)) == [gid(w.parent), gid(w.child)]
    # Without befriending:read-contacts: refused.
    refused = await w.h.gql(MINE, token=w.education)
    assert refused["data"] is None and refused["errors"]


async def test_a_flag_tells_the_paired_official_once(world: World) -> None:
    """The paired official is told of a flag (bangfu.plugin.notify_responsible, contract
    2.6), with a message that names nobody; the official opens the flag as the person
    shows it; others are not told; a refused flag tells no one."""
    w = world
    teen = gid(w.teen)
    await befriend(w, w.womens, teen)
    mine = "{ myNotifications(first: 10) { nodes { reason message subject { id } } } }"
    refused = await w.ok(FLAG, {"input": {"personId": teen, "note": " "}}, w.womens)
    assert refused["befriendingFlagRaise"]["errors"]
    assert (await w.ok(mine, None, w.paired))["myNotifications"]["nodes"] == []
    raised = await w.ok(FLAG, {"input": {"personId": teen, "note": "情绪低落"}}, w.womens)
    flag = raised["befriendingFlagRaise"]["flag"]["id"]
    told = (await w.ok(mine, None, w.paired))["myNotifications"]["nodes"]
    assert told == [
        {
            "reason": "FLAG_RAISED",
            "message": "A befriending volunteer flagged the emotional state of a person "
            "paired with you: please look in on them.",
            "subject": {"id": flag},
        }
    ]
    for other in (w.other_paired, w.womens, w.civil_affairs):
        assert (await w.ok(mine, None, other))["myNotifications"]["nodes"] == []
