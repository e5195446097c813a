"""The unit of work and the storage that hands it out: the application layer's transaction.

A [`Storage`][] is a database; [`Storage.unit_of_work`][] starts a [`UnitOfWork`][],
one transaction exposing the ports of `casekit.storage.ports` (documents, audit log,
routing journal) bound to it, and the case repository, ledger and outbox built on them
(`casekit.storage.cases`, `casekit.storage.ledger`, `casekit.storage.outbox`; an adapter
may supply its own through [`UnitOfWork.make_cases`][], [`UnitOfWork.make_ledger`][] and
[`UnitOfWork.make_outbox`][]). Commands load,
act, save and commit in one unit of work; domain events are published after the commit.

This module sits above the ports and the repositories built on them, which never import it
(``casekit.storage.ports.UnitOfWork`` and ``.Storage`` still resolve, to these classes).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from casekit.checks import check_id, check_instance, check_int
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import StorageError, ValidationError
from casekit.storage.audit import check_audit_key, verify_chain, verify_record
from casekit.storage.cases import CASES, DocumentCaseRepository, record_json
from casekit.storage.checkpoint import Checkpoint
from casekit.storage.ledger import DocumentLedger
from casekit.storage.outbox import DocumentOutbox
from casekit.storage.ports import (
    AuditLog,
    CaseRepository,
    DocumentStore,
    EventHandler,
    LedgerStore,
    Outbox,
    RoutingJournal,
)
from casekit.storage.readable import case_labels

if TYPE_CHECKING:
    from casekit.cases import Case

__all__ = ["Storage", "UnitOfWork"]


class UnitOfWork(abc.ABC):
    """A transaction: all or nothing, rolled back unless committed, events published after commit.

    Use it as a context manager::

        with storage.unit_of_work() as uow:
            uow.cases.add(case, actor="intake")
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
        self._outbox: Outbox | None = None
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
        """The financial ledger, inside this transaction (built once, by [`make_ledger`][])."""
        if self._ledger is None:
            self._ledger = self.make_ledger()
        return self._ledger

    @property
    def outbox(self) -> Outbox:
        """The transactional outbox, inside this transaction (built once, by [`make_outbox`][]).

        Append the committed domain events here, in the unit of work that stores the
        change; an [`OutboxRelay`][casekit.storage.OutboxRelay] delivers them.

        Complexity: O(1).
        """
        if self._outbox is None:
            self._outbox = self.make_outbox()
        return self._outbox

    @property
    def cases(self) -> CaseRepository:
        """The case repository, inside this transaction (built once, by [`make_cases`][])."""
        if self._cases is None:
            self._cases = self.make_cases()
        return self._cases

    def make_cases(self) -> CaseRepository:
        """Build this unit of work's case repository; called once, on first use of [`cases`][].

        The default stores cases as documents over [`documents`][] and [`audit`][]
        ([`DocumentCaseRepository`][]); an adapter with a case
        table of its own overrides it. The repository must pass
        `casekit.testing.contract_cases`.
        """
        return DocumentCaseRepository(self)

    def make_ledger(self) -> LedgerStore:
        """Build this unit of work's ledger; called once, on first use of [`ledger`][].

        The default keeps ledger lines as documents
        (`DocumentLedger`); an adapter with ledger tables of
        its own overrides it. The ledger must pass
        `casekit.testing.contract_ledger`.
        """
        return DocumentLedger(self)

    def make_outbox(self) -> Outbox:
        """Build this unit of work's outbox; called once, on first use of [`outbox`][].

        The default keeps outbox records as documents
        ([`DocumentOutbox`][casekit.storage.DocumentOutbox]); an adapter with an outbox
        table of its own overrides it, as the SQL adapters do
        (`casekit.storage.sql_outbox`). The outbox must pass
        `casekit.testing.contract_outbox`.

        Complexity: O(1).
        """
        return DocumentOutbox(self)

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
        """Run every end callback, even when one raises (the first error is raised after)."""
        callbacks, self._on_end = self._on_end, []
        failure: BaseException | None = None
        for callback in callbacks:
            try:
                callback(committed)
            except BaseException as error:  # the others must still release what they hold
                failure = failure or error
        if failure is not None:
            raise failure

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
        try:
            self._ended(True)
        finally:  # committed: the cases' events are published whatever a callback did
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
        with self.unit_of_work() as uow:
            heads = uow.audit.heads()
            taken_at = self.clock.now()
        return Checkpoint.take(heads, taken_at=taken_at, key=self._audit_key)

    def _check_checkpoint(self, checkpoint: object) -> None:
        cp = check_instance(checkpoint, Checkpoint, what="checkpoint to verify against")
        cp.check_signature(self._audit_key)

    def _verify_trail(self, case_id: str, checkpoint: Checkpoint | None) -> int:
        with self.unit_of_work() as uow:
            entries, head = uow.audit.locked_trail(case_id)  # first: saves wait from here
            document = uow.documents.get(CASES, case_id)
        count = verify_chain(case_id, entries, head, key=self._audit_key)
        if checkpoint is not None:
            checkpoint.check_trail(case_id, entries)
        verify_record(case_id, entries, None if document is None else record_json(document.body))
        return count

    def add_all(self, cases: Iterable[Case[Any]], *, actor: str) -> int:
        """Add ``cases`` in one unit of work and return how many; all or nothing."""
        if isinstance(cases, str | bytes) or not isinstance(cases, Iterable):
            raise ValidationError(f"add_all takes an iterable of cases, got {cases!r:.80}")
        batch = list(cases)
        with self.unit_of_work() as uow:
            uow.cases.add_all(batch, actor=actor)
            uow.commit()
        return len(batch)

    def relabel_cases(self, *, batch: int = 500) -> int:
        """Save again every stored case whose labels are not those casekit writes today.

        Cases stored before schema version 7 lack the labels filtered reads use (its
        sensitivity, supervisor, participants ...), so ``query(readable_by=...)`` leaves
        them out until they are saved again. This saves each such case as it is, ``batch``
        cases per unit of work: its labels are rewritten, its version goes up by one and
        its audit trail gains a ``record_saved`` entry. Cases whose labels are current are
        not written; running it again finds none.

        Complexity: O(n) for the n stored cases (each read and decoded; the stale ones
        saved).

        Returns:
            How many cases were saved.

        Raises:
            ValidationError: ``batch`` is not an int from 1 to 10,000.
            ConcurrencyConflict: A case changed while its batch was being saved (the
                batch is rolled back; run it again).
        """
        batch = check_int(batch, what="batch of relabel_cases", minimum=1, maximum=10_000)
        saved = 0
        after: str | None = None
        while True:
            with self.unit_of_work() as uow:
                documents = uow.documents.find(CASES, after=after, limit=batch)
                for document in documents:
                    case = uow.cases.get(document.key)
                    if dict(document.labels) != case_labels(case):
                        uow.cases.save(case)
                        saved += 1
                uow.commit()
            if len(documents) < batch:
                return saved
            after = documents[-1].key

    def __enter__(self) -> Storage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
