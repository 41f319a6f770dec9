"""Demo data gives the bottom line and the assessment a plausible spread (issue 7)."""

import pytest

from bangfu.core.calendar import today
from bangfu.core.registry.reference import COUNTIES
from bangfu.core.security import Role
from bangfu.demo import create_demo_users, load_demo
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

QUERY = """
query($year: Int!) {
  bottomLineSummary(regionCode: "141000") {
    persons indicators { indicator ok atRisk notApplicable unknown } regions { region { code } } }
  atRisk: persons(first: 5, filter: {atRisk: MEDICAL_CARE}) {
    nodes { bottomLine { indicators { indicator status reasons } } } }
  assessment(year: $year, regionCode: "141000", kind: REGION) {
    units { unit { key } score rank eligible ineligibleReasons } }
}"""


async def test_demo_spread_and_ranking(harness: Harness) -> None:
    async with harness.session() as session, session.begin():
        await create_demo_users(session)
        await load_demo(session, harness.cipher, harness.host, households=400, seed=7)
    admin = await harness.actor("spread-admin", roles=[Role.CITY_ADMINISTRATOR])
    data = await harness.ok(QUERY, {"year": today().year}, token=admin)
    summary = data["bottomLineSummary"]
    persons = summary["persons"]
    counts = {row["indicator"]: row for row in summary["indicators"]}
    # Most persons are OK on food and someone in charge; some are at risk somewhere.
    assert counts["FOOD"]["ok"] > 0.9 * persons
    assert counts["SOMEONE_IN_CHARGE"]["ok"] > 0.9 * persons
    assert sum(counts[i]["atRisk"] for i in ("MEDICAL_CARE", "SCHOOL", "WORK")) > 0
    assert all(row["unknown"] == 0 for i, row in counts.items() if i != "GOOD_HOME")
    for node in data["atRisk"]["nodes"]:
        medical = next(
            v for v in node["bottomLine"]["indicators"] if v["indicator"] == "MEDICAL_CARE"
        )
        assert medical["status"] == "AT_RISK" and medical["reasons"]
    # The 17 county-level divisions are ranked; some are flagged not eligible, with reasons.
    units = {u["unit"]["key"]: u for u in data["assessment"]["units"]}
    counties = [code for code, _name in COUNTIES if code[4:6] not in ("71", "72", "73")]
    assert len(counties) == 17
    assert all(units[code]["rank"] is not None for code in counties)
    assert sorted(units[code]["rank"] for code in counties)[0] == 1
    flagged = [units[code] for code in counties if not units[code]["eligible"]]
    assert 0 < len(flagged) < 17
    assert all(u["ineligibleReasons"] for u in flagged)
