"""What a write may refer to: organisations, users and regions within the writer's reach.

Organisations, users and regions are global rows: a session reads every one of them,
whatever its actor's area. A write that names one (a measure's responsible organisation,
a category's certifying organisation, a pairing's official, an appraising or granting
organisation, a visiting organisation) must not reach into another county: a county
officer who made county B's civil-affairs bureau responsible for a measure of their own
county would lower county B's assessment (R9) with a record county B can neither see
nor fix.

The rule, decided here once for core and for every plugin (``bangfu.plugin`` exports
it): a write may refer to a unit, a user or a region whose region

- lies inside the writer's area (a county officer: their county, its townships and
  villages), or
- contains the writer's area: a unit of a wider level whose remit covers it (a county
  officer: the city's civil-affairs bureau or education bureau).

A city-level writer (a city administrator, area ``141000/``) therefore reaches every
unit of the city, and the system actor of trusted commands everything. The record being
written always lies inside the writer's area (area scoping), so a unit the writer reaches
is the record's own area's or a wider one's, never a sibling county's.

A reference out of reach is refused exactly as one that does not exist: the same field,
code and message, and nothing is written, so that a write learns nothing about another
county that a read would not tell.
"""

import enum

from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.errors import DomainError, ErrorCode, not_found
from bangfu.core.registry.models import Organisation, Region
from bangfu.core.security.actor import Actor
from bangfu.core.security.models import User


def reaches(actor: Actor, path: str) -> bool:
    """Whether a write by ``actor`` may refer to something of the region at ``path``
    (a materialised path such as ``141000/141023/``): the region lies inside the actor's
    area or contains it. The system actor reaches everything; an actor without an area
    nothing."""
    if actor.sees_everything:
        return True
    area = actor.area_path
    if area is None or not path.endswith("/"):
        return False
    return path.startswith(area) or area.startswith(path)


async def region_path(session: AsyncSession, code: str) -> str | None:
    """The materialised path of the region ``code``, or None when there is none."""
    region = await session.get(Region, code)
    return None if region is None else region.path


async def reachable_organisation(
    session: AsyncSession,
    actor: Actor,
    organisation_id: int,
    field: str,
    code: enum.StrEnum = ErrorCode.UNKNOWN_ORGANISATION,
) -> Organisation:
    """The organisation ``organisation_id`` if ``actor`` may refer to it in a write.

    Otherwise a DomainError on ``field`` with ``code`` (``UNKNOWN_ORGANISATION`` unless
    the caller's API uses another code for an unknown organisation) and the message of
    an organisation that does not exist: absent and out of reach look the same.
    """
    organisation = await session.get(Organisation, organisation_id)
    path = None if organisation is None else await region_path(session, organisation.region_code)
    if organisation is None or path is None or not reaches(actor, path):
        raise DomainError.of(field, not_found("Organisation"), code)
    return organisation


async def reachable_user(
    session: AsyncSession,
    actor: Actor,
    user_id: int,
    field: str,
    code: enum.StrEnum = ErrorCode.NOT_FOUND,
) -> User:
    """The user ``user_id`` if ``actor`` may refer to them in a write (their region is
    within reach), else the DomainError of a user that does not exist."""
    user = await session.get(User, user_id)
    path = None if user is None else await region_path(session, user.region_code)
    if user is None or path is None or not reaches(actor, path):
        raise DomainError.of(field, not_found("User"), code)
    return user
