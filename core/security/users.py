"""User accounts: create, disable, reset a password, and the first administrator.

Used by ``bangfu user ...`` and ``bangfu serve``. Every refusal is a :class:`DomainError`
whose ``field`` names the input at fault (``username``, ``organisation``, ``region``,
``role``, ``password``), so that the command can name its argument.
"""

import re
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bangfu.core.db import utcnow
from bangfu.core.errors import DomainError, ErrorCode
from bangfu.core.i18n import _
from bangfu.core.registry.models import GRASSROOTS_LEVELS, Organisation, Region, RegionLevel
from bangfu.core.registry.reference import CITY_CODE, civil_affairs_code, ensure_reference_data
from bangfu.core.security.actor import Role
from bangfu.core.security.models import AccessToken, LoginFailure, User
from bangfu.core.security.passwords import PasswordPolicyError, checked_hash, generate_password

#: The account created on first start when there is no active user.
FIRST_ADMIN_USERNAME = "admin"
FIRST_ADMIN_ORGANISATION = civil_affairs_code(CITY_CODE)  # 141000-civil-affairs
FIRST_ADMIN_REGION = CITY_CODE  # 141000

_USERNAME = re.compile(r"^[\w.@-]{2,64}$")

# Roles a person may hold; PARTNER_CLIENT belongs to API clients only.
USER_ROLES = tuple(role for role in Role if role is not Role.PARTNER_CLIENT)


def _invalid(field: str, message: str, code: ErrorCode = ErrorCode.INVALID_INPUT) -> DomainError:
    return DomainError.of(field, message, code)


async def find_organisation(session: AsyncSession, code: str) -> Organisation:
    organisation = await session.scalar(select(Organisation).where(Organisation.code == code))
    if organisation is None:
        raise _invalid(
            "organisation",
            _("unknown organisation {code}", code=repr(code)),
            ErrorCode.UNKNOWN_ORGANISATION,
        )
    return organisation


async def find_region(session: AsyncSession, code: str, organisation: Organisation) -> Region:
    """The region ``code``, which must lie within the organisation's own region."""
    region = await session.get(Region, code)
    if region is None:
        raise _invalid(
            "region", _("unknown region {code}", code=repr(code)), ErrorCode.UNKNOWN_REGION
        )
    home = await session.get(Region, organisation.region_code)
    if home is not None and not region.path.startswith(home.path):
        raise _invalid(
            "region",
            _(
                "region {code} lies outside the region {home} of organisation {organisation}",
                code=code,
                home=home.code,
                organisation=organisation.code,
            ),
            ErrorCode.OUT_OF_AREA,
        )
    return region


def parse_roles(values: Sequence[str]) -> list[Role]:
    """Role names (case does not matter), at least one, each a role a user may hold."""
    if not values:
        raise _invalid("role", _("give at least one role"))
    roles: list[Role] = []
    for value in values:
        try:
            role = Role(value.strip().upper())
        except ValueError:
            raise _invalid(
                "role",
                _(
                    "unknown role {role} (one of: {roles})",
                    role=repr(value),
                    roles=", ".join(USER_ROLES),
                ),
            ) from None
        if role not in USER_ROLES:
            raise _invalid("role", _("{role} is for API clients, not for users", role=role))
        if role not in roles:
            roles.append(role)
    return roles


async def check_new_user(
    session: AsyncSession,
    username: str,
    *,
    organisation_code: str,
    region_code: str,
    roles: Sequence[str],
) -> tuple[Organisation, Region, list[Role]]:
    """Everything about a new user but the password (checked before asking for it)."""
    if not _USERNAME.match(username):
        raise _invalid(
            "username",
            _("a user name has 2 to 64 letters, digits or the characters . _ - @"),
        )
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise _invalid(
            "username", _("a user named {username} exists already", username=repr(username))
        )
    organisation = await find_organisation(session, organisation_code)
    region = await find_region(session, region_code, organisation)
    parsed = parse_roles(roles)
    if Role.GRASSROOTS_WORKER in parsed:
        check_grassroots(organisation, region)
    return organisation, region, parsed


def check_grassroots(organisation: Organisation, region: Region) -> None:
    """A grassroots worker (R7) belongs to a township or village organisation and works in
    a township or village: anything wider would give a village's role a county's reach."""
    if organisation.kind not in GRASSROOTS_LEVELS:
        raise _invalid(
            "organisation",
            _(
                "a {role} belongs to a township or village organisation ({kinds}); "
                "{organisation} is a {kind}",
                role=Role.GRASSROOTS_WORKER.value,
                kinds=", ".join(GRASSROOTS_LEVELS),
                organisation=organisation.code,
                kind=organisation.kind.value,
            ),
        )
    if region.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        raise _invalid(
            "region",
            _(
                "a {role} works in a township or village; {code} is a {level}",
                role=Role.GRASSROOTS_WORKER.value,
                code=region.code,
                level=region.level.value,
            ),
            ErrorCode.WRONG_REGION_LEVEL,
        )


def password_hash(password: str, username: str) -> str:
    """The policy-checked Argon2id hash of a password being set."""
    try:
        return checked_hash(password, username)
    except PasswordPolicyError as exc:
        raise _invalid("password", str(exc)) from None


async def create_user(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    organisation_code: str,
    region_code: str,
    roles: Sequence[str],
    display_name: str | None = None,
) -> User:
    """A new active user; the password must satisfy the policy. Flushes."""
    organisation, region, parsed = await check_new_user(
        session,
        username,
        organisation_code=organisation_code,
        region_code=region_code,
        roles=roles,
    )
    user = User(
        username=username,
        display_name=(display_name or username)[:100],
        password_hash=password_hash(password, username),
        organisation_id=organisation.id,
        region_code=region.code,
        roles=[str(role) for role in parsed],
        is_active=True,
        is_demo=False,
    )
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise _invalid(
            "username", _("no user named {username}", username=repr(username)), ErrorCode.NOT_FOUND
        )
    return user


async def revoke_tokens(session: AsyncSession, user_id: int) -> int:
    """Revoke every live token of a user; how many were revoked."""
    result = await session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def disable_user(session: AsyncSession, username: str) -> int:
    """Disable an account and revoke its tokens at once; how many tokens were revoked."""
    user = await get_user(session, username)
    user.is_active = False
    await session.flush()
    return await revoke_tokens(session, user.id)


async def reset_password(session: AsyncSession, username: str, password: str) -> User:
    """Set a new password (policy checked), lift a lock, and revoke the old tokens."""
    user = await get_user(session, username)
    user.password_hash = password_hash(password, username)
    user.locked_until = None
    await session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    await session.flush()
    await revoke_tokens(session, user.id)
    return user


async def ensure_first_admin(session: AsyncSession) -> tuple[str, str] | None:
    """Create ``admin`` with a random password when no account can log in; flushes.

    "Can log in" means active and not a demo account (demo accounts only work in demo
    mode). An existing ``admin`` row (a demo or disabled account) is taken over.
    Returns the user name and the password (to show once), or None when nothing was done.
    """
    active = await session.scalar(
        select(User.id).where(User.is_active.is_(True), User.is_demo.is_(False)).limit(1)
    )
    if active is not None:
        return None
    await ensure_reference_data(session)
    organisation = await find_organisation(session, FIRST_ADMIN_ORGANISATION)
    region = await find_region(session, FIRST_ADMIN_REGION, organisation)
    password = generate_password(FIRST_ADMIN_USERNAME)
    user = await session.scalar(select(User).where(User.username == FIRST_ADMIN_USERNAME))
    if user is None:
        user = User(username=FIRST_ADMIN_USERNAME, display_name="Administrator")
        session.add(user)
    user.password_hash = password_hash(password, FIRST_ADMIN_USERNAME)
    user.organisation_id = organisation.id
    user.region_code = region.code
    user.roles = [str(Role.CITY_ADMINISTRATOR)]
    user.is_active = True
    user.is_demo = False
    user.locked_until = None
    await session.flush()
    await revoke_tokens(session, user.id)
    await session.execute(delete(LoginFailure).where(LoginFailure.username == FIRST_ADMIN_USERNAME))
    return FIRST_ADMIN_USERNAME, password
