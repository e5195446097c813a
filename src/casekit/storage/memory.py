"""The in-memory adapter: the default, the fastest, and the oracle the others are tested against.

Documents are kept as JSON text, so what is read back is a copy and a value that is not
JSON-safe is refused exactly as a database would refuse it. A unit of work holds the
storage's lock from ``with`` to commit or rollback (one writer at a time, like SQLite) and
keeps an undo log, so a rollback puts everything back.

Complexity: ``get`` and ``put`` are O(log n + size of the document); ``find`` is O(n) in
the collection's size (a scan in key order, evaluating a label query's ``matches`` on each
document); an audit append is O(1).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
from sortedcontainers import SortedDict  # type: ignore[import-untyped]  # ships no stubs

from casekit.checks import check_id
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    NotFound,
)
from casekit.storage import _checks
from casekit.storage.audit import ChainedAuditLog
from casekit.storage.journal import check_batch, check_snapshot
from casekit.storage.label_query import LabelQuery, Labels, LabelValue
from casekit.storage.locks import WriterLock
from casekit.storage.ports import (
    AuditEntry,
    Body,
    Document,
    DocumentStore,
    JournalEntry,
    JournalSnapshot,
    RoutingJournal,
)
from casekit.storage.unit_of_work import Storage, UnitOfWork

__all__ = ["MemoryStorage"]


@attrs.define(slots=True)
class _Row:
    version: int
    body: str
    labels: dict[str, LabelValue]
    updated_at: datetime


class MemoryStorage(Storage):
    """Everything in this process's memory; lost when it exits.

    Args:
        clock: The clock cases read back from storage are bound to.
        audit_key: A secret audit entries are HMAC-ed with, or ``None`` (plain SHA-256);
            see [`Storage`][].

    Raises:
        ValidationError: ``audit_key`` is not None or bytes of at least 16 bytes.
    """

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK, audit_key: bytes | None = None) -> None:
        super().__init__(clock=clock, audit_key=audit_key)
        self._lock = WriterLock("memory storage")
        self._docs: dict[str, SortedDict] = {}
        self._audit: dict[str, list[AuditEntry]] = {}
        self._heads: dict[str, tuple[int, str]] = {}
        self._journals: dict[str, list[JournalEntry]] = {}
        self._snapshots: dict[str, JournalSnapshot] = {}

    def unit_of_work(self) -> _MemoryUnitOfWork:
        """Return a new unit of work; it holds the storage's lock while active."""
        return _MemoryUnitOfWork(self)


class _MemoryUnitOfWork(UnitOfWork):
    storage: MemoryStorage

    def __init__(self, storage: MemoryStorage) -> None:
        super().__init__(storage)
        self._undo: list[Callable[[], None]] = []
        self._documents = _MemoryDocuments(self)
        self._audit = _MemoryAudit(self)
        self._journal = _MemoryJournal(self)

    @property
    def documents(self) -> DocumentStore:
        return self._documents

    @property
    def audit(self) -> ChainedAuditLog:
        return self._audit

    @property
    def journal(self) -> RoutingJournal:
        return self._journal

    def _begin(self) -> None:
        self.storage._lock.acquire()

    def _commit(self) -> None:
        self._undo.clear()
        self.storage._lock.release()

    def _rollback(self) -> None:
        try:
            while self._undo:
                self._undo.pop()()
        finally:
            self.storage._lock.release()


class _MemoryDocuments(DocumentStore):
    def __init__(self, uow: _MemoryUnitOfWork) -> None:
        self._uow = uow
        self._storage = uow.storage

    def get(self, collection: str, key: str) -> Document | None:
        self._uow._require_active()
        collection = _checks.check_collection(collection)
        key = _checks.check_key(collection, key)
        row = self._storage._docs.get(collection, {}).get(key)
        if row is None:
            return None
        return Document(
            collection, key, row.version, json.loads(row.body), dict(row.labels), row.updated_at
        )

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
        self._uow._require_active()
        collection, key, text, labels, updated_at = _checks.check_document(
            collection, key, body, labels, updated_at
        )
        expected_version = _checks.check_version(
            expected_version, what=f"expected version of {collection}/{key}"
        )
        rows = self._storage._docs.get(collection)
        if rows is None:
            rows = self._storage._docs[collection] = SortedDict()
        old: _Row | None = rows.get(key)
        if expected_version == 0 and old is not None:
            raise AlreadyExists(f"{collection}/{key} already exists (version {old.version})")
        stored = old.version if old is not None else 0
        if stored != expected_version:
            raise ConcurrencyConflict(
                f"{collection}/{key} is at version {stored}, not {expected_version}"
            )
        rows[key] = _Row(expected_version + 1, text, labels, updated_at)
        if old is None:
            self._uow._undo.append(lambda: rows.pop(key))
        else:
            self._uow._undo.append(lambda: rows.__setitem__(key, old))
        return expected_version + 1

    def delete(self, collection: str, key: str, *, expected_version: int) -> None:
        self._uow._require_active()
        collection = _checks.check_collection(collection)
        key = _checks.check_key(collection, key)
        expected_version = _checks.check_version(
            expected_version, what=f"expected version of {collection}/{key}", minimum=1
        )
        rows = self._storage._docs.get(collection)
        old: _Row | None = None if rows is None else rows.get(key)
        if rows is None or old is None:
            raise NotFound(f"no document {collection}/{key}")
        if old.version != expected_version:
            raise ConcurrencyConflict(
                f"{collection}/{key} is at version {old.version}, not {expected_version}"
            )
        del rows[key]
        self._uow._undo.append(lambda: rows.__setitem__(key, old))

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
        self._uow._require_active()
        collection, wanted, low, high, after, limit, query = _checks.check_find(
            collection,
            labels=labels,
            updated_from=updated_from,
            updated_to=updated_to,
            after=after,
            limit=limit,
            where=where,
        )
        rows = self._storage._docs.get(collection)
        if not rows:
            return []
        found: list[Document] = []
        keys = rows.irange(minimum=after, inclusive=(False, False)) if after else rows.keys()
        for key in keys:
            row: _Row = rows[key]
            if any(row.labels.get(k) != v for k, v in wanted.items()):
                continue
            if query is not None and not query.matches(row.labels):
                continue
            if (low is not None and row.updated_at < low) or (
                high is not None and row.updated_at >= high
            ):
                continue
            found.append(
                Document(
                    collection,
                    key,
                    row.version,
                    json.loads(row.body),
                    dict(row.labels),
                    row.updated_at,
                )
            )
            if len(found) >= limit:
                break
        return found


class _MemoryAudit(ChainedAuditLog):
    def __init__(self, uow: _MemoryUnitOfWork) -> None:
        self._uow = uow
        self._storage = uow.storage
        self.audit_key = uow.storage._audit_key

    def entries(self, case_id: str) -> list[AuditEntry]:
        self._uow._require_active()
        return list(self._storage._audit.get(case_id, ()))

    def head(self, case_id: str) -> tuple[int, str] | None:
        self._uow._require_active()
        return self._storage._heads.get(case_id)

    def heads(self) -> dict[str, tuple[int, str]]:
        self._uow._require_active()
        return dict(sorted(self._storage._heads.items()))

    def _locked_head(self, case_id: str) -> tuple[int, str] | None:
        return self.head(case_id)

    def _write(self, entry: AuditEntry) -> None:
        trail = self._storage._audit.setdefault(entry.case_id, [])
        heads = self._storage._heads
        old_head = heads.get(entry.case_id)
        trail.append(entry)
        heads[entry.case_id] = (entry.seq, entry.hash)

        def undo() -> None:
            trail.pop()
            if old_head is None:
                heads.pop(entry.case_id, None)
            else:
                heads[entry.case_id] = old_head

        self._uow._undo.append(undo)


_MISSING: Any = object()


class _MemoryJournal(RoutingJournal):
    """Journals as lists per domain.

    The storage's lock already makes every unit of work the only writer, so `lock`
    has nothing to do. Appends are undone on rollback.
    """

    def __init__(self, uow: _MemoryUnitOfWork) -> None:
        self._uow = uow
        self._storage = uow.storage

    def lock(self, domain: str) -> None:
        self._uow._require_active()
        check_id(domain, what="routing domain")

    def head(self, domain: str) -> int:
        self._uow._require_active()
        return len(self._storage._journals.get(domain, ()))

    def read(self, domain: str, *, after: int = 0, limit: int | None = None) -> list[JournalEntry]:
        self._uow._require_active()
        domain, after, limit = _checks.check_journal_read(domain, after, limit)
        entries = self._storage._journals.get(domain, [])
        end = len(entries) if limit is None else min(len(entries), after + limit)
        return entries[max(after, 0) : end]

    def append(self, entries: Sequence[JournalEntry]) -> None:
        self._uow._require_active()
        batch = check_batch(entries)
        entries_by_seq = {(e.domain, e.seq): e for e in entries}
        journals = self._storage._journals
        for domain, (first, _, _) in batch.items():
            head = len(journals.get(domain, ()))
            if first != head + 1:
                raise ConcurrencyConflict(
                    f"routing journal {domain}: entry {first} is not the next ({head + 1}); "
                    "another writer appended first; nothing written"
                )
        for domain, (first, _, text) in batch.items():
            journal = journals.setdefault(domain, [])
            for n, (_, command, args) in enumerate(json.loads(text)):  # a copy, as stored
                entry = entries_by_seq[(domain, first + n)]
                journal.append(JournalEntry(domain, first + n, entry.at, command, args))
                self._uow._undo.append(journal.pop)  # type: ignore[arg-type]  # result unused

    def snapshot(self, domain: str) -> JournalSnapshot | None:
        self._uow._require_active()
        return self._storage._snapshots.get(domain)

    def save_snapshot(self, snapshot: JournalSnapshot) -> None:
        self._uow._require_active()
        check_snapshot(snapshot)
        kept = self._storage._snapshots.get(snapshot.domain)
        if kept is not None and kept.seq >= snapshot.seq:
            return
        snapshots = self._storage._snapshots
        snapshots[snapshot.domain] = snapshot

        def undo() -> None:
            if kept is None:
                del snapshots[snapshot.domain]
            else:
                snapshots[snapshot.domain] = kept

        self._uow._undo.append(undo)

    def domains(self) -> list[str]:
        self._uow._require_active()
        return sorted(self._storage._journals)
