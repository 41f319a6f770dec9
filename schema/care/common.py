"""What the care schema modules share: enums, the staff type, the use cases' factory."""

from collections.abc import Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core.calendar import Holiday
from bangfu.core.care import enums
from bangfu.core.care.common import CareService
from bangfu.core.care.events import CareEventKind
from bangfu.core.errors import DomainError
from bangfu.core.i18n import _
from bangfu.core.security.models import User
from bangfu.schema.care.loaders import load
from bangfu.schema.relay import decode_id, to_global_id
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


@strawberry.type(
    name="StaffMember", description="A user who does care work: a paired official, a visitor."
)
class StaffMember:
    display_name: str

    @strawberry.field(description="The global ID of the user.")
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
    if code is None:
        return None
    region = await info.context.loaders["region"].load(code)
    if region is None:
        raise ValueError(_("filter.regionCode: unknown region code {code}", code=repr(code)))
    return region.path


def key_of(global_id: strawberry.ID | str, type_name: str) -> int:
    """The key of a global ID used as an argument or filter; -1 (matches nothing, like an
    ID outside your area) when it is malformed or of another type."""
    try:
        return decode_id(global_id, type_name, "id")
    except DomainError:
        return -1
