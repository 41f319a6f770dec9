"""Running a mutation: one transaction, payload errors, audit, the payload (core and plugins).

:func:`run_mutation` is the one way a mutation runs its use case (the lesson of Saleor's
``BaseMutation``): the work runs in one write transaction as the request's actor, audited
(``bangfu.schema.audit.audited_write``); a :class:`~bangfu.core.errors.DomainError` rolls
everything back and becomes the payload's ``errors``, of the payload's own error type; on
success the payload holds what the work returned. A resolver never tells a result from a
list of errors.
"""

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, overload

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info
from strawberry.types.base import StrawberryList, StrawberryOptional, get_object_definition

from bangfu.core.errors import DomainError, FieldError

P = TypeVar("P")
S = TypeVar("S")


@dataclasses.dataclass(frozen=True)
class _PayloadShape:
    error_type: type
    data_fields: tuple[str, ...]  # the Python names of the fields besides ``errors``
    defaults: Mapping[str, Any]  # what a data field holds when the input was refused


_shapes: dict[type, _PayloadShape] = {}


def _shape(payload: type) -> _PayloadShape:
    shape = _shapes.get(payload)
    if shape is None:
        shape = _shapes[payload] = _read_shape(payload)
    return shape


def _read_shape(payload: type) -> _PayloadShape:
    definition = get_object_definition(payload, strict=True)
    error_type: Any = None
    data: list[str] = []
    defaults: dict[str, Any] = {}
    for field in definition.fields:
        if field.python_name == "errors":
            of = field.type
            if isinstance(of, StrawberryOptional):
                of = of.of_type
            if isinstance(of, StrawberryList):
                error_type = of.of_type
            continue
        data.append(field.python_name)
        default = field.default
        defaults[field.python_name] = None if default is dataclasses.MISSING else default
    if not isinstance(error_type, type) or get_object_definition(error_type) is None:
        raise TypeError(
            f"{payload.__qualname__}: a mutation payload needs a field `errors: list[<error "
            "type>]` whose error type implements the Error interface"
        )
    return _PayloadShape(error_type, tuple(data), defaults)


def refused(payload: type[P], errors: list[FieldError]) -> P:
    """``payload`` for a refused input: every data field empty, ``errors`` of its error type."""
    shape = _shape(payload)
    return payload(  # type: ignore[call-arg]
        **shape.defaults,
        errors=[shape.error_type(field=e.field, message=e.message, code=e.code) for e in errors],
    )


def succeeded(payload: type[P], result: Any) -> P:
    """``payload`` holding ``result``: a mapping of its data fields (Python names), or the
    value of its only data field."""
    shape = _shape(payload)
    if isinstance(result, Mapping):
        unknown = set(result) - set(shape.data_fields)
        if unknown:
            raise TypeError(f"{payload.__qualname__} has no field {', '.join(sorted(unknown))}")
        values = {**shape.defaults, **result}
    elif len(shape.data_fields) == 1:
        values = {shape.data_fields[0]: result}
    else:
        raise TypeError(
            f"{payload.__qualname__} has fields {', '.join(shape.data_fields)}: "
            "the work must return a mapping of them"
        )
    return payload(**values, errors=[])  # type: ignore[call-arg]


@overload
async def run_mutation(
    info: Info, payload: type[P], work: Callable[[AsyncSession], Awaitable[Any]]
) -> P: ...


@overload
async def run_mutation(
    info: Info,
    payload: type[P],
    work: Callable[[S], Awaitable[Any]],
    *,
    service: Callable[[AsyncSession, Any], S],
) -> P: ...


async def run_mutation(
    info: Info,
    payload: type[P],
    work: Callable[[Any], Awaitable[Any]],
    *,
    service: Callable[[AsyncSession, Any], Any] | None = None,
) -> P:
    """Run ``work`` in one audited write transaction and answer with ``payload``.

    ``work`` receives the transaction's session, or ``service(session, info.context)`` when
    ``service`` is given (a plugin's use-case class). It returns the value of the payload's
    only data field, or a mapping of its data fields by Python name. When it raises a
    :class:`~bangfu.core.errors.DomainError`, everything is rolled back (the audit trail
    keeps one ``failed`` row) and the payload carries the errors, all of them, as its
    ``errors`` type; its data fields are empty. Any other exception is a request error.
    """
    _shape(payload)  # a payload without errors fails before anything is written
    context = info.context
    try:
        async with context.write() as session:
            result = await work(session if service is None else service(session, context))
    except DomainError as exc:
        return refused(payload, exc.errors)
    return succeeded(payload, result)
