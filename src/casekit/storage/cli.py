"""``casekit migrate``: create or migrate a database's schema, as a deployment step.

``casekit migrate --sqlite PATH`` or ``casekit migrate --postgres CONNINFO`` brings the
schema to this casekit's version ([`SQLiteStorage.migrate`][],
[`PostgresStorage.migrate`][]) and says what it did; it is idempotent and safe while
other processes use the database. Keep passwords out of the command line (which other users
may see): libpq reads them from ``~/.pgpass`` or ``PGPASSWORD``.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from casekit.errors import CasekitError
from casekit.storage.postgres import PostgresStorage
from casekit.storage.sql import SchemaMigration
from casekit.storage.sqlite import SQLiteStorage

__all__ = ["add_commands", "run_migrate_command"]


def add_commands(sub: Any) -> None:
    """Add ``migrate`` to the ``casekit`` command's subparsers."""
    migrate = sub.add_parser(
        "migrate",
        help="create or migrate a database's casekit schema",
        description="Create or migrate a database's casekit schema to this casekit's version "
        "(idempotent; safe while other processes use the database). Run it once per "
        "deployment, before starting the application.",
    )
    where = migrate.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", metavar="PATH", help="a SQLite database file")
    where.add_argument(
        "--postgres",
        metavar="CONNINFO",
        help='a PostgreSQL connection string ("host=... dbname=... user=..."; the password '
        "from ~/.pgpass or PGPASSWORD)",
    )


def run_migrate_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``casekit migrate``: 0 once the schema is current, 1 (and why) if it could not be."""
    done: SchemaMigration
    try:
        if args.sqlite is not None:
            done = SQLiteStorage.migrate(args.sqlite)
        else:
            done = PostgresStorage.migrate(args.postgres)
    except CasekitError as error:  # messages are scrubbed of connection secrets
        err.write(f"casekit migrate: {error}\n")
        return 1
    out.write(f"{done}\n")
    return 0
