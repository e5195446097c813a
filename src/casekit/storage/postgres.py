"""The PostgreSQL adapter (psycopg 3; ``pip install casekit[postgres]``).

psycopg and psycopg-pool are imported when a [`PostgresStorage`][] is created, so
``casekit.storage`` imports without them. Each storage object holds a pool of connections
(``pool_size``, opened as they are needed); a unit of work takes one for its transaction (one
READ COMMITTED transaction) and gives it back at the end, so the threads of a process run
units of work at the same time. Conditional writes (``UPDATE ... WHERE version =
expected``) make optimistic concurrency safe across threads and processes; appends to one
case's audit trail, and the commands of one routing domain, are serialized with
transaction-scoped advisory locks taken on the unit of work's own connection.

Migrating the schema is a step of its own ([`PostgresStorage.migrate`][], or ``casekit
migrate --postgres CONNINFO``), run once per deployment under an advisory lock; opening only
checks the schema version (one read) unless given ``migrate=True``.

Example::

    from casekit.storage import PostgresStorage

    conninfo = "host=127.0.0.1 port=5432 dbname=casekit user=casekit"
    PostgresStorage.migrate(conninfo)  # once per deployment: casekit migrate --postgres ...
    storage = PostgresStorage(conninfo, pool_size=8)

Complexity: as `casekit.storage.sql` and `casekit.storage.journal`, plus one
network round trip per statement and a WAL flush per commit; several routing commands
through one ``DurableRouter.bind`` pay the commit once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from casekit.checks import check_bool, check_int, check_text
from casekit.clock import SYSTEM_CLOCK, Clock, as_utc
from casekit.errors import MissingExtra, StorageError, StorageUnavailable, ValidationError
from casekit.storage._checks import check_seconds
from casekit.storage.conninfo import scrub_conninfo
from casekit.storage.journal import JOURNAL_TABLES_POSTGRES
from casekit.storage.label_query import AllOf, AnyOf, Has, LabelQuery, Missing, Not
from casekit.storage.locks import NestingGuard
from casekit.storage.sql import (
    Cursor,
    SqlDialect,
    SqlUnitOfWork,
)
from casekit.storage.sql_labels import LABEL_INDEX_POSTGRES, label_term
from casekit.storage.sql_outbox import OUTBOX_TABLES_POSTGRES, PostgresOutbox
from casekit.storage.sql_schema import (
    ROUTING_INDEXES_V3,
    ROUTING_TABLES,
    SchemaMigration,
    check_audit_key_fingerprint,
    check_schema,
    migrate_schema,
)
from casekit.storage.unit_of_work import Storage

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

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
    6: OUTBOX_TABLES_POSTGRES,
    7: LABEL_INDEX_POSTGRES,
}


_TRUE, _FALSE = "(1 == 1)", "(1 == 0)"  # predicates: the literals true and false are not


def _jsonpath(query: LabelQuery, values: dict[str, str]) -> str:
    """``query`` as an SQL/JSON path predicate; its values added to ``values`` as ``v<n>``."""
    if isinstance(query, Has):
        tests = []
        for value in sorted(query.values):
            name = f"v{len(values)}"
            values[name] = value
            tests.append(f"$.{_quoted(query.name)} == ${name}")
        return "(" + " || ".join(tests) + ")" if tests else _FALSE
    if isinstance(query, Missing):
        return f"!(exists($.{_quoted(query.name)}))"
    if isinstance(query, Not):
        return f"!({_jsonpath(query.part, values)})"
    if isinstance(query, AllOf | AnyOf):
        if not query.parts:
            return _TRUE if isinstance(query, AllOf) else _FALSE
        joiner = " && " if isinstance(query, AllOf) else " || "
        return "(" + joiner.join(_jsonpath(part, values) for part in query.parts) + ")"
    raise TypeError(f"not a label query: {query!r}")  # pragma: no cover  (checked at the door)


def _quoted(name: str) -> str:
    """A label name as an SQL/JSON path string literal (JSON's escapes)."""
    return json.dumps(name, ensure_ascii=False)


def _import_psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415  optional extra, imported on use
    except ImportError as error:
        raise MissingExtra(
            "PostgresStorage needs psycopg 3: pip install 'casekit[postgres]'"
        ) from error
    return psycopg


def _import_pool() -> Any:
    try:
        import psycopg_pool  # noqa: PLC0415  optional extra, imported on use
    except ImportError as error:
        raise MissingExtra(
            "PostgresStorage needs psycopg-pool: pip install 'casekit[postgres]'"
        ) from error
    return psycopg_pool


_CONVERTED: dict[str, str] = {}
"""Statements with ``?`` placeholders as psycopg takes them (``%s``), by statement."""


EXISTING_KEYS = "SELECT key FROM documents WHERE collection = ? AND key = ANY(?)"
"""Which of a batch's keys are stored: the keys as one array parameter."""


class _PostgresDialect(SqlDialect):
    """One transaction's connection: taken by `begin`, given back at its end.

    Args:
        conninfo: The connection string (scrubbed from messages).
        take: Returns the connection for a new transaction.
        give: Takes it back once the transaction ended (committed, rolled back or broken).
    """

    name = "postgresql"
    outbox = PostgresOutbox

    def __init__(
        self,
        conninfo: str,
        take: Callable[[], psycopg.Connection[Any]],
        give: Callable[[psycopg.Connection[Any]], None],
    ) -> None:
        self.conninfo = self._conninfo = conninfo
        self._take = take
        self._give = give
        self._conn: psycopg.Connection[Any] | None = None
        self._errors: tuple[type[BaseException], ...] = (
            _import_psycopg().Error,
            UnicodeError,
        )

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """The transaction's connection; never reconnects, so a transaction is never split.

        Raises:
            StorageUnavailable: There is none (no transaction), or it was lost.
        """
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            raise StorageUnavailable(
                f"postgresql: the connection to {scrub_conninfo(self._conninfo)} was lost; "
                "the unit of work is rolled back (nothing was written)"
            )
        return conn

    def begin(self) -> None:
        self._conn = self._take()

    def commit(self) -> None:
        with self.translate("commit"):
            self.connection.commit()
        self._release()

    def rollback(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            if not conn.closed and not conn.broken:
                try:
                    conn.rollback()
                except self._errors[0]:
                    conn.close()
        finally:
            self._release()

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._give(conn)

    def table_exists(self, table: str) -> bool:
        row = self.execute("SELECT to_regclass(?) IS NOT NULL", (table,)).fetchone()
        return bool(row[0])

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        converted = _CONVERTED.get(sql)
        if converted is None:
            converted = _CONVERTED[sql] = sql.replace("?", "%s")
        conn = self.connection
        try:
            cursor: Cursor = conn.execute(converted, params)
        except self._errors as error:
            raise self.casekit_error(error, sql) from error
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        converted = _CONVERTED.get(sql)
        if converted is None:
            converted = _CONVERTED[sql] = sql.replace("?", "%s")
        with self.translate(sql.split(" ", 1)[0].lower()):
            self.connection.cursor().executemany(converted, rows)

    def existing_keys(self, collection: str, keys: Sequence[str]) -> list[str]:
        """Those of ``keys`` stored in ``collection``, in one statement.

        ``key = ANY(array)`` with the keys as one parameter: once psycopg prepares the
        statement, PostgreSQL's generic plan for an ``IN`` list of 500 parameters scanned the
        whole collection (saves fell from ~10,000/s to ~600/s as it grew to 60,000 cases);
        ``= ANY`` stays an index search on ``(collection, key)``. O(k log n).
        """
        rows = self.execute(EXISTING_KEYS, (collection, list(keys))).fetchall()
        return [str(row[0]) for row in rows]

    def label_filter(self, labels: Mapping[str, str]) -> tuple[str, list[object]]:
        return "labels @> CAST(? AS jsonb)", [json.dumps(dict(labels))]

    def label_condition(self, query: LabelQuery) -> tuple[str, list[object]]:
        """The whole query as one SQL/JSON path predicate on ``d.labels``.

        ``jsonb_path_match(d.labels, path, vars)``: ``Has`` is ``$."name" == $v0 || ...``
        (in lax mode a set label's array is unwrapped, so it holds when one of its texts
        is equal), ``Missing`` is ``!(exists($."name"))``, and ``AllOf``, ``AnyOf``,
        ``Not`` are ``&&``, ``||``, ``!``; the values are passed as variables, the names
        quoted as JSON strings. One function call, so the planner estimates the condition
        as it does any function's (a third of the rows) instead of multiplying the
        selectivity of every term down to almost nothing, which made it hash every
        branch to the end instead of merging them and stopping at the page.
        """
        values: dict[str, str] = {}
        path = _jsonpath(query, values)
        return (
            "jsonb_path_match(d.labels, CAST(? AS jsonpath), CAST(? AS jsonb))",
            [path, json.dumps(values)],
        )

    def label_branch(
        self, collection: str, name: str, value: str, after: str | None
    ) -> tuple[str, list[object]]:
        """The keys holding one label value: its term's index range (``label_term``)."""
        sql = (
            "SELECT l.key FROM document_labels l JOIN documents d"
            " ON d.collection = ? AND d.key = l.key WHERE l.term = ?"
        )
        params: list[object] = [collection, label_term(collection, name, value)]
        if after is not None:
            sql += " AND l.key > ?"
            params.append(after)
        return sql, params

    def merged_keys(
        self, branches: Sequence[tuple[str, list[object]]], limit: int
    ) -> tuple[str, list[object]]:
        """``DISTINCT`` over a ``UNION ALL`` of the ordered branches, cut at ``limit``.

        PostgreSQL runs it as a Merge Append of the branches' index scans, read only as far
        as the page needs (``UNION`` would read every branch to the end to hash it).
        """
        params: list[object] = []
        for _, values in branches:
            params.extend([*values, limit])
        union = " UNION ALL ".join(f"({sql} ORDER BY l.key LIMIT ?)" for sql, _ in branches)
        return f"SELECT DISTINCT u.key FROM ({union}) u ORDER BY u.key LIMIT ?", [*params, limit]

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
    """A PostgreSQL database, reached through a pool of connections.

    Opening checks that the schema is at this casekit's version (one read) and does not
    migrate it unless ``migrate=True``: on PostgreSQL the migration is a deployment step,
    run once with [`migrate`][] or ``casekit migrate --postgres CONNINFO`` (by a role
    allowed to create tables), not by every process that starts. A new database is no
    exception: opening it says how to create the schema instead of creating it in whatever
    database the connection string happens to name.

    Args:
        conninfo: A libpq connection string (``"host=... dbname=... user=..."``).
        clock: The clock cases read back are bound to.
        connect_timeout: Seconds to wait for the server.
        audit_key: A secret kept outside the database that audit entries are HMAC-ed with,
            or ``None`` (plain SHA-256); see [`Storage`][].
            Give the same one to every process that opens the database.
        pool_size: The most connections it holds, so the most units of work that run at
            once (each takes one for its transaction); they are opened as needed and
            closed after 10 idle minutes. Size it to the threads that make units of work
            concurrently, within the server's ``max_connections`` shared by every process.
            Open the storage in the process that uses it (after a pre-forking server forks:
            the pool runs a thread of its own).
        pool_timeout: Seconds a unit of work waits for a connection when all ``pool_size``
            are in use, before [`StorageUnavailable`][].
        migrate: Create or migrate the schema on open (under the migration lock) instead
            of only checking it.

    Raises:
        ValidationError: An argument is not valid, or ``audit_key`` is not the key the
            database's audit trails are written with (nothing is changed).
        MissingExtra: psycopg or psycopg-pool is not installed.
        StorageUnavailable: The server cannot be reached.
        SchemaNotMigrated: The database has no casekit schema, or an older one (and
            ``migrate`` is false).
        CorruptRecord: The schema version is newer than this casekit knows.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        clock: Clock = SYSTEM_CLOCK,
        connect_timeout: int = 10,
        audit_key: bytes | None = None,
        pool_size: int = 4,
        pool_timeout: float = 30.0,
        migrate: bool = False,
    ) -> None:
        super().__init__(clock=clock, audit_key=audit_key)
        self._psycopg = _import_psycopg()
        pool_module = _import_pool()
        self.conninfo = check_text(conninfo, what="PostgreSQL connection string")
        self._connect_timeout = check_int(
            connect_timeout, what="PostgreSQL connect_timeout (seconds)", minimum=1
        )
        self.pool_size = check_int(pool_size, what="pool_size of PostgresStorage", minimum=1)
        self._pool_timeout = check_seconds(pool_timeout, what="pool_timeout of PostgresStorage")
        migrate = check_bool(migrate, what="migrate of PostgresStorage")
        self._guard = NestingGuard("postgresql")
        self._pool: psycopg_pool.ConnectionPool[Any] | None = None
        self._open_schema(migrate)
        self._pool = pool_module.ConnectionPool(
            self.conninfo,
            kwargs={"connect_timeout": self._connect_timeout, "autocommit": False},
            min_size=0,
            max_size=self.pool_size,
            timeout=self._pool_timeout,
            name="casekit-postgresql",
            num_workers=1,
            open=False,
        )
        self._pool.open(wait=False)

    @classmethod
    def migrate(cls, conninfo: str, *, connect_timeout: int = 10) -> SchemaMigration:
        """Create or migrate the schema of the database ``conninfo`` names.

        Idempotent, and safe while other processes use the database or migrate it too (it
        runs in one transaction holding an advisory lock). ``casekit migrate --postgres
        CONNINFO`` runs it.

        Raises:
            ValidationError: ``conninfo`` is not a valid connection string.
            MissingExtra: psycopg is not installed.
            StorageUnavailable: The server cannot be reached.
            CorruptRecord: The schema version is newer than this casekit knows.
        """
        psycopg = _import_psycopg()
        conninfo = check_text(conninfo, what="PostgreSQL connection string")
        connect_timeout = check_int(
            connect_timeout, what="PostgreSQL connect_timeout (seconds)", minimum=1
        )
        conn = _connect(psycopg, conninfo, connect_timeout)
        try:
            db = _PostgresDialect(conninfo, lambda: conn, lambda _: None)
            db.begin()
            try:
                db.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
                done = migrate_schema(db, _MIGRATIONS)
                db.commit()
            except BaseException:
                db.rollback()
                raise
        finally:
            conn.close()
        return done

    def _open_schema(self, migrate: bool) -> None:
        """Check (or migrate) the schema and the audit key, on a connection of its own."""
        conn = _connect(self._psycopg, self.conninfo, self._connect_timeout)
        try:
            db = _PostgresDialect(self.conninfo, lambda: conn, lambda _: None)
            db.begin()
            try:
                if migrate:
                    db.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
                    migrate_schema(db, _MIGRATIONS)
                else:
                    check_schema(
                        db,
                        how="`casekit migrate --postgres CONNINFO` or "
                        "PostgresStorage.migrate(conninfo)",
                    )
                check_audit_key_fingerprint(
                    db, self._audit_key, what=f"audit_key of {type(self).__name__}"
                )
                db.commit()
            except BaseException:
                db.rollback()
                raise
        finally:
            conn.close()

    def _take(self) -> psycopg.Connection[Any]:
        """A connection from the pool for one unit of work (this thread has none open)."""
        pool = self._pool
        if pool is None:
            raise StorageError("postgresql: the storage is closed; open a new PostgresStorage")
        self._guard.enter()
        try:
            conn: psycopg.Connection[Any] = pool.getconn()
        except _import_pool().PoolClosed:
            self._guard.leave()
            raise StorageError(
                "postgresql: the storage is closed; open a new PostgresStorage"
            ) from None
        except _import_pool().PoolTimeout as error:
            self._guard.leave()
            raise StorageUnavailable(
                f"postgresql: no connection to {scrub_conninfo(self.conninfo)} within "
                f"{self._pool_timeout:g} s: all {self.pool_size} of the pool are in use "
                "(raise pool_size) or the server cannot be reached"
            ) from error
        except BaseException:
            self._guard.leave()
            raise
        return conn

    def _give(self, conn: psycopg.Connection[Any]) -> None:
        """Return ``conn`` to the pool (which drops it if it is closed or broken)."""
        try:
            pool = self._pool
            if pool is None:
                conn.close()
            else:
                pool.putconn(conn)
        finally:
            self._guard.leave()

    def unit_of_work(self) -> SqlUnitOfWork:
        """Return a new unit of work (one transaction on a connection from the pool)."""
        return SqlUnitOfWork(self, _PostgresDialect(self.conninfo, self._take, self._give))

    def close(self) -> None:
        """Close the pool and its connections; the storage is unusable afterwards."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _connect(driver: Any, conninfo: str, timeout: int) -> psycopg.Connection[Any]:
    """A new connection (outside the pool), its errors translated and scrubbed."""
    try:
        conn: psycopg.Connection[Any] = driver.connect(
            conninfo, connect_timeout=timeout, autocommit=False
        )
    except driver.Error as error:
        message = scrub_conninfo(f"cannot connect ({conninfo}): {error}", conninfo=conninfo)
        if isinstance(error, driver.ProgrammingError):  # a malformed string
            raise ValidationError(
                f"postgresql: {message}; use 'host=... dbname=... user=...' or "
                "'postgresql://user@host/dbname'"
            ) from None
        raise StorageUnavailable(f"postgresql: {message}") from None
    return conn
