"""The service as the benchmark serves it: ``bangfu.app:create_app`` plus a statement counter.

uvicorn runs ``bench.server:create_app`` (a factory) on 127.0.0.1 only. The one addition,
``GET /__bench/statements``, returns how many SQL statements this worker process has sent
so far; it exists only in this benchmark process, never in the service. Each side of a
comparison (``python -m bench --compare-setting``) is one such server, with its settings
from the environment (``BANGFU_<NAME>``). The lower bound has its own app,
:mod:`bench.bound_server`, served the same way.
"""

import itertools
import json
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bangfu.app import create_app as create_service

STATEMENTS_PATH = "/__bench/statements"
_statements = itertools.count()
_seen = [0]


def _count(*_args: Any) -> None:
    _seen[0] = next(_statements) + 1


def count_statements(on: bool = True) -> None:
    """Count every statement any engine of this process sends (``on=False`` stops it)."""
    if on and not event.contains(Engine, "before_cursor_execute", _count):
        event.listen(Engine, "before_cursor_execute", _count)
    elif not on and event.contains(Engine, "before_cursor_execute", _count):
        event.remove(Engine, "before_cursor_execute", _count)


def counted(service: Any) -> Any:
    """``service`` (an ASGI app) with ``GET /__bench/statements`` in front of it."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == STATEMENTS_PATH:
            body = json.dumps({"statements": _seen[0]}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await service(scope, receive, send)

    return app


def create_app() -> Any:
    count_statements()
    return counted(create_service())
