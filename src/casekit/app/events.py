"""The application's own events, and every domain event as a CloudEvents type and data.

Cases publish their events (`casekit.cases.events`, status changes), the router its
[`RoutingEvent`][casekit.routing.RoutingEvent]s; the application adds the facts no single
case records: a case opened, a reassessment applied, a payment issued.

[`cloud_event_parts`][] turns any of them into the ``type``, ``subject`` and JSON-safe
``data`` of a CloudEvents 1.0 envelope, the outbox's record format:

| event | CloudEvents ``type`` | ``subject`` |
| --- | --- | --- |
| `StatusChange` | ``casekit.case.status_changed`` | case id |
| `EvidenceChanged` | ``casekit.case.evidence_changed`` | case id |
| `OwnerChanged` | ``casekit.case.owner_changed`` | case id |
| `PriorityChanged` | ``casekit.case.priority_changed`` | case id |
| `TaskChanged` | ``casekit.case.task_changed`` | case id |
| `SecurityChanged` | ``casekit.case.security_changed`` | case id |
| [`CaseOpened`][] | ``casekit.case.opened`` | case id |
| `RoutingEvent` | ``casekit.routing.<kind>`` (``offered``, ``accepted`` ...) | item id or agent id |
| [`ReassessmentApplied`][] | ``casekit.financials.reassessed`` | PDC id |
| [`PaymentIssued`][] | ``casekit.financials.payment_issued`` | PDC id |

Any other attrs event of a case becomes ``casekit.case.<snake_case class name>``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from casekit.money import Money
from casekit.routing.events import RoutingEvent

__all__ = [
    "CaseOpened",
    "PaymentIssued",
    "ReassessmentApplied",
    "cloud_event_parts",
]


@attrs.frozen(slots=True)
class CaseOpened:
    """A case was opened (stored for the first time) through the application."""

    case_id: str
    case_type: str
    status: str
    actor: str
    at: datetime


@attrs.frozen(slots=True)
class ReassessmentApplied:
    """A product delivery case was reassessed.

    Attributes:
        case_id: The PDC.
        reassessment_id: ``<PDC id>/R<n>``, numbered in storage (unique across processes).
        trigger: What asked for it.
        outcome: Overpayment, underpayment, net zero or no change.
        net: The net correction (negative: owed to the agency), as a decimal string.
        correction_case_id: The Payment Correction Case opened, if any.
        skipped: Why no correction was made although one was found, or ``""``.
        actor: Who asked.
        at: When.
    """

    case_id: str
    reassessment_id: str
    trigger: str
    outcome: str
    net: str
    correction_case_id: str | None
    skipped: str
    actor: str
    at: datetime


@attrs.frozen(slots=True)
class PaymentIssued:
    """A payment was issued (stored as a ledger line) on a product delivery case."""

    case_id: str
    payment_id: str
    payee: str
    amount: str
    currency: str
    status: str
    actor: str
    at: datetime


_TYPES: dict[str, str] = {
    "StatusChange": "casekit.case.status_changed",
    "EvidenceChanged": "casekit.case.evidence_changed",
    "OwnerChanged": "casekit.case.owner_changed",
    "PriorityChanged": "casekit.case.priority_changed",
    "TaskChanged": "casekit.case.task_changed",
    "SecurityChanged": "casekit.case.security_changed",
    "CaseOpened": "casekit.case.opened",
    "ReassessmentApplied": "casekit.financials.reassessed",
    "PaymentIssued": "casekit.financials.payment_issued",
}

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _plain(value: object) -> Any:  # noqa: PLR0911  one return per kind of value
    """``value`` as JSON-safe data (dates ISO 8601, enums by value, money as text)."""
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if attrs.has(type(value)):
        return {
            field.name: _plain(getattr(value, field.name)) for field in attrs.fields(type(value))
        }
    return str(value)


def cloud_event_parts(event: object) -> tuple[str, str | None, dict[str, Any]]:
    """The CloudEvents ``type``, ``subject`` and ``data`` of a domain event. O(size of event).

    Raises:
        TypeError: ``event`` is neither a routing event nor an attrs class.
    """
    if isinstance(event, RoutingEvent):
        kind = event.kind.value.replace(" ", "_")
        data = {
            "kind": event.kind.value,
            "item_id": event.item_id,
            "agent_id": event.agent_id,
            "at": event.at.isoformat(),
            "detail": event.detail,
        }
        return f"casekit.routing.{kind}", event.item_id or event.agent_id, data
    if not attrs.has(type(event)):
        raise TypeError(f"not a domain event: {event!r:.80}")
    name = type(event).__name__
    event_type = _TYPES.get(name) or f"casekit.case.{_CAMEL.sub('_', name).lower()}"
    data = _plain(event)
    subject = data.get("case_id")
    return event_type, subject if isinstance(subject, str) else None, data
