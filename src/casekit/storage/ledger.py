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

from casekit.errors import ConcurrencyConflict, ValidationError
from casekit.storage.ports import LedgerKind, LedgerLine, LedgerStore

if TYPE_CHECKING:
    from casekit.storage.ports import Document, UnitOfWork

__all__ = ["LEDGER", "DocumentLedger"]

LEDGER = "ledger"
"""The collection ledger lines are stored in."""

_PAGE = 1000


def _check(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise ValidationError(
            f"ledger {name} must be a non-empty string without '/', got {value!r}"
        )
    return value


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
        """See :meth:`LedgerStore.record`."""
        self._uow._require_active()
        kind = LedgerKind(kind)
        key = f"{_check('case id', case_id)}/{kind.value}/{_check('line id', line_id)}"
        before = self._uow.documents.get(LEDGER, key)
        labels = {"case_id": case_id, "kind": kind.value, "status": status or ""}
        try:
            version = self._uow.documents.put(
                LEDGER,
                key,
                {"status": status, "body": dict(body)},
                expected_version=expected_version,
                labels=labels,
                updated_at=at,
            )
        except ConcurrencyConflict as error:
            raise ConcurrencyConflict(
                f"{kind.value} {line_id} of {case_id}: {error}; reload it and try again "
                "(nothing was written)"
            ) from None
        old_status = None if before is None else before.body.get("status")
        self._uow.audit.append(
            case_id,
            actor=actor,
            action=f"{kind.value}_{'recorded' if before is None else 'changed'}",
            at=at,
            before=old_status,
            after=status,
            detail={"line": line_id, "version": version},
        )
        written = self._uow.documents.get(LEDGER, key)
        assert written is not None  # written just above, in this transaction
        return _line(written)

    def line(self, case_id: str, kind: LedgerKind, line_id: str) -> LedgerLine | None:
        """See :meth:`LedgerStore.line`."""
        self._uow._require_active()
        document = self._uow.documents.get(LEDGER, f"{case_id}/{LedgerKind(kind).value}/{line_id}")
        return None if document is None else _line(document)

    def lines(self, case_id: str, kind: LedgerKind | None = None) -> list[LedgerLine]:
        """See :meth:`LedgerStore.lines`."""
        self._uow._require_active()
        labels = {"case_id": case_id}
        if kind is not None:
            labels["kind"] = LedgerKind(kind).value
        found: list[LedgerLine] = []
        after: str | None = None
        while True:
            page = self._uow.documents.find(LEDGER, labels=labels, after=after, limit=_PAGE)
            found.extend(_line(d) for d in page)
            if len(page) < _PAGE:
                return found
            after = page[-1].key


def _line(document: Document) -> LedgerLine:
    case_id, kind, line_id = document.key.split("/", 2)
    return LedgerLine(
        case_id,
        LedgerKind(kind),
        line_id,
        document.version,
        document.body.get("status"),
        document.body.get("body", {}),
        document.updated_at,
    )
