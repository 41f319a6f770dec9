"""Area scoping, enforced once for every ORM statement (deny by default).

A ``do_orm_execute`` listener adds one ``with_loader_criteria`` per area-scoped model to
every SELECT, UPDATE and DELETE a session runs, built from the actor in
``session.info["actor"]``. Resolvers, DataLoaders, ``node(id:)``, counts and aggregates
all go through it; none of them filters by area on its own.
"""

import functools
import weakref
from typing import Any

from sqlalchemy import Select, and_, event, false
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
    if state.execution_options.get("bangfu_global_only") and all(
        getattr(mapper.class_, "__area_scope__", None) == "global" for mapper in state.all_mappers
    ):
        # A read of global tables only (the token lookup): no criteria to add, and none
        # to turn into the statement's cache key. A scoped table in it gets them all.
        return
    if state.execution_options.get(WITHIN_AREA) and _within_area(state):
        return
    options = session_options(state.session)
    if options and state.execution_options.get("bangfu_area_options") is not options:
        state.statement = state.statement.options(*options)


#: An execution option: the statement reads one ``area_path``-scoped model between the
#: bound parameters :data:`WITHIN_LOWER` and :data:`WITHIN_UPPER` (a region's bounds, from
#: ``path_bounds``) and nothing else (the compiled count of a region, schema/compiled.py).
#: When that region lies inside the actor's area the actor's range is implied, and adding
#: it would make the database compare every row twice; this module checks the bounds.
WITHIN_AREA = "bangfu_within_area"
WITHIN_LOWER = "bangfu_within_lower"
WITHIN_UPPER = "bangfu_within_upper"


def _within_area(state: ORMExecuteState) -> bool:
    """Whether a :data:`WITHIN_AREA` statement's bounds lie inside its actor's area: one
    mapper, scoped by its own ``area_path``, an actor who sees the whole area (not only
    paired persons), and a region's exact bounds under the actor's path."""
    actor = state.session.info.get("actor")
    parameters = state.parameters
    if (
        actor is None
        or actor.paired_only
        or actor.area_path is None
        or not isinstance(parameters, dict)
        or not _reads_one_area_path_table(state.statement)
    ):
        return False
    lower, upper = parameters.get(WITHIN_LOWER), parameters.get(WITHIN_UPPER)
    if not isinstance(lower, str) or not isinstance(upper, str) or not lower.endswith("/"):
        return False
    return lower.startswith(actor.area_path) and path_bounds(lower) == (lower, upper)


#: Statements :func:`_reads_one_area_path_table` has looked at (by ``id``, with a weak
#: reference that tells a reused ``id`` apart): a plan's statement is asked once, not per
#: request (finding a statement's FROM list costs more than counting a township).
_ONE_TABLE: dict[int, tuple[weakref.ref[Any], bool]] = {}


def _reads_one_area_path_table(statement: Any) -> bool:
    """Whether ``statement`` is a SELECT from one table, of a model scoped by its own
    ``area_path``."""
    known = _ONE_TABLE.get(id(statement))
    if known is not None and known[0]() is statement:
        return known[1]
    froms = statement.get_final_froms() if isinstance(statement, Select) else ()
    verdict = len(froms) == 1 and froms[0] in _area_path_tables(len(scoped_models()))
    if len(_ONE_TABLE) >= 256:
        _ONE_TABLE.clear()
    _ONE_TABLE[id(statement)] = (weakref.ref(statement), verdict)
    return verdict


@functools.lru_cache(maxsize=8)
def _area_path_tables(_model_count: int) -> frozenset[Any]:
    """The tables of the models scoped by their own ``area_path`` (the count is the key,
    as in :func:`_scoping_plan`)."""
    return frozenset(cls.__table__ for cls in scoped_models() if cls.__area_scope__ == "area_path")


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
