"""The storage ports: abstract classes every adapter implements, each with a one-line contract.

An adapter (``memory``, ``sqlite``, ``postgres`` or your own) implements [`Storage`][],
whose [`Storage.unit_of_work`][] hands out a [`UnitOfWork`][] exposing a
[`DocumentStore`][] and an [`AuditLog`][] bound to one transaction. The case
repository ([`CaseRepository`][]) is built once, in `casekit.storage.cases`, on top
of those two ports, so every adapter stores cases the same way.

The domain never imports this package; adapters import these ports, never the other way
round.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from casekit.checks import check_id, check_instance
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import AlreadyExists, StorageError, ValidationError
from casekit.priority import Priority
from casekit.storage._checks import check_collection, check_documents

if TYPE_CHECKING:
    from casekit.cases import Case, Owner
    from casekit.storage.checkpoint import Checkpoint

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
        labels: Mapping[str, str],
        updated_at: datetime,
    ) -> int:
        """Write ``body`` over version ``expected_version`` (0: a new key); return the new version.

        ``body`` is a JSON-safe mapping, or `JsonText` to store as it is.

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
    def add(self, case: Case[Any], *, actor: str = "system") -> None:
        """Store a new case (version 1) and audit its opening.

        Raises:
            AlreadyExists: A case with this id is stored; nothing written.
        """

    def add_all(self, cases: Sequence[Case[Any]], *, actor: str = "system") -> None:
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
    ) -> Page[Case[Any]]:
        """Return one page, in id order, of the cases matching every given filter."""


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


class UnitOfWork(abc.ABC):
    """A transaction: all or nothing, rolled back unless committed, events published after commit.

    Use it as a context manager::

        with storage.unit_of_work() as uow:
            uow.cases.add(case)
            uow.commit()

    Leaving the block without [`commit`][] (or with an exception) rolls back; after a
    rollback the cases saved in it get their previous ``version`` back and keep their
    pending events, so saving them again in a new unit of work is safe.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._active = False
        self._touched: dict[int, tuple[Case[Any], int]] = {}
        self._cases: CaseRepository | None = None
        self._ledger: LedgerStore | None = None
        self._on_end: list[Callable[[bool], None]] = []
        self._before_commit: list[Callable[[], None]] = []
        self.bound: dict[int, Any] = {}
        """What has bound itself to this unit of work, by the binder's id (the durable
        routers)."""
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
    def journal(self) -> RoutingJournal:
        """The routing journals, inside this transaction."""

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

    def before_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once, inside the transaction, just before it commits.

        Writers that buffer (the durable router's journal entries) flush there; if a
        callback raises, the unit of work rolls back and the error reaches the caller.
        """
        self._before_commit.append(callback)

    def on_end(self, callback: Callable[[bool], None]) -> None:
        """Call ``callback(committed)`` once when this unit of work ends.

        ``committed`` is true after a successful commit (called before the domain events are
        published) and false after a rollback. Callbacks run in the order they were added;
        the durable router uses it to release its replica and to publish its events.
        """
        self._on_end.append(callback)

    def _ended(self, committed: bool) -> None:
        callbacks, self._on_end = self._on_end, []
        for callback in callbacks:
            callback(committed)

    def fail(self, reason: str) -> None:
        """Mark this unit of work as unable to commit: a change failed half-way through.

        Writers call it when an error interrupts a change after its first write (the row is
        written, its audit entry is not); [`commit`][] then rolls back and refuses, so a
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
            StorageError: A change in it failed half-way ([`fail`][]); it is rolled back.
        """
        self._require_active()
        if self._failure is not None:
            self.rollback()
            raise StorageError(
                f"cannot commit this unit of work: {self._failure}; it is rolled back "
                "(nothing was written)"
            )
        try:
            callbacks, self._before_commit = self._before_commit, []
            for callback in callbacks:
                callback()
            self._commit()
        except BaseException:
            self.rollback()
            raise
        self._active = False
        events: list[object] = []
        for case, _ in self._touched.values():
            events.extend(case.collect_events())
        self._touched.clear()
        self._ended(True)
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
            self._ended(False)

    def _require_active(self) -> None:
        if not self._active:
            raise StorageError(
                "unit of work is not active: use it as 'with storage.unit_of_work() as uow:' "
                "and commit once"
            )


class Storage(abc.ABC):
    """A database: hands out units of work and publishes committed domain events.

    Args:
        clock: The clock cases read back are bound to.
        audit_key: A secret the database does not hold (at least 16 bytes; 32 random bytes
            advised): every audit entry's hash is then HMAC-SHA256 keyed by it, and
            checkpoints are signed with it, so entries forged or rewritten without it are
            detected. Give the same key every time a database is opened (a trail written
            with a key does not verify without it, nor one written without a key with it).

    Raises:
        ValidationError: ``audit_key`` is not ``None`` or bytes of at least 16 bytes.
    """

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK, audit_key: bytes | None = None) -> None:
        from casekit.storage.audit import check_audit_key  # noqa: PLC0415  cycle

        key = check_audit_key(audit_key, what=f"audit_key of {type(self).__name__}")
        self.clock = clock
        self._audit_key = key
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

    @property
    def has_audit_key(self) -> bool:
        """Whether audit entries are HMAC-ed with a key (the key itself is never exposed)."""
        return self._audit_key is not None

    def verify_audit(self, case_id: str, *, checkpoint: Checkpoint | None = None) -> int:
        """Check ``case_id``'s audit trail and stored record; return its number of entries.

        Checks the hash chain (with the audit key, if the storage has one) up to the stored
        head; that the stored case record hashes to the ``record_hash`` of the entry that
        saved it last (records saved before record hashes existed are not checked) and is
        not stored without a trail; and, given a ``checkpoint``, that the trail still holds
        the checkpointed entry unchanged (so it is not shorter, rewritten or deleted).

        Complexity: O(n) in the trail's length plus one read of the record.

        Raises:
            ValidationError: ``case_id`` is not an id or ``checkpoint`` not a Checkpoint, or
                it is signed and this storage has no audit key.
            AuditTampered: An entry was edited, forged, deleted or inserted, the head or the
                record does not match the trail, or the trail falls short of the checkpoint.
        """
        case_id = check_id(case_id, what="case id of the audit trail to verify")
        if checkpoint is not None:
            self._check_checkpoint(checkpoint)
        return self._verify_trail(case_id, checkpoint)

    def verify_all(self, *, checkpoint: Checkpoint | None = None) -> int:
        """Verify every audit trail (as [`verify_audit`][]); return how many were checked.

        The trails are those with a head, those of stored cases, and those ``checkpoint``
        names (so a trail deleted with its head is found). Each is checked in its own unit
        of work, in case id order; the first that fails raises.

        Complexity: O(total entries + stored cases).

        Raises:
            ValidationError: ``checkpoint`` not a Checkpoint, or signed and this storage
                has no audit key.
            AuditTampered: As [`verify_audit`][], for the first trail that fails.
        """
        if checkpoint is not None:
            self._check_checkpoint(checkpoint)
        from casekit.storage.cases import CASES  # noqa: PLC0415  cycle

        with self.unit_of_work() as uow:
            case_ids = set(uow.audit.heads())
            after: str | None = None
            while True:
                page = uow.documents.find(CASES, after=after, limit=1000)
                case_ids.update(document.key for document in page)
                if len(page) < 1000:
                    break
                after = page[-1].key
        if checkpoint is not None:
            case_ids.update(checkpoint.heads)
        for case_id in sorted(case_ids):
            self._verify_trail(case_id, checkpoint)
        return len(case_ids)

    def audit_checkpoint(self) -> Checkpoint:
        """Return every trail's head now, signed with the audit key if there is one.

        Keep it outside the database (``to_json()``) and pass it to [`verify_audit`][] or
        [`verify_all`][] later: a trail shortened or deleted since is then detected.

        Complexity: O(number of trails).
        """
        from casekit.storage.checkpoint import Checkpoint  # noqa: PLC0415  cycle

        with self.unit_of_work() as uow:
            heads = uow.audit.heads()
            taken_at = self.clock.now()
        return Checkpoint.take(heads, taken_at=taken_at, key=self._audit_key)

    def _check_checkpoint(self, checkpoint: object) -> None:
        from casekit.storage.checkpoint import Checkpoint  # noqa: PLC0415  cycle

        cp = check_instance(checkpoint, Checkpoint, what="checkpoint to verify against")
        cp.check_signature(self._audit_key)

    def _verify_trail(self, case_id: str, checkpoint: Checkpoint | None) -> int:
        from casekit.storage.audit import verify_chain, verify_record  # noqa: PLC0415  cycle
        from casekit.storage.cases import CASES, record_json  # noqa: PLC0415  cycle

        with self.unit_of_work() as uow:
            entries, head = uow.audit.locked_trail(case_id)  # first: saves wait from here
            document = uow.documents.get(CASES, case_id)
        count = verify_chain(case_id, entries, head, key=self._audit_key)
        if checkpoint is not None:
            checkpoint.check_trail(case_id, entries)
        verify_record(case_id, entries, None if document is None else record_json(document.body))
        return count

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
