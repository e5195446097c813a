"""The case repository, written once over the document store and the audit log.

A case is stored as the record `casekit.cases.codec.case_to_record` makes, in the
``cases`` collection, with labels for queries: ``case_type``, ``status``, ``owner``
(``"Kind:id"``), ``priority``, and what an access decision looks at (supervisor,
reviewer, sensitivity, location, org unit, program, work queue, task assignees,
participants: see `casekit.storage.readable`), so that ``query(readable_by=...)``
returns only the cases a principal may read, filtered by the store. Saving writes one
audit entry per pending domain event (status changes, owner, priority, sensitivity and
location changes, evidence and task changes) in the same transaction; the events
themselves are published by the unit of work after it commits. The last entry
of an add or a save carries ``record_hash``, the SHA-256 of the record text stored (a
``record_saved`` entry does when a save has no event to audit), which ``verify_audit``
checks the stored record against.

Records are written as JSON text made here (`JsonText`): with
the optional ``casekit[fast]`` extra installed, by `orjson <https://github.com/ijl/orjson>`_
(about ten times faster than the standard library's encoder on a case record; records hold
no floats, whose NaN orjson would write as null), otherwise, or for what orjson refuses (an
integer beyond 64 bits, a lone surrogate), by the standard library.

Complexity: ``add``, ``get`` and ``save`` are O(size of the case) plus O(1) statements
(one per pending event for the audit trail); ``query`` is as costly as the adapter's
[`find`][casekit.storage.ports.DocumentStore.find] (with ``readable_by``: its ``where``,
see `casekit.storage.label_query`), plus decoding the page's cases.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from casekit.cases.base import Case
from casekit.cases.codec import case_from_record, case_to_record
from casekit.cases.events import (
    EvidenceChanged,
    OwnerChanged,
    PriorityChanged,
    SecurityChanged,
    TaskChanged,
)
from casekit.cases.parts import Owner, StatusChange
from casekit.checks import check_actor, check_enum, check_id, check_instance, check_text
from casekit.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    CorruptRecord,
    NotFound,
    ValidationError,
)
from casekit.priority import Priority
from casekit.security import ReadFilter
from casekit.storage._checks import check_after, check_audit_fields, check_optional_aware
from casekit.storage.audit import RECORD_HASH, record_digest
from casekit.storage.label_query import AllOf, Has, LabelQuery
from casekit.storage.ports import CaseRepository, JsonText, Page
from casekit.storage.readable import (
    CASE_TYPE,
    OWNER,
    PRIORITY,
    STATUS,
    case_labels,
    readable_query,
)

try:
    import orjson
except ImportError:  # pragma: no cover - the optional casekit[fast] extra
    orjson = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from casekit.clock import Clock
    from casekit.storage.unit_of_work import UnitOfWork

__all__ = ["CASES", "DocumentCaseRepository", "audit_fields", "case_labels", "record_json"]

CASES = "cases"
"""The collection cases are stored in."""

_MAX_LIMIT = 10_000


def owner_label(owner: Owner) -> str:
    """The label value of an owner: ``"User:u1"``."""
    return f"{owner.kind.value}:{owner.id}"


def audit_fields(event: object) -> dict[str, Any]:  # noqa: PLR0911  one return per event kind
    """Map a domain event to the audit entry fields it produces (actor, action, at ...)."""
    if isinstance(event, StatusChange):
        detail: dict[str, str] = {}
        if event.reason:
            detail["reason"] = event.reason
        if event.step:
            detail["step"] = event.step  # what a defer handed on, or a resume performed
        return {
            "actor": event.actor,
            "action": event.action,
            "at": event.at,
            "before": event.from_status,
            "after": event.to_status,
            "detail": detail,
        }
    if isinstance(event, OwnerChanged):
        return {
            "actor": event.actor,
            "action": "assign_owner",
            "at": event.at,
            "before": event.before,
            "after": event.after,
            "detail": {},
        }
    if isinstance(event, PriorityChanged):
        return {
            "actor": event.actor,
            "action": "set_priority",
            "at": event.at,
            "before": event.before.value,
            "after": event.after.value,
            "detail": {"reason": event.reason} if event.reason else {},
        }
    if isinstance(event, SecurityChanged):
        return {
            "actor": event.actor,
            "action": f"set_{event.attribute}",
            "at": event.at,
            "before": event.before,
            "after": event.after,
            "detail": {"reason": event.reason} if event.reason else {},
        }
    if isinstance(event, EvidenceChanged):
        return {
            "actor": event.actor,
            "action": f"evidence_{event.change}",
            "at": event.at,
            "before": None,
            "after": f"{event.evidence_id} v{event.version}",
            "detail": {"type": event.type, "effective_from": event.effective_from.isoformat()},
        }
    if isinstance(event, TaskChanged):
        return {
            "actor": event.actor,
            "action": f"task_{event.change}",
            "at": event.at,
            "before": None,
            "after": event.task_id,
            "detail": {"assignee": event.assignee}
            | ({} if event.previous is None else {"previous": event.previous})
            | ({} if event.reason is None else {"reason": event.reason}),
        }
    return {}


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def record_json(record: Mapping[str, Any]) -> str:
    """A case record as compact JSON text: orjson when installed, else the standard library.

    Both write the same text for a record (compact, keys in order, non-ASCII as is).
    """
    if orjson is not None:
        try:
            return orjson.dumps(record).decode()
        except orjson.JSONEncodeError:
            pass  # an integer beyond 64 bits or a lone surrogate: the standard library takes it
    return _ENCODER.encode(record)


def _record(case: Case[Any], version: int) -> JsonText:
    """The case's record as it will be stored (at ``version``), as JSON text."""
    record = case_to_record(case)
    record["version"] = version
    fields = record["fields"]
    if isinstance(fields, dict):
        fields["version"] = version
    return JsonText(record_json(record))


def _decode(body: Mapping[str, Any], key: str, clock: Clock) -> Case[Any]:
    try:
        return case_from_record(body, clock=clock)
    except CorruptRecord as error:
        raise CorruptRecord(f"table {CASES}, key {key!r}: {error}") from error


class DocumentCaseRepository(CaseRepository):
    """Cases in a unit of work's document store, audited in its audit log.

    Every method checks all of its arguments, encodes the record and checks every audit
    entry it will append before its first write, so a refused call writes nothing; an
    error after the first write (the database failing) marks the unit of work as unable
    to commit ([`fail`][casekit.storage.unit_of_work.UnitOfWork.fail]).
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        # How many of a case's pending events are already audited in this unit of work.
        self._audited: dict[int, int] = {}

    def _entries(
        self, case: Case[Any], opened_by: str | None, record: str
    ) -> tuple[list[dict[str, Any]], int]:
        """The checked audit entries writing ``case`` appends, and its pending-event count.

        The last entry holds the SHA-256 of ``record``, the text stored; a save with no
        event to audit gets a ``record_saved`` entry to hold it.
        """
        entries: list[dict[str, Any]] = []
        if opened_by is not None:
            entries.append(
                {
                    "actor": opened_by,
                    "action": "open",
                    "at": case.created_at,
                    "after": str(case.status.value),
                    "detail": {"case_type": type(case).case_type},
                }
            )
        pending = case.pending_events
        for event in pending[self._audited.get(id(case), 0) :]:
            fields = audit_fields(event)
            if fields:
                entries.append(dict(fields))
        if not entries:
            entries.append(
                {
                    "actor": "casekit.storage",
                    "action": "record_saved",
                    "at": case.updated_at,
                    "after": f"version {case.version + 1}",
                }
            )
        last = entries[-1]
        last["detail"] = {**(last.get("detail") or {}), RECORD_HASH: record_digest(record)}
        return [check_audit_fields(case.id, entry) for entry in entries], len(pending)

    def _append(self, entries: list[dict[str, Any]], what: str) -> None:
        """Append checked entries after a write; a failure leaves the unit of work uncommittable."""
        try:
            self._uow.audit.append_many(entries)
        except BaseException:
            self._uow.fail(f"{what} was written but its audit entries were not")
            raise

    def add(self, case: Case[Any], *, actor: str) -> None:
        """Store a new case (version 1) and audit its opening; see the port.

        Raises:
            ValidationError: Not a case, a bad ``actor``, or a case that cannot be stored
                (the message names it); nothing written.
            AlreadyExists: The case is stored already; nothing written.
        """
        self._uow._require_active()
        case = _check_case(case, "the case to add")
        actor = check_actor(actor, what=f"actor adding case {case.id}")
        if case.version != 0:
            raise AlreadyExists(
                f"case {case.id} has version {case.version}: it was already stored; "
                "use save() for a stored case (add() takes version 0)"
            )
        record = _record(case, 1)
        labels = case_labels(case)
        entries, seen = self._entries(case, actor, record)
        try:
            self._uow.documents.put(
                CASES,
                case.id,
                record,
                expected_version=0,
                labels=labels,
                updated_at=case.updated_at,
            )
        except AlreadyExists:
            raise AlreadyExists(f"case {case.id} is already stored; nothing written") from None
        self._append(entries, f"case {case.id}")
        self._audited[id(case)] = seen
        self._uow.track(case, 0)
        case.version = 1

    def add_all(self, cases: Sequence[Case[Any]], *, actor: str) -> None:
        """Store many new cases in a few batched statements; see the port.

        Raises:
            ValidationError: Not a sequence of cases, a bad ``actor``, or a case that
                cannot be stored; nothing written.
            AlreadyExists: One of them is stored or has a version; nothing written.
        """
        self._uow._require_active()
        if isinstance(cases, str | bytes) or not isinstance(cases, Iterable):
            raise ValidationError(f"add_all takes a sequence of cases, got {cases!r:.80}")
        batch = [_check_case(c, "each case given to add_all") for c in cases]
        actor = check_actor(actor, what="actor adding cases")
        for case in batch:
            if case.version != 0:
                raise AlreadyExists(
                    f"case {case.id} has version {case.version}: it was already stored; "
                    "nothing written"
                )
        documents = [(c.id, _record(c, 1), case_labels(c), c.updated_at) for c in batch]
        entries: list[dict[str, Any]] = []
        seen: list[int] = []
        for case, (_, record, _, _) in zip(batch, documents, strict=True):
            made, count = self._entries(case, actor, record)
            entries.extend(made)
            seen.append(count)
        try:
            self._uow.documents.put_new(CASES, documents)
        except AlreadyExists as error:
            raise AlreadyExists(f"case {error}") from None
        self._append(entries, f"{len(batch)} cases")
        for case, count in zip(batch, seen, strict=True):
            self._audited[id(case)] = count
            self._uow.track(case, 0)
            case.version = 1

    def get(self, case_id: str) -> Case[Any]:
        """Return the stored case; see the port.

        Raises:
            ValidationError: ``case_id`` is not an id.
            NotFound: No case has this id.
            CorruptRecord: Its record cannot be read.
        """
        self._uow._require_active()
        case_id = check_id(case_id, what="case id")
        document = self._uow.documents.get(CASES, case_id)
        if document is None:
            raise NotFound(f"no case {case_id!r} is stored")
        return _decode(document.body, document.key, self._uow.storage.clock)

    def save(self, case: Case[Any]) -> None:
        """Store ``case`` over the version it was read at; see the port.

        Raises:
            ValidationError: Not a case, or a change that cannot be stored or audited (a bad
                actor, time or detail in a pending event); nothing written.
            ConcurrencyConflict: The stored version is newer; nothing written.
            NotFound: The case was never added.
        """
        self._uow._require_active()
        case = _check_case(case, "the case to save")
        if case.version < 1:
            raise NotFound(f"case {case.id} was never stored (version 0): add() it first")
        record = _record(case, case.version + 1)
        labels = case_labels(case)
        entries, seen = self._entries(case, None, record)
        try:
            self._uow.documents.put(
                CASES,
                case.id,
                record,
                expected_version=case.version,
                labels=labels,
                updated_at=case.updated_at,
            )
        except ConcurrencyConflict as error:
            raise ConcurrencyConflict(
                f"case {case.id}: saving version {case.version}, but {error}; reload it, "
                "redo the change and save again (nothing was written)"
            ) from None
        self._append(entries, f"case {case.id}")
        self._audited[id(case)] = seen
        self._uow.track(case, case.version)
        case.version += 1

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
        """Return one page of matching cases in id order; see the port.

        With ``readable_by``, only the cases it lets its principal read: the store filters
        them (`casekit.storage.readable`); the owner filter, if given, is what it reads
        first, else the read filter's relationships, case types or programs.

        Raises:
            ValidationError: A filter of the wrong kind (``owner`` not an
                [`Owner`][], ``priority`` not a priority, a naive time, ``readable_by``
                not a ReadFilter), or ``limit`` outside 1..10,000.
        """
        self._uow._require_active()
        if type(limit) is not int or not 1 <= limit <= _MAX_LIMIT:
            raise ValidationError(f"query limit must be an int in 1..{_MAX_LIMIT}, got {limit!r}")
        labels: dict[str, str] = {}
        if case_type is not None:
            labels[CASE_TYPE] = check_text(case_type, what="case_type filter of a case query")
        if status is not None:
            if isinstance(status, enum.Enum):
                status = status.value
            labels[STATUS] = check_text(status, what="status filter of a case query")
        if owner is not None:
            owner = check_instance(owner, Owner, what="owner filter of a case query")
            labels[OWNER] = owner_label(owner)
        if priority is not None:
            labels[PRIORITY] = check_enum(
                priority, Priority, what="priority filter of a case query"
            ).value
        where: LabelQuery | None = None
        if readable_by is not None:
            where = _readable(readable_by, labels)
            labels = {}
        documents = self._uow.documents.find(
            CASES,
            labels=labels,
            where=where,
            updated_from=check_optional_aware(updated_from, what="updated_from of a case query"),
            updated_to=check_optional_aware(updated_to, what="updated_to of a case query"),
            after=check_after(after, what="'after' of a case query"),
            limit=limit + 1,
        )
        more = len(documents) > limit
        documents = documents[:limit]
        clock = self._uow.storage.clock
        items = tuple(_decode(d.body, d.key, clock) for d in documents)
        return Page(items, documents[-1].key if more else None)


def _readable(read_filter: object, labels: dict[str, str]) -> LabelQuery:
    """The query of a filtered case query: the owner filter first, then the read filter."""
    if type(read_filter) is not ReadFilter:
        raise ValidationError(
            "readable_by of a case query must be a ReadFilter (policy.read_filter(principal)), "
            f"got {type(read_filter).__name__} {read_filter!r:.80}"
        )
    owner = [Has(OWNER, labels[OWNER])] if OWNER in labels else []
    others = [Has(name, value) for name, value in labels.items() if name != OWNER]
    return AllOf([*owner, readable_query(read_filter), *others])


def _check_case(value: object, what: str) -> Case[Any]:
    if not isinstance(value, Case):
        raise ValidationError(
            f"{what} must be a Case (a ProductDeliveryCase, an IssueCase ...), "
            f"got {type(value).__name__} {value!r:.80}"
        )
    check_id(value.id, what=f"id of the {type(value).case_type} to store")
    return value
