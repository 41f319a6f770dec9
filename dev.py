#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python 3.11+.

    python3 dev.py run     # install into .venv (with the befriending example plugin),
                           # migrate, load demo data, serve GraphiQL and run the job worker
                           # beside it (bangfu serve --demo --worker)
    python3 dev.py test    # install into .venv, then lint, type-check and run every test
    python3 dev.py bench   # install with the profilers, then the benchmark (bench/README.md)
    python3 dev.py lock    # refresh requirements.lock from pyproject.toml's ranges
    python3 dev.py messages  # extract the messages, update the Chinese catalog, compile it

It creates ``.venv`` beside this file on first use and reinstalls only when
``pyproject.toml`` or ``requirements.lock`` changes. Every install takes the exact versions
of ``requirements.lock`` (the ones the tests passed with) as pip constraints. Extra arguments
go to ``bangfu serve``, ``pytest`` or ``python -m bench``.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".bangfu-installed"
LOCK = ROOT / "requirements.lock"
#: The extras the lock covers: everything dev.py may install.
LOCKED_EXTRAS = "test,bench"
#: The mass organisations' befriending plugin, a separate package that ``run`` installs
#: beside Bangfu for the demo (the tests pin the built-ins: conftest.py).
EXAMPLE = ROOT / "examples" / "bangfu-befriending"


def _python_of_lock() -> str:
    """The Python version (``3.11``) the lock was made with, from its header."""
    for line in LOCK.read_text().splitlines():
        if line.startswith("# python "):
            return line.split()[2]
    return ""


def ensure_environment(extras: str = "test") -> None:
    if sys.version_info < (3, 11):  # noqa: UP036  (this script may run on an older Python)
        sys.exit(f"Bangfu needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(LOCK.read_bytes() if LOCK.exists() else b"")
    wanted = digest.hexdigest()
    installed = STAMP.read_text().split() if STAMP.exists() else []
    if installed[:1] != [wanted] or not set(extras.split(",")) <= set(installed[1:]):
        print("installing bangfu and its dependencies ...", flush=True)
        pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet"]
        pip.append("--disable-pip-version-check")
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        target = [*pip, "-e", f"{ROOT}[{extras}]"]
        if not LOCK.exists():
            subprocess.run(target, check=True)
        elif subprocess.run([*target, "-c", str(LOCK)]).returncode != 0:
            # The lock was made on one Python; a newer one may lack wheels for its versions.
            this = f"{sys.version_info.major}.{sys.version_info.minor}"
            if _python_of_lock() == this:
                sys.exit("installing the locked versions (requirements.lock) failed")
            print(
                f"the locked versions do not install on Python {this} (the lock is for "
                f"{_python_of_lock()}): installing the newest within pyproject.toml's ranges",
                flush=True,
            )
            subprocess.run(target, check=True)
        STAMP.write_text(" ".join([wanted, *extras.split(",")]))


def ensure_example() -> None:
    """Install ``examples/bangfu-befriending`` into ``.venv`` (editable, without
    dependencies: it has none beyond Bangfu), once: the stamp records it with a digest of
    the example's ``pyproject.toml``, so a change of its entry points installs it again, as
    does an uninstall (``pip uninstall bangfu-befriending``)."""
    token = "befriending=" + hashlib.sha256((EXAMPLE / "pyproject.toml").read_bytes()).hexdigest()
    installed = STAMP.read_text().split() if STAMP.exists() else []
    probe = "import importlib.metadata as m; m.distribution('bangfu-befriending')"
    present = subprocess.run([str(BIN / "python"), "-c", probe], capture_output=True)
    if token in installed[1:] and present.returncode == 0:
        return
    print("installing the befriending plugin (examples/bangfu-befriending) ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", "-e", str(EXAMPLE)], check=True)
    kept = [word for word in installed if not word.startswith("befriending=")]
    STAMP.write_text(" ".join([*kept, token]))


def lock() -> int:
    """Write requirements.lock: the versions a fresh install of pyproject.toml's ranges
    takes today, for every extra. Run the tests after it and commit both together."""
    with tempfile.TemporaryDirectory() as folder:
        env = Path(folder) / "venv"
        venv.EnvBuilder(with_pip=True).create(env)
        python = env / BIN.relative_to(VENV) / "python"
        pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "install", "--quiet", f"{ROOT}[{LOCKED_EXTRAS}]"], check=True)
        frozen = subprocess.run(
            [*pip, "freeze", "--exclude", "bangfu"], check=True, capture_output=True, text=True
        ).stdout
    header = [
        "# The exact versions Bangfu's tests passed with: dev.py installs with these as pip",
        "# constraints. Refresh with `python3 dev.py lock`, run `python3 dev.py test`, and",
        "# commit both together.",
        f"# python {sys.version_info.major}.{sys.version_info.minor}",
    ]
    LOCK.write_text("\n".join([*header, *sorted(frozen.splitlines(), key=str.lower)]) + "\n")
    print(f"wrote {LOCK.name}: {len(frozen.splitlines())} packages", flush=True)
    return 0


#: The repository's folders as the one package ``bangfu`` they are installed as
#: (pyproject.toml's package-dir). mypy follows no import hooks, so it reads them through
#: a tree of links under build/ instead of through the editable install.
PACKAGE_DIRS = {
    "core": "core",
    "schema": "schema",
    "plugins": "plugins",
    "migrations": "migrations",
}


def typecheck_tree() -> Path:
    """``build/typecheck/bangfu``: links to ``bangfu/``'s entries and the mapped folders."""
    tree = ROOT / "build" / "typecheck" / "bangfu"
    tree.mkdir(parents=True, exist_ok=True)
    wanted = {entry.name: entry for entry in (ROOT / "bangfu").iterdir()}
    wanted |= {name: ROOT / folder for name, folder in PACKAGE_DIRS.items()}
    for link in tree.iterdir():
        if link.name not in wanted or link.resolve() != wanted[link.name]:
            link.unlink()
    for name, target in wanted.items():
        if not (tree / name).is_symlink():
            (tree / name).symlink_to(target)
    return tree


def typechecked() -> list[str]:
    """What mypy checks: the whole package, as :func:`typecheck_tree` lays it out (``core``,
    ``schema``, ``plugins``, ``migrations`` and ``bangfu``'s own modules), and the example
    plugin."""
    return [
        str(typecheck_tree().relative_to(ROOT)),
        "examples/bangfu-befriending/bangfu_befriending",
    ]


def run(command: list[str]) -> int:
    return subprocess.run(command, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "bench", "lock", "messages"):
        print(__doc__)
        return 2
    if argv[0] == "lock":
        return lock()
    if argv[0] == "bench":
        ensure_environment("test,bench")
        return run([str(BIN / "python"), "-m", "bench", *argv[1:]])
    ensure_environment()
    if argv[0] == "messages":
        return run([str(BIN / "python"), "-m", "bangfu.messages"])
    if argv[0] == "run":
        ensure_example()
        return run([str(BIN / "bangfu"), "serve", "--demo", "--worker", *argv[1:]])
    for step in (
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy"), *typechecked()],
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
