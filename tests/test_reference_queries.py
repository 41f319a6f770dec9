"""Regions, organisations and plugins as the API shows them."""

import pytest

from tests.helpers import World, create_household

pytestmark = pytest.mark.anyio


async def test_region_tree_of_linfen(world: World) -> None:
    data = await world.h.ok(
        """{ regions { code name level children { code name level } }
             region(code: "141023100201") { name level path parent { name parent { name } } } }""",
        token=world.xiangfen,
    )
    (linfen,) = data["regions"]
    assert (linfen["code"], linfen["name"], linfen["level"]) == ("141000", "临汾市", "CITY")
    names = [c["name"] for c in linfen["children"]]
    assert len(names) == 20 and names[:2] == ["尧都区", "曲沃县"]
    assert {"侯马市", "霍州市", "临汾经济开发区", "侯马经济开发区"} <= set(names)
    assert data["region"] == {
        "name": "东关村",
        "level": "VILLAGE",
        "path": "141000/141023/141023100/141023100201/",
        "parent": {"name": "新城镇", "parent": {"name": "襄汾县"}},
    }
    townships = await world.h.ok(
        '{ regions(parentCode: "141023") { code name } }', token=world.xiangfen
    )
    assert townships["regions"] == [{"code": "141023100", "name": "新城镇"}]


async def test_organisations_and_categories_history(world: World) -> None:
    h = world.h
    orgs = await h.ok(
        '{ organisations(regionCode: "141023") { name kind region { name } } }',
        token=world.xiangfen,
    )
    assert {"name": "襄汾县民政局", "kind": "DEPARTMENT", "region": {"name": "襄汾县"}} in orgs[
        "organisations"
    ]
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    org = (await h.organisation("141023-civil-affairs")).id
    from bangfu.schema.relay import to_global_id

    for valid_from, valid_to in (("2019-01-01", "2020-12-31"), ("2024-01-01", None)):
        answer = await h.ok(
            "mutation($i: CategoryAssignInput!) { categoryAssign(input: $i) { errors { code } } }",
            {
                "i": {
                    "personId": person["id"],
                    "category": "DIBAO",
                    "validFrom": valid_from,
                    "validTo": valid_to,
                    "certifyingOrganisationId": to_global_id("Organisation", org),
                }
            },
            token=world.xiangfen,
        )
        assert answer["categoryAssign"]["errors"] == []
    query = "query($id: ID!) { person(id: $id) { now: categories { validFrom } all: categories(activeOnly: false) { validFrom active } } }"
    data = await h.ok(query, {"id": person["id"]}, token=world.xiangfen)
    assert data["person"] == {
        "now": [{"validFrom": "2024-01-01"}],
        "all": [
            {"validFrom": "2019-01-01", "active": False},
            {"validFrom": "2024-01-01", "active": True},
        ],
    }
    filtered = await h.ok(
        "{ persons(first: 5, filter: {category: DIBAO}) { totalCount } households(first: 5, filter: {category: ORPHAN}) { totalCount } }",
        token=world.xiangfen,
    )
    assert filtered == {"persons": {"totalCount": 1}, "households": {"totalCount": 0}}


async def test_plugins_query_lists_the_four_domains(world: World) -> None:
    data = await world.h.ok("{ plugins { name title } }")
    assert sorted(p["name"] for p in data["plugins"]) == [
        "education",
        "employment",
        "housing",
        "medical",
    ]


async def test_organisation_is_a_node(world: World) -> None:
    from bangfu.schema.relay import to_global_id

    org = await world.h.organisation("141023-civil-affairs")
    data = await world.h.ok(
        "query($id: ID!) { node(id: $id) { id ... on Organisation { name kind } } }",
        {"id": to_global_id("Organisation", org.id)},
        token=world.xiangfen,
    )
    assert data["node"] == {
        "id": to_global_id("Organisation", org.id),
        "name": "襄汾县民政局",
        "kind": "DEPARTMENT",
    }
