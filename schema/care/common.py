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
from bangfu.schema.nodes import node_source
from bangfu.schema.relay import Node, decode_id, to_global_id
from bangfu.schema.types import Organisation

S = TypeVar("S", bound=CareService)

strawberry.enum(
    enums.ProblemDomain,
    name="ProblemDomain",
    description="What a problem or measure is about (R4).",
)
strawberry.enum(enums.VisitOutcome, name="VisitOutcome", description="How a screening visit went.")
strawberry.enum(enums.Severity, name="Severity")
strawberry.enum(
    enums.MeasureStatus, name="MeasureStatus", description="DONE and CANCELLED are final."
)
strawberry.enum(enums.FundingSource, name="FundingSource", description="Who pays (R4).")
strawberry.enum(
    enums.FiveKnownItem, name="FiveKnownItem", description="The five knowns (五个知晓)."
)
strawberry.enum(enums.ResponseKind, name="CareResponseKind")
strawberry.enum(
    enums.DueState,
    name="DueState",
    description="Where a care event stands against its deadline (Asia/Shanghai day); "
    "computed, never stored.",
)
strawberry.enum(CareEventKind, name="CareEventKind", description="The five cares (五个关心).")
strawberry.enum(Holiday, name="Holiday", description="Major holidays (China's calendar).")


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
    display_name: str

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
