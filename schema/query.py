"""The core ``Query`` root: Relay node lookup, persons, households, regions, plugins."""

import asyncio
import datetime as dt
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, select
from strawberry.types import Info

from bangfu.core import effective, idnumber
from bangfu.core.bottomline import Indicator
from bangfu.core.db import path_within
from bangfu.core.effective import in_force
from bangfu.core.i18n import _
from bangfu.core.registry import models
from bangfu.core.registry.organisations import list_organisations
from bangfu.core.registry.persons import id_number_digest
from bangfu.schema import category_rules as category_rules_module
from bangfu.schema.access import public
from bangfu.schema.bottomline import at_risk_connection
from bangfu.schema.composed import (
    HouseholdConnection,
    HouseholdEdge,
    HouseholdType,
    PersonConnection,
    PersonEdge,
    PersonType,
)
from bangfu.schema.connections import After, Before, First, Last, paginate
from bangfu.schema.context import filter_region_path
from bangfu.schema.descriptions import FILTER, GLOBAL_ID
from bangfu.schema.input_limits import SEARCH
from bangfu.schema.nodes import load_node
from bangfu.schema.permissions import requires
from bangfu.schema.prefetch import prefetch
from bangfu.schema.relay import Node
from bangfu.schema.roster import RosterImportInfo, roster_import_info
from bangfu.schema.scan_cost import JUDGES, NARROWS, SCANS
from bangfu.schema.types import Organisation, PluginType, Region

MAX_NODES = 100


@strawberry.input(description="Filters for `persons`; all given filters must hold.")
class PersonFilter:
    region_code: str | None = strawberry.field(
        default=None,
        description="Only persons living in this region or below it.",
        metadata=NARROWS,
    )
    category: models.Category | None = strawberry.field(
        default=None, description="Only persons holding this category today.", metadata=SCANS
    )
    is_key_person: bool | None = strawberry.field(
        default=None,
        description="Only key persons (重点人, true) or only the others (false), as screening "
        "flagged them (R5).",
        metadata=SCANS,
    )
    search: str | None = strawberry.field(
        default=None,
        description="A full ID number (exact match), or part of a name (matched literally); "
        "at most 100 characters by default (`BANGFU_MAX_SEARCH_LENGTH`).",
        metadata={**SCANS, **SEARCH},
    )
    at_risk: Indicator | None = strawberry.field(
        default=None,
        description="Only persons for whom this indicator is AT_RISK today (R3). Read from "
        "the stored verdicts, kept current by every write and by the calendar; until they "
        "are built (or after a plugin changed) the area is judged in pages of 200 persons. "
        "Either way it costs by the persons of the area it reads (the API guide's limits).",
        metadata=JUDGES,
    )


@strawberry.input(description="Filters for `households`; all given filters must hold.")
class HouseholdFilter:
    region_code: str | None = strawberry.field(
        default=None, description="Only households in this region or below it.", metadata=NARROWS
    )
    category: models.Category | None = strawberry.field(
        default=None,
        description="Only households with a current member holding this category.",
        metadata=SCANS,
    )
    is_key_household: bool | None = strawberry.field(
        default=None,
        description="Only key households (重点户, true) or only the others (false), as "
        "screening flagged them (R5).",
        metadata=SCANS,
    )
    search: str | None = strawberry.field(
        default=None,
        description="A current member's full ID number, or part of a member's name; at most "
        "100 characters (`BANGFU_MAX_SEARCH_LENGTH`).",
        metadata={**SCANS, **SEARCH},
    )


def active_category(category: models.Category, info: Info) -> Select[Any]:
    today = info.context.today
    return select(models.CategoryAssignment.person_id).where(
        models.CategoryAssignment.category == category,
        in_force(
            models.CategoryAssignment.valid_from,
            models.CategoryAssignment.valid_to,
            today,
            end_inclusive=True,
        ),
    )


def person_search(info: Info, text: str) -> Any:
    try:
        number = idnumber.parse(text)
    except idnumber.IdNumberError:
        return models.Person.name.contains(text.strip(), autoescape=True)
    return models.Person.id_number_digest == id_number_digest(info.context.cipher, number)


async def persons_statement(info: Info, filter: PersonFilter | None) -> Select[Any]:
    statement = select(models.Person)
    if filter is None:
        return statement
    if filter.region_code is not None:
        statement = statement.where(
            path_within(
                models.Person.area_path, await filter_region_path(info.context, filter.region_code)
            )
        )
    if filter.category is not None:
        statement = statement.where(models.Person.id.in_(active_category(filter.category, info)))
    if filter.is_key_person is not None:
        statement = statement.where(models.Person.is_key_person.is_(filter.is_key_person))
    if filter.search:
        statement = statement.where(person_search(info, filter.search))
    return statement


async def households_statement(info: Info, filter: HouseholdFilter | None) -> Select[Any]:
    statement = select(models.Household)
    if filter is None:
        return statement
    # A member counts from the membership's start (one starting later, written before future
    # starts were refused, is not in force yet: bangfu.core.effective).
    current = effective.current(
        models.Membership.start_date, models.Membership.end_date, info.context.today
    )
    if filter.region_code is not None:
        statement = statement.where(
            path_within(
                models.Household.area_path,
                await filter_region_path(info.context, filter.region_code),
            )
        )
    if filter.category is not None:
        statement = statement.where(
            models.Household.id.in_(
                select(models.Membership.household_id).where(
                    current, models.Membership.person_id.in_(active_category(filter.category, info))
                )
            )
        )
    if filter.is_key_household is not None:
        statement = statement.where(models.Household.is_key_household.is_(filter.is_key_household))
    if filter.search:
        statement = statement.where(
            models.Household.id.in_(
                select(models.Membership.household_id)
                .join(models.Person, models.Person.id == models.Membership.person_id)
                .where(current, person_search(info, filter.search))
            )
        )
    return statement


@strawberry.type(name="Query")
class CoreQuery:
    @strawberry.field(
        description="Any object by its global ID; null when it does not exist or is "
        "outside your area (the two look the same).",
        extensions=requires("registry:read"),
    )
    async def node(self, info: Info, id: Annotated[strawberry.ID, GLOBAL_ID]) -> Node | None:
        return await load_node(info, id)

    @strawberry.field(
        description=f"Objects by global ID, in order (at most {MAX_NODES}).",
        extensions=requires("registry:read"),
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(
                description=f"Global IDs, at most {MAX_NODES}; the answer has one entry per "
                "ID, in the same order (null for one that names nothing you may see)."
            ),
        ],
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise ValueError(_("ids: at most {maximum} IDs per request", maximum=MAX_NODES))
        return list(await asyncio.gather(*(load_node(info, id) for id in ids)))

    @strawberry.field(description="One person by global ID.", extensions=requires("registry:read"))
    async def person(
        self, info: Info, id: Annotated[strawberry.ID, GLOBAL_ID]
    ) -> PersonType | None:
        return await prefetched(info, await load_node(info, id, "Person"))

    @strawberry.field(
        description="One household by global ID.", extensions=requires("registry:read")
    )
    async def household(
        self, info: Info, id: Annotated[strawberry.ID, GLOBAL_ID]
    ) -> HouseholdType | None:
        return await prefetched(info, await load_node(info, id, "Household"))

    @strawberry.field(
        description="Persons in your area, by ID, a page at a time (`first` 1 to 100).",
        extensions=requires("registry:read"),
    )
    async def persons(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[PersonFilter | None, FILTER] = None,
    ) -> PersonConnection:
        statement = await persons_statement(info, filter)
        if filter is not None and filter.at_risk is not None:
            return await at_risk_connection(
                info,
                PersonConnection,
                PersonEdge,
                statement,
                filter.at_risk,
                first=first,
                after=after,
                last=last,
                before=before,
                within=(
                    await filter_region_path(info.context, filter.region_code)
                    if filter.region_code is not None
                    else None
                ),
            )
        return await paginate(
            info.context,
            PersonConnection,
            PersonEdge,
            statement,
            models.Person,
            first=first,
            after=after,
            last=last,
            before=before,
            info=info,
        )

    @strawberry.field(
        description="Households in your area, by ID, a page at a time (`first` 1 to 100).",
        extensions=requires("registry:read"),
    )
    async def households(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[HouseholdFilter | None, FILTER] = None,
    ) -> HouseholdConnection:
        statement = await households_statement(info, filter)
        return await paginate(
            info.context,
            HouseholdConnection,
            HouseholdEdge,
            statement,
            models.Household,
            first=first,
            after=after,
            last=last,
            before=before,
            info=info,
        )

    @strawberry.field(
        description="Regions below `parentCode` (the top of the tree when omitted).",
        extensions=requires("registry:read"),
    )
    async def regions(
        self,
        info: Info,
        parent_code: Annotated[
            str | None,
            strawberry.argument(
                description="Code of the region whose children to list; omitted: the "
                "regions at the top of the tree (the city)."
            ),
        ] = None,
    ) -> list[Region]:
        if parent_code is None:
            async with info.context.read() as session:
                rows = await session.scalars(
                    select(models.Region).where(models.Region.parent_code.is_(None))
                )
                return list(rows.all())
        return await info.context.loaders["region_children"].load(parent_code)

    @strawberry.field(description="One region by code.", extensions=requires("registry:read"))
    async def region(
        self,
        info: Info,
        code: Annotated[
            str,
            strawberry.argument(
                description="The region's code: GB/T 2260 (6 digits) for the city and "
                "counties, 9 digits for a township, 12 for a village."
            ),
        ],
    ) -> Region | None:
        return await info.context.loaders["region"].load(code)

    @strawberry.field(
        description="Organisations, optionally of one kind and of one region or below one "
        "(R1, R7); every filter given applies.",
        extensions=requires("registry:read"),
    )
    async def organisations(
        self,
        info: Info,
        region_code: Annotated[
            str | None,
            strawberry.argument(
                description="Only the organisations serving exactly this region (not those "
                "below it); omitted: all."
            ),
        ] = None,
        kind: Annotated[
            models.OrganisationKind | None,
            strawberry.argument(
                description="Only organisations of this kind (VILLAGE_PARTY_BRANCH: the "
                "village Party branches); omitted: every kind."
            ),
        ] = None,
        within_region_code: Annotated[
            str | None,
            strawberry.argument(
                description="Only the organisations serving this region or one below it "
                "(141023: 襄汾县's own and its townships' and villages'); an unknown code "
                "lists none; omitted: all."
            ),
        ] = None,
    ) -> list[Organisation]:
        async with info.context.read() as session:
            found: list[Any] = await list_organisations(
                session,
                kinds=() if kind is None else (models.OrganisationKind(kind),),
                region_code=region_code,
                within_code=within_region_code,
            )
            return found

    @strawberry.field(
        description="The hardship categories' rules in force on a day: who may hold each "
        "category (with the policy each rule comes from) and which body certifies it; "
        "`categoryAssign` refuses what they do not allow.",
        extensions=requires("registry:read"),
    )
    def category_rules(
        self, on: Annotated[dt.date | None, category_rules_module.ON] = None
    ) -> category_rules_module.CategoryRuleSet:
        return category_rules_module.category_rules(on)

    @strawberry.field(
        description="Where and how to import rosters from Excel or CSV.",
        extensions=requires("registry:read"),
    )
    def roster_import(self) -> RosterImportInfo | None:
        return roster_import_info()

    @strawberry.field(description="The plugins this service runs with.", extensions=public())
    def plugins(self, info: Info) -> list[PluginType]:
        return [PluginType.of(p) for p in info.context.host.plugins.values()]


async def prefetched(info: Info, obj: Any) -> Any:
    """``obj``, with what the field's selection needs below it already loaded."""
    if obj is not None:
        await prefetch(info, [obj])
    return obj
