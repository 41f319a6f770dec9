"""Test data builders shared by the test modules."""

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select

from bangfu.core.db import utcnow
from bangfu.core.idnumber import make
from bangfu.core.security import Role
from bangfu.core.security.auth import token_digest
from bangfu.core.security.models import AccessToken, User
from bangfu.testing import Harness

XIANGFEN_VILLAGE = "141023100201"
HONGTONG_VILLAGE = "141024100201"


@dataclass
class World:
    """Two counties with a village each, and actors of every kind used by the tests."""

    h: Harness
    admin: str
    xiangfen: str
    hongtong: str
    supervisor: str


async def make_world(harness: Harness) -> World:
    await harness.region("141023100", "新城镇", "141023")
    await harness.region(XIANGFEN_VILLAGE, "东关村", "141023100")
    await harness.region("141024100", "大槐树镇", "141024")
    await harness.region(HONGTONG_VILLAGE, "贾村", "141024100")
    return World(
        h=harness,
        admin=await harness.actor("admin", roles=[Role.CITY_ADMINISTRATOR], region="141000"),
        xiangfen=await harness.actor(
            "xiangfen", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141023"
        ),
        hongtong=await harness.actor(
            "hongtong", roles=[Role.CIVIL_AFFAIRS_OFFICER], region="141024"
        ),
        supervisor=await harness.actor("supervisor", roles=[Role.SUPERVISOR], region="141000"),
    )


_sequence = iter(range(1, 100_000))


def id_number(born: dt.date | None = None, county: str = "141023", male: bool = True) -> str:
    """A fresh valid ID number, unique within the test session. Born on ``born`` exactly
    when it is given; otherwise around 1980-05-17 (a day later every thousand numbers,
    so that the numbers stay unique however many a test process makes)."""
    while True:
        seq = next(_sequence) % 1000 or 1
        if (seq % 2 == 1) == male:
            drift = dt.timedelta(days=next(_sequence) // 1000)
            return make(county, born or dt.date(1980, 5, 17) + drift, seq)


CREATE_HOUSEHOLD = """
mutation($input: HouseholdCreateInput!) {
  householdCreate(input: $input) {
    household { id version region { code } head { id name idNumber sex birthDate version }
                members { relation person { id name } } }
    errors { field message code }
  }
}"""


async def create_household(
    h: Harness,
    token: str,
    *,
    village: str = XIANGFEN_VILLAGE,
    members: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Create a household through GraphQL and return the payload."""
    county = village[:6]
    members = members or [
        {"relation": "HEAD", "person": {"name": "王建国", "idNumber": id_number(county=county)}},
        {
            "relation": "SPOUSE",
            "person": {"name": "李秀英", "idNumber": id_number(county=county, male=False)},
        },
        {
            "relation": "CHILD",
            "person": {"name": "王小明", "idNumber": id_number(dt.date(2014, 3, 1), county)},
        },
    ]
    data = await h.ok(
        CREATE_HOUSEHOLD,
        {"input": {"regionCode": village, "address": "东关村 12 号", "members": members}},
        token=token,
    )
    return data["householdCreate"]  # type: ignore[no-any-return]


def websocket_scope(
    subprotocols: list[str],
    *,
    origin: bytes | None = None,
    client: str = "127.0.0.1",
    host: bytes = b"testserver",
) -> dict[str, Any]:
    """The ASGI scope of a WebSocket handshake on ``/graphql`` of ``host``, offering
    ``subprotocols``, from ``client`` (with an ``Origin`` header when ``origin`` is given),
    for tests that speak to the app in their own process."""
    headers = [(b"host", host)] + ([(b"origin", origin)] if origin is not None else [])
    return {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "subprotocols": subprotocols,
        "server": ("testserver", 80),
        "client": (client, 50000),
    }


async def token_of(harness: Harness, which: ColumnElement[bool]) -> str:
    """A bearer token of the existing user ``which`` selects (a demo user's too: it is
    made an ordinary user, since demo logins work only in demo mode), valid for an hour."""
    token = secrets.token_urlsafe(16)
    async with harness.session() as session, session.begin():
        user = await session.scalar(select(User).where(which))
        assert user is not None
        user.is_demo = False
        session.add(
            AccessToken(
                digest=token_digest(token),
                user_id=user.id,
                expires_at=utcnow() + dt.timedelta(hours=1),
            )
        )
    return token
