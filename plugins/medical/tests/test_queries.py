"""Root queries: hardship persons without insurance, persons paying too much themselves."""

import datetime as dt

import pytest

from bangfu.core.calendar import today
from bangfu.core.registry.models import Person
from bangfu.core.security import Role
from bangfu.plugins.medical.tests.helpers import certify, claim, family, gid, insure
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

UNINSURED = """query($first: Int!, $after: String, $region: String, $year: Int) {
  medicalUninsured(first: $first, after: $after, regionCode: $region, year: $year) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }"""
HIGH = """query($first: Int!, $ratio: Decimal, $region: String, $year: Int) {
  medicalHighOutOfPocket(first: $first, ratio: $ratio, regionCode: $region, year: $year) {
    totalCount nodes { id medical { outOfPocketThisYear { ratio } } } } }"""


def ids(data: dict, field: str) -> list[str]:
    return [n["id"] for n in data[field]["nodes"]]


async def test_uninsured_hardship_persons(harness: Harness) -> None:
    h = harness
    year = today().year
    xiangfen = await family(h) + await family(h)
    hongtong = await family(h, "141024")
    certified: list[Person] = [*xiangfen[:3], hongtong[0]]  # xiangfen[3]: no category
    for person in certified:
        await certify(h, person)
    await insure(h, xiangfen[1], year)
    await insure(h, xiangfen[2], year - 1)  # insured last year only
    city = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR], region="141000")
    county = await h.actor("county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")

    everywhere = await h.ok(UNINSURED, {"first": 10}, token=city)
    assert ids(everywhere, "medicalUninsured") == [
        gid(xiangfen[0]),
        gid(xiangfen[2]),
        gid(hongtong[0]),
    ]
    assert everywhere["medicalUninsured"]["totalCount"] == 3
    in_region = await h.ok(UNINSURED, {"first": 10, "region": "141024"}, token=city)
    assert ids(in_region, "medicalUninsured") == [gid(hongtong[0])]
    # The county officer sees their county only, counts included.
    own = await h.ok(UNINSURED, {"first": 10}, token=county)
    assert own["medicalUninsured"]["totalCount"] == 2
    last_year = await h.ok(UNINSURED, {"first": 10, "year": year - 1}, token=county)
    assert ids(last_year, "medicalUninsured") == [gid(xiangfen[0]), gid(xiangfen[1])]

    first = await h.ok(UNINSURED, {"first": 1}, token=city)
    assert first["medicalUninsured"]["pageInfo"]["hasNextPage"] is True
    rest = await h.ok(
        UNINSURED,
        {"first": 5, "after": first["medicalUninsured"]["pageInfo"]["endCursor"]},
        token=city,
    )
    assert ids(rest, "medicalUninsured") == [gid(xiangfen[2]), gid(hongtong[0])]

    for bad, message in [
        ({"first": 10, "region": "999999"}, "regionCode: unknown region code '999999'"),
        ({"first": 10, "year": 1900}, "year: must be between 2000"),
        ({"first": 0}, "first: must be between 1 and 100"),
    ]:
        answer = await h.gql(UNINSURED, bad, token=city)
        assert message in answer["errors"][0]["message"]


async def test_high_out_of_pocket(harness: Harness) -> None:
    h = harness
    year = today().year
    this_year = dt.date(year, 1, 1)
    low, exactly, high, split = await family(h) + await family(h)
    old, _ = await family(h, "141024")
    await claim(h, low, "1000.00", "50.00", this_year)  # 5 %
    await claim(h, exactly, "1000.00", "100.00", this_year)  # 10 %: not above
    await claim(h, high, "1000.00", "100.01", this_year)  # just above
    # Two claims: 0.10 + 0.20 of 1.00 in fen sums; 30 % over the year.
    await claim(h, split, "0.50", "0.10", this_year)
    await claim(h, split, "0.50", "0.20", this_year)
    await claim(h, old, "100.00", "100.00", dt.date(year - 1, 5, 5))
    city = await h.actor("admin", roles=[Role.CITY_ADMINISTRATOR], region="141000")

    default = await h.ok(HIGH, {"first": 10}, token=city)  # the 10 % threshold
    assert ids(default, "medicalHighOutOfPocket") == [gid(high), gid(split)]
    assert [
        n["medical"]["outOfPocketThisYear"] for n in default["medicalHighOutOfPocket"]["nodes"]
    ] == [
        {"ratio": "0.1000"},
        {"ratio": "0.3000"},
    ]
    lower = await h.ok(HIGH, {"first": 10, "ratio": "0.0999"}, token=city)
    assert ids(lower, "medicalHighOutOfPocket") == [gid(exactly), gid(high), gid(split)]
    assert (await h.ok(HIGH, {"first": 10, "ratio": "0.3"}, token=city))["medicalHighOutOfPocket"][
        "totalCount"
    ] == 0
    last_year = await h.ok(HIGH, {"first": 10, "year": year - 1, "region": "141024"}, token=city)
    assert ids(last_year, "medicalHighOutOfPocket") == [gid(old)]

    for ratio in ("1.5", "-0.1", "0.12345", "NaN"):
        answer = await h.gql(HIGH, {"first": 10, "ratio": ratio}, token=city)
        assert answer["errors"][0]["message"].startswith("ratio: "), ratio


async def test_root_fields_need_medical_read(harness: Harness) -> None:
    h = harness
    unscoped = await h.api_client("partner", region="141023")
    for query in (UNINSURED, HIGH):
        answer = await h.gql(query, {"first": 10}, token=unscoped)
        assert answer.get("data") is None
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await h.post(UNINSURED, {"first": 10})
    assert "UNAUTHENTICATED" in anonymous.text or anonymous.status_code == 401
    assert "nodes" not in anonymous.text
