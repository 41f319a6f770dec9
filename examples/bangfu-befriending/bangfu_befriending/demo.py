"""The befriending plugin's demo (``bangfu demo``, ``bangfu serve --demo``, so
``python3 dev.py run``): a login for each city mass organisation and their befriending.

* ``befriending-union`` (市总工会), ``befriending-women`` (市妇联) and ``befriending-youth``
  (团市委): members (``MASS_ORGANISATION_MEMBER``) of the reference organisations
  ``141000-trade-union``, ``141000-womens-federation`` and ``141000-youth-league``, for the
  whole city. Each is the volunteer of their organisation's demo befriending, so each sees
  it after logging in (``befriendingRelationships``, ``befriendingOpenFlags``,
  ``Person.befriending``).
* The women's federation and the youth league befriend about a third of the demo children
  (half each), the trade union about one adult in twenty; every relationship has up to
  three contacts, some with an emotional-state note, and a few have an open flag of a
  worsened emotional state (at least one per organisation).
"""

import datetime as dt
import decimal
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.plugin import DemoUser, Organisation, Role, User, age_on, today
from bangfu_befriending.models import Contact, ContactKind, Flag, Relationship

UNION = "141000-trade-union"
WOMEN = "141000-womens-federation"
YOUTH = "141000-youth-league"

#: The demo logins, one per city mass organisation (the names start with the plugin's).
USERS = (
    DemoUser(
        "befriending-union", "市总工会志愿者", (Role.MASS_ORGANISATION_MEMBER,), UNION, "141000"
    ),
    DemoUser(
        "befriending-women", "市妇联志愿者", (Role.MASS_ORGANISATION_MEMBER,), WOMEN, "141000"
    ),
    DemoUser(
        "befriending-youth", "团市委志愿者", (Role.MASS_ORGANISATION_MEMBER,), YOUTH, "141000"
    ),
)

CALM = ("情绪稳定，学习积极", "性格开朗，和同学相处融洽", "情绪平稳，愿意交流", "精神状态良好")
WORRIED = ("近来沉默寡言，不愿上学", "因家人住院情绪低落", "夜里失眠，常哭泣")
HELP = ("学习用品", "冬衣一套", "米面油", "陪同就医", "辅导作业")
FLAG_NOTES = (
    "情绪明显低落，多次说不想上学，请包联干部尽快看望",
    "家中变故后拒绝交流，需要心理疏导",
    "近两周情绪反复，夜里哭泣，请关注",
)


async def load(session: AsyncSession, households: Sequence[Any], rng: random.Random) -> None:
    """The demo befriending, by the demo users of the three organisations (created before
    the demo rows); nothing when they are missing."""
    volunteers: dict[str, tuple[int, int]] = {}  # organisation code: (user, organisation)
    for spec in USERS:
        user = await session.scalar(select(User).where(User.username == spec.username))
        organisation = await session.scalar(
            select(Organisation).where(Organisation.code == spec.organisation_code)
        )
        if user is None or organisation is None:
            return  # the demo users are not there (demo rows loaded on their own)
        volunteers[spec.organisation_code] = (user.id, organisation.id)
    day = today()
    flagged: set[str] = set()
    for household in households:
        for person, _relation in household.demo_members:
            if age_on(person.birth_date, day) < 18:
                if rng.random() > 0.33:
                    continue
                code = WOMEN if rng.random() < 0.5 else YOUTH
            elif rng.random() < 0.05:
                code = UNION
            else:
                continue
            volunteer_id, organisation_id = volunteers[code]
            since = day - dt.timedelta(days=rng.randint(120, 700))
            relationship = Relationship(
                person_id=person.id,
                volunteer_id=volunteer_id,
                organisation_id=organisation_id,
                since=since,
            )
            session.add(relationship)
            await session.flush()
            worried = False
            for _ in range(rng.randint(1, 3)):
                note = None
                if rng.random() < 0.6:
                    worried = rng.random() < 0.15
                    note = rng.choice(WORRIED if worried else CALM)
                session.add(
                    Contact(
                        relationship_id=relationship.id,
                        person_id=person.id,
                        organisation_id=organisation_id,
                        contacted_on=day - dt.timedelta(days=rng.randint(1, 119)),
                        kind=rng.choice(list(ContactKind)),
                        family_changes="家人住院" if rng.random() < 0.1 else None,
                        emotional_state=note,
                        help_given=rng.choice(HELP) if rng.random() < 0.3 else None,
                        donation_yuan=decimal.Decimal(rng.choice(("100.00", "200.00")))
                        if rng.random() < 0.2
                        else None,
                    )
                )
            if worried or code not in flagged:
                flagged.add(code)
                session.add(
                    Flag(
                        person_id=person.id,
                        organisation_id=organisation_id,
                        raised_by_id=volunteer_id,
                        raised_on=day - dt.timedelta(days=rng.randint(0, 14)),
                        note=rng.choice(FLAG_NOTES),
                    )
                )
