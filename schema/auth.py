"""Logging in and out, and who am I."""

import datetime as dt

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from core.errors import DomainError
from core.security import auth
from core.security.actor import ANONYMOUS, Role
from core.security.models import User
from schema.errors import Error, errors_of
from schema.permissions import IsAuthenticated

RoleType = strawberry.enum(Role, name="Role", description="Roles that actions are granted to.")


@strawberry.type(description="The result of `login`; send the token as `Authorization: Bearer`.")
class LoginPayload:
    token: str | None
    expires_at: dt.datetime | None
    errors: list[Error]


@strawberry.type(description="The logged-in user.")
class Viewer:
    username: str
    display_name: str
    roles: list[Role]
    region_code: str
    organisation_id: strawberry.Private[int]


@strawberry.type
class AuthQuery:
    @strawberry.field(description="Who you are logged in as.", permission_classes=[IsAuthenticated])
    async def me(self, info: Info) -> Viewer | None:
        actor = info.context.actor
        async with info.context.read() as session:
            user = await session.scalar(select(User).where(User.id == actor.id))
        if user is None:
            return None
        return Viewer(
            username=user.username,
            display_name=user.display_name,
            roles=[Role(r) for r in user.roles],
            region_code=user.region_code,
            organisation_id=user.organisation_id,
        )


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="Log in with a user name and password; returns a bearer token."
    )
    async def login(self, info: Info, username: str, password: str) -> LoginPayload:
        try:
            async with info.context.services.sessions() as session:
                session.info["actor"] = ANONYMOUS
                async with session.begin():
                    token, record, _user = await auth.login(
                        session, username, password, info.context.settings
                    )
        except DomainError as exc:
            return LoginPayload(token=None, expires_at=None, errors=errors_of(exc))
        return LoginPayload(token=token, expires_at=record.expires_at, errors=[])

    @strawberry.mutation(
        description="Revoke the token this request carries.", permission_classes=[IsAuthenticated]
    )
    async def logout(self, info: Info) -> bool:
        token = info.context.token
        if token is None:
            return False
        async with info.context.write() as session:
            return await auth.logout(session, token)
