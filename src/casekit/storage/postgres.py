"""The PostgreSQL adapter (psycopg 3; ``pip install casekit[postgres]``).

psycopg is imported when a [`PostgresStorage`][] is created, so ``casekit.storage``
imports without it. Each storage object holds one connection (reopened if it breaks); a
unit of work is one READ COMMITTED transaction. Conditional writes
(``UPDATE ... WHERE version = expected``) make optimistic concurrency safe across
processes; appends to one case's audit trail are serialized with a transaction-scoped
advisory lock on the case id. Opening migrates the schema under an advisory lock, so many
processes may start at once.

Example::

    from casekit.storage import PostgresStorage

    storage = PostgresStorage("host=127.0.0.1 port=5432 dbname=casekit user=casekit")

Complexity: as `casekit.storage.sql` and `casekit.storage.journal`, plus one
network round trip per statement and a WAL flush per commit; several routing commands
through one ``DurableRouter.bind`` pay the commit once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from casekit.checks import check_int, check_text
from casekit.clock import SYSTEM_CLOCK, Clock, as_utc
from casekit.errors import MissingExtra, StorageUnavailable, ValidationError
from casekit.storage.conninfo import scrub_conninfo
from casekit.storage.journal import JOURNAL_TABLES_POSTGRES, SqlJournal
from casekit.storage.locks import WriterLock
from casekit.storage.ports import Storage, UnitOfWork
from casekit.storage.sql import (
    ROUTING_INDEXES_V3,
    ROUTING_TABLES,
    SCHEMA_VERSION,
    Cursor,
    SqlAudit,
    SqlDialect,
    SqlDocuments,
    check_audit_key_fingerprint,
    check_schema_version,
)

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStorage"]

_MIGRATION_LOCK = 0x6361_7365_6B69_74  # "casekit": the advisory lock held while migrating

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE IF NOT EXISTS documents ("
        " collection text NOT NULL, key text NOT NULL, version integer NOT NULL,"
        " body text NOT NULL, labels jsonb NOT NULL, updated_at timestamptz NOT NULL,"
        " PRIMARY KEY (collection, key))",
        "CREATE INDEX IF NOT EXISTS documents_labels ON documents USING gin (labels)",
        "CREATE INDEX IF NOT EXISTS documents_updated ON documents (collection, updated_at)",
        "CREATE TABLE IF NOT EXISTS audit_log ("
        " case_id text NOT NULL, seq integer NOT NULL, at text NOT NULL, actor text NOT NULL,"
        " action text NOT NULL, before text, after text, detail text NOT NULL,"
        " prev_hash text NOT NULL, hash text NOT NULL, PRIMARY KEY (case_id, seq))",
        "CREATE TABLE IF NOT EXISTS audit_heads ("
        " case_id text PRIMARY KEY, seq integer NOT NULL, hash text NOT NULL)",
        "CREATE OR REPLACE FUNCTION casekit_audit_append_only() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
        "CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION casekit_audit_append_only()",
    ),
    2: ROUTING_TABLES,
    3: ROUTING_INDEXES_V3,
    4: JOURNAL_TABLES_POSTGRES,
    # Version 5. A trail's head only moves forward, to an entry that exists with that seq
    # and hash (otherwise deleting entries at the end and setting the head back would pass
    # verification); neither audit table can be truncated (row triggers do not fire on
    # TRUNCATE).
    # "%%" is one "%" once the driver has read the statement (it runs with parameters).
    5: (
        "CREATE OR REPLACE FUNCTION casekit_audit_no_truncate() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN"
        " RAISE EXCEPTION '%% is append-only: TRUNCATE refused', TG_TABLE_NAME; END $$",
        "CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION casekit_audit_no_truncate()",
        "CREATE OR REPLACE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads"
        " FOR EACH STATEMENT EXECUTE FUNCTION casekit_audit_no_truncate()",
        "CREATE OR REPLACE FUNCTION casekit_audit_head_forward() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN"
        " IF TG_OP = 'DELETE' THEN"
        "  RAISE EXCEPTION 'audit_heads: the head of %% cannot be deleted', OLD.case_id;"
        " END IF;"
        " IF TG_OP = 'UPDATE' AND (NEW.case_id <> OLD.case_id OR NEW.seq <= OLD.seq) THEN"
        "  RAISE EXCEPTION 'audit_heads: the head of %% may only move forward (%% to %%)',"
        "   OLD.case_id, OLD.seq, NEW.seq;"
        " END IF;"
        " IF NOT EXISTS (SELECT 1 FROM audit_log WHERE case_id = NEW.case_id"
        "   AND seq = NEW.seq AND hash = NEW.hash) THEN"
        "  RAISE EXCEPTION 'audit_heads: %% has no audit_log entry %% with that hash',"
        "   NEW.case_id, NEW.seq;"
        " END IF;"
        " RETURN NEW; END $$",
        "CREATE OR REPLACE TRIGGER audit_heads_move_forward"
        " BEFORE INSERT OR UPDATE OR DELETE ON audit_heads"
        " FOR EACH ROW EXECUTE FUNCTION casekit_audit_head_forward()",
        "CREATE TABLE IF NOT EXISTS audit_key_check ("
        " id integer PRIMARY KEY CHECK (id = 1), fingerprint text NOT NULL)",
    ),
}


def _import_psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415  optional extra, imported on use
    except ImportError as error:
        raise MissingExtra(
            "PostgresStorage needs psycopg 3: pip install 'casekit[postgres]'"
        ) from error
    return psycopg


class _PostgresDialect(SqlDialect):
    def __init__(self, storage: PostgresStorage) -> None:
        self._storage = storage
        self.name = "postgresql"
        self.conninfo = storage.conninfo
        self._sql: dict[str, str] = {}

    def _convert(self, sql: str) -> str:
        converted = self._sql.get(sql)
        if converted is None:
            converted = self._sql[sql] = sql.replace("?", "%s")
        return converted

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        conn = self._storage._current()
        try:
            cursor: Cursor = conn.execute(self._convert(sql), params)
        except (self._storage._psycopg.Error, UnicodeError) as error:
            raise self.casekit_error(error, sql) from error
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self.translate(sql.split(" ", 1)[0].lower()):
            self._storage._current().cursor().executemany(self._convert(sql), rows)

    def label_filter(self, labels: Mapping[str, str]) -> tuple[str, list[object]]:
        return "labels @> CAST(? AS jsonb)", [json.dumps(dict(labels))]

    def time_param(self, moment: datetime) -> object:
        return moment

    def time_value(self, stored: object) -> datetime:
        if not isinstance(stored, datetime):
            raise TypeError(f"expected a timestamp, got {type(stored).__name__}")
        return as_utc(stored)

    def locked_heads(self, case_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        # Locks taken in id order, so two batches never wait for each other in a cycle.
        ids = sorted(case_ids)
        self.execute(
            "SELECT count(pg_advisory_xact_lock(hashtextextended(x, 0)))"
            " FROM (SELECT unnest(CAST(? AS text[])) AS x ORDER BY 1) ids",
            (ids,),
        )
        rows = self.execute(
            "SELECT case_id, seq, hash FROM audit_heads WHERE case_id = ANY(?)", (ids,)
        ).fetchall()
        return {str(c): (int(n), str(h)) for c, n, h in rows}

    def lock_domain(self, domain: str) -> None:
        # A transaction-scoped advisory lock on the domain's name, in a key space apart from
        # the case ids' (which lock audit trails).
        self.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 1))", (domain,))

    def locked_head(self, case_id: str) -> tuple[int, str] | None:
        # Two statements: under READ COMMITTED each statement reads a snapshot taken when it
        # starts, so the head must be read by a statement that starts after the lock is held.
        self.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (case_id,))
        row = self.execute(
            "SELECT seq, hash FROM audit_heads WHERE case_id = ?", (case_id,)
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def driver_errors(self) -> tuple[type[BaseException], ...]:
        return (_import_psycopg().Error,)


class PostgresStorage(Storage):
    """A PostgreSQL database, its schema created and migrated on open.

    Args:
        conninfo: A libpq connection string (``"host=... dbname=... user=..."``).
        clock: The clock cases read back are bound to.
        connect_timeout: Seconds to wait for the server.
        audit_key: A secret kept outside the database that audit entries are HMAC-ed with,
            or ``None`` (plain SHA-256); see [`Storage`][]. Give
            the same one to every process that opens the database.

    Raises:
        ValidationError: ``audit_key`` is not None or bytes of at least 16 bytes, or not
            the key the database's audit trails are written with (nothing is changed).
        MissingExtra: psycopg is not installed.
        StorageUnavailable: The server cannot be reached.
        CorruptRecord: The schema version is newer than this casekit knows.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        clock: Clock = SYSTEM_CLOCK,
        connect_timeout: int = 10,
        audit_key: bytes | None = None,
    ) -> None:
        super().__init__(clock=clock, audit_key=audit_key)
        self._psycopg = _import_psycopg()
        self.conninfo = check_text(conninfo, what="PostgreSQL connection string")
        self._connect_timeout = check_int(
            connect_timeout, what="PostgreSQL connect_timeout (seconds)", minimum=1
        )
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = WriterLock("postgresql")
        self._dialect = _PostgresDialect(self)
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    def _current(self) -> psycopg.Connection[Any]:
        """The open connection; never reconnects, so a transaction is never split."""
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            raise StorageUnavailable(
                f"postgresql: the connection to {scrub_conninfo(self.conninfo)} was lost; "
                "the unit of work is rolled back (nothing was written)"
            )
        return conn

    def _connection(self) -> psycopg.Connection[Any]:
        """The open connection, reconnecting first if it was lost (between transactions)."""
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            try:
                conn = self._psycopg.connect(
                    self.conninfo, connect_timeout=self._connect_timeout, autocommit=False
                )
            except self._psycopg.Error as error:
                message = scrub_conninfo(
                    f"cannot connect ({self.conninfo}): {error}", conninfo=self.conninfo
                )
                if isinstance(error, self._psycopg.ProgrammingError):  # a malformed string
                    raise ValidationError(
                        f"postgresql: {message}; use 'host=... dbname=... user=...' or "
                        "'postgresql://user@host/dbname'"
                    ) from None
                raise StorageUnavailable(f"postgresql: {message}") from None
            self._conn = conn
        return conn

    def _migrate(self) -> None:
        db = self._dialect
        self._connection()
        try:
            db.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            db.execute(
                "CREATE TABLE IF NOT EXISTS casekit_schema ("
                " component text PRIMARY KEY, version integer NOT NULL)"
            )
            row = db.execute(
                "SELECT version FROM casekit_schema WHERE component = 'storage'"
            ).fetchone()
            current = check_schema_version(None if row is None else int(row[0]))
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version]:
                    db.execute(statement)
            db.execute(
                "INSERT INTO casekit_schema (component, version) VALUES ('storage', ?) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                (SCHEMA_VERSION,),
            )
            check_audit_key_fingerprint(
                db, self._audit_key, what=f"audit_key of {type(self).__name__}"
            )
            with db.translate("commit"):
                self._current().commit()
        except BaseException:
            self._rollback_quietly()
            raise

    def _rollback_quietly(self) -> None:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            try:
                conn.rollback()
            except self._psycopg.Error:
                conn.close()

    def unit_of_work(self) -> _PostgresUnitOfWork:
        """Return a new unit of work (one transaction)."""
        return _PostgresUnitOfWork(self)

    def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _PostgresUnitOfWork(UnitOfWork):
    storage: PostgresStorage

    def __init__(self, storage: PostgresStorage) -> None:
        super().__init__(storage)
        self._documents = SqlDocuments(storage._dialect, self._require_active)
        self._audit = SqlAudit(storage._dialect, self._require_active, key=storage._audit_key)
        self._journal = SqlJournal(storage._dialect, self._require_active)

    @property
    def documents(self) -> SqlDocuments:
        return self._documents

    @property
    def audit(self) -> SqlAudit:
        return self._audit

    @property
    def journal(self) -> SqlJournal:
        return self._journal

    def _begin(self) -> None:
        self.storage._lock.acquire()
        try:
            self.storage._dialect.failure = None
            self.storage._connection()
        except BaseException:
            self.storage._lock.release()
            raise

    def _commit(self) -> None:
        self.storage._dialect.check_committable()
        with self.storage._dialect.translate("commit"):
            self.storage._current().commit()
        self.storage._lock.release()

    def _rollback(self) -> None:
        try:
            self.storage._rollback_quietly()
        finally:
            self.storage._lock.release()
