"""Township and village organisations (R7): create one, list them.

The notice gives the grassroots — township Party committees and governments, village
Party branches and village committees — the surveys, the reporting and the coordination.
Their organisations are created here, by ``organisationCreate`` and ``bangfu organisation
add``; the city's and the counties' own organisations are reference data
(:mod:`bangfu.core.registry.reference`).

Each kind sits on one level of region (:data:`~bangfu.core.registry.models.GRASSROOTS_LEVELS`):
a 村党支部 on a VILLAGE, a 乡镇党委 on a TOWNSHIP. The region lies inside the writer's area
(a county officer: their county's townships and villages; a city administrator: all).
Every refusal is a :class:`DomainError` on the input field at fault (``input.code``,
``input.name``, ``input.kind``, ``input.regionCode``).
"""

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.db import path_within
from bangfu.core.errors import DomainError, ErrorCode, FieldError, text_problems
from bangfu.core.i18n import _
from bangfu.core.registry.models import (
    GRASSROOTS_LEVELS,
    Organisation,
    OrganisationKind,
    Region,
)
from bangfu.core.security.actor import Actor

MAX_NAME = 200
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")


def default_code(region_code: str, kind: OrganisationKind) -> str:
    """The code an organisation gets when none is given: ``141023100201-village-committee``."""
    return f"{region_code}-{kind.value.lower().replace('_', '-')}"


async def create_organisation(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    kind: OrganisationKind,
    region_code: str,
    code: str | None = None,
) -> Organisation:
    """A new township or village organisation in ``actor``'s area. Flushes.

    :raises DomainError: a kind that is not a township or village one, an unknown region,
        a region outside the actor's area or of the wrong level for the kind, a code that
        is malformed or taken, a blank or too long name, or the same name for another
        organisation of the region.
    """
    kind = OrganisationKind(kind)
    levels = GRASSROOTS_LEVELS.get(kind)
    if levels is None:
        raise DomainError.of(
            "input.kind",
            _(
                "only township and village organisations are created here ({kinds}); "
                "the city's and the counties' organisations are reference data",
                kinds=", ".join(GRASSROOTS_LEVELS),
            ),
            ErrorCode.INVALID_INPUT,
        )
    region = await _region(session, actor, region_code.strip())
    if region.level not in levels:
        raise DomainError.of(
            "input.regionCode",
            _(
                "a {kind} sits on a region of level {levels}; {code} is a {level}",
                kind=kind.value,
                levels=" or ".join(sorted(levels)),
                code=region.code,
                level=region.level.value,
            ),
            ErrorCode.WRONG_REGION_LEVEL,
        )
    errors: list[FieldError] = text_problems("input.name", name, MAX_NAME)
    code = (code or "").strip() or default_code(region.code, kind)
    if not _CODE.match(code):
        errors.append(
            FieldError(
                "input.code",
                _(
                    "a code has 2 to 64 letters, digits or the characters . _ - and starts "
                    "with a letter or digit"
                ),
                ErrorCode.INVALID_INPUT,
            )
        )
    if errors:
        raise DomainError(*errors)
    name = name.strip()
    await _not_taken(session, code, name, region)
    organisation = Organisation(code=code, name=name, kind=kind, region_code=region.code)
    session.add(organisation)
    try:
        await session.flush()
    except IntegrityError:  # the same code, created meanwhile; the transaction rolls back
        raise _code_taken(code) from None
    return organisation


async def _region(session: AsyncSession, actor: Actor, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None:
        raise DomainError.of(
            "input.regionCode",
            _("unknown region code {code}", code=repr(code)),
            ErrorCode.UNKNOWN_REGION,
        )
    if not actor.sees_everything and not (
        actor.area_path is not None and region.path.startswith(actor.area_path)
    ):
        raise DomainError.of(
            "input.regionCode",
            _("region {code} is outside your area", code=code),
            ErrorCode.OUT_OF_AREA,
        )
    return region


def _code_taken(code: str) -> DomainError:
    return DomainError.of(
        "input.code",
        _("an organisation with the code {code} exists already", code=repr(code)),
        ErrorCode.DUPLICATE_ORGANISATION,
    )


async def _not_taken(session: AsyncSession, code: str, name: str, region: Region) -> None:
    same_name = select(Organisation.id).where(
        Organisation.region_code == region.code, Organisation.name == name
    )
    if await session.scalar(same_name) is not None:
        raise DomainError.of(
            "input.name",
            _(
                "the region {region} has an organisation named {name} already",
                region=region.code,
                name=repr(name),
            ),
            ErrorCode.DUPLICATE_ORGANISATION,
        )
    if await session.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
        raise _code_taken(code)


async def list_organisations(
    session: AsyncSession,
    *,
    kinds: Sequence[OrganisationKind] = (),
    region_code: str | None = None,
    within_code: str | None = None,
) -> list[Organisation]:
    """Organisations in order of creation: of ``kinds`` (all when empty), serving exactly
    ``region_code``, and serving a region inside ``within_code`` (itself included)."""
    statement = select(Organisation).order_by(Organisation.id)
    if kinds:
        statement = statement.where(Organisation.kind.in_(list(kinds)))
    if region_code is not None:
        statement = statement.where(Organisation.region_code == region_code)
    if within_code is not None:
        within = await session.get(Region, within_code)
        if within is None:
            return []
        statement = statement.join(Region, Region.code == Organisation.region_code).where(
            path_within(Region.path, within.path)
        )
    return list((await session.scalars(statement)).all())
