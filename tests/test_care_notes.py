"""Free-text care notes (visit notes, problem descriptions, five knowns) are sensitive:
read by the area's care roles only, a child's like a child's data, every read audited."""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bangfu.core.calendar import age_on, today
from bangfu.core.plugins import PluginInfo, hookimpl
from bangfu.core.registry.models import Category, CategoryAssignment, Organisation, Person
from bangfu.core.security import Role
from bangfu.core.security.models import AuditEvent
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, World, id_number, make_world
from tests.test_care_helpers import official, pair
from tests.test_care_screening import campaign

pytestmark = pytest.mark.anyio

VISIT_NOTE = "户主重性精神病, 长期服药"
HEAD_PROBLEM = "户主重性精神病，需长期服药"
CHILD_PROBLEM = "孩子抑郁，拒绝上学"
HOUSE_PROBLEM = "门窗破损"
HEAD_KNOWN = "独居，靠低保生活"
CHILD_KNOWN = "母亲已故，由祖母照看"
SECRETS = (VISIT_NOTE, HEAD_PROBLEM, CHILD_PROBLEM, HOUSE_PROBLEM, HEAD_KNOWN, CHILD_KNOWN)

NOTES = """
query($campaign: ID!) {
  screeningCampaign(id: $campaign) {
    visits(first: 10) {
      nodes { outcome notes problems { domain severity description person { id } } }
    }
  }
  pairings(first: 10) {
    nodes { person { id } fiveKnowns { completeness items { item note verifiedOn } } }
  }
}"""

VISIT = """
mutation($input: ScreeningVisitRecordInput!) {
  screeningVisitRecord(input: $input) { errors { field code } }
}"""

FIVE_KNOWNS = """
mutation($input: PairingFiveKnownsUpdateInput!) {
  pairingFiveKnownsUpdate(input: $input) { errors { code } }
}"""


@dataclass
class Notes:
    campaign: str
    head: str
    child: str
    household: str
    head_official: str


async def household_with_a_child(h: Harness) -> tuple[str, str, str]:
    """A head (special hardship) and a child under 14 (orphan): global IDs."""
    household, (head, child) = await h.household(
        XIANGFEN_VILLAGE,
        [
            ("HEAD", "王建国", id_number(dt.date(1975, 3, 1))),
            ("CHILD", "王小明", id_number(today() - dt.timedelta(days=365 * 10))),
        ],
    )
    assert age_on(child.birth_date, today()) < 14
    async with h.session() as session, session.begin():
        certifier = await session.scalar(
            select(Organisation.id).where(Organisation.code == "141023-civil-affairs")
        )
        for person, category in ((head, Category.SPECIAL_HARDSHIP), (child, Category.ORPHAN)):
            session.add(
                CategoryAssignment(
                    person_id=person.id,
                    category=category,
                    valid_from=today() - dt.timedelta(days=365),
                    certifying_organisation_id=certifier,
                )
            )
    return (
        to_global_id("Household", household.id),
        to_global_id("Person", head.id),
        to_global_id("Person", child.id),
    )


async def record_notes(world: World) -> Notes:
    h = world.h
    household, head, child = await household_with_a_child(h)
    started = await campaign(world)
    campaign_id = started["screeningCampaign"]["id"]
    recorded = (
        await h.ok(
            VISIT,
            {
                "input": {
                    "campaignId": campaign_id,
                    "householdId": household,
                    "visitedOn": today().isoformat(),
                    "outcome": "VISITED",
                    "notes": VISIT_NOTE,
                    "problems": [
                        {
                            "domain": "MEDICAL",
                            "description": HEAD_PROBLEM,
                            "severity": "HIGH",
                            "isKey": True,
                            "personId": head,
                        },
                        {
                            "domain": "EDUCATION",
                            "description": CHILD_PROBLEM,
                            "severity": "HIGH",
                            "isKey": True,
                            "personId": child,
                        },
                        {"domain": "HOUSING", "description": HOUSE_PROBLEM, "severity": "LOW"},
                    ],
                }
            },
            token=world.xiangfen,
        )
    )["screeningVisitRecord"]
    assert recorded["errors"] == []
    head_token, head_official = await official(h, "head-official")
    child_token, child_official = await official(h, "child-official")
    for person, gid, token, note in (
        (head, head_official, head_token, HEAD_KNOWN),
        (child, child_official, child_token, CHILD_KNOWN),
    ):
        pairing = await pair(world, person, gid)
        written = await h.ok(
            FIVE_KNOWNS,
            {
                "input": {
                    "pairingId": pairing,
                    "items": [{"item": "FAMILY_SITUATION", "note": note}],
                }
            },
            token=token,
        )
        assert written["pairingFiveKnownsUpdate"]["errors"] == []
    return Notes(campaign_id, head, child, household, head_token)


async def read(world: World, notes: Notes, token: str) -> dict[str, Any]:
    return await world.h.gql(NOTES, {"campaign": notes.campaign}, token=token)


def forbidden_paths(answer: dict[str, Any]) -> set[str]:
    return {
        ".".join(str(p) for p in e["path"])
        for e in answer.get("errors", [])
        if e["extensions"]["code"] == "FORBIDDEN"
    }


async def audit_rows(h: Harness, operation: str, outcome: str) -> list[AuditEvent]:
    async with h.session() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.operation == operation, AuditEvent.outcome == outcome)
            .order_by(AuditEvent.id)
        )
        return list(rows)


async def test_care_roles_read_the_notes_and_every_read_is_audited(world: World) -> None:
    h = world.h
    notes = await record_notes(world)
    for token in (world.xiangfen, world.admin):
        answer = await read(world, notes, token)
        assert "errors" not in answer, answer
        [visit_node] = answer["data"]["screeningCampaign"]["visits"]["nodes"]
        assert visit_node["notes"] == VISIT_NOTE
        assert [p["description"] for p in visit_node["problems"]] == [
            HEAD_PROBLEM,
            CHILD_PROBLEM,
            HOUSE_PROBLEM,
        ]
        knowns = {
            n["person"]["id"]: n["fiveKnowns"]["items"][0]["note"]
            for n in answer["data"]["pairings"]["nodes"]
        }
        assert knowns == {notes.head: HEAD_KNOWN, notes.child: CHILD_KNOWN}
    # One row per request and kind of note, naming what was read.
    for operation, records in (
        ("query:ScreeningVisit.notes", 1),
        ("query:Problem.description", 3),
        ("query:FiveKnownEntry.note", 2),
    ):
        rows = await audit_rows(h, operation, "ok")
        assert [(r.actor_name, r.details) for r in rows] == [
            ("xiangfen", {"action": "registry:read-sensitive", "records": records}),
            ("admin", {"action": "registry:read-sensitive", "records": records}),
        ], operation
    [problems] = (await audit_rows(h, "query:Problem.description", "ok"))[:1]
    assert {notes.head, notes.child, notes.household} <= set(problems.targets)
    # The audit trail holds none of the text, neither the mutations' input nor changes.
    async with h.session() as session:
        stored = "\n".join(
            repr(tuple(row))
            for row in (await session.execute(text("SELECT * FROM core_audit_event"))).all()
        )
    for secret in SECRETS:
        assert secret not in stored


async def test_other_roles_get_null_and_forbidden_at_each_note(world: World) -> None:
    h = world.h
    notes = await record_notes(world)
    education = await h.actor(
        "education-officer",
        roles=[Role.DEPARTMENT_OFFICER],
        region="141000",
        department="education",
    )
    mass = await h.actor(
        "womens-federation", roles=[Role.MASS_ORGANISATION_MEMBER], region="141023"
    )
    expected = {
        "screeningCampaign.visits.nodes.0.notes",
        *(f"screeningCampaign.visits.nodes.0.problems.{i}.description" for i in range(3)),
        "pairings.nodes.0.fiveKnowns.items.0.note",
        "pairings.nodes.1.fiveKnowns.items.0.note",
    }
    for name, token in (("supervisor", world.supervisor), ("education", education), ("mass", mass)):
        answer = await read(world, notes, token)
        assert forbidden_paths(answer) == expected, name
        text_seen = json.dumps(answer, ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in text_seen, name
        # The rest of each object is intact.
        [visit_node] = answer["data"]["screeningCampaign"]["visits"]["nodes"]
        assert visit_node["outcome"] == "VISITED" and visit_node["notes"] is None
        assert [(p["domain"], p["severity"]) for p in visit_node["problems"]] == [
            ("MEDICAL", "HIGH"),
            ("EDUCATION", "HIGH"),
            ("HOUSING", "LOW"),
        ]
        items = [n["fiveKnowns"]["items"][0] for n in answer["data"]["pairings"]["nodes"]]
        assert [(i["item"], i["note"]) for i in items] == [("FAMILY_SITUATION", None)] * 2
    # Refusals are audited like other guarded fields; reads by nobody.
    denied = await audit_rows(h, "query:Problem.description", "denied")
    assert [r.actor_name for r in denied] == [
        "supervisor",
        "education-officer",
        "womens-federation",
    ]
    assert denied[0].details == {"action": "registry:read-sensitive", "code": "FORBIDDEN"}
    assert await audit_rows(h, "query:Problem.description", "ok") == []


async def test_a_paired_official_reads_the_notes_of_its_own_persons(world: World) -> None:
    """The head's official sees the household's key problems: the head's description,
    not the child's (paired with someone else, so not in its view); and the head's five
    knowns. Campaigns, and so visits, it does not see at all."""
    notes = await record_notes(world)
    answer = await world.h.gql(
        """{ unansweredKeyProblems(first: 10) { nodes { domain description person { id } } }
             pairings(first: 10) { nodes { person { id } fiveKnowns { items { note } } } } }""",
        token=notes.head_official,
    )
    assert forbidden_paths(answer) == {"unansweredKeyProblems.nodes.1.description"}
    problems = answer["data"]["unansweredKeyProblems"]["nodes"]
    assert problems == [
        {"domain": "MEDICAL", "description": HEAD_PROBLEM, "person": {"id": notes.head}},
        {"domain": "EDUCATION", "description": None, "person": None},
    ]
    [pairing] = answer["data"]["pairings"]["nodes"]
    assert pairing == {
        "person": {"id": notes.head},
        "fiveKnowns": {"items": [{"note": HEAD_KNOWN}]},
    }
    assert CHILD_KNOWN not in json.dumps(answer, ensure_ascii=False)


class NoChildData:
    """A plugin that refuses every child's data under 14 (a rule a city might add)."""

    @hookimpl
    def bangfu_plugin_info(self) -> PluginInfo:
        return PluginInfo(name="nochild", title="No child data (test)", version="0.0.1")

    @hookimpl
    def bangfu_permission_allowed(self, actor: Any, action: str, resource: Any) -> bool | None:
        if action == "registry:read-sensitive" and isinstance(resource, Person):
            return False if age_on(resource.birth_date, today()) < 14 else None
        return None


async def test_a_childs_notes_are_guarded_like_the_childs_data(
    tmp_path: Path, database_url: str | None
) -> None:
    async with Harness.start(
        tmp_path, database_url=database_url, extra_plugins=[NoChildData()]
    ) as h:
        world = await make_world(h)
        notes = await record_notes(world)
        answer = await read(world, notes, world.xiangfen)
        child_row = next(
            i
            for i, n in enumerate(answer["data"]["pairings"]["nodes"])
            if n["person"] is None or n["person"]["id"] == notes.child
        )
        assert forbidden_paths(answer) >= {
            "screeningCampaign.visits.nodes.0.problems.1.description",
            f"pairings.nodes.{child_row}.fiveKnowns.items.0.note",
        }
        [visit_node] = answer["data"]["screeningCampaign"]["visits"]["nodes"]
        assert visit_node["notes"] == VISIT_NOTE
        assert [p["description"] for p in visit_node["problems"]] == [
            HEAD_PROBLEM,
            None,
            HOUSE_PROBLEM,
        ]
        head_row = 1 - child_row
        assert (
            answer["data"]["pairings"]["nodes"][head_row]["fiveKnowns"]["items"][0]["note"]
            == HEAD_KNOWN
        )
