"""Run the Apollo Client script (tests/clients/apollo) against a real Bangfu.

Loads a little demo data into a fresh SQLite database, starts ``bangfu serve --demo``
(development profile) on a free port of 127.0.0.1, runs ``node apollo.cjs`` as the demo
city administrator, and stops the server. Without ``node``, or before ``npm ci`` has
installed the script's packages, it says so and exits 0 (skipped). ``.ci/run`` runs it;
so does ``tests/test_apollo_client.py`` when the packages are installed.

    python tests/clients/run_apollo.py
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent / "apollo"
HOUSEHOLDS = 30
START_SECONDS = 120


def skip_reason() -> str | None:
    """Why the script cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (SCRIPT_DIR / "node_modules" / "@apollo" / "client").is_dir():
        return f"its packages are not installed (cd {SCRIPT_DIR} && npm ci)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"bangfu serve exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"bangfu serve did not answer {url} within {START_SECONDS} s")


def run() -> int:
    reason = skip_reason()
    if reason is not None:
        print(f"Apollo Client test skipped: {reason}")
        return 0
    from bangfu.demo import DEMO_PASSWORD

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bangfu-apollo-") as folder:
        env = {
            **os.environ,
            "BANGFU_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/apollo.db",
            "BANGFU_SECRET_KEY_FILE": f"{folder}/bangfu.key",
            "BANGFU_PROFILE": "development",
            "BANGFU_LANGUAGE": "en",
        }
        for name in ("BANGFU_DATABASE_SCHEMA", "BANGFU_TRUSTED_DOCUMENTS"):
            env.pop(name, None)
        bangfu = [sys.executable, "-m", "bangfu.cli"]
        subprocess.run(
            [*bangfu, "demo", "--households", str(HOUSEHOLDS)],
            env=env,
            cwd=folder,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        server = subprocess.Popen(
            [*bangfu, "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}/healthz", server)
            return subprocess.run(
                ["node", "apollo.cjs", f"http://127.0.0.1:{port}/graphql", "admin", DEMO_PASSWORD],
                cwd=SCRIPT_DIR,
                timeout=120,
            ).returncode
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    sys.exit(run())
