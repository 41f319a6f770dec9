"""What lower layers need to know about the request being served, without knowing HTTP.

The HTTP layer sets both values for the task serving a request; SQLAlchemy's async engine
runs its events in that task's context, so the database layer sees them too.

- the **request ID**, for log lines, masked errors and audit rows;
- the **client address** (the peer's IP address, as the ASGI server reports it: behind a
  trusted reverse proxy, uvicorn takes it from ``X-Forwarded-For``), for login throttling
  and the per-address bounds;
- the **deadline** (``time.monotonic()`` seconds) after which the request is cancelled:
  SQLite statements still running then are interrupted (see :mod:`bangfu.core.db`).
"""

import contextlib
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("bangfu_request_id", default=None)
_deadline: ContextVar[float | None] = ContextVar("bangfu_deadline", default=None)
_client_address: ContextVar[str | None] = ContextVar("bangfu_client_address", default=None)


def new_request_id() -> str:
    """A fresh request ID: 32 hex characters, safe in headers and logs."""
    return uuid.uuid4().hex


def request_id() -> str | None:
    """The ID of the request being served, or None outside a request."""
    return _request_id.get()


def deadline() -> float | None:
    """The ``time.monotonic()`` instant the request being served must end by, or None."""
    return _deadline.get()


def client_address() -> str | None:
    """The address of the client of the request being served, or None when unknown."""
    return _client_address.get()


@contextlib.contextmanager
def serving(request_id: str, client_address: str | None = None) -> Iterator[str]:
    """Run the block as the request ``request_id`` from ``client_address``."""
    token = _request_id.set(request_id)
    address = _client_address.set(client_address)
    try:
        yield request_id
    finally:
        _client_address.reset(address)
        _request_id.reset(token)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[float]:
    """Run the block with a deadline ``seconds`` from now (the earlier one wins if nested)."""
    at = time.monotonic() + seconds
    outer = _deadline.get()
    if outer is not None:
        at = min(at, outer)
    token = _deadline.set(at)
    try:
        yield at
    finally:
        _deadline.reset(token)
