"""Field permissions: one core class for every action, core's and plugins' alike."""

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from schema.audit import audit_denial


class IsAuthenticated(BasePermission):
    """The request carries a valid token."""

    message = "authentication required: log in and send the token as 'Authorization: Bearer ...'"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def __init__(self, action: str | None = None) -> None:
        self.action = action  # what the field needs after the login (for the audit row)

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.actor.is_authenticated:
            return True
        await audit_denial(info, self.action or "authenticate", "UNAUTHENTICATED", kwargs)
        return False


class Allowed(BasePermission):
    """The actor holds ``action`` (decided by the plugin host's veto rule)."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, action: str) -> None:
        self.action = action
        self.message = f"you are not allowed to {action}"

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.actor.is_authenticated and info.context.allowed(self.action):
            return True
        await audit_denial(info, self.action, "FORBIDDEN", kwargs)  # one committed row
        return False


def requires(action: str) -> list[FieldExtension]:
    """Field extensions that demand a login, then ``action``."""
    return [
        PermissionExtension(
            permissions=[IsAuthenticated(action), Allowed(action)], use_directives=False
        )
    ]
