"""GraphQL of the bottom line and the goals (R3): ``Person.bottomLine``, the at-risk filter
and ``bottomLineSummary``."""

import asyncio
import collections
import enum
from collections.abc import Sequence
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import Select
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from bangfu.core.bottomline import BOTTOM_LINE, GOALS, Indicator, Status
from bangfu.core.bottomline.evaluate import (
    BATCH,
    INDICATORS,
    BottomLine,
    Summary,
    pages,
    summarise,
)
from bangfu.core.bottomline.reading import (
    prepare_area,
    read_lines,
    stored_at_risk,
    summary_from_table,
)
from bangfu.core.bottomline.stored import changed_modules, recorded_versions
from bangfu.core.i18n import _
from bangfu.core.registry.models import Person
from bangfu.schema.connections import paginate
from bangfu.schema.descriptions import graphql_enum
from bangfu.schema.permissions import requires
from bangfu.schema.prefetch import prefetch
from bangfu.schema.relay import check_page, decode_cursor, encode_cursor, page_info
from bangfu.schema.scan_cost import JUDGES, NARROWS
from bangfu.schema.types import Region

IndicatorType = graphql_enum(
    Indicator,
    name="Indicator",
    description="The five bottom-line indicators (兜底: food, medical care, school, work, "
    "someone in charge) and the five goals (eat well, illness treated well, good school, "
    "well employed, good home) of R3.",
    values={
        "FOOD": "Bottom line: has food to eat (有饭吃). Decided by core.",
        "MEDICAL_CARE": "Bottom line: has a doctor to see (有医看). Decided by the medical "
        "plugin; UNKNOWN without it.",
        "SCHOOL": "Bottom line: has a school to attend (有学上). Decided by the education "
        "plugin; UNKNOWN without it.",
        "WORK": "Bottom line: has work to do (有事干). Decided by the employment plugin; "
        "UNKNOWN without it.",
        "SOMEONE_IN_CHARGE": "Bottom line: has someone looking after them (有人管). Decided "
        "by core.",
        "EAT_WELL": "Goal: eats well (吃好饭). Decided by core.",
        "ILLNESS_TREATED_WELL": "Goal: gets illness treated well (看好病). Decided by the "
        "medical plugin; UNKNOWN without it.",
        "GOOD_SCHOOL": "Goal: goes to a good school (上好学). Decided by the education "
        "plugin; UNKNOWN without it.",
        "WELL_EMPLOYED": "Goal: is well employed (就好业). Decided by the employment "
        "plugin; UNKNOWN without it.",
        "GOOD_HOME": "Goal: lives in a good home (居好家). Decided by the housing plugin; "
        "UNKNOWN without it.",
    },
)
IndicatorStatusType = graphql_enum(
    Status,
    name="IndicatorStatus",
    description="How one indicator of one person stands (R3).",
    values={
        "OK": "Met: a deciding module found it met, and none found it at risk.",
        "AT_RISK": "Not met: at least one deciding module found it at risk; the reasons say why.",
        "NOT_APPLICABLE": "Does not apply to the person, as every deciding module found "
        "(school for an adult, for instance).",
        "UNKNOWN": "Not decided: no installed module decides it, or the module that does "
        "has nothing on record to decide by (its reasons say so). Never counts as OK.",
    },
)


@strawberry.type(
    name="IndicatorVerdict",
    description="One indicator of one person (R3).",
)
class IndicatorVerdict:
    """Declares the GraphQL type only: its objects are the immutable
    :class:`~bangfu.core.bottomline.evaluate.Verdict` themselves (the same fields,
    ``is_goal`` its property), shared by every person of a page with the same verdict,
    so a page builds no object per person and indicator (see :func:`present_line`)."""

    indicator: Indicator = strawberry.field(description="Which indicator.")
    status: Status = strawberry.field(
        description="How it stands: AT_RISK if any deciding module found it at risk, "
        "else OK if any found it met."
    )
    reasons: list[str] = strawberry.field(description="Why, in the deciding modules' words.")
    modules: list[str] = strawberry.field(
        description="The modules that decided (`core` or a plugin's name); empty when no "
        "installed module decides the indicator."
    )
    is_goal: bool = strawberry.field(description="A goal (目标) rather than a bottom-line item.")


@strawberry.type(
    name="BottomLine",
    description="A person's five bottom-line indicators and five goals, judged today (R3).",
)
class BottomLineType:
    indicators: list[IndicatorVerdict] = strawberry.field(
        description="The ten indicators, bottom line first."
    )
    # A plain attribute, not a resolver: the executor's short path for leaves reads it.
    at_risk: list[Indicator] = strawberry.field(description="The indicators at risk.")


def present_line(line: BottomLine) -> BottomLineType:
    verdicts = [line[i] for i in INDICATORS]
    return BottomLineType(
        # Verdicts stand for IndicatorVerdict objects (see IndicatorVerdict).
        indicators=cast(list[IndicatorVerdict], verdicts),
        at_risk=[v.indicator for v in verdicts if v.status is Status.AT_RISK],
    )


def bottom_line_loader(context: Any) -> DataLoader[int, BottomLineType | None]:
    """Per request: the bottom line of every person a page asks for, in one evaluation,
    presented (``Person.bottomLine`` returns the loaded value as it is: no coroutine per
    person when a page loads them ahead, no second object when the executor asks)."""

    async def load(keys: Sequence[int]) -> list[BottomLineType | None]:
        loading = [context.loaders["person"].load(key) for key in keys]
        if all(future.done() for future in loading):  # the page loaded them already
            found = [future.result() for future in loading]
        else:
            found = await asyncio.gather(*loading)
        persons = [p for p in found if p]
        async with context.read() as session:
            lines = await read_lines(
                persons, session, context.host, context.today, context.settings
            )
        presented = {key: present_line(line) for key, line in lines.items()}
        return [presented.get(key) for key in keys]

    return DataLoader(load)


@strawberry.type(
    name="IndicatorCount",
    description="How many persons are in each status for one indicator.",
)
class IndicatorCount:
    indicator: Indicator = strawberry.field(description="Which indicator is counted.")
    ok: int = strawberry.field(description="Persons for whom the indicator is OK.")
    at_risk: int = strawberry.field(description="Persons for whom it is AT_RISK.")
    not_applicable: int = strawberry.field(description="Persons to whom it does not apply.")
    unknown: int = strawberry.field(description="Persons for whom no module decides it.")


@strawberry.type(
    name="RegionBottomLine", description="The bottom line of the persons of one child region."
)
class RegionBottomLine:
    region: Region | None = strawberry.field(description="The child region.")
    persons: int = strawberry.field(description="Living persons holding a hardship category.")
    indicators: list[IndicatorCount] = strawberry.field(
        description="The counts of the child region, one per indicator, bottom line first."
    )


@strawberry.type(
    name="BottomLineSummary",
    description="Per indicator, how many hardship persons of an area are OK, at risk, not "
    "applicable or unknown, in all and per child region (R3).",
)
class BottomLineSummary:
    region: Region = strawberry.field(description="The region summarised (`regionCode`).")
    persons: int = strawberry.field(
        description="Living persons of the region holding a hardship category today: "
        "each indicator's counts add up to this."
    )
    indicators: list[IndicatorCount] = strawberry.field(description="The whole area.")
    regions: list[RegionBottomLine] = strawberry.field(description="Per child region.")


def _counts(counter: Any) -> list[IndicatorCount]:
    return [
        IndicatorCount(
            indicator=indicator,
            ok=counter[(indicator, Status.OK)],
            at_risk=counter[(indicator, Status.AT_RISK)],
            not_applicable=counter[(indicator, Status.NOT_APPLICABLE)],
            unknown=counter[(indicator, Status.UNKNOWN)],
        )
        for indicator in (*BOTTOM_LINE, *GOALS)
    ]


async def present_summary(info: Info, region: Any, summary: Summary) -> BottomLineSummary:
    codes = sorted(summary.counts)
    regions = await info.context.loaders["region"].load_many(codes)
    return BottomLineSummary(
        region=region,
        persons=sum(summary.persons.values()),
        indicators=_counts(summary.total()),
        regions=[
            RegionBottomLine(
                region=child,
                persons=summary.persons[code],
                indicators=_counts(summary.counts[code]),
            )
            for code, child in zip(codes, regions, strict=True)
        ],
    )


class BottomLineStorage(enum.StrEnum):
    CURRENT = "CURRENT"
    REBUILDING = "REBUILDING"
    NOT_BUILT = "NOT_BUILT"
    OFF = "OFF"


graphql_enum(
    BottomLineStorage,
    name="BottomLineStorage",
    description="Where the bottom line's reads come from: the stored verdicts, or judged "
    "afresh (the same answers, slower).",
    values={
        "CURRENT": "The stored verdicts, judged with the rules installed now.",
        "REBUILDING": "A module's rules changed (installed, upgraded or removed) since the "
        "verdicts were judged; the worker's refresh (or `bangfu bottomline refresh`) is "
        "judging them again, and until it is done reads judge afresh (right, slower).",
        "NOT_BUILT": "The verdicts were never built (`bangfu bottomline rebuild`); reads "
        "judge afresh.",
        "OFF": "Nothing is stored (BANGFU_STORED_BOTTOM_LINE=false); reads judge afresh.",
    },
)


@strawberry.type(description="Whether the bottom line is read from the stored verdicts.")
class BottomLineState:
    storage: BottomLineStorage = strawberry.field(description="Where the reads come from now.")
    rebuilding: list[str] = strawberry.field(
        description="The modules whose rules changed since the verdicts were judged, each "
        "as `module (installed|changed|removed)`; empty unless REBUILDING."
    )


@strawberry.type
class BottomLineQuery:
    @strawberry.field(
        description="Whether the bottom line's reads (bottomLine, the at-risk filter, "
        "summaries, the assessment) come from the stored verdicts, or are judged afresh while "
        "they are built or rebuilt.",
        extensions=requires("registry:read"),
    )
    async def bottom_line_state(self, info: Info) -> BottomLineState:
        context = info.context
        if not context.settings.stored_bottom_line:
            return BottomLineState(storage=BottomLineStorage.OFF, rebuilding=[])
        async with context.read() as session:
            recorded = await recorded_versions(session)
            changes = await changed_modules(session, context.host)
        if not recorded:
            return BottomLineState(storage=BottomLineStorage.NOT_BUILT, rebuilding=[])
        if changes:
            return BottomLineState(
                storage=BottomLineStorage.REBUILDING,
                rebuilding=[f"{module} ({how})" for module, how in sorted(changes.items())],
            )
        return BottomLineState(storage=BottomLineStorage.CURRENT, rebuilding=[])

    @strawberry.field(
        description="The bottom line of every hardship person of a region (your area only), "
        "per indicator and child region (R3). Counted from the stored verdicts (until they are "
        "built, judged in pages of 1,000 persons).",
        extensions=requires("registry:read"),
        metadata=JUDGES,
    )
    async def bottom_line_summary(
        self,
        info: Info,
        region_code: Annotated[
            str,
            strawberry.argument(
                description="Code of the region to summarise (GB/T 2260 or a township or "
                "village code), within your area.",
                metadata=NARROWS,
            ),
        ],
    ) -> BottomLineSummary:
        region = await info.context.loaders["region"].load(region_code)
        if region is None:
            raise ValueError(_("regionCode: unknown region code {code}", code=repr(region_code)))
        context = info.context
        async with context.read() as session:
            if await _prepared(context, session, region.path):
                summary = await summary_from_table(
                    session,
                    region.path,
                    tally=context.settings.bottom_line_tally and not context.actor.paired_only,
                )
            else:
                summary = await summarise(
                    session, context.host, region.path, context.today, context.settings
                )
        return await present_summary(info, region, summary)


async def _prepared(context: Any, session: Any, path: str | None) -> bool:
    """Whether the stored verdicts answer for the area (``bangfu.core.bottomline.reading``);
    the rows due today are judged again first."""
    return await prepare_area(
        session,
        context.services.sessions,
        context.host,
        context.settings,
        path,
        context.today,
    )


#: Persons evaluated per page when the at-risk filter scans an area.
FILTER_BATCH = 200


async def at_risk_connection(
    info: Info,
    connection: type,
    edge: type,
    statement: Select[Any],
    indicator: Indicator,
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    within: str | None = None,
) -> Any:
    """A page of the persons of ``statement`` whose ``indicator`` is AT_RISK
    (``within``: the path of a region ``statement`` keeps to).

    When the stored verdicts answer for the area (``prepare_area``): one SQL condition on
    them, then an ordinary keyset page. Otherwise (the setting off, a rules version
    changed) the persons are judged in keyset pages of ``FILTER_BATCH`` (each plugin
    called once per page) until ``first + 1`` are found — backward (``last``), up to
    ``before`` or the end, keeping the last ``last + 1``; ``totalCount`` judges the whole
    area the same way, only when asked.
    """
    context = info.context
    check_page(first, last, context.settings.max_page_size)
    async with context.read() as session:
        stored = await _prepared(context, session, context.actor.area_path)
    if stored:
        return await paginate(
            context,
            connection,
            edge,
            statement.where(stored_at_risk(indicator, within)),
            Person,
            first=first,
            after=after,
            last=last,
            before=before,
            info=info,
        )
    start = decode_cursor(after) if after is not None else None
    end = decode_cursor(before, "before") if before is not None else None
    backward = first is None
    size = last if backward else first
    assert size is not None

    def risky(page: list[Any], lines: dict[int, BottomLine]) -> list[Any]:
        return [p for p in page if lines[p.id][indicator].status is Status.AT_RISK]

    # Backward: only the last size + 1 found are kept, however many the area has.
    found: collections.deque[Any] = collections.deque(maxlen=size + 1 if backward else None)
    async with context.read() as session:
        async for page in pages(session, statement, FILTER_BATCH, start):
            bounded = page if end is None else [p for p in page if p.id < end]
            if bounded:
                lines = await read_lines(
                    bounded, session, context.host, context.today, context.settings
                )
                found.extend(risky(bounded, lines))
            if len(bounded) < len(page) or (not backward and len(found) > size):
                break
    more = len(found) > size
    rows = list(found)[-size:] if backward else list(found)[:size]
    await prefetch(info, rows, path=("nodes",))

    async def total() -> int:
        count = 0
        async with context.read() as session:
            async for page in pages(session, statement, BATCH):
                lines = await read_lines(
                    page, session, context.host, context.today, context.settings
                )
                count += len(risky(page, lines))
        return count

    return connection(
        edges=[edge(cursor=encode_cursor(row.id), node=row) for row in rows],
        nodes=rows,
        page_info=page_info(
            rows,
            has_next=end is not None if backward else more,
            after=after,
            has_previous=more if backward else None,
            before=before,
        ),
        total=total,
    )
