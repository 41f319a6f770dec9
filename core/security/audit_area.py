"""The area an audit row is about, so that ``auditLog`` can be scoped like every read.

Each row records, when it is written, the narrowest region that holds every area-scoped
object it concerns (its targets: a person, a household, a plugin's record about a person
...) *as the acting actor sees them*: a target the actor cannot see (another county's ID
tried in a request) is left out, as if it did not exist. A row that concerns no object
the actor can see is about the actor's own area (a denial, a login, a failed mutation);
rows of the system and of anonymous callers have no area, and only city-level readers
see them.

A row about objects in two counties (a person moved from one to the other, an allocation
from a city-wide donation) has the city as its area: no county sees it but the actor.
"""

import base64
import binascii
import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.db import Base
from bangfu.core.security.actor import Actor

_CHUNK = 500


def parse_global_id(value: str) -> tuple[str, int] | None:
    """``(type name, key)`` of a global ID with an integer key; None for anything else."""
    try:
        text = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    name, _, key = text.partition(":")
    if not name or not key.isdigit() or len(key) > 18:
        return None
    return name, int(key)


@functools.lru_cache(maxsize=8)
def _models(_mapper_count: int) -> dict[str, type[Any]]:
    """Area-scoped mapped classes by class name (the name their global IDs carry). The
    number of mappers is the cache key, for tests that map models later."""
    found: dict[str, type[Any]] = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if getattr(cls, "__area_scope__", "global") != "global" and len(mapper.primary_key) == 1:
            found[cls.__name__] = cls
    return found


def _paths_of(cls: type[Any], keys: list[int]) -> Select[Any]:
    """The region paths of the rows ``keys`` of ``cls`` (the actor's scoping applies)."""
    from bangfu.core.registry.models import Household, Person

    mapper = cls.__mapper__
    key = getattr(cls, mapper.get_property_by_column(mapper.primary_key[0]).key)
    scope = cls.__area_scope__
    if scope == "person":
        return (
            select(Person.area_path)
            .join(cls, cls.person_id == Person.id)
            .where(key.in_(keys))
            .distinct()
        )
    if scope == "household":
        return (
            select(Household.area_path)
            .join(cls, cls.household_id == Household.id)
            .where(key.in_(keys))
            .distinct()
        )
    return select(cls.area_path).where(key.in_(keys)).distinct()


def common_area(paths: Iterable[str]) -> str | None:
    """The narrowest region path that holds every path given (None for none)."""
    common: list[str] | None = None
    for path in paths:
        parts = path.rstrip("/").split("/")
        if common is None:
            common = parts
            continue
        same = 0
        while same < min(len(common), len(parts)) and common[same] == parts[same]:
            same += 1
        common = common[:same]
    return "/".join(common) + "/" if common else None


async def area_of(session: AsyncSession, actor: Actor, targets: Iterable[str]) -> str | None:
    """The area an audit row of ``actor`` about ``targets`` belongs to.

    Targets are resolved in ``session``, whose actor's scoping applies: what the actor
    cannot see does not count. Global IDs of unscoped types (users, organisations) and
    of types that are not models do not count either.
    """
    models = _models(len(Base.registry.mappers))
    wanted: dict[type[Any], set[int]] = {}
    for target in targets:
        parsed = parse_global_id(target)
        cls = models.get(parsed[0]) if parsed is not None else None
        if parsed is not None and cls is not None:
            wanted.setdefault(cls, set()).add(parsed[1])
    paths: set[str] = set()
    for cls, keys in wanted.items():
        ordered = sorted(keys)
        # A few hundred keys a statement: a mutation may touch thousands of rows.
        for start in range(0, len(ordered), _CHUNK):
            paths.update(await session.scalars(_paths_of(cls, ordered[start : start + _CHUNK])))
    return common_area(paths) if paths else actor.area_path


def is_city_level(area_path: str | None) -> bool:
    """Whether an area is the root of the region tree (the city): it sees every row."""
    return area_path is not None and area_path.count("/") == 1
