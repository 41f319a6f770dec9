"""Person.education: the current enrolment, read through GraphQL."""

import datetime as dt

import pytest

from bangfu.core.idnumber import make
from bangfu.core.security import Role
from bangfu.plugins.education.models import Enrolment, EnrolmentStatus, SchoolStage
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness

pytestmark = pytest.mark.anyio

QUERY = """query($id: ID!) { person(id: $id) { name education { currentEnrolment {
  schoolName stage grade status startDate endDate } } } }"""


async def test_current_enrolment_is_shown_and_history_is_not(harness: Harness) -> None:
    h = harness
    _, (head, child) = await h.household(
        "141023",
        [
            ("HEAD", "王建国", make("141023", dt.date(1980, 1, 1), 11)),
            ("CHILD", "王小明", make("141023", dt.date(2015, 3, 1), 13)),
        ],
    )
    async with h.session() as session, session.begin():
        session.add_all(
            [
                Enrolment(
                    person_id=child.id,
                    school_name="新城幼儿园",
                    stage=SchoolStage.PRESCHOOL,
                    status=EnrolmentStatus.GRADUATED,
                    start_date=dt.date(2018, 9, 1),
                    end_date=dt.date(2021, 7, 1),
                ),
                Enrolment(
                    person_id=child.id,
                    school_name="襄汾县实验小学",
                    stage=SchoolStage.PRIMARY,
                    grade=5,
                    status=EnrolmentStatus.ENROLLED,
                    start_date=dt.date(2021, 9, 1),
                ),
            ]
        )
    token = await h.actor("county", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023")
    data = await h.ok(QUERY, {"id": to_global_id("Person", child.id)}, token=token)
    assert data["person"]["education"]["currentEnrolment"] == {
        "schoolName": "襄汾县实验小学",
        "stage": "PRIMARY",
        "grade": 5,
        "status": "ENROLLED",
        "startDate": "2021-09-01",
        "endDate": None,
    }
    adult = await h.ok(QUERY, {"id": to_global_id("Person", head.id)}, token=token)
    assert adult["person"]["education"] == {"currentEnrolment": None}
    outsider = await h.actor("other", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141024")
    assert (await h.ok(QUERY, {"id": to_global_id("Person", child.id)}, token=outsider))[
        "person"
    ] is None


async def test_education_write_action_belongs_to_the_education_department(harness: Harness) -> None:
    from bangfu.core.security.actor import Actor, ActorKind

    officer = Actor(
        kind=ActorKind.USER,
        name="e",
        area_path="141000/",
        roles=frozenset({Role.DEPARTMENT_OFFICER}),
        department="education",
    )
    medical = Actor(
        kind=ActorKind.USER,
        name="m",
        area_path="141000/",
        roles=frozenset({Role.DEPARTMENT_OFFICER}),
        department="medical",
    )
    assert harness.host.allowed(officer, "education:write")
    assert not harness.host.allowed(medical, "education:write")


async def test_anyone_whose_area_covers_the_person_reads_the_non_sensitive_part(
    harness: Harness,
) -> None:
    """A child's schooling under 14 is a child's data (PIPL art. 28); from 14 it is not."""
    from bangfu.plugins.education.tests.conftest import make_world

    world = await make_world(harness)
    query = "query($id: ID!) { person(id: $id) { name education { currentEnrolment { status } } } }"
    for token in (world.supervisor, world.medical):
        teen = await harness.ok(query, {"id": to_global_id("Person", world.teen.id)}, token=token)
        assert teen["person"]["education"] == {"currentEnrolment": None}
        child = await harness.gql(
            query, {"id": to_global_id("Person", world.child.id)}, token=token
        )
        assert child["data"]["person"] == {"name": "王小明", "education": None}
        assert child["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for token in (world.education, world.civil_affairs, world.admin):
        child = await harness.ok(query, {"id": to_global_id("Person", world.child.id)}, token=token)
        assert child["person"]["education"] == {"currentEnrolment": None}
