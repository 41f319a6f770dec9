"""Actors and area scoping: who may see what, through every way of reading."""

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.sql.util import find_tables

from bangfu.core.db import Base
from bangfu.core.security import Role, scoping
from bangfu.core.security.models import AccessToken, User
from bangfu.core.security.passwords import hash_password
from bangfu.schema.relay import to_global_id
from tests.helpers import HONGTONG_VILLAGE, World, create_household, id_number

pytestmark = pytest.mark.anyio


def test_every_mapped_model_is_area_scoped_or_declared_global() -> None:
    from bangfu.core.plugins import PluginHost, get_plugin_manager

    PluginHost(get_plugin_manager())  # imports every installed plugin's models
    scoped = {cls.__tablename__ for cls in scoping.scoped_models()}
    declared_global = {
        mapper.class_.__tablename__
        for mapper in Base.registry.mappers
        if mapper.class_.__area_scope__ == "global"
    }
    assert scoped | declared_global == {m.class_.__tablename__ for m in Base.registry.mappers}
    assert {
        "core_person",
        "core_household",
        "core_membership",
        "core_category_assignment",
    } <= scoped
    assert {
        "education_enrolment",
        "medical_insurance_enrolment",
        "housing_safety_appraisal",
        "employment_work_status",
    } <= scoped
    assert declared_global == {
        "core_region",
        "core_organisation",
        "core_user",
        "core_access_token",
        "core_api_client",
        "core_login_failure",
        "core_idempotency_record",
        "core_audit_event",
        "core_audit_head",
        "core_job_run",  # the record of job runs: operators' data, no GraphQL field
        "core_bottom_line_rules",
        "core_trusted_document",  # the documents each API client may run: operators' data
        # A user's notifications: read by their recipient only, whatever the area
        # (bangfu.core.notify.service.own), like their access tokens.
        "core_notification",
        "core_notification_delivery",
        "core_notification_attempt",  # attempts of plugin channels (bangfu notification log)
        "core_webhook_endpoint",  # partners' webhook endpoints: operators' data (CLI only)
        "core_webhook_delivery",  # and their deliveries and attempts (bangfu webhook log)
        "core_webhook_attempt",
    }
    assert "core_pairing" in scoped


def test_a_model_without_a_scope_stops_the_service() -> None:
    from sqlalchemy import Integer
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Isolated(DeclarativeBase):
        pass

    class Loose(Isolated):
        __tablename__ = "loose"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    original = scoping.Base
    scoping.Base = Isolated  # type: ignore[misc]
    try:
        with pytest.raises(scoping.UnscopedModelError, match="loose"):
            scoping.scoped_models()
    finally:
        scoping.Base = original  # type: ignore[misc]


def test_the_token_lookup_reads_global_tables_only() -> None:
    """The token lookup runs on the session's connection, where no area criteria are added:
    every table it reads must be one that no area concerns."""
    from bangfu.core.security.auth import _TOKEN_LOOKUP

    global_tables = {
        mapper.class_.__table__
        for mapper in Base.registry.mappers
        if getattr(mapper.class_, "__area_scope__", None) == "global"
    }
    read = set(find_tables(_TOKEN_LOOKUP))
    assert {t.name for t in read} == {
        "core_access_token",
        "core_user",
        "core_region",
        "core_organisation",
    }
    assert read <= global_tables


READ = """
query($id: ID!, $region: String) {
  node(id: $id) { id ... on Person { name } }
  person(id: $id) { name household { head { name } } }
  persons(first: 10, filter: {regionCode: $region}) { totalCount nodes { name } }
  households(first: 10) { totalCount nodes { members { person { name } } } }
}"""


async def test_out_of_area_reads_look_like_absent_ones(world: World) -> None:
    h = world.h
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    mine = await h.ok(READ, {"id": person["id"]}, token=world.xiangfen)
    assert mine["node"]["name"] == "王建国"
    assert mine["person"]["household"]["head"]["name"] == "王建国"
    assert mine["persons"]["totalCount"] == 3 and mine["households"]["totalCount"] == 1

    other = await h.ok(READ, {"id": person["id"]}, token=world.hongtong)
    absent = await h.ok(READ, {"id": to_global_id("Person", 987654)}, token=world.hongtong)
    assert (
        other
        == absent
        == {
            "node": None,
            "person": None,
            "persons": {"totalCount": 0, "nodes": []},
            "households": {"totalCount": 0, "nodes": []},
        }
    )
    # A filter naming the other county counts nothing either.
    filtered = await h.ok(READ, {"id": person["id"], "region": "141023"}, token=world.hongtong)
    assert filtered["persons"] == {"totalCount": 0, "nodes": []}

    city = await h.ok(READ, {"id": person["id"]}, token=world.admin)
    assert city["person"]["name"] == "王建国" and city["persons"]["totalCount"] == 3


async def test_a_nested_traversal_does_not_leave_the_area(world: World) -> None:
    h = world.h
    # A Hongtong household whose member's guardian lives in Xiangfen.
    guardian = (await create_household(h, world.xiangfen))["household"]["head"]
    child = (
        await create_household(
            h,
            world.hongtong,
            village=HONGTONG_VILLAGE,
            members=[
                {
                    "relation": "HEAD",
                    "person": {
                        "name": "孤儿",
                        "idNumber": id_number(dt.date(2015, 1, 1), "141024"),
                    },
                }
            ],
        )
    )["household"]["head"]
    update = """mutation($input: PersonUpdateInput!) { personUpdate(input: $input) { errors { code } } }"""
    # Hongtong staff cannot even name the Xiangfen guardian...
    answer = await h.ok(
        update,
        {"input": {"id": child["id"], "expectedVersion": 1, "guardianId": guardian["id"]}},
        token=world.hongtong,
    )
    assert answer["personUpdate"]["errors"] == [{"code": "NOT_FOUND"}]
    # ...the city administrator can, and the nested guardian stays invisible to Hongtong.
    answer = await h.ok(
        update,
        {"input": {"id": child["id"], "expectedVersion": 1, "guardianId": guardian["id"]}},
        token=world.admin,
    )
    assert answer["personUpdate"]["errors"] == []
    query = "query($id: ID!) { person(id: $id) { name guardian { name } } }"
    assert (await h.ok(query, {"id": child["id"]}, token=world.hongtong))["person"] == {
        "name": "孤儿",
        "guardian": None,
    }
    assert (await h.ok(query, {"id": child["id"]}, token=world.admin))["person"]["guardian"] == {
        "name": "王建国"
    }


async def test_search_matches_percent_and_underscore_literally(world: World) -> None:
    h = world.h
    await create_household(
        h,
        world.xiangfen,
        members=[{"relation": "HEAD", "person": {"name": "王_%", "idNumber": id_number()}}],
    )
    await create_household(
        h,
        world.xiangfen,
        members=[{"relation": "HEAD", "person": {"name": "王五", "idNumber": id_number()}}],
    )
    query = "query($s: String) { persons(first: 10, filter: {search: $s}) { nodes { name } } }"
    assert (await h.ok(query, {"s": "_%"}, token=world.xiangfen))["persons"]["nodes"] == [
        {"name": "王_%"}
    ]
    assert (await h.ok(query, {"s": "%"}, token=world.xiangfen))["persons"]["nodes"] == [
        {"name": "王_%"}
    ]
    assert len((await h.ok(query, {"s": "王"}, token=world.xiangfen))["persons"]["nodes"]) == 2


async def test_search_by_full_id_number(world: World) -> None:
    h = world.h
    number = id_number()
    await create_household(
        h,
        world.xiangfen,
        members=[{"relation": "HEAD", "person": {"name": "赵六", "idNumber": number}}],
    )
    query = "query($s: String) { persons(first: 10, filter: {search: $s}) { nodes { name } } households(first: 5, filter: {search: $s}) { totalCount } }"
    found = await h.ok(query, {"s": number.lower()}, token=world.xiangfen)
    assert found == {"persons": {"nodes": [{"name": "赵六"}]}, "households": {"totalCount": 1}}
    assert (await h.ok(query, {"s": number}, token=world.hongtong))["persons"]["nodes"] == []


@pytest.mark.parametrize("first", [0, -1, 101, 10**8])
async def test_page_size_is_bounded(world: World, first: int) -> None:
    answer = await world.h.gql(
        "query($f: Int!) { persons(first: $f) { totalCount } }", {"f": first}, token=world.admin
    )
    assert "data" not in answer  # refused before anything ran
    assert "first" in answer["errors"][0]["message"]
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_first_is_required(world: World) -> None:
    answer = await world.h.gql("{ persons { totalCount } }", token=world.admin)
    assert "first" in answer["errors"][0]["message"]


async def test_keyset_pagination_walks_every_row_once(world: World) -> None:
    h = world.h
    for _ in range(4):
        await create_household(h, world.xiangfen)
    seen: list[str] = []
    after = None
    while True:
        page = (
            await h.ok(
                "query($a: String) { persons(first: 5, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }",
                {"a": after},
                token=world.xiangfen,
            )
        )["persons"]
        assert page["totalCount"] == 12
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 12


async def test_anonymous_requests_get_401_before_execution(world: World) -> None:
    await create_household(world.h, world.xiangfen)
    for query in (
        "{ persons(first: 5) { totalCount } }",
        "{ plugins { name } persons(first: 1) { totalCount } }",
        "query { ...F } fragment F on Query { households(first: 1) { totalCount } }",
        "mutation { logout }",
    ):
        response = await world.h.client.post("/graphql", json={"query": query})
        assert response.status_code == 401, query
        assert "data" not in response.text
    # Logging in and asking what the service runs need no token.
    public = await world.h.gql("{ plugins { name } __typename }")
    assert len(public["data"]["plugins"]) == 4


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic abc", "Bearer "])
async def test_bad_tokens_are_refused_before_execution(world: World, header: str) -> None:
    response = await world.h.client.post(
        "/graphql", json={"query": "{ plugins { name } }"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert "data" not in response.text


async def test_expired_and_revoked_tokens_are_refused(world: World) -> None:
    h = world.h
    async with h.session() as session, session.begin():
        token = (await session.scalars(select(AccessToken))).first()
        assert token is not None
    for change in (
        {"expires_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)},
        {"revoked_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)},
    ):
        fresh = await h.actor(f"user{id(change)}", roles=[], region="141023")
        assert (await h.post("{ plugins { name } }", token=fresh)).status_code == 200
        async with h.session() as session, session.begin():
            record = (
                await session.scalars(select(AccessToken).order_by(AccessToken.id.desc()))
            ).first()
            assert record is not None
            for key, value in change.items():
                setattr(record, key, value)
        assert (await h.post("{ plugins { name } }", token=fresh)).status_code == 401


LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token expiresAt errors { code message } } }"


async def test_login_and_logout(world: World) -> None:
    h = world.h
    async with h.session() as session, session.begin():
        user = await session.scalar(select(User).where(User.username == "xiangfen"))
        assert user is not None
        user.password_hash = hash_password("Xiangfen-2026!")
    wrong = await h.ok(LOGIN, {"u": "xiangfen", "p": "nope"})
    nobody = await h.ok(LOGIN, {"u": "nobody", "p": "nope"})
    assert (
        wrong
        == nobody
        == {
            "login": {
                "token": None,
                "expiresAt": None,
                "errors": [
                    {"code": "INVALID_CREDENTIALS", "message": "wrong user name or password"}
                ],
            }
        }
    )
    ok = await h.ok(LOGIN, {"u": "xiangfen", "p": "Xiangfen-2026!"})
    token = ok["login"]["token"]
    assert token and ok["login"]["errors"] == []
    me = await h.ok("{ me { username roles regionCode } }", token=token)
    assert me == {
        "me": {"username": "xiangfen", "roles": ["CIVIL_AFFAIRS_OFFICER"], "regionCode": "141023"}
    }
    assert (await h.ok("mutation { logout }", token=token)) == {"logout": True}
    assert (await h.post("{ me { username } }", token=token)).status_code == 401


async def test_demo_users_cannot_log_in_outside_demo_mode(world: World) -> None:
    h = world.h
    async with h.session() as session, session.begin():
        user = await session.scalar(select(User).where(User.username == "hongtong"))
        assert user is not None
        user.password_hash = hash_password("Hongtong-2026!")
        user.is_demo = True
    refused = await h.ok(LOGIN, {"u": "hongtong", "p": "Hongtong-2026!"})
    assert refused["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await h.post("{ me { username } }", token=world.hongtong)).status_code == 401


async def test_health_and_readiness(world: World) -> None:
    assert (await world.h.client.get("/healthz")).json() == {"status": "ok"}
    assert (await world.h.client.get("/readyz")).json() == {"status": "ready"}


SCOPED_READ = """
{
  households(first: 10) {
    totalCount
    nodes { address members { person { name categories { category }
                                        memberships { household { address } } } } }
  }
  persons(first: 10) { totalCount nodes { name } }
}"""


async def test_areas_take_turns_on_the_same_compiled_statements(world: World) -> None:
    """Area criteria are bound parameters of statements compiled once per shape: actors of
    different areas, one after another on the same process and engine, each see exactly
    their own rows — households (area path), memberships (household-scoped) and
    categories (person-scoped) alike — however often they take turns."""
    h = world.h
    await h.region("141023200", "汾城镇", "141023")
    await h.region("141023200201", "南关村", "141023200")
    township = await h.actor("township", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023100")
    names = {"141023100201": "甲", "141023200201": "乙", HONGTONG_VILLAGE: "丙"}
    for village, name in names.items():
        county = village[:6]
        head = (
            await create_household(
                h,
                world.admin,
                village=village,
                members=[
                    {
                        "relation": "HEAD",
                        "person": {"name": name, "idNumber": id_number(county=county)},
                    }
                ],
            )
        )["household"]["head"]
        org = to_global_id("Organisation", (await h.organisation(f"{county}-civil-affairs")).id)
        assign = (
            "mutation($i: CategoryAssignInput!) { categoryAssign(input: $i) { errors { code } } }"
        )
        answer = await h.ok(
            assign,
            {
                "i": {
                    "personId": head["id"],
                    "category": "DIBAO",
                    "validFrom": "2024-01-01",
                    "certifyingOrganisationId": org,
                }
            },
            token=world.admin,
        )
        assert answer["categoryAssign"]["errors"] == []

    def seen(data: dict[str, Any]) -> list[str]:
        persons = [n["name"] for n in data["persons"]["nodes"]]
        in_households = [
            m["person"]["name"] for n in data["households"]["nodes"] for m in n["members"]
        ]
        assert sorted(persons) == sorted(in_households)
        assert data["persons"]["totalCount"] == data["households"]["totalCount"] == len(persons)
        for node in data["households"]["nodes"]:
            for member in node["members"]:
                assert member["person"]["categories"] == [{"category": "DIBAO"}]
                assert member["person"]["memberships"] == [
                    {"household": {"address": node["address"]}}
                ]
        return sorted(persons)

    expected = {
        world.xiangfen: ["乙", "甲"],
        township: ["甲"],
        world.hongtong: ["丙"],
        world.admin: ["丙", "乙", "甲"],
    }
    for _ in range(2):
        for token in (
            world.hongtong,
            world.xiangfen,
            township,
            world.admin,
            world.hongtong,
            township,
        ):
            assert seen(await h.ok(SCOPED_READ, token=token)) == expected[token]


COUNT = "query($r: String!) { persons(first: 1, filter: {regionCode: $r}) { totalCount } }"


async def test_counts_of_a_region_are_counted_within_the_actor_area(world: World) -> None:
    """A count whose only filter is a region is one range of the area-path index when the
    region lies inside the actor's area (the actor's range is implied); a region above or
    beside the area is still cut to the area. The answers are the same either way, with
    compiled execution on or off."""
    h = world.h
    township = await h.actor("township", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023100")
    await create_household(h, world.xiangfen)  # 3 persons in 141023100201
    await create_household(h, world.hongtong, village=HONGTONG_VILLAGE)
    expected = [
        (world.admin, "141000", 6),
        (world.admin, "141023", 3),
        (world.xiangfen, "141023", 3),
        (world.xiangfen, "141023100", 3),
        (world.xiangfen, "141000", 3),  # the city, cut to the county
        (world.xiangfen, "141024", 0),  # beside the area
        (township, "141023", 3),  # above the area: cut to the township
        (township, "141023100", 3),
        (world.hongtong, "141023", 0),
    ]
    for compiled in (True, False):
        h.settings.compiled = compiled
        try:
            for token, region, count in expected:
                answer = await h.ok(COUNT, {"r": region}, token=token)
                assert answer["persons"]["totalCount"] == count, (compiled, region, count)
        finally:
            h.settings.compiled = True


_segment = st.text(alphabet="0123456789/", min_size=1, max_size=8)


@given(area=st.lists(_segment, min_size=1, max_size=3), region=st.lists(_segment, max_size=4))
def test_a_region_within_the_area_lies_inside_its_bounds(
    area: list[str], region: list[str]
) -> None:
    """``scoping.region_within_area`` says yes only when every path between the region's
    bounds lies between the area's: the actor's own criteria are then implied. Paths are
    made of any characters that sort around the separator; a paired official and an actor
    without an area are always told no."""
    from bangfu.core.db import path_bounds
    from bangfu.core.security.actor import Actor, ActorKind

    area_path = "/".join(area) + "/"
    region_path = area_path + "/".join(region) + ("/" if region else "")
    for path in (region_path, region_path[:-1] or "/", "/".join(region) + "/"):
        actor = Actor(kind=ActorKind.USER, name="a", id=1, area_path=area_path)
        if scoping.region_within_area(actor, path):
            lower, upper = path_bounds(path)
            area_lower, area_upper = path_bounds(area_path)
            assert area_lower <= lower and upper <= area_upper
        paired = Actor(
            kind=ActorKind.USER,
            name="p",
            id=2,
            area_path=area_path,
            roles=frozenset({Role.PAIRED_OFFICIAL}),
        )
        assert paired.paired_only and not scoping.region_within_area(paired, path)
        nowhere = Actor(kind=ActorKind.USER, name="n", id=3, area_path=None)
        assert not scoping.region_within_area(nowhere, path)
