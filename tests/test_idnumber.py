"""Tests for bangfu.core.idnumber (GB 11643 resident ID numbers). No database, no network."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bangfu.core import idnumber
from bangfu.core.idnumber import IdNumber, IdNumberError, Sex, make, parse

TODAY = datetime.date(2026, 1, 1)

LINFEN_CODES = [
    "141002",
    *(str(code) for code in range(141021, 141035)),
    "141081",
    "141082",
    "142601",
    "142623",
]

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

regions = st.sampled_from(LINFEN_CODES)
birth_dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2025, 12, 31))
sequences = st.integers(1, 999)
legacy_dates = st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31))


def independent_check_character(first17: str) -> str:
    """GB 11643 check character computed from the published weights table.

    Used only to verify literal examples independently of stdnum/mod_11_2.
    """
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return "10X98765432"[total % 11]


def assert_invalid(raw: str, *, today: datetime.date = TODAY) -> IdNumberError:
    with pytest.raises(IdNumberError) as info:
        parse(raw, today=today)
    err = info.value
    assert err.code == "INVALID_ID_NUMBER"
    assert err.reason
    assert str(err) == err.reason
    return err


# --- known valid examples -------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "region", "born", "sex"),
    [
        # python-stdnum's doctest example for stdnum.cn.ric
        ("360426199101010071", "360426", datetime.date(1991, 1, 1), Sex.MALE),
        # the example printed in GB 11643-1999 itself (Beijing Chaoyang)
        ("11010519491231002X", "110105", datetime.date(1949, 12, 31), Sex.FEMALE),
    ],
)
def test_literal_examples(literal: str, region: str, born: datetime.date, sex: Sex) -> None:
    assert independent_check_character(literal[:17]) == literal[17]
    assert idnumber.check_character(literal[:17]) == literal[17]
    parsed = parse(literal, today=TODAY)
    assert parsed.value == literal
    assert parsed.region_code == region
    assert parsed.birth_date == born
    assert parsed.sex is sex
    assert not parsed.upgraded_from_legacy
    assert parsed.warnings == ()
    assert idnumber.is_valid(literal)


def test_literal_lowercase_x_and_padding() -> None:
    parsed = parse("  11010519491231002x\n", today=TODAY)
    assert parsed.value == "11010519491231002X"


def test_make_known_values() -> None:
    number = make("142623", datetime.date(1985, 7, 4), 123)
    assert len(number) == 18
    assert number[:17] == "14262319850704123"
    assert number[17] == independent_check_character(number[:17])
    parsed = parse(number, today=TODAY)
    assert parsed.sex is Sex.MALE
    assert parsed.birth_date == datetime.date(1985, 7, 4)
    assert parse(make("141002", datetime.date(2000, 2, 29), 2), today=TODAY).sex is Sex.FEMALE


def test_sequence_000_is_allowed() -> None:
    first17 = "14262319850704000"
    parsed = parse(first17 + idnumber.check_character(first17), today=TODAY)
    assert parsed.sex is Sex.FEMALE


@pytest.mark.parametrize(
    ("region", "born", "seq"),
    [
        ("14102A", datetime.date(1985, 1, 1), 1),
        ("1410", datetime.date(1985, 1, 1), 1),
        ("991023", datetime.date(1985, 1, 1), 1),
        ("141023", datetime.date(1899, 12, 31), 1),
        ("141023", datetime.date(1985, 1, 1), 0),
        ("141023", datetime.date(1985, 1, 1), 1000),
    ],
)
def test_make_rejects_bad_arguments(region: str, born: datetime.date, seq: int) -> None:
    with pytest.raises(ValueError):
        make(region, born, seq)


def test_masked_and_mask_helper() -> None:
    parsed = parse("11010519491231002X", today=TODAY)
    assert parsed.masked() == "110105********002X"
    assert str(parsed) == "110105********002X"
    assert "11010519491231002X" not in repr(parsed)
    assert "19491231" not in repr(parsed)
    assert idnumber.mask("11010519491231002x") == "110105********002X"
    assert idnumber.mask("garbage") == "*******"
    legacy = "142623850704123"
    assert idnumber.mask(legacy) == parse(legacy, today=TODAY).masked()


def test_age_on() -> None:
    parsed = parse(make("141023", datetime.date(2000, 2, 29), 5), today=TODAY)
    assert parsed.age_on(datetime.date(2000, 2, 29)) == 0
    assert parsed.age_on(datetime.date(2018, 2, 28)) == 17
    assert parsed.age_on(datetime.date(2018, 3, 1)) == 18
    assert parsed.age_on(datetime.date(2020, 2, 29)) == 20
    with pytest.raises(ValueError):
        parsed.age_on(datetime.date(1999, 12, 31))


def test_upgrade_legacy() -> None:
    # 15-digit form of the GB 11643 example: drop "19" and the check character.
    assert idnumber.upgrade_legacy("110105491231002") == "11010519491231002X"
    parsed = parse("110105491231002", today=TODAY)
    assert parsed.upgraded_from_legacy
    assert parsed.value == "11010519491231002X"
    with pytest.raises(IdNumberError):
        idnumber.upgrade_legacy("11010549123100X")


def test_default_today_is_used() -> None:
    far_future = make("141023", datetime.date(9999, 1, 1), 1)
    assert parse(far_future, today=datetime.date.max).birth_date.year == 9999
    with pytest.raises(IdNumberError, match="future"):
        parse(far_future)  # default 'today' is the current date in Asia/Shanghai
    assert idnumber.is_valid(make("141023", datetime.date(2000, 1, 1), 1))


# --- warnings ---------------------------------------------------------------


def test_address_code_not_in_use_is_only_a_warning() -> None:
    current_code = parse(make("141023", datetime.date(1985, 7, 4), 123), today=TODAY)
    assert current_code.warnings == ("address code 141023 was not in use in 1985",)
    assert current_code.region_code == "141023"

    old_code = parse(make("142623", datetime.date(1985, 7, 4), 123), today=TODAY)
    assert old_code.warnings == ()

    # And the other way round after 2000.
    assert parse(make("141023", datetime.date(2005, 1, 1), 1), today=TODAY).warnings == ()
    assert parse(make("142623", datetime.date(2005, 1, 1), 1), today=TODAY).warnings


def test_warning_never_contains_full_number() -> None:
    number = make("141023", datetime.date(1985, 7, 4), 123)
    parsed = parse(number, today=TODAY)
    for warning in parsed.warnings:
        assert number not in warning
        assert "19850704" not in warning


# --- explicit bad inputs ----------------------------------------------------

GOOD = "11010519491231002X"


def _with_check(first17: str) -> str:
    return first17 + idnumber.check_character(first17)


@pytest.mark.parametrize(
    ("raw", "reason_fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("1101051949123100", "18 characters"),
        ("11010519491231002X1", "18 characters"),
        ("1101051949123100A2", "17 digits"),
        ("ABCDEFGHIJKLMNOPQR", "17 digits"),
        ("11010519491231002Y", "17 digits"),
        ("X10105194912310021", "17 digits"),
        ("110105 19491231002X", "spaces"),
        ("110105\u300019491231002X", "spaces"),
        ("110105-19491231-002X", "18 characters"),
        ("1.41023E+17", "scientific notation"),
        ("1.41023e+17", "scientific notation"),
        ("11010519491231002Y0", "18 characters"),
        ("110105194912310021", "check character"),
        (_with_check("14102319850230123"), "calendar date"),
        (_with_check("14102319850229123"), "calendar date"),
        (_with_check("14102319851301123"), "month"),
        (_with_check("14102319850001123"), "month"),
        (_with_check("14102319850100123"), "calendar date"),
        (_with_check("99102319850101123"), "province"),
        (_with_check("00102319850101123"), "province"),
        (_with_check("16102319850101123"), "province"),
        (_with_check("14102318991231123"), "before 1900"),
        ("440524188001010014", "before 1900"),
        ("14102385023012", "18 characters"),
        ("14102385023012X", "15 digits"),
        ("141023850230123", "calendar date"),
        ("991023850101123", "province"),
    ],
)
def test_explicit_bad_inputs(raw: str, reason_fragment: str) -> None:
    err = assert_invalid(raw)
    assert reason_fragment in err.reason
    assert not idnumber.is_valid(raw)
    if len(raw) >= 15:
        assert raw not in str(err)
        assert raw.strip() not in repr(err)


def test_future_birth_date() -> None:
    number = make("141023", datetime.date(2024, 6, 1), 7)
    err = assert_invalid(number, today=datetime.date(2024, 5, 31))
    assert "future" in err.reason
    assert parse(number, today=datetime.date(2024, 6, 1)).birth_date == datetime.date(2024, 6, 1)


def test_non_string_input() -> None:
    with pytest.raises(IdNumberError):
        parse(141023198507041236)  # type: ignore[arg-type]
    assert not idnumber.is_valid(None)  # type: ignore[arg-type]


def test_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse("nope")


# --- properties -------------------------------------------------------------


@given(regions, birth_dates, sequences)
def test_make_parse_round_trip(region: str, born: datetime.date, seq: int) -> None:
    number = make(region, born, seq)
    parsed = parse(number, today=TODAY)
    assert isinstance(parsed, IdNumber)
    assert parsed.value == number
    assert parsed.region_code == region
    assert parsed.birth_date == born
    assert parsed.sex is (Sex.MALE if seq % 2 else Sex.FEMALE)
    assert not parsed.upgraded_from_legacy
    assert number[17] == independent_check_character(number[:17])


@given(regions, birth_dates, sequences, st.sampled_from(["", " ", "\t", "\u3000", "\n"]))
def test_lowercase_and_full_width_normalise(
    region: str, born: datetime.date, seq: int, pad: str
) -> None:
    number = make(region, born, seq)
    full_width = number.translate(FULL_WIDTH)
    assert full_width != number
    variants = [number.lower(), full_width, full_width.lower(), pad + number + pad]
    for variant in variants:
        assert idnumber.normalise(variant) == number
        assert parse(variant, today=TODAY).value == number


@given(
    regions,
    birth_dates,
    sequences,
    st.integers(0, 17),
    st.sampled_from("0123456789X"),
)
def test_single_character_change_is_rejected(
    region: str, born: datetime.date, seq: int, position: int, replacement: str
) -> None:
    number = make(region, born, seq)
    if number[position] == replacement:
        replacement = "0" if replacement != "0" else "1"
    mutated = number[:position] + replacement + number[position + 1 :]
    assert mutated != number
    err = assert_invalid(mutated)
    assert mutated not in str(err)
    assert not idnumber.is_valid(mutated)


@given(regions, legacy_dates, sequences)
def test_legacy_upgrade_round_trip(region: str, born: datetime.date, seq: int) -> None:
    number = make(region, born, seq)
    assert number[6:8] == "19"
    legacy = number[:6] + number[8:17]
    assert len(legacy) == 15
    assert idnumber.upgrade_legacy(legacy) == number
    parsed = parse(legacy, today=TODAY)
    assert parsed.value == number
    assert parsed.upgraded_from_legacy
    assert parsed.birth_date == born
    assert parsed.region_code == region
    assert parsed.sex is (Sex.MALE if seq % 2 else Sex.FEMALE)
    assert parse(legacy.translate(FULL_WIDTH), today=TODAY).value == number


@given(regions, birth_dates, sequences)
def test_masked_hides_birth_date(region: str, born: datetime.date, seq: int) -> None:
    number = make(region, born, seq)
    parsed = parse(number, today=TODAY)
    masked = parsed.masked()
    assert len(masked) == 18
    assert masked[:6] == region
    assert masked[6:14] == "********"
    assert masked[14:] == number[14:]
    assert number[6:14] not in masked
    assert idnumber.mask(number) == masked
    assert number not in repr(parsed)


@given(st.text(min_size=15, max_size=40))
def test_error_never_echoes_input(raw: str) -> None:
    try:
        parsed = parse(raw, today=TODAY)
    except IdNumberError as err:
        message = str(err)
        assert raw not in message
        normalised = idnumber.normalise(raw)
        if len(normalised) >= 15:
            assert normalised not in message
        assert raw not in repr(err)
        assert all(raw not in str(arg) for arg in err.args)
    else:  # astronomically unlikely, but a valid number must be 18 characters
        assert len(parsed.value) == 18


@given(
    regions,
    birth_dates,
    sequences,
    st.integers(0, 17),
    st.characters(codec="utf-8"),
)
def test_error_never_echoes_near_valid_input(
    region: str, born: datetime.date, seq: int, position: int, char: str
) -> None:
    number = make(region, born, seq)
    raw = number[:position] + char + number[position + 1 :]
    try:
        parse(raw, today=TODAY)
    except IdNumberError as err:
        for secret in (raw, number, number[:15], idnumber.normalise(raw)):
            if len(secret) >= 15:
                assert secret not in str(err)
                assert secret not in repr(err)
