"""educationEnrolmentRecord, educationEnrolmentEnd, educationAidGrant: who may write, and
bad input answered with a clear code naming the field, changing nothing."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from bangfu.core.calendar import today
from bangfu.plugins.education.models import Enrolment, EnrolmentStatus, SchoolStage
from bangfu.plugins.education.rules import school_year
from bangfu.plugins.education.tests.conftest import World, gid

pytestmark = pytest.mark.anyio

ERRORS = "errors { field message code }"
RECORD = f"""mutation($input: EducationEnrolmentRecordInput!) {{
  educationEnrolmentRecord(input: $input) {{
    enrolment {{ id schoolName schoolRegion {{ code name }} stage grade status startDate endDate
      endReason current }}
    {ERRORS} }} }}"""
END = f"""mutation($input: EducationEnrolmentEndInput!) {{
  educationEnrolmentEnd(input: $input) {{
    enrolment {{ id schoolName status startDate endDate endReason current }} {ERRORS} }} }}"""
GRANT = f"""mutation($input: EducationAidGrantInput!) {{
  educationAidGrant(input: $input) {{
    aid {{ id kind amount grantedOn fundingSource programme donor note
      grantingOrganisation {{ name }} }}
    {ERRORS} }} }}"""
EDUCATION = """query($id: ID!) { person(id: $id) { education {
  currentEnrolment { schoolName status }
  history { schoolName status startDate endDate }
  aidThisSchoolYear { kind amount }
  aidTotalThisSchoolYear } } }"""

SCHOOL_START = school_year(today())[0]


def enrolment(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "personId": gid(world.child),
        "schoolName": "襄汾县实验小学",
        "schoolRegionCode": "141023",
        "stage": "PRIMARY",
        "grade": 4,
        "startDate": SCHOOL_START.isoformat(),
        **changes,
    }


def aid(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "personId": gid(world.child),
        "kind": "BOARDING_SUBSIDY",
        "amount": "625.00",
        "grantedOn": today().isoformat(),
        "fundingSource": "GOVERNMENT_PROGRAMME",
        "programme": "义务教育家庭经济困难学生生活补助",
        "grantingOrganisationId": world.bureau_id,
        **changes,
    }


async def record(world: World, token: str | None = None, **changes: Any) -> dict[str, Any]:
    data = await world.ok(
        RECORD, {"input": enrolment(world, **changes)}, world.education if token is None else token
    )
    return data["educationEnrolmentRecord"]  # type: ignore[no-any-return]


async def grant(world: World, **changes: Any) -> dict[str, Any]:
    data = await world.ok(GRANT, {"input": aid(world, **changes)}, world.education)
    return data["educationAidGrant"]  # type: ignore[no-any-return]


async def end(world: World, **fields: Any) -> dict[str, Any]:
    data = await world.ok(END, {"input": {"personId": gid(world.child), **fields}}, world.education)
    return data["educationEnrolmentEnd"]  # type: ignore[no-any-return]


def codes(payload: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


async def test_record_end_and_grant(world: World) -> None:
    earlier = (SCHOOL_START - dt.timedelta(days=365)).isoformat()
    past = await record(
        world,
        schoolName="新城小学",
        grade=3,
        startDate=earlier,
        endDate=SCHOOL_START.isoformat(),
        endReason="moved to the county town",
    )
    assert past["errors"] == []
    assert past["enrolment"]["current"] is False
    current = await record(world)
    assert current["errors"] == []
    assert current["enrolment"] == {
        "id": current["enrolment"]["id"],
        "schoolName": "襄汾县实验小学",
        "schoolRegion": {"code": "141023", "name": "襄汾县"},
        "stage": "PRIMARY",
        "grade": 4,
        "status": "ENROLLED",
        "startDate": SCHOOL_START.isoformat(),
        "endDate": None,
        "endReason": None,
        "current": True,
    }
    granted = await grant(world, amount="1250.5")
    assert granted["errors"] == []
    assert granted["aid"]["amount"] == "1250.50"  # exact, as a string
    assert granted["aid"]["grantingOrganisation"] == {"name": "临汾市教育局"}
    donated = await grant(
        world,
        kind="SCHOLARSHIP",
        amount="0.10",
        fundingSource="SOCIAL_DONATION",
        programme=None,
        donor="春蕾计划",
    )
    assert donated["aid"]["donor"] == "春蕾计划" and donated["aid"]["programme"] is None
    await grant(world, amount="0.20")

    data = await world.ok(EDUCATION, {"id": gid(world.child)}, world.education)
    education = data["person"]["education"]
    assert education["currentEnrolment"] == {"schoolName": "襄汾县实验小学", "status": "ENROLLED"}
    assert [e["schoolName"] for e in education["history"]] == ["襄汾县实验小学", "新城小学"]
    assert [a["amount"] for a in education["aidThisSchoolYear"]] == ["1250.50", "0.10", "0.20"]
    assert education["aidTotalThisSchoolYear"] == "1250.80"  # not 1250.8000000000002

    ended = await end(world, endDate=today().isoformat(), status="GRADUATED", reason="小学毕业")
    assert ended["errors"] == []
    assert ended["enrolment"]["status"] == "GRADUATED"
    assert ended["enrolment"]["endReason"] == "小学毕业" and not ended["enrolment"]["current"]
    assert await world.counts() == (2, 3)


async def test_a_transfer_keeps_the_status_and_may_start_the_day_the_last_ended(
    world: World,
) -> None:
    start = SCHOOL_START - dt.timedelta(days=30)
    assert (await record(world, startDate=start.isoformat()))["errors"] == []
    moved = today()
    ended = await end(world, endDate=moved.isoformat())
    assert ended["enrolment"]["status"] == "ENROLLED"
    again = await record(world, schoolName="临汾市第一小学", startDate=moved.isoformat())
    assert again["errors"] == []


async def test_not_yet_of_school_age_needs_no_school(world: World) -> None:
    payload = await record(
        world,
        personId=gid(world.toddler),
        status="NOT_YET_OF_SCHOOL_AGE",
        schoolName=None,
        schoolRegionCode=None,
        stage=None,
        grade=None,
    )
    assert payload["errors"] == []
    assert payload["enrolment"]["schoolName"] is None


async def test_only_the_education_department_and_city_administrators_write(world: World) -> None:
    for token in (world.civil_affairs, world.medical, world.supervisor):
        for query, variables in (
            (RECORD, enrolment(world)),
            (END, {"personId": gid(world.child), "endDate": today().isoformat()}),
            (GRANT, aid(world)),
        ):
            answer = await world.h.gql(query, {"input": variables}, token=token)
            assert answer.get("data") is None
            assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    assert await world.counts() == (0, 0)
    assert (await record(world, token=world.admin))["errors"] == []
    assert await world.counts() == (1, 0)


async def test_a_child_outside_the_actors_area_is_not_found(world: World) -> None:
    for query, variables in (
        (RECORD, enrolment(world)),
        (END, {"personId": gid(world.child), "endDate": today().isoformat()}),
        (GRANT, aid(world)),
    ):
        data = await world.ok(query, {"input": variables}, world.hongtong_education)
        payload = next(iter(data.values()))
        assert codes(payload) == {("input.personId", "NOT_FOUND")}
    malformed = await world.ok(
        RECORD, {"input": enrolment(world, personId="bm9wZQ==")}, world.education
    )
    assert codes(malformed["educationEnrolmentRecord"]) == {("input.personId", "NOT_FOUND")}
    assert await world.counts() == (0, 0)


async def test_an_enrolment_cannot_end_before_it_began(world: World) -> None:
    bad = await record(world, endDate=(SCHOOL_START - dt.timedelta(days=1)).isoformat())
    assert codes(bad) == {("input.endDate", "INVALID_DATE_RANGE")}
    assert bad["enrolment"] is None
    assert (await record(world))["errors"] == []
    before_start = await end(world, endDate=(SCHOOL_START - dt.timedelta(days=1)).isoformat())
    assert codes(before_start) == {("input.endDate", "INVALID_DATE_RANGE")}
    future = await end(world, endDate=(today() + dt.timedelta(days=1)).isoformat())
    assert codes(future) == {("input.endDate", "FUTURE_DATE")}
    assert await world.counts() == (1, 0)
    data = await world.ok(EDUCATION, {"id": gid(world.child)}, world.education)
    assert data["person"]["education"]["currentEnrolment"]["status"] == "ENROLLED"


async def test_an_enrolment_cannot_start_after_today(world: World) -> None:
    """Core's rule for every start date (docs/api.md, "Dates"): FUTURE_DATE, nothing
    written; today is accepted."""
    future = await record(world, startDate=(today() + dt.timedelta(days=1)).isoformat())
    assert codes(future) == {("input.startDate", "FUTURE_DATE")}
    assert future["enrolment"] is None
    assert await world.counts() == (0, 0)
    assert (await record(world, startDate=today().isoformat()))["errors"] == []


async def test_overlapping_enrolments_are_refused(world: World) -> None:
    start = SCHOOL_START - dt.timedelta(days=10)
    assert (await record(world, startDate=start.isoformat()))["errors"] == []
    second = await record(world, schoolName="临汾市第一小学")
    assert codes(second) == {("input.startDate", "OVERLAP")}
    assert "襄汾县实验小学" in second["errors"][0]["message"]
    # A past period that runs into the current one overlaps it too ...
    past = await record(
        world,
        schoolName="新城小学",
        startDate=(start - dt.timedelta(days=300)).isoformat(),
        endDate=SCHOOL_START.isoformat(),
    )
    assert codes(past) == {("input.startDate", "OVERLAP")}
    assert await world.counts() == (1, 0)
    # ... one that ends the day the current one began does not.
    adjacent = await record(
        world,
        schoolName="新城小学",
        startDate=(start - dt.timedelta(days=300)).isoformat(),
        endDate=start.isoformat(),
    )
    assert adjacent["errors"] == []


async def test_the_database_itself_refuses_two_current_periods(world: World) -> None:
    async with world.h.session() as session:
        for name in ("甲小学", "乙小学"):
            session.add(
                Enrolment(
                    person_id=world.child.id,
                    school_name=name,
                    stage=SchoolStage.PRIMARY,
                    status=EnrolmentStatus.ENROLLED,
                    start_date=SCHOOL_START,
                )
            )
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_school_fields_are_checked(world: World) -> None:
    missing = await record(world, schoolName="  ", stage=None, grade=None)
    assert codes(missing) == {
        ("input.schoolName", "REQUIRED"),
        ("input.stage", "REQUIRED"),
    }
    grade = await record(world, stage="JUNIOR_SECONDARY", grade=4)
    assert codes(grade) == {("input.grade", "INVALID_GRADE")}
    region = await record(world, schoolRegionCode="999999")
    assert codes(region) == {("input.schoolRegionCode", "UNKNOWN_REGION")}
    unborn = await record(world, startDate="2000-09-01")
    assert codes(unborn) == {("input.startDate", "INVALID_DATE_RANGE")}
    assert await world.counts() == (0, 0)


async def test_an_unknown_stage_is_refused_by_graphql_naming_the_field(world: World) -> None:
    answer = await world.h.gql(
        RECORD, {"input": enrolment(world, stage="KINDERGARTEN")}, token=world.education
    )
    assert answer.get("data") is None
    (error,) = answer["errors"]
    # "Variable '$input' has invalid value at .stage: Value 'KINDERGARTEN' does not exist ..."
    assert "$input" in error["message"] and ".stage" in error["message"]
    assert "KINDERGARTEN" in error["message"]
    assert await world.counts() == (0, 0)


async def test_ending_without_a_current_enrolment(world: World) -> None:
    payload = await end(world, endDate=today().isoformat(), status="DROPPED_OUT")
    assert codes(payload) == {("input.personId", "NO_CURRENT_ENROLMENT")}
    assert (await record(world))["errors"] == []
    wrong = await end(world, endDate=today().isoformat(), status="NOT_YET_OF_SCHOOL_AGE")
    assert codes(wrong) == {("input.status", "INVALID_STATUS_CHANGE")}
    assert await world.counts() == (1, 0)


async def test_a_period_not_yet_of_school_age_cannot_end_at_school(world: World) -> None:
    """Found by the stateful test of the stored verdicts: ending it as DROPPED_OUT or
    GRADUATED (a status that needs a school) was an internal error, not a refusal."""
    waiting = await record(
        world, status="NOT_YET_OF_SCHOOL_AGE", schoolName=None, stage=None, grade=None
    )
    assert waiting["errors"] == []
    for status in ("DROPPED_OUT", "GRADUATED", "ENROLLED"):
        wrong = await end(world, endDate=today().isoformat(), status=status)
        assert codes(wrong) == {("input.status", "INVALID_STATUS_CHANGE")}, status
    assert (await end(world, endDate=today().isoformat()))["errors"] == []
    assert await world.counts() == (1, 0)


async def test_bad_amounts_are_refused(world: World) -> None:
    for amount in ("-5.00", "0", "0.00", "12.345", "NaN", "Infinity", "1e20", "10000000000.00"):
        payload = await grant(world, amount=amount)
        assert codes(payload) == {("input.amount", "INVALID_AMOUNT")}, amount
        assert payload["aid"] is None
    assert await world.counts() == (0, 0)
    assert (await grant(world, amount="9999999999.99"))["errors"] == []  # the largest


async def test_a_non_numeric_amount_is_refused_by_graphql_naming_the_field(
    world: World,
) -> None:
    for amount in ("abc", "12,50", True):
        answer = await world.h.gql(
            GRANT, {"input": aid(world, amount=amount)}, token=world.education
        )
        assert answer.get("data") is None
        (error,) = answer["errors"]
        assert "$input" in error["message"] and ".amount" in error["message"]
    assert await world.counts() == (0, 0)


async def test_aid_input_is_checked_all_at_once(world: World) -> None:
    payload = await grant(
        world,
        amount="-1",
        programme=" ",
        grantedOn=(today() + dt.timedelta(days=3)).isoformat(),
        grantingOrganisationId="T3JnYW5pc2F0aW9uOjk5OTk5",  # Organisation:99999
    )
    assert codes(payload) == {
        ("input.amount", "INVALID_AMOUNT"),
        ("input.programme", "REQUIRED"),
        ("input.grantedOn", "FUTURE_DATE"),
        ("input.grantingOrganisationId", "UNKNOWN_ORGANISATION"),
    }
    donation = await grant(world, fundingSource="SOCIAL_DONATION", programme=None, donor=None)
    assert codes(donation) == {("input.donor", "REQUIRED")}
    malformed = await grant(world, grantingOrganisationId=gid(world.child))
    assert codes(malformed) == {("input.grantingOrganisationId", "UNKNOWN_ORGANISATION")}
    assert await world.counts() == (0, 0)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-CN", "小学（PRIMARY）的年级为 1 至 6，请更正年级"),
        ("en", "a primary school (PRIMARY) grade is 1 to 6"),
    ],
)
async def test_an_error_reads_in_the_language_asked_for(
    world: World, language: str, message: str
) -> None:
    response = await world.h.post(
        RECORD, {"input": enrolment(world, grade=7)}, token=world.education, language=language
    )
    assert response.json()["data"]["educationEnrolmentRecord"] == {
        "enrolment": None,
        "errors": [{"field": "input.grade", "message": message, "code": "INVALID_GRADE"}],
    }
