"""The casekit command line."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from casekit.cases import ProductDeliveryCase
from casekit.cli import main
from casekit.storage import SCHEMA_VERSION, SQLiteStorage


@pytest.mark.parametrize("name", ["Product Delivery Case", "productdeliverycase", "PDC"])
def test_diagram_prints_the_mermaid_lifecycle(name: str) -> None:
    out = io.StringIO()
    assert main(["diagram", name], out=out) == 0
    assert out.getvalue() == ProductDeliveryCase.to_mermaid()


def test_unknown_type_is_an_error_naming_the_known_ones() -> None:
    err = io.StringIO()
    assert main(["diagram", "Nope"], out=io.StringIO(), err=err) == 2
    assert "Product Delivery Case" in err.getvalue()


def test_types_lists_the_built_in_types() -> None:
    out = io.StringIO()
    assert main(["types"], out=out) == 0
    assert "Pending Closure" in out.getvalue()


def test_python_dash_m_casekit() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "casekit", "diagram", "Issue Case"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert "Pending Approval" in done.stdout


def test_migrate_sqlite_creates_the_schema_then_finds_nothing_to_do(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    out, err = io.StringIO(), io.StringIO()
    assert main(["migrate", "--sqlite", str(path)], out=out, err=err) == 0
    assert main(["migrate", "--sqlite", str(path)], out=out, err=err) == 0
    assert out.getvalue().splitlines() == [
        f"sqlite {path}: schema created at version {SCHEMA_VERSION}",
        f"sqlite {path}: schema already at version {SCHEMA_VERSION}; nothing to do",
    ]
    assert err.getvalue() == ""
    SQLiteStorage(path, migrate=False).close()  # opens without migrating


def test_migrate_needs_exactly_one_database() -> None:
    for argv in (["migrate"], ["migrate", "--sqlite", "a.db", "--postgres", "host=x"]):
        with pytest.raises(SystemExit) as caught:
            main(argv, out=io.StringIO(), err=io.StringIO())
        assert caught.value.code == 2


def test_migrate_reports_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, but long enough to have a header of sorts " * 4)
    err = io.StringIO()
    assert main(["migrate", "--sqlite", str(path)], out=io.StringIO(), err=err) == 1
    assert err.getvalue().startswith(f"casekit migrate: sqlite {path}")
