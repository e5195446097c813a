"""The financial ledger, written once over the document store and the audit log.

Each line (a determination, a payment or a correction of one case) is a versioned JSON
document in the ``ledger`` collection, keyed ``case/kind/line``, labelled with its case,
kind and status. Every write states the version it replaces (optimistic concurrency) and
writes an audit entry on the case's trail in the same transaction: ``payment_recorded``,
``payment_changed`` (status before → after) and so on.

The body is whatever the financials codec makes of a line (JSON-safe: Money as
``{"amount": "12.30", "currency": "EUR"}``, times ISO-8601 with an offset); the ledger
stores and returns it unchanged.

Complexity: ``record`` and ``line`` are O(1) statements; ``lines`` reads one case's lines
in key order (a filtered scan on the SQL adapters).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from casekit.checks import (
    check_actor,
    check_aware,
    check_enum,
    check_id,
    check_int,
    check_mapping,
    check_text,
)
from casekit.errors import ConcurrencyConflict, CorruptRecord, ValidationError
from casekit.storage._checks import check_audit_fields, check_plain_json
from casekit.storage.ports import LedgerKind, LedgerLine, LedgerStore

if TYPE_CHECKING:
    from casekit.storage.ports import Document
    from casekit.storage.unit_of_work import UnitOfWork

__all__ = ["LEDGER", "DocumentLedger"]

LEDGER = "ledger"
"""The collection ledger lines are stored in."""

_PAGE = 1000


def _part(name: str, value: object) -> str:
    """A case or line id, which is part of a ledger key: an id without ``/``."""
    text = check_id(value, what=f"ledger {name}")
    if "/" in text:
        raise ValidationError(f"ledger {name} must not contain '/', got {text!r}")
    return text


def _key(case_id: object, kind: object, line_id: object) -> tuple[str, LedgerKind, str, str]:
    """Checked ``(case_id, kind, line_id, key)`` of one ledger line."""
    case = _part("case id", case_id)
    checked_kind = check_enum(kind, LedgerKind, what=f"ledger kind of a line of {case}")
    line = _part("line id", line_id)
    key = check_id(f"{case}/{checked_kind.value}/{line}", what=f"ledger key of line {line}")
    return case, checked_kind, line, key


class DocumentLedger(LedgerStore):
    """Ledger lines in a unit of work's document store, audited in its audit log."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

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
        """See [`LedgerStore.record`][].

        Every argument is checked before anything is written: ids (no ``/``), ``kind`` (a
        [`LedgerKind`][]), ``body`` (a JSON-safe mapping), ``status``, ``expected_version``,
        ``actor`` and ``at`` (timezone-aware).

        Raises:
            ValidationError: A bad argument, named in the message; nothing written.
            AlreadyExists: ``expected_version`` is 0 and the line exists; nothing written.
            ConcurrencyConflict: The stored version differs; nothing written.
        """
        self._uow._require_active()
        case_id, kind, line_id, key = _key(case_id, kind, line_id)
        where = f"{kind.value} {line_id} of {case_id}"
        body = check_mapping(body, what=f"body of {where}")
        check_plain_json(body, what=f"body of {where}")
        if status is not None:
            status = check_text(status, what=f"status of {where}")
        expected_version = check_int(
            expected_version, what=f"expected version of {where}", minimum=0
        )
        actor = check_actor(actor, what=f"actor recording {where}")
        at = check_aware(at, what=f"time of recording {where}")
        before = self._uow.documents.get(LEDGER, key)
        old_status = None if before is None else before.body.get("status")
        entry = check_audit_fields(
            case_id,
            {
                "actor": actor,
                "action": f"{kind.value}_{'recorded' if before is None else 'changed'}",
                "at": at,
                "before": old_status,
                "after": status,
                "detail": {"line": line_id, "version": expected_version + 1},
            },
        )
        labels = {"case_id": case_id, "kind": kind.value, "status": status or ""}
        try:
            self._uow.documents.put(
                LEDGER,
                key,
                {"status": status, "body": body},
                expected_version=expected_version,
                labels=labels,
                updated_at=at,
            )
        except ConcurrencyConflict as error:
            raise ConcurrencyConflict(
                f"{where}: {error}; reload it and try again (nothing was written)"
            ) from None
        try:
            self._uow.audit.append(**entry)
        except BaseException:
            self._uow.fail(f"ledger line {key} was written but its audit entry was not")
            raise
        written = self._uow.documents.get(LEDGER, key)
        assert written is not None  # written just above, in this transaction
        return _line(written)

    def line(self, case_id: str, kind: LedgerKind, line_id: str) -> LedgerLine | None:
        """See [`LedgerStore.line`][]."""
        self._uow._require_active()
        document = self._uow.documents.get(LEDGER, _key(case_id, kind, line_id)[3])
        return None if document is None else _line(document)

    def lines(self, case_id: str, kind: LedgerKind | None = None) -> list[LedgerLine]:
        """See [`LedgerStore.lines`][]."""
        self._uow._require_active()
        labels = {"case_id": _part("case id", case_id)}
        if kind is not None:
            labels["kind"] = check_enum(kind, LedgerKind, what=f"ledger kind of {case_id}").value
        found: list[LedgerLine] = []
        after: str | None = None
        while True:
            page = self._uow.documents.find(LEDGER, labels=labels, after=after, limit=_PAGE)
            found.extend(_line(d) for d in page)
            if len(page) < _PAGE:
                return found
            after = page[-1].key


def _line(document: Document) -> LedgerLine:
    parts = document.key.split("/", 2)
    kinds = {kind.value: kind for kind in LedgerKind}
    if len(parts) != 3 or parts[1] not in kinds:
        raise CorruptRecord(
            f"table documents, key {LEDGER}/{document.key!r}: not a ledger key "
            "(case/kind/line, kind one of determination, payment, correction)"
        )
    case_id, kind, line_id = parts
    return LedgerLine(
        case_id,
        kinds[kind],
        line_id,
        document.version,
        document.body.get("status"),
        document.body.get("body", {}),
        document.updated_at,
    )
