"""The routing journal in SQL, shared by the SQLite and PostgreSQL adapters.

Tables (schema version 4, which also drops the tables of the removed second routing
engine):

- ``routing_journal(domain, seq, last_seq, entries)``: every command a durable router
  applied, in order per domain. The entries appended together (one unit of work's) are
  one row: ``entries`` is the JSON list of ``[microseconds since 1970 UTC, command, args]``
  for ``seq`` to ``last_seq``; ``(domain, seq)`` is the primary key, and a row is written
  only when its ``seq`` follows the domain's last ``last_seq``.
- ``routing_snapshots(domain, seq, format, data, taken_at)``: the latest snapshot of each
  domain's router.

Complexity: `SqlJournal.head` is one index probe; `SqlJournal.read` is a range
scan of the rows asked for; `SqlJournal.append` is one JSON encoding of the entries,
one probe and one insert per domain; snapshots are one row each.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from casekit.checks import (
    check_aware,
    check_id,
    check_int,
    check_text,
)
from casekit.errors import ConcurrencyConflict, CorruptRecord, ValidationError
from casekit.storage._checks import check_journal_entries, check_journal_read
from casekit.storage.ports import JournalEntry, JournalSnapshot, RoutingJournal

if TYPE_CHECKING:
    from casekit.storage.sql import SqlDialect

__all__ = [
    "JOURNAL_TABLES_POSTGRES",
    "JOURNAL_TABLES_SQLITE",
    "SqlJournal",
    "check_batch",
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
    " domain TEXT NOT NULL, seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,"
    " entries TEXT NOT NULL, PRIMARY KEY (domain, seq)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS routing_snapshots ("
    " domain TEXT PRIMARY KEY, seq INTEGER NOT NULL, format TEXT NOT NULL,"
    " data BLOB NOT NULL, taken_at TEXT NOT NULL)",
)
"""Schema version 4 on SQLite."""

JOURNAL_TABLES_POSTGRES = (
    *_DROP_OLD_ROUTING,
    "CREATE TABLE IF NOT EXISTS routing_journal ("
    " domain text NOT NULL, seq bigint NOT NULL, last_seq bigint NOT NULL,"
    " entries text NOT NULL, PRIMARY KEY (domain, seq))",
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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _check_fields(entry: object) -> JournalEntry:
    if type(entry) is not JournalEntry:
        raise ValidationError(f"journal entries must be JournalEntry, got {entry!r}")
    if type(entry.domain) is not str or entry.domain not in _CHECKED:
        _CHECKED.add(check_id(entry.domain, what="journal entry domain"))
    seq = entry.seq
    if type(seq) is not int or seq < 1:
        raise ValidationError(
            f"seq of a {entry.domain} journal entry must be an int >= 1, got {seq!r}"
        )
    at = entry.at
    if type(at) is not datetime or at.tzinfo is None:
        check_aware(at, what=f"time of {entry.domain} journal entry {seq}")
    if type(entry.command) is not str or entry.command not in _CHECKED:
        _CHECKED.add(check_id(entry.command, what=f"command of {entry.domain} entry {seq}"))
    if type(entry.args) is not dict and not isinstance(entry.args, Mapping):
        raise ValidationError(
            f"arguments of {entry.domain} journal entry {seq} must be a mapping, got {entry.args!r}"
        )
    return entry


def check_batch(entries: Sequence[JournalEntry]) -> dict[str, tuple[int, int, str]]:
    """Check entries for one append; per domain, ``(first seq, last seq, JSON text)``.

    Each domain's entries must be consecutive. The text is the JSON list of
    ``[microseconds since 1970 UTC, command, args]`` (ASCII, no NaN): what cannot be
    encoded is refused, and the text is what adapters keep, so a caller's later change to
    an ``args`` mapping changes nothing stored. O(size of the entries).

    Raises:
        ValidationError: A bad entry (not a JournalEntry, a bad field, arguments that are
            not JSON-safe).
        ConcurrencyConflict: Entries of one domain that are not consecutive.
    """
    groups: dict[str, list[list[object]]] = {}
    spans: dict[str, list[int]] = {}
    for entry in check_journal_entries(entries):
        _check_fields(entry)
        span = spans.get(entry.domain)
        if span is None:
            spans[entry.domain] = [entry.seq, entry.seq]
            groups[entry.domain] = []
        elif entry.seq != span[1] + 1:
            raise ConcurrencyConflict(
                f"routing journal {entry.domain}: entry {entry.seq} does not follow "
                f"{span[1]}; nothing written"
            )
        else:
            span[1] = entry.seq
        groups[entry.domain].append(
            [(entry.at - _EPOCH) // _MICROSECOND, entry.command, entry.args]
        )
    result = {}
    for domain, rows in groups.items():
        try:
            text = _ENCODER.encode(rows)
        except (TypeError, ValueError) as error:
            raise ValidationError(
                f"arguments of {domain} journal entries {spans[domain][0]}.."
                f"{spans[domain][1]} are not JSON-safe: {error}"
            ) from None
        result[domain] = (spans[domain][0], spans[domain][1], text)
    return result


def check_snapshot(snapshot: object) -> JournalSnapshot:
    """Check a snapshot before it is written.

    Raises:
        ValidationError: Not a [`JournalSnapshot`][], or a bad field.
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


_LAST = "SELECT last_seq FROM routing_journal WHERE domain = ? ORDER BY seq DESC LIMIT 1"
"""The domain's last entry: the last row by the primary key (O(log n), no scan)."""
_READ = (
    "SELECT seq, last_seq, entries FROM routing_journal WHERE domain = ? AND seq >= coalesce("
    "(SELECT seq FROM routing_journal WHERE domain = ? AND seq <= ?"
    " ORDER BY seq DESC LIMIT 1), 0) ORDER BY seq"
)
"""The rows from the one holding a given entry on (``domain, domain, seq``)."""
_APPEND = (
    "INSERT INTO routing_journal (domain, seq, last_seq, entries)"
    " SELECT ?, ?, ?, ? WHERE coalesce((SELECT last_seq FROM routing_journal"
    " WHERE domain = ? ORDER BY seq DESC LIMIT 1), 0) = ?"
)
"""One row, written only when its first seq follows the domain's last entry."""


class SqlJournal(RoutingJournal):
    """The routing journal on a `SqlDialect`.

    Args:
        db: The connection's dialect.
        require_active: Raises unless the unit of work is active.
    """

    def __init__(self, db: SqlDialect, require_active: Callable[[], None]) -> None:
        self._db = db
        self._require_active = require_active

    def lock(self, domain: str) -> None:
        """Take the domain's lock until the transaction ends."""
        self._require_active()
        if type(domain) is not str or domain not in _CHECKED:
            _CHECKED.add(check_id(domain, what="routing domain"))
        self._db.lock_domain(domain)

    def head(self, domain: str) -> int:
        """The domain's last sequence number (0 when empty)."""
        self._require_active()
        row = self._db.execute(_LAST, (domain,)).fetchone()
        return 0 if row is None else int(row[0])

    def read(self, domain: str, *, after: int = 0, limit: int | None = None) -> list[JournalEntry]:
        """The entries after ``after``, in order (at most ``limit``)."""
        self._require_active()
        domain, after, limit = check_journal_read(domain, after, limit)
        # From the row that holds entry ``after + 1``: the last row starting at or before it
        # (rows are found through the primary key, never by scanning the domain).
        rows = self._db.execute(_READ, (domain, domain, after + 1)).fetchall()
        entries: list[JournalEntry] = []
        try:
            for seq, last, text in rows:
                if last <= after:
                    continue  # applied already: not decoded
                for n, (micros, command, args) in enumerate(json.loads(text)):
                    number = int(seq) + n
                    if number > after:
                        entries.append(
                            JournalEntry(
                                domain, number, _EPOCH + micros * _MICROSECOND, command, args
                            )
                        )
        except (TypeError, ValueError) as error:
            raise CorruptRecord(
                f"{self._db.name}: routing_journal of {domain!r} has an unreadable row: {error}"
            ) from error
        return entries if limit is None else entries[:limit]

    def append(self, entries: Sequence[JournalEntry]) -> None:
        """Append the entries, one row per domain, each only after the domain's last."""
        self._require_active()
        batch = check_batch(entries)
        if len(batch) > 1:  # all or none: check every domain before writing any
            for domain, (first, _, _) in batch.items():
                head = self.head(domain)
                if first != head + 1:
                    raise ConcurrencyConflict(
                        f"routing journal {domain}: entry {first} is not the next "
                        f"({head + 1}); another writer appended first; nothing written"
                    )
        for domain, (first, last, text) in batch.items():
            written = self._db.execute(
                _APPEND, (domain, first, last, text, domain, first - 1)
            ).rowcount
            if written != 1:
                raise ConcurrencyConflict(
                    f"routing journal {domain}: entry {first} is not the next "
                    f"({self.head(domain) + 1}); another writer appended first; nothing written"
                )

    def snapshot(self, domain: str) -> JournalSnapshot | None:
        """The domain's latest snapshot, or ``None``."""
        self._require_active()
        row = self._db.execute(
            "SELECT seq, format, data, taken_at FROM routing_snapshots WHERE domain = ?",
            (domain,),
        ).fetchone()
        if row is None:
            return None
        seq, fmt, data, taken_at = row
        return JournalSnapshot(
            domain, int(seq), str(fmt), bytes(data), self._db.time_value(taken_at)
        )

    def save_snapshot(self, snapshot: JournalSnapshot) -> None:
        """Keep the snapshot unless a later one is kept."""
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
        """Every domain with a journal."""
        self._require_active()
        rows = self._db.execute(
            "SELECT DISTINCT domain FROM routing_journal ORDER BY domain"
        ).fetchall()
        return [str(row[0]) for row in rows]
