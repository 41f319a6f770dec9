"""Who may read what of the befriending work (R8).

* Relationships (who befriends whom, for which organisation, since when) are read with
  ``befriending:read`` by staff whose area covers the person.
* Contacts and flags are read only by the organisation that wrote them, the person's
  paired official (a current pairing) and city administrators: ``may_read`` below, after
  the action ``befriending:read-contacts``.
* A contact's emotional-state note is sensitive: it also needs
  ``befriending:read-sensitive``, and every read of it is audited.
"""

import datetime as dt
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true

from bangfu.plugin import Action, Actor, OrganisationKind, Pairing, Role

NAME = "befriending"
READ = f"{NAME}:read"
READ_CONTACTS = f"{NAME}:read-contacts"
READ_SENSITIVE = f"{NAME}:read-sensitive"
WRITE = f"{NAME}:write"

#: The owning organisations: only their members write befriending records.
OWNER_KINDS = frozenset(
    {
        OrganisationKind.TRADE_UNION,
        OrganisationKind.WOMENS_FEDERATION,
        OrganisationKind.YOUTH_LEAGUE,
    }
)
_CONTACT_READERS = frozenset(
    {Role.CITY_ADMINISTRATOR, Role.MASS_ORGANISATION_MEMBER, Role.PAIRED_OFFICIAL}
)


def actions() -> list[Action]:
    return [
        Action(
            READ,
            "See who befriends a person, for which organisation and since when (R8)",
            frozenset(
                {
                    Role.CITY_ADMINISTRATOR,
                    Role.CIVIL_AFFAIRS_OFFICER,
                    Role.MASS_ORGANISATION_MEMBER,
                    Role.PAIRED_OFFICIAL,
                    Role.SUPERVISOR,
                }
            ),
        ),
        Action(
            READ_CONTACTS,
            "Read befriending contacts and flags: one's own organisation's, one's paired "
            "persons', or (administrators) all in one's area",
            _CONTACT_READERS,
        ),
        Action(
            READ_SENSITIVE,
            "Read emotional-state notes and befriending data of children under 14",
            _CONTACT_READERS,
        ),
        Action(
            WRITE,
            "Befriend persons, record contacts, raise and close flags (trade union, women's "
            "federation and youth league members)",
            frozenset({Role.MASS_ORGANISATION_MEMBER}),
        ),
    ]


def may_read(actor: Actor, organisation_id: int, paired_officials: Sequence[int]) -> bool:
    """The row rule of contacts and flags (after ``befriending:read-contacts``)."""
    if Role.CITY_ADMINISTRATOR in actor.roles:
        return True
    if Role.MASS_ORGANISATION_MEMBER in actor.roles and actor.organisation_id == organisation_id:
        return True
    return Role.PAIRED_OFFICIAL in actor.roles and actor.id in paired_officials


def readable_rows(model: Any, actor: Actor, today: dt.date) -> ColumnElement[bool]:
    """``may_read`` as a condition on the rows of ``model`` (a relationship, contact or
    flag): all for a city administrator, else one's own organisation's (a member) and one's
    current paired persons' (a paired official)."""
    if Role.CITY_ADMINISTRATOR in actor.roles:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if Role.MASS_ORGANISATION_MEMBER in actor.roles and actor.organisation_id is not None:
        conditions.append(model.organisation_id == actor.organisation_id)
    if Role.PAIRED_OFFICIAL in actor.roles:
        paired = select(Pairing.person_id).where(
            Pairing.official_id == actor.id,
            Pairing.start_date <= today,
            or_(Pairing.end_date.is_(None), Pairing.end_date > today),
        )
        conditions.append(model.person_id.in_(paired))
    return or_(*conditions) if conditions else false()


def paired_officials(context: Any) -> Callable[[Sequence[int]], Coroutine[Any, Any, list[Any]]]:
    """DataLoader batch: per person, the user IDs of the officials paired with them today."""

    async def load(person_ids: Sequence[int]) -> list[list[int]]:
        today = context.today
        statement = select(Pairing.person_id, Pairing.official_id).where(
            Pairing.person_id.in_(person_ids),
            Pairing.start_date <= today,
            or_(Pairing.end_date.is_(None), Pairing.end_date > today),
        )
        async with context.read() as session:
            rows = (await session.execute(statement)).all()
        return [[o for p, o in rows if p == person_id] for person_id in person_ids]

    return load
