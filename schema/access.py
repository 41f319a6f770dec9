"""Access rules of fields: who may read what, and the start-up check that every root
field and every plugin field has a rule.

Three kinds of rule, all field extensions:

* ``requires(action)`` (``bangfu.schema.permissions``): a login, then the action;
* ``public()``: anybody, logged in or not (the login mutation, the plugin list);
* ``person_data(...)``: a person's sensitive or child data (PIPL art. 28): the action that
  reads the field, and — for a child under 14 or a sensitive field — an action that only
  roles whose duty needs the data hold. Everyone else gets null and a FORBIDDEN error for
  that field; the rest of the person stays intact.
"""

from collections.abc import Iterable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info
from strawberry.types.base import get_object_definition

from bangfu.core.calendar import age_on
from bangfu.core.i18n import _
from bangfu.core.registry.models import Person
from bangfu.schema.audit import audit_denial
from bangfu.schema.permissions import Allowed, Guard, IsAuthenticated

CHILD_AGE = 14


class MissingAccessRuleError(RuntimeError):
    """A root or plugin field declares no access rule: the service does not start."""


class Public(FieldExtension):
    """Marks a field anybody may use (the rule is: no rule)."""


def public() -> list[FieldExtension]:
    return [Public()]


class ChildDataGuard(BasePermission):
    """Data of a child under 14 beyond name, age, area and categories needs ``action``."""

    error_extensions = {"code": "FORBIDDEN"}

    def __init__(self, action: str) -> None:
        self.action = action

    @property
    def message(self) -> str:  # type: ignore[override]
        return _("data of a child under {age} needs {action}", age=CHILD_AGE, action=self.action)

    def allows(self, source: Any, info: Info) -> bool:
        return (
            not isinstance(source, Person)
            or age_on(source.birth_date, info.context.today) >= CHILD_AGE
            or bool(info.context.allowed(self.action, source))
        )

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if self.allows(source, info):
            return True
        await audit_denial(info, self.action, "FORBIDDEN", kwargs)
        return False


class SensitiveGuard(Allowed):
    """Sensitive personal data (disability, diagnoses) needs ``action`` for anyone's."""

    @property
    def message(self) -> str:  # type: ignore[override]
        return _("this sensitive field needs {action}", action=self.action)


def person_data(
    read: str = "registry:read",
    *,
    sensitive: str | None = None,
    child: str | None = "registry:read-sensitive",
) -> list[FieldExtension]:
    """The rule of a field on ``Person``.

    :param read: the action that reads the field at all (a plugin's ``<name>:read``).
    :param sensitive: an action needed for every person's value of this field.
    :param child: the action needed when the person is a child under 14 (None: the field
        is one of name, age, area or categories, which anyone who reads may see).
    """
    permissions: list[BasePermission] = [IsAuthenticated(), Allowed(read)]
    if sensitive is not None:
        permissions.append(SensitiveGuard(sensitive))
    if child is not None:
        permissions.append(ChildDataGuard(child))
    return [Guard(permissions)]


# Core's permissions, whose ``allows`` reads ``info.context`` and the source only: a fast
# path may ask them itself (bangfu.schema.execution, bangfu.schema.prefetch).
CORE_PERMISSIONS = (IsAuthenticated, Allowed, SensitiveGuard, ChildDataGuard)


def core_guard(definition: Any) -> Guard | bool | None:
    """The one :class:`Guard` of a Strawberry field ``definition`` when each of its checks
    is core's (``allows`` reads only ``info.context`` and the source); None when the
    field has no extension; False otherwise (a check only the ordinary path may run)."""
    extensions = getattr(definition, "extensions", None) or []
    if not extensions:
        return None
    if len(extensions) == 1 and type(extensions[0]) is Guard:
        guard = extensions[0]
        if guard.fast and all(type(p) in CORE_PERMISSIONS for p in guard.permissions):
            return guard
    return False


def has_access_rule(field: Any) -> bool:
    return any(isinstance(e, (PermissionExtension, Public)) for e in field.extensions)


def check_access_rules(roots: Iterable[type], extensions: Iterable[tuple[str, str, type]]) -> None:
    """Refuse to start when a root field or a plugin's field on a core type has no rule."""
    missing = [
        f"{definition.name}.{field.python_name}"
        for definition in (get_object_definition(root, strict=True) for root in roots)
        for field in definition.fields
        if not has_access_rule(field)
    ]
    missing += [
        f"{type_name}.{field.python_name} (plugin {plugin})"
        for plugin, type_name, mixin in extensions
        for field in get_object_definition(mixin, strict=True).fields
        if not has_access_rule(field)
    ]
    if missing:
        raise MissingAccessRuleError(
            "fields without an access rule (add extensions=requires(...), person_data(...) "
            f"or public()): {', '.join(sorted(missing))}"
        )
