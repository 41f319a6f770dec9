"""``python3 dev.py run`` installs the befriending example beside Bangfu, once."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import dev


class FakeVenv:
    """``subprocess.run`` in a virtual environment: whether bangfu-befriending is installed,
    and the pip commands run."""

    def __init__(self) -> None:
        self.installed = False
        self.pip: list[list[str]] = []

    def run(self, command: list[str], **_kwargs: Any) -> "subprocess.CompletedProcess[bytes]":
        if command[1:3] == ["-m", "pip"]:
            self.pip.append(command)
            self.installed = True
            return subprocess.CompletedProcess(command, 0)
        return subprocess.CompletedProcess(command, 0 if self.installed else 1)


def test_run_installs_the_example_once_and_again_when_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = tmp_path / ".bangfu-installed"
    stamp.write_text("digest test")
    example = tmp_path / "bangfu-befriending"
    example.mkdir()
    shutil.copy(dev.EXAMPLE / "pyproject.toml", example / "pyproject.toml")
    venv = FakeVenv()
    monkeypatch.setattr(dev, "STAMP", stamp)
    monkeypatch.setattr(dev, "EXAMPLE", example)
    monkeypatch.setattr(dev.subprocess, "run", venv.run)

    dev.ensure_example()
    (install,) = venv.pip
    assert install[-3:] == ["--no-deps", "-e", str(example)]
    words = stamp.read_text().split()
    assert words[:2] == ["digest", "test"] and words[2].startswith("befriending=")

    dev.ensure_example()  # installed and stamped: nothing to do
    assert len(venv.pip) == 1

    venv.installed = False  # pip uninstall bangfu-befriending
    dev.ensure_example()
    assert len(venv.pip) == 2

    with (example / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# a new entry point\n")
    dev.ensure_example()
    assert len(venv.pip) == 3
    words = stamp.read_text().split()
    assert words[:2] == ["digest", "test"]
    assert len([w for w in words if w.startswith("befriending=")]) == 1
