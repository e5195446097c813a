"""The transactional outbox in a table of its own, for the SQLite and PostgreSQL adapters.

Table (schema version 6):

- ``outbox(position, id, event, attempts, lease_owner, lease_until)``: one row per record
  not yet acked. ``position`` is the primary key, given by the database as rows are
  inserted (SQLite: the rowid; PostgreSQL: an identity column); ``id`` is unique;
  ``event`` is the CloudEvent's JSON text; ``lease_until`` is ``NULL`` until the record is
  first claimed.

Why not documents (`casekit.storage.outbox.DocumentOutbox`, which the in-memory adapter
uses): measured with ``benchmarks/outbox.py``, the documents cost two rows per record (the
record and the marker that keeps its id unique) and, on PostgreSQL, two statements per
append, one per record claimed and four per record acked; here an append is one insert,
a claim and an ack one statement each on PostgreSQL.

**SQLite** (`SqlOutbox`): units of work are serialized (``BEGIN IMMEDIATE``), so an append
checks the ids and then inserts, and a claim reads the available rows and then leases them,
with no other writer in between. Positions follow commit order.

**PostgreSQL** (`PostgresOutbox`, READ COMMITTED): an append is one ``INSERT ... ON
CONFLICT (id) DO NOTHING RETURNING id`` (when an id is taken, the rows it did insert are
deleted again before ``AlreadyExists``: nothing is written); a claim is one ``UPDATE``
over a ``SELECT ... ORDER BY position LIMIT n FOR UPDATE SKIP LOCKED``, so a second relay
claiming at the same time skips the rows the first is leasing instead of waiting for them;
an ack is one ``DELETE``. Positions come from the identity sequence as rows are inserted,
so a record whose transaction commits after a later one's may be claimed after it (every
claim reads from the first position: it is never skipped).

Complexity: ``append`` O(k) rows in one statement (SQLite: a probe per 500 ids and one
batched insert); ``claim`` one ordered scan of the available rows up to ``limit``;
``ack`` one probe per id; ``pending`` one ordered scan; ``count`` one count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from casekit.errors import AlreadyExists, CorruptRecord
from casekit.storage.outbox import check_ack, check_claim, check_new_records, check_pending
from casekit.storage.outbox_record import OutboxRecord, check_time, record_from_cloudevent
from casekit.storage.ports import Outbox

if TYPE_CHECKING:
    from casekit.clock import Clock
    from casekit.storage.sql import SqlDialect

__all__ = ["OUTBOX_TABLES_POSTGRES", "OUTBOX_TABLES_SQLITE", "PostgresOutbox", "SqlOutbox"]

OUTBOX_TABLES_SQLITE = (
    "CREATE TABLE IF NOT EXISTS outbox ("
    " position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, event TEXT NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_until TEXT)",
)
"""Schema version 6 on SQLite."""

OUTBOX_TABLES_POSTGRES = (
    "CREATE TABLE IF NOT EXISTS outbox ("
    " position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id text NOT NULL UNIQUE,"
    " event text NOT NULL, attempts integer NOT NULL DEFAULT 0, lease_owner text,"
    " lease_until timestamptz)",
)
"""Schema version 6 on PostgreSQL."""

_CHUNK = 500  # ids per IN (...) list on SQLite
_JSON_IDS = "SELECT json_array_elements_text(CAST(? AS json))"  # PostgreSQL: ids as JSON
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_COLUMNS = "position, id, event, attempts, lease_owner, lease_until"
_AVAILABLE = "(lease_until IS NULL OR lease_until <= ?)"
_ACKABLE = "(lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)"


class SqlOutbox(Outbox):
    """The outbox table over a `SqlDialect` whose units of work are serialized (SQLite).

    Args:
        dialect: The database, inside the unit of work's transaction.
        guard: Raises unless the unit of work is active.
        clock: The storage's clock (an ack's default ``now``).

    Complexity: as `casekit.storage.sql_outbox` says.
    """

    def __init__(self, dialect: SqlDialect, guard: Callable[[], None], clock: Clock) -> None:
        self._db = dialect
        self._guard = guard
        self._clock = clock

    def append(self, records: Sequence[OutboxRecord]) -> None:
        """See [`Outbox.append`][casekit.storage.Outbox.append].

        Complexity: one probe per 500 ids, one batched insert.
        """
        self._guard()
        batch = check_new_records(records)
        if not batch:
            return
        self._insert([(r.id, r.to_json()) for r in batch])

    def _insert(self, rows: list[tuple[str, str]]) -> None:
        """Insert ``(id, event)`` rows in order, or none if an id is taken."""
        ids = [row[0] for row in rows]
        for chunk in _chunks(ids):
            taken = self._db.execute(
                f"SELECT id FROM outbox WHERE id IN ({_marks(chunk)})", chunk
            ).fetchone()
            if taken is not None:
                raise _taken(str(taken[0]))
        self._db.executemany("INSERT INTO outbox (id, event) VALUES (?, ?)", rows)

    def claim(
        self, limit: int, *, owner: str, lease: timedelta, now: datetime
    ) -> list[OutboxRecord]:
        """See [`Outbox.claim`][casekit.storage.Outbox.claim].

        Complexity: one ordered scan up to ``limit`` available rows, one update.
        """
        self._guard()
        limit, owner, now, until = check_claim(limit, owner, lease, now)
        rows = self._lease(limit, owner, now, until)
        return [
            self._record(row, attempts=row[3], owner=owner, until=until)
            for row in sorted(rows, key=lambda row: int(row[0]))
        ]

    def _lease(self, limit: int, owner: str, now: datetime, until: datetime) -> list[Any]:
        """The rows leased: read, then updated (no other writer runs in between)."""
        due = f"SELECT position FROM outbox WHERE {_AVAILABLE} ORDER BY position LIMIT ?"
        at = self._db.time_param(now)
        rows = self._db.execute(
            f"SELECT position, id, event, attempts FROM outbox WHERE position IN ({due})",
            (at, limit),
        ).fetchall()
        if rows:  # the same rows: no other writer runs in between
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, lease_owner = ?, lease_until = ?"
                f" WHERE position IN ({due})",
                (owner, self._db.time_param(until), at, limit),
            )
        return [(row[0], row[1], row[2], int(row[3]) + 1) for row in rows]

    def ack(self, ids: Sequence[str], *, owner: str, now: datetime | None = None) -> int:
        """See [`Outbox.ack`][casekit.storage.Outbox.ack]: the rows are deleted.

        Complexity: one delete, one probe per id.
        """
        self._guard()
        wanted, owner, moment = check_ack(ids, owner, now)
        if moment is None:
            moment = check_time(self._clock.now(), what="the storage clock's now")
        if not wanted:
            return 0
        return self._delete(wanted, owner, moment)

    def _delete(self, ids: list[str], owner: str, now: datetime) -> int:
        """Delete the rows of ``ids`` that ``owner`` may ack at ``now``; return how many."""
        deleted = 0
        for chunk in _chunks(ids):
            cursor = self._db.execute(
                f"DELETE FROM outbox WHERE id IN ({_marks(chunk)}) AND {_ACKABLE}",
                [*chunk, owner, self._db.time_param(now)],
            )
            deleted += int(cursor.rowcount)
        return deleted

    def pending(self, limit: int = 100) -> list[OutboxRecord]:
        """See [`Outbox.pending`][casekit.storage.Outbox.pending].

        Complexity: one ordered scan of at most ``limit`` rows.
        """
        self._guard()
        limit = check_pending(limit)
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox ORDER BY position LIMIT ?", (limit,)
        ).fetchall()
        return [self._stored(row) for row in rows]

    def count(self) -> int:
        """See [`Outbox.count`][casekit.storage.Outbox.count].

        Complexity: one ``count(*)`` (a scan of the table's smallest index).
        """
        self._guard()
        row = self._db.execute("SELECT count(*) FROM outbox").fetchone()
        return int(row[0])

    def _stored(self, row: Sequence[Any]) -> OutboxRecord:
        owner = row[4]
        until = None
        if owner is not None:
            try:
                until = self._db.time_value(row[5])
            except (TypeError, ValueError) as error:
                raise _corrupt(row[1], f"lease_until {row[5]!r:.80} is not a time") from error
        return self._record(row, attempts=row[3], owner=owner, until=until)

    def _record(
        self, row: Sequence[Any], *, attempts: object, owner: object, until: datetime | None
    ) -> OutboxRecord:
        """The record in ``row`` (position, id, event, ...) with the delivery state given.

        Raises:
            CorruptRecord: The row's event is not a CloudEvent an outbox record holds.
        """
        try:
            return record_from_cloudevent(
                json.loads(row[2]),
                attempts=attempts,  # type: ignore[arg-type]  # checked by the record
                lease_owner=owner,  # type: ignore[arg-type]  # checked by the record
                lease_until=until,
            )
        except (TypeError, ValueError, RecursionError) as error:  # ValidationError included
            raise _corrupt(row[1], f"not an outbox record ({error})") from None


class PostgresOutbox(SqlOutbox):
    """The outbox table on PostgreSQL, where units of work run at once (READ COMMITTED).

    Appends, claims and acks are one statement each; see `casekit.storage.sql_outbox`.

    Complexity: as `casekit.storage.sql_outbox` says.
    """

    def _insert(self, rows: list[tuple[str, str]]) -> None:
        """Insert ``(id, event)`` rows in order, or none if an id is taken: one statement.

        The rows go as one JSON parameter: psycopg adapts a list of 100 strings to a
        ``text[]`` in about 2 ms here, the JSON text of the same rows in microseconds.
        """
        inserted = self._db.execute(
            "INSERT INTO outbox (id, event)"
            " SELECT r->>0, r->>1 FROM json_array_elements(CAST(? AS json))"
            " WITH ORDINALITY AS new (r, n) ORDER BY n"
            " ON CONFLICT (id) DO NOTHING RETURNING id",
            (_ENCODER.encode(rows),),
        ).fetchall()
        if len(inserted) < len(rows):
            written = {str(row[0]) for row in inserted}
            if written:  # all or none: take back the rows this append did insert
                self._db.execute(
                    f"DELETE FROM outbox WHERE id IN ({_JSON_IDS})",
                    (_ENCODER.encode(list(written)),),
                )
            raise _taken(next(i for i, _ in rows if i not in written))

    def _lease(self, limit: int, owner: str, now: datetime, until: datetime) -> list[Any]:
        """The rows leased, in one statement skipping rows other claims hold."""
        rows: list[Any] = self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, lease_owner = ?, lease_until = ?"
            " WHERE position IN (SELECT position FROM outbox"
            f" WHERE {_AVAILABLE} ORDER BY position LIMIT ? FOR UPDATE SKIP LOCKED)"
            " RETURNING position, id, event, attempts",
            (owner, self._db.time_param(until), self._db.time_param(now), limit),
        ).fetchall()
        return rows

    def _delete(self, ids: list[str], owner: str, now: datetime) -> int:
        cursor = self._db.execute(
            f"DELETE FROM outbox WHERE id IN ({_JSON_IDS}) AND {_ACKABLE}",
            (_ENCODER.encode(ids), owner, self._db.time_param(now)),
        )
        return int(cursor.rowcount)


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[start : start + _CHUNK] for start in range(0, len(ids), _CHUNK)]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _taken(record_id: str) -> AlreadyExists:
    return AlreadyExists(
        f"outbox record {record_id!r} is in the outbox already (appended, not yet acked); "
        "nothing written"
    )


def _corrupt(record_id: object, why: str) -> CorruptRecord:
    return CorruptRecord(f"table outbox, key {record_id!r:.80}: {why}")
