"""Area scoping, enforced once for every ORM statement (deny by default).

A ``do_orm_execute`` listener adds one ``with_loader_criteria`` per area-scoped model to
every SELECT, UPDATE and DELETE a session runs, built from the actor in
``session.info["actor"]``. Resolvers, DataLoaders, ``node(id:)``, counts and aggregates
all go through it; none of them filters by area on its own.
"""

import functools
from typing import Any

from sqlalchemy import and_, event, false
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.interfaces import ORMOption

from bangfu.core.db import Base, path_bounds
from bangfu.core.registry.scoping import paired_person_ids
from bangfu.core.security.actor import Actor

SCOPES = ("area_path", "person", "household", "global")


class UnscopedModelError(RuntimeError):
    """A mapped model says neither how it is area-scoped nor that it is global."""


def scoped_models() -> list[type[Any]]:
    """Every mapped class that is area-scoped; fails on a class that declares nothing."""
    return list(_scoped_models(Base))


@functools.cache
def _scoped_models(base: type[Any]) -> tuple[type[Any], ...]:
    """:func:`scoped_models`, found once per set of mappers (a new mapper, as a test or a
    plugin loaded later maps one, clears it: :func:`install`)."""
    import bangfu.core.models  # noqa: F401  (every core model is mapped before we look)

    scoped: list[type[Any]] = []
    for mapper in base.registry.mappers:
        cls = mapper.class_
        scope = getattr(cls, "__area_scope__", None)
        if scope not in SCOPES:
            raise UnscopedModelError(
                f"model {cls.__module__}.{cls.__qualname__} (table {mapper.local_table}) "
                "is neither area-scoped nor declared global: inherit one of GlobalModel, "
                "AreaPathScoped, PersonScoped, HouseholdScoped from bangfu.core.registry"
            )
        if scope != "global":
            scoped.append(cls)
    return tuple(scoped)


def area_options(actor: Actor | None) -> tuple[ORMOption, ...]:
    """The loader criteria that limit a statement to what ``actor`` may see."""
    if actor is not None and actor.sees_everything:
        return ()
    models = scoped_models()
    if actor is None or actor.area_path is None:
        return _no_rows(len(models))
    if actor.paired_only:
        # A paired official sees the persons paired with them while the pairing holds,
        # their households, and rows about them: nothing else, even in their area.
        persons = paired_person_ids(actor.id)
        return tuple(
            with_loader_criteria(
                cls,
                and_(cls.__area_criteria__(actor.area_path), cls.__paired_criteria__(persons)),
                include_aliases=True,
            )
            for cls in models
        )
    return _area_options(actor.area_path, len(models))


@functools.lru_cache(maxsize=8)
def _no_rows(_model_count: int) -> tuple[ORMOption, ...]:
    """The criteria of an actor without an area (anonymous, the token lookup's session):
    no row of any scoped model. Built once per process (per number of scoped models, for
    tests that map models later), not for every statement."""
    return tuple(
        with_loader_criteria(cls, false(), include_aliases=True) for cls in scoped_models()
    )


@functools.lru_cache(maxsize=512)
def _area_options(area_path: str, model_count: int) -> tuple[ORMOption, ...]:
    """The criteria of an area: one option per scoping mixin, as a lambda whose closure
    holds the path's bounds, plus one plain option per model that scopes itself some
    other way.

    One plain ``with_loader_criteria`` per scoped model (sixty of them) cost more to
    turn into a cache key, on every statement, than a short query took to run. A lambda
    option's cache key is its code and the values of its closure: ``lower`` and ``upper``
    are compared as they are, so SQLAlchemy tracks them as bound parameters and a
    statement compiled for one area runs for another with that area's bounds. Built once
    per area and process (area criteria depend on the path only, never on the day).
    """
    lower, upper = path_bounds(area_path)
    mixins, others = _scoping_plan(model_count)
    options: list[ORMOption] = [
        with_loader_criteria(
            mixin,
            # The function, called with the entity SQLAlchemy passes (on a mixin, a
            # wrapper that reads declared attributes without a warning).
            lambda cls: cls.__area_criteria_between__.__func__(cls, lower, upper),
            include_aliases=True,
        )
        for mixin in mixins
    ]
    options.extend(
        with_loader_criteria(cls, cls.__area_criteria__(area_path), include_aliases=True)
        for cls in others
    )
    return tuple(options)


@functools.lru_cache(maxsize=8)
def _scoping_plan(_model_count: int) -> tuple[tuple[type[Any], ...], tuple[type[Any], ...]]:
    """Which scoped models a mixin-wide lambda covers, and which need their own option.

    A model is covered by the class in its MRO that defines its ``__area_criteria__``
    when that class also defines ``__area_criteria_between__`` and no mapped subclass of
    it defines criteria of its own (a lambda on a mixin applies to every subclass). The
    number of scoped models is the cache key, for tests that map models later."""
    models = scoped_models()
    by_definer: dict[type[Any], list[type[Any]]] = {}
    for cls in models:
        definer = next(k for k in cls.__mro__ if "__area_criteria__" in vars(k))
        by_definer.setdefault(definer, []).append(cls)
    mixins: list[type[Any]] = []
    others: list[type[Any]] = []
    for definer, members in by_definer.items():
        subclasses = [cls for cls in models if issubclass(cls, definer)]
        if (
            "__area_criteria_between__" in vars(definer)
            and definer not in members
            and all(cls in members for cls in subclasses)
        ):
            mixins.append(definer)
        else:
            others.extend(members)
    return tuple(mixins), tuple(others)


def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # criteria of the parent statement already propagate to these
    info = state.session.info
    if state.execution_options.get("bangfu_uniqueness_check") and info.get("actor") is not None:
        # The one unscoped read: whether a unique key (an ID number digest) is taken
        # anywhere in the city. It returns a key only, which callers compare and drop.
        return
    options = session_options(state.session)
    if options and state.execution_options.get("bangfu_area_options") is not options:
        state.statement = state.statement.options(*options)


def region_within_area(actor: Actor | None, path: str) -> bool:
    """Whether the region at ``path`` lies inside all that ``actor`` may read.

    Then rows of an ``area_path``-scoped model between the region's bounds
    (``path_bounds(path)``) need no criteria of the actor's own: its range contains the
    region's. A paired official reads paired persons only, never a whole region. The
    compiled count of a region reads the area-path index once this way, without the
    actor's range beside the region's (the database compared every row twice).
    """
    return (
        actor is not None
        and not actor.paired_only
        and actor.area_path is not None
        and path.endswith("/")
        and path.startswith(actor.area_path)
    )


def session_options(session: Session) -> tuple[ORMOption, ...]:
    """The criteria :func:`area_options` gives the actor of ``session``, kept for the
    session. A statement built once with exactly these (the same tuple) and marked
    ``execution_options(bangfu_area_options=<it>)`` is not given them twice: its cache
    key, memoised on the statement, is then not computed again for every request."""
    info = session.info
    options = info.get("_area_options")
    if options is None or info.get("_area_options_actor") is not info.get("actor"):
        options = area_options(info.get("actor"))
        info["_area_options"] = options
        info["_area_options_actor"] = info.get("actor")
    return options


def install() -> None:
    """Register the listener on every ORM session (idempotent)."""
    if not event.contains(Session, "do_orm_execute", _scope_statement):
        event.listen(Session, "do_orm_execute", _scope_statement)
    if not event.contains(Mapper, "after_mapper_constructed", _mapper_added):
        event.listen(Mapper, "after_mapper_constructed", _mapper_added)


def _mapper_added(_mapper: Mapper[Any], _cls: type[Any]) -> None:
    _scoped_models.cache_clear()
