"""The application's own events, and every domain event as a CloudEvents type and data.

Cases publish their events (`casekit.cases.events`, status changes), the router its
[`RoutingEvent`][casekit.routing.RoutingEvent]s; the application adds the facts no single
case records: a case opened, a reassessment applied, a payment issued, emergency access
granted or revoked (the case's supervisor is told through these: subscribe, or relay the
outbox).

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
| `RoutingEvent` | ``casekit.routing.<kind>`` (``offered`` ...) | item or agent id |
| [`ReassessmentApplied`][] | ``casekit.financials.reassessed`` | PDC id |
| [`PaymentIssued`][] | ``casekit.financials.payment_issued`` | PDC id |
| [`BreakGlassGranted`][] | ``casekit.access.break_glass_granted`` | case id |
| [`BreakGlassRevoked`][] | ``casekit.access.break_glass_revoked`` | case id |
| [`EscalationApplied`][] | ``casekit.routing.escalated`` | case (item) id |

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
    "BreakGlassGranted",
    "BreakGlassRevoked",
    "CaseOpened",
    "EscalationApplied",
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
        period_start: The first day of the reassessment period (from the earliest day the
            entitlement changed to the last cover period paid), or ``None`` when nothing
            paid was affected.
        period_end: Its last day, or ``None``.
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
    period_start: date | None = None
    period_end: date | None = None


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


@attrs.frozen(slots=True)
class BreakGlassGranted:
    """Someone broke the glass: time-boxed access to a case the policy keeps from them.

    Meant for the case's supervisor (a subscriber or the outbox's consumer tells them).

    Attributes:
        case_id: The case.
        principal: Who was granted access.
        reason: Why they asked.
        expires_at: When the access stops on its own.
        supervisor: The case's supervisor to tell, as an owner reference
            (``"User:sam"``), or ``None`` when the case has none (tell whoever covers).
        permissions: What the grant lets them do (``read``, ``reveal``).
        at: When it was granted.
    """

    case_id: str
    principal: str
    reason: str
    expires_at: datetime
    supervisor: str | None
    permissions: tuple[str, ...]
    at: datetime


@attrs.frozen(slots=True)
class BreakGlassRevoked:
    """A break-the-glass grant was ended before it expired.

    Attributes:
        case_id: The case.
        principal: Whose grant it was.
        actor: Who revoked it (the holder, or someone allowed to ``assign`` the case).
        reason: Why, if given.
        supervisor: The case's supervisor, as for [`BreakGlassGranted`][].
        at: When.
    """

    case_id: str
    principal: str
    actor: str
    reason: str | None
    supervisor: str | None
    at: datetime


@attrs.frozen(slots=True)
class EscalationApplied:
    """A rung of a routing domain's escalation ladder was applied to a waiting item.

    Meant for whoever the rung tells (``notify``: the supervisor) and for reports; the
    same facts are in the case's audit trail (``escalation_rung``).

    Attributes:
        domain: The routing domain.
        case_id: The item's id (the case's id when the application routes a case).
        stage: The item's stage, whose ladder it is.
        rung: Which rung, counting from 1.
        description: What the rung does, for people (`Rung.describe`).
        due: When it fell due.
        skills_before: The skills required before (name → level).
        skills_after: After.
        priority_before: The priority before (its name).
        priority_after: After.
        notify: The rung asks for someone to be told.
        at: When it was applied.
    """

    domain: str
    case_id: str
    stage: str | None
    rung: int
    description: str
    due: datetime
    skills_before: dict[str, int]
    skills_after: dict[str, int]
    priority_before: str
    priority_after: str
    notify: bool
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
    "BreakGlassGranted": "casekit.access.break_glass_granted",
    "BreakGlassRevoked": "casekit.access.break_glass_revoked",
    "EscalationApplied": "casekit.routing.escalated",
}

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _plain(value: object) -> Any:  # noqa: PLR0911  one return per kind of value
    """``value`` as JSON-safe data (dates ISO 8601, enums by value, money as text)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if isinstance(value, bool | int | str) and not isinstance(value, enum.Enum):
        return value
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
    names = _field_names(type(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    return str(value)


_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The attrs field names of ``kind`` (``None``: not an attrs class), cached. O(1)."""
    try:
        return _NAMES[kind]
    except KeyError:
        names = tuple(field.name for field in attrs.fields(kind)) if attrs.has(kind) else None
        _NAMES[kind] = names
        return names


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
    if _field_names(type(event)) is None:
        raise TypeError(f"not a domain event: {event!r:.80}")
    name = type(event).__name__
    event_type = _TYPES.get(name) or f"casekit.case.{_CAMEL.sub('_', name).lower()}"
    data = _plain(event)
    subject = data.get("case_id")
    return event_type, subject if isinstance(subject, str) else None, data
