"""A WebSocket to /graphql from a foreign web page is refused (cross-site WebSocket
hijacking, ../shared/SECURITY.md): a browser's handshake must come from the service's
own origin or one of ``BANGFU_WEBSOCKET_ORIGINS``; a client that is no browser sends no
Origin and is let through to the token check. (Strawberry makes the check; this pins
that it stays on and that the setting reaches it.)"""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bangfu.app import create_app
from bangfu.core.config import Settings
from tests.helpers import websocket_scope

pytestmark = pytest.mark.anyio


async def handshake(app: Any, host: bytes, origin: bytes | None) -> str:
    """The app's first answer to a handshake: ``websocket.accept`` or ``websocket.close``."""
    scope = websocket_scope(
        ["graphql-transport-ws"], origin=origin, client="203.0.113.9", host=host
    )
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    inbox.put_nowait({"type": "websocket.connect"})
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    first = await asyncio.wait_for(outbox.get(), 10)
    await inbox.put({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, 10)
    return str(first["type"])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ws.db'}",
        secret_key_file=tmp_path / "ws.key",
        profile="production",
        subscriptions=True,
        websocket_origins=["https://portal.linfen.example"],
    )


async def test_only_the_services_own_and_listed_origins_may_open_a_websocket(
    settings: Settings,
) -> None:
    app = create_app(settings)
    allowed = [
        (b"bangfu.linfen.example", None),  # no browser: the token decides
        (b"bangfu.linfen.example", b"https://bangfu.linfen.example"),
        (b"bangfu.linfen.example", b"http://bangfu.linfen.example"),
        (b"bangfu.linfen.example:8000", b"http://bangfu.linfen.example:8000"),
        (b"bangfu.linfen.example", b"https://Portal.Linfen.example/"),  # listed
        (b"[::1]:8000", b"http://[::1]:8000"),
    ]
    for host, origin in allowed:
        assert await handshake(app, host, origin) == "websocket.accept", (host, origin)
    refused = [
        b"https://evil.example",
        b"https://bangfu.linfen.example.evil.example",
        b"https://evil.example/bangfu.linfen.example",
        b"http://bangfu.linfen.example:9000",
        b"null",  # a sandboxed frame or a file
        b"https://portal.linfen.example:8443",  # not the listed origin
        b"http://bangfu.linfen.example:99999",  # no port at all
    ]
    for origin in refused:
        # Closed before it is accepted: the handshake is answered 403.
        assert await handshake(app, b"bangfu.linfen.example", origin) == "websocket.close", origin
    assert await handshake(app, b"", b"https://bangfu.linfen.example") == "websocket.close"


@given(
    st.sampled_from(["https://a.example/path", "a.example", "https://", "null", "https://["])
    | st.from_regex(r"https://[a-z]{1,8}\.example/[a-z]{1,8}", fullmatch=True)
    | st.from_regex(r"https://[a-z]{1,8}\.example\?[a-z]=1", fullmatch=True)
)
def test_a_listed_origin_must_be_an_origin(text: str) -> None:
    with pytest.raises(ValidationError, match="is not a web origin"):
        Settings(websocket_origins=[text])


def test_every_origin_is_not_an_origin() -> None:
    with pytest.raises(ValidationError, match="'\\*' is not a web origin"):
        Settings(websocket_origins=["*"])
