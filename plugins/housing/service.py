"""Housing use cases: appraisals, renovation, aid and disaster reports.

Every method runs in the caller's transaction (``bangfu.plugin.run_mutation``) as
the session's actor, so area scoping applies: a household outside the actor's area is
``NOT_FOUND``, like an absent one. Input is checked first and a
:class:`bangfu.plugin.DomainError` is raised on anything wrong; the caller rolls back, so
nothing is ever half-written. ``field`` arguments are the dotted input paths named in
the errors (``input.householdId``).
"""

import dataclasses
import datetime as dt
import decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.db import flush_or_version_conflict
from bangfu.core.effective import current, future_start, in_force
from bangfu.core.i18n import _
from bangfu.core.registry.service import Registry
from bangfu.plugin import (
    CareEventKind,
    CareEventRaised,
    CategoryAssignment,
    DomainError,
    FieldError,
    Household,
    Membership,
    Person,
    to_global_id,
)
from bangfu.plugins.housing.errors import HousingErrorCode as Code
from bangfu.plugins.housing.models import (
    DANGEROUS_GRADES,
    NEXT_STATUS,
    SAFE_GRADES,
    AidKind,
    DisasterKind,
    DisasterReport,
    FundingSource,
    HousingAid,
    RenovationProject,
    RenovationStatus,
    SafetyAppraisal,
    SafetyGrade,
)

NAME = "housing"
MAX_AMOUNT = decimal.Decimal("9999999999.99")  # Numeric(12, 2)
FEN = decimal.Decimal("0.01")


def global_id(obj: Any) -> str:
    """The global ID of a housing row: its class name and key (as the audit trail has it)."""
    return to_global_id(type(obj).__name__, obj.id)


# -- checks that need no database -------------------------------------------------


def amount_errors(value: decimal.Decimal, field: str) -> list[FieldError]:
    """Exact yuan: not negative, whole fen, at most 10 digits before the point."""
    if not value.is_finite():
        return [FieldError(field, _("the amount must be a number of yuan"), Code.INVALID_AMOUNT)]
    if value < 0:
        negative = _("the amount {amount} is negative", amount=value)
        return [FieldError(field, negative, Code.INVALID_AMOUNT)]
    if value > MAX_AMOUNT:
        too_large = _("the amount {amount} is too large", amount=value)
        return [FieldError(field, too_large, Code.INVALID_AMOUNT)]
    if value != value.quantize(FEN):
        return [
            FieldError(
                field,
                _("the amount {amount} has fractions of a fen: round it to the fen", amount=value),
                Code.INVALID_AMOUNT,
            )
        ]
    return []


def not_future(day: dt.date, today: dt.date, field: str) -> list[FieldError]:
    if day > today:
        after = _("{day} is after today ({today})", day=day, today=today)
        return [FieldError(field, after, Code.FUTURE_DATE)]
    return []


def text_errors(
    value: str | None, field: str, limit: int, *, required: bool = False
) -> list[FieldError]:
    if value is None or not value.strip():
        return [FieldError(field, _("a text is required"), Code.REQUIRED)] if required else []
    if len(value.strip()) > limit:
        return [FieldError(field, _("at most {limit} characters", limit=limit), Code.TOO_LONG)]
    return []


def clean(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


def check(errors: list[FieldError]) -> None:
    if errors:
        raise DomainError(*errors)


def renovation_status_on(project: RenovationProject, day: dt.date) -> RenovationStatus | None:
    """The project's status on ``day``, from its dates (None: not yet planned then)."""
    for status, date in (
        (RenovationStatus.ACCEPTED, project.accepted_on),
        (RenovationStatus.COMPLETED, project.completed_on),
        (RenovationStatus.UNDER_WAY, project.started_on),
        (RenovationStatus.APPROVED, project.approved_on),
        (RenovationStatus.PLANNED, project.planned_on),
    ):
        if date is not None and date <= day:
            return status
    return None


_STEP_DATE = {
    RenovationStatus.APPROVED: "approved_on",
    RenovationStatus.UNDER_WAY: "started_on",
    RenovationStatus.COMPLETED: "completed_on",
    RenovationStatus.ACCEPTED: "accepted_on",
}
_PREVIOUS_DATE = {
    RenovationStatus.PLANNED: "planned_on",
    RenovationStatus.APPROVED: "approved_on",
    RenovationStatus.UNDER_WAY: "started_on",
    RenovationStatus.COMPLETED: "completed_on",
}


@dataclasses.dataclass
class HousingService:
    """The housing use cases for one transaction, actor and day."""

    session: AsyncSession
    registry: Registry
    today: dt.date
    host: Any = None  # bangfu.core.plugins.PluginHost, for care events

    # -- lookups -------------------------------------------------------------------

    async def household(self, household_id: int, field: str) -> Household:
        return await self.registry.household(household_id, field)

    async def latest_appraisal(self, household_id: int) -> SafetyAppraisal | None:
        return await self.session.scalar(
            select(SafetyAppraisal)
            .where(SafetyAppraisal.household_id == household_id)
            .order_by(SafetyAppraisal.appraised_on.desc(), SafetyAppraisal.id.desc())
            .limit(1)
        )

    async def open_renovation(self, household_id: int) -> RenovationProject | None:
        return await self.session.scalar(
            select(RenovationProject).where(
                RenovationProject.household_id == household_id,
                RenovationProject.status != RenovationStatus.ACCEPTED,
            )
        )

    async def _get(self, model: type[Any], key: int, field: str) -> Any:
        row = await self.session.get(model, key)
        if row is None:  # absent and out of area look the same
            raise DomainError.of(
                field, _("no {type} with this ID", type=model.__name__), Code.NOT_FOUND
            )
        return row

    async def _flush(self, conflict: FieldError | None = None) -> None:
        try:
            # A lost race at the UPDATE is VERSION_CONFLICT naming the current version.
            await flush_or_version_conflict(self.session, "input.expectedVersion")
        except IntegrityError as exc:
            if conflict is None:
                raise
            raise DomainError(conflict) from exc

    # -- appraisals ---------------------------------------------------------------

    async def record_appraisal(
        self,
        household_id: int,
        grade: SafetyGrade,
        appraised_on: dt.date,
        *,
        organisation_id: int | None,
        appraiser_name: str | None,
        report_reference: str | None,
    ) -> SafetyAppraisal:
        errors = not_future(appraised_on, self.today, "input.appraisedOn")
        errors += text_errors(appraiser_name, "input.appraiserName", 200)
        errors += text_errors(report_reference, "input.reportReference", 100)
        if organisation_id is None and clean(appraiser_name) is None:
            errors.append(
                FieldError(
                    "input.appraiserName",
                    _("name the appraising body, or give appraisingOrganisationId"),
                    Code.REQUIRED,
                )
            )
        check(errors)
        await self.household(household_id, "input.householdId")
        if organisation_id is not None:
            await self.registry.organisation(organisation_id, "input.appraisingOrganisationId")
        appraisal = SafetyAppraisal(
            household_id=household_id,
            grade=SafetyGrade(grade),
            appraised_on=appraised_on,
            appraising_organisation_id=organisation_id,
            appraiser_name=clean(appraiser_name),
            report_reference=clean(report_reference),
        )
        self.session.add(appraisal)
        await self._flush()
        return appraisal

    # -- renovation ----------------------------------------------------------------

    async def start_renovation(
        self,
        household_id: int,
        subsidy_amount: decimal.Decimal,
        funding_source: FundingSource,
        *,
        programme_name: str | None,
        donor: str | None,
        planned_on: dt.date | None,
        note: str | None,
    ) -> RenovationProject:
        planned_on = planned_on or self.today
        source = FundingSource(funding_source)
        errors = amount_errors(subsidy_amount, "input.subsidyAmount")
        errors += not_future(planned_on, self.today, "input.plannedOn")
        errors += text_errors(programme_name, "input.programmeName", 200)
        errors += text_errors(donor, "input.donor", 200)
        errors += text_errors(note, "input.note", 500)
        if source is FundingSource.GOVERNMENT_PROGRAMME and clean(programme_name) is None:
            errors.append(
                FieldError(
                    "input.programmeName",
                    _("a renovation funded by a government programme names the programme"),
                    Code.REQUIRED,
                )
            )
        if source is FundingSource.SOCIAL_DONATION and clean(donor) is None:
            errors.append(
                FieldError(
                    "input.donor",
                    _("a renovation funded by a donation names the donor"),
                    Code.REQUIRED,
                )
            )
        check(errors)
        await self.household(household_id, "input.householdId")
        latest = await self.latest_appraisal(household_id)
        if latest is None:
            raise DomainError.of(
                "input.householdId",
                _("the dwelling has never been appraised: record a C or D appraisal first"),
                Code.NOT_APPRAISED,
            )
        if latest.grade not in DANGEROUS_GRADES:
            raise DomainError.of(
                "input.householdId",
                _(
                    "the latest appraisal ({day}) grades the dwelling {grade}: only C and D "
                    "(dangerous) houses are renovated",
                    day=latest.appraised_on,
                    grade=latest.grade,
                ),
                Code.NOT_DANGEROUS,
            )
        if planned_on < latest.appraised_on:
            raise DomainError.of(
                "input.plannedOn",
                _("planned before the appraisal it answers ({day})", day=latest.appraised_on),
                Code.INVALID_DATE_RANGE,
            )
        already = FieldError(
            "input.householdId",
            _("the household already has a renovation that is not accepted yet"),
            Code.RENOVATION_ALREADY_OPEN,
        )
        if await self.open_renovation(household_id) is not None:
            raise DomainError(already)
        project = RenovationProject(
            household_id=household_id,
            status=RenovationStatus.PLANNED,
            appraisal_id=latest.id,
            subsidy_amount=subsidy_amount.quantize(FEN),
            funding_source=source,
            programme_name=clean(programme_name)
            if source is FundingSource.GOVERNMENT_PROGRAMME
            else None,
            donor=clean(donor) if source is FundingSource.SOCIAL_DONATION else None,
            planned_on=planned_on,
            note=clean(note),
        )
        self.session.add(project)
        await self._flush(already)  # a concurrent start hits the partial unique index
        return project

    async def advance_renovation(
        self,
        project_id: int,
        expected_version: int,
        status: RenovationStatus,
        on: dt.date | None,
        *,
        acceptance_appraisal_id: int | None,
    ) -> RenovationProject:
        on = on or self.today
        status = RenovationStatus(status)
        check(not_future(on, self.today, "input.on"))
        project: RenovationProject = await self._get(RenovationProject, project_id, "input.id")
        if project.version != expected_version:
            raise DomainError.of(
                "input.expectedVersion",
                _(
                    "the project is at version {current}, not {expected}: read it again",
                    current=project.version,
                    expected=expected_version,
                ),
                Code.VERSION_CONFLICT,
            )
        expected = NEXT_STATUS.get(project.status)
        if status is not expected:
            if expected:
                message = _(
                    "a renovation in status {status} moves only to {next}",
                    status=project.status,
                    next=expected,
                )
            else:
                message = _(
                    "a renovation in status {status} moves no further", status=project.status
                )
            raise DomainError.of("input.status", message, Code.INVALID_STATUS_CHANGE)
        previous = getattr(project, _PREVIOUS_DATE[project.status])
        if on < previous:
            raise DomainError.of(
                "input.on",
                _(
                    "{day} is before the project became {status} ({since})",
                    day=on,
                    status=project.status,
                    since=previous,
                ),
                Code.INVALID_DATE_RANGE,
            )
        if status is RenovationStatus.ACCEPTED:
            project.acceptance_appraisal_id = await self._acceptance_appraisal(
                project, on, acceptance_appraisal_id
            )
        elif acceptance_appraisal_id is not None:
            raise DomainError.of(
                "input.acceptanceAppraisalId",
                _("only an acceptance takes an appraisal"),
                Code.INVALID_INPUT,
            )
        setattr(project, _STEP_DATE[status], on)
        project.status = status
        await self._flush()
        return project

    async def _acceptance_appraisal(
        self, project: RenovationProject, on: dt.date, appraisal_id: int | None
    ) -> int:
        """The household's latest appraisal, which must be A or B, dated between the
        completion and the acceptance; ``appraisal_id``, when given, must be it."""
        field = "input.acceptanceAppraisalId"
        latest = await self.latest_appraisal(project.household_id)
        if appraisal_id is not None:
            given: SafetyAppraisal = await self._get(SafetyAppraisal, appraisal_id, field)
            if given.household_id != project.household_id:
                raise DomainError.of(
                    field,
                    _("an appraisal of another household"),
                    Code.ACCEPTANCE_APPRAISAL_REQUIRED,
                )
            if latest is not None and latest.id != given.id:
                raise DomainError.of(
                    field,
                    _(
                        "a later appraisal ({day}, grade {grade}) exists",
                        day=latest.appraised_on,
                        grade=latest.grade,
                    ),
                    Code.ACCEPTANCE_APPRAISAL_REQUIRED,
                )
        completed_on = project.completed_on
        assert completed_on is not None  # a COMPLETED project has its date
        if latest is None or latest.appraised_on < completed_on or latest.appraised_on > on:
            raise DomainError.of(
                field,
                _(
                    "acceptance needs a new appraisal of A or B dated from the completion "
                    "({completed}) to the acceptance ({accepted})",
                    completed=completed_on,
                    accepted=on,
                ),
                Code.ACCEPTANCE_APPRAISAL_REQUIRED,
            )
        if latest.grade not in SAFE_GRADES:
            raise DomainError.of(
                field,
                _(
                    "the appraisal of {day} grades the dwelling {grade}: acceptance needs A or B",
                    day=latest.appraised_on,
                    grade=latest.grade,
                ),
                Code.ACCEPTANCE_APPRAISAL_REQUIRED,
            )
        return latest.id

    # -- other aid -----------------------------------------------------------------

    async def grant_aid(
        self,
        household_id: int,
        kind: AidKind,
        monthly_amount: decimal.Decimal,
        period_start: dt.date,
        period_end: dt.date,
        dwelling_address: str | None,
    ) -> HousingAid:
        kind = AidKind(kind)
        errors = amount_errors(monthly_amount, "input.monthlyAmount")
        errors += text_errors(dwelling_address, "input.dwellingAddress", 200)
        errors += future_start(period_start, "input.periodStart", today=self.today)
        if period_end < period_start:
            errors.append(
                FieldError(
                    "input.periodEnd",
                    _(
                        "the period would end ({end}) before it starts ({start})",
                        end=period_end,
                        start=period_start,
                    ),
                    Code.INVALID_DATE_RANGE,
                )
            )
        if kind is AidKind.PUBLIC_RENTAL_HOUSING and clean(dwelling_address) is None:
            errors.append(
                FieldError(
                    "input.dwellingAddress",
                    _("a public rental housing allocation names the dwelling"),
                    Code.REQUIRED,
                )
            )
        check(errors)
        await self.household(household_id, "input.householdId")
        overlapping = await self.session.scalar(
            select(
                exists().where(
                    HousingAid.household_id == household_id,
                    HousingAid.kind == kind,
                    HousingAid.period_start <= period_end,
                    HousingAid.period_end >= period_start,
                )
            )
        )
        if overlapping:
            raise DomainError.of(
                "input.periodStart",
                _("the household already has {kind} for part of this period", kind=kind),
                Code.OVERLAP,
            )
        aid = HousingAid(
            household_id=household_id,
            kind=kind,
            monthly_amount=monthly_amount.quantize(FEN),
            period_start=period_start,
            period_end=period_end,
            dwelling_address=clean(dwelling_address),
        )
        self.session.add(aid)
        await self._flush()
        return aid

    # -- disasters -----------------------------------------------------------------

    async def report_disaster(
        self, household_id: int, kind: DisasterKind, occurred_on: dt.date, damage: str
    ) -> tuple[DisasterReport, list[int]]:
        """Record the report and raise a DISASTER care event for every current member
        who holds a hardship category valid today; returns the report and those persons."""
        kind = DisasterKind(kind)
        errors = not_future(occurred_on, self.today, "input.occurredOn")
        errors += text_errors(damage, "input.damage", 1000, required=True)
        check(errors)
        await self.household(household_id, "input.householdId")
        report = DisasterReport(
            household_id=household_id,
            kind=kind,
            occurred_on=occurred_on,
            damage=damage.strip(),
            reported_on=self.today,
        )
        self.session.add(report)
        await self._flush()
        persons = await self.members_in_hardship(household_id)
        summary = f"Dwelling damaged ({kind.lower()}) on {occurred_on}: {report.damage}"[:500]
        for person_id in persons:
            await self.host.raise_care_event(
                self.session,
                CareEventRaised(
                    person_id=person_id,
                    kind=CareEventKind.DISASTER,
                    occurred_on=occurred_on,
                    raised_by=NAME,
                    summary=summary,
                    source=global_id(report),
                ),
            )
        return report, persons

    async def members_in_hardship(self, household_id: int) -> list[int]:
        """Current, living members holding a hardship category valid today."""
        today = self.today
        active = select(CategoryAssignment.person_id).where(
            in_force(
                CategoryAssignment.valid_from,
                CategoryAssignment.valid_to,
                today,
                end_inclusive=True,
            )
        )
        rows = await self.session.scalars(
            select(Membership.person_id)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.household_id == household_id,
                current(Membership.start_date, Membership.end_date, today),
                Person.deceased.is_(False),
                Membership.person_id.in_(active),
            )
            .order_by(Membership.person_id)
        )
        return list(rows.all())

    async def respond_to_disaster(
        self, report_id: int, responded_on: dt.date | None, response: str
    ) -> DisasterReport:
        responded_on = responded_on or self.today
        errors = not_future(responded_on, self.today, "input.respondedOn")
        errors += text_errors(response, "input.response", 1000, required=True)
        check(errors)
        report: DisasterReport = await self._get(DisasterReport, report_id, "input.id")
        if report.responded_on is not None:
            raise DomainError.of(
                "input.id",
                _("already responded to on {day}", day=report.responded_on),
                Code.ALREADY_RESPONDED,
            )
        if responded_on < report.occurred_on:
            raise DomainError.of(
                "input.respondedOn",
                _(
                    "{day} is before the disaster ({occurred})",
                    day=responded_on,
                    occurred=report.occurred_on,
                ),
                Code.INVALID_DATE_RANGE,
            )
        report.responded_on = responded_on
        report.response = response.strip()
        await self._flush()
        return report
