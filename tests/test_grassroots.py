"""R7, the grassroots do the groundwork: township and village organisations
(``organisationCreate``, ``organisations``) and the grassroots worker's role."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.calendar import today
from bangfu.core.plugins import PluginHost, get_plugin_manager
from bangfu.core.registry.models import Category, Organisation, OrganisationKind
from bangfu.core.security import Role
from bangfu.core.security.actor import Actor, ActorKind
from bangfu.core.security.models import AuditEvent
from tests.helpers import HONGTONG_VILLAGE, XIANGFEN_VILLAGE, World
from tests.test_care_helpers import family, official, organisation_gid

pytestmark = pytest.mark.anyio

TOWNSHIP = "141023100"
SECOND_VILLAGE = "141023100202"
OTHER_TOWNSHIP = "141023101"
OTHER_VILLAGE = "141023101201"

CREATE = """
mutation($input: OrganisationCreateInput!) {
  organisationCreate(input: $input) {
    organisation { id code name kind regionCode region { code level } }
    errors { field code message }
  }
}"""

LIST = """
query($kind: OrganisationKind, $region: String, $within: String) {
  organisations(kind: $kind, regionCode: $region, withinRegionCode: $within) { code kind }
}"""

VISIT = """
mutation($input: ScreeningVisitRecordInput!) {
  screeningVisitRecord(input: $input) {
    screeningVisit { id visitor { displayName } organisation { code }
                     problems { domain isKey severity } }
    household { isKeyHousehold }
    errors { field code }
  }
}"""

CAMPAIGN = """
mutation($input: ScreeningCampaignCreateInput!) {
  screeningCampaignCreate(input: $input) { screeningCampaign { id } targetCount errors { code } }
}"""

RAISE = """
mutation($input: CareEventRaiseInput!) {
  careEventRaise(input: $input) { careEvent { id kind raisedBy } errors { field code } }
}"""


async def create(world: World, token: str, **values: Any) -> dict[str, Any]:
    data = await world.h.ok(CREATE, {"input": values}, token=token)
    return data["organisationCreate"]  # type: ignore[no-any-return]


def codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def forbidden(answer: dict[str, Any]) -> bool:
    return answer["data"] is None or any(
        e["extensions"]["code"] == "FORBIDDEN" for e in answer.get("errors", [])
    )


async def regions(world: World) -> None:
    await world.h.region(SECOND_VILLAGE, "西关村", TOWNSHIP)
    await world.h.region(OTHER_TOWNSHIP, "汾城镇", "141023")
    await world.h.region(OTHER_VILLAGE, "南高村", OTHER_TOWNSHIP)


async def organisations(world: World, token: str, **variables: Any) -> list[tuple[str, str]]:
    data = await world.h.ok(LIST, variables, token=token)
    return [(o["code"], o["kind"]) for o in data["organisations"]]


# -- organisationCreate ------------------------------------------------------------------


async def test_each_kind_is_created_on_its_level_and_listed(world: World) -> None:
    made = [
        await create(
            world,
            world.admin,
            name="中共襄汾县新城镇委员会",
            kind="TOWNSHIP_PARTY_COMMITTEE",
            regionCode=TOWNSHIP,
        ),
        await create(
            world,
            world.xiangfen,
            name="襄汾县新城镇人民政府",
            kind="TOWNSHIP_GOVERNMENT",
            regionCode=TOWNSHIP,
        ),
        await create(
            world,
            world.xiangfen,
            name="中共新城镇东关村支部委员会",
            kind="VILLAGE_PARTY_BRANCH",
            regionCode=XIANGFEN_VILLAGE,
        ),
        await create(
            world,
            world.xiangfen,
            name="新城镇东关村村民委员会",
            kind="VILLAGE_COMMITTEE",
            regionCode=XIANGFEN_VILLAGE,
            code="dongguan-cwh",
        ),
        await create(
            world,
            world.xiangfen,
            name="中共新城镇东关村总支部委员会",
            kind="GRASSROOTS_PARTY_ORGANISATION",
            regionCode=XIANGFEN_VILLAGE,
        ),
    ]
    assert [m["errors"] for m in made] == [[]] * 5
    assert [(m["organisation"]["code"], m["organisation"]["region"]["level"]) for m in made] == [
        ("141023100-township-party-committee", "TOWNSHIP"),
        ("141023100-township-government", "TOWNSHIP"),
        ("141023100201-village-party-branch", "VILLAGE"),
        ("dongguan-cwh", "VILLAGE"),
        ("141023100201-grassroots-party-organisation", "VILLAGE"),
    ]
    async with world.h.session() as session:
        saved = await session.scalar(
            select(Organisation).where(Organisation.code == "dongguan-cwh")
        )
        assert saved is not None
        assert (saved.kind, saved.region_code, saved.name) == (
            OrganisationKind.VILLAGE_COMMITTEE,
            XIANGFEN_VILLAGE,
            "新城镇东关村村民委员会",
        )
        audited = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.operation == "mutation:organisationCreate")
            )
        ).all()
    assert [row.outcome for row in audited] == ["ok"] * 5
    assert made[3]["organisation"]["id"] in audited[3].targets

    # Listed by kind, by region, and below a region.
    assert await organisations(world, world.supervisor, kind="VILLAGE_PARTY_BRANCH") == [
        ("141023100201-village-party-branch", "VILLAGE_PARTY_BRANCH")
    ]
    assert [c for c, _ in await organisations(world, world.xiangfen, region=TOWNSHIP)] == [
        "141023100-township-party-committee",
        "141023100-township-government",
    ]
    within = await organisations(world, world.xiangfen, within="141023")
    assert {c for c, _ in within} >= {
        "141023-government",
        "141023-civil-affairs",
        "141023100-township-party-committee",
        "dongguan-cwh",
    }
    assert "141024-civil-affairs" not in {c for c, _ in within}
    assert await organisations(world, world.xiangfen, within="999999") == []
    assert (
        await organisations(
            world, world.xiangfen, kind="VILLAGE_COMMITTEE", within=HONGTONG_VILLAGE
        )
        == []
    )


async def test_a_kind_on_the_wrong_level_or_of_the_reference_data_is_refused(
    world: World,
) -> None:
    cases = [
        ({"kind": "VILLAGE_PARTY_BRANCH", "regionCode": TOWNSHIP}, "WRONG_REGION_LEVEL"),
        ({"kind": "VILLAGE_COMMITTEE", "regionCode": "141023"}, "WRONG_REGION_LEVEL"),
        (
            {"kind": "TOWNSHIP_PARTY_COMMITTEE", "regionCode": XIANGFEN_VILLAGE},
            "WRONG_REGION_LEVEL",
        ),
        ({"kind": "TOWNSHIP_GOVERNMENT", "regionCode": "141000"}, "WRONG_REGION_LEVEL"),
        ({"kind": "GRASSROOTS_PARTY_ORGANISATION", "regionCode": "141023"}, "WRONG_REGION_LEVEL"),
        ({"kind": "TOWNSHIP_PARTY_COMMITTEE", "regionCode": "141023999"}, "UNKNOWN_REGION"),
    ]
    for values, code in cases:
        payload = await create(world, world.admin, name="某组织", **values)
        assert codes(payload) == [("input.regionCode", code)], values
        assert payload["organisation"] is None
    wrong = await create(
        world,
        world.admin,
        name="中共襄汾县新城镇委员会",
        kind="VILLAGE_PARTY_BRANCH",
        regionCode=TOWNSHIP,
    )
    assert "VILLAGE" in wrong["errors"][0]["message"] and TOWNSHIP in wrong["errors"][0]["message"]
    for kind in ("DEPARTMENT", "PARTY_COMMITTEE", "TRADE_UNION", "COUNTY_GOVERNMENT"):
        payload = await create(world, world.admin, name="某局", kind=kind, regionCode="141023")
        assert codes(payload) == [("input.kind", "INVALID_INPUT")], kind
    async with world.h.session() as session:
        made = await session.scalars(
            select(Organisation.code).where(Organisation.region_code.like("141023_%"))
        )
        assert list(made) == []


async def test_names_and_codes_are_checked(world: World) -> None:
    first = await create(
        world,
        world.xiangfen,
        name=" 新城镇东关村村民委员会 ",
        kind="VILLAGE_COMMITTEE",
        regionCode=XIANGFEN_VILLAGE,
    )
    assert first["organisation"]["name"] == "新城镇东关村村民委员会"
    cases = [
        ({"name": "   "}, ("input.name", "REQUIRED")),
        ({"name": "村" * 201}, ("input.name", "TOO_LONG")),
        ({"name": "新城镇东关村村民委员会"}, ("input.name", "DUPLICATE_ORGANISATION")),
        (
            {
                "name": "东关村党支部",
                "kind": "VILLAGE_PARTY_BRANCH",
                "code": "141023-civil-affairs",
            },
            ("input.code", "DUPLICATE_ORGANISATION"),
        ),
        (
            {"name": "东关村党支部", "kind": "VILLAGE_PARTY_BRANCH", "code": "a b"},
            ("input.code", "INVALID_INPUT"),
        ),
        (
            {"name": "东关村党支部", "kind": "VILLAGE_PARTY_BRANCH", "code": "x" * 65},
            ("input.code", "INVALID_INPUT"),
        ),
        # The default code of a second village committee of the village is taken.
        ({"name": "东关村第二村民委员会"}, ("input.code", "DUPLICATE_ORGANISATION")),
    ]
    for values, expected in cases:
        values = {"kind": "VILLAGE_COMMITTEE", "regionCode": XIANGFEN_VILLAGE, **values}
        payload = await create(world, world.xiangfen, **values)
        assert codes(payload) == [expected], values
    # The same name in another village is another organisation.
    await world.h.region(SECOND_VILLAGE, "西关村", TOWNSHIP)
    other = await create(
        world,
        world.xiangfen,
        name="新城镇东关村村民委员会",
        kind="VILLAGE_COMMITTEE",
        regionCode=SECOND_VILLAGE,
    )
    assert other["errors"] == []


async def test_only_administrators_and_civil_affairs_in_their_area_create(
    world: World,
) -> None:
    # A county officer of another county: outside their area, nothing written.
    payload = await create(
        world,
        world.hongtong,
        name="中共襄汾县新城镇委员会",
        kind="TOWNSHIP_PARTY_COMMITTEE",
        regionCode=TOWNSHIP,
    )
    assert codes(payload) == [("input.regionCode", "OUT_OF_AREA")]
    worker = await grassroots_worker(world, "cunganbu", XIANGFEN_VILLAGE)
    for token in (world.supervisor, worker):
        answer = await world.h.gql(
            CREATE,
            {
                "input": {
                    "name": "某组织",
                    "kind": "VILLAGE_COMMITTEE",
                    "regionCode": XIANGFEN_VILLAGE,
                }
            },
            token=token,
        )
        assert forbidden(answer), answer
    async with world.h.session() as session:
        made = await session.scalars(
            select(Organisation.id).where(Organisation.region_code.like("141023_%"))
        )
        # Only the worker's own branch, made below directly.
        assert len(list(made)) == 1


# -- the grassroots worker ---------------------------------------------------------------


async def grassroots_worker(world: World, username: str, region: str) -> str:
    """A GRASSROOTS_WORKER of a new Party organisation of ``region`` (a township's Party
    committee or a village's Party branch); a bearer token."""
    kind = "TOWNSHIP_PARTY_COMMITTEE" if len(region) == 9 else "VILLAGE_PARTY_BRANCH"
    code = f"{region}-{username}"
    made = await create(
        world, world.admin, name=f"{username}党组织", kind=kind, regionCode=region, code=code
    )
    assert made["errors"] == []
    return await world.h.actor(
        username, roles=[Role.GRASSROOTS_WORKER], region=region, organisation=code
    )


async def campaign(world: World) -> str:
    start = today() - dt.timedelta(days=10)
    data = await world.h.ok(
        CAMPAIGN,
        {
            "input": {
                "name": "2026年襄汾县特困群体排查",
                "regionCode": "141023",
                "startsOn": start.isoformat(),
                "endsOn": (start + dt.timedelta(days=60)).isoformat(),
            }
        },
        token=world.xiangfen,
    )
    return data["screeningCampaignCreate"]["screeningCampaign"]["id"]  # type: ignore[no-any-return]


def visit_input(campaign_id: str, household: str, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "campaignId": campaign_id,
            "householdId": household,
            "visitedOn": today().isoformat(),
            "outcome": "VISITED",
            **extra,
        }
    }


async def test_the_village_worker_screens_and_raises_care_events_in_the_village(
    world: World,
) -> None:
    await regions(world)
    mine = await family(world.h, categories=(Category.SPECIAL_HARDSHIP, Category.ORPHAN))
    neighbours = await family(world.h, SECOND_VILLAGE)
    elsewhere = await family(world.h, OTHER_VILLAGE)
    campaign_id = await campaign(world)
    village = await grassroots_worker(world, "dongguan", XIANGFEN_VILLAGE)

    problem = {
        "domain": "LIVING",
        "description": "冬季取暖困难",
        "severity": "HIGH",
        "isKey": True,
        "personId": mine.person_gids[1],
    }
    data = await world.h.ok(
        VISIT, visit_input(campaign_id, mine.gid, problems=[problem]), token=village
    )
    recorded = data["screeningVisitRecord"]
    assert recorded["errors"] == []
    visit = recorded["screeningVisit"]
    assert visit["visitor"]["displayName"] == "dongguan"
    assert visit["organisation"]["code"] == f"{XIANGFEN_VILLAGE}-dongguan"
    assert visit["problems"] == [{"domain": "LIVING", "isKey": True, "severity": "HIGH"}]
    assert recorded["household"]["isKeyHousehold"] is True
    # The free text is sensitive (PIPL art. 28): civil affairs reads it, the worker does not.
    notes = (
        "query($id: ID!) { node(id: $id) { ... on ScreeningVisit { problems { description } } } }"
    )
    answer = await world.h.gql(notes, {"id": visit["id"]}, token=world.xiangfen)
    assert answer["data"]["node"]["problems"] == [{"description": "冬季取暖困难"}]
    answer = await world.h.gql(notes, {"id": visit["id"]}, token=village)
    assert answer["data"]["node"]["problems"] == [None] or forbidden(answer)
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]

    raised = await world.h.ok(
        RAISE,
        {
            "input": {
                "personId": mine.person_gids[0],
                "kind": "HOSPITALISATION",
                "occurredOn": today().isoformat(),
            }
        },
        token=village,
    )
    assert raised["careEventRaise"]["errors"] == []
    assert raised["careEventRaise"]["careEvent"]["kind"] == "HOSPITALISATION"

    # Outside the village, the households and persons are not there for the worker.
    for other in (neighbours, elsewhere):
        data = await world.h.ok(VISIT, visit_input(campaign_id, other.gid), token=village)
        assert codes(data["screeningVisitRecord"]) == [("input.householdId", "NOT_FOUND")]
        data = await world.h.ok(
            RAISE,
            {
                "input": {
                    "personId": other.person_gids[0],
                    "kind": "HOSPITALISATION",
                    "occurredOn": today().isoformat(),
                }
            },
            token=village,
        )
        assert codes(data["careEventRaise"]) == [("input.personId", "NOT_FOUND")]

    # A visit for another organisation than one within reach is refused.
    data = await world.h.ok(
        VISIT,
        visit_input(
            campaign_id,
            mine.gid,
            organisationId=await organisation_gid(world.h, "141024-civil-affairs"),
        ),
        token=village,
    )
    assert codes(data["screeningVisitRecord"]) == [("input.organisationId", "UNKNOWN_ORGANISATION")]


async def test_the_grassroots_worker_reads_only_its_area(world: World) -> None:
    await regions(world)
    mine = await family(world.h)
    neighbours = await family(world.h, SECOND_VILLAGE)
    await family(world.h, OTHER_VILLAGE)
    await family(world.h, HONGTONG_VILLAGE)
    village = await grassroots_worker(world, "dongguan", XIANGFEN_VILLAGE)
    township = await grassroots_worker(world, "xincheng", TOWNSHIP)
    query = "{ persons(first: 50) { totalCount nodes { id idNumber } } }"

    seen = (await world.h.ok(query, token=village))["persons"]
    assert {n["id"] for n in seen["nodes"]} == set(mine.person_gids)
    assert all("*" in n["idNumber"] for n in seen["nodes"])  # masked
    seen = (await world.h.ok(query, token=township))["persons"]
    assert {n["id"] for n in seen["nodes"]} == {*mine.person_gids, *neighbours.person_gids}

    # No full ID number: revealing one is not the grassroots' work.
    answer = await world.h.gql(
        "mutation($id: ID!) { personReveal(input: {id: $id, fields: [ID_NUMBER], "
        'reason: "核对"}) { idNumber } }',
        {"id": mine.person_gids[0]},
        token=village,
    )
    assert forbidden(answer), answer


CATEGORY = """
mutation($input: CategoryAssignInput!) {
  categoryAssign(input: $input) { categoryAssignment { id } errors { code } }
}"""
MEASURE = """
mutation($input: AssistanceMeasureAddInput!) {
  assistanceMeasureAdd(input: $input) { measure { id } errors { code } }
}"""
PAIRING = """
mutation($input: PairingStartInput!) {
  pairingStart(input: $input) { pairing { id } errors { code } }
}"""


async def test_the_grassroots_worker_certifies_nothing_and_changes_no_assistance(
    world: World,
) -> None:
    mine = await family(world.h)
    village = await grassroots_worker(world, "dongguan", XIANGFEN_VILLAGE)
    _token, official_gid = await official(world.h, "cadre")
    certifier = await organisation_gid(world.h, "141023-civil-affairs")
    attempts = [
        (
            CATEGORY,
            {
                "personId": mine.person_gids[0],
                "category": "DIBAO",
                "validFrom": today().isoformat(),
                "certifyingOrganisationId": certifier,
            },
        ),
        (
            MEASURE,
            {
                "householdId": mine.gid,
                "domain": "LIVING",
                "description": "冬季取暖补助",
                "problemIds": [],
                "responsibleOrganisationId": certifier,
                "deadline": (today() + dt.timedelta(days=30)).isoformat(),
                "fundingSource": "SOCIAL_DONATION",
            },
        ),
        (PAIRING, {"personId": mine.person_gids[0], "officialId": official_gid}),
    ]
    for document, values in attempts:
        answer = await world.h.gql(document, {"input": values}, token=village)
        assert answer["data"] is None or all(v is None for v in answer["data"].values())
        assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"], answer
    answer = await world.h.gql(
        f'{{ assessment(regionCode: "141023", year: {today().year}) {{ year }} }}', token=village
    )
    assert forbidden(answer), answer


def test_the_grassroots_worker_holds_the_groundwork_and_nothing_else() -> None:
    """Every action of core, the care work and the built-in plugins: the role holds the
    reads every role has, screening visits and care events; no write of assistance, of
    categories or of a plugin, no sensitive read, no assessment, report or audit."""
    host = PluginHost(get_plugin_manager())
    worker = Actor(
        kind=ActorKind.USER,
        name="village",
        id=1,
        area_path="141000/141023/141023100/141023100201/",
        roles=frozenset({Role.GRASSROOTS_WORKER}),
    )
    granted = {name for name, action in host.actions.items() if action.granted_to(worker)}
    plugin_reads = {f"{name}:read" for name in host.plugins}
    assert granted == {"registry:read", "care:read", "screening:visit", "care:raise"} | plugin_reads
