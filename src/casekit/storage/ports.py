"""The storage ports: abstract classes every adapter implements, each with a one-line contract.

An adapter (``memory``, ``sqlite``, ``postgres`` or your own) implements :class:`Storage`,
whose :meth:`Storage.unit_of_work` hands out a :class:`UnitOfWork` exposing a
:class:`DocumentStore` and an :class:`AuditLog` bound to one transaction. The case
repository (:class:`CaseRepository`) is built once, in :mod:`casekit.storage.cases`, on top
of those two ports, so every adapter stores cases the same way.

The domain never imports this package; adapters import these ports, never the other way
round.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from casekit.checks import check_id
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import AlreadyExists, StorageError, ValidationError
from casekit.priority import Priority
from casekit.storage._checks import check_collection, check_documents

if TYPE_CHECKING:
    from casekit.cases import Case, Owner

__all__ = [
    "AgentState",
    "AuditEntry",
    "AuditLog",
    "Body",
    "CaseRepository",
    "Document",
    "DocumentStore",
    "EventHandler",
    "ItemState",
    "JsonText",
    "LedgerKind",
    "LedgerLine",
    "LedgerStore",
    "Page",
    "RoutingItem",
    "RoutingStore",
    "Storage",
    "UnitOfWork",
]

T = TypeVar("T")

EventHandler = Callable[[object], None]
"""A subscriber to domain events published after a commit."""


class JsonText(str):
    """A document body already encoded as the JSON text of an object, written as it is.

    Writers that know their bodies are JSON-safe (the case repository: case records hold no
    floats) encode them with a faster encoder and pass the text; adapters store it unchanged
    and read it back as the mapping it encodes.
    """

    __slots__ = ()


Body = Mapping[str, Any] | JsonText
"""A document body: a JSON-safe mapping, or :class:`JsonText` to store as it is."""


@attrs.frozen(slots=True)
class Document:
    """One stored document.

    Attributes:
        collection: The collection it belongs to (``"cases"``, ``"routing"`` ...).
        key: Its key, unique in the collection.
        version: 1 after the first write, +1 on every write.
        body: The JSON-safe content.
        labels: String attributes the store can filter on (``status``, ``owner`` ...).
        updated_at: When it was last written (UTC), the field range queries use.
    """

    collection: str
    key: str
    version: int
    body: Mapping[str, Any]
    labels: Mapping[str, str]
    updated_at: datetime


@attrs.frozen(slots=True)
class AuditEntry:
    """One entry of a case's audit trail: who did what, when, before → after.

    Attributes:
        case_id: The case the entry is about.
        seq: Its position in the case's trail, from 1, without gaps.
        at: When it happened (UTC).
        actor: Who did it.
        action: What was done (``approve``, ``assign_owner``, ``payment_changed`` ...).
        before: The value before, if any.
        after: The value after, if any.
        detail: Further JSON-safe facts (a reason, an amount ...).
        prev_hash: The hash of entry ``seq - 1`` (64 zeros for the first).
        hash: SHA-256 over this entry's fields and ``prev_hash``.
    """

    case_id: str
    seq: int
    at: datetime
    actor: str
    action: str
    before: str | None
    after: str | None
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str


@attrs.frozen(slots=True)
class Page(Generic[T]):
    """One page of a query result, in key order.

    Attributes:
        items: The items on this page.
        next_after: Pass it as ``after=`` to read the next page; ``None`` on the last page.
    """

    items: tuple[T, ...]
    next_after: str | None


class DocumentStore(abc.ABC):
    """Keyed JSON documents in collections, where every write states the version it replaces."""

    @abc.abstractmethod
    def get(self, collection: str, key: str) -> Document | None:
        """Return the document stored under ``key``, or ``None``.

        Raises:
            CorruptRecord: The stored row cannot be read (the message names table and key).
        """

    @abc.abstractmethod
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
        """Write ``body`` over version ``expected_version`` (0: a new key); return the new version.

        ``body`` is a JSON-safe mapping, or :class:`JsonText` to store as it is.

        Raises:
            AlreadyExists: ``expected_version`` is 0 and the key exists; nothing written.
            ConcurrencyConflict: The stored version is not ``expected_version``; nothing written.
        """

    @abc.abstractmethod
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
        """Return up to ``limit`` matching documents, in key order.

        A document matches when it has every one of ``labels``, ``updated_from <=
        updated_at < updated_to`` (either bound optional) and its key sorts after ``after``.
        """

    def put_new(
        self,
        collection: str,
        documents: Sequence[tuple[str, Body, Mapping[str, str], datetime]],
    ) -> None:
        """Write new documents ``(key, body, labels, updated_at)`` at version 1, all or none.

        Each body is a JSON-safe mapping or :class:`JsonText`, as for :meth:`put`.

        Adapters may override it with a batched write; this default checks every document
        and key, then writes them one by one.

        Raises:
            ValidationError: A document cannot be stored (named in the message); nothing
                written.
            AlreadyExists: A key exists (named in the message); nothing written.
        """
        check_documents(check_collection(collection), documents)
        seen: set[str] = set()
        for key, _, _, _ in documents:
            if key in seen:
                raise AlreadyExists(f"{collection}/{key} is given twice; nothing written")
            seen.add(key)
            if self.get(collection, key) is not None:
                raise AlreadyExists(f"{collection}/{key} already exists; nothing written")
        for key, body, labels, updated_at in documents:
            self.put(
                collection, key, body, expected_version=0, labels=labels, updated_at=updated_at
            )

    @abc.abstractmethod
    def delete(self, collection: str, key: str, *, expected_version: int) -> None:
        """Delete the document at ``expected_version``.

        Raises:
            NotFound: No such key.
            ConcurrencyConflict: The stored version differs; nothing deleted.
        """


class AuditLog(abc.ABC):
    """An append-only, per-case ordered and hash-chained trail of who changed what."""

    @abc.abstractmethod
    def append(
        self,
        case_id: str,
        *,
        actor: str,
        action: str,
        at: datetime,
        before: str | None = None,
        after: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Add an entry at the end of ``case_id``'s trail, chained to the previous one."""

    def append_many(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append many entries (each the keyword arguments of :meth:`append`), in order.

        Adapters may override it with a batched write; this default appends one by one.
        """
        for entry in entries:
            self.append(**entry)

    @abc.abstractmethod
    def entries(self, case_id: str) -> list[AuditEntry]:
        """Return ``case_id``'s entries in order (empty if it has none)."""

    @abc.abstractmethod
    def head(self, case_id: str) -> tuple[int, str] | None:
        """Return the sequence number and hash the trail's last entry should have, or ``None``."""


class CaseRepository(abc.ABC):
    """Cases by id, saved only over the version they were read at, queryable by their labels."""

    @abc.abstractmethod
    def add(self, case: Case[Any], *, actor: str = "system") -> None:
        """Store a new case (version 1) and audit its opening.

        Raises:
            AlreadyExists: A case with this id is stored; nothing written.
        """

    def add_all(self, cases: Sequence[Case[Any]], *, actor: str = "system") -> None:
        """Store many new cases; may be batched by the adapter. See :meth:`add`."""
        for case in cases:
            self.add(case, actor=actor)

    @abc.abstractmethod
    def get(self, case_id: str) -> Case[Any]:
        """Return the stored case.

        Raises:
            NotFound: No case has this id.
            CorruptRecord: Its row cannot be read.
        """

    @abc.abstractmethod
    def save(self, case: Case[Any]) -> None:
        """Store ``case`` over the version it was read at, auditing its pending events.

        Raises:
            ConcurrencyConflict: The stored version is newer; nothing written.
            NotFound: The case was never added.
        """

    @abc.abstractmethod
    def query(
        self,
        *,
        case_type: str | None = None,
        status: str | None = None,
        owner: Owner | None = None,
        priority: Priority | None = None,
        updated_from: datetime | None = None,
        updated_to: datetime | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[Case[Any]]:
        """Return one page, in id order, of the cases matching every given filter."""


class ItemState(enum.StrEnum):
    """Where a routed work item stands."""

    QUEUED = "Awaiting Assignment"
    OFFERED = "Offered"
    ACCEPTED = "Accepted"
    PINNED = "Pinned"


@attrs.frozen(slots=True)
class RoutingItem:
    """A work item (usually a case, by id) as the router sees it.

    Attributes:
        item_id: The item's id (the case id).
        state: Queued, offered, accepted or pinned.
        priority: Its priority; Urgent is offered first.
        skills: The skills an agent needs, all of them, to get it.
        enqueued_at: When it first entered the queue (kept across re-routes).
        agent_id: Who it is offered to, accepted by or pinned to.
        deadline: When a pending offer expires.
        declined_by: Agents who declined it (or let an offer expire): never offered again.
    """

    item_id: str
    state: ItemState
    priority: Priority
    skills: frozenset[str]
    enqueued_at: datetime
    agent_id: str | None = None
    deadline: datetime | None = None
    declined_by: frozenset[str] = frozenset()


@attrs.frozen(slots=True)
class AgentState:
    """An agent as the router sees it.

    Attributes:
        agent_id: The agent's id.
        skills: The skills the agent holds.
        capacity: How many offered + accepted + pinned items the agent may hold.
        available: Presence: only available agents get offers.
        load: Offered + accepted + pinned items held now.
        last_offer_at: When the agent was last offered work (ties go to the longest ago).
    """

    agent_id: str
    skills: frozenset[str]
    capacity: int
    available: bool
    load: int
    last_offer_at: datetime | None = None


class RoutingStore(abc.ABC):
    """Durable routing state where every decision is one atomic, conditional change.

    Because each change re-checks its precondition in the database (the item still queued,
    the agent still under capacity), routers in several processes sharing one store never
    offer one item twice and never put an agent over capacity.
    """

    @abc.abstractmethod
    def put_agent(
        self, agent_id: str, *, skills: Iterable[str], capacity: int = 100, available: bool = True
    ) -> AgentState:
        """Create an agent or update its skills, capacity and presence (load is kept)."""

    @abc.abstractmethod
    def set_presence(self, agent_id: str, available: bool) -> list[str]:
        """Set presence; going offline withdraws pending offers (returned), keeps the rest.

        Raises:
            NotFound: No such agent.
        """

    @abc.abstractmethod
    def enqueue(
        self, item_id: str, *, priority: Priority, skills: Iterable[str], at: datetime
    ) -> RoutingItem:
        """Put a new item in the Awaiting Assignment queue.

        Raises:
            AlreadyExists: The item is already routed; nothing changed.
        """

    @abc.abstractmethod
    def offer_next(self, *, now: datetime, timeout: timedelta) -> RoutingItem | None:
        """Offer the first routable queued item to its best agent; ``None`` if none can be.

        Queue order is priority, then age; the agent is the least loaded available one with
        every skill and room, ties to the one offered work longest ago, never a decliner.
        """

    def offer_batch(self, *, now: datetime, timeout: timedelta, limit: int) -> list[RoutingItem]:
        """Make up to ``limit`` offers in one go, as ``offer_next`` called repeatedly would.

        The offers are those ``offer_next`` would make, in the same order, called until it
        returns ``None`` or ``limit`` times.

        The offers are part of this unit of work: each decision is durable when it commits,
        all of them together (application-level group commit: one commit, one WAL flush,
        for many decisions). Report them only after the commit.

        Complexity: ``limit`` times ``offer_next`` here; adapters override it to read the
        queue and the agents once per batch where they can.

        Raises:
            ValidationError: ``limit`` is not an int >= 1, or ``timeout`` is not positive.
        """
        if type(limit) is not int or limit < 1:
            raise ValidationError(f"offer batch limit must be an int >= 1, got {limit!r}")
        offers: list[RoutingItem] = []
        while len(offers) < limit:
            item = self.offer_next(now=now, timeout=timeout)
            if item is None:
                break
            offers.append(item)
        return offers

    @abc.abstractmethod
    def accept(self, item_id: str, agent_id: str, *, at: datetime) -> RoutingItem:
        """Accept a pending offer (audited as an assignment).

        Raises:
            OfferNotPending: The item is not offered to ``agent_id``; nothing changed.
        """

    @abc.abstractmethod
    def decline(self, item_id: str, agent_id: str) -> RoutingItem:
        """Decline a pending offer: back to the queue, never offered to that agent again.

        Raises:
            OfferNotPending: The item is not offered to ``agent_id``; nothing changed.
        """

    @abc.abstractmethod
    def expire(self, *, now: datetime) -> list[str]:
        """Put back every offer whose deadline has passed (as declines); return their ids."""

    @abc.abstractmethod
    def pin(self, item_id: str, agent_id: str, *, actor: str, at: datetime) -> RoutingItem:
        """Manually assign an item; dynamic routing leaves it alone until released.

        Raises:
            NotFound: No such item or agent.
            CapacityExceeded: The agent is full; nothing changed.
        """

    @abc.abstractmethod
    def release(self, item_id: str, *, actor: str, at: datetime) -> RoutingItem:
        """Put an offered, accepted or pinned item back in the queue, keeping its age.

        Raises:
            NotFound: No such item.
        """

    @abc.abstractmethod
    def finish(self, item_id: str, *, actor: str, at: datetime) -> None:
        """Remove an item from routing (its case moved on), freeing its agent's room.

        Raises:
            NotFound: No such item.
        """

    @abc.abstractmethod
    def item(self, item_id: str) -> RoutingItem | None:
        """The item, or ``None``."""

    @abc.abstractmethod
    def agent(self, agent_id: str) -> AgentState | None:
        """The agent, or ``None``."""

    @abc.abstractmethod
    def items(self) -> list[RoutingItem]:
        """Every routed item, by id."""

    @abc.abstractmethod
    def agents(self) -> list[AgentState]:
        """Every agent, by id."""

    @abc.abstractmethod
    def queue_length(self) -> int:
        """How many items are Awaiting Assignment."""

    @abc.abstractmethod
    def offers(self, item_id: str) -> list[tuple[str, datetime]]:
        """Every offer ever made of ``item_id``: (agent, deadline), oldest first."""


class LedgerKind(enum.StrEnum):
    """The kinds of line the financial ledger holds."""

    DETERMINATION = "determination"
    PAYMENT = "payment"
    CORRECTION = "correction"


@attrs.frozen(slots=True)
class LedgerLine:
    """One line of a case's financial ledger, as stored.

    Attributes:
        case_id: The case (a PDC, or a payment correction case).
        kind: Determination, payment or correction.
        line_id: Its id within the case and kind.
        version: 1 after the first write, +1 on every change.
        status: Its status (a payment's ``Submitted for Payment`` ...), if it has one.
        body: The line itself, JSON-safe, as the financials codec wrote it.
        updated_at: When it was last written.
    """

    case_id: str
    kind: LedgerKind
    line_id: str
    version: int
    status: str | None
    body: Mapping[str, Any]
    updated_at: datetime


class LedgerStore(abc.ABC):
    """Each case's determinations, payments and corrections, versioned, every change audited."""

    @abc.abstractmethod
    def record(
        self,
        case_id: str,
        kind: LedgerKind,
        line_id: str,
        body: Mapping[str, Any],
        *,
        status: str | None = None,
        expected_version: int = 0,
        actor: str,
        at: datetime,
    ) -> LedgerLine:
        """Write a line over ``expected_version`` (0: new) and audit it in the same transaction.

        Raises:
            AlreadyExists: ``expected_version`` is 0 and the line exists; nothing written.
            ConcurrencyConflict: The stored version differs; nothing written.
        """

    @abc.abstractmethod
    def line(self, case_id: str, kind: LedgerKind, line_id: str) -> LedgerLine | None:
        """The line, or ``None``."""

    @abc.abstractmethod
    def lines(self, case_id: str, kind: LedgerKind | None = None) -> list[LedgerLine]:
        """A case's lines (of one kind, if given), by kind and id."""


class UnitOfWork(abc.ABC):
    """A transaction: all or nothing, rolled back unless committed, events published after commit.

    Use it as a context manager::

        with storage.unit_of_work() as uow:
            uow.cases.add(case)
            uow.commit()

    Leaving the block without :meth:`commit` (or with an exception) rolls back; after a
    rollback the cases saved in it get their previous ``version`` back and keep their
    pending events, so saving them again in a new unit of work is safe.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._active = False
        self._touched: dict[int, tuple[Case[Any], int]] = {}
        self._cases: CaseRepository | None = None
        self._ledger: LedgerStore | None = None
        self._failure: str | None = None

    @property
    @abc.abstractmethod
    def documents(self) -> DocumentStore:
        """The document store, inside this transaction."""

    @property
    @abc.abstractmethod
    def audit(self) -> AuditLog:
        """The audit log, inside this transaction."""

    @property
    @abc.abstractmethod
    def routing(self) -> RoutingStore:
        """The routing state, inside this transaction."""

    @property
    def ledger(self) -> LedgerStore:
        """The financial ledger, inside this transaction."""
        if self._ledger is None:
            from casekit.storage.ledger import DocumentLedger  # noqa: PLC0415  cycle

            self._ledger = DocumentLedger(self)
        return self._ledger

    @property
    def cases(self) -> CaseRepository:
        """The case repository, inside this transaction."""
        if self._cases is None:
            from casekit.storage.cases import DocumentCaseRepository  # noqa: PLC0415  cycle

            self._cases = DocumentCaseRepository(self)
        return self._cases

    @abc.abstractmethod
    def _begin(self) -> None:
        """Start the transaction."""

    @abc.abstractmethod
    def _commit(self) -> None:
        """Make the transaction's writes durable, or raise and write nothing."""

    @abc.abstractmethod
    def _rollback(self) -> None:
        """Discard the transaction's writes."""

    def fail(self, reason: str) -> None:
        """Mark this unit of work as unable to commit: a change failed half-way through.

        Writers call it when an error interrupts a change after its first write (the row is
        written, its audit entry is not); :meth:`commit` then rolls back and refuses, so a
        caller who catches the error cannot commit half of the change.
        """
        if self._failure is None:
            self._failure = reason

    def track(self, case: Case[Any], previous_version: int) -> None:
        """Remember a case written in this unit of work (for its events and version)."""
        self._touched.setdefault(id(case), (case, previous_version))

    def __enter__(self) -> UnitOfWork:
        self._begin()
        self._active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._active:
            self.rollback()

    def commit(self) -> None:
        """Write everything, then publish the domain events of the cases written.

        Raises:
            StorageUnavailable: The database failed; nothing was written and the unit of
                work is rolled back.
            StorageError: A change in it failed half-way (:meth:`fail`); it is rolled back.
        """
        self._require_active()
        if self._failure is not None:
            self.rollback()
            raise StorageError(
                f"cannot commit this unit of work: {self._failure}; it is rolled back "
                "(nothing was written)"
            )
        try:
            self._commit()
        except BaseException:
            self.rollback()
            raise
        self._active = False
        events: list[object] = []
        for case, _ in self._touched.values():
            events.extend(case.collect_events())
        self._touched.clear()
        for event in events:
            self.storage.publish(event)

    def rollback(self) -> None:
        """Discard every write; cases written get their previous version back."""
        if not self._active:
            return
        self._active = False
        try:
            self._rollback()
        finally:
            for case, previous in self._touched.values():
                case.version = previous
            self._touched.clear()

    def _require_active(self) -> None:
        if not self._active:
            raise StorageError(
                "unit of work is not active: use it as 'with storage.unit_of_work() as uow:' "
                "and commit once"
            )


class Storage(abc.ABC):
    """A database: hands out units of work and publishes committed domain events."""

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._handlers: list[EventHandler] = []

    @abc.abstractmethod
    def unit_of_work(self) -> UnitOfWork:
        """Return a new unit of work (enter it with ``with``)."""

    def close(self) -> None:  # noqa: B027  optional: adapters without resources keep it empty
        """Release connections; the storage is unusable afterwards."""

    def subscribe(self, handler: EventHandler) -> None:
        """Call ``handler`` with every domain event, after the commit that stored it."""
        self._handlers.append(handler)

    def publish(self, event: object) -> None:
        """Hand ``event`` to every subscriber, in subscription order."""
        for handler in self._handlers:
            handler(event)

    def verify_audit(self, case_id: str) -> int:
        """Check ``case_id``'s audit hash chain; return its number of entries.

        Raises:
            ValidationError: ``case_id`` is not an id.
            AuditTampered: An entry was edited, deleted or inserted out of order.
        """
        from casekit.storage.audit import verify_chain  # noqa: PLC0415  cycle

        case_id = check_id(case_id, what="case id whose audit trail to verify")
        with self.unit_of_work() as uow:
            return verify_chain(case_id, uow.audit.entries(case_id), uow.audit.head(case_id))

    def add_all(self, cases: Iterable[Case[Any]], *, actor: str = "system") -> int:
        """Add ``cases`` in one unit of work and return how many; all or nothing."""
        if isinstance(cases, str | bytes) or not isinstance(cases, Iterable):
            raise ValidationError(f"add_all takes an iterable of cases, got {cases!r:.80}")
        batch = list(cases)
        with self.unit_of_work() as uow:
            uow.cases.add_all(batch, actor=actor)
            uow.commit()
        return len(batch)

    def __enter__(self) -> Storage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
