"""The casekit command line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import casekit
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
    assert err.getvalue().startswith("casekit diagram: no case type 'Nope'; known: ")
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


# ----- the user's own case types, from the shell (a module on PYTHONPATH, in a subprocess)

GRIEVANCE_MODULE = '''
import enum

import attrs

from casekit.cases import Case, case_type
from casekit.lifecycle import Action, Lifecycle


class Grievance(enum.StrEnum):
    OPEN = "Open"
    HEARING = "Hearing Scheduled"
    DISMISSED = "Dismissed"


GRIEVANCE = Lifecycle(
    name="Grievance",
    statuses=Grievance,
    initial=Grievance.OPEN,
    final=frozenset({Grievance.DISMISSED}),
    actions=(
        Action("schedule_hearing", Grievance.OPEN, Grievance.HEARING),
        Action("dismiss", (Grievance.OPEN, Grievance.HEARING), Grievance.DISMISSED),
    ),
)


@case_type(GRIEVANCE, prefix="GRV")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False)
class GrievanceCase(Case[Grievance]):
    """A member's grievance about a decision."""
'''


def _casekit(*args: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m casekit ARGS`` in a subprocess, with ``path`` first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(p) for p in (path, SRC) if p is not None]
        + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    return subprocess.run(
        [sys.executable, "-m", "casekit", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )


def _one_clear_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 3, done.stderr
    return done.stderr


SRC = Path(__file__).parent.parent / "src"


@pytest.fixture
def user_module(tmp_path: Path) -> Path:
    (tmp_path / "grievance_cases.py").write_text(GRIEVANCE_MODULE, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("--import", "grievance_cases", "diagram", "Grievance"),
        ("diagram", "GrievanceCase", "--import", "grievance_cases"),
        ("diagram", "grv", "--import", "json", "--import", "grievance_cases"),
    ],
)
def test_diagram_of_a_case_type_from_an_imported_module(
    user_module: Path, args: tuple[str, ...]
) -> None:
    done = _casekit(*args, path=user_module)
    assert done.returncode == 0, done.stderr
    assert "stateDiagram-v2" in done.stdout
    assert "Hearing Scheduled" in done.stdout


def test_without_the_import_the_type_is_unknown_and_the_error_says_how(
    user_module: Path,
) -> None:
    done = _casekit("diagram", "Grievance", path=user_module)
    assert done.returncode == 2
    message = _one_clear_line(done)
    assert "no case type 'Grievance'" in message
    assert "--import MODULE" in message


def test_types_lists_a_case_type_registered_by_an_entry_point(user_module: Path) -> None:
    info = user_module / "grievance_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: grievance-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[casekit.case_types]\ngrievances = grievance_cases\n", encoding="utf-8"
    )
    listed = _casekit("types", path=user_module)
    assert listed.returncode == 0, listed.stderr
    assert "Grievance (GrievanceCase, prefix GRV): Open, Hearing Scheduled, Dismissed" in (
        listed.stdout
    )
    drawn = _casekit("diagram", "Grievance", path=user_module)
    assert drawn.returncode == 0, drawn.stderr
    assert "Hearing Scheduled" in drawn.stdout


def test_a_broken_plugin_is_skipped_with_one_warning(tmp_path: Path) -> None:
    info = tmp_path / "broken_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[casekit.case_types]\nbroken = no_such_module_here\n", encoding="utf-8"
    )
    done = _casekit("diagram", "PDC", path=tmp_path)
    assert done.returncode == 0
    assert "Pending Closure" in done.stdout
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert "skipped the case-type plugin 'broken'" in done.stderr
    unknown = _casekit("diagram", "Grievance", path=tmp_path)
    assert "plugins skipped: broken" in _one_clear_line(unknown)


# ----- mistakes end in one clear line and a non-zero exit, never a traceback


def test_version() -> None:
    done = _casekit("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"casekit {casekit.__version__}"


def test_demo_into_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.db"
    message = _one_clear_line(_casekit("demo", "--db", str(target), "--days", "1", "--plain"))
    assert f"cannot create {target}" in message
    assert "does not exist" in message
    assert not target.parent.exists()


def test_report_into_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "r.html"
    message = _one_clear_line(_casekit("report", "-o", str(target)))
    assert f"cannot write {target}" in message


def test_report_of_a_database_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    message = _one_clear_line(_casekit("report", "--db", str(missing), "-o", "r.html"))
    assert f"no database at {missing}" in message


def test_unknown_case_type() -> None:
    message = _one_clear_line(_casekit("diagram", "Nope"))
    assert "no case type 'Nope'" in message
    assert "Product Delivery Case" in message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, "No module named 'not_a_module_anywhere'; is it installed or on PYTHONPATH?"),
        ("import not_a_dependency_either\n", "No module named 'not_a_dependency_either'"),
        ("raise RuntimeError('half-written module')\n", "RuntimeError: half-written module"),
        ("def broken(:\n", "SyntaxError"),
    ],
)
def test_a_module_that_fails_to_import(tmp_path: Path, source: str | None, expected: str) -> None:
    if source is not None:
        (tmp_path / "not_a_module_anywhere.py").write_text(source, encoding="utf-8")
    done = _casekit("--import", "not_a_module_anywhere", "types", path=tmp_path)
    message = _one_clear_line(done)
    assert "cannot import module 'not_a_module_anywhere'" in message
    assert expected in message


def test_ctrl_c_ends_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("casekit.cli.run_demo_command", interrupted)
    err = io.StringIO()
    assert main(["demo", "--in-memory"], out=io.StringIO(), err=err) == 130
    assert err.getvalue() == "casekit demo: interrupted\n"


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
