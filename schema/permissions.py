"""Field permissions: one core class for every action, core's and plugins' alike.

Each of core's permission classes decides in a plain function, ``allows``, with no side
effect; ``has_permission`` calls it and, on a refusal, writes the audit row. The field
extension, :class:`Guard`, asks ``allows`` first: an allowed field then resolves without
a coroutine per permission (on a page of persons that is thousands of awaits per request),
and a refusal takes the audited path of ``has_permission``, unchanged.
"""

import inspect
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info
from strawberry.utils.await_maybe import await_maybe

from bangfu.core.i18n import _
from bangfu.schema.audit import audit_denial


class IsAuthenticated(BasePermission):
    """The request carries a valid token."""

    error_extensions = {"code": "UNAUTHENTICATED"}

    @property
    def message(self) -> str:  # type: ignore[override]
        # Read when refusing: in the language of the request.
        return _(
            "authentication required: log in and send the token as 'Authorization: Bearer ...'"
        )

    def __init__(self, action: str | None = None) -> None:
        self.action = action  # what the field needs after the login (for the audit row)

    def allows(self, source: Any, info: Info) -> bool:
        return bool(info.context.actor.is_authenticated)

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if self.allows(source, info):
            return True
        await audit_denial(info, self.action or "authenticate", "UNAUTHENTICATED", kwargs)
        return False


class Allowed(BasePermission):
    """The actor holds ``action`` (decided by the plugin host's veto rule)."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, action: str) -> None:
        self.action = action

    @property
    def message(self) -> str:  # type: ignore[override]
        return _("you are not allowed to {action}", action=self.action)

    def allows(self, source: Any, info: Info) -> bool:
        return bool(info.context.actor.is_authenticated and info.context.allowed(self.action))

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if self.allows(source, info):
            return True
        await audit_denial(info, self.action, "FORBIDDEN", kwargs)  # one committed row
        return False


class Guard(PermissionExtension):
    """A ``PermissionExtension`` that resolves an allowed field without awaiting.

    When every permission has ``allows`` and each says yes, the field resolves as if it
    had no extension (a sync resolver stays sync). Otherwise — a permission without
    ``allows``, or any ``allows`` saying no — the checks run as ``PermissionExtension``
    runs them: ``has_permission`` in order, which audits and refuses.
    """

    def __init__(self, permissions: list[BasePermission]) -> None:
        super().__init__(permissions=permissions, use_directives=False)
        self.checks = [getattr(p, "allows", None) for p in permissions]
        self.fast = all(check is not None for check in self.checks)

    @property
    def supports_sync(self) -> bool:
        return self.fast

    def _allowed(self, source: Any, info: Info) -> bool:
        return self.fast and all(check(source, info) for check in self.checks)  # type: ignore[misc]

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        if self._allowed(source, info):
            return next_(source, info, **kwargs)
        return self._refuse(next_, source, info, kwargs)  # an awaitable: the executor awaits it

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        if self._allowed(source, info):
            result = next_(source, info, **kwargs)
            # A subscription's resolver gives its stream (an async generator), not an awaitable.
            return await result if inspect.isawaitable(result) else result
        return await self._refuse(next_, source, info, kwargs)

    async def _refuse(self, next_: Any, source: Any, info: Info, kwargs: dict[str, Any]) -> Any:
        for permission in self.permissions:
            if not await await_maybe(permission.has_permission(source, info, **kwargs)):
                return self._on_unauthorized(permission)
        result = next_(source, info, **kwargs)  # allowed after all (state changed meanwhile)
        return await result if inspect.isawaitable(result) else result


def requires(action: str) -> list[FieldExtension]:
    """Field extensions that demand a login, then ``action``."""
    return [Guard([IsAuthenticated(action), Allowed(action)])]
