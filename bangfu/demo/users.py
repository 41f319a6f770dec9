"""Demo logins (``bangfu demo``, ``bangfu serve --demo``): core's eleven and the plugins'.

Core's users cover each core role in the city and two counties, and the grassroots
workers of a township and a village of 襄汾县 (R7); a plugin adds users for its
own work through ``bangfu_demo_users``. Every demo user has :data:`DEMO_PASSWORD` and
``is_demo``: it logs in only in demo mode.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.errors import DomainError
from bangfu.core.plugins import CORE_NAME, DemoUser, PluginError, PluginHost
from bangfu.core.registry.reference import ensure_reference_data
from bangfu.core.security.actor import Role
from bangfu.core.security.models import User
from bangfu.core.security.passwords import hash_password
from bangfu.core.security.users import (
    check_grassroots,
    find_organisation,
    find_region,
    parse_roles,
)
from bangfu.demo.grassroots import (
    TOWNSHIP_CODE,
    TOWNSHIP_PARTY_COMMITTEE,
    TOWNSHIP_USERNAME,
    VILLAGE_CODE,
    VILLAGE_PARTY_BRANCH,
    VILLAGE_USERNAME,
    ensure_demo_grassroots,
)

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoUser", "all_demo_users", "create_demo_users"]

DEMO_PASSWORD = "Demo-2026!linfen"

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "admin", "市民政局管理员", (Role.CITY_ADMINISTRATOR,), "141000-civil-affairs", "141000"
    ),
    DemoUser(
        "xiangfen",
        "襄汾县民政局经办人",
        (Role.CIVIL_AFFAIRS_OFFICER,),
        "141023-civil-affairs",
        "141023",
    ),
    DemoUser(
        "hongtong",
        "洪洞县民政局经办人",
        (Role.CIVIL_AFFAIRS_OFFICER,),
        "141024-civil-affairs",
        "141024",
    ),
    DemoUser("education", "市教育局干部", (Role.DEPARTMENT_OFFICER,), "141000-education", "141000"),
    DemoUser("medical", "市医疗保障局干部", (Role.DEPARTMENT_OFFICER,), "141000-medical", "141000"),
    DemoUser("housing", "市住建局干部", (Role.DEPARTMENT_OFFICER,), "141000-housing", "141000"),
    DemoUser(
        "employment", "市人社局干部", (Role.DEPARTMENT_OFFICER,), "141000-employment", "141000"
    ),
    DemoUser("paired", "襄汾县包联干部", (Role.PAIRED_OFFICIAL,), "141023-government", "141023"),
    DemoUser("supervisor", "市政府督查员", (Role.SUPERVISOR,), "141000-government", "141000"),
    DemoUser(
        TOWNSHIP_USERNAME,
        "襄汾县新城镇党委干部",
        (Role.GRASSROOTS_WORKER,),
        TOWNSHIP_PARTY_COMMITTEE,
        TOWNSHIP_CODE,
    ),
    DemoUser(
        VILLAGE_USERNAME,
        "新城镇新城村党支部干部",
        (Role.GRASSROOTS_WORKER,),
        VILLAGE_PARTY_BRANCH,
        VILLAGE_CODE,
    ),
)


def all_demo_users(host: PluginHost | None = None) -> list[tuple[str, DemoUser]]:
    """``(owner, user)`` for every demo login: core's (owner ``core``), then the plugins'.

    :raises PluginError: a plugin's user name is taken by another demo user.
    """
    users = [(CORE_NAME, user) for user in DEMO_USERS]
    if host is not None:
        users += host.demo_users()
    owner_of: dict[str, str] = {}
    for owner, user in users:
        if user.username in owner_of:
            raise PluginError(
                f"demo user {user.username!r} is declared twice "
                f"({owner_of[user.username]} and {owner})"
            )
        owner_of[user.username] = owner
    return users


async def create_demo_users(session: AsyncSession, host: PluginHost | None = None) -> list[User]:
    """Create the demo logins (``is_demo``) that do not exist yet; return them all.

    Core's eleven come first, then those of ``host``'s plugins (``bangfu_demo_users``). Every
    demo user has the password :data:`DEMO_PASSWORD`. Idempotent; flushes.

    :raises PluginError: a plugin's demo user has a user name another demo user has, an
        unknown organisation, a region outside the organisation's or a role a user
        cannot hold.
    """
    users = all_demo_users(host)
    await ensure_reference_data(session)
    await ensure_demo_grassroots(session)
    usernames = [user.username for _owner, user in users]
    existing = {
        user.username: user
        for user in await session.scalars(select(User).where(User.username.in_(usernames)))
    }
    missing = [(owner, user) for owner, user in users if user.username not in existing]
    if missing:
        password_hash = hash_password(DEMO_PASSWORD)  # Argon2 is slow: hash once
        new_users = [
            await _new_user(session, owner, user, password_hash) for owner, user in missing
        ]
        session.add_all(new_users)
        await session.flush()
        existing.update((user.username, user) for user in new_users)
    return [existing[username] for username in usernames]


async def _new_user(session: AsyncSession, owner: str, spec: DemoUser, password_hash: str) -> User:
    """The unsaved demo user of ``spec``, checked like any new user's (organisation, region
    within it, roles)."""
    try:
        organisation = await find_organisation(session, spec.organisation_code)
        region = await find_region(
            session, spec.region_code or organisation.region_code, organisation
        )
        roles = parse_roles(spec.roles)
        if Role.GRASSROOTS_WORKER in roles:
            check_grassroots(organisation, region)
    except DomainError as exc:
        raise PluginError(f"plugin {owner}: demo user {spec.username!r}: {exc}") from None
    return User(
        username=spec.username,
        display_name=spec.display_name,
        password_hash=password_hash,
        organisation_id=organisation.id,
        region_code=region.code,
        roles=[str(role) for role in roles],
        is_demo=True,
    )
