"""A stateful test of the stored bottom line (issue 17, a start): random sequences of
registry and category writes through the GraphQL API, and direct writes as the system
actor; after every step the stored verdicts equal a fresh judgement of everyone.

Still to come (the follow-up): the four plugins' and care work's mutations, and moving
the calendar.
"""

import asyncio
import datetime as dt
import shutil
import tempfile
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

from bangfu.core.bottomline import stored
from bangfu.core.calendar import today
from bangfu.schema.relay import to_global_id
from bangfu.testing import Harness
from tests.helpers import XIANGFEN_VILLAGE, id_number, make_world

CATEGORIES = ["DIBAO", "SPECIAL_HARDSHIP", "ORPHAN", "POOR_DISABLED"]
ALLOWANCES = [None, "120.00", "650.00", "900.00"]
ASSIGN = """mutation($i: CategoryAssignInput!) {
  categoryAssign(input: $i) { categoryAssignment { id } errors { code } } }"""
END = """mutation($i: CategoryEndInput!) {
  categoryEnd(input: $i) { categoryAssignment { id } errors { code } } }"""
UPDATE = """mutation($i: PersonUpdateInput!) {
  personUpdate(input: $i) { person { version } errors { code } } }"""
ADD = """mutation($i: HouseholdMemberAddInput!) {
  householdMemberAdd(input: $i) { household { id } errors { code } } }"""
REMOVE = """mutation($i: HouseholdMemberRemoveInput!) {
  householdMemberRemove(input: $i) { household { id } errors { code } } }"""
VERSION = """query($id: ID!) { node(id: $id) { ... on Person { version } } }"""


class StoredVerdicts(RuleBasedStateMachine):
    database_url: str | None = None
    checks: list[int] = []  # persons checked, per invariant run (across examples)

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = tempfile.mkdtemp(prefix="bangfu-stateful-")
        self.harness = Harness.start(Path(self.folder), database_url=self.database_url)
        self.h: Harness = self.run(self.harness.__aenter__())
        self.world = self.run(make_world(self.h))
        self.org = to_global_id(
            "Organisation", self.run(self.h.organisation("141023-civil-affairs")).id
        )
        self.persons: list[str] = []  # global IDs
        self.households: list[tuple[str, list[str]]] = []  # (household, member IDs)
        self.assignments: list[str] = []

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def ok(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return self.run(self.h.ok(query, variables, token=self.world.xiangfen))  # type: ignore[no-any-return]

    def teardown(self) -> None:
        try:
            self.run(self.harness.__aexit__(None, None, None))
        finally:
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    @initialize(
        births=st.lists(st.integers(1940, 2022), min_size=1, max_size=3),
    )
    def first_household(self, births: list[int]) -> None:
        self.register(births)

    @rule(births=st.lists(st.integers(1940, 2022), min_size=1, max_size=3))
    def register(self, births: list[int]) -> None:
        """A household registered directly, as the system actor (a write outside GraphQL)."""
        relations = ["HEAD", *["CHILD"] * (len(births) - 1)]
        household, persons = self.run(
            self.h.household(
                XIANGFEN_VILLAGE,
                [
                    (relation, f"成员{i}", id_number(dt.date(year, 3, 1)))
                    for i, (relation, year) in enumerate(zip(relations, births, strict=True))
                ],
            )
        )
        ids = [to_global_id("Person", p.id) for p in persons]
        self.persons += ids
        self.households.append((to_global_id("Household", household.id), ids))

    @rule(
        who=st.integers(0, 99),
        category=st.sampled_from(CATEGORIES),
        allowance=st.sampled_from(ALLOWANCES),
        days_ago=st.integers(0, 400),
    )
    def assign(self, who: int, category: str, allowance: str | None, days_ago: int) -> None:
        data = self.ok(
            ASSIGN,
            {
                "i": {
                    "personId": self.persons[who % len(self.persons)],
                    "category": category,
                    "validFrom": (today() - dt.timedelta(days=days_ago)).isoformat(),
                    "certifyingOrganisationId": self.org,
                    "monthlyAllowance": allowance,
                }
            },
        )
        found = data["categoryAssign"]["categoryAssignment"]
        if found is not None:
            self.assignments.append(found["id"])

    @precondition(lambda self: bool(self.assignments))
    @rule(which=st.integers(0, 99))
    def end(self, which: int) -> None:
        assignment = self.assignments.pop(which % len(self.assignments))
        self.ok(END, {"i": {"id": assignment, "validTo": today().isoformat()}})

    @rule(who=st.integers(0, 99), deceased=st.booleans(), hukou=st.sampled_from(["RURAL", None]))
    def update(self, who: int, deceased: bool, hukou: str | None) -> None:
        person = self.persons[who % len(self.persons)]
        version = self.ok(VERSION, {"id": person})["node"]["version"]
        changes: dict[str, Any] = {"deceased": deceased} if deceased else {"name": "改名"}
        if hukou:
            changes["hukouType"] = hukou
        self.ok(UPDATE, {"i": {"id": person, "expectedVersion": version, **changes}})

    @rule(which=st.integers(0, 99), year=st.integers(1940, 2022))
    def add_member(self, which: int, year: int) -> None:
        household, members = self.households[which % len(self.households)]
        data = self.ok(
            ADD,
            {
                "i": {
                    "householdId": household,
                    "relation": "CHILD",
                    "person": {"name": "新成员", "idNumber": id_number(dt.date(year, 6, 1))},
                }
            },
        )
        if not data["householdMemberAdd"]["errors"]:
            self.run(self._note_new_members(household, members))

    async def _note_new_members(self, household: str, members: list[str]) -> None:
        data = await self.h.ok(
            "query($id: ID!) { node(id: $id) { ... on Household { members { person { id } } } } }",
            {"id": household},
            token=self.world.xiangfen,
        )
        for member in data["node"]["members"]:
            if member["person"]["id"] not in members:
                members.append(member["person"]["id"])
                self.persons.append(member["person"]["id"])

    @rule(which=st.integers(0, 99), member=st.integers(0, 99))
    def remove_member(self, which: int, member: int) -> None:
        household, members = self.households[which % len(self.households)]
        if len(members) < 2:
            return
        person = members[1 + member % (len(members) - 1)]  # never the head
        data = self.ok(REMOVE, {"i": {"householdId": household, "personId": person}})
        if not data["householdMemberRemove"]["errors"]:
            members.remove(person)

    @invariant()
    def verdicts_are_current(self) -> None:
        differences = self.run(stored.check(self.h.services.sessions, self.h.host, self.h.settings))
        assert differences == [], "\n".join(map(str, differences[:10]))
        self.checks.append(len(self.persons))


def test_stored_verdicts_stay_current(database_url: str | None) -> None:
    class Machine(StoredVerdicts):
        pass

    Machine.database_url = database_url
    Machine.checks = []
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=5 if database_url else 15,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
    assert len(Machine.checks) > 10 and max(Machine.checks) > 3, Machine.checks


pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
