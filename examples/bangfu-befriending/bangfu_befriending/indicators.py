"""The befriending plugin's assessment indicator (R9): of the children an organisation
befriends, the share it contacted in the last 90 days.

Computed for every organisation in two statements, whatever the number of units.
"""

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import (
    AssessmentItem,
    AssessmentPeriod,
    IndicatorScore,
    Organisation,
    Person,
    Unit,
    UnitKind,
    age_on,
    path_within,
)
from bangfu_befriending.models import Contact, Relationship

INDICATOR = "befriending_children_contacted"
TITLE = "Befriended children contacted in the last 90 days"
WINDOW_DAYS = 90
ADULT_AGE = 18


async def children_contacted(
    session: AsyncSession, period: AssessmentPeriod
) -> Sequence[IndicatorScore]:
    as_of = period.as_of
    befriended = (
        await session.execute(
            select(Organisation.code, Organisation.name, Person.id, Person.name, Person.birth_date)
            .select_from(Relationship)
            .join(Organisation, Organisation.id == Relationship.organisation_id)
            .join(Person, Person.id == Relationship.person_id)
            .where(
                Relationship.since <= as_of,
                or_(Relationship.until.is_(None), Relationship.until >= as_of),
                path_within(Person.area_path, period.region_path),
            )
            .distinct()
            .order_by(Organisation.code, Person.name, Person.id)
        )
    ).all()
    befriended = [row for row in befriended if age_on(row[4], as_of) < ADULT_AGE]
    if not befriended:
        return []
    window_start = as_of - dt.timedelta(days=WINDOW_DAYS - 1)
    last_contacts = {
        (code, person_id): last
        for code, person_id, last in (
            await session.execute(
                select(Organisation.code, Contact.person_id, func.max(Contact.contacted_on))
                .select_from(Contact)
                .join(Organisation, Organisation.id == Contact.organisation_id)
                .where(
                    Contact.contacted_on >= window_start,
                    Contact.contacted_on <= as_of,
                    Contact.person_id.in_({row[2] for row in befriended}),
                )
                .group_by(Organisation.code, Contact.person_id)
            )
        ).all()
    }
    units: dict[str, tuple[str, list[AssessmentItem]]] = {}
    for code, organisation_name, person_id, person_name, _birth in befriended:
        last = last_contacts.get((code, person_id))
        note = (
            f"last contact {last}, {(as_of - last).days} days ago"
            if last is not None
            else f"no contact in the {WINDOW_DAYS} days to {as_of}"
        )
        units.setdefault(code, (organisation_name, []))[1].append(
            AssessmentItem(label=person_name, met=last is not None, person_id=person_id, note=note)
        )
    return [
        IndicatorScore(
            indicator=INDICATOR,
            title=TITLE,
            unit=Unit(kind=UnitKind.ORGANISATION, key=code, name=name),
            items=tuple(items),
        )
        for code, (name, items) in sorted(units.items())
    ]
