"""Apollo Client, run with Node against the real app (tests/clients/run_apollo.py): the
normalised cache, a mutation, and an automatic persisted query. Skipped, with the reason,
where Node or the script's npm packages are missing (``.ci/run`` installs them)."""

import subprocess
import sys
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parent / "clients" / "run_apollo.py"
sys.path.insert(0, str(LAUNCHER.parent))
from run_apollo import skip_reason  # noqa: E402


def test_apollo_client_against_the_real_app() -> None:
    reason = skip_reason()
    if reason is not None:
        pytest.skip(f"Apollo Client test: {reason}")
    done = subprocess.run(
        [sys.executable, str(LAUNCHER)], capture_output=True, text=True, timeout=400
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Apollo Client: every check passed" in done.stdout
