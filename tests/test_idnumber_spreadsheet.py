"""What spreadsheets do to ID numbers: each damage is reported with a fix, never repaired."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bangfu.core import idnumber
from bangfu.core.idnumber import (
    IdNumberError,
    make,
    parse,
    parse_spreadsheet_cell,
    spreadsheet_damage,
)

TODAY = datetime.date(2026, 1, 1)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

numbers = st.builds(
    make,
    st.sampled_from(["141002", "141023", "141081", "142601", "110101"]),
    st.dates(datetime.date(1900, 1, 1), datetime.date(2025, 12, 31)),
    st.integers(1, 999),
)


def refused(cell: object) -> str:
    with pytest.raises(IdNumberError) as caught:
        parse_spreadsheet_cell(cell, today=TODAY)
    return caught.value.reason


@given(numbers)
def test_a_clean_text_cell_parses_to_itself(number: str) -> None:
    assert spreadsheet_damage(number) is None
    assert parse_spreadsheet_cell(number, today=TODAY).value == number


@given(numbers)
def test_a_numeric_cell_is_refused_with_the_fix(number: str) -> None:
    for cell in (int(number[:17]) * 10 + 1, float(number[:17] + "0")):
        reason = refused(cell)
        assert "number, not text" in reason and "format the ID column as text" in reason


@given(numbers, st.integers(0, 9))
def test_scientific_notation_is_refused(number: str, places: int) -> None:
    cell = f"{float(number[:17]):.{places}E}"
    assert "scientific notation" in refused(cell)
    assert "scientific notation" in refused(cell.lower())


@given(numbers)
def test_a_decimal_part_is_refused(number: str) -> None:
    assert "decimal point" in refused(number[:17] + "0.0")


@given(numbers)
def test_digits_lost_after_the_fifteenth_are_never_repaired(number: str) -> None:
    damaged = number[:15] + "000"
    if idnumber.is_valid(damaged):
        # One damaged number in eleven still has a matching check character: accepted as
        # typed, never changed, but with a warning to compare it with the card.
        parsed = parse_spreadsheet_cell(damaged, today=TODAY)
        assert parsed.value == damaged
        assert any("ends in 000" in w for w in parsed.warnings)
        return
    assert "lost them" in refused(damaged)


@given(numbers)
def test_full_width_digits_are_refused_not_converted(number: str) -> None:
    assert "full-width" in refused(number.translate(FULL_WIDTH))


@given(numbers, st.integers(0, 18), st.sampled_from([" ", "\u3000", "\u00a0", "\t"]))
def test_spaces_anywhere_are_refused(number: str, at: int, space: str) -> None:
    assert "spaces" in refused(number[:at] + space + number[at:])


def test_a_lowercase_x_is_refused_with_the_fix() -> None:
    number = next(
        make("141023", datetime.date(1990, 1, 1), seq)
        for seq in range(1, 999)
        if make("141023", datetime.date(1990, 1, 1), seq).endswith("X")
    )
    assert "uppercase X" in refused(number[:17] + "x")


@given(
    st.sampled_from(["141023", "142601"]),
    st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)),
    st.integers(1, 999),
)
def test_a_legacy_number_is_upgraded(region: str, born: datetime.date, sequence: int) -> None:
    legacy = f"{region}{born:%y%m%d}{sequence:03d}"
    parsed = parse_spreadsheet_cell(legacy, today=TODAY)
    assert parsed.upgraded_from_legacy and parsed.value == make(region, born, sequence)


@given(st.one_of(st.text(max_size=25), st.integers(), st.floats(), st.none(), st.booleans()))
def test_whatever_is_accepted_is_exactly_what_was_typed(cell: object) -> None:
    """Never a silent repair: an accepted cell is the number itself (or its 15-digit form)."""
    try:
        parsed = parse_spreadsheet_cell(cell, today=TODAY)
    except IdNumberError as exc:
        assert exc.reason
        return
    assert isinstance(cell, str)
    assert parsed.value == cell or (len(cell) == 15 and parsed.value == parse(cell).value)
