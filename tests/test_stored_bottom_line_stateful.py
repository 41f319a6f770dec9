"""A stateful test of the stored bottom line (issue 17): random sequences of writes through
the GraphQL API — the registry and categories, the four plugins (education, medical,
housing, employment) and the care work (pairings, five knowns, care events) — with direct
writes as the system actor, while the calendar moves forward.

- After every step the stored verdicts equal a fresh judgement of everyone
  (``stored.check``).
- A refused write (``errors`` in its payload; some inputs are invalid on purpose) leaves
  every stored row as it was, to the day it was judged.
- The calendar moves 1 to 400 days at a time, across the days the verdicts name in
  ``valid_until``: a child reaching school age (births are drawn near the 6th, 16th, 18th
  and 60th birthdays), a claim's deadline passing, 90 days out of work, a category's end,
  a new school or calendar year. Before the worker's refresh, the API's reads
  (``Person.bottomLine`` of everyone, the at-risk filter, ``bottomLineSummary``) answer
  exactly as a twin app that judges afresh; after ``stored.refresh`` the table equals a
  fresh judgement again.

"Today" is moved by :class:`Clock`, which patches ``bangfu.core.calendar.today`` and every
module of bangfu that imported it by name. Runs on SQLite and on PostgreSQL.
"""

import asyncio
import dataclasses
import datetime as dt
import decimal
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from bangfu.core import calendar
from bangfu.core.bottomline import BOTTOM_LINE, GOALS, birthday, stored
from bangfu.core.registry.models import Category, CategoryAssignment
from bangfu.schema.relay import from_global_id, to_global_id
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, id_number, make_world
from tests.test_care_helpers import official

_REAL_TODAY = calendar.today
REAL_TODAY = _REAL_TODAY()
INDICATORS = [str(i) for i in (*BOTTOM_LINE, *GOALS)]
OTHER_VILLAGE = "141023100202"


class Clock:
    """Bangfu's "today", ``offset`` days after the real one: ``bangfu.core.calendar.today``
    and every module of bangfu that imported ``today`` by name answer :meth:`today`."""

    def __init__(self) -> None:
        self.offset = 0
        self._fake: Callable[[], dt.date] = lambda: REAL_TODAY + dt.timedelta(days=self.offset)

    def today(self) -> dt.date:
        return self._fake()

    def _swap(self, old: object, new: object) -> None:
        for name, module in list(sys.modules.items()):
            if name == "bangfu" or name.startswith("bangfu."):
                for attribute, value in list(vars(module).items()):
                    if value is old:
                        setattr(module, attribute, new)

    def install(self) -> None:
        self._swap(_REAL_TODAY, self._fake)

    def restore(self) -> None:
        self._swap(self._fake, _REAL_TODAY)


def births() -> st.SearchStrategy[dt.date]:
    """Any birth date, or one near (within 400 days after) an age a rule tests."""

    def near(age: int, days: int) -> dt.date:
        return min(birthday(REAL_TODAY, -age) + dt.timedelta(days=days), REAL_TODAY)

    return st.one_of(
        st.dates(dt.date(1940, 1, 1), REAL_TODAY),
        st.builds(near, st.sampled_from([6, 16, 18, 60]), st.integers(0, 400)),
    )


def mutation(name: str, result: str) -> str:
    """The document of mutation ``name`` (input type ``<Name>Input``), selecting ``result``
    and the errors."""
    input_type = name[0].upper() + name[1:] + "Input"
    return f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {result} errors {{ field code }} }} }}"


VERSION = """query($id: ID!) { node(id: $id) { ... on Person { version } } }"""
MEMBERS = "query($id: ID!) { node(id: $id) { ... on Household { members { person { id } } } } }"
LINE = "bottomLine { atRisk indicators { indicator status isGoal reasons modules } }"
PERSONS = (
    "query($after: String) { persons(first: 50, after: $after) { "
    "pageInfo { hasNextPage endCursor } nodes { id " + LINE + " } } }"
)
AT_RISK = (
    "query($indicator: Indicator!) { persons(first: 100, filter: {atRisk: $indicator}) { "
    "totalCount nodes { id " + LINE + " } } }"
)
SUMMARY = (
    'query { bottomLineSummary(regionCode: "141023100") { persons '
    "indicators { indicator ok atRisk notApplicable unknown } "
    "regions { region { code } persons indicators { indicator ok atRisk notApplicable unknown } }"
    " } }"
)


@dataclasses.dataclass
class Stats:
    """What the runs did, across examples: the test asserts it was not vacuous."""

    checks: list[int] = dataclasses.field(default_factory=list)  # persons, per invariant
    written: dict[str, int] = dataclasses.field(default_factory=dict)  # accepted, per mutation
    refused: dict[str, int] = dataclasses.field(default_factory=dict)  # refused, per mutation
    moves: int = 0
    due: int = 0  # stored rows the calendar made due before a refresh
    changed: int = 0  # verdicts (status or reasons) the calendar changed


def days(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


WHO = st.integers(0, 10**6)


class StoredVerdicts(RuleBasedStateMachine):
    database_url: str | None = None
    stats = Stats()

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = tempfile.mkdtemp(prefix="bangfu-stateful-")
        self.harness = Harness.start(Path(self.folder), database_url=self.database_url)
        self.h: Harness = self.run(self.harness.__aenter__())
        # A twin app on the same database that judges every read afresh.
        self.twin = Harness(
            self.h.settings.model_copy(update={"stored_bottom_line": False}),
            self.h.host,
            reuse=True,
        )
        self.world = self.run(make_world(self.h))
        # A second village of the county: a person who joins a household there moves.
        self.run(self.h.region(OTHER_VILLAGE, "西关村", "141023100"))
        self.org = to_global_id(
            "Organisation", self.run(self.h.organisation("141023-civil-affairs")).id
        )
        self.official = self.run(official(self.h, "official"))[1]
        # The rules versions recorded: reads use the table, a refresh judges what is due.
        self.run(stored.rebuild(self.h.services.sessions, self.h.host, self.h.settings))
        self.clock = Clock()
        self.clock.install()
        self.persons: dict[str, dt.date] = {}  # global ID: birth date
        self.households: list[tuple[str, list[str]]] = []  # (household, current member IDs)
        self.homeless: list[str] = []  # persons removed from their household
        self.categorised: list[str] = []  # persons given a category
        self.assignments: list[str] = []
        self.pairings: dict[str, str] = {}  # person: active pairing
        self.events: list[str] = []
        self.stays: list[tuple[str, str, dt.date]] = []  # open (stay, person, admitted)
        self.trainings: list[str] = []
        self.renovations: dict[str, tuple[int, str]] = {}  # (version, status)
        self.disasters: list[str] = []
        self.dangerous: list[str] = []  # households appraised C or D
        self.enrolled: list[str] = []  # children with a current period of schooling

    # -- plumbing ---------------------------------------------------------------------

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        try:
            self.clock.restore()
            self.run(self.twin.client.aclose())
            self.run(self.twin.engine.dispose())
            self.run(self.harness.__aexit__(None, None, None))
        finally:
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def today(self) -> dt.date:
        return self.clock.today()

    def day(self, offset: int) -> str:
        return (self.today + dt.timedelta(days=offset)).isoformat()

    @staticmethod
    def pick(which: int, pool: list[str]) -> str:
        return pool[which % len(pool)]

    def person(self, who: int, among: list[str] | None = None) -> str:
        """A person: one of ``among`` if there are any, else anyone."""
        return self.pick(who, among or list(self.persons))

    def query(self, document: str, variables: dict[str, Any], token: str | None = None) -> Any:
        return self.run(self.h.ok(document, variables, token=token or self.world.admin))

    async def _table(self) -> list[tuple[Any, ...]]:
        async with self.h.session() as session:
            rows = await session.execute(
                select(stored.TABLE).order_by(stored.TABLE.c.person_id, stored.TABLE.c.indicator)
            )
            return [tuple(row) for row in rows]

    def write(
        self, name: str, result: str, values: dict[str, Any], token: str | None = None
    ) -> dict[str, Any] | None:
        """Send mutation ``name``; the payload's ``result`` field when accepted, None when
        refused — then every stored row must be as it was before."""
        before = self.run(self._table())
        data = self.query(mutation(name, result), {"i": values}, token)[name]
        if data["errors"]:
            after = self.run(self._table())
            assert after == before, f"{name} refused with {data['errors']}, yet verdicts changed"
            key = f"{name}: {', '.join(sorted({e['code'] for e in data['errors']}))}"
            self.stats.refused[key] = self.stats.refused.get(key, 0) + 1
            return None
        self.stats.written[name] = self.stats.written.get(name, 0) + 1
        return data

    # -- the registry, categories (core) ---------------------------------------------

    @initialize(first=st.lists(births(), min_size=1, max_size=4))
    def first_household(self, first: list[dt.date]) -> None:
        """A household whose head holds special-hardship support since a year ago (a
        direct write), so that pairings have someone to pair from the first step."""
        self.register(first)
        head = self.households[-1][1][0]
        self.run(self._certify(int(from_global_id(head)[1])))
        self.categorised.append(head)

    async def _certify(self, person_id: int) -> None:
        async with self.h.session() as session, session.begin():
            organisation = await self.h.organisation("141023-civil-affairs")
            session.add(
                CategoryAssignment(
                    person_id=person_id,
                    category=Category.SPECIAL_HARDSHIP,
                    valid_from=self.today - dt.timedelta(days=365),
                    certifying_organisation_id=organisation.id,
                    monthly_allowance=decimal.Decimal("650.00"),
                )
            )

    @rule(
        born=st.lists(births(), min_size=1, max_size=4),
        village=st.sampled_from([XIANGFEN_VILLAGE, OTHER_VILLAGE]),
    )
    def register(self, born: list[dt.date], village: str = XIANGFEN_VILLAGE) -> None:
        """A household registered directly, as the system actor (a write outside GraphQL)."""
        relations = ["HEAD", *["CHILD"] * (len(born) - 1)]
        household, persons = self.run(
            self.h.household(
                village,
                [
                    (relation, f"成员{i}", id_number(day))
                    for i, (relation, day) in enumerate(zip(relations, born, strict=True))
                ],
            )
        )
        ids = [to_global_id("Person", p.id) for p in persons]
        self.persons.update({p: p_born for p, p_born in zip(ids, born, strict=True)})
        self.households.append((to_global_id("Household", household.id), ids))

    @rule(
        who=WHO,
        category=st.sampled_from(["DIBAO", "SPECIAL_HARDSHIP", "ORPHAN", "POOR_DISABLED"]),
        allowance=st.sampled_from([None, "120.00", "650.00", "900.00"]),
        start=days(-400, 60),
        length=st.none() | days(0, 400),
    )
    def assign(
        self, who: int, category: str, allowance: str | None, start: int, length: int | None
    ) -> None:
        person = self.person(who)
        data = self.write(
            "categoryAssign",
            "categoryAssignment { id }",
            {
                "personId": person,
                "category": category,
                "validFrom": self.day(start),
                "validTo": None if length is None else self.day(start + length),
                "certifyingOrganisationId": self.org,
                "monthlyAllowance": allowance,
            },
            self.world.xiangfen,
        )
        if data is not None:
            self.assignments.append(data["categoryAssignment"]["id"])
            self.categorised.append(person)

    @precondition(lambda self: bool(self.assignments))
    @rule(which=WHO, end=days(-30, 30))
    def end(self, which: int, end: int) -> None:
        assignment = self.assignments[which % len(self.assignments)]
        data = self.write(
            "categoryEnd",
            "categoryAssignment { id }",
            {"id": assignment, "validTo": self.day(end)},
            self.world.xiangfen,
        )
        if data is not None:
            self.assignments.remove(assignment)

    @rule(
        who=WHO,
        deceased=st.sampled_from([False, False, False, True]),
        hukou=st.sampled_from(["RURAL", None]),
        guardian=st.none() | WHO,
        born=st.none() | births(),
    )
    def update(
        self,
        who: int,
        deceased: bool,
        hukou: str | None,
        guardian: int | None,
        born: dt.date | None,
    ) -> None:
        person = self.person(who)
        version = self.query(VERSION, {"id": person})["node"]["version"]
        changes: dict[str, Any] = {"deceased": True} if deceased else {"name": "改名"}
        if hukou:
            changes["hukouType"] = hukou
        if guardian is not None:  # anyone, oneself included (refused)
            changes["guardianId"] = self.person(guardian)
        if born is not None:  # a corrected ID number: another birth date
            changes["idNumber"] = id_number(born)
        data = self.write(
            "personUpdate",
            "person { version }",
            {"id": person, "expectedVersion": version, **changes},
            self.world.xiangfen,
        )
        if data is not None and born is not None:
            self.persons[person] = born

    @rule(which=WHO, born=births())
    def new_member(self, which: int, born: dt.date) -> None:
        household, members = self.households[which % len(self.households)]
        data = self.write(
            "householdMemberAdd",
            "household { id }",
            {
                "householdId": household,
                "relation": "CHILD",
                "person": {"name": "新成员", "idNumber": id_number(born)},
            },
            self.world.xiangfen,
        )
        if data is not None:
            for member in self.query(MEMBERS, {"id": household})["node"]["members"]:
                found = member["person"]["id"]
                if found not in members:
                    members.append(found)
                    self.persons[found] = born

    @rule(which=WHO, member=WHO, end=st.none() | days(-30, 0))
    def remove_member(self, which: int, member: int, end: int | None) -> None:
        household, members = self.households[which % len(self.households)]
        if len(members) < 2:
            return
        person = members[1 + member % (len(members) - 1)]  # never the head
        data = self.write(
            "householdMemberRemove",
            "household { id }",
            {
                "householdId": household,
                "personId": person,
                "endDate": None if end is None else self.day(end),
            },
            self.world.xiangfen,
        )
        if data is not None:
            members.remove(person)
            self.homeless.append(person)

    @precondition(lambda self: bool(self.homeless))
    @rule(who=WHO, which=WHO)
    def rejoin(self, who: int, which: int) -> None:
        """A person removed from a household joins another (moving with it)."""
        person = self.person(who, self.homeless)
        household, members = self.households[which % len(self.households)]
        data = self.write(
            "householdMemberAdd",
            "household { id }",
            {"householdId": household, "relation": "OTHER", "personId": person},
            self.world.xiangfen,
        )
        if data is not None:
            self.homeless.remove(person)
            members.append(person)

    # -- education --------------------------------------------------------------------

    @rule(
        who=WHO,
        status=st.sampled_from(
            ["ENROLLED", "ENROLLED", "SUSPENDED", "DROPPED_OUT", "NOT_YET_OF_SCHOOL_AGE"]
        ),
        start=days(-800, 30),
        length=st.none() | days(0, 400),
    )
    def enrol(self, who: int, status: str, start: int, length: int | None) -> None:
        person = self.person(who)
        begins = max(self.today + dt.timedelta(days=start), self.persons[person])
        ends = None if length is None else min(begins + dt.timedelta(days=length), self.today)
        school = {}
        if status != "NOT_YET_OF_SCHOOL_AGE":
            school = {"schoolName": "东关小学", "stage": "PRIMARY", "grade": 1}
        data = self.write(
            "educationEnrolmentRecord",
            "enrolment { id }",
            {
                "personId": person,
                "status": status,
                "startDate": begins.isoformat(),
                "endDate": None if ends is None else ends.isoformat(),
                **school,
            },
        )
        if data is not None and ends is None:
            self.enrolled.append(person)

    @rule(
        who=WHO,
        status=st.sampled_from([None, "GRADUATED", "DROPPED_OUT"]),
        end=days(-100, 0),
    )
    def leave_school(self, who: int, status: str | None, end: int) -> None:
        person = self.person(who, self.enrolled)
        data = self.write(
            "educationEnrolmentEnd",
            "enrolment { id }",
            {"personId": person, "endDate": self.day(end), "status": status},
        )
        if data is not None and person in self.enrolled:
            self.enrolled.remove(person)

    @rule(who=WHO, granted=days(-500, 0))
    def grant_education_aid(self, who: int, granted: int) -> None:
        person = self.person(who)
        on = max(self.today + dt.timedelta(days=granted), self.persons[person])
        self.write(
            "educationAidGrant",
            "aid { id }",
            {
                "personId": person,
                "kind": "TUITION_WAIVER",
                "amount": "800.00",
                "grantedOn": on.isoformat(),
                "fundingSource": "GOVERNMENT_PROGRAMME",
                "programme": "两免一补",
                "grantingOrganisationId": self.org,
            },
        )

    # -- medical ----------------------------------------------------------------------

    @rule(who=WHO, year=st.integers(-1, 1))
    def insure(self, who: int, year: int) -> None:
        self.write(
            "medicalInsuranceRecord",
            "insurance { year }",
            {
                "personId": self.person(who),
                "year": self.today.year + year,
                "scheme": "RESIDENT",
                "premium": "380.00",
                "premiumPaidByGovernment": True,
            },
        )

    @rule(who=WHO, admitted=days(-200, 0), stay=st.none() | days(0, 60), serious=st.booleans())
    def hospitalise(self, who: int, admitted: int, stay: int | None, serious: bool) -> None:
        person = self.person(who)
        on = max(self.today + dt.timedelta(days=admitted), self.persons[person])
        out = None if stay is None else min(on + dt.timedelta(days=stay), self.today)
        data = self.write(
            "medicalHospitalisationRecord",
            "hospitalisation { id }",
            {
                "personId": person,
                "hospital": "县人民医院",
                "admittedOn": on.isoformat(),
                "dischargedOn": None if out is None else out.isoformat(),
                "serious": serious,
            },
        )
        if data is not None and out is None:
            self.stays.append((data["hospitalisation"]["id"], person, on))

    @precondition(lambda self: bool(self.stays))
    @rule(which=WHO, stay=days(0, 90))
    def discharge(self, which: int, stay: int) -> None:
        found = self.stays[which % len(self.stays)]
        out = min(found[2] + dt.timedelta(days=stay), self.today)
        data = self.write(
            "medicalHospitalisationDischarge",
            "hospitalisation { id }",
            {"id": found[0], "dischargedOn": out.isoformat()},
        )
        if data is not None:
            self.stays.remove(found)

    @rule(
        who=WHO,
        own=st.sampled_from(["0.00", "50.00", "100.00", "400.00"]),
        settled=days(-400, 0),
        for_stay=st.booleans(),
    )
    def settle_claim(self, who: int, own: str, settled: int, for_stay: bool) -> None:
        person, stay = self.person(who), None
        on = max(self.today + dt.timedelta(days=settled), self.persons[person])
        if for_stay and self.stays:
            stay, person, admitted = self.stays[who % len(self.stays)]
            on = max(on, admitted)
        self.write(
            "medicalClaimSettle",
            "claim { id }",
            {
                "personId": person,
                "hospitalisationId": stay,
                "totalCost": "1000.00",
                "paidByInsurance": "600.00",
                "paidByMedicalAid": f"{400 - float(own):.2f}",
                "outOfPocket": own,
                "settledOn": on.isoformat(),
            },
        )

    # -- housing ----------------------------------------------------------------------

    @rule(which=WHO, grade=st.sampled_from(["A", "B", "C", "D"]), appraised=days(-400, 0))
    def appraise(self, which: int, grade: str, appraised: int) -> None:
        household = self.households[which % len(self.households)][0]
        data = self.write(
            "housingAppraisalRecord",
            "appraisal { id }",
            {
                "householdId": household,
                "grade": grade,
                "appraisedOn": self.day(appraised),
                "appraiserName": "县住建局",
            },
        )
        if data is not None and grade in ("C", "D"):
            self.dangerous.append(household)

    @rule(which=WHO, planned=st.one_of(st.none(), st.none(), days(-30, 0)))
    def start_renovation(self, which: int, planned: int | None) -> None:
        data = self.write(
            "housingRenovationStart",
            "renovation { id version status }",
            {
                # A household appraised C or D (once, at least) if there is one.
                "householdId": self.pick(
                    which, self.dangerous or [h for h, _members in self.households]
                ),
                "subsidyAmount": "35000.00",
                "fundingSource": "GOVERNMENT_PROGRAMME",
                "programmeName": "农村危房改造",
                "plannedOn": None if planned is None else self.day(planned),
            },
        )
        if data is not None:
            found = data["renovation"]
            self.renovations[found["id"]] = (found["version"], found["status"])

    @precondition(lambda self: bool(self.renovations))
    @rule(which=WHO, on=st.none() | days(-30, 0))
    def advance_renovation(self, which: int, on: int | None) -> None:
        project = self.pick(which, list(self.renovations))
        version, status = self.renovations[project]
        steps = ["PLANNED", "APPROVED", "UNDER_WAY", "COMPLETED", "ACCEPTED"]
        data = self.write(
            "housingRenovationAdvance",
            "renovation { id version status }",
            {
                "id": project,
                "expectedVersion": version,
                "status": steps[steps.index(status) + 1],
                "on": None if on is None else self.day(on),
            },
        )
        if data is not None:
            found = data["renovation"]
            self.renovations[project] = (found["version"], found["status"])
            if found["status"] == "ACCEPTED":
                del self.renovations[project]

    @rule(which=WHO, kind=st.sampled_from(["FLOOD", "FIRE"]), occurred=days(-60, 0))
    def report_disaster(self, which: int, kind: str, occurred: int) -> None:
        data = self.write(
            "housingDisasterReport",
            "disaster { id }",
            {
                "householdId": self.households[which % len(self.households)][0],
                "kind": kind,
                "occurredOn": self.day(occurred),
                "damage": "房屋受损",
            },
        )
        if data is not None:
            self.disasters.append(data["disaster"]["id"])

    @precondition(lambda self: bool(self.disasters))
    @rule(which=WHO)
    def respond_to_disaster(self, which: int) -> None:
        report = self.disasters.pop(which % len(self.disasters))
        self.write(
            "housingDisasterRespond", "disaster { id }", {"id": report, "response": "已走访"}
        )

    # -- employment -------------------------------------------------------------------

    @rule(
        who=WHO,
        status=st.sampled_from(
            [
                "EMPLOYED",
                "SELF_EMPLOYED",
                "SEEKING_WORK",
                "IN_TRAINING",
                "UNABLE_TO_WORK",
                "STUDENT",
                "RETIRED",
            ]
        ),
        since=days(-400, 0),
        income=st.sampled_from([None, "1500.00", "2500.00"]),
    )
    def work_status(self, who: int, status: str, since: int, income: str | None) -> None:
        values: dict[str, Any] = {
            "personId": self.person(who),
            "status": status,
            "since": self.day(since),
        }
        if status in ("EMPLOYED", "SELF_EMPLOYED"):
            values |= {"employer": "东关砖厂", "monthlyIncome": income}
        if status == "UNABLE_TO_WORK":
            values["unableToWork"] = {"reason": "ILLNESS"}
        self.write("employmentStatusRecord", "workStatus { id }", values)

    @rule(who=WHO, start=days(-300, 60), length=st.none() | days(0, 200))
    def train(self, who: int, start: int, length: int | None) -> None:
        data = self.write(
            "employmentTrainingRecord",
            "training { id }",
            {
                "personId": self.person(who),
                "course": "电工",
                "provider": "县职教中心",
                "startDate": self.day(start),
                "endDate": None if length is None else self.day(start + length),
            },
        )
        if data is not None:
            self.trainings.append(data["training"]["id"])

    @precondition(lambda self: bool(self.trainings))
    @rule(which=WHO, end=st.none() | days(-60, 0))
    def complete_training(self, which: int, end: int | None) -> None:
        training = self.trainings.pop(which % len(self.trainings))
        self.write(
            "employmentTrainingComplete",
            "training { id }",
            {"id": training, "endDate": None if end is None else self.day(end)},
        )

    @rule(
        who=WHO,
        start=days(-300, 60),
        length=st.none() | days(0, 300),
        wage=st.sampled_from(["1500.00", "2500.00"]),
        update_status=st.booleans(),
    )
    def place(
        self, who: int, start: int, length: int | None, wage: str, update_status: bool
    ) -> None:
        self.write(
            "employmentPlacementRecord",
            "placement { id }",
            {
                "personId": self.person(who),
                "employer": "东关砖厂",
                "post": "工人",
                "startDate": self.day(start),
                "endDate": None if length is None else self.day(start + length),
                "monthlyWage": wage,
                "updateStatus": update_status,
            },
        )

    @rule(who=WHO, start=days(-300, 60), length=days(0, 300), update_status=st.booleans())
    def welfare_post(self, who: int, start: int, length: int, update_status: bool) -> None:
        self.write(
            "employmentWelfarePostAssign",
            "welfarePost { id }",
            {
                "personId": self.person(who),
                "post": "村保洁员",
                "monthlySubsidy": "800.00",
                "startDate": self.day(start),
                "endDate": self.day(start + length),
                "updateStatus": update_status,
            },
        )

    # -- care work --------------------------------------------------------------------

    @precondition(lambda self: bool(self.categorised))
    @rule(who=WHO, start=st.none() | days(-200, 30))
    def pair(self, who: int, start: int | None) -> None:
        person = self.person(who, self.categorised)
        data = self.write(
            "pairingStart",
            "pairing { id }",
            {
                "personId": person,
                "officialId": self.official,
                "startDate": None if start is None else self.day(start),
            },
            self.world.xiangfen,
        )
        if data is not None:
            self.pairings[person] = data["pairing"]["id"]

    @precondition(lambda self: bool(self.pairings))
    @rule(which=WHO, end=st.none() | days(-30, 0))
    def unpair(self, which: int, end: int | None) -> None:
        person = self.person(which, list(self.pairings))
        data = self.write(
            "pairingEnd",
            "pairing { id }",
            {
                "id": self.pairings[person],
                "reason": "工作调动",
                "endDate": None if end is None else self.day(end),
            },
            self.world.xiangfen,
        )
        if data is not None:
            del self.pairings[person]

    @precondition(lambda self: bool(self.pairings))
    @rule(which=WHO, verified=days(-400, 0))
    def five_knowns(self, which: int, verified: int) -> None:
        person = self.person(which, list(self.pairings))
        self.write(
            "pairingFiveKnownsUpdate",
            "pairing { id }",
            {
                "pairingId": self.pairings[person],
                "items": [
                    {"item": item, "note": "已了解", "verifiedOn": self.day(verified)}
                    for item in ("FAMILY_SITUATION", "DIFFICULTIES")
                ],
            },
            self.world.xiangfen,
        )

    @rule(
        who=WHO,
        kind=st.sampled_from(["BEREAVEMENT", "DISASTER", "HOSPITALISATION"]),
        occurred=days(-30, 0),
    )
    def raise_care_event(self, who: int, kind: str, occurred: int) -> None:
        data = self.write(
            "careEventRaise",
            "careEvent { id }",
            {"personId": self.person(who), "kind": kind, "occurredOn": self.day(occurred)},
            self.world.xiangfen,
        )
        if data is not None:
            self.events.append(data["careEvent"]["id"])

    @precondition(lambda self: bool(self.events))
    @rule(which=WHO, kind=st.sampled_from(["VISIT", "CALL"]))
    def answer_care_event(self, which: int, kind: str) -> None:
        event = self.events.pop(which % len(self.events))
        self.write(
            "careEventRespond",
            "careEvent { id }",
            {"eventId": event, "kind": kind, "notes": "已探望"},
            self.world.xiangfen,
        )

    # -- writes refused on purpose ------------------------------------------------------

    @rule(who=WHO, which=st.integers(0, 5))
    def refused(self, who: int, which: int) -> None:
        """An invalid write: refused, and no verdict changes (checked by :meth:`write`)."""
        person = self.person(who)
        household = self.households[who % len(self.households)][0]
        tomorrow = self.day(1)
        name, result, values = [
            (
                "medicalHospitalisationRecord",
                "hospitalisation { id }",
                {"personId": person, "hospital": "县人民医院", "admittedOn": tomorrow},
            ),
            (
                "medicalClaimSettle",
                "claim { id }",
                {
                    "personId": person,
                    "totalCost": "1000.00",
                    "paidByInsurance": "600.00",
                    "paidByMedicalAid": "300.00",
                    "outOfPocket": "50.00",
                    "settledOn": self.day(0),
                },
            ),
            (
                "educationEnrolmentRecord",
                "enrolment { id }",
                {"personId": person, "status": "ENROLLED", "startDate": self.day(0)},
            ),
            (
                "housingAppraisalRecord",
                "appraisal { id }",
                {
                    "householdId": household,
                    "grade": "D",
                    "appraisedOn": tomorrow,
                    "appraiserName": "县住建局",
                },
            ),
            (
                "employmentStatusRecord",
                "workStatus { id }",
                {"personId": person, "status": "SEEKING_WORK", "since": tomorrow},
            ),
            (
                "categoryAssign",
                "categoryAssignment { id }",
                {
                    "personId": person,
                    "category": "DIBAO",
                    "validFrom": self.day(0),
                    "validTo": self.day(-1),
                    "certifyingOrganisationId": self.org,
                    "monthlyAllowance": "650.00",
                },
            ),
        ][which]
        assert self.write(name, result, values) is None, (name, values)

    # -- the calendar -----------------------------------------------------------------

    @rule(
        forward=st.integers(1, 400),
        indicator=st.sampled_from(INDICATORS),
        area_reads=st.booleans(),
    )
    def move_calendar(self, forward: int, indicator: str, area_reads: bool) -> None:
        self._move(forward, indicator, area_reads)

    @rule(
        extra=st.integers(-1, 1),
        indicator=st.sampled_from(INDICATORS),
        area_reads=st.booleans(),
    )
    def move_to_the_next_change(self, extra: int, indicator: str, area_reads: bool) -> None:
        """To the first ``valid_until`` stored (the day before, the day, the day after)."""
        first = self.run(self._first_valid_until())
        forward = 400 if first is None else (first - self.today).days + extra
        self._move(min(max(forward, 1), 400), indicator, area_reads)

    def _move(self, forward: int, indicator: str, area_reads: bool) -> None:
        """Days pass: reads answer as a fresh judgement before the worker's refresh; after
        it, the table equals a fresh judgement (the invariant)."""
        before = self.run(self._statuses())
        self.clock.offset += forward
        self.stats.moves += 1
        self.stats.due += self.run(self._due())
        # Person.bottomLine judges the persons whose rows fell due afresh (writing nothing).
        ours, fresh = self._all_lines(self.h), self._all_lines(self.twin)
        assert ours == fresh, [
            (person, line, fresh.get(person))
            for person, line in ours.items()
            if line != fresh.get(person)
        ]
        if area_reads:  # these judge the area's due persons again first, and store them
            for document, variables in ((AT_RISK, {"indicator": indicator}), (SUMMARY, {})):
                ours = self.run(self.h.ok(document, variables, token=self.world.admin))
                fresh = self.run(self.twin.ok(document, variables, token=self.world.admin))
                assert ours == fresh, document
        self.run(stored.refresh(self.h.services.sessions, self.h.host, self.h.settings))
        after = self.run(self._statuses())
        self.stats.changed += sum(1 for key, seen in before.items() if after.get(key) != seen)

    async def _due(self) -> int:
        async with self.h.session() as session:
            table = stored.TABLE
            return int(
                await session.scalar(select(func.count()).where(table.c.valid_until <= self.today))
                or 0
            )

    async def _first_valid_until(self) -> dt.date | None:
        async with self.h.session() as session:
            first = await session.scalar(select(func.min(stored.TABLE.c.valid_until)))
            return None if first is None else dt.date.fromisoformat(str(first))

    async def _statuses(self) -> dict[tuple[int, str], tuple[str, list[str]]]:
        async with self.h.session() as session:
            table = stored.TABLE
            rows = await session.execute(
                select(table.c.person_id, table.c.indicator, table.c.status, table.c.reasons)
            )
            return {(p, i): (s, list(r or [])) for p, i, s, r in rows}

    def _all_lines(self, app: Harness) -> dict[str, Any]:
        lines: dict[str, Any] = {}
        after = None
        while True:
            page = self.run(app.ok(PERSONS, {"after": after}, token=self.world.admin))["persons"]
            lines |= {node["id"]: node["bottomLine"] for node in page["nodes"]}
            if not page["pageInfo"]["hasNextPage"]:
                return lines
            after = page["pageInfo"]["endCursor"]

    # -- the invariant ----------------------------------------------------------------

    @invariant()
    def verdicts_are_current(self) -> None:
        differences = self.run(stored.check(self.h.services.sessions, self.h.host, self.h.settings))
        assert differences == [], "\n".join(map(str, differences[:10]))
        self.stats.checks.append(len(self.persons))


def test_stored_verdicts_stay_current(database_url: str | None) -> None:
    class Machine(StoredVerdicts):
        pass

    Machine.database_url = database_url
    Machine.stats = stats = Stats()
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=4 if database_url else 5,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            # The same sequences every run: the suite must not pass or fail by the draw
            # (a longer random search: raise max_examples and drop this, by hand).
            derandomize=True,
        ),
    )
    assert len(stats.checks) > 50 and max(stats.checks) > 3, stats.checks
    # Not vacuous: writes were accepted in every area (or all but two: the steps are
    # random), some were refused, and the calendar made stored verdicts due and changed
    # some of them.
    assert stats.moves and stats.due and stats.changed, stats
    assert sum(stats.refused.values()) > 0, stats
    areas = (
        "category",
        "household",
        "education",
        "medical",
        "housing",
        "employment",
        "pairing",
        "care",
    )
    written = {area for area in areas if any(name.startswith(area) for name in stats.written)}
    assert len(written) >= len(areas) - 2, stats.written
    assert sum(stats.written.values()) > 20, stats.written


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
