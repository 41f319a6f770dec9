"""Relay, completely: every object type with an identity is a ``Node`` and is refetched by
``node(id:)`` / ``nodes(ids:)`` exactly as its own queries show it (issue 20).

On the demo data (every built-in plugin), for each Node type of the schema: the city
administrator refetches an object by the very ID its ``id`` field gives; a county officer
of a county with no data gets for it the answer an unknown ID gets; the types that have a
lookup of their own answer through ``node`` as through that lookup, for actors of every
kind (the same field permissions, masking and errors). Runs on SQLite and PostgreSQL.
"""

from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.registry.models import Region
from bangfu.core.security import Role
from bangfu.core.security.actor import Actor, ActorKind
from bangfu.core.security.models import User
from bangfu.demo import create_demo_users, load_demo
from bangfu.schema.build import build_schema
from bangfu.schema.nodes import node_sources
from bangfu.schema.relay import MAX_KEY, to_global_id
from bangfu.testing import Harness
from tests.helpers import token_of

pytestmark = pytest.mark.anyio

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NOTHING = {"data": {"node": None}}
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"

# The types whose own lookup takes the global ID: node(id:) answers as it does.
LOOKUPS = {
    "Person": ("person", "name age idNumber disability { grade } memberships { id }"),
    "Household": ("household", "address members { id person { id } }"),
    "CareEvent": ("careEvent", "kind summary deadline person { id } responses { id note }"),
    "Pairing": ("pairing", "startDate official { id displayName } person { id }"),
    "Donation": ("donation", "amount allocated allocations { id }"),
    "ScreeningCampaign": ("screeningCampaign", "name totals { targets visited }"),
}


async def demo(harness: Harness) -> None:
    async with harness.session() as session, session.begin():
        await create_demo_users(session)
        await load_demo(session, harness.cipher, harness.host, households=200, seed=5)


OUTSIDER = Actor(
    ActorKind.USER,
    "elsewhere",
    roles=frozenset({Role.CIVIL_AFFAIRS_OFFICER}),
    area_path="141000/141099/",
)


async def some_key(harness: Harness, model: Any) -> tuple[Any, bool]:
    """The key of a row of ``model``, and whether an officer of county 141099 (no data)
    may not see it: such a row if there is one (regions, organisations and the donations
    and campaigns of the whole city are seen by every reader). None: no row."""
    if model is Region:
        return "141023", False
    async with harness.session() as session:
        if model is User:  # staff of another county (node's rule for users)
            user = await session.scalar(
                select(User.id).where(User.region_code.startswith("141023")).limit(1)
            )
            return user, True
        async with harness.session(OUTSIDER) as outside:
            visible = set((await outside.scalars(select(model.id))).all())
        rows = (await session.scalars(select(model.id).order_by(model.id))).all()
    hidden = next((key for key in rows if key not in visible), None)
    return (hidden, True) if hidden is not None else (rows[0] if rows else None, False)


async def recipient_token(harness: Harness, notification_id: int) -> str:
    """A bearer token of the recipient of a notification (a demo user or official)."""
    from bangfu.core.notify.models import Notification

    recipient = select(Notification.recipient_id).where(Notification.id == notification_id)
    return await token_of(harness, User.id == recipient.scalar_subquery())


async def test_every_node_type_refetches_in_area_and_reads_as_unknown_outside(
    harness: Harness,
) -> None:
    await demo(harness)
    await harness.region("141099", "无数据县", "141000")
    admin = await harness.actor("city", roles=[Role.CITY_ADMINISTRATOR])
    outsider = await harness.actor("elsewhere", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141099")
    sources = node_sources(build_schema(harness.host, harness.settings))
    # Every object type with an identity: the core's, the care work's and the plugins'.
    assert {
        "Person", "Household", "Organisation", "Region", "Membership", "CategoryAssignment",
        "CareEvent", "CareResponse", "Pairing", "Donation", "DonationAllocation",
        "AssistancePlan", "AssistanceMeasure", "Problem", "ScreeningVisit",
        "ScreeningCampaign", "StaffMember", "EducationEnrolment", "EducationAid",
        "MedicalCondition", "MedicalHospitalisation", "MedicalClaim", "EmploymentStatus",
        "EmploymentTraining", "EmploymentPlacement", "EmploymentWelfarePost",
        "HousingSafetyAppraisal", "HousingRenovationProject", "HousingAid",
        "HousingDisasterReport",
    } <= {type_name for type_name, _ in sources.values()}  # fmt: skip
    missing = []
    seen_everywhere = set()
    for id_name, (type_name, source) in sorted(sources.items()):
        key, hidden = await some_key(harness, source.model)
        if key is None:
            missing.append(type_name)
            continue
        global_id = to_global_id(id_name, key)
        if type_name == "Notification":
            # A user's own, whatever the area: its recipient refetches it; the city
            # administrator and the outsider read it as unknown.
            reader = await recipient_token(harness, key)
            assert await harness.gql(NODE, {"id": global_id}, token=admin) == NOTHING
            assert await harness.gql(NODE, {"id": global_id}, token=outsider) == NOTHING
            found = await harness.ok(NODE, {"id": global_id}, token=reader)
            assert found["node"] == {"__typename": type_name, "id": global_id}
            continue
        found = await harness.ok(NODE, {"id": global_id}, token=admin)
        assert found["node"] == {"__typename": type_name, "id": global_id}, type_name
        many = await harness.ok(
            NODES, {"ids": [global_id, to_global_id(id_name, MAX_KEY)]}, token=admin
        )
        assert many["nodes"] == [found["node"], None], type_name
        unknown = to_global_id(id_name, MAX_KEY)
        assert await harness.gql(NODE, {"id": unknown}, token=outsider) == NOTHING, type_name
        if hidden:
            answer = await harness.gql(NODE, {"id": global_id}, token=outsider)
            assert answer == NOTHING, (type_name, answer)
        else:
            seen_everywhere.add(type_name)
    assert not missing, f"the demo has no rows of {missing}"
    assert seen_everywhere <= {"Region", "Organisation", "Donation", "ScreeningCampaign"}


async def test_region_has_a_global_id_and_is_a_node(harness: Harness) -> None:
    token = await harness.actor("reader", roles=[Role.SUPERVISOR])
    data = await harness.ok(
        '{ region(code: "141023") { id code parent { id code } children { id } } }', token=token
    )
    region = data["region"]
    assert region["id"] == to_global_id("Region", "141023")
    assert region["parent"]["id"] == to_global_id("Region", "141000")
    assert len({c["id"] for c in region["children"]}) == len(region["children"])
    again = await harness.ok(
        "query($id: ID!) { node(id: $id) { id ... on Region { code name level } } }",
        {"id": region["id"]},
        token=token,
    )
    assert again["node"]["code"] == "141023"
    # Codes that no region has, or that are not codes at all, read as unknown.
    for odd in ("999999", "14102 3", "%", "x" * 13, ""):
        answer = await harness.gql(
            "query($id: ID!) { node(id: $id) { id } }",
            {"id": to_global_id("Region", odd)},
            token=token,
        )
        assert answer == {"data": {"node": None}}, odd


async def test_node_answers_as_the_types_own_lookup_for_every_kind_of_reader(
    harness: Harness,
) -> None:
    await demo(harness)
    readers = {
        "admin": await harness.actor("t-admin", roles=[Role.CITY_ADMINISTRATOR]),
        "county": await harness.actor(
            "t-county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023"
        ),
        "other county": await harness.actor(
            "t-other", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141024"
        ),
        "department": await harness.actor(
            "t-dept", roles=[Role.DEPARTMENT_OFFICER], region="141023"
        ),
        "union": await harness.actor(
            "t-union", roles=[Role.MASS_ORGANISATION_MEMBER], region="141023"
        ),
        "client": await harness.api_client("partner", region="141023"),
    }
    admin = readers["admin"]
    for type_name, (lookup, fields) in LOOKUPS.items():
        listing = {
            "CareEvent": "careEvents(first: 30)",
            "Pairing": "pairings(first: 30)",
            "Donation": "donations(first: 30)",
            "ScreeningCampaign": "screeningCampaigns(first: 30)",
            "Person": "persons(first: 30)",
            "Household": "households(first: 30)",
        }[type_name]
        ids = [n["id"] for n in (await harness.ok(f"{{ {listing} {{ nodes {{ id }} }} }}", token=admin))[listing.split("(")[0]]["nodes"]]  # fmt: skip
        assert ids, type_name
        for who, token in readers.items():
            for global_id in ids[:: max(1, len(ids) // 6)]:
                own = await harness.gql(
                    f"query($id: ID!) {{ x: {lookup}(id: $id) {{ id {fields} }} }}",
                    {"id": global_id},
                    token=token,
                )
                by_node = await harness.gql(
                    f"query($id: ID!) {{ x: node(id: $id) {{ id ... on {type_name} {{ {fields} }} }} }}",
                    {"id": global_id},
                    token=token,
                )
                assert by_node.get("data") == own.get("data"), (type_name, who)
                codes = [e.get("extensions", {}).get("code") for e in own.get("errors", [])]
                assert codes == [
                    e.get("extensions", {}).get("code") for e in by_node.get("errors", [])
                ], (type_name, who)


EDUCATION_OF = "query($id: ID!) { person(id: $id) { education { currentEnrolment { id } } } }"


async def test_a_reader_without_the_types_action_gets_its_refusal(harness: Harness) -> None:
    """Education records are read as ``Person.education`` reads them: a partner client
    without the education plugin in its scope is refused (FORBIDDEN, audited); with it, it
    reads a teenager's record and is refused a child's under 14, as on the person."""
    await demo(harness)
    admin = await harness.actor("t-admin", roles=[Role.CITY_ADMINISTRATOR])
    page = await harness.ok(
        "{ educationEnrolments(first: 100) { nodes { id person { id ... on Person { age } } } } }",
        token=admin,
    )
    enrolments = page["educationEnrolments"]["nodes"]
    child = next(e for e in enrolments if e["person"]["age"] < 14)
    teenager = next(e for e in enrolments if e["person"]["age"] >= 14)

    client = await harness.api_client("partner", region="141000")
    own = await harness.gql(EDUCATION_OF, {"id": teenager["person"]["id"]}, token=client)
    by_node = await harness.gql(NODE, {"id": teenager["id"]}, token=client)
    assert own["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_node["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_node["errors"][0]["message"] == own["errors"][0]["message"]
    assert by_node["data"] == {"node": None}
    # The type is named by the ID the client sent: an unknown key is refused alike, so the
    # refusal tells nothing about which records exist.
    unknown = to_global_id("EducationEnrolment", MAX_KEY)
    assert await harness.gql(NODE, {"id": unknown}, token=client) == by_node

    scoped = await harness.api_client("school-partner", region="141000", plugins=["education"])
    found = await harness.ok(NODE, {"id": teenager["id"]}, token=scoped)
    assert found["node"] == {"__typename": "EducationEnrolment", "id": teenager["id"]}
    own = await harness.gql(EDUCATION_OF, {"id": child["person"]["id"]}, token=scoped)
    by_node = await harness.gql(NODE, {"id": child["id"]}, token=scoped)
    assert own["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_node["errors"][0]["message"] == own["errors"][0]["message"]
    assert by_node["data"] == {"node": None}
