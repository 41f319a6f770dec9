"""A server process to kill: ``python -m tests.crash_worker SPEC`` (JSON).

It builds the app on the database of a test (``database_url``, ``database_schema``) with
the probe plugin set to hang, sends each of ``requests`` (``key``, ``body``) as the bearer
of ``token`` with its Idempotency-Key, one after the other, each until its mutation hangs,
then prints ``ready`` and waits to be killed (``kill -9``: no cleanup runs).
"""

import asyncio
import json
import sys

import httpx

from bangfu.app import create_app
from bangfu.core.config import Settings
from bangfu.core.plugins import PluginHost, get_plugin_manager
from bangfu.core.security.crypto import FieldCipher
from bangfu.testing import TEST_KEY
from tests.probes import ProbePlugin


async def main(spec: dict[str, object]) -> None:
    hung = asyncio.Event()
    host = PluginHost(
        get_plugin_manager(entry_points=False, plugins=[ProbePlugin(hangs=True, on_hang=hung.set)])
    )
    settings = Settings.model_validate(spec["settings"])
    app = create_app(settings, plugins=host, cipher=FieldCipher(TEST_KEY))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:
        pending = []
        for request in spec["requests"]:  # type: ignore[attr-defined]
            hung.clear()
            headers = {
                "Authorization": f"Bearer {spec['token']}",
                "Idempotency-Key": request["key"],
            }
            post = client.post("/graphql", json=request["body"], headers=headers)
            pending.append(asyncio.ensure_future(post))
            await hung.wait()
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
