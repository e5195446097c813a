"""The code base stays type-clean (mypy --strict) and lint-clean (ruff)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent
pytestmark = pytest.mark.quality


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)


def test_mypy_strict_on_src_and_examples() -> None:
    done = run(sys.executable, "-m", "mypy", "--strict", "src", "examples")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_check() -> None:
    done = run(
        sys.executable,
        "-m",
        "ruff",
        "check",
        "src",
        "tests",
        "examples",
        "benchmarks",
        "noxfile.py",
    )
    assert done.returncode == 0, done.stdout + done.stderr
