"""Field permissions: one core class for every action, core's and plugins' alike."""

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info


class IsAuthenticated(BasePermission):
    """The request carries a valid token."""

    message = "authentication required: log in and send the token as 'Authorization: Bearer ...'"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return bool(info.context.actor.is_authenticated)


class Allowed(BasePermission):
    """The actor holds ``action`` (decided by the plugin host's veto rule)."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, action: str) -> None:
        self.action = action
        self.message = f"you are not allowed to {action}"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return bool(info.context.actor.is_authenticated and info.context.allowed(self.action))


def requires(action: str) -> list[FieldExtension]:
    """Field extensions that demand a login, then ``action``."""
    return [
        PermissionExtension(permissions=[IsAuthenticated(), Allowed(action)], use_directives=False)
    ]
