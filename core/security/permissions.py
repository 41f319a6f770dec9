"""Actions, their grants to roles, and the veto rule that decides a permission check."""

import dataclasses

from core.security.actor import Actor, Role

ALL_ROLES = frozenset(Role)
STAFF_ROLES = frozenset(
    {Role.CITY_ADMINISTRATOR, Role.CIVIL_AFFAIRS_OFFICER, Role.DEPARTMENT_OFFICER, Role.SUPERVISOR}
)


@dataclasses.dataclass(frozen=True)
class Action:
    """A permission such as ``registry:write`` or ``education:write``.

    ``roles`` are the roles granted the action. When ``department`` is set, a
    ``DEPARTMENT_OFFICER`` holds the action only if their organisation is that
    department (the owning organisation writes a plugin's data).
    """

    name: str
    description: str
    roles: frozenset[Role]
    department: str | None = None

    def granted_to(self, actor: Actor) -> bool:
        for role in actor.roles & self.roles:
            if role is Role.DEPARTMENT_OFFICER and self.department is not None:
                if actor.department == self.department:
                    return True
                continue
            return True
        return False


CORE_ACTIONS = (
    Action("registry:read", "Read persons, households and categories in one's area", ALL_ROLES),
    Action(
        "registry:write",
        "Create and change persons and households",
        frozenset({Role.CITY_ADMINISTRATOR, Role.CIVIL_AFFAIRS_OFFICER}),
    ),
    Action(
        "category:write",
        "Certify and end hardship categories (R2)",
        frozenset({Role.CITY_ADMINISTRATOR, Role.CIVIL_AFFAIRS_OFFICER}),
    ),
)


def decide(votes: list[bool | None]) -> bool:
    """The veto rule: any False denies; otherwise any True allows; otherwise deny."""
    if any(vote is False for vote in votes):
        return False
    return any(vote is True for vote in votes)
