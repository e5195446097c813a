"""The routing journal in SQL, shared by the SQLite and PostgreSQL adapters.

Tables (schema version 4, which also drops the tables of the removed second routing
engine):

- ``routing_journal(domain, seq, at, command, args)``: every command a durable router
  applied, in order per domain; ``(domain, seq)`` is the primary key.
- ``routing_snapshots(domain, seq, format, data, taken_at)``: the latest snapshot of each
  domain's router.

Complexity: :meth:`SqlJournal.head` is one index probe; :meth:`SqlJournal.read` is a range
scan of the entries asked for; :meth:`SqlJournal.append` is one probe plus one insert per
entry; snapshots are one row each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from casekit.checks import (
    check_aware,
    check_id,
    check_int,
    check_text,
)
from casekit.errors import ConcurrencyConflict, CorruptRecord, ValidationError
from casekit.storage.ports import JournalEntry, JournalSnapshot, RoutingJournal
from casekit.storage.sql import SqlDialect

__all__ = [
    "JOURNAL_TABLES_POSTGRES",
    "JOURNAL_TABLES_SQLITE",
    "SqlJournal",
    "check_batch",
    "check_journal_entry",
    "check_snapshot",
]

_DROP_OLD_ROUTING = (
    "DROP TABLE IF EXISTS routing_offers",
    "DROP TABLE IF EXISTS routing_items",
    "DROP TABLE IF EXISTS routing_agents",
)

JOURNAL_TABLES_SQLITE = (
    *_DROP_OLD_ROUTING,
    "CREATE TABLE IF NOT EXISTS routing_journal ("
    " domain TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, command TEXT NOT NULL,"
    " args TEXT NOT NULL, PRIMARY KEY (domain, seq)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS routing_snapshots ("
    " domain TEXT PRIMARY KEY, seq INTEGER NOT NULL, format TEXT NOT NULL,"
    " data BLOB NOT NULL, taken_at TEXT NOT NULL)",
)
"""Schema version 4 on SQLite."""

JOURNAL_TABLES_POSTGRES = (
    *_DROP_OLD_ROUTING,
    "CREATE TABLE IF NOT EXISTS routing_journal ("
    " domain text NOT NULL, seq bigint NOT NULL, at timestamptz NOT NULL,"
    " command text NOT NULL, args text NOT NULL, PRIMARY KEY (domain, seq))",
    "CREATE TABLE IF NOT EXISTS routing_snapshots ("
    " domain text PRIMARY KEY, seq bigint NOT NULL, format text NOT NULL,"
    " data bytea NOT NULL, taken_at timestamptz NOT NULL)",
)
"""Schema version 4 on PostgreSQL."""


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


class _Checked(set[str]):
    """Domain and command names already checked (a few, always the same): checked once."""

    def add(self, name: str) -> None:
        if len(self) > 4096:
            self.clear()
        super().add(name)


_CHECKED = _Checked()


def check_journal_entry(entry: object) -> str:
    """Check a journal entry before anything is written; return its arguments as JSON text.

    The arguments are encoded here (ASCII JSON, no NaN): what cannot be encoded is refused,
    and the text is what every adapter keeps, so a caller's later change to the mapping
    changes nothing stored. O(size of the arguments).

    Raises:
        ValidationError: Not a :class:`JournalEntry`, or a bad field.
    """
    if type(entry) is not JournalEntry:
        raise ValidationError(f"journal entries must be JournalEntry, got {entry!r}")
    check_id(entry.domain, what="journal entry domain")
    seq = entry.seq
    if type(seq) is not int or seq < 1:
        raise ValidationError(
            f"seq of a {entry.domain} journal entry must be an int >= 1, got {seq!r}"
        )
    at = entry.at
    if type(at) is not datetime or at.tzinfo is None:
        check_aware(at, what=f"time of {entry.domain} journal entry {seq}")
    check_id(entry.command, what=f"command of {entry.domain} journal entry {seq}")
    if not isinstance(entry.args, Mapping):
        raise ValidationError(
            f"arguments of {entry.domain} journal entry {seq} must be a mapping, got {entry.args!r}"
        )
    try:
        return _ENCODER.encode(entry.args)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            f"arguments of {entry.domain} journal entry {seq} are not JSON-safe: {error}"
        ) from None


def check_batch(entries: Sequence[JournalEntry]) -> list[str]:
    """Check entries for one append: each valid, consecutive per domain; their JSON texts.

    Raises:
        ValidationError: A bad entry.
        ConcurrencyConflict: Entries of one domain that are not consecutive.
    """
    texts = [check_journal_entry(entry) for entry in entries]
    last: dict[str, int] = {}
    for entry in entries:
        previous = last.get(entry.domain)
        if previous is not None and entry.seq != previous + 1:
            raise ConcurrencyConflict(
                f"routing journal {entry.domain}: entry {entry.seq} does not follow "
                f"{previous}; nothing written"
            )
        last[entry.domain] = entry.seq
    return texts


def check_snapshot(snapshot: object) -> JournalSnapshot:
    """Check a snapshot before it is written.

    Raises:
        ValidationError: Not a :class:`JournalSnapshot`, or a bad field.
    """
    if not isinstance(snapshot, JournalSnapshot):
        raise ValidationError(f"snapshots must be JournalSnapshot, got {snapshot!r}")
    check_id(snapshot.domain, what="snapshot domain")
    check_int(snapshot.seq, what=f"seq of the {snapshot.domain} snapshot", minimum=0)
    check_text(snapshot.format, what=f"format of the {snapshot.domain} snapshot")
    if not isinstance(snapshot.data, bytes):
        raise ValidationError(f"data of the {snapshot.domain} snapshot must be bytes")
    check_aware(snapshot.taken_at, what=f"time of the {snapshot.domain} snapshot")
    return snapshot


class SqlJournal(RoutingJournal):
    """The routing journal on a :class:`~casekit.storage.sql.SqlDialect`.

    Args:
        db: The connection's dialect.
        require_active: Raises unless the unit of work is active.
    """

    def __init__(self, db: SqlDialect, require_active: Callable[[], None]) -> None:
        self._db = db
        self._require_active = require_active

    def lock(self, domain: str) -> None:
        self._require_active()
        self._db.lock_domain(check_id(domain, what="routing domain"))

    def head(self, domain: str) -> int:
        self._require_active()
        row = self._db.execute(
            "SELECT max(seq) FROM routing_journal WHERE domain = ?", (domain,)
        ).fetchone()
        return 0 if row is None or row[0] is None else int(row[0])

    def read(self, domain: str, *, after: int = 0, limit: int | None = None) -> list[JournalEntry]:
        self._require_active()
        sql = (
            "SELECT seq, at, command, args FROM routing_journal"
            " WHERE domain = ? AND seq > ? ORDER BY seq"
        )
        params: list[object] = [domain, after]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(check_int(limit, what="journal read limit", minimum=1))
        rows = self._db.execute(sql, params).fetchall()
        time_value = self._db.time_value
        try:
            return [
                JournalEntry(domain, int(seq), time_value(at), str(command), json.loads(args))
                for seq, at, command, args in rows
            ]
        except (TypeError, ValueError) as error:
            raise CorruptRecord(
                f"{self._db.name}: routing_journal of {domain!r} has an unreadable entry: {error}"
            ) from error

    def append(self, entries: Sequence[JournalEntry]) -> None:
        self._require_active()
        texts = check_batch(entries)
        if not entries:
            return
        db = self._db
        time_param = db.time_param
        rows = [
            (entry.domain, entry.seq, time_param(entry.at), entry.command, text)
            for entry, text in zip(entries, texts, strict=True)
        ]
        first = entries[0]
        if all(entry.domain == first.domain for entry in entries):
            # One statement writes the first entry only if it is the next (a gap or a taken
            # seq writes nothing); the rest follow it, the primary key refusing duplicates.
            written = db.execute(
                "INSERT INTO routing_journal (domain, seq, at, command, args)"
                " SELECT ?, ?, ?, ?, ? WHERE (SELECT coalesce(max(seq), 0)"
                " FROM routing_journal WHERE domain = ?) = ?",
                (*rows[0], first.domain, first.seq - 1),
            ).rowcount
            if written != 1:
                raise ConcurrencyConflict(
                    f"routing journal {first.domain}: entry {first.seq} is not the next "
                    f"({self.head(first.domain) + 1}); another writer appended first; "
                    "nothing written"
                )
            rows = rows[1:]
        else:
            for domain, seq in {e.domain: e.seq for e in reversed(entries)}.items():
                head = self.head(domain)
                if seq != head + 1:
                    raise ConcurrencyConflict(
                        f"routing journal {domain}: entry {seq} is not the next ({head + 1}); "
                        "another writer appended first; nothing written"
                    )
        if rows:
            db.executemany(
                "INSERT INTO routing_journal (domain, seq, at, command, args)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def snapshot(self, domain: str) -> JournalSnapshot | None:
        self._require_active()
        row = self._db.execute(
            "SELECT seq, format, data, taken_at FROM routing_snapshots WHERE domain = ?",
            (domain,),
        ).fetchone()
        if row is None:
            return None
        seq, fmt, data, taken_at = row
        return JournalSnapshot(domain, int(seq), str(fmt), bytes(data), self._time(taken_at))

    def _time(self, stored: object) -> datetime:
        return self._db.time_value(stored)

    def save_snapshot(self, snapshot: JournalSnapshot) -> None:
        self._require_active()
        check_snapshot(snapshot)
        self._db.execute(
            "INSERT INTO routing_snapshots (domain, seq, format, data, taken_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (domain) DO UPDATE SET"
            " seq = excluded.seq, format = excluded.format, data = excluded.data,"
            " taken_at = excluded.taken_at WHERE routing_snapshots.seq < excluded.seq",
            (
                snapshot.domain,
                snapshot.seq,
                snapshot.format,
                snapshot.data,
                self._db.time_param(snapshot.taken_at),
            ),
        )

    def domains(self) -> list[str]:
        self._require_active()
        rows = self._db.execute(
            "SELECT DISTINCT domain FROM routing_journal ORDER BY domain"
        ).fetchall()
        return [str(row[0]) for row in rows]
