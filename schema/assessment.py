"""GraphQL of the annual assessment (年度目标考核, R9): ``assessment(year, regionCode)``."""

from typing import Annotated

import strawberry
from strawberry.types import Info

from bangfu.core.assessment.compute import Assessment, AssessmentError, UnitResult, assess
from bangfu.core.assessment.types import IndicatorScore, UnitKind
from bangfu.schema.descriptions import graphql_enum
from bangfu.schema.permissions import requires
from bangfu.schema.relay import to_global_id
from bangfu.schema.scan_cost import JUDGES, NARROWS

UnitKindType = graphql_enum(
    UnitKind,
    name="AssessmentUnitKind",
    description="A county-level division, an organisation (department or mass organisation) "
    "or a paired official.",
    values={
        "REGION": "A county-level division (its county government answers for it); its "
        "`key` is the region code.",
        "ORGANISATION": "A department or mass organisation; its `key` is the organisation's "
        "`code`.",
        "OFFICIAL": "A paired official (包联干部); its `key` is the user name.",
    },
)


@strawberry.type(name="AssessmentUnit", description="An assessed unit.")
class AssessmentUnitType:
    kind: UnitKind = strawberry.field(description="What kind of unit it is.")
    key: str = strawberry.field(
        description="Region code, organisation code or the official's user name."
    )
    name: str = strawberry.field(
        description="The region's, the organisation's or the official's name, for people."
    )


@strawberry.type(name="AssessmentItem", description="One line of the list behind a figure.")
class AssessmentItemType:
    label: str = strawberry.field(
        description="What the line is about (a person, a care event, a measure), for people."
    )
    met: bool = strawberry.field(description="Counted in the numerator.")
    note: str = strawberry.field(
        description="Why it is met or not, for people; empty when there is nothing to add."
    )
    person_id: strawberry.ID | None = strawberry.field(
        description="The person concerned (a Person global ID), if any."
    )


@strawberry.type(
    name="AssessmentScore",
    description="One indicator of one unit: numerator / denominator, with the list behind.",
)
class AssessmentScoreType:
    indicator: str = strawberry.field(
        description="The indicator's code (`AssessmentIndicator.code`): core's or a plugin's."
    )
    title: str = strawberry.field(description="The indicator's title, for people.")
    numerator: int = strawberry.field(description="How many of the items due were met.")
    denominator: int = strawberry.field(description="How many items were due.")
    ratio: float | None = strawberry.field(description="Null when nothing was due.")
    weight: float = strawberry.field(description="Its weight in the score (0: not scored).")
    threshold: float | None = strawberry.field(description="Below it: not eligible.")
    below_threshold: bool = strawberry.field(
        description="Whether `ratio` is below `threshold`: the unit is then not eligible."
    )
    _score: strawberry.Private[IndicatorScore]
    _assessment: strawberry.Private[Assessment]

    @strawberry.field(description="The items behind the figure; `unmetOnly` for what to fix.")
    async def items(
        self,
        info: Info,
        unmet_only: Annotated[
            bool, strawberry.argument(description="Only the items not met: what to fix.")
        ] = False,
    ) -> list[AssessmentItemType]:
        # Counted figures (BANGFU_ASSESSMENT_COUNTS) build their list now, once per
        # indicator and request, in the request's read session (scoped like the figures).
        async with info.context.read() as session:
            found = await self._assessment.items_of(session, self._score)
        return [
            AssessmentItemType(
                label=item.label,
                met=item.met,
                note=item.note,
                person_id=None
                if item.person_id is None
                else strawberry.ID(to_global_id("Person", item.person_id)),
            )
            for item in found
            if not (unmet_only and item.met)
        ]


@strawberry.type(name="AssessedUnit", description="A unit's score, rank and eligibility.")
class AssessedUnitType:
    unit: AssessmentUnitType = strawberry.field(description="The unit assessed.")
    score: float | None = strawberry.field(
        description="Weighted mean of the unit's shares, 0 to 100; null when nothing was due."
    )
    rank: int | None = strawberry.field(description="Among units of the same kind, 1 is best.")
    eligible: bool = strawberry.field(
        description="Eligible for commendation: no indicator below its threshold "
        "(otherwise 不得纳入评先树优)."
    )
    ineligible_reasons: list[str] = strawberry.field(
        description="Why the unit is not eligible, one line per indicator below its "
        "threshold; empty when it is eligible."
    )
    indicators: list[AssessmentScoreType] = strawberry.field(
        description="The unit's figure for each indicator that applies to its kind."
    )


@strawberry.type(name="AssessmentIndicator", description="An indicator, its weight and threshold.")
class AssessmentIndicatorType:
    code: str = strawberry.field(description="Stable code of the indicator (core's or a plugin's).")
    title: str = strawberry.field(description="The indicator's title, for people.")
    weight: float = strawberry.field(description="Its weight in the score (0: not scored).")
    threshold: float | None = strawberry.field(
        description="The least ratio (0 to 1) a unit must reach to stay eligible for "
        "commendation; null: none."
    )


@strawberry.type(name="Assessment", description="The annual assessment of an area (R9).")
class AssessmentType:
    year: int = strawberry.field(description="The calendar year assessed.")
    region_code: str = strawberry.field(description="The city or county assessed.")
    region_name: str = strawberry.field(description="Its name.")
    as_of: str = strawberry.field(description="The day judged (ISO date).")
    indicators: list[AssessmentIndicatorType] = strawberry.field(
        description="Every indicator of the assessment, core's and the plugins'."
    )
    units: list[AssessedUnitType] = strawberry.field(
        description="Counties, then organisations, then officials, each by rank."
    )


def present_unit(result: UnitResult, assessment: Assessment) -> AssessedUnitType:
    scores = []
    for code, score in sorted(result.scores.items()):
        threshold = assessment.thresholds.get(code)
        scores.append(
            AssessmentScoreType(
                indicator=code,
                title=score.title,
                numerator=score.numerator,
                denominator=score.denominator,
                ratio=score.ratio,
                weight=assessment.weights.get(code, 0.0),
                threshold=threshold,
                below_threshold=threshold is not None
                and score.ratio is not None
                and score.ratio < threshold,
                _score=score,
                _assessment=assessment,
            )
        )
    return AssessedUnitType(
        unit=AssessmentUnitType(kind=result.unit.kind, key=result.unit.key, name=result.unit.name),
        score=result.score,
        rank=result.rank,
        eligible=result.eligible,
        ineligible_reasons=result.ineligible_reasons,
        indicators=scores,
    )


def present(assessment: Assessment, kind: UnitKind | None) -> AssessmentType:
    return AssessmentType(
        year=assessment.period.year,
        region_code=assessment.period.region_code,
        region_name=assessment.region_name,
        as_of=assessment.period.as_of.isoformat(),
        indicators=[
            AssessmentIndicatorType(
                code=code,
                title=title,
                weight=assessment.weights.get(code, 0.0),
                threshold=assessment.thresholds.get(code),
            )
            for code, title in assessment.titles.items()
        ],
        units=[
            present_unit(result, assessment)
            for result in assessment.units
            if kind is None or result.unit.kind == kind
        ],
    )


@strawberry.type
class AssessmentQuery:
    @strawberry.field(
        description="The annual assessment (年度目标考核) of a city or county for a year, "
        "in your area: per county, organisation and paired official, each indicator with "
        "its numerator, denominator and list, a weighted score, a rank and commendation "
        "eligibility (R9). `kind` keeps one kind of unit.",
        extensions=requires("assessment:read"),
        metadata=JUDGES,  # bottom-line coverage judges every hardship person of the region
    )
    async def assessment(
        self,
        info: Info,
        year: Annotated[
            int,
            strawberry.argument(
                description="The calendar year, 2000 to this one; this year is judged as of "
                "today (`asOf`)."
            ),
        ],
        region_code: Annotated[
            str,
            strawberry.argument(
                description="The code of a city or a county-level division, in your area.",
                metadata=NARROWS,
            ),
        ],
        kind: Annotated[
            UnitKind | None,
            strawberry.argument(description="Only units of this kind; omitted: every kind."),
        ] = None,
    ) -> AssessmentType:
        context = info.context
        async with context.read() as session:
            try:
                result = await assess(
                    session,
                    context.host,
                    context.settings,
                    year,
                    region_code,
                    context.today,
                    writer=context.services.sessions,
                )
            except AssessmentError as exc:
                raise ValueError(str(exc)) from exc
        return present(result, kind)
