"""The ``casekit`` command line.

``casekit demo`` simulates a benefits office and prints a dashboard; ``casekit report`` writes
an HTML report of a demo database; ``casekit types`` lists the registered case types;
``casekit diagram TYPE`` prints a case type's lifecycle as a Mermaid state diagram (TYPE is
the display name, the class name or the id prefix, case-insensitive); ``casekit migrate
--sqlite PATH | --postgres CONNINFO`` creates or migrates a database's schema.

Your own case types are registered when the module declaring them is imported. The command
line imports it in two ways:

- ``--import MODULE`` (repeatable, before or after the command): ``casekit --import
  myapp.cases diagram Grievance``; the module must be importable (installed, or on
  ``PYTHONPATH``);
- an entry point in the group ``casekit.case_types`` of an installed distribution, loaded by
  ``casekit types`` and ``casekit diagram``::

      [project.entry-points."casekit.case_types"]
      grievances = "myapp.cases"

A mistake ends in one line on stderr and a non-zero exit status, never a traceback:
``2`` for a bad argument or an unknown case type, ``1`` for anything else that failed,
``130`` when interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TextIO

from casekit import __version__
from casekit.cases import CASE_TYPES, Case
from casekit.demo.cli import add_commands as add_demo_commands
from casekit.demo.cli import run_demo_command, run_report_command
from casekit.errors import CasekitError
from casekit.storage.cli import add_commands as add_storage_commands
from casekit.storage.cli import run_migrate_command

__all__ = ["PLUGIN_GROUP", "build_parser", "find_case_type", "main"]

PLUGIN_GROUP = "casekit.case_types"
"""The entry-point group whose modules declare case types (loaded by ``types`` and ``diagram``)."""


class _CommandError(Exception):
    """A mistake the command line reports in one line, with its exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def find_case_type(name: str) -> type[Case[Any]] | None:
    """Return the case type whose display name, class name or id prefix is ``name``."""
    wanted = name.strip().lower()
    for display, cls in CASE_TYPES.items():
        if wanted in (display.lower(), cls.__name__.lower(), cls.id_prefix.lower()):
            return cls
    return None


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _import_modules(modules: Sequence[str]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as error:  # anything a user's module raises is reported
            hint = (
                "; is it installed or on PYTHONPATH?"
                if isinstance(error, ModuleNotFoundError) and error.name == module.split(".")[0]
                else f"; run `python -c 'import {module}'` to see where"
            )
            raise _CommandError(
                f"cannot import module {module!r} (from --import): {_describe(error)}{hint}"
            ) from None


def _load_plugins(err: TextIO) -> list[str]:
    """Import every ``casekit.case_types`` entry point; warn about (and skip) broken ones."""
    broken = []
    plugin: EntryPoint
    for plugin in entry_points(group=PLUGIN_GROUP):
        try:
            plugin.load()
        except Exception as error:  # a broken plugin must not end the command
            where = f" (distribution {plugin.dist.name})" if plugin.dist is not None else ""
            err.write(
                f"casekit: warning: skipped the case-type plugin {plugin.name!r} = "
                f"{plugin.value!r}{where}: {_describe(error)}\n"
            )
            broken.append(plugin.name)
    return broken


def _types(out: TextIO) -> int:
    for display, cls in sorted(CASE_TYPES.items()):
        statuses = ", ".join(str(s.value) for s in cls.lifecycle().statuses)
        out.write(f"{display} ({cls.__name__}, prefix {cls.id_prefix}): {statuses}\n")
    return 0


def _diagram(name: str, out: TextIO, *, broken: Sequence[str]) -> int:
    cls = find_case_type(name)
    if cls is None:
        skipped = f" (plugins skipped: {', '.join(broken)})" if broken else ""
        raise _CommandError(
            f"no case type {name!r}; known: {', '.join(sorted(CASE_TYPES))}{skipped}. "
            f"Declare yours in a module and pass --import MODULE, or register it in the "
            f"{PLUGIN_GROUP!r} entry-point group",
            status=2,
        )
    out.write(cls.to_mermaid())
    return 0


def _add_import_option(parser: argparse.ArgumentParser, dest: str) -> None:
    parser.add_argument(
        "--import",
        dest=dest,
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first, e.g. the module declaring your case types (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one subcommand per job."""
    parser = argparse.ArgumentParser(prog="casekit", description="casekit command line")
    parser.add_argument("--version", action="version", version=f"casekit {__version__}")
    _add_import_option(parser, "imports")
    sub = parser.add_subparsers(dest="command", required=True)
    add_demo_commands(sub)
    add_storage_commands(sub)
    types = sub.add_parser("types", help="list the registered case types")
    _add_import_option(types, "more_imports")
    diagram = sub.add_parser("diagram", help="print a case type's lifecycle as Mermaid")
    diagram.add_argument("type", help='e.g. "Product Delivery Case", ProductDeliveryCase or PDC')
    _add_import_option(diagram, "more_imports")
    return parser


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _import_modules([*args.imports, *getattr(args, "more_imports", [])])
    if args.command == "demo":
        return run_demo_command(args, out, err)
    if args.command == "report":
        return run_report_command(args, out, err)
    if args.command == "migrate":
        return run_migrate_command(args, out, err)
    broken = _load_plugins(err)
    if args.command == "types":
        return _types(out)
    return _diagram(args.type, out, broken=broken)


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit status.

    Bad arguments exit through argparse (status 2, a usage line and the error). Every other
    mistake is one line on ``err``: ``casekit COMMAND: what went wrong``.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        return _run(args, out, err)
    except _CommandError as error:
        err.write(f"casekit {args.command}: {error}\n")
        return error.status
    except (CasekitError, OSError) as error:
        err.write(f"casekit {args.command}: {error}\n")
        return 1
    except KeyboardInterrupt:
        err.write(f"casekit {args.command}: interrupted\n")
        return 130
