"""The storage ports: abstract classes every adapter implements, each with a one-line contract.

An adapter (``memory``, ``sqlite``, ``postgres`` or your own) implements a
[`DocumentStore`][], an [`AuditLog`][] and a [`RoutingJournal`][], bound to one
transaction. The case repository ([`CaseRepository`][]), the ledger
([`LedgerStore`][]) and the transactional outbox ([`Outbox`][]) are built once on top of
the first two (`casekit.storage.cases`, `casekit.storage.ledger`,
`casekit.storage.outbox`), so every adapter stores them the same way unless it brings
its own. The transaction itself, [`UnitOfWork`][], and the
[`Storage`][] that hands it out live a layer above, in
`casekit.storage.unit_of_work` (both still importable from here).

The domain never imports this package; adapters import these ports, never the other way
round.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from casekit.errors import AlreadyExists
from casekit.priority import Priority
from casekit.storage._checks import check_collection, check_documents
from casekit.storage.label_query import LabelQuery, Labels, LabelValue
from casekit.storage.outbox_record import OutboxRecord

if TYPE_CHECKING:
    from casekit.cases import Case, Owner
    from casekit.security import ReadFilter
    from casekit.storage.unit_of_work import Storage, UnitOfWork

__all__ = [
    "AuditEntry",
    "AuditLog",
    "Body",
    "CaseRepository",
    "Document",
    "DocumentStore",
    "EventHandler",
    "JournalEntry",
    "JournalSnapshot",
    "JsonText",
    "LedgerKind",
    "LedgerLine",
    "LedgerStore",
    "Outbox",
    "OutboxRecord",
    "Page",
    "RoutingJournal",
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
"""A document body: a JSON-safe mapping, or `JsonText` to store as it is."""


@attrs.frozen(slots=True)
class Document:
    """One stored document.

    Attributes:
        collection: The collection it belongs to (``"cases"``, ``"routing"`` ...).
        key: Its key, unique in the collection.
        version: 1 after the first write, +1 on every write.
        body: The JSON-safe content.
        labels: Attributes the store can filter on (``status``, ``owner`` ...): each a
            text, or a *set label*'s texts as a sorted tuple (``participants``); see
            `casekit.storage.label_query`.
        updated_at: When it was last written (UTC), the field range queries use.
    """

    collection: str
    key: str
    version: int
    body: Mapping[str, Any]
    labels: Mapping[str, LabelValue]
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
        hash: SHA-256 over this entry's fields and ``prev_hash`` (HMAC-SHA256 keyed by the
            storage's audit key, when it has one).
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
        labels: Labels,
        updated_at: datetime,
    ) -> int:
        """Write ``body`` over version ``expected_version`` (0: a new key); return the new version.

        ``body`` is a JSON-safe mapping, or `JsonText` to store as it is. A label is a text
        or a set of texts (a tuple or frozenset; stored as a sorted tuple, left out when
        empty).

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
        where: LabelQuery | None = None,
    ) -> list[Document]:
        """Return up to ``limit`` matching documents, in key order.

        A document matches when it has every one of ``labels`` (texts: a set label equals
        no text), matches ``where`` (a [`LabelQuery`][casekit.storage.label_query.LabelQuery],
        as its ``matches`` says), ``updated_from <= updated_at < updated_to`` (either bound
        optional) and its key sorts after ``after``. With ``where``, ``labels`` are checked
        after it (its entry terms choose what is read: see `casekit.storage.label_query`).
        """

    def put_new(
        self,
        collection: str,
        documents: Sequence[tuple[str, Body, Labels, datetime]],
    ) -> None:
        """Write new documents ``(key, body, labels, updated_at)`` at version 1, all or none.

        Each body is a JSON-safe mapping or `JsonText`, as for [`put`][].

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
        """Append many entries (each the keyword arguments of [`append`][]), in order.

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

    @abc.abstractmethod
    def heads(self) -> dict[str, tuple[int, str]]:
        """Return every trail's head, by case id (what a checkpoint records)."""

    def locked_trail(self, case_id: str) -> tuple[list[AuditEntry], tuple[int, str] | None]:
        """Return ``case_id``'s entries and head as one state, for verifying them.

        Appends to the trail wait until this unit of work ends, so what else is read in it
        afterwards (the case's record) matches the trail. This default reads without a lock;
        [`ChainedAuditLog`][] takes the append lock first.
        """
        return self.entries(case_id), self.head(case_id)


class CaseRepository(abc.ABC):
    """Cases by id, saved only over the version they were read at, queryable by their labels."""

    @abc.abstractmethod
    def add(self, case: Case[Any], *, actor: str) -> None:
        """Store a new case (version 1) and audit its opening.

        Raises:
            AlreadyExists: A case with this id is stored; nothing written.
        """

    def add_all(self, cases: Sequence[Case[Any]], *, actor: str) -> None:
        """Store many new cases; may be batched by the adapter. See [`add`][]."""
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
        readable_by: ReadFilter | None = None,
    ) -> Page[Case[Any]]:
        """Return one page, in id order, of the cases matching every given filter.

        With ``readable_by`` (``policy.read_filter(principal)``), only the cases it lets its
        principal read, exactly those ``readable_by.matches(CaseResource.of(case))`` allows,
        filtered by the store before any case is loaded; paging (``after``, ``limit``)
        works as without it.
        """


@attrs.frozen(slots=True)
class JournalEntry:
    """One command a router applied, as its routing domain's journal keeps it.

    Attributes:
        domain: The routing domain (a team, a queue, a tenant) whose journal it is in.
        seq: Its position in the domain's journal, from 1, without gaps.
        at: The clock's reading when the command was applied (replays read it back).
        command: The router method (``submit``, ``accept``, ``tick`` ...).
        args: Its arguments, JSON-safe.
    """

    domain: str
    seq: int
    at: datetime
    command: str
    args: Mapping[str, Any]


@attrs.frozen(slots=True)
class JournalSnapshot:
    """A router's state after entry ``seq`` of its domain's journal, to start from.

    Attributes:
        domain: The routing domain.
        seq: The last journal entry the state includes.
        format: What wrote ``data`` (a replica reads only a format it knows and otherwise
            replays the whole journal: a snapshot is a cache, the journal is the truth).
        data: The state, opaque to storage.
        taken_at: When it was taken.
    """

    domain: str
    seq: int
    format: str
    data: bytes
    taken_at: datetime


class RoutingJournal(abc.ABC):
    """Each routing domain's journal of applied router commands, and its latest snapshot.

    A durable router ([`casekit.storage.DurableRouter`][]) keeps a replica of its
    domain's [`Router`][casekit.routing.Router] in every process; to act, it takes the
    domain's lock in the caller's unit of work, reads the entries it has not seen, applies
    the command and appends it with the next sequence number. ``(domain, seq)`` is unique,
    so a second writer that slipped past the lock fails instead of forking the journal.
    """

    @abc.abstractmethod
    def lock(self, domain: str) -> None:
        """Hold ``domain``'s write lock until this unit of work ends. Idempotent."""

    @abc.abstractmethod
    def head(self, domain: str) -> int:
        """The last sequence number in ``domain``'s journal (0 when it is empty)."""

    @abc.abstractmethod
    def read(self, domain: str, *, after: int = 0, limit: int | None = None) -> list[JournalEntry]:
        """The entries after ``after``, in order (at most ``limit`` of them)."""

    @abc.abstractmethod
    def append(self, entries: Sequence[JournalEntry]) -> None:
        """Append entries, each at the next sequence number of its domain, all or none.

        Raises:
            ConcurrencyConflict: An entry's ``(domain, seq)`` is taken or leaves a gap;
                nothing written.
        """

    @abc.abstractmethod
    def snapshot(self, domain: str) -> JournalSnapshot | None:
        """The latest snapshot of ``domain``, or ``None``."""

    @abc.abstractmethod
    def save_snapshot(self, snapshot: JournalSnapshot) -> None:
        """Keep ``snapshot`` as the domain's latest unless a later one is kept already."""

    @abc.abstractmethod
    def domains(self) -> list[str]:
        """Every domain with a journal, sorted."""


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


class Outbox(abc.ABC):
    """Domain events to publish, written in the transaction of the change that raised them.

    The transactional outbox: the application appends an [`OutboxRecord`][] per committed
    domain event in the unit of work that stores the change, so the events are durable
    exactly when the change is (a rollback writes neither); a relay
    ([`OutboxRelay`][casekit.storage.OutboxRelay]) then claims them, hands them to a broker
    outside any transaction, and acks them. Delivery is at least once: a relay that fails
    or dies before its ack leaves the records to be claimed again once their lease runs
    out, so consumers deduplicate on the record ``id``.

    Records are claimed oldest first by their position in the outbox: the order of
    appends (see the implementation for what that means across processes). A claim leases
    each record to one owner until ``now + lease``; while the lease runs no other claim
    returns it.

    Every method checks all its arguments before it reads or writes anything; a refused
    call changes nothing.

    Complexity: as each method says, for the implementations casekit ships
    (`casekit.storage.outbox`, `casekit.storage.sql_outbox`).
    """

    @abc.abstractmethod
    def append(self, records: Sequence[OutboxRecord]) -> None:
        """Add ``records`` in this unit of work, in the order given, all or none.

        Records are new: ``attempts`` 0 and no lease.

        Complexity: O(k) for k records, in one batched write.

        Raises:
            ValidationError: Not a sequence of new records, or an id given twice; nothing
                written.
            AlreadyExists: A record with one of these ids is in the outbox (appended and not
                acked); nothing written.
        """

    @abc.abstractmethod
    def claim(
        self, limit: int, *, owner: str, lease: timedelta, now: datetime
    ) -> list[OutboxRecord]:
        """Lease up to ``limit`` available records to ``owner`` until ``now + lease``.

        A record is available when it is not acked and not under a lease running at
        ``now`` (never claimed, or its lease ends at or before ``now``). They are returned
        oldest first, each with ``attempts`` one higher than before (1 on the first claim),
        ``lease_owner`` and ``lease_until`` set. A record another claim leased in the
        meantime is skipped, so two claims never return the same record while its lease
        runs.

        Complexity: one ordered read of at most ``limit`` records and one conditional
        write per record returned.

        Raises:
            ValidationError: ``limit`` not an int from 1 to 10,000, ``owner`` not an id,
                ``lease`` not a positive timedelta, ``now`` naive, or ``now + lease`` on or
                after 9999-12-30; nothing changed.
        """

    @abc.abstractmethod
    def ack(self, ids: Sequence[str], *, owner: str, now: datetime | None = None) -> int:
        """Mark the records ``ids`` delivered; return how many were.

        Ids unknown or already acked are ignored (acking is idempotent). A record leased
        to another owner whose lease still runs at ``now`` is not acked: that owner is
        delivering it and acks it itself. A record leased to ``owner`` (even after its
        lease ran out), never claimed, or whose lease ran out is acked.

        Args:
            ids: The records' ids (at most 10,000).
            owner: Who delivered them: the ``owner`` of the claim.
            now: The time to judge leases at (default: the storage's clock).

        Complexity: O(k) reads and writes for k ids.

        Raises:
            ValidationError: ``ids`` not a sequence of record ids, ``owner`` not an id, or
                ``now`` naive; nothing changed.
        """

    @abc.abstractmethod
    def pending(self, limit: int = 100) -> list[OutboxRecord]:
        """The first ``limit`` records not yet acked, oldest first, leased or not.

        Complexity: one ordered read of at most ``limit`` records.

        Raises:
            ValidationError: ``limit`` not an int from 1 to 10,000.
        """

    @abc.abstractmethod
    def count(self) -> int:
        """How many records are not yet acked, leased or not.

        Complexity: O(n) in the records not yet acked.
        """


def __getattr__(name: str) -> object:
    """``UnitOfWork`` and ``Storage``, which moved to `casekit.storage.unit_of_work`.

    Resolved on first use, since that module imports this one.
    """
    if name in ("Storage", "UnitOfWork"):
        from casekit.storage import unit_of_work  # noqa: PLC0415  it imports this module

        return getattr(unit_of_work, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
