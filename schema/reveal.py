"""``personReveal``: a person's full ID number, for a stated reason, audited every time."""

import enum
import logging
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from bangfu.core.errors import DomainError, ErrorCode, not_found
from bangfu.core.i18n import _
from bangfu.core.registry.models import Person
from bangfu.core.registry.persons import read_id_number
from bangfu.core.security import audit
from bangfu.core.security.crypto import DecryptionError
from bangfu.core.security.masking import mask_text
from bangfu.schema.descriptions import ERRORS, INPUT, graphql_enum
from bangfu.schema.errors import CoreError
from bangfu.schema.permissions import requires
from bangfu.schema.relay import decode_id, to_global_id
from bangfu.schema.transactions import run_mutation

log = logging.getLogger("bangfu.reveal")

MIN_REASON = 4
MAX_REASON = 500


class PersonRevealField(enum.Enum):
    ID_NUMBER = "ID_NUMBER"


graphql_enum(
    PersonRevealField,
    name="PersonRevealField",
    description="Fields `personReveal` can show in full.",
    values={"ID_NUMBER": "The full 18-character ID number (居民身份证号码), unmasked."},
)


@strawberry.input(description="Whose data to show in full, which, and why (`personReveal`).")
class PersonRevealInput:
    id: strawberry.ID = strawberry.field(description="The Person.")
    fields: list[PersonRevealField] = strawberry.field(
        description="The fields to show in full; at least one."
    )
    reason: str = strawberry.field(
        description="Why you need it (kept in the audit trail with your name)."
    )


@strawberry.type(description="The revealed values; fields not asked for stay null.")
class PersonRevealPayload:
    id_number: str | None = strawberry.field(
        description="The full ID number, when asked for and the input was accepted."
    )
    errors: list[CoreError] = strawberry.field(description=ERRORS)


@strawberry.type
class RevealMutation:
    @strawberry.mutation(
        description="Show a person's full ID number, for a reason. Every reveal is audited.",
        extensions=requires("registry:reveal"),
    )
    async def person_reveal(
        self, info: Info, input: Annotated[PersonRevealInput, INPUT]
    ) -> PersonRevealPayload:
        async def work(session: AsyncSession) -> str:
            return await _reveal(info, session, input)

        return await run_mutation(info, PersonRevealPayload, work)


async def _reveal(info: Info, session: AsyncSession, input: PersonRevealInput) -> str:
    """The person's full ID number, the reveal audited; a DomainError for a refused input."""
    reason = input.reason.strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise DomainError.of(
            "input.reason",
            _(
                "give a reason of {minimum} to {maximum} characters",
                minimum=MIN_REASON,
                maximum=MAX_REASON,
            ),
            ErrorCode.INVALID_INPUT,
        )
    if not input.fields:
        raise DomainError.of("input.fields", _("name at least one field"), ErrorCode.INVALID_INPUT)
    person_id = decode_id(input.id, "Person", "input.id")
    person = await session.get(Person, person_id)
    if person is None:
        raise DomainError.of("input.id", not_found("Person"), ErrorCode.NOT_FOUND)
    try:
        id_number = read_id_number(info.context.cipher, person)
    except DecryptionError as exc:
        log.error("person %s: stored ID number failed its integrity check", person.id)
        raise DomainError.of(
            "input.id",
            _("the stored value failed its integrity check; the incident is logged"),
            ErrorCode.UNREADABLE_VALUE,
        ) from exc
    await audit.record(
        session,
        info.context.actor,
        "reveal",
        audit.Outcome.OK,
        targets=[to_global_id("Person", person.id)],
        details={
            "fields": sorted(PersonRevealField(f).value for f in input.fields),
            "reason": mask_text(reason),
        },
        request_id=getattr(info.context, "request_id", None),
    )
    return id_number
