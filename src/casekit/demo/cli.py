"""The ``casekit demo`` and ``casekit report`` commands."""

from __future__ import annotations

import argparse
import sqlite3
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TextIO

from casekit.demo.dashboard import render_dashboard
from casekit.demo.runner import Progress, run_demo
from casekit.errors import ValidationError
from casekit.money import DEFAULT_LOCALE, Money
from casekit.storage import MemoryStorage, SQLiteStorage, Storage

__all__ = ["add_commands", "run_demo_command", "run_report_command"]

DEFAULT_DB = "casekit-demo.db"


def add_commands(sub: Any) -> None:
    """Add ``demo`` and ``report`` to the ``casekit`` command's subparsers."""
    demo = sub.add_parser(
        "demo",
        help="simulate a benefits office for a few working days and show the dashboard",
        description="Simulate a benefits office: staff with skills and shifts, applications "
        "routed through Chaser, Case Manager and Reviewer, benefits paid, changes of "
        "circumstances reassessed into corrections, SLA escalations; all stored in SQLite.",
    )
    where = demo.add_mutually_exclusive_group()
    where.add_argument("--db", default=DEFAULT_DB, help=f"SQLite file (default {DEFAULT_DB})")
    where.add_argument("--in-memory", action="store_true", help="store nothing on disk")
    demo.add_argument("--days", type=_positive, default=10, help="working days (default 10)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--staff", type=_at_least_4, default=36, help="staff (default 36)")
    demo.add_argument(
        "--existing", type=_not_negative, default=400, help="benefits at the start (default 400)"
    )
    demo.add_argument("--plain", action="store_true", help="plain text, no colours or bars")
    demo.add_argument("--locale", type=_locale, default=DEFAULT_LOCALE, help=_LOCALE_HELP)
    report = sub.add_parser("report", help="write an HTML report of a demo database")
    report.add_argument("--db", default=DEFAULT_DB, help=f"the demo's SQLite file ({DEFAULT_DB})")
    report.add_argument("--output", "-o", default="casekit-report.html", help="the HTML file")
    report.add_argument("--locale", type=_locale, default=DEFAULT_LOCALE, help=_LOCALE_HELP)


_LOCALE_HELP = f"how to write money, e.g. de_DE or en_IN (default {DEFAULT_LOCALE})"


def _locale(text: str) -> str:
    try:
        Money.zero("USD").format(text)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _int_at_least(minimum: int, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    return value


def _positive(text: str) -> int:
    return _int_at_least(1, text)


def _at_least_4(text: str) -> int:
    return _int_at_least(4, text)


def _not_negative(text: str) -> int:
    return _int_at_least(0, text)


def _is_demo_database(path: Path) -> bool:
    """Whether ``path`` holds a previous demo run (so the demo may replace it)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'casekit_schema'"
        ).fetchone()
        return row is not None
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _open_storage(args: argparse.Namespace, err: TextIO) -> Storage | None:
    if args.in_memory:
        return MemoryStorage()
    path = Path(args.db)
    if path.is_dir():
        err.write(
            f"casekit demo: --db {path} is a folder; give a file such as {path / DEFAULT_DB}\n"
        )
        return None
    if not path.parent.is_dir():
        err.write(
            f"casekit demo: cannot create {path}: the folder {path.parent} does not exist; "
            "create it or give --db a file in an existing folder (or --in-memory)\n"
        )
        return None
    if path.exists():
        if not _is_demo_database(path):
            err.write(
                f"casekit demo: {path} exists and is not a casekit database; not touching it\n"
            )
            return None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return SQLiteStorage(path)


def _progress(plain: bool, out: TextIO) -> tuple[AbstractContextManager[Any], Progress]:
    if not plain:
        try:
            from rich.console import Console  # noqa: PLC0415  (optional: the demo extra)
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415
        except ImportError:
            plain = True
    if plain:

        def report(done: int, days: int, text: str) -> None:
            out.write(f"day {done}/{days}  {text}\n")
            out.flush()

        return nullcontext(), report
    bar = Progress(
        TextColumn("[bold]simulating"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} days  {task.description}"),
        TimeElapsedColumn(),
        console=Console(file=out),
        transient=True,
    )
    task = bar.add_task("", total=None)

    def advance(done: int, days: int, text: str) -> None:
        bar.update(task, completed=done, total=days, description=text)

    return bar, advance


def run_demo_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``casekit demo``: run the office, store it, print the dashboard."""
    storage = _open_storage(args, err)
    if storage is None:
        return 2
    where = "memory" if args.in_memory else str(args.db)
    bar, progress = _progress(args.plain, out)
    try:
        with bar:
            result = run_demo(
                storage,
                days=args.days,
                seed=args.seed,
                staff=args.staff,
                existing=args.existing,
                progress=progress,
            )
    finally:
        storage.close()
    render_dashboard(result.figures, out, plain=args.plain, locale=args.locale)
    out.write(f"\nstored in {where}")
    if not args.in_memory:
        out.write(f"; next: casekit report --db {args.db}")
    out.write("\n")
    return 0


def run_report_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``casekit report``: write the HTML report of a demo database."""
    from casekit.demo.report import write_report  # noqa: PLC0415  (needs matplotlib)
    from casekit.errors import CasekitError  # noqa: PLC0415

    output = Path(args.output)
    if output.is_dir() or not output.parent.is_dir():
        where = "is a folder" if output.is_dir() else f"is in {output.parent}, which does not exist"
        err.write(
            f"casekit report: cannot write {output}: it {where}; give --output an HTML file "
            "in an existing folder\n"
        )
        return 2
    if not Path(args.db).exists():
        err.write(f"casekit report: no database at {args.db}; run `casekit demo` first\n")
        return 2
    try:
        written = write_report(args.db, args.output, locale=args.locale)
    except (CasekitError, OSError) as error:
        err.write(f"casekit report: {error}\n")
        return 2
    out.write(f"wrote {written}\n")
    return 0
