"""Screening campaigns (排查, R5, R7): frozen targets, visits, key flags, coverage."""

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, func, insert, select

from bangfu.core.care.common import CareService, active_hardship_persons
from bangfu.core.care.enums import ProblemDomain, Severity, VisitOutcome
from bangfu.core.care.screening_models import (
    Problem,
    ScreeningCampaign,
    ScreeningTarget,
    ScreeningVisit,
)
from bangfu.core.db import path_within
from bangfu.core.effective import current
from bangfu.core.errors import DomainError, ErrorCode, FieldError, text_problems
from bangfu.core.i18n import _
from bangfu.core.notify import service as notify
from bangfu.core.registry.models import Household, Membership, Person, Region, RegionLevel
from bangfu.core.text_limits import MAX_NOTES, length_errors

_BATCH = 1000

#: Length of a region path down to each level: codes of 6 (city, county), 9 (township)
#: and 12 digits (village) with their slashes, ``141000/141023/141023100/141023100201/``.
PATH_LENGTH = {
    RegionLevel.CITY: 7,
    RegionLevel.COUNTY: 14,
    RegionLevel.TOWNSHIP: 24,
    RegionLevel.VILLAGE: 37,
}


@dataclasses.dataclass(frozen=True)
class ProblemData:
    domain: ProblemDomain
    description: str
    severity: Severity
    is_key: bool = False
    person_id: int | None = None


@dataclasses.dataclass(frozen=True)
class CoverageRow:
    """One region's coverage: frozen targets and how their latest visits went."""

    region_code: str
    targets: int
    visited: int
    not_found: int
    refused: int

    @property
    def not_yet_visited(self) -> int:
        return self.targets - self.visited - self.not_found - self.refused


def coverage_statement(
    campaign_id: int, level: RegionLevel, within: str | None = None
) -> Select[Any]:
    """Coverage per region of ``level`` as ONE aggregate: targets grouped by the prefix
    of their household's path that names the region (area scoping applies to it)."""
    prefix = func.substr(ScreeningTarget.household_path, 1, PATH_LENGTH[level])
    outcome = ScreeningTarget.last_outcome

    def count_of(value: VisitOutcome) -> Any:
        return func.count(case((outcome == value, 1)))

    statement = (
        select(
            Region.code,
            func.count(ScreeningTarget.id),
            count_of(VisitOutcome.VISITED),
            count_of(VisitOutcome.NOT_FOUND),
            count_of(VisitOutcome.REFUSED),
        )
        .select_from(ScreeningTarget)
        .join(Region, Region.path == prefix)
        .where(ScreeningTarget.campaign_id == campaign_id, Region.level == level)
        .group_by(Region.code)
        .order_by(Region.code)
    )
    if within is not None:
        statement = statement.where(path_within(ScreeningTarget.household_path, within))
    return statement


def not_yet_visited(campaign_id: int) -> Select[Any]:
    """The campaign's target households nobody has visited yet."""
    return select(Household).where(
        Household.id.in_(
            select(ScreeningTarget.household_id).where(
                ScreeningTarget.campaign_id == campaign_id,
                ScreeningTarget.last_outcome.is_(None),
            )
        )
    )


class Screening(CareService):
    """Screening use cases."""

    async def create_campaign(
        self, name: str, region_code: str, starts_on: dt.date, ends_on: dt.date
    ) -> ScreeningCampaign:
        """A campaign whose targets are frozen now: every household in the area with a
        current member holding a hardship category on ``starts_on``."""
        region = await self.region(region_code, "input.regionCode")
        errors: list[FieldError] = text_problems("input.name", name, 200)
        if ends_on < starts_on:
            errors.append(
                FieldError(
                    "input.endsOn",
                    _("the campaign would end before it began"),
                    ErrorCode.INVALID_DATE_RANGE,
                )
            )
        if errors:
            raise DomainError(*errors)
        campaign = ScreeningCampaign(
            name=name.strip(),
            region_code=region.code,
            area_path=region.path,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by_id=self.actor.id,
        )
        self.session.add(campaign)
        await self.flush()
        members = select(Membership.household_id).where(
            current(Membership.start_date, Membership.end_date, self.today),
            Membership.person_id.in_(active_hardship_persons(starts_on)),
        )
        targets = (
            await self.session.execute(
                select(Household.id, Household.area_path)
                .where(path_within(Household.area_path, region.path), Household.id.in_(members))
                .order_by(Household.id)
            )
        ).all()
        rows = [
            {"campaign_id": campaign.id, "household_id": id_, "household_path": path}
            for id_, path in targets
        ]
        for start in range(0, len(rows), _BATCH):
            await self.session.execute(insert(ScreeningTarget), rows[start : start + _BATCH])
        return campaign

    async def record_visit(
        self,
        campaign_id: int,
        household_id: int,
        visited_on: dt.date,
        outcome: VisitOutcome,
        notes: str | None,
        problems: Sequence[ProblemData],
        organisation_id: int | None,
    ) -> ScreeningVisit:
        """Record a visit of a target household; a visit that met the household sets or
        clears its key-household flag and its members' key-person flags."""
        campaign = await self.get(ScreeningCampaign, campaign_id, "input.campaignId")
        household = await self.get(Household, household_id, "input.householdId")
        target = await self.session.scalar(
            select(ScreeningTarget).where(
                ScreeningTarget.campaign_id == campaign.id,
                ScreeningTarget.household_id == household.id,
            )
        )
        if target is None:
            raise DomainError.of(
                "input.householdId",
                _("the household is not a target of this campaign"),
                ErrorCode.NOT_A_TARGET,
            )
        organisation_id = organisation_id or self.actor.organisation_id
        if organisation_id is None:
            raise DomainError.of(
                "input.organisationId", _("say which organisation visited"), ErrorCode.REQUIRED
            )
        await self.organisation(organisation_id, "input.organisationId")
        members = set(
            await self.session.scalars(
                select(Membership.person_id).where(
                    Membership.household_id == household.id,
                    current(Membership.start_date, Membership.end_date, self.today),
                )
            )
        )
        errors = self._visit_errors(campaign, visited_on, outcome, problems, members)
        errors += length_errors("input.notes", notes, MAX_NOTES)
        if errors:
            raise DomainError(*errors)
        visit = ScreeningVisit(
            campaign_id=campaign.id,
            household_id=household.id,
            visited_on=visited_on,
            visitor_id=self.actor.id,
            organisation_id=organisation_id,
            outcome=outcome,
            notes=(notes or "").strip() or None,
        )
        self.session.add(visit)
        await self.flush()
        rows = []
        for data in problems:
            row = Problem(
                visit_id=visit.id,
                household_id=household.id,
                person_id=data.person_id,
                domain=data.domain,
                description=data.description.strip(),
                severity=data.severity,
                is_key=data.is_key,
            )
            self.session.add(row)
            rows.append(row)
        if target.last_visited_on is None or visited_on >= target.last_visited_on:
            target.last_outcome = outcome
            target.last_visited_on = visited_on
        if outcome is VisitOutcome.VISITED:
            await self._set_key_flags(household, members, problems)
        await self.flush()
        await notify.key_problems_found(
            self.session,
            [notify.ProblemFacts(p.id, p.person_id, p.domain.value) for p in rows if p.is_key],
            members,
            visited_on,
        )
        return visit

    async def _set_key_flags(
        self, household: Household, members: set[int], problems: Sequence[ProblemData]
    ) -> None:
        key = [p for p in problems if p.is_key]
        household.is_key_household = bool(key)
        key_persons = {p.person_id for p in key if p.person_id is not None}
        for person in await self.session.scalars(select(Person).where(Person.id.in_(members))):
            person.is_key_person = person.id in key_persons

    def _visit_errors(
        self,
        campaign: ScreeningCampaign,
        visited_on: dt.date,
        outcome: VisitOutcome,
        problems: Sequence[ProblemData],
        members: set[int],
    ) -> list[FieldError]:
        errors: list[FieldError] = self.future_day(visited_on, "input.visitedOn")
        if not errors and not campaign.starts_on <= visited_on <= campaign.ends_on:
            errors.append(
                FieldError(
                    "input.visitedOn",
                    _(
                        "a visit falls within the campaign ({start} to {end})",
                        start=campaign.starts_on.isoformat(),
                        end=campaign.ends_on.isoformat(),
                    ),
                    ErrorCode.INVALID_DATE_RANGE,
                )
            )
        if problems and outcome is not VisitOutcome.VISITED:
            errors.append(
                FieldError(
                    "input.problems",
                    _("problems are recorded only when the household was visited"),
                    ErrorCode.INVALID_INPUT,
                )
            )
        for index, problem in enumerate(problems):
            field = f"input.problems.{index}"
            errors += text_problems(f"{field}.description", problem.description, 1000)
            if problem.person_id is not None and problem.person_id not in members:
                errors.append(
                    FieldError(
                        f"{field}.personId",
                        _("the person is not a current member of the household"),
                        ErrorCode.NOT_A_MEMBER,
                    )
                )
        return errors
