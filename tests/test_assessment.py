"""The annual assessment (R9): shares with their lists, scores, ranks, eligibility."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from bangfu.core.calendar import today
from bangfu.core.care.enums import FiveKnownItem
from bangfu.core.care.event_models import CareEvent
from bangfu.core.care.events import CareEventKind
from bangfu.core.care.models import FiveKnown, Pairing
from bangfu.schema.relay import to_global_id
from tests.helpers import World
from tests.test_bottom_line import households
from tests.test_care_helpers import official

pytestmark = pytest.mark.anyio

DAY = today()
ASSESSMENT = """
query($year: Int!, $code: String!, $kind: AssessmentUnitKind) {
  assessment(year: $year, regionCode: $code, kind: $kind) {
    year regionCode asOf indicators { code weight threshold }
    units { unit { kind key name } score rank eligible ineligibleReasons
      indicators { indicator numerator denominator ratio belowThreshold
        items { label met note personId } unmet: items(unmetOnly: true) { label } } }
  } }"""


def by_key(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(u["unit"]["kind"], u["unit"]["key"]): u for u in data["assessment"]["units"]}


def indicator(unit: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in unit["indicators"] if i["indicator"] == code)


async def setup(world: World) -> dict[str, Any]:
    """The bottom-line households, the elder's five knowns fresh, two care events of the
    elder (one answered on time, one overdue) and one of the Hongtong head (answered late)."""
    people = await households(world)
    h = world.h
    deadline = DAY - dt.timedelta(days=10)
    if deadline.year != DAY.year:  # early January: keep the events in this year
        deadline = DAY
    async with h.session() as session, session.begin():
        pairing = await session.scalar(
            select(Pairing).where(Pairing.person_id == people["elder"].id)
        )
        assert pairing is not None
        pairing.start_date = deadline - dt.timedelta(days=30)  # paired before the events
        session.add_all(
            FiveKnown(
                pairing_id=pairing.id,
                person_id=people["elder"].id,
                item=item,
                note="记录",
                verified_on=DAY,
            )
            for item in FiveKnownItem
        )
        for person, answered in (
            (people["elder"], deadline),
            (people["elder"], None),
            (people["dibao"], deadline + dt.timedelta(days=1)),
        ):
            session.add(
                CareEvent(
                    person_id=person.id,
                    kind=CareEventKind.HOSPITALISATION,
                    occurred_on=deadline - dt.timedelta(days=3),
                    deadline=deadline,
                    raised_by="medical",
                    answered_on=answered,
                )
            )
    return people


async def test_assessment_per_county_and_official_with_lists(world: World) -> None:
    people = await setup(world)
    data = await world.h.ok(ASSESSMENT, {"year": DAY.year, "code": "141000"}, token=world.admin)
    units = by_key(data)
    xiangfen, hongtong = units[("REGION", "141023")], units[("REGION", "141024")]
    pairing = indicator(xiangfen, "pairing_coverage")
    assert (pairing["numerator"], pairing["denominator"], pairing["ratio"]) == (1, 2, 0.5)
    assert {(i["label"], i["met"]) for i in pairing["items"]} == {
        ("孤老甲", True),
        ("孤儿乙", False),
    }
    assert pairing["unmet"] == [{"label": "孤儿乙"}]
    assert next(i for i in pairing["items"] if not i["met"])["personId"] == to_global_id(
        "Person", people["orphan"].id
    )
    care = indicator(xiangfen, "care_timeliness")
    assert (care["numerator"], care["denominator"]) == (1, 2)
    assert (
        indicator(hongtong, "care_timeliness")["numerator"],
        indicator(hongtong, "care_timeliness")["denominator"],
    ) == (0, 1)
    assert indicator(hongtong, "pairing_coverage")["ratio"] == 0.0
    # Xiangfen does better than Hongtong; both fall below a threshold somewhere.
    assert xiangfen["rank"] == 1 and hongtong["rank"] == 2
    assert xiangfen["score"] > hongtong["score"]
    assert not hongtong["eligible"]
    assert any(
        r.startswith("pairing_coverage 0.0% (0/1) is below the 95% threshold")
        for r in hongtong["ineligibleReasons"]
    )
    # The official is assessed on their own persons' five knowns, events and bottom line.
    paired = units[("OFFICIAL", "paired-xf")]
    assert indicator(paired, "five_knowns_freshness")["ratio"] == 1.0
    assert (
        indicator(paired, "care_timeliness")["numerator"],
        indicator(paired, "care_timeliness")["denominator"],
    ) == (1, 2)
    assert "care_timeliness 50.0% (1/2) is below the 80% threshold" in paired["ineligibleReasons"]
    # All 17 county-level divisions of Linfen are listed, those with nothing unscored.
    counties = [u for u in data["assessment"]["units"] if u["unit"]["kind"] == "REGION"]
    assert len(counties) >= 17
    assert [u["rank"] for u in counties[:2]] == [1, 2]


async def test_area_scoping_kind_filter_and_bad_arguments(world: World) -> None:
    await setup(world)
    h = world.h
    data = await h.ok(
        ASSESSMENT, {"year": DAY.year, "code": "141000", "kind": "REGION"}, token=world.xiangfen
    )
    units = by_key(data)
    assert {kind for kind, _ in units} == {"REGION"}
    # Hongtong's persons are outside the Xiangfen officer's area: not counted.
    assert indicator(units[("REGION", "141023")], "pairing_coverage")["denominator"] == 2
    assert units[("REGION", "141024")]["indicators"] == []
    for variables, message in (
        ({"year": 1999, "code": "141000"}, f"year: must be between 2000 and {DAY.year}"),
        ({"year": DAY.year + 1, "code": "141000"}, "year: must be between"),
        ({"year": DAY.year, "code": "999999"}, "regionCode: unknown region code '999999'"),
        ({"year": DAY.year, "code": "141023100"}, "regionCode: assess a city or a county"),
    ):
        answer = await h.gql(ASSESSMENT, variables, token=world.admin)
        assert answer["data"] is None
        assert message in answer["errors"][0]["message"]
    # A paired official may not read the assessment.
    token, _gid = await official(h, "paired-hz", "141024")
    answer = await h.gql(ASSESSMENT, {"year": DAY.year, "code": "141000"}, token=token)
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_thresholds_and_weights_are_configuration(tmp_path: Any, database_url: Any) -> None:
    from bangfu.testing import Harness
    from tests.helpers import make_world

    settings = {
        "assessment_weights": {"pairing_coverage": 0, "care_timeliness": 0},
        "assessment_thresholds": {"pairing_coverage": 0.0, "care_timeliness": 0.0},
    }
    async with Harness.start(tmp_path, database_url=database_url, settings=settings) as h:
        world = await make_world(h)
        await setup(world)
        data = await h.ok(
            ASSESSMENT, {"year": DAY.year, "code": "141000", "kind": "REGION"}, token=world.admin
        )
        hongtong = by_key(data)[("REGION", "141024")]
        assert not any(r.startswith("pairing_coverage") for r in hongtong["ineligibleReasons"])
        weights = {i["code"]: i["weight"] for i in data["assessment"]["indicators"]}
        assert weights["pairing_coverage"] == 0 and weights["screening_coverage"] == 15
