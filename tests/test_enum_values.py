"""``graphql_enum``: a model's enum in the schema with a description on every value."""

import enum

import pytest
import strawberry

from bangfu.plugin import graphql_enum


def test_every_value_carries_its_description_into_the_printed_schema() -> None:
    class Kind(enum.StrEnum):
        VISIT = "VISIT"
        CALL = "CALL"

    graphql_enum(
        Kind,
        name="TestKind",
        description="How it happened.",
        values={Kind.VISIT: "In person (入户).", Kind.CALL: "By telephone."},
    )

    @strawberry.type
    class Query:
        kind: Kind = Kind.CALL

    printed = strawberry.Schema(query=Query).as_str()
    assert '"""How it happened."""\nenum TestKind {' in printed
    assert '  """In person (入户)."""\n  VISIT\n' in printed
    assert '  """By telephone."""\n  CALL\n' in printed
    assert Kind("VISIT") is Kind.VISIT  # the Python enum is unchanged


def test_a_member_without_a_description_is_refused_at_import() -> None:
    class Kind(enum.StrEnum):
        VISIT = "VISIT"
        CALL = "CALL"

    class Other(enum.StrEnum):
        MAIL = "MAIL"

    with pytest.raises(ValueError, match=r"missing: CALL; not members: <Other.MAIL: 'MAIL'>"):
        graphql_enum(
            Kind,
            name="TestKind",
            description="How it happened.",
            values={Kind.VISIT: "In person.", Other.MAIL: "By post."},
        )
    with pytest.raises(ValueError, match="missing: VISIT"):
        graphql_enum(
            Kind, name="TestKind", description="d", values={Kind.VISIT: "", Kind.CALL: "x"}
        )
