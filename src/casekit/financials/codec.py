"""JSON-safe bodies for the storage ledger: determinations, payments, correction lines.

The storage layer's ``LedgerStore`` keeps each line as a JSON document and returns it
unchanged; these functions are the financials side of that contract. Money is written as
``{"amount": "12.30", "currency": "EUR"}`` (a string, never a float), dates as ISO-8601
``YYYY-MM-DD`` and times as ISO-8601 with an offset. Each ``*_from_body`` is the inverse of
its ``*_to_body``: ``x_from_body(x_to_body(x)) == x``.

Complexity: linear in the size of the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from casekit.cases.parts import StatusChange
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import CorruptRecord
from casekit.financials.deductions import DeductionRecord, DeductionStatus
from casekit.financials.delivery import DeliveryMethod
from casekit.financials.determinations import Decision, DeterminationSet
from casekit.financials.ledger import EntryKind, LedgerEntry
from casekit.financials.payments import Payment, PaymentStatus
from casekit.financials.periods import Period
from casekit.financials.schedule import InstructionLine
from casekit.money import Money

__all__ = [
    "determinations_from_body",
    "determinations_to_body",
    "entry_from_body",
    "entry_to_body",
    "money_from_json",
    "money_to_json",
    "payment_from_body",
    "payment_to_body",
]

Body = dict[str, object]


def _get(body: Mapping[str, object], key: str, kind: type[object] = str) -> object:
    value = body.get(key)
    if not isinstance(value, kind):
        raise CorruptRecord(f"ledger body field {key!r} should be a {kind.__name__}, got {value!r}")
    return value


def _str(body: Mapping[str, object], key: str) -> str:
    value = _get(body, key, str)
    assert isinstance(value, str)
    return value


def _optional_str(body: Mapping[str, object], key: str) -> str | None:
    value = body.get(key)
    return None if value is None else _str(body, key)


def _int(body: Mapping[str, object], key: str) -> int:
    value = body.get(key)
    if type(value) is not int:
        raise CorruptRecord(f"ledger body field {key!r} should be an int, got {value!r}")
    return value


def _list(body: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    value = _get(body, key, list)
    assert isinstance(value, list)
    for item in value:
        if not isinstance(item, Mapping):
            raise CorruptRecord(f"ledger body field {key!r} holds {item!r}, not an object")
    return value


def _map(body: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = body.get(key)
    if not isinstance(value, Mapping):
        raise CorruptRecord(f"ledger body field {key!r} should be an object, got {value!r}")
    return value


def money_to_json(money: Money) -> Body:
    """``{"amount": "12.30", "currency": "EUR"}``."""
    return {"amount": str(money.amount), "currency": money.currency}


def money_from_json(body: Mapping[str, object], *, unrounded: bool = False) -> Money:
    """The inverse of `money_to_json`.

    Args:
        body: ``{"amount": "12.30", "currency": "EUR"}``.
        unrounded: Accept an amount with fractions of the minor unit (a rate a rule set
            computed, see [`Money.unrounded`][]); otherwise it must be whole minor units.

    Raises:
        CorruptRecord: A missing field, an amount that is not a decimal string, an unknown
            currency, or (unless ``unrounded``) more decimals than the currency allows.
    """
    try:
        if unrounded:
            return Money.unrounded(_str(body, "amount"), _str(body, "currency"))
        return Money(_str(body, "amount"), _str(body, "currency"))
    except CorruptRecord:
        raise
    except ValueError as error:
        raise CorruptRecord(f"unreadable money {dict(body)!r}: {error}") from None


def _period_to_json(period: Period) -> Body:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def _period_from_json(body: Mapping[str, object]) -> Period:
    try:
        return Period(
            date.fromisoformat(_str(body, "start")), date.fromisoformat(_str(body, "end"))
        )
    except ValueError as error:
        raise CorruptRecord(f"unreadable period {dict(body)!r}: {error}") from None


def determinations_to_body(determinations: DeterminationSet) -> Body:
    """A determination set as a JSON-safe body."""
    return {
        "currency": determinations.currency,
        "decisions": [
            {
                "period": _period_to_json(d.period),
                "eligible": d.eligible,
                "rates": {name: money_to_json(rate) for name, rate in d.rates},
            }
            for d in determinations.decisions
        ],
    }


def determinations_from_body(body: Mapping[str, object]) -> DeterminationSet:
    """The inverse of [`determinations_to_body`][].

    Raises:
        CorruptRecord: A malformed body.
    """
    try:
        decisions = []
        for item in _list(body, "decisions"):
            rates = _map(item, "rates")
            decisions.append(
                Decision(
                    _period_from_json(_map(item, "period")),
                    bool(_get(item, "eligible", bool)),
                    {name: money_from_json(_map(rates, name), unrounded=True) for name in rates},
                )
            )
        return DeterminationSet(decisions, _str(body, "currency"))
    except CorruptRecord:
        raise
    except ValueError as error:
        raise CorruptRecord(f"unreadable determination set: {error}") from None


def _line_to_json(line: InstructionLine) -> Body:
    return {
        "cover": _period_to_json(line.cover),
        "due_date": line.due_date.isoformat(),
        "component": line.component,
        "nominee": line.nominee,
        "amount": money_to_json(line.amount),
    }


def _line_from_json(body: Mapping[str, object]) -> InstructionLine:
    return InstructionLine(
        _period_from_json(_map(body, "cover")),
        date.fromisoformat(_str(body, "due_date")),
        _str(body, "component"),
        _str(body, "nominee"),
        money_from_json(_map(body, "amount")),
    )


def payment_to_body(payment: Payment) -> Body:
    """A payment (fields, lines, deductions and status history) as a JSON-safe body."""
    return {
        "id": payment.id,
        "case_id": payment.case_id,
        "payee": payment.payee,
        "cover": _period_to_json(payment.cover),
        "amount": money_to_json(payment.amount),
        "due_date": payment.due_date.isoformat(),
        "method": payment.method.value,
        "status": payment.status.value,
        "lines": [_line_to_json(line) for line in payment.lines],
        "deductions": [
            {
                "name": r.name,
                "priority": r.priority,
                "requested": money_to_json(r.requested),
                "taken": money_to_json(r.taken),
                "status": r.status.value,
                "reason": r.reason,
            }
            for r in payment.deductions
        ],
        "history": [
            {
                "from": h.from_status,
                "to": h.to_status,
                "action": h.action,
                "actor": h.actor,
                "at": h.at.isoformat(),
                "reason": h.reason,
            }
            for h in payment.history
        ],
    }


def payment_from_body(body: Mapping[str, object], *, clock: Clock = SYSTEM_CLOCK) -> Payment:
    """The inverse of [`payment_to_body`][].

    Raises:
        CorruptRecord: A malformed body or an unknown status.
    """
    payment_id = _str(body, "id")
    try:
        history = [
            StatusChange(
                payment_id,
                _str(h, "from"),
                _str(h, "to"),
                _str(h, "action"),
                _str(h, "actor"),
                datetime.fromisoformat(_str(h, "at")),
                _optional_str(h, "reason"),
            )
            for h in _list(body, "history")
        ]
        deductions = [
            DeductionRecord(
                _str(r, "name"),
                _int(r, "priority"),
                money_from_json(_map(r, "requested")),
                money_from_json(_map(r, "taken")),
                DeductionStatus(_str(r, "status")),
                _str(r, "reason"),
            )
            for r in _list(body, "deductions")
        ]
        return Payment(
            id=payment_id,
            case_id=_str(body, "case_id"),
            payee=_str(body, "payee"),
            cover=_period_from_json(_map(body, "cover")),
            amount=money_from_json(_map(body, "amount")),
            due_date=date.fromisoformat(_str(body, "due_date")),
            method=DeliveryMethod(_str(body, "method")),
            lines=tuple(_line_from_json(line) for line in _list(body, "lines")),
            deductions=tuple(deductions),
            status=PaymentStatus(_str(body, "status")),
            clock=clock,
            history=history,
            updated_at=history[-1].at if history else None,
        )
    except CorruptRecord:
        raise
    except ValueError as error:
        raise CorruptRecord(f"unreadable payment {payment_id}: {error}") from None


def entry_to_body(entry: LedgerEntry) -> Body:
    """A ledger entry (a paid or a correction line) as a JSON-safe body."""
    return {
        "kind": entry.kind.value,
        "cover": _period_to_json(entry.cover),
        "component": entry.component,
        "nominee": entry.nominee,
        "amount": money_to_json(entry.amount),
        "reference": entry.reference,
    }


def entry_from_body(body: Mapping[str, object]) -> LedgerEntry:
    """The inverse of [`entry_to_body`][].

    Raises:
        CorruptRecord: A malformed body.
    """
    try:
        return LedgerEntry(
            EntryKind(_str(body, "kind")),
            _period_from_json(_map(body, "cover")),
            _str(body, "component"),
            _str(body, "nominee"),
            money_from_json(_map(body, "amount")),
            _str(body, "reference"),
        )
    except CorruptRecord:
        raise
    except ValueError as error:
        raise CorruptRecord(f"unreadable ledger entry {dict(body)!r}: {error}") from None
