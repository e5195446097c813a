"""Lazy re-exports: light imports stay light, and every public name still resolves.

Issue #18: ``import casekit.routing`` and ``import casekit.storage`` must not pay for the
case, lifecycle and ``transitions`` stack, nor for optional extras. Checked through
``sys.modules`` in a fresh interpreter, never by timing (``benchmarks/imports.py`` prints
the figures).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import casekit
import casekit.storage

SRC = str(Path(casekit.__file__).resolve().parent.parent)
HEAVY = (
    "transitions",
    "pandas",
    "babel",
    "psycopg",
    "casekit.cases",
    "casekit.lifecycle",
    "casekit.financials",
)


def loaded_after(statement: str) -> set[str]:
    """The module names a fresh interpreter holds after running ``statement``."""
    code = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": SRC},
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "statement", ["import casekit", "import casekit.routing", "import casekit.storage"]
)
def test_light_imports_leave_the_case_stack_and_extras_alone(statement: str) -> None:
    loaded = loaded_after(statement)
    assert not loaded & set(HEAVY), f"{statement} imports {sorted(loaded & set(HEAVY))}"


def test_import_casekit_storage_loads_no_adapter() -> None:
    loaded = loaded_after("import casekit.storage")
    assert not {"sqlite3", "casekit.storage.sqlite", "casekit.routing"} & loaded


@pytest.mark.parametrize("module", [casekit, casekit.storage], ids=lambda m: m.__name__)
def test_every_lazy_name_resolves_and_is_listed(module: object) -> None:
    names: list[str] = module.__all__  # type: ignore[attr-defined]
    assert set(names) <= set(dir(module))
    for name in names:
        assert getattr(module, name) is not None
    missing = "no_such_name"
    with pytest.raises(AttributeError, match=missing):
        getattr(module, missing)


def test_from_import_of_every_public_name_in_a_fresh_interpreter() -> None:
    names = ", ".join(casekit.__all__)
    storage_names = ", ".join(casekit.storage.__all__)
    loaded_after(f"from casekit import {names}\nfrom casekit.storage import {storage_names}")
