#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python 3.11+.

    python3 dev.py run     # install into .venv, migrate, load demo data, serve GraphiQL
    python3 dev.py test    # install into .venv, then lint, type-check and run every test
    python3 dev.py bench   # install with the profilers, then the benchmark (bench/README.md)

It creates ``.venv`` beside this file on first use and reinstalls only when
``pyproject.toml`` changes. Extra arguments go to ``bangfu serve``, ``pytest`` or
``python -m bench``.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".bangfu-installed"


def ensure_environment(extras: str = "test") -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (this script may run on an older Python)
        sys.exit(f"Bangfu needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = STAMP.read_text().split() if STAMP.exists() else []
    if installed[:1] != [wanted] or not set(extras.split(",")) <= set(installed[1:]):
        print("installing bangfu and its dependencies ...", flush=True)
        pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet"]
        pip.append("--disable-pip-version-check")
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[{extras}]"], check=True)
        STAMP.write_text(" ".join([wanted, *extras.split(",")]))


def run(command: list[str]) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "bench"):
        print(__doc__)
        return 2
    if argv[0] == "bench":
        ensure_environment("test,bench")
        return run([str(BIN / "python"), "-m", "bench", *argv[1:]])
    ensure_environment()
    if argv[0] == "run":
        return run([str(BIN / "bangfu"), "serve", "--demo", *argv[1:]])
    for step in (
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy")],
    ):
        print("$", Path(step[0]).name, *step[1:], flush=True)
        if code := run(step):
            return code
    # One worker per core; each test has its own database (a file, or a PostgreSQL schema).
    workers = (
        [] if any(a.startswith(("-n", "--numprocesses")) for a in argv[1:]) else ["-n", "auto"]
    )
    return run([str(BIN / "python"), "-m", "pytest", *workers, *argv[1:]])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
