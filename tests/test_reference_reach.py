"""References a write makes stay within the writer's reach (R9 integrity).

Every input field of a mutation that names an organisation, a user or a region is listed
here, with a case that runs it through GraphQL: a county officer naming another county's
unit is refused exactly as for one that does not exist, and nothing is written; their
own county's unit and a city-level unit are accepted; a city administrator reaches every
unit of the city. :func:`test_every_reference_field_has_a_case` walks the schema's
mutations and fails on an ID or region-code input field that is in neither table, so a
new reference cannot be added without deciding (and testing) how far it may reach.
"""

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
)
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bangfu.core.calendar import today
from bangfu.core.care.models import Pairing
from bangfu.core.care.plan_models import Measure
from bangfu.core.care.screening_models import ScreeningVisit
from bangfu.core.registry.models import Category, CategoryAssignment
from bangfu.core.security import SYSTEM, Actor, ActorKind, Role
from bangfu.core.security.models import User
from bangfu.core.security.references import reaches
from bangfu.plugins.education.models import EducationAid
from bangfu.plugins.housing.models import SafetyAppraisal
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import World
from tests.test_care_helpers import family, organisation_gid

pytestmark = pytest.mark.anyio

COUNTY_CODES = ("141002", "141023", "141024", "141081", "141071")
_below = st.lists(st.sampled_from(("100", "101", "200")), max_size=2)


def _path(county: str, below: list[str]) -> str:
    """The path of ``county`` or of a township/village below it (codes lengthen)."""
    codes = [county]
    for part in below:
        codes.append(codes[-1] + part)
    return "141000/" + "".join(f"{c}/" for c in codes)


@given(
    st.sampled_from(COUNTY_CODES),
    _below,
    st.sampled_from(COUNTY_CODES),
    _below,
)
def test_reach_is_the_own_subtree_and_the_regions_above(
    county: str, own_below: list[str], target_county: str, target_below: list[str]
) -> None:
    area = _path(county, own_below)
    actor = Actor(kind=ActorKind.USER, name="officer", area_path=area, roles=frozenset())
    target = _path(target_county, target_below)
    expected = target.startswith(area) or area.startswith(target)
    assert reaches(actor, target) is expected
    if target_county != county:
        assert not reaches(actor, target)  # never another county's, at any level
    assert reaches(actor, "141000/")  # the city's units cover every county
    assert reaches(actor, area)
    city = Actor(kind=ActorKind.USER, name="admin", area_path="141000/", roles=frozenset())
    assert reaches(city, target) and reaches(SYSTEM, target)
    nobody = Actor(kind=ActorKind.USER, name="nobody", roles=frozenset())
    assert not reaches(nobody, target)


OWN, CITY, OTHER, UNKNOWN = "own county's", "city-level", "another county's", "unknown"


@dataclasses.dataclass
class Writers:
    """The county officers who write each kind of record, and the city administrator."""

    world: World
    tokens: dict[str, str]

    @property
    def h(self) -> Harness:
        return self.world.h


@dataclasses.dataclass(frozen=True)
class Case:
    """One mutation's reference field: how to write a record that names ``kind``."""

    mutation: str
    field: str  # the input field (of `input`)
    kind: str  # "Organisation" or "User"
    writer: str  # key of Writers.tokens
    model: type[Any]  # what the mutation writes (counted)
    build: Callable[[Writers], Awaitable[dict[str, Any]]]  # the input but the reference
    # Whether the city administrator may name another county's unit. A pairing's official
    # must also be of the person's area (a rule of pairings, not of reach).
    admin_reaches_other: bool = True

    @property
    def path(self) -> str:
        return f"{self.mutation}.input.{self.field}"


async def _household(w: Writers) -> str:
    return (await family(w.h)).gid


async def _person(w: Writers) -> str:
    return (await family(w.h)).person_gids[0]


async def _measure(w: Writers) -> dict[str, Any]:
    return {
        "householdId": await _household(w),
        "domain": "EDUCATION",
        "description": "联系学校复学",
        "problemIds": [],
        "deadline": (today() + dt.timedelta(days=30)).isoformat(),
        "fundingSource": "GOVERNMENT_PROGRAMME",
    }


async def _category(w: Writers) -> dict[str, Any]:
    f = await family(w.h, categories=(None,))
    return {
        "personId": f.person_gids[0],
        "category": "DIBAO",
        "validFrom": (today() - dt.timedelta(days=10)).isoformat(),
    }


_campaigns = iter(range(1, 10_000))


async def _visit(w: Writers) -> dict[str, Any]:
    household = await _household(w)
    start = today() - dt.timedelta(days=5)
    created = await w.h.ok(
        """mutation($c: ScreeningCampaignCreateInput!) {
             screeningCampaignCreate(input: $c) { screeningCampaign { id } errors { code } }
           }""",
        {
            "c": {
                "name": f"排查{next(_campaigns)}",
                "regionCode": "141023",
                "startsOn": start.isoformat(),
                "endsOn": (start + dt.timedelta(days=30)).isoformat(),
            }
        },
        token=w.tokens["civil"],
    )
    payload = created["screeningCampaignCreate"]
    assert payload["errors"] == [], payload
    return {
        "campaignId": payload["screeningCampaign"]["id"],
        "householdId": household,
        "visitedOn": today().isoformat(),
        "outcome": "VISITED",
    }


async def _aid(w: Writers) -> dict[str, Any]:
    return {
        "personId": await _person(w),
        "kind": "SCHOLARSHIP",
        "amount": "500.00",
        "grantedOn": today().isoformat(),
        "fundingSource": "GOVERNMENT_PROGRAMME",
        "programme": "雨露计划",
    }


async def _appraisal(w: Writers) -> dict[str, Any]:
    return {
        "householdId": await _household(w),
        "grade": "B",
        "appraisedOn": today().isoformat(),
    }


async def _pairing(w: Writers) -> dict[str, Any]:
    return {"personId": await _person(w)}


#: Every input field that names an organisation or a user, with its case.
CASES = (
    Case("assistanceMeasureAdd", "responsibleOrganisationId", "Organisation", "civil", Measure, _measure),
    # Another county's civil-affairs bureau is within the administrator's reach but not
    # competent for the person (NOT_COMPETENT, tests/test_category_rules.py).
    Case("categoryAssign", "certifyingOrganisationId", "Organisation", "civil", CategoryAssignment, _category, admin_reaches_other=False),
    Case("screeningVisitRecord", "organisationId", "Organisation", "civil", ScreeningVisit, _visit),
    Case("educationAidGrant", "grantingOrganisationId", "Organisation", "education", EducationAid, _aid),
    Case("housingAppraisalRecord", "appraisingOrganisationId", "Organisation", "housing", SafetyAppraisal, _appraisal),
    Case("pairingStart", "officialId", "User", "civil", Pairing, _pairing, admin_reaches_other=False),
)  # fmt: skip

#: Input fields that name a region where the record itself lives. They must lie inside
#: the writer's area (a county officer cannot register a household at city level either)
#: and are refused with OUT_OF_AREA: the region tree is public reference data, so naming
#: another county's region learns nothing. Tested where each mutation is.
LOCATIONS = {
    "householdCreate.input.regionCode": "tests/test_registry_api.py",
    "screeningCampaignCreate.input.regionCode": "tests/test_care_screening.py",
    "donationRecord.input.regionCode": "tests/test_care_donations.py",
    "organisationCreate.input.regionCode": "tests/test_grassroots.py",
}

#: Region references deliberately not limited to the writer's area, and why.
UNLIMITED = {
    # Where a child goes to school is a fact about the child, not a unit made responsible
    # for anything: a county's child may attend a school of another county, and no
    # indicator of that county counts it.
    "educationEnrolmentRecord.input.schoolRegionCode": "a fact about the child",
}

#: ID fields of mutations that name records of the actor's own area (area-scoped rows,
#: which the writer cannot see outside it: absent and out of area look the same).
NOT_REFERENCES = {
    "assistanceMeasureAdd.input.householdId": "Household",
    "assistanceMeasureAdd.input.problemIds": "Problem",
    "assistanceMeasureStatusChange.input.id": "AssistanceMeasure",
    "careEventRaise.input.personId": "Person",
    "careEventRespond.input.eventId": "CareEvent",
    "categoryAssign.input.personId": "Person",
    "categoryEnd.input.id": "CategoryAssignment",
    "donationAllocate.input.donationId": "Donation",
    "donationAllocate.input.measureId": "AssistanceMeasure",
    "educationAidGrant.input.personId": "Person",
    "educationEnrolmentEnd.input.personId": "Person",
    "educationEnrolmentRecord.input.personId": "Person",
    "employmentPlacementRecord.input.personId": "Person",
    "employmentStatusRecord.input.personId": "Person",
    "employmentTrainingComplete.input.id": "EmploymentTraining",
    "employmentTrainingRecord.input.personId": "Person",
    "employmentWelfarePostAssign.input.personId": "Person",
    "householdHeadChange.input.householdId": "Household",
    "householdHeadChange.input.newHeadId": "Person",
    "householdCreate.input.members.personId": "Person",
    "householdMemberAdd.input.householdId": "Household",
    "householdMemberAdd.input.personId": "Person",
    "householdMemberRemove.input.householdId": "Household",
    "householdMemberRemove.input.personId": "Person",
    "housingAidGrant.input.householdId": "Household",
    "housingAppraisalRecord.input.householdId": "Household",
    "housingDisasterReport.input.householdId": "Household",
    "housingDisasterRespond.input.id": "HousingDisaster",
    "housingRenovationAdvance.input.acceptanceAppraisalId": "HousingAppraisal",
    "housingRenovationAdvance.input.id": "HousingRenovation",
    "housingRenovationStart.input.householdId": "Household",
    "medicalClaimSettle.input.hospitalisationId": "MedicalHospitalisation",
    "medicalClaimSettle.input.personId": "Person",
    "medicalConditionRecord.input.personId": "Person",
    "medicalHospitalisationDischarge.input.id": "MedicalHospitalisation",
    "medicalHospitalisationRecord.input.personId": "Person",
    "medicalInsuranceRecord.input.personId": "Person",
    # The actor's own notifications (recipient, not area: another's reads as unknown).
    "notificationMarkRead.input.ids": "Notification",
    "pairingEnd.input.id": "Pairing",
    "pairingFiveKnownsUpdate.input.pairingId": "Pairing",
    "pairingStart.input.personId": "Person",
    "personReveal.input.id": "Person",
    "personUpdate.input.guardianId": "Person",
    "personUpdate.input.id": "Person",
    "screeningVisitRecord.input.campaignId": "ScreeningCampaign",
    "screeningVisitRecord.input.householdId": "Household",
    "screeningVisitRecord.input.problems.personId": "Person",
    "login.username": "the user logging in, by name",
}


#: The example plugin's (examples/bangfu-befriending), when it is installed: it names
#: persons and its own records; the organisation is always the writer's own.
BEFRIENDING = {
    "befriendingStart.input.personId": "Person",
    "befriendingEnd.input.id": "BefriendingRelationship",
    "befriendingContactRecord.input.personId": "Person",
    "befriendingFlagRaise.input.personId": "Person",
    "befriendingFlagClose.input.id": "BefriendingFlag",
}


#: Words in an input field's name that say it names a region, a unit or a user, whatever
#: its type (a code, a user name).
NAMING_WORDS = ("region", "organisation", "official", "user")


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _input_fields(prefix: str, type_: Any, seen: frozenset[str]) -> Iterator[tuple[str, Any]]:
    named = _named(type_)
    if isinstance(named, GraphQLInputObjectType):
        if named.name in seen:
            return
        for name, field in named.fields.items():
            yield from _input_fields(f"{prefix}.{name}", field.type, seen | {named.name})
    else:
        yield prefix, named


def reference_like_fields(schema: GraphQLSchema) -> set[str]:
    """Every ID input field (or argument) of a mutation, and every one whose name says
    it names a region, a unit or a user."""
    mutation = schema.mutation_type
    assert mutation is not None
    found = set()
    for name, field in mutation.fields.items():
        for arg_name, arg in field.args.items():
            for path, named in _input_fields(f"{name}.{arg_name}", arg.type, frozenset()):
                leaf = path.rsplit(".", 1)[-1]
                is_id = isinstance(named, GraphQLScalarType) and named.name == "ID"
                if is_id or any(word in leaf.lower() for word in NAMING_WORDS):
                    found.add(path)
    return found


async def test_every_reference_field_has_a_case(harness: Harness) -> None:
    fields = reference_like_fields(harness.app.state.schema._schema)
    known = {c.path for c in CASES} | set(LOCATIONS) | set(UNLIMITED) | set(NOT_REFERENCES)
    unclassified = sorted(fields - known - set(BEFRIENDING))
    assert not unclassified, (
        "a mutation takes an ID or a region that this test does not know: if it names an "
        "organisation, a user or a region, check it with bangfu.core.security.references "
        "(bangfu.plugin.reachable_organisation / reachable_user) and add a Case to CASES; "
        f"otherwise list it in NOT_REFERENCES: {unclassified}"
    )
    gone = sorted(known - fields)
    assert not gone, f"listed here but no longer in the schema: {gone}"


async def _writers(world: World) -> Writers:
    h = world.h
    return Writers(
        world,
        {
            "civil": world.xiangfen,
            "education": await h.actor(
                "xf-education", roles=[Role.DEPARTMENT_OFFICER], region="141023",
                department="education",
            ),
            "housing": await h.actor(
                "xf-housing", roles=[Role.DEPARTMENT_OFFICER], region="141023",
                department="housing",
            ),
            "admin": world.admin,
        },
    )  # fmt: skip


async def _official(h: Harness, region: str) -> str:
    username = f"official-{region}"
    await h.actor(username, roles=[Role.PAIRED_OFFICIAL], region=region)
    async with h.session() as session:
        user_id = await session.scalar(select(User.id).where(User.username == username))
    return to_global_id("User", user_id)


async def _references(h: Harness, kind: str) -> dict[str, str]:
    if kind == "User":
        return {
            OWN: await _official(h, "141023"),
            CITY: await _official(h, "141000"),
            OTHER: await _official(h, "141024"),
            UNKNOWN: to_global_id("User", 999_999),
        }
    return {
        OWN: await organisation_gid(h, "141023-civil-affairs"),
        CITY: await organisation_gid(h, "141000-civil-affairs"),
        OTHER: await organisation_gid(h, "141024-civil-affairs"),
        UNKNOWN: to_global_id("Organisation", 999_999),
    }


async def _count(h: Harness, model: type[Any]) -> int:
    async with h.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _write(w: Writers, case: Case, reference: str, token: str) -> list[dict[str, Any]]:
    """Run the case's mutation naming ``reference``; the payload's errors."""
    data = await w.h.ok(
        f"mutation($input: {case.mutation[0].upper()}{case.mutation[1:]}Input!) "
        f"{{ {case.mutation}(input: $input) {{ errors {{ field code message }} }} }}",
        {"input": {**await case.build(w), case.field: reference}},
        token=token,
    )
    return data[case.mutation]["errors"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.path)
async def test_a_reference_reaches_the_writers_county_and_the_city_only(
    world: World, case: Case
) -> None:
    h = world.h
    w = await _writers(world)
    refs = await _references(h, case.kind)
    token = w.tokens[case.writer]

    before = await _count(h, case.model)
    unknown = await _write(w, case, refs[UNKNOWN], token)
    assert [e["field"] for e in unknown] == [f"input.{case.field}"], unknown
    assert await _count(h, case.model) == before
    # Another county's unit: exactly the answer of one that does not exist, nothing written.
    assert await _write(w, case, refs[OTHER], token) == unknown
    assert await _count(h, case.model) == before

    for where in (OWN, CITY):
        assert await _write(w, case, refs[where], token) == [], where
    assert await _count(h, case.model) == before + 2

    # The city administrator reaches every unit of the city.
    if case.admin_reaches_other:
        assert await _write(w, case, refs[OTHER], w.tokens["admin"]) == []
        assert await _count(h, case.model) == before + 3
    assert await _write(w, case, refs[CITY], w.tokens["admin"]) == []


async def test_a_measure_of_county_a_cannot_lower_county_bs_score(world: World) -> None:
    """The report of issue 21: a county-A measure, already overdue, made the
    responsibility of county B's government."""
    h = world.h
    f = await family(h, categories=(Category.SPECIAL_HARDSHIP,))
    data = await h.ok(
        """mutation($input: AssistanceMeasureAddInput!) {
             assistanceMeasureAdd(input: $input) { measure { id } errors { field code message } }
           }""",
        {
            "input": {
                "householdId": f.gid,
                "domain": "HOUSING",
                "description": "危房改造",
                "problemIds": [],
                "responsibleOrganisationId": await organisation_gid(h, "141024-government"),
                "deadline": (today() + dt.timedelta(days=10)).isoformat(),
                "fundingSource": "GOVERNMENT_PROGRAMME",
            }
        },
        token=world.xiangfen,
    )
    assert data["assistanceMeasureAdd"] == {
        "measure": None,
        "errors": [
            {
                "field": "input.responsibleOrganisationId",
                "code": "UNKNOWN_ORGANISATION",
                "message": "no Organisation with this ID",
            }
        ],
    }
    assert await _count(h, Measure) == 0
