"""The query mix: GraphQL documents, with fields of later issues added when the schema has them.

``bottomLine`` (on ``Person``) and ``bottomLineSummary`` (on ``Query``) come with issue 7:
:func:`features` looks for them in the schema the service builds, so the same benchmark
measures them once they exist and reports "n/a (not in schema)" until then.
"""

import dataclasses
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    is_leaf_type,
)

PERSON_ON_PAGE = """
          id name idNumber age sex
          categories { category monthlyAllowance certifyingOrganisation { name } }
          education { currentEnrolment { schoolName stage status } }
          medical { insuredThisYear insurance { year } }
          employment { currentStatus { status } }"""

HOUSEHOLDS_PAGE = """
query HouseholdsPage($first: Int!, $after: String) {
  households(first: $first, after: $after) {
    pageInfo { endCursor hasNextPage }
    nodes {
      id address region { name }
      housing { latestAppraisal { grade } dangerous }
      head { name }
      members {
        relation
        person {%s%s
        }
      }
    }
  }
}"""

PERSON_BY_ID = """
query PersonById($id: ID!) {
  person(id: $id) {
    id name idNumber age sex phone hukouType deceased isKeyPerson version relationToHead
    region { code name }
    guardian { id name }
    household {
      id address isKeyHousehold region { name }
      housing { latestAppraisal { grade appraisedOn } dangerous }
      members { relation startDate person { id name } }
    }
    categories { category validFrom validTo monthlyAllowance ruleVersion
                 certifyingOrganisation { name } }
    education {
      currentEnrolment { schoolName stage status startDate }
      history { schoolName stage status startDate endDate }
    }
    medical { insuredThisYear insurance { year scheme premium } }
    employment { currentStatus { status since } history { status since until } }%s
  }
}"""

PERSONS_COUNT = """
query PersonsCount($region: String!) {
  persons(first: 1, filter: {regionCode: $region}) { totalCount }
}"""

OVERDUE_CARE_EVENTS = """
query OverdueCareEvents($region: String!) {
  careEvents(first: 100, filter: {regionCode: $region, dueStates: [OVERDUE]}) {
    totalCount
    nodes { id kind occurredOn deadline dueState raisedBy person { id name } }
  }
}"""

BOTTOM_LINE_SUMMARY = """
query BottomLineSummary($region: String!) {
  bottomLineSummary(regionCode: $region) %s
}"""


@dataclasses.dataclass(frozen=True)
class Features:
    """Selections for the fields of later issues; None when the schema lacks them."""

    bottom_line: str | None
    bottom_line_summary: str | None


def features(schema: GraphQLSchema) -> Features:
    """Find ``Person.bottomLine`` and ``Query.bottomLineSummary`` and select their leaves."""
    person = schema.type_map.get("Person")
    query = schema.query_type
    bottom_line = None
    summary = None
    if isinstance(person, GraphQLObjectType) and "bottomLine" in person.fields:
        bottom_line = "bottomLine " + selection(person.fields["bottomLine"].type)
    if query is not None and "bottomLineSummary" in query.fields:
        field = query.fields["bottomLineSummary"]
        if set(field.args) <= {"regionCode", "asOf"} or "regionCode" in field.args:
            summary = selection(field.type)
    return Features(bottom_line=bottom_line, bottom_line_summary=summary)


def _unwrap(type_: GraphQLType) -> GraphQLType:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def selection(type_: GraphQLType, depth: int = 3) -> str:
    """Every field without required arguments (connections, which need ``first`` or
    ``last``, left out), down to ``depth`` levels ("" for a leaf)."""
    named = _unwrap(type_)
    if not isinstance(named, GraphQLObjectType):
        return ""
    parts: list[str] = []
    for name, field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        if "first" in field.args:
            continue  # a connection: it needs `first` or `last`
        inner = _unwrap(field.type)
        if not is_leaf_type(inner) and not isinstance(inner, GraphQLObjectType):
            continue  # an interface or union: no fields to select without fragments
        if isinstance(inner, GraphQLObjectType):
            if depth <= 1 or inner.name in {"Person", "Household", "Region", "Organisation"}:
                continue
            sub = selection(inner, depth - 1)
            if sub:
                parts.append(f"{name} {sub}")
        else:
            parts.append(name)
    return "{ " + " ".join(parts) + " }" if parts else ""


def households_page(found: Features) -> str:
    extra = f"\n          {found.bottom_line}" if found.bottom_line else ""
    return HOUSEHOLDS_PAGE % (PERSON_ON_PAGE, extra)


def person_by_id(found: Features) -> str:
    extra = f"\n    {found.bottom_line}" if found.bottom_line else ""
    return PERSON_BY_ID % extra


def bottom_line_summary(found: Features) -> str | None:
    if found.bottom_line_summary is None:
        return None
    return BOTTOM_LINE_SUMMARY % found.bottom_line_summary


def without(data: Any, key: str) -> Any:
    """``data`` with every ``key`` removed at any depth (to compare with the lower bound)."""
    if isinstance(data, dict):
        return {k: without(v, key) for k, v in data.items() if k != key}
    if isinstance(data, list):
        return [without(v, key) for v in data]
    return data
