"""GraphQL of one-to-one pairing (一包一, R6): pairings, five knowns, officials."""

import datetime as dt
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from bangfu.core.care.enums import FiveKnownItem
from bangfu.core.care.models import FiveKnown, Pairing
from bangfu.core.care.pairing import (
    FiveKnownData,
    Pairings,
    completeness,
    is_stale,
    officials_with_pairings,
    unpaired_hardship_persons,
)
from bangfu.core.db import path_within
from bangfu.core.effective import current, is_current
from bangfu.core.registry.models import Category, Person
from bangfu.core.security.masking import SENSITIVE_TEXT
from bangfu.core.security.models import User
from bangfu.schema.care.common import StaffMember, care_service, key_of, region_path, staff
from bangfu.schema.care.loaders import load
from bangfu.schema.care.notes import note_access
from bangfu.schema.composed import PersonConnection, PersonEdge, PersonType
from bangfu.schema.connections import CURSOR, After, Before, First, Last, Page, paginate
from bangfu.schema.descriptions import ERRORS, FILTER, GLOBAL_ID, INPUT
from bangfu.schema.errors import CoreError
from bangfu.schema.nodes import node_source
from bangfu.schema.permissions import requires
from bangfu.schema.relay import Node, decode_id, to_global_id
from bangfu.schema.scan_cost import INDEXED, NARROWS, SCANS, RegionCode
from bangfu.schema.transactions import run_mutation


@strawberry.type(
    name="FiveKnownEntry", description="One of the five knowns: a note, verified on a day."
)
class FiveKnownEntry:
    id: strawberry.Private[int]
    person_id: strawberry.Private[int]
    item: FiveKnownItem = strawberry.field(description="Which of the five knowns.")
    note: str | None = strawberry.field(
        description="What the official knows: sensitive (PIPL art. 28), only with "
        "registry:read-sensitive; null with FORBIDDEN otherwise.",
        extensions=note_access("FiveKnown", "note"),
    )
    verified_on: dt.date = strawberry.field(
        description="The day the official last checked the note with the person."
    )
    stale: bool = strawberry.field(description="Verified longer ago than the staleness limit.")


@strawberry.type(name="FiveKnowns", description="The five knowns (五个知晓) of a pairing (R6).")
class FiveKnowns:
    items: list[FiveKnownEntry] = strawberry.field(description="The items recorded so far.")
    completeness: float = strawberry.field(description="Fresh items / 5 (0 to 1).")
    missing: list[FiveKnownItem] = strawberry.field(description="Items never recorded.")
    stale_items: list[FiveKnownItem] = strawberry.field(description="Items to verify again.")


def five_knowns(info: Info, rows: list[FiveKnown]) -> FiveKnowns:
    today, stale_days = info.context.today, info.context.settings.five_knowns_stale_days
    entries = [
        FiveKnownEntry(
            id=row.id,
            person_id=row.person_id,
            item=row.item,
            note=row.note,
            verified_on=row.verified_on,
            stale=is_stale(row.verified_on, today, stale_days),
        )
        for row in sorted(rows, key=lambda r: list(FiveKnownItem).index(r.item))
    ]
    recorded = {row.item for row in rows}
    return FiveKnowns(
        items=entries,
        completeness=completeness(rows, today, stale_days),
        missing=[item for item in FiveKnownItem if item not in recorded],
        stale_items=[e.item for e in entries if e.stale],
    )


@strawberry.input(description="One five-knowns item to record.")
class FiveKnownInput:
    item: FiveKnownItem = strawberry.field(description="Which of the five knowns.")
    note: str = strawberry.field(
        description="What the official knows, free text: sensitive (PIPL art. 28), masked in "
        "the audit trail and shown only with registry:read-sensitive.",
        metadata=SENSITIVE_TEXT,
    )
    verified_on: dt.date | None = strawberry.field(default=None, description="Today by default.")


@strawberry.input(
    description="A new one-to-one pairing (一包一) of an official with a hardship person "
    "(`pairingStart`, R6)."
)
class PairingStartInput:
    person_id: strawberry.ID = strawberry.field(
        description="A hardship person without an active pairing."
    )
    official_id: strawberry.ID = strawberry.field(
        description="A user with the PAIRED_OFFICIAL role."
    )
    start_date: dt.date | None = strawberry.field(default=None, description="Today by default.")


@strawberry.input(description="A pairing to end (`pairingEnd`); it stays in the hand-over history.")
class PairingEndInput:
    id: strawberry.ID = strawberry.field(description="The pairing's global ID.")
    reason: str = strawberry.field(description="Why, e.g. the hand-over to another official.")
    end_date: dt.date | None = strawberry.field(default=None, description="Today by default.")


@strawberry.input(
    description="Five-knowns items to record or verify again (`pairingFiveKnownsUpdate`)."
)
class PairingFiveKnownsUpdateInput:
    pairing_id: strawberry.ID = strawberry.field(description="The global ID of an active pairing.")
    items: list[FiveKnownInput] = strawberry.field(
        description="The items to record; each replaces that item's note and verification "
        "day, the others stay as they are."
    )


@strawberry.input(description="Filters for `pairings`; all given filters must hold.")
class PairingFilter:
    person_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only the pairings of this person (a global ID).",
        metadata=INDEXED,
    )
    official_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only the pairings of this official (the `StaffMember.id`).",
        metadata=INDEXED,
    )
    region_code: str | None = strawberry.field(
        default=None, description="Persons living there.", metadata=NARROWS
    )
    active_only: bool = strawberry.field(
        default=True, description="false: the hand-over history too.", metadata=INDEXED
    )


@node_source(Pairing, read="care:read", loader="care_pairing")
@strawberry.type(
    name="Pairing", description="An official responsible for a hardship person (一包一)."
)
class PairingType(Node):
    start_date: dt.date = strawberry.field(description="The first day of the pairing.")
    end_date: dt.date | None = strawberry.field(description="Empty while the pairing holds.")
    end_reason: str | None = strawberry.field(
        description="Why it ended (a hand-over to another official, say); null while it holds."
    )

    @strawberry.field(description="The global ID of the pairing.")  # type: ignore[misc]
    @staticmethod
    def id(root: Pairing) -> strawberry.ID:
        return strawberry.ID(to_global_id("Pairing", root.id))

    @strawberry.field(
        description="Whether the pairing holds today: started (not after today) and not ended."
    )
    @staticmethod
    def active(root: Pairing, info: Info) -> bool:
        return is_current(root.start_date, root.end_date, info.context.today)

    @strawberry.field(description="The paired person; null when you may not see them.")
    @staticmethod
    async def person(root: Pairing, info: Info) -> PersonType | None:
        return await info.context.loaders["person"].load(root.person_id)

    @strawberry.field(description="The paired official.")
    @staticmethod
    async def official(root: Pairing, info: Info) -> StaffMember | None:
        return await staff(info, root.official_id)

    @strawberry.field(description="The five knowns and how complete and fresh they are.")
    @staticmethod
    async def five_knowns(root: Pairing, info: Info) -> FiveKnowns:
        return five_knowns(info, await load(info, "care_five_knowns", root.id))

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Pairing)


@strawberry.type(name="PairedOfficial", description="An official and the persons paired with them.")
class PairedOfficial:
    @strawberry.field(description="The official.")
    @staticmethod
    def official(root: User) -> StaffMember:
        return cast(Any, root)  # the official's row, shown as a StaffMember

    @strawberry.field(description="Active pairings with persons you may see.")
    @staticmethod
    async def pairings(root: User, info: Info) -> list[PairingType]:
        return await load(info, "care_active_pairings_of_official", root.id)

    @strawberry.field(description="How many persons are paired with the official (in your area).")
    @staticmethod
    async def paired_count(root: User, info: Info) -> int:
        return len(await load(info, "care_active_pairings_of_official", root.id))

    @strawberry.field(description="Paired with more persons than the configured threshold.")
    @staticmethod
    async def overloaded(root: User, info: Info) -> bool:
        count = len(await load(info, "care_active_pairings_of_official", root.id))
        return count > info.context.settings.pairing_overload_threshold

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, User)


@strawberry.type(name="PairingEdge", description="A pairing and its cursor.")
class PairingEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: PairingType = strawberry.field(description="The pairing.")


@strawberry.type(name="PairingConnection", description="A page of pairings, with the total count.")
class PairingConnection(Page):
    edges: list[PairingEdge] = strawberry.field(
        description="The pairings of this page with their cursors, in order."
    )
    nodes: list[PairingType] = strawberry.field(
        description="The pairings of this page, in order: `edges` without the cursors."
    )


@strawberry.type(name="PairedOfficialEdge", description="A paired official and its cursor.")
class PairedOfficialEdge:
    cursor: str = strawberry.field(description=CURSOR)
    node: PairedOfficial = strawberry.field(description="The paired official.")


@strawberry.type(
    name="PairedOfficialConnection", description="A page of paired officials, with the total count."
)
class PairedOfficialConnection(Page):
    edges: list[PairedOfficialEdge] = strawberry.field(
        description="The paired officials of this page with their cursors, in order."
    )
    nodes: list[PairedOfficial] = strawberry.field(
        description="The paired officials of this page, in order: `edges` without the cursors."
    )


@strawberry.type(
    name="PairingPayload",
    description="The result of `pairingStart`, `pairingEnd` or `pairingFiveKnownsUpdate`.",
)
class PairingPayload:
    pairing: PairingType | None = strawberry.field(
        description="The pairing after the change; null when the input was refused."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type(name="Query")
class PairingQuery:
    @strawberry.field(description="One pairing by global ID.", extensions=requires("care:read"))
    async def pairing(
        self, info: Info, id: Annotated[strawberry.ID, GLOBAL_ID]
    ) -> PairingType | None:
        key = key_of(id, "Pairing")
        return None if key < 0 else await load(info, "care_pairing", key)

    @strawberry.field(
        description="Pairings in your area (active ones by default), a page at a time.",
        extensions=requires("care:read"),
    )
    async def pairings(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[PairingFilter | None, FILTER] = None,
    ) -> PairingConnection:
        filter = filter or PairingFilter()
        statement = select(Pairing)
        if filter.active_only:
            statement = statement.where(
                current(Pairing.start_date, Pairing.end_date, info.context.today)
            )
        if filter.person_id is not None:
            statement = statement.where(Pairing.person_id == key_of(filter.person_id, "Person"))
        if filter.official_id is not None:
            statement = statement.where(Pairing.official_id == key_of(filter.official_id, "User"))
        path = await region_path(info, filter.region_code)
        if path is not None:
            statement = statement.where(
                Pairing.person_id.in_(select(Person.id).where(path_within(Person.area_path, path)))
            )
        return await paginate(
            info.context,
            PairingConnection,
            PairingEdge,
            statement,
            Pairing,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="Living persons who need a pairing and have no active pairing: the "
        "holders today of a pairing category (BANGFU_PAIRING_CATEGORIES: every category but "
        "DIBAO by default), or of `category` when it is given.",
        extensions=requires("care:read"),
        metadata=SCANS,  # an anti-join over the area's persons
    )
    async def unpaired_persons(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        region_code: RegionCode = None,
        category: Annotated[
            Category | None,
            strawberry.argument(
                description="Only holders of this category today, whether or not it is a "
                "pairing category (DIBAO lists the dibao members nobody is paired with).",
                metadata=SCANS,
            ),
        ] = None,
    ) -> PersonConnection:
        categories = (
            [str(category)] if category is not None else info.context.settings.pairing_categories
        )
        statement = unpaired_hardship_persons(info.context.today, categories)
        path = await region_path(info, region_code)
        if path is not None:
            statement = statement.where(path_within(Person.area_path, path))
        return await paginate(
            info.context,
            PersonConnection,
            PersonEdge,
            statement,
            Person,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="Officials with their paired persons (in your area). `overloadedOnly`: "
        "only those paired with more persons than the threshold (`moreThan`, by default "
        "the setting BANGFU_PAIRING_OVERLOAD_THRESHOLD).",
        extensions=requires("care:read"),
        metadata=SCANS,  # a GROUP BY over the area's pairings
    )
    async def paired_officials(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        overloaded_only: Annotated[
            bool,
            strawberry.argument(
                description="Only officials paired with more persons than the threshold "
                "(`moreThan`, else BANGFU_PAIRING_OVERLOAD_THRESHOLD, 5 by default).",
                metadata=INDEXED,
            ),
        ] = False,
        more_than: Annotated[
            int | None,
            strawberry.argument(
                description="Only officials paired with more persons than this; implies "
                "`overloadedOnly`.",
                metadata=INDEXED,
            ),
        ] = None,
    ) -> PairedOfficialConnection:
        threshold = 0
        if overloaded_only or more_than is not None:
            threshold = (
                info.context.settings.pairing_overload_threshold if more_than is None else more_than
            )
        return await paginate(
            info.context,
            PairedOfficialConnection,
            PairedOfficialEdge,
            officials_with_pairings(threshold),
            User,
            first=first,
            after=after,
            last=last,
            before=before,
        )


@strawberry.type(name="Mutation")
class PairingMutation:
    @strawberry.mutation(
        description="Pair a hardship person with an official; refused (ALREADY_PAIRED) "
        "while the person has an active pairing.",
        extensions=requires("pairing:write"),
    )
    async def pairing_start(
        self, info: Info, input: Annotated[PairingStartInput, INPUT]
    ) -> PairingPayload:
        async def work(pairings: Pairings) -> Pairing:
            return await pairings.start(
                decode_id(input.person_id, "Person", "input.personId"),
                decode_id(input.official_id, "User", "input.officialId"),
                input.start_date,
            )

        return await run_mutation(info, PairingPayload, work, service=care_service(Pairings))

    @strawberry.mutation(
        description="End a pairing (it stays as hand-over history); then start the next.",
        extensions=requires("pairing:write"),
    )
    async def pairing_end(
        self, info: Info, input: Annotated[PairingEndInput, INPUT]
    ) -> PairingPayload:
        async def work(pairings: Pairings) -> Pairing:
            return await pairings.end(
                decode_id(input.id, "Pairing", "input.id"), input.end_date, input.reason
            )

        return await run_mutation(info, PairingPayload, work, service=care_service(Pairings))

    @strawberry.mutation(
        description="Record five-knowns items of an active pairing: the paired official's "
        "own, or any with pairing:write.",
        extensions=requires("pairing:five-knowns"),
    )
    async def pairing_five_knowns_update(
        self, info: Info, input: Annotated[PairingFiveKnownsUpdateInput, INPUT]
    ) -> PairingPayload:
        today = info.context.today
        items = [
            FiveKnownData(FiveKnownItem(i.item), i.note, i.verified_on or today)
            for i in input.items
        ]
        may_manage = info.context.allowed("pairing:write")

        async def work(pairings: Pairings) -> Pairing:
            pairing_id = decode_id(input.pairing_id, "Pairing", "input.pairingId")
            return await pairings.update_five_knowns(pairing_id, items, may_manage=may_manage)

        return await run_mutation(info, PairingPayload, work, service=care_service(Pairings))
