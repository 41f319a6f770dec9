"""The executor's short path for plain leaf fields answers exactly as graphql-core does.

A schema of plain leaves (scalars, enums, lists of them, nullable and not) is executed
over arbitrary source values twice — with ``bangfu.schema.execution.Executor`` and with
Strawberry's own execution context — and the two answers, data and errors, must be equal.
"""

import datetime as dt
import decimal
import enum
from typing import Any

import strawberry
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu.schema.execution import Executor, _plan


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Leaves:
    text: str
    maybe_text: str | None
    number: int
    maybe_number: int | None
    colour: Colour
    maybe_colour: Colour | None
    tags: list[str]
    maybe_tags: list[str] | None
    day: dt.date | None
    amount: decimal.Decimal | None
    flag: bool | None


FIELDS = [
    "text",
    "maybe_text",
    "number",
    "maybe_number",
    "colour",
    "maybe_colour",
    "tags",
    "maybe_tags",
    "day",
    "amount",
    "flag",
]


class Source:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


ROWS: list[Source] = []


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Leaves | None]:
        return ROWS  # type: ignore[return-value]


fast = strawberry.Schema(query=Query, execution_context_class=Executor)
plain = strawberry.Schema(query=Query)
QUERY = (
    "{ rows { text maybeText number maybeNumber colour maybeColour tags maybeTags "
    "day amount flag } }"
)

anything = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
    st.booleans(),
    st.sampled_from([Colour.RED, Colour.BLUE, "red", "BLUE"]),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.lists(st.one_of(st.none(), st.text(max_size=3), st.integers()), max_size=3),
)


VALID = {
    "text": st.text(max_size=5),
    "number": st.integers(min_value=-(2**31), max_value=2**31 - 1),
    "colour": st.sampled_from(Colour),
    "tags": st.lists(st.text(max_size=3), max_size=3),
    "day": st.dates(),
    "amount": st.decimals(allow_nan=False, allow_infinity=False, places=2),
    "flag": st.booleans(),
}
VALID |= {
    "maybe_text": st.none() | VALID["text"],
    "maybe_number": st.none() | VALID["number"],
    "maybe_colour": st.none() | VALID["colour"],
    "maybe_tags": st.none() | VALID["tags"],
}
# Mostly values of the field's type (so that rows survive to be compared), sometimes
# anything at all (so that the errors are compared too).
ROW = st.fixed_dictionaries(
    {name: st.one_of(VALID[name], VALID[name], VALID[name], anything) for name in FIELDS}
)


def test_every_field_here_takes_the_short_path() -> None:
    type_ = fast._schema.get_type("Leaves")
    assert all(_plan(field) is not None for field in type_.fields.values())


@settings(max_examples=200, deadline=None)
@given(st.lists(ROW, max_size=4))
def test_short_path_answers_like_graphql_core(rows: list[dict[str, Any]]) -> None:
    ROWS[:] = [Source(values) for values in rows]
    ours = fast.execute_sync(QUERY)
    theirs = plain.execute_sync(QUERY)
    assert ours.data == theirs.data
    assert repr(ours.data) == repr(theirs.data)  # the same types too (Decimal, not str)
    assert [(e.message, e.path) for e in ours.errors or []] == [
        (e.message, e.path) for e in theirs.errors or []
    ]
