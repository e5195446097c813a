"""What the SQL adapters share: the dialect, the statements, the row decoding, the unit of work.

SQLite and PostgreSQL differ only in how a transaction gets its connection (SQLite: a turn
on the storage's one connection; PostgreSQL: one from the pool), the placeholder, how labels
are filtered, how a time is stored, how one case's audit trail and one routing domain are
locked, and which driver errors mean "unavailable"; `SqlDialect` holds those
differences and the two adapters supply one each. Everything else is shared: the document
store, the audit log, the routing journal, one unit of work (`SqlUnitOfWork`), and
the schema's migration and check (`migrate_schema`, `check_schema`). Every
statement is parameterized: values never enter SQL text.

The schema (its tables, versions, migration and check) is in
`casekit.storage.sql_schema`, how driver errors become casekit errors in
`casekit.storage.sql_errors`; their public names are importable from here too.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from casekit.clock import as_utc
from casekit.errors import (
    AlreadyExists,
    CasekitError,
    ConcurrencyConflict,
    CorruptRecord,
    NotFound,
    StorageError,
    ValidationError,
)
from casekit.storage import _checks
from casekit.storage.audit import ChainedAuditLog
from casekit.storage.journal import SqlJournal
from casekit.storage.label_query import LabelQuery, Labels, LabelValue
from casekit.storage.ports import AuditEntry, Body, Document, DocumentStore, JsonText, Outbox
from casekit.storage.sql_errors import translate_error
from casekit.storage.sql_labels import find_statement, union_merge
from casekit.storage.sql_outbox import SqlOutbox
from casekit.storage.sql_schema import (
    ROUTING_INDEXES_V3,
    ROUTING_TABLES,
    SCHEMA_VERSION,
    SchemaMigration,
    check_audit_key_fingerprint,
    check_schema,
    check_schema_version,
    migrate_schema,
)
from casekit.storage.unit_of_work import Storage, UnitOfWork

__all__ = [
    "ROUTING_INDEXES_V3",
    "ROUTING_TABLES",
    "SCHEMA_VERSION",
    "Cursor",
    "SchemaMigration",
    "SqlAudit",
    "SqlDialect",
    "SqlDocuments",
    "SqlUnitOfWork",
    "check_audit_key_fingerprint",
    "check_schema",
    "check_schema_version",
    "migrate_schema",
    "parse_time",
    "time_text",
    "translate_error",
]

_CHUNK = 500  # keys per IN (...) list, under SQLite's parameter limit
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width: text order is time order
_TIME_WIDTH = 27


def time_text(moment: datetime) -> str:
    """A time as fixed-width UTC text: ``2026-03-02T09:00:00.000000Z``."""
    text = as_utc(moment).isoformat(timespec="microseconds")  # ...+00:00, years 0001-9999
    return text[:26] + "Z"


def parse_time(text: str) -> datetime:
    """Text written by `time_text` back as a UTC datetime.

    Raises:
        ValueError: ``text`` is not in that exact format.
    """
    if len(text) != _TIME_WIDTH or text[-1] != "Z" or text[10] != "T":
        raise ValueError(f"time {text!r} is not in the format {_TIME_FORMAT}")
    return datetime.fromisoformat(text)  # UTC from the Z; far faster than strptime


class Cursor(Protocol):
    """The part of a DB-API cursor the adapters use."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""
        ...

    def fetchone(self) -> Any:
        """The next row, or ``None``."""
        ...

    def fetchall(self) -> list[Any]:
        """Every remaining row."""
        ...


class SqlDialect(abc.ABC):
    """One database's way of saying the few things that differ, and its connection."""

    name: str = "sql"
    outbox: type[SqlOutbox] = SqlOutbox
    """The outbox over this database's ``outbox`` table (`casekit.storage.sql_outbox`):
    the default reads and then writes, as units of work serialized on one connection may;
    PostgreSQL's claims skip the rows another claim holds."""
    conninfo: str | None = None
    """The connection string, if any: its secrets are scrubbed from every message."""
    failure: str | None = None
    """Set when a statement of the current transaction failed: it must be rolled back.

    A failed statement aborts a PostgreSQL transaction (its COMMIT would silently roll
    back) and may have half-done a unit of work's change on SQLite, so the unit of work
    refuses to commit after one (`check_committable`)."""

    @abc.abstractmethod
    def begin(self) -> None:
        """Start a unit of work's transaction (on a connection of its own, or its turn on one).

        Raises:
            StorageError: A unit of work is already open in this thread (they do not nest).
            StorageUnavailable: No connection could be had.
        """

    @abc.abstractmethod
    def commit(self) -> None:
        """Make the transaction durable and release its connection, or raise and write nothing.

        When it raises, `rollback` is called next (and must still release).
        """

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard the transaction and release its connection; never raises a driver error."""

    @abc.abstractmethod
    def table_exists(self, table: str) -> bool:
        """Whether ``table`` exists (read without failing the transaction)."""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        """Run one parameterized statement (``?`` placeholders) in the current transaction.

        Raises:
            StorageUnavailable: The driver failed; the message names the database.
        """

    @abc.abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one parameterized statement once per row."""

    def existing_keys(self, collection: str, keys: Sequence[str]) -> list[str]:
        """Those of ``keys`` stored in ``collection``: ``IN`` lists of 500 keys.

        No ``ORDER BY key LIMIT 1``: the database would then walk the key index in order,
        past every stored key, to find none. O(k log n) for ``k`` keys.
        """
        found: list[str] = []
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            rows = self.execute(
                "SELECT key FROM documents WHERE collection = ? AND key IN ("
                + ", ".join("?" * len(chunk))
                + ")",
                [collection, *chunk],
            ).fetchall()
            found.extend(str(row[0]) for row in rows)
        return found

    @abc.abstractmethod
    def label_filter(self, labels: Mapping[str, str]) -> tuple[str, list[object]]:
        """An SQL condition (and its parameters) matching rows that have every label."""

    @abc.abstractmethod
    def label_condition(self, query: LabelQuery) -> tuple[str, list[object]]:
        """``query`` as a condition on the ``documents`` row ``d``, and its parameters.

        It must hold exactly when ``query.matches(labels)`` holds for ``d``'s labels.
        """

    def label_branch(
        self, collection: str, name: str, value: str, after: str | None
    ) -> tuple[str, list[object]]:
        """The head of an entry branch: the keys holding one label value, joined to ``d``.

        ``SELECT l.key FROM document_labels l JOIN documents d ... WHERE ...`` reading, in
        key order, the index range of ``(collection, name, value)`` after ``after``; the
        caller appends `` AND <condition on d>``. The default is SQLite's layout.
        """
        sql = (
            "SELECT l.key FROM document_labels l JOIN documents d"
            " ON d.collection = l.collection AND d.key = l.key"
            " WHERE l.collection = ? AND l.name = ? AND l.value = ?"
        )
        params: list[object] = [collection, name, value]
        if after is not None:
            sql += " AND l.key > ?"
            params.append(after)
        return sql, params

    def merged_keys(
        self, branches: Sequence[tuple[str, list[object]]], limit: int
    ) -> tuple[str, list[object]]:
        """A query of the branches' first ``limit`` keys, in key order, without repeats.

        Each branch is a ``SELECT l.key ...`` whose rows come in key order.

        The default is a compound ``UNION`` with ``ORDER BY``, which SQLite runs as a merge.
        """
        return union_merge(branches, limit)

    @abc.abstractmethod
    def time_param(self, moment: datetime) -> object:
        """A UTC time as the database stores it."""

    @abc.abstractmethod
    def time_value(self, stored: object) -> datetime:
        """A stored time back as a UTC datetime."""

    def lock_domain(self, domain: str) -> None:  # noqa: B027  a no-op where writers are serialized
        """Hold a routing domain's write lock until the transaction ends.

        The default does nothing: SQLite's ``BEGIN IMMEDIATE`` already holds the database's
        write lock for the whole unit of work.
        """

    @abc.abstractmethod
    def locked_head(self, case_id: str) -> tuple[int, str] | None:
        """Read ``case_id``'s trail head, locked against other appends until the end."""

    def locked_heads(self, case_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Several trails' heads, locked like `locked_head`; override to batch."""
        heads = {}
        for case_id in case_ids:
            head = self.locked_head(case_id)
            if head is not None:
                heads[case_id] = head
        return heads

    def check_committable(self) -> None:
        """Refuse to commit a transaction in which a statement failed.

        Raises:
            StorageError: A statement failed earlier in this transaction; roll it back.
        """
        if self.failure is not None:
            raise StorageError(
                f"{self.name}: cannot commit: {self.failure} earlier in this unit of work; "
                "it is rolled back (nothing was written)"
            )

    @contextmanager
    def translate(self, what: str) -> Iterator[None]:
        """Turn driver errors raised inside the block into casekit errors.

        See `translate_error` for which error becomes what. Either way the
        transaction must be rolled back, which the unit of work does.
        """
        caught: tuple[type[BaseException], ...] = (*self.driver_errors(), UnicodeError)
        try:
            yield
        except caught as error:
            raise self.casekit_error(error, what) from error

    def casekit_error(self, error: BaseException, what: str) -> CasekitError:
        """The casekit error a driver error inside ``what`` (a statement) becomes.

        Adapters call it from ``except`` clauses on their hot paths (cheaper than
        `translate`, a context manager per statement); ``what`` may be the statement,
        of which only the first word is named. It also marks the transaction as failed.
        """
        translated = translate_error(error, database=self.name, what=what, conninfo=self.conninfo)
        self.failure = f"{what.split(' ', 1)[0].lower()} failed"
        return translated

    @abc.abstractmethod
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        """The driver's exception classes."""


def _loads(table: str, key: str, column: str, text: object) -> Any:
    try:
        if not isinstance(text, str):
            raise TypeError(f"expected text, got {type(text).__name__}")
        return json.loads(text)
    except (TypeError, ValueError) as error:
        raise CorruptRecord(
            f"table {table}, key {key!r}: column {column} is not readable JSON ({error})"
        ) from error


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_STRING = json.encoder.encode_basestring  # one str as JSON (ensure_ascii=False)
"""One encoder for every row: ``json.dumps`` with options builds a new one per call."""


def _labels_json(labels: Mapping[str, LabelValue]) -> str:
    """Checked ``labels`` (texts, and set labels as tuples) as compact JSON, non-ASCII as is."""
    return (
        "{"
        + ",".join(
            f"{_STRING(k)}:{_STRING(v)}"
            if type(v) is str
            else f"{_STRING(k)}:[{','.join(_STRING(item) for item in v)}]"
            for k, v in labels.items()
        )
        + "}"
    )


def _stored_labels(labels: dict[str, Any]) -> dict[str, LabelValue]:
    """Labels read back: a set label's JSON array as a tuple."""
    for name, value in labels.items():
        if type(value) is list:
            labels[name] = tuple(value)
    return labels


def _dumps(what: str, value: Body) -> str:
    if type(value) is JsonText:
        return str(value)
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            f"{what} is not JSON-safe (str, int, bool, None, list, dict): {error}"
        ) from None


class SqlDocuments(DocumentStore):
    """The document store over a `SqlDialect`, inside its current transaction.

    Complexity: ``get``, ``put`` and ``delete`` are one primary-key statement (two when a
    conditional write fails, to say why), and the database's triggers rewrite the label
    index rows of a write that changes the labels (one per label value); ``find`` scans the
    collection in key order, or with ``where`` reads as `casekit.storage.sql_labels` says.
    """

    def __init__(self, dialect: SqlDialect, guard: Callable[[], None]) -> None:
        self._db = dialect
        self._guard = guard

    def _stored_version(self, collection: str, key: str) -> int:
        row = self._db.execute(
            "SELECT version FROM documents WHERE collection = ? AND key = ?", (collection, key)
        ).fetchone()
        return int(row[0]) if row else 0

    def get(self, collection: str, key: str) -> Document | None:
        """See [`DocumentStore.get`][]."""
        self._guard()
        collection = _checks.check_collection(collection)
        key = _checks.check_key(collection, key)
        row = self._db.execute(
            "SELECT version, body, labels, updated_at FROM documents "
            "WHERE collection = ? AND key = ?",
            (collection, key),
        ).fetchone()
        return None if row is None else self._document(collection, key, row)

    def _document(self, collection: str, key: str, row: Sequence[Any]) -> Document:
        version, body, labels, updated_at = row
        where = f"{collection}/{key}"
        body = _loads("documents", where, "body", body)
        labels = (
            labels if isinstance(labels, dict) else _loads("documents", where, "labels", labels)
        )
        try:
            moment = self._db.time_value(updated_at)
        except (TypeError, ValueError) as error:
            raise CorruptRecord(
                f"table documents, key {where!r}: updated_at {updated_at!r} is not a time"
            ) from error
        if not isinstance(body, dict) or not isinstance(labels, dict):
            raise CorruptRecord(f"table documents, key {where!r}: body or labels not an object")
        return Document(collection, key, int(version), body, _stored_labels(labels), moment)

    def put(
        self,
        collection: str,
        key: str,
        body: Body,
        *,
        expected_version: int,
        labels: Labels,
        updated_at: datetime,
    ) -> int:
        """See [`DocumentStore.put`][]."""
        self._guard()
        collection, key, text, labels, updated_at = _checks.check_document(
            collection, key, body, labels, updated_at
        )
        expected_version = _checks.check_version(
            expected_version, what=f"expected version of {collection}/{key}"
        )
        label_text = _labels_json(labels)
        moment = self._db.time_param(updated_at)
        new_version = expected_version + 1
        if expected_version == 0:
            cursor = self._db.execute(
                "INSERT INTO documents (collection, key, version, body, labels, updated_at) "
                "VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT DO NOTHING",
                (collection, key, text, label_text, moment),
            )
            if cursor.rowcount != 1:
                stored = self._stored_version(collection, key)
                raise AlreadyExists(f"{collection}/{key} already exists (version {stored})")
            return 1
        cursor = self._db.execute(
            "UPDATE documents SET version = ?, body = ?, labels = ?, updated_at = ? "
            "WHERE collection = ? AND key = ? AND version = ?",
            (new_version, text, label_text, moment, collection, key, expected_version),
        )
        if cursor.rowcount != 1:
            stored = self._stored_version(collection, key)
            raise ConcurrencyConflict(
                f"{collection}/{key} is at version {stored}, not {expected_version}"
            )
        return new_version

    def put_new(
        self,
        collection: str,
        documents: Sequence[tuple[str, Body, Labels, datetime]],
    ) -> None:
        """See [`DocumentStore.put_new`][]: one existence check per 500 keys, one batch."""
        self._guard()
        collection = _checks.check_collection(collection)
        rows = []
        for key, text, labels, updated_at in _checks.check_documents(collection, documents):
            rows.append(
                (collection, key, text, _labels_json(labels), self._db.time_param(updated_at))
            )
        keys = [row[1] for row in rows]
        if len(set(keys)) != len(keys):
            duplicate = next(k for k in keys if keys.count(k) > 1)
            raise AlreadyExists(f"{collection}/{duplicate} is given twice; nothing written")
        found = self._db.existing_keys(collection, keys)
        if found:
            raise AlreadyExists(f"{collection}/{min(found)} already exists; nothing written")
        self._db.executemany(
            "INSERT INTO documents (collection, key, version, body, labels, updated_at) "
            "VALUES (?, ?, 1, ?, ?, ?)",
            rows,
        )

    def _find_where(
        self,
        collection: str,
        query: LabelQuery,
        labels: Mapping[str, str],
        *,
        updated_from: datetime | None,
        updated_to: datetime | None,
        after: str | None,
        limit: int,
    ) -> list[Document]:
        """``find`` with a label query (see `casekit.storage.sql_labels`)."""
        conditions: list[tuple[str, list[object]]] = []
        if labels:
            conditions.append(self._db.label_filter(labels))
        if updated_from is not None:
            conditions.append(("d.updated_at >= ?", [self._db.time_param(updated_from)]))
        if updated_to is not None:
            conditions.append(("d.updated_at < ?", [self._db.time_param(updated_to)]))
        statement = find_statement(
            self._db, collection, query, conditions=conditions, after=after, limit=limit
        )
        if statement is None:
            return []
        rows = self._db.execute(*statement).fetchall()
        return [self._document(collection, row[0], row[1:]) for row in rows]

    def delete(self, collection: str, key: str, *, expected_version: int) -> None:
        """See [`DocumentStore.delete`][]."""
        self._guard()
        collection = _checks.check_collection(collection)
        key = _checks.check_key(collection, key)
        expected_version = _checks.check_version(
            expected_version, what=f"expected version of {collection}/{key}", minimum=1
        )
        cursor = self._db.execute(
            "DELETE FROM documents WHERE collection = ? AND key = ? AND version = ?",
            (collection, key, expected_version),
        )
        if cursor.rowcount != 1:
            stored = self._stored_version(collection, key)
            if stored == 0:
                raise NotFound(f"no document {collection}/{key}")
            raise ConcurrencyConflict(
                f"{collection}/{key} is at version {stored}, not {expected_version}"
            )

    def find(
        self,
        collection: str,
        *,
        labels: Mapping[str, str] | None = None,
        updated_from: datetime | None = None,
        updated_to: datetime | None = None,
        after: str | None = None,
        limit: int = 100,
        where: LabelQuery | None = None,
    ) -> list[Document]:
        """See [`DocumentStore.find`][]; with ``where``, see `casekit.storage.sql_labels`."""
        self._guard()
        collection, labels, updated_from, updated_to, after, limit, query = _checks.check_find(
            collection,
            labels=labels,
            updated_from=updated_from,
            updated_to=updated_to,
            after=after,
            limit=limit,
            where=where,
        )
        if query is not None:
            return self._find_where(
                collection,
                query,
                labels,
                updated_from=updated_from,
                updated_to=updated_to,
                after=after,
                limit=limit,
            )
        conditions = ["collection = ?"]
        params: list[object] = [collection]
        if labels:
            condition, values = self._db.label_filter(labels)
            conditions.append(condition)
            params.extend(values)
        if updated_from is not None:
            conditions.append("updated_at >= ?")
            params.append(self._db.time_param(updated_from))
        if updated_to is not None:
            conditions.append("updated_at < ?")
            params.append(self._db.time_param(updated_to))
        if after is not None:
            conditions.append("key > ?")
            params.append(after)
        params.append(limit)
        rows = self._db.execute(
            "SELECT key, version, body, labels, updated_at FROM documents WHERE "
            + " AND ".join(conditions)
            + " ORDER BY key LIMIT ?",
            params,
        ).fetchall()
        return [self._document(collection, row[0], row[1:]) for row in rows]


class SqlAudit(ChainedAuditLog):
    """The audit log over a `SqlDialect`, inside its current transaction.

    Args:
        dialect: The database.
        guard: Raises unless the unit of work is active.
        key: The storage's audit key (entries are HMAC-SHA256 keyed by it), or ``None``.
    """

    def __init__(
        self, dialect: SqlDialect, guard: Callable[[], None], *, key: bytes | None = None
    ) -> None:
        self._db = dialect
        self._guard = guard
        self.audit_key = key

    def entries(self, case_id: str) -> list[AuditEntry]:
        """See [`AuditLog.entries`][]. O(n) in the trail's length."""
        self._guard()
        rows = self._db.execute(
            "SELECT seq, at, actor, action, before, after, detail, prev_hash, hash "
            "FROM audit_log WHERE case_id = ? ORDER BY seq",
            (case_id,),
        ).fetchall()
        entries = []
        for seq, at, actor, action, before, after, detail, prev_hash, digest in rows:
            key = f"{case_id}#{seq}"
            try:
                moment = as_utc(datetime.fromisoformat(at))
            except (TypeError, ValueError) as error:
                raise CorruptRecord(
                    f"table audit_log, key {key!r}: 'at' {at!r} is not a time"
                ) from error
            entries.append(
                AuditEntry(
                    case_id,
                    int(seq),
                    moment,
                    actor,
                    action,
                    before,
                    after,
                    _loads("audit_log", key, "detail", detail),
                    prev_hash,
                    digest,
                )
            )
        return entries

    def head(self, case_id: str) -> tuple[int, str] | None:
        """See [`AuditLog.head`][]."""
        self._guard()
        row = self._db.execute(
            "SELECT seq, hash FROM audit_heads WHERE case_id = ?", (case_id,)
        ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def heads(self) -> dict[str, tuple[int, str]]:
        """See [`AuditLog.heads`][]. O(number of trails)."""
        self._guard()
        rows = self._db.execute(
            "SELECT case_id, seq, hash FROM audit_heads ORDER BY case_id"
        ).fetchall()
        return {str(c): (int(n), str(h)) for c, n, h in rows}

    def _locked_head(self, case_id: str) -> tuple[int, str] | None:
        self._guard()
        return self._db.locked_head(case_id)

    def _locked_heads(self, case_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        self._guard()
        return self._db.locked_heads(case_ids)

    def _write_many(self, entries: Sequence[AuditEntry]) -> None:
        self._guard()
        self._db.executemany(
            "INSERT INTO audit_log (case_id, seq, at, actor, action, before, after, detail, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_entry_row(entry) for entry in entries],
        )
        last = {entry.case_id: entry for entry in entries}
        self._db.executemany(
            "INSERT INTO audit_heads (case_id, seq, hash) VALUES (?, ?, ?) "
            "ON CONFLICT (case_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            [(e.case_id, e.seq, e.hash) for e in last.values()],
        )

    def _write(self, entry: AuditEntry) -> None:
        self._db.execute(
            "INSERT INTO audit_log (case_id, seq, at, actor, action, before, after, detail, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _entry_row(entry),
        )
        self._db.execute(
            "INSERT INTO audit_heads (case_id, seq, hash) VALUES (?, ?, ?) "
            "ON CONFLICT (case_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            (entry.case_id, entry.seq, entry.hash),
        )


def _entry_row(entry: AuditEntry) -> tuple[object, ...]:
    return (
        entry.case_id,
        entry.seq,
        entry.at.isoformat(),
        entry.actor,
        entry.action,
        entry.before,
        entry.after,
        _dumps(f"audit detail of {entry.case_id}", entry.detail),
        entry.prev_hash,
        entry.hash,
    )


class SqlUnitOfWork(UnitOfWork):
    """The one unit of work of the SQL adapters: their stores over one dialect's transaction.

    The dialect says how a transaction begins, commits and rolls back (SQLite: its turn on
    the storage's one connection; PostgreSQL: a connection from the pool, given back at the
    end), so every statement of the unit of work, the routing domain locks included, runs on
    the connection of its own transaction.

    Args:
        storage: The storage handing it out.
        dialect: The database, bound to this unit of work's transaction.
    """

    def __init__(self, storage: Storage, dialect: SqlDialect) -> None:
        super().__init__(storage)
        self.dialect = dialect
        self._documents = SqlDocuments(dialect, self._require_active)
        self._audit = SqlAudit(dialect, self._require_active, key=storage._audit_key)
        self._journal = SqlJournal(dialect, self._require_active)

    @property
    def documents(self) -> SqlDocuments:
        """See [`UnitOfWork.documents`][]."""
        return self._documents

    @property
    def audit(self) -> SqlAudit:
        """See [`UnitOfWork.audit`][]."""
        return self._audit

    @property
    def journal(self) -> SqlJournal:
        """See [`UnitOfWork.journal`][]."""
        return self._journal

    def make_outbox(self) -> Outbox:
        """The outbox in the database's ``outbox`` table (schema version 6), not in documents.

        See `casekit.storage.sql_outbox` for why, and for the statements each database runs.

        Complexity: O(1).
        """
        return self.dialect.outbox(self.dialect, self._require_active, self.storage.clock)

    def _begin(self) -> None:
        self.dialect.begin()
        self.dialect.failure = None

    def _commit(self) -> None:
        self.dialect.check_committable()
        self.dialect.commit()

    def _rollback(self) -> None:
        self.dialect.rollback()
