"""Actions, their grants to roles, and the veto rule that decides a permission check."""

import dataclasses
from collections.abc import Iterable

from bangfu.core.security.actor import Actor, ActorKind, Role

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


DUTY_ROLES = frozenset({Role.CITY_ADMINISTRATOR, Role.CIVIL_AFFAIRS_OFFICER, Role.PAIRED_OFFICIAL})
CARE_MANAGERS = frozenset({Role.CITY_ADMINISTRATOR, Role.CIVIL_AFFAIRS_OFFICER})

CORE_ACTIONS = (
    Action("registry:read", "Read persons, households and categories in one's area", ALL_ROLES),
    Action(
        "registry:write",
        "Create and change persons and households",
        frozenset({Role.CITY_ADMINISTRATOR, Role.CIVIL_AFFAIRS_OFFICER}),
    ),
    Action(
        "organisation:write",
        "Create township and village organisations in one's area (R7)",
        frozenset({Role.CITY_ADMINISTRATOR, Role.CIVIL_AFFAIRS_OFFICER}),
    ),
    Action(
        "category:write",
        "Certify and end hardship categories (R2)",
        frozenset({Role.CITY_ADMINISTRATOR, Role.CIVIL_AFFAIRS_OFFICER}),
    ),
    Action(
        "registry:read-sensitive",
        "Read disability details, all data of children under 14 and the care work's "
        "free-text notes (PIPL art. 28)",
        DUTY_ROLES,
    ),
    Action(
        "registry:reveal",
        "Reveal a person's full ID number, with a reason that is audited",
        DUTY_ROLES,
    ),
    Action(
        "audit:read",
        "Read the audit trail (auditLog)",
        frozenset({Role.CITY_ADMINISTRATOR, Role.SUPERVISOR}),
    ),
    # The care work (core/care, R4-R7). Paired officials read only their own persons'
    # pairings and events (area scoping); supervisors and mass organisations read.
    Action("care:read", "Read screening, plans, pairings, care events, donations", ALL_ROLES),
    Action("screening:write", "Run screening campaigns (R5)", CARE_MANAGERS),
    Action(
        "screening:visit",
        "Record screening visits and the problems found: civil-affairs staff and the "
        "grassroots workers of townships and villages (R7)",
        CARE_MANAGERS | {Role.GRASSROOTS_WORKER},
    ),
    Action(
        "plan:write",
        "Add plan measures and change their status (R5)",
        CARE_MANAGERS | {Role.DEPARTMENT_OFFICER},
    ),
    Action(
        "pairing:write", "Start and end pairings; keep anyone's five knowns (R6)", CARE_MANAGERS
    ),
    Action(
        "pairing:five-knowns",
        "Keep the five knowns of one's own pairings (R6)",
        CARE_MANAGERS | {Role.PAIRED_OFFICIAL},
    ),
    Action(
        "care:raise",
        "Raise a care event (R6)",
        DUTY_ROLES
        | {Role.DEPARTMENT_OFFICER, Role.MASS_ORGANISATION_MEMBER, Role.GRASSROOTS_WORKER},
    ),
    Action("care:respond", "Answer care events of one's paired persons (R6)", DUTY_ROLES),
    Action("care:respond-any", "Answer any care event in one's area (R6)", CARE_MANAGERS),
    Action("care:holidays", "Raise the holiday events of a major holiday (R6)", CARE_MANAGERS),
    Action(
        "donation:write",
        "Record social donations (R4, R8)",
        CARE_MANAGERS | {Role.MASS_ORGANISATION_MEMBER},
    ),
    Action("donation:allocate", "Allocate donations to plan measures (R4)", CARE_MANAGERS),
    # The bottom line and the assessment (R3, R9) and the Excel reports.
    Action(
        "assessment:read",
        "Read the annual assessment of units and officials, with the lists behind it (R9)",
        STAFF_ROLES,
    ),
    Action(
        "report:export",
        "Download Excel workbooks: the hardship roster and the assessment of one's area",
        CARE_MANAGERS | {Role.SUPERVISOR},
    ),
)


def plugin_actions(
    plugin: str, subject: str, *, writers: Iterable[Role] = (Role.DEPARTMENT_OFFICER,)
) -> list[Action]:
    """The three actions every domain plugin has, owned by its department.

    ``<plugin>:read`` — the plugin's non-sensitive fields, for anyone whose area covers
    the person; ``<plugin>:read-sensitive`` — its sensitive fields and its data about
    children under 14, for the writers and the roles whose duty needs them;
    ``<plugin>:write`` — its records, for the writers and city administrators.

    :param writers: the roles beside city administrators that write the plugin's records.
        A ``DEPARTMENT_OFFICER`` among them writes only if their organisation is the
        plugin's department (the default); a plugin owned by civil affairs rather than
        a department passes ``writers=(Role.CIVIL_AFFAIRS_OFFICER,)``.
    """
    writing = frozenset(writers)
    return [
        Action(f"{plugin}:read", f"Read {subject}", ALL_ROLES),
        Action(
            f"{plugin}:read-sensitive",
            f"Read sensitive {subject} and children's {subject}",
            DUTY_ROLES | writing,
            department=plugin,
        ),
        Action(
            f"{plugin}:write",
            f"Record {subject}",
            frozenset({Role.CITY_ADMINISTRATOR}) | writing,
            department=plugin,
        ),
    ]


def client_vote(actor: Actor, action: str) -> bool | None:
    """Partner clients are read-only, and read a plugin's data only with its scope."""
    if actor.kind is not ActorKind.CLIENT:
        return None
    plugin, _, verb = action.partition(":")
    if verb != "read":
        return False
    if plugin != "registry" and f"plugin:{plugin}" not in getattr(actor, "scopes", frozenset()):
        return False
    return None


def decide(votes: list[bool | None]) -> bool:
    """The veto rule: any False denies; otherwise any True allows; otherwise deny."""
    if any(vote is False for vote in votes):
        return False
    return any(vote is True for vote in votes)
