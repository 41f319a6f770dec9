"""Who is asking: every request and every command runs as an actor."""

import dataclasses
import enum


class ActorKind(enum.StrEnum):
    USER = "USER"
    CLIENT = "CLIENT"
    SYSTEM = "SYSTEM"
    ANONYMOUS = "ANONYMOUS"


class Role(enum.StrEnum):
    """Roles that actions are granted to."""

    CITY_ADMINISTRATOR = "CITY_ADMINISTRATOR"
    CIVIL_AFFAIRS_OFFICER = "CIVIL_AFFAIRS_OFFICER"
    DEPARTMENT_OFFICER = "DEPARTMENT_OFFICER"
    PAIRED_OFFICIAL = "PAIRED_OFFICIAL"
    MASS_ORGANISATION_MEMBER = "MASS_ORGANISATION_MEMBER"
    SUPERVISOR = "SUPERVISOR"
    GRASSROOTS_WORKER = "GRASSROOTS_WORKER"
    PARTNER_CLIENT = "PARTNER_CLIENT"


@dataclasses.dataclass(frozen=True)
class Actor:
    """An authenticated user or client, the system (commands), or nobody.

    ``area_path`` is the materialised path of the actor's area (``141000/141023/``);
    everything area-scoped outside that subtree is invisible to the actor.
    """

    kind: ActorKind
    name: str
    id: int | None = None
    organisation_id: int | None = None
    department: str | None = None
    area_path: str | None = None
    roles: frozenset[Role] = frozenset()
    # API clients only: "read" and "plugin:<name>" for each plugin whose fields it may read.
    scopes: frozenset[str] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        return self.kind in (ActorKind.USER, ActorKind.CLIENT, ActorKind.SYSTEM)

    @property
    def sees_everything(self) -> bool:
        """Only the system actor of trusted commands is not area-scoped."""
        return self.kind is ActorKind.SYSTEM

    @property
    def paired_only(self) -> bool:
        """A paired official with no wider role sees only the persons paired with them."""
        return self.roles == {Role.PAIRED_OFFICIAL}

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)


SYSTEM = Actor(kind=ActorKind.SYSTEM, name="system")
ANONYMOUS = Actor(kind=ActorKind.ANONYMOUS, name="anonymous")
