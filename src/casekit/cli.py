"""The ``casekit`` command line.

``casekit demo`` simulates a benefits office and prints a dashboard; ``casekit report`` writes
an HTML report of a demo database; ``casekit types`` lists the registered case types;
``casekit diagram TYPE`` prints a case type's lifecycle as a Mermaid state diagram (TYPE is
the display name, the class name or the id prefix, case-insensitive); ``casekit migrate
--sqlite PATH | --postgres CONNINFO`` creates or migrates a database's schema.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import casekit.cases  # registers the built-in case types
from casekit.cases import CASE_TYPES, Case
from casekit.demo.cli import add_commands as add_demo_commands
from casekit.demo.cli import run_demo_command, run_report_command
from casekit.storage.cli import add_commands as add_storage_commands
from casekit.storage.cli import run_migrate_command

__all__ = ["find_case_type", "main"]


def find_case_type(name: str) -> type[Case[Any]] | None:
    """Return the case type whose display name, class name or id prefix is ``name``."""
    wanted = name.strip().lower()
    for display, cls in CASE_TYPES.items():
        if wanted in (display.lower(), cls.__name__.lower(), cls.id_prefix.lower()):
            return cls
    return None


def _types(out: TextIO) -> int:
    for display, cls in sorted(CASE_TYPES.items()):
        statuses = ", ".join(str(s.value) for s in cls.lifecycle().statuses)
        out.write(f"{display} ({cls.__name__}, prefix {cls.id_prefix}): {statuses}\n")
    return 0


def _diagram(name: str, out: TextIO, err: TextIO) -> int:
    cls = find_case_type(name)
    if cls is None:
        err.write(f"casekit: no case type {name!r}; known: {', '.join(sorted(CASE_TYPES))}\n")
        return 2
    out.write(cls.to_mermaid())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one subcommand per job."""
    parser = argparse.ArgumentParser(prog="casekit", description="casekit command line")
    sub = parser.add_subparsers(dest="command", required=True)
    add_demo_commands(sub)
    add_storage_commands(sub)
    sub.add_parser("types", help="list the registered case types")
    diagram = sub.add_parser("diagram", help="print a case type's lifecycle as Mermaid")
    diagram.add_argument("type", help='e.g. "Product Delivery Case", ProductDeliveryCase or PDC')
    return parser


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    assert casekit.cases.CASE_TYPES is CASE_TYPES
    if args.command == "demo":
        return run_demo_command(args, out, err)
    if args.command == "report":
        return run_report_command(args, out, err)
    if args.command == "migrate":
        return run_migrate_command(args, out, err)
    if args.command == "types":
        return _types(out)
    return _diagram(args.type, out, err)
