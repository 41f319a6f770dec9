"""What the care schema modules share: enums, the staff type, the use cases' factory."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core.calendar import Holiday
from bangfu.core.care import enums
from bangfu.core.care.common import CareService
from bangfu.core.care.events import CareEventKind
from bangfu.core.errors import DomainError
from bangfu.core.registry.models import Region
from bangfu.core.security.models import User
from bangfu.schema.care.loaders import load
from bangfu.schema.context import filter_region_path
from bangfu.schema.descriptions import graphql_enum
from bangfu.schema.nodes import node_source
from bangfu.schema.relay import Node, decode_id, to_global_id
from bangfu.schema.types import Organisation

S = TypeVar("S", bound=CareService)

graphql_enum(
    enums.ProblemDomain,
    name="ProblemDomain",
    description="What a problem or measure is about (R4).",
    values={
        "LIVING": "Living assistance (生活救助): food, clothing, the cost of daily life.",
        "EDUCATION": "Education assistance (教育救助): schooling, fees, dropping out.",
        "MEDICAL": "Medical assistance (医疗救助): illness, insurance, treatment costs.",
        "HOUSING": "Housing assistance (住房救助): unsafe or missing housing.",
        "EMPLOYMENT": "Employment assistance (就业救助): work and income from work.",
        "CARE": "Care (有人管): nobody looking after the person, guardianship, company.",
    },
)
graphql_enum(
    enums.VisitOutcome,
    name="VisitOutcome",
    description="How a screening visit (排查走访) went.",
    values={
        "VISITED": "The household was visited; its problems are recorded with the visit.",
        "NOT_FOUND": "Nobody was found at the address; the household needs another visit.",
        "REFUSED": "The household refused the visit.",
    },
)
graphql_enum(
    enums.Severity,
    name="Severity",
    description="How serious a problem found by screening is, as the visitor judged it.",
    values={
        "LOW": "Minor.",
        "MEDIUM": "Serious.",
        "HIGH": "Grave. Whether a problem is key (重点问题) is recorded apart from its "
        "severity (`Problem.isKey`).",
    },
)
graphql_enum(
    enums.MeasureStatus,
    name="MeasureStatus",
    description="Where a measure of an assistance plan stands. DONE and CANCELLED are final.",
    values={
        "PLANNED": "Agreed, not yet started.",
        "UNDER_WAY": "Started, not finished.",
        "DONE": "Carried out (final).",
        "CANCELLED": "Dropped without being carried out (final).",
    },
)
graphql_enum(
    enums.FundingSource,
    name="FundingSource",
    description="Who pays for a measure (R4): government assistance or social donations.",
    values={
        "GOVERNMENT_PROGRAMME": "Government assistance (政府救助): paid by a public programme.",
        "SOCIAL_DONATION": "Social donation (社会捐助): paid from donations (`donationAllocate`).",
    },
)
graphql_enum(
    enums.FiveKnownItem,
    name="FiveKnownItem",
    description="The five knowns (五个知晓) a paired official keeps about their person (R6).",
    values={
        "FAMILY_SITUATION": "Family situation (家庭情况).",
        "ECONOMIC_SITUATION": "Economic situation (经济状况).",
        "WISHES": "Wishes for the future (未来意愿).",
        "DIFFICULTIES": "Current difficulties (当前困难).",
        "MEDICAL_AND_SCHOOLING": "Medical care and schooling (就医就学情况).",
    },
)
graphql_enum(
    enums.ResponseKind,
    name="CareResponseKind",
    description="How a paired official answered a care event (R6).",
    values={
        "VISIT": "A visit in person (上门看望).",
        "CALL": "A telephone or video call (电话问候).",
    },
)
graphql_enum(
    enums.DueState,
    name="DueState",
    description="Where a care event stands against its deadline (Asia/Shanghai day); "
    "computed, never stored.",
    values={
        "NOT_DUE": "Open; the deadline is further away than the due-soon window "
        "(BANGFU_CARE_DUE_SOON_DAYS, 1 day by default).",
        "DUE_SOON": "Open; the deadline is today or within the due-soon window.",
        "OVERDUE": "Open; the deadline has passed.",
        "ANSWERED_ON_TIME": "Answered on or before the deadline.",
        "ANSWERED_LATE": "Answered after the deadline.",
    },
)
graphql_enum(
    CareEventKind,
    name="CareEventKind",
    description="The five cares (五个关心) of R6: situations the paired official must act on "
    "by a deadline.",
    values={
        "HOSPITALISATION": "Serious illness or hospitalisation (大病住院).",
        "SCHOOL_DROPOUT": "A child dropping out of school (子女辍学).",
        "DISASTER": "An accidental disaster (意外灾害).",
        "BEREAVEMENT": "The death of a family member (家人去世).",
        "HOLIDAY": "A major holiday (重大节日); its deadline falls before the holiday.",
    },
)
graphql_enum(
    Holiday,
    name="Holiday",
    description="The major holidays (重大节日) at which paired officials call on their "
    "persons; dates follow China's official calendar.",
    values={
        "NEW_YEAR": "New Year's Day (元旦), 1 January.",
        "SPRING_FESTIVAL": "Spring Festival (春节), the lunar new year.",
        "QINGMING": "Qingming Festival (清明节), early April.",
        "LABOUR_DAY": "Labour Day (劳动节), 1 May.",
        "DRAGON_BOAT": "Dragon Boat Festival (端午节), 5th day of the 5th lunar month.",
        "MID_AUTUMN": "Mid-Autumn Festival (中秋节), 15th day of the 8th lunar month.",
        "NATIONAL_DAY": "National Day (国庆节), 1 October.",
    },
)


def _staff_of_area(context: Any) -> Callable[[Sequence[Any]], Awaitable[list[Any]]]:
    """Users by key whose region lies inside the caller's area or contains it: the rule of
    the pairing mutations' official (``Pairings.official``). Users are not area-scoped
    rows, so ``node(id:)`` applies it here: anyone else reads as a user that does not
    exist."""

    async def load(keys: Sequence[Any]) -> list[Any]:
        actor = context.actor
        statement = select(User, Region.path).join(Region, Region.code == User.region_code)
        statement = statement.where(User.id.in_(keys))
        async with context.read() as session:
            rows = (await session.execute(statement)).all()
        area = actor.area_path
        found = {
            user.id: user
            for user, path in rows
            if actor.sees_everything
            or (area is not None and (path.startswith(area) or area.startswith(path)))
        }
        return [found.get(key) for key in keys]

    return load


@node_source(User, read="care:read", id_name="User", batch=_staff_of_area)
@strawberry.type(
    name="StaffMember", description="A user who does care work: a paired official, a visitor."
)
class StaffMember(Node):
    display_name: str = strawberry.field(description="The user's name for people to read.")

    @strawberry.field(description="The global ID of the user.")  # type: ignore[misc]
    @staticmethod
    def id(root: User) -> strawberry.ID:
        return strawberry.ID(to_global_id("User", root.id))

    @strawberry.field(description="The organisation the user works for.")
    @staticmethod
    async def organisation(root: User, info: Info) -> Organisation | None:
        return await info.context.loaders["organisation"].load(root.organisation_id)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        return isinstance(obj, User)


async def staff(info: Info, user_id: int | None) -> Any:
    return None if user_id is None else await load(info, "care_user", user_id)


def care_service(service: type[S]) -> Callable[[AsyncSession, Any], S]:
    """The ``service=`` factory of ``run_mutation`` for the care use cases ``service``: in
    the mutation's transaction, as the request's actor."""

    def make(session: AsyncSession, context: Any) -> S:
        return service(session, context.actor, context.settings)

    return make


async def region_path(info: Info, code: str | None) -> str | None:
    """The path of a filter's region; an unknown code is a request error."""
    return None if code is None else await filter_region_path(info.context, code)


def key_of(global_id: strawberry.ID | str, type_name: str) -> int:
    """The key of a global ID used as an argument or filter; -1 (matches nothing, like an
    ID outside your area) when it is malformed or of another type."""
    try:
        return decode_id(global_id, type_name, "id")
    except DomainError:
        return -1
