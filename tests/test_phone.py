"""Phone numbers of mainland China: the validator (properties) and every way a number enters."""

from typing import Any

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bangfu.core import phone
from bangfu.core.registry.models import Household, Person
from tests.helpers import CREATE_HOUSEHOLD, XIANGFEN_VILLAGE, World, create_household, id_number
from tests.roster_files import workbook

MOBILE_PREFIXES = ("130", "133", "138", "150", "159", "177", "186", "189", "198")

mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(MOBILE_PREFIXES),
    st.text("0123456789", min_size=8, max_size=8),
)
# Beijing and Guangzhou have 8-digit subscriber numbers, Taiyuan, Linfen, Zhengzhou 7.
AREA_CODES = {"010": 8, "020": 8, "0351": 7, "0357": 7}
landlines = st.sampled_from(sorted(AREA_CODES)).flatmap(
    lambda area: st.builds(
        lambda first, rest: (area, area + first + rest),
        st.sampled_from("23456"),
        st.text("0123456789", min_size=AREA_CODES[area] - 1, max_size=AREA_CODES[area] - 1),
    )
)


def spellings(digits: str) -> list[str]:
    """How a clerk may write the national number ``digits``."""
    full_width = digits.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    international = digits[1:] if digits.startswith("0") else digits
    return [
        digits,
        f" {digits} ",
        full_width,
        "+86" + international,
        "+86 " + international,
        "0086-" + international,
        "-".join((digits[:3], digits[3:7], digits[7:])),
    ]


@given(mobiles)
def test_a_mobile_number_in_any_spelling_is_stored_as_its_eleven_digits(number: str) -> None:
    for written in spellings(number):
        assert phone.normalise(written) == number
    assert phone.e164(number) == "+86" + number


@given(landlines)
def test_a_landline_number_keeps_its_trunk_zero_and_area_code(parts: tuple[str, str]) -> None:
    area, number = parts
    for written in [*spellings(number), f"({area}){number[len(area) :]}"]:
        assert phone.normalise(written) == number


@given(st.one_of(mobiles, landlines.map(lambda p: p[1])))
def test_normalising_is_idempotent(number: str) -> None:
    assert phone.normalise(phone.normalise(number)) == phone.normalise(number)


@given(st.text(max_size=40))
def test_any_text_is_either_refused_with_a_reason_or_a_valid_number_of_china(text: str) -> None:
    try:
        stored = phone.normalise(text)
    except phone.PhoneError as exc:
        assert exc.reason
        return
    assert stored.isascii() and stored.isdigit()
    parsed = phonenumbers.parse(stored, "CN")
    assert parsed.country_code == 86 and phonenumbers.is_valid_number(parsed)


@given(st.text(st.characters(categories=["L"]), min_size=1, max_size=20))
def test_letters_are_never_a_number(text: str) -> None:
    with pytest.raises(phone.PhoneError):
        phone.normalise(text)


@given(mobiles, st.integers(min_value=1, max_value=3))
def test_a_digit_too_many_or_too_few_is_refused(number: str, cut: int) -> None:
    for wrong in (number[:-cut], number + "1" * cut):
        assert not phone.is_valid(wrong)


@pytest.mark.parametrize(
    ("written", "starts"),
    [
        ("call me", "is not a phone number: write the digits only"),
        ("12345", "is not a phone number of mainland China"),
        ("2091234", "is not a phone number of mainland China"),  # no area code
        ("+852 9123 4567", "is a number of another country or region (+852)"),
        ("+1 202 555 0143", "is a number of another country or region (+1)"),
        ("400 812 3123", "is not a mobile or landline number"),
        ("", "is empty"),
    ],
)
def test_bad_numbers_are_refused_with_the_reason(written: str, starts: str) -> None:
    with pytest.raises(phone.PhoneError) as caught:
        phone.normalise(written)
    assert caught.value.reason.startswith(starts)


# -- through GraphQL and the roster ---------------------------------------------------

PERSON_UPDATE = """
mutation($input: PersonUpdateInput!) {
  personUpdate(input: $input) { person { phone version } errors { field code message } }
}"""


async def persons_and_households(world: World) -> tuple[int, int]:
    async with world.h.session() as session:
        persons = await session.scalar(select(func.count()).select_from(Person))
        households = await session.scalar(select(func.count()).select_from(Household))
        return persons or 0, households or 0


@pytest.mark.anyio
async def test_a_household_with_a_bad_phone_is_refused_and_nothing_is_written(
    world: World,
) -> None:
    before = await persons_and_households(world)
    members: list[dict[str, Any]] = [
        {
            "relation": "HEAD",
            "person": {"name": "王建国", "idNumber": id_number(), "phone": "call me"},
        }
    ]
    data = await world.h.ok(
        CREATE_HOUSEHOLD,
        {"input": {"regionCode": XIANGFEN_VILLAGE, "members": members}},
        token=world.xiangfen,
    )
    payload = data["householdCreate"]
    assert payload["household"] is None
    assert payload["errors"] == [
        {
            "field": "input.members.0.person.phone",
            "code": "INVALID_PHONE_NUMBER",
            "message": "is not a phone number: write the digits only (spaces, hyphens, "
            "brackets and a leading +86 are allowed)",
        }
    ]
    assert await persons_and_households(world) == before


@pytest.mark.anyio
async def test_a_good_phone_is_stored_in_its_national_digits(world: World) -> None:
    members = [
        {
            "relation": "HEAD",
            "person": {"name": "王建国", "idNumber": id_number(), "phone": "+86 138-1234-5678"},
        }
    ]
    payload = await create_household(world.h, world.xiangfen, members=members)
    assert payload["errors"] == []
    async with world.h.session() as session:
        assert await session.scalar(select(Person.phone)) == "13812345678"


@pytest.mark.anyio
async def test_person_update_refuses_a_bad_phone_and_keeps_the_old_one(world: World) -> None:
    h = world.h
    person = (await create_household(h, world.xiangfen))["household"]["head"]
    good = await h.ok(
        PERSON_UPDATE,
        {
            "input": {
                "id": person["id"],
                "expectedVersion": person["version"],
                "phone": "(0357) 209-1234",
            }
        },
        token=world.xiangfen,
    )
    assert good["personUpdate"]["errors"] == []
    assert good["personUpdate"]["person"]["phone"] == "03572091234"
    version = good["personUpdate"]["person"]["version"]
    for written, reason in (
        ("4008123123", "is not a mobile or landline number"),
        ("+852 9123 4567", "is a number of another country or region (+852)"),
        ("1381234567", "is not a phone number of mainland China"),
    ):
        bad = await h.ok(
            PERSON_UPDATE,
            {"input": {"id": person["id"], "expectedVersion": version, "phone": written}},
            token=world.xiangfen,
        )
        assert bad["personUpdate"]["person"] is None
        [error] = bad["personUpdate"]["errors"]
        assert error["field"] == "input.phone" and error["code"] == "INVALID_PHONE_NUMBER"
        assert error["message"].startswith(reason)
        async with h.session() as session:
            stored = await session.scalar(select(Person).where(Person.name == "王建国"))
            assert stored is not None
            assert (stored.phone, stored.version) == ("03572091234", version)
    cleared = await h.ok(
        PERSON_UPDATE,
        {"input": {"id": person["id"], "expectedVersion": version, "phone": None}},
        token=world.xiangfen,
    )
    assert cleared["personUpdate"]["person"]["phone"] is None


@pytest.mark.anyio
async def test_the_roster_names_the_row_column_and_cell_of_a_bad_phone(world: World) -> None:
    h = world.h
    head, child = id_number(), id_number()
    headers = ["户主身份证号", "身份证号", "姓名", "与户主关系", "区划代码", "联系电话"]
    rows = [
        [head, head, "王建国", "户主", XIANGFEN_VILLAGE, "138 1234 5678"],
        [head, child, "王小红", "子女", None, "call me"],
    ]
    before = await persons_and_households(world)
    response = await h.client.post(
        "/import/roster",
        content=workbook(rows, headers=headers),
        headers={"Content-Type": XLSX_TYPE, "Authorization": f"Bearer {world.xiangfen}"},
    )
    report = response.json()
    [problem] = report["problems"]
    assert (problem["row"], problem["column"], problem["cell"]) == (3, "phone", "F3")
    assert problem["reason"] == (
        "「call me」 is not a phone number: write the digits only (spaces, hyphens, brackets "
        "and a leading +86 are allowed)"
    )
    assert await persons_and_households(world) == before
    rows[1][5] = "0357-2091234"
    report = (
        await h.client.post(
            "/import/roster",
            content=workbook(rows, headers=headers),
            headers={"Content-Type": XLSX_TYPE, "Authorization": f"Bearer {world.xiangfen}"},
        )
    ).json()
    assert report["problems"] == []
    async with h.session() as session:
        phones = set(await session.scalars(select(Person.phone)))
    assert phones == {"13812345678", "03572091234"}


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
