"""The in-memory adapter: the default, the fastest, and the oracle the others are tested against.

Documents are kept as JSON text, so what is read back is a copy and a value that is not
JSON-safe is refused exactly as a database would refuse it. A unit of work holds the
storage's lock from ``with`` to commit or rollback (one writer at a time, like SQLite) and
keeps an undo log, so a rollback puts everything back.

Complexity: ``get`` and ``put`` are O(log n + size of the document); ``find`` is O(n) in
the collection's size (a scan in key order); an audit append is O(1).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from sortedcontainers import SortedDict, SortedList  # type: ignore[import-untyped]  # ships no stubs

from casekit.clock import SYSTEM_CLOCK, Clock, as_utc
from casekit.errors import (
    AlreadyExists,
    CapacityExceeded,
    ConcurrencyConflict,
    NotFound,
    OfferNotPending,
    ValidationError,
)
from casekit.priority import Priority
from casekit.storage import _checks
from casekit.storage.audit import ChainedAuditLog
from casekit.storage.locks import WriterLock
from casekit.storage.ports import (
    AgentState,
    AuditEntry,
    Body,
    Document,
    DocumentStore,
    ItemState,
    RoutingItem,
    RoutingStore,
    Storage,
    UnitOfWork,
)
from casekit.storage.sql_routing import check_agent, parse_time, time_text

__all__ = ["MemoryStorage"]


@attrs.define(slots=True)
class _Row:
    version: int
    body: str
    labels: dict[str, str]
    updated_at: datetime


class MemoryStorage(Storage):
    """Everything in this process's memory; lost when it exits.

    Args:
        clock: The clock cases read back from storage are bound to.
    """

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(clock=clock)
        self._lock = WriterLock("memory storage")
        self._docs: dict[str, SortedDict] = {}
        self._audit: dict[str, list[AuditEntry]] = {}
        self._heads: dict[str, tuple[int, str]] = {}
        self._routing = _RoutingState()

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
        self._routing = _MemoryRouting(self, self._audit)

    @property
    def documents(self) -> DocumentStore:
        return self._documents

    @property
    def audit(self) -> ChainedAuditLog:
        return self._audit

    @property
    def routing(self) -> RoutingStore:
        return self._routing

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
        labels: Mapping[str, str],
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
    ) -> list[Document]:
        self._uow._require_active()
        collection, wanted, low, high, after, limit = _checks.check_find(
            collection,
            labels=labels,
            updated_from=updated_from,
            updated_to=updated_to,
            after=after,
            limit=limit,
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

    def entries(self, case_id: str) -> list[AuditEntry]:
        self._uow._require_active()
        return list(self._storage._audit.get(case_id, ()))

    def head(self, case_id: str) -> tuple[int, str] | None:
        self._uow._require_active()
        return self._storage._heads.get(case_id)

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
_NEVER = datetime.min.replace(tzinfo=UTC)


def _queue_key(item: RoutingItem) -> tuple[int, datetime, str]:
    return (-item.priority.rank, item.enqueued_at, item.item_id)


class _MemoryRouting(RoutingStore):
    """Routing state in dictionaries plus a sorted queue; O(log n) per change.

    ``offer_next`` walks the queue from the front and the available agents by load; it is
    O(q·a) in the worst case (nobody qualified), O(log n + a) in the common one.
    ``offer_batch`` is the port's: ``offer_next`` up to ``limit`` times.
    """

    def __init__(self, uow: _MemoryUnitOfWork, audit: ChainedAuditLog) -> None:
        self._uow = uow
        self._state = uow.storage._routing
        self._audit = audit

    # ----- undoable writes ------------------------------------------------------------
    def _put(self, mapping: dict[str, Any], key: str, value: Any) -> None:
        old = mapping.get(key, _MISSING)
        if value is _MISSING:
            del mapping[key]
        else:
            mapping[key] = value

        def undo() -> None:
            if old is _MISSING:
                mapping.pop(key, None)
            else:
                mapping[key] = old

        self._uow._undo.append(undo)

    def _set_item(self, item: RoutingItem | None, key: str) -> None:
        state = self._state
        old: RoutingItem | None = state.items.get(key)
        if old is not None and old.state is ItemState.QUEUED:
            state.queue.remove(_queue_key(old))
            self._uow._undo.append(lambda: state.queue.add(_queue_key(old)))
        if item is not None and item.state is ItemState.QUEUED:
            state.queue.add(_queue_key(item))
            self._uow._undo.append(lambda: state.queue.remove(_queue_key(item)))
        self._put(state.items, key, _MISSING if item is None else item)

    def _load(self, agent_id: str | None, delta: int, *, at: datetime | None = None) -> None:
        if agent_id is None:
            return
        agent = self._state.agents[agent_id]
        changes: dict[str, Any] = {"load": agent.load + delta}
        if at is not None:
            changes["last_offer_at"] = at
        self._put(self._state.agents, agent_id, attrs.evolve(agent, **changes))

    def _requeue(self, item: RoutingItem, declined: frozenset[str]) -> RoutingItem:
        queued = RoutingItem(
            item.item_id, ItemState.QUEUED, item.priority, item.skills, item.enqueued_at,
            declined_by=declined,
        )  # fmt: skip
        self._set_item(queued, item.item_id)
        self._load(item.agent_id, -1)
        return queued

    def _existing(self, item_id: str) -> RoutingItem:
        self._uow._require_active()
        item = self._state.items.get(item_id)
        if item is None:
            raise NotFound(f"no routed item {item_id!r}")
        return item

    # ----- agents -----------------------------------------------------------------------
    def put_agent(
        self, agent_id: str, *, skills: Iterable[str], capacity: int = 100, available: bool = True
    ) -> AgentState:
        self._uow._require_active()
        held = check_agent(agent_id, skills, capacity)
        current = self._state.agents.get(agent_id)
        if current is not None and current.load > capacity:
            raise CapacityExceeded(
                f"agent {agent_id} holds {current.load} items; capacity {capacity} is too low"
            )
        if current is None:
            self._put(
                self._state.agents, agent_id, AgentState(agent_id, held, capacity, available, 0)
            )
        else:
            self._put(
                self._state.agents,
                agent_id,
                attrs.evolve(current, skills=held, capacity=capacity),
            )
            if current.available != available:
                self.set_presence(agent_id, available)
        return self._state.agents[agent_id]

    def set_presence(self, agent_id: str, available: bool) -> list[str]:
        self._uow._require_active()
        agent = self._state.agents.get(agent_id)
        if agent is None:
            raise NotFound(f"no agent {agent_id!r}")
        self._put(self._state.agents, agent_id, attrs.evolve(agent, available=available))
        if available:
            return []
        withdrawn = sorted(
            (i for i in self._state.items.values()
             if i.state is ItemState.OFFERED and i.agent_id == agent_id),
            key=lambda i: i.item_id,
        )  # fmt: skip
        for item in withdrawn:
            self._requeue(item, item.declined_by)
        return [item.item_id for item in withdrawn]

    def agent(self, agent_id: str) -> AgentState | None:
        self._uow._require_active()
        return self._state.agents.get(agent_id)

    def agents(self) -> list[AgentState]:
        self._uow._require_active()
        return [self._state.agents[k] for k in sorted(self._state.agents)]

    # ----- items ------------------------------------------------------------------------
    def enqueue(
        self, item_id: str, *, priority: Priority, skills: Iterable[str], at: datetime
    ) -> RoutingItem:
        self._uow._require_active()
        if not isinstance(item_id, str) or not item_id.strip():
            raise ValidationError(f"item id must be a non-empty string, got {item_id!r}")
        if not isinstance(priority, Priority):
            raise ValidationError(f"priority of {item_id} must be a Priority, got {priority!r}")
        needed = check_agent(item_id, skills, 1)  # same rules for the skill set
        if item_id in self._state.items:
            raise AlreadyExists(f"item {item_id} is already routed; nothing changed")
        # Stored at the SQL adapters' microsecond precision, so all adapters agree.
        at = parse_time(time_text(as_utc(at, what=f"enqueue time of {item_id}")))
        item = RoutingItem(item_id, ItemState.QUEUED, priority, needed, at)
        self._set_item(item, item_id)
        return item

    def offer_next(self, *, now: datetime, timeout: timedelta) -> RoutingItem | None:
        self._uow._require_active()
        now = parse_time(time_text(as_utc(now, what="routing time")))
        if timeout <= timedelta(0):
            raise ValidationError(f"offer timeout must be positive, got {timeout}")
        candidates = sorted(
            (a for a in self._state.agents.values() if a.available and a.load < a.capacity),
            key=lambda a: (a.load, a.last_offer_at or _NEVER, a.agent_id),
        )
        if not candidates:
            return None
        for key in self._state.queue:
            item: RoutingItem = self._state.items[key[2]]
            for agent in candidates:
                if agent.agent_id in item.declined_by or not item.skills <= agent.skills:
                    continue
                deadline = parse_time(time_text(now + timeout))
                offered = attrs.evolve(
                    item, state=ItemState.OFFERED, agent_id=agent.agent_id, deadline=deadline
                )
                self._set_item(offered, item.item_id)
                self._load(agent.agent_id, +1, at=now)
                self._log_offer(item.item_id, agent.agent_id, deadline)
                return offered
        return None

    def _log_offer(self, item_id: str, agent_id: str, deadline: datetime) -> None:
        log = self._state.offers.setdefault(item_id, [])
        log.append((agent_id, deadline))

        def undo() -> None:
            log.pop()

        self._uow._undo.append(undo)

    def _pending(self, item_id: str, agent_id: str) -> RoutingItem:
        self._uow._require_active()
        item = self._state.items.get(item_id)
        if item is None:
            raise OfferNotPending(f"{item_id} has no pending offer (it is not routed)")
        if item.state is not ItemState.OFFERED or item.agent_id != agent_id:
            raise OfferNotPending(
                f"{item_id} is not offered to {agent_id} (state {item.state.value}, "
                f"agent {item.agent_id})"
            )
        return item

    def accept(self, item_id: str, agent_id: str, *, at: datetime) -> RoutingItem:
        item = self._pending(item_id, agent_id)
        accepted = attrs.evolve(item, state=ItemState.ACCEPTED, deadline=None)
        self._set_item(accepted, item_id)
        self._audit.append(item_id, actor=agent_id, action="accept_offer", at=at, after=agent_id)
        return accepted

    def decline(self, item_id: str, agent_id: str) -> RoutingItem:
        item = self._pending(item_id, agent_id)
        return self._requeue(item, item.declined_by | {agent_id})

    def expire(self, *, now: datetime) -> list[str]:
        self._uow._require_active()
        now = as_utc(now, what="expiry time")
        expired = sorted(
            (i for i in self._state.items.values()
             if i.state is ItemState.OFFERED and i.deadline is not None and i.deadline <= now),
            key=lambda i: i.item_id,
        )  # fmt: skip
        for item in expired:
            assert item.agent_id is not None  # an offer always names its agent
            self._requeue(item, item.declined_by | {item.agent_id})
        return [item.item_id for item in expired]

    def pin(self, item_id: str, agent_id: str, *, actor: str, at: datetime) -> RoutingItem:
        item = self._existing(item_id)
        agent = self._state.agents.get(agent_id)
        if agent is None:
            raise NotFound(f"no agent {agent_id!r}")
        if item.agent_id != agent_id:
            if agent.load >= agent.capacity:
                raise CapacityExceeded(f"cannot pin {item_id} to {agent_id}: the agent is full")
            self._load(agent_id, +1)
            self._load(item.agent_id, -1)
        pinned = attrs.evolve(item, state=ItemState.PINNED, agent_id=agent_id, deadline=None)
        self._set_item(pinned, item_id)
        self._audit.append(
            item_id, actor=actor, action="pin", at=at, before=item.agent_id, after=agent_id
        )
        return pinned

    def release(self, item_id: str, *, actor: str, at: datetime) -> RoutingItem:
        item = self._existing(item_id)
        if item.state is ItemState.QUEUED:
            return item
        self._audit.append(item_id, actor=actor, action="release", at=at, before=item.agent_id)
        return self._requeue(item, item.declined_by)

    def finish(self, item_id: str, *, actor: str, at: datetime) -> None:
        item = self._existing(item_id)
        self._set_item(None, item_id)
        self._load(item.agent_id, -1)
        self._audit.append(item_id, actor=actor, action="finish", at=at, before=item.agent_id)

    def item(self, item_id: str) -> RoutingItem | None:
        self._uow._require_active()
        return self._state.items.get(item_id)

    def items(self) -> list[RoutingItem]:
        self._uow._require_active()
        return [self._state.items[k] for k in sorted(self._state.items)]

    def queue_length(self) -> int:
        self._uow._require_active()
        return len(self._state.queue)

    def offers(self, item_id: str) -> list[tuple[str, datetime]]:
        self._uow._require_active()
        return list(self._state.offers.get(item_id, ()))


@attrs.define
class _RoutingState:
    agents: dict[str, AgentState] = attrs.Factory(dict)
    items: dict[str, RoutingItem] = attrs.Factory(dict)
    queue: Any = attrs.Factory(SortedList)
    offers: dict[str, list[tuple[str, datetime]]] = attrs.Factory(dict)
