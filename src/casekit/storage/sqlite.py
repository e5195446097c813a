"""The SQLite adapter: the embedded, persistent default (standard library only).

One database file in WAL mode; several processes may open it (writers take turns: a unit of
work starts with ``BEGIN IMMEDIATE`` and waits up to ``timeout`` seconds for the write lock).
``synchronous=NORMAL`` survives a killed process without losing a committed unit of work;
pass ``synchronous="FULL"`` to survive a power cut as well.

Example::

    from casekit.storage import SQLiteStorage

    with SQLiteStorage("cases.db") as storage:
        with storage.unit_of_work() as uow:
            uow.cases.add(case, actor="intake")
            uow.commit()

Complexity: as `casekit.storage.sql` and `casekit.storage.journal`; a unit
of work costs one ``BEGIN``/``COMMIT`` (the pages it changed appended to the WAL, an fsync of
the WAL with ``synchronous=FULL``, and every 1,000 WAL pages a checkpoint with two fsyncs),
so batch writes in one unit of work (``Storage.add_all`` for cases; several routing
commands through one ``DurableRouter.bind``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from casekit.checks import check_bool, check_text
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import StorageUnavailable, ValidationError
from casekit.storage._checks import check_seconds
from casekit.storage.journal import JOURNAL_TABLES_SQLITE
from casekit.storage.label_query import LabelQuery
from casekit.storage.locks import WriterLock
from casekit.storage.sql import (
    Cursor,
    SqlDialect,
    SqlUnitOfWork,
    parse_time,
    time_text,
)
from casekit.storage.sql_labels import LABEL_INDEX_SQLITE, label_condition
from casekit.storage.sql_outbox import OUTBOX_TABLES_SQLITE
from casekit.storage.sql_schema import (
    ROUTING_INDEXES_V3,
    ROUTING_TABLES,
    SchemaMigration,
    check_audit_key_fingerprint,
    check_schema,
    migrate_schema,
)
from casekit.storage.unit_of_work import Storage

__all__ = ["SQLiteStorage"]


def _rebuild(table: str, definition: str, columns: str, options: str = "") -> tuple[str, ...]:
    """Statements that rebuild ``table`` as ``CREATE TABLE table (definition) options``.

    The rows are copied (``columns``); the old table's indexes are dropped with it.
    """
    return (
        f"CREATE TABLE IF NOT EXISTS {table}_rebuilt ({definition}){options}",
        f"INSERT OR IGNORE INTO {table}_rebuilt ({columns}) SELECT {columns} FROM {table}",
        f"DROP TABLE {table}",
        f"ALTER TABLE {table}_rebuilt RENAME TO {table}",
    )


_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE IF NOT EXISTS documents ("
        " collection TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL,"
        " body TEXT NOT NULL, labels TEXT NOT NULL, updated_at TEXT NOT NULL,"
        " PRIMARY KEY (collection, key)) WITHOUT ROWID",
        "CREATE INDEX IF NOT EXISTS documents_updated ON documents (collection, updated_at)",
        "CREATE TABLE IF NOT EXISTS audit_log ("
        " case_id TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,"
        " action TEXT NOT NULL, before TEXT, after TEXT, detail TEXT NOT NULL,"
        " prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (case_id, seq))",
        "CREATE TABLE IF NOT EXISTS audit_heads ("
        " case_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL)",
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log"
        " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log"
        " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ),
    2: ROUTING_TABLES,
    # Version 3. documents becomes a rowid table: a WITHOUT ROWID table keeps whole rows in
    # its b-tree, and a case's record (about 1 KB) spilled to an overflow page each, so a
    # batch of cases wrote about three times the pages it needed. audit_heads and
    # routing_items (small rows, always found by key) become WITHOUT ROWID, which saves
    # their separate key index. Each is rebuilt by copying (IF [NOT] EXISTS: idempotent).
    3: (
        *_rebuild(
            "documents",
            "collection TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL,"
            " body TEXT NOT NULL, labels TEXT NOT NULL, updated_at TEXT NOT NULL,"
            " PRIMARY KEY (collection, key)",
            "collection, key, version, body, labels, updated_at",
        ),
        "CREATE INDEX IF NOT EXISTS documents_updated ON documents (collection, updated_at)",
        *_rebuild(
            "audit_heads",
            "case_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL",
            "case_id, seq, hash",
            " WITHOUT ROWID",
        ),
        *_rebuild(
            "routing_items",
            "item_id TEXT PRIMARY KEY, state TEXT NOT NULL, rank INTEGER NOT NULL,"
            " skills TEXT NOT NULL, enqueued_at TEXT NOT NULL, agent_id TEXT, deadline TEXT,"
            " declined_by TEXT NOT NULL",
            "item_id, state, rank, skills, enqueued_at, agent_id, deadline, declined_by",
            " WITHOUT ROWID",
        ),
        *ROUTING_INDEXES_V3,
    ),
    4: JOURNAL_TABLES_SQLITE,
    # Version 5. A trail's head only moves forward, to an entry that exists with that seq
    # and hash: otherwise deleting entries at the end and setting the head back would pass
    # verification. INSERT checks too that no head of the case is at or past the new seq,
    # which also stops INSERT OR REPLACE (its implied delete fires no trigger) from moving a
    # head back. No TRUNCATE in SQLite: a DELETE without WHERE fires the triggers.
    5: (
        "CREATE TRIGGER IF NOT EXISTS audit_heads_no_delete BEFORE DELETE ON audit_heads"
        " BEGIN SELECT RAISE(ABORT, 'audit_heads: a head cannot be deleted'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_heads_insert_existing BEFORE INSERT ON audit_heads"
        " WHEN NOT EXISTS (SELECT 1 FROM audit_log WHERE case_id = NEW.case_id"
        " AND seq = NEW.seq AND hash = NEW.hash)"
        " OR EXISTS (SELECT 1 FROM audit_heads WHERE case_id = NEW.case_id AND seq >= NEW.seq)"
        " BEGIN SELECT RAISE(ABORT,"
        " 'audit_heads: a head may only move forward to an existing audit_log entry'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_heads_move_forward BEFORE UPDATE ON audit_heads"
        " WHEN NEW.case_id IS NOT OLD.case_id OR NEW.seq <= OLD.seq"
        " OR NOT EXISTS (SELECT 1 FROM audit_log WHERE case_id = NEW.case_id"
        " AND seq = NEW.seq AND hash = NEW.hash)"
        " BEGIN SELECT RAISE(ABORT,"
        " 'audit_heads: a head may only move forward to an existing audit_log entry'); END",
        "CREATE TABLE IF NOT EXISTS audit_key_check ("
        " id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT NOT NULL)",
    ),
    6: OUTBOX_TABLES_SQLITE,
    7: LABEL_INDEX_SQLITE,
}


def _plain_name(name: str) -> bool:
    """Whether a JSON path ``$."name"`` finds the label ``name``.

    SQLite compares a quoted path label with the key as written in the JSON text, escapes
    included, so a name with a quote, a backslash or a control character is looked up by
    key instead.
    """
    return '"' not in name and "\\" not in name and name.isprintable()


class _SQLiteDialect(SqlDialect):
    """The storage's one connection; its units of work take turns on it (``_lock``)."""

    name = "sqlite"

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self.name = f"sqlite {path}"
        self._lock = WriterLock(self.name)

    def begin(self) -> None:
        self._lock.acquire()
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def commit(self) -> None:
        self.execute("COMMIT")
        self._lock.release()

    def rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.rollback()
        finally:
            self._lock.release()

    def table_exists(self, table: str) -> bool:
        row = self.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return row is not None

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        try:
            return self.conn.execute(sql, params)
        except (sqlite3.Error, UnicodeError) as error:
            raise self.casekit_error(error, sql) from error

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        try:
            self.conn.executemany(sql, rows)
        except (sqlite3.Error, UnicodeError) as error:
            raise self.casekit_error(error, sql) from error

    def label_filter(self, labels: Mapping[str, str]) -> tuple[str, list[object]]:
        parts: list[str] = []
        params: list[object] = []
        for name, value in labels.items():
            if not _plain_name(name):
                # A JSON path cannot quote these: SQLite compares a quoted path label with
                # the key as written in the JSON text (escaped), so look the key up instead.
                parts.append("EXISTS (SELECT 1 FROM json_each(labels) WHERE key = ? AND value = ?)")
                params.extend([name, value])
            else:
                parts.append("json_extract(labels, ?) = ?")
                params.extend([f'$."{name}"', value])
        return " AND ".join(parts), params

    def label_condition(self, query: LabelQuery) -> tuple[str, list[object]]:
        """``AND``, ``OR`` and ``NOT`` of `has_label` and `missing_label`."""
        return label_condition(query, self)

    def has_label(self, name: str, values: Sequence[str]) -> tuple[str, list[object]]:
        """``d``'s label ``name`` is one of ``values``, or a set label holding one.

        ``json_each`` over the label's path yields the text itself, or each text of a set
        (an array): one parse of ``d.labels``, cheaper than probing the label index once
        per value (measured with ``benchmarks/security.py``).
        """
        marks = ", ".join("?" * len(values))
        if _plain_name(name):
            return (
                f"EXISTS (SELECT 1 FROM json_each(d.labels, ?) WHERE type = 'text'"
                f" AND value IN ({marks}))",
                [f'$."{name}"', *values],
            )
        # A JSON path cannot quote this name (see label_filter): look the key up instead.
        return (
            "EXISTS (SELECT 1 FROM json_each(d.labels) j WHERE j.key = ? AND"
            f" ((j.type = 'text' AND j.value IN ({marks})) OR (j.type = 'array' AND EXISTS"
            " (SELECT 1 FROM json_each(CASE WHEN j.type = 'array' THEN j.value ELSE '[]' END)"
            f" e WHERE e.value IN ({marks})))))",
            [name, *values, *values],
        )

    def missing_label(self, name: str) -> tuple[str, list[object]]:
        """``d`` has no label ``name``."""
        if _plain_name(name):
            return "json_type(d.labels, ?) IS NULL", [f'$."{name}"']
        return "NOT EXISTS (SELECT 1 FROM json_each(d.labels) j WHERE j.key = ?)", [name]

    def time_param(self, moment: datetime) -> object:
        return time_text(moment)  # fixed width, so text order is time order

    def time_value(self, stored: object) -> datetime:
        if not isinstance(stored, str):
            raise TypeError(f"expected text, got {type(stored).__name__}")
        return parse_time(stored)

    def locked_heads(self, case_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """The heads, 500 per statement (the write lock is already held)."""
        heads: dict[str, tuple[int, str]] = {}
        for start in range(0, len(case_ids), 500):
            chunk = list(case_ids[start : start + 500])
            rows = self.execute(
                "SELECT case_id, seq, hash FROM audit_heads WHERE case_id IN ("
                + ", ".join("?" * len(chunk))
                + ")",
                chunk,
            ).fetchall()
            heads.update((str(c), (int(n), str(h))) for c, n, h in rows)
        return heads

    def locked_head(self, case_id: str) -> tuple[int, str] | None:
        """The head; ``BEGIN IMMEDIATE`` already holds the database's write lock."""
        row = self.execute(
            "SELECT seq, hash FROM audit_heads WHERE case_id = ?", (case_id,)
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)


class SQLiteStorage(Storage):
    """A SQLite database file (or ``":memory:"``), its schema created or migrated on open.

    Opening migrates by default (``migrate=True``): an embedded database belongs to its one
    application, so a new file is ready to use. With ``migrate=False`` opening only checks
    the schema version, as [`PostgresStorage`][] does by default, and
    the migration is a step of its own ([`migrate`][], ``casekit migrate --sqlite PATH``).

    Args:
        path: The database file; created if missing.
        clock: The clock cases read back are bound to.
        timeout: Seconds to wait for another writer before giving up.
        synchronous: ``"NORMAL"`` (crash-safe) or ``"FULL"`` (also power-cut safe).
        audit_key: A secret kept outside the database that audit entries are HMAC-ed with,
            or ``None`` (plain SHA-256); see [`Storage`][].
            Give the same one every time the file is opened.
        migrate: Create or migrate the schema on open (the default), or only check it.

    Raises:
        ValidationError: ``synchronous``, ``migrate`` or ``audit_key`` is not valid, or
            ``audit_key`` is not the key the file's audit trails are written with (nothing
            is changed).
        StorageUnavailable: The file cannot be opened or is not a database.
        SchemaNotMigrated: ``migrate=False`` and the file has no casekit schema or an older
            one.
        CorruptRecord: Its schema version is newer than this casekit knows.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = SYSTEM_CLOCK,
        timeout: float = 30.0,
        synchronous: str = "NORMAL",
        audit_key: bytes | None = None,
        migrate: bool = True,
    ) -> None:
        super().__init__(clock=clock, audit_key=audit_key)
        if synchronous not in ("NORMAL", "FULL"):
            raise ValidationError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        migrate = check_bool(migrate, what="migrate of SQLiteStorage")
        self._dialect = _open(path, timeout)
        self.path = self._dialect.path
        try:
            self._dialect.execute(f"PRAGMA synchronous={synchronous}")  # checked above
            self._open_schema(migrate)
        except BaseException:
            self._dialect.conn.close()
            raise

    @classmethod
    def migrate(cls, path: str | Path, *, timeout: float = 30.0) -> SchemaMigration:
        """Create or migrate the schema of the database file at ``path`` (created if missing).

        Idempotent, and safe while other processes use the file (the migration holds the
        write lock). ``casekit migrate --sqlite PATH`` runs it.

        Raises:
            ValidationError: ``path`` or ``timeout`` is not valid.
            StorageUnavailable: The file cannot be opened or is not a database.
            CorruptRecord: Its schema version is newer than this casekit knows.
        """
        db = _open(path, timeout)
        try:
            db.begin()
            try:
                done = migrate_schema(db, _MIGRATIONS)
                db.commit()
            except BaseException:
                db.rollback()
                raise
        finally:
            db.conn.close()
        return done

    def _open_schema(self, migrate: bool) -> None:
        db = self._dialect
        db.begin()
        try:
            if migrate:
                migrate_schema(db, _MIGRATIONS)
            else:
                check_schema(
                    db,
                    how=f"`casekit migrate --sqlite {self.path}` or SQLiteStorage.migrate(path)",
                )
            check_audit_key_fingerprint(
                db, self._audit_key, what=f"audit_key of {type(self).__name__}"
            )
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def unit_of_work(self) -> SqlUnitOfWork:
        """Return a new unit of work (``BEGIN IMMEDIATE`` on enter; one at a time)."""
        return SqlUnitOfWork(self, self._dialect)

    def close(self) -> None:
        """Close the connection."""
        self._dialect.conn.close()


def _open(path: str | Path, timeout: float) -> _SQLiteDialect:
    """The checked ``path``'s database, connected in WAL mode."""
    if not isinstance(path, str | os.PathLike):
        raise ValidationError(f"SQLite database path must be a str or a Path, got {path!r}")
    text = check_text(str(os.fspath(path)), what="SQLite database path")
    timeout = check_seconds(timeout, what="SQLite busy timeout")
    try:
        conn = sqlite3.connect(text, timeout=timeout, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise StorageUnavailable(f"sqlite {text}: cannot open: {error}") from error
    db = _SQLiteDialect(conn, text)
    try:
        db.execute("PRAGMA journal_mode=WAL")
    except BaseException:
        conn.close()
        raise
    return db
