"""``bangfu.core.db.chunks``: the IN lists of a city-sized statement, in slices a driver
takes (asyncpg refused the assessment's 33,000 pairing IDs in one list)."""

from hypothesis import given
from hypothesis import strategies as st

from bangfu.core.db import chunks


@given(st.lists(st.integers()), st.integers(1, 50))
def test_slices_keep_every_item_in_order_and_within_size(items: list[int], size: int) -> None:
    slices = list(chunks(items, size))
    assert [x for piece in slices for x in piece] == items
    assert all(0 < len(piece) <= size for piece in slices)
    assert len(slices) == -(-len(items) // size)
