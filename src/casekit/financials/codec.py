"""JSON-safe bodies of a case's financials, for storage to keep.

Determinations, entitlements, payments, ledger entries, nominees and delivery patterns.

The storage layer keeps each of these as a JSON document and returns it unchanged; these
functions are the financials side of that contract, free of any storage import. Money is
written as ``{"amount": "12.30", "currency": "EUR"}`` (a string, never a float), dates as
ISO-8601 ``YYYY-MM-DD`` and times as ISO-8601 with an offset. Each ``*_from_body`` is the
inverse of its ``*_to_body``: ``x_from_body(x_to_body(x)) == x``.

Reading is strict: a body that is not what the encoder writes — not an object, a field
missing or one the encoder never writes, a value of the wrong JSON type, a date, time or
amount not in the form the encoder writes it, values the domain refuses, or a body that
reads as a value but is not what the encoder writes for it (the value is encoded again and
compared) — raises [`CorruptRecord`][] naming the field
(``nominees body assignments[2] field 'at' ...``). So a body a reader accepts is exactly
the encoding of the value it returns.

Complexity: linear in the size of the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from casekit.cases.parts import StatusChange
from casekit.checks import check_instance
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import CorruptRecord
from casekit.financials._body import (
    LEDGER,
    check_as_written,
    fields,
    read_bool,
    read_date,
    read_enum,
    read_int,
    read_list,
    read_map,
    read_moment,
    read_optional_date,
    read_optional_int,
    read_optional_str,
    read_str,
    short,
)
from casekit.financials.deductions import DeductionRecord, DeductionStatus
from casekit.financials.delivery import DeliveryMethod, DeliveryPattern, Frequency, Timing
from casekit.financials.determinations import Decision, DeterminationSet
from casekit.financials.entitlement import Entitlement
from casekit.financials.ledger import EntryKind, LedgerEntry
from casekit.financials.nominees import Nominees
from casekit.financials.payments import Payment, PaymentStatus
from casekit.financials.periods import Period, merge_periods
from casekit.financials.schedule import InstructionLine
from casekit.money import Money

__all__ = [
    "determinations_from_body",
    "determinations_to_body",
    "entitlement_from_body",
    "entitlement_to_body",
    "entry_from_body",
    "entry_to_body",
    "money_from_json",
    "money_to_json",
    "nominees_from_body",
    "nominees_to_body",
    "pattern_from_body",
    "pattern_to_body",
    "payment_from_body",
    "payment_to_body",
]

Body = dict[str, object]


# ----- money and periods ----------------------------------------------------------------
def money_to_json(money: Money) -> Body:
    """``{"amount": "12.30", "currency": "EUR"}``."""
    return {"amount": str(money.amount), "currency": money.currency}


def _money(body: object, where: str, *, unrounded: bool = False) -> Money:
    body = fields(body, ("amount", "currency"), where)
    text, currency = read_str(body, "amount", where=where), read_str(body, "currency", where=where)
    try:
        if str(Decimal(text)) != text:
            raise CorruptRecord(
                f"{where} field 'amount' should be a decimal written as the encoder writes "
                f"it (such as '12.30'), got {short(text)}"
            )
        if unrounded:
            return Money.unrounded(text, currency)
        return Money(text, currency)
    except InvalidOperation:
        raise CorruptRecord(f"{where} field 'amount' is not a number: {short(text)}") from None
    except CorruptRecord:
        raise
    except ValueError as error:
        raise CorruptRecord(f"unreadable money {short(dict(body))} ({where}): {error}") from None


def _money_at(
    body: Mapping[str, object], key: str, *, where: str = LEDGER, unrounded: bool = False
) -> Money:
    return _money(body.get(key), f"{where} field {key!r}", unrounded=unrounded)


def money_from_json(body: Mapping[str, object], *, unrounded: bool = False) -> Money:
    """The inverse of `money_to_json`.

    Args:
        body: ``{"amount": "12.30", "currency": "EUR"}``.
        unrounded: Accept an amount with fractions of the minor unit (a rate a rule set
            computed, see [`Money.unrounded`][]); otherwise it must be whole minor units.

    Raises:
        CorruptRecord: Not an object, a missing or extra field, an amount that is not a
            decimal string as ``str(Decimal)`` writes it, an unknown currency, or (unless
            ``unrounded``) more decimals than the currency allows.
    """
    return _money(body, "money", unrounded=unrounded)


def _period_to_json(period: Period) -> Body:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def _period(body: object, where: str) -> Period:
    body = fields(body, ("start", "end"), where)
    start, end = read_date(body, "start", where=where), read_date(body, "end", where=where)
    try:
        return Period(start, end)
    except ValueError as error:
        raise CorruptRecord(f"unreadable period ({where}): {error}") from None


def _period_at(body: Mapping[str, object], key: str, *, where: str = LEDGER) -> Period:
    return _period(body.get(key), f"{where} field {key!r}")


# ----- determinations and entitlements --------------------------------------------------
_DETERMINATIONS = ("currency", "decisions")
_DECISION = ("period", "eligible", "rates")
_ENTITLEMENT = ("determinations", "certified")


def determinations_to_body(determinations: DeterminationSet) -> Body:
    """A determination set as a JSON-safe body.

    ``{"currency": "EUR", "decisions": [{"period": {"start": "2026-01-01", "end":
    "2026-03-15"}, "eligible": true, "rates": {"basic": {"amount": "600.00", "currency":
    "EUR"}}}, ...]}``, decisions in date order.

    Raises:
        ValidationError: Not a [`DeterminationSet`][].
    """
    check_instance(determinations, DeterminationSet, what="the determinations to encode")
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


def _determinations(body: object, where: str) -> DeterminationSet:
    body = fields(body, _DETERMINATIONS, where)
    currency = read_str(body, "currency", where=where)
    decisions = []
    for n, raw in enumerate(read_list(body, "decisions", where=where)):
        at = f"{where} decisions[{n}]"
        item = fields(raw, _DECISION, at)
        rates = read_map(item, "rates", where=at)
        amounts = {
            name: _money_at(rates, name, where=f"{at} rates", unrounded=True) for name in rates
        }
        try:
            decisions.append(
                Decision(
                    _period_at(item, "period", where=at),
                    read_bool(item, "eligible", where=at),
                    amounts,
                )
            )
        except CorruptRecord:
            raise
        except ValueError as error:
            raise CorruptRecord(f"unreadable decision ({at}): {error}") from None
    try:
        return DeterminationSet(decisions, currency)
    except ValueError as error:
        raise CorruptRecord(f"unreadable determination set ({where}): {error}") from None


def determinations_from_body(body: Mapping[str, object]) -> DeterminationSet:
    """The inverse of [`determinations_to_body`][].

    Raises:
        CorruptRecord: A malformed body (overlapping decisions, a rate in another
            currency, ...), the field named.
    """
    where = "determinations body"
    determinations = _determinations(body, where)
    check_as_written(determinations_to_body(determinations), body, where)
    return determinations


def entitlement_to_body(entitlement: Entitlement) -> Body:
    """An entitlement as a JSON-safe body.

    ``{"determinations": <determinations_to_body>, "certified": null}`` when the product
    needs no certification, else ``"certified": [{"start": ..., "end": ...}, ...]`` — the
    certified periods sorted and merged (``[]``: nothing certified).

    Raises:
        ValidationError: Not an [`Entitlement`][].
    """
    check_instance(entitlement, Entitlement, what="the entitlement to encode")
    certified = entitlement.certified
    return {
        "determinations": determinations_to_body(entitlement.determinations),
        "certified": None if certified is None else [_period_to_json(p) for p in certified],
    }


def entitlement_from_body(body: Mapping[str, object]) -> Entitlement:
    """The inverse of [`entitlement_to_body`][].

    Raises:
        CorruptRecord: A malformed body, the field named; certified periods that are not
            sorted and merged (the encoder writes them so).
    """
    where = "entitlement body"
    body = fields(body, _ENTITLEMENT, where)
    determinations = _determinations(body.get("determinations"), f"{where} field 'determinations'")
    periods = None
    if body.get("certified") is not None:
        periods = tuple(
            _period(item, f"{where} certified[{n}]")
            for n, item in enumerate(read_list(body, "certified", where=where))
        )
        if merge_periods(periods) != periods:
            raise CorruptRecord(
                f"{where} field 'certified' holds periods that are not sorted and merged "
                f"({', '.join(map(str, periods))}); the encoder writes them sorted and merged"
            )
    entitlement = Entitlement(determinations, periods)
    check_as_written(entitlement_to_body(entitlement), body, where)
    return entitlement


# ----- payments -------------------------------------------------------------------------
_PAYMENT = (
    "id",
    "case_id",
    "payee",
    "cover",
    "amount",
    "due_date",
    "method",
    "status",
    "lines",
    "deductions",
    "history",
)
_LINE = ("cover", "due_date", "component", "nominee", "amount")
_DEDUCTION = ("name", "priority", "requested", "taken", "status", "reason")
_CHANGE = ("from", "to", "action", "actor", "at", "reason")


def _line_to_json(line: InstructionLine) -> Body:
    return {
        "cover": _period_to_json(line.cover),
        "due_date": line.due_date.isoformat(),
        "component": line.component,
        "nominee": line.nominee,
        "amount": money_to_json(line.amount),
    }


def _line_from_json(body: object, where: str) -> InstructionLine:
    body = fields(body, _LINE, where)
    try:
        return InstructionLine(
            _period_at(body, "cover", where=where),
            read_date(body, "due_date", where=where),
            read_str(body, "component", where=where),
            read_str(body, "nominee", where=where),
            _money_at(body, "amount", where=where),
        )
    except CorruptRecord:
        raise
    except ValueError as error:
        raise CorruptRecord(f"unreadable instruction line ({where}): {error}") from None


def payment_to_body(payment: Payment) -> Body:
    """A payment (fields, lines, deductions and status history) as a JSON-safe body.

    Raises:
        ValidationError: Not a [`Payment`][].
    """
    check_instance(payment, Payment, what="the payment to encode")
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
        CorruptRecord: A malformed body or an unknown status, the field named.
    """
    body = fields(body, _PAYMENT, "payment body")
    payment_id = read_str(body, "id", where="payment body")
    where = f"body of payment {payment_id}"
    history = []
    for n, raw in enumerate(read_list(body, "history", where=where)):
        at = f"{where} history[{n}]"
        h = fields(raw, _CHANGE, at)
        history.append(
            StatusChange(
                payment_id,
                read_str(h, "from", where=at),
                read_str(h, "to", where=at),
                read_str(h, "action", where=at),
                read_str(h, "actor", where=at),
                read_moment(h, "at", where=at),
                read_optional_str(h, "reason", where=at),
            )
        )
    deductions = []
    for n, raw in enumerate(read_list(body, "deductions", where=where)):
        at = f"{where} deductions[{n}]"
        r = fields(raw, _DEDUCTION, at)
        try:
            deductions.append(
                DeductionRecord(
                    read_str(r, "name", where=at),
                    read_int(r, "priority", where=at),
                    _money_at(r, "requested", where=at),
                    _money_at(r, "taken", where=at),
                    read_enum(r, "status", DeductionStatus, where=at),
                    read_str(r, "reason", where=at),
                )
            )
        except CorruptRecord:
            raise
        except ValueError as error:
            raise CorruptRecord(f"unreadable deduction record ({at}): {error}") from None
    lines = tuple(
        _line_from_json(line, f"{where} lines[{n}]")
        for n, line in enumerate(read_list(body, "lines", where=where))
    )
    try:
        payment = Payment(
            id=payment_id,
            case_id=read_str(body, "case_id", where=where),
            payee=read_str(body, "payee", where=where),
            cover=_period_at(body, "cover", where=where),
            amount=_money_at(body, "amount", where=where),
            due_date=read_date(body, "due_date", where=where),
            method=read_enum(body, "method", DeliveryMethod, where=where),
            lines=lines,
            deductions=tuple(deductions),
            status=read_enum(body, "status", PaymentStatus, where=where),
            clock=clock,
            history=history,
            updated_at=history[-1].at if history else None,
        )
    except CorruptRecord:
        raise
    except ValueError as error:
        raise CorruptRecord(f"unreadable payment {payment_id}: {error}") from None
    check_as_written(payment_to_body(payment), body, where)
    return payment


# ----- ledger entries -------------------------------------------------------------------
_ENTRY = ("kind", "cover", "component", "nominee", "amount", "reference")


def entry_to_body(entry: LedgerEntry) -> Body:
    """A ledger entry (a paid or a correction line) as a JSON-safe body.

    ``{"kind": "Paid" | "Correction", "cover": {"start": ..., "end": ...}, "component":
    "basic", "nominee": "client-1", "amount": {"amount": "-227.42", "currency": "EUR"},
    "reference": "PDC-7/R1"}``.

    Raises:
        ValidationError: Not a [`LedgerEntry`][].
    """
    check_instance(entry, LedgerEntry, what="the ledger entry to encode")
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
        CorruptRecord: A malformed body, the field named.
    """
    where = "ledger entry body"
    body = fields(body, _ENTRY, where)
    try:
        entry = LedgerEntry(
            read_enum(body, "kind", EntryKind, where=where),
            _period_at(body, "cover", where=where),
            read_str(body, "component", where=where),
            read_str(body, "nominee", where=where),
            _money_at(body, "amount", where=where),
            read_str(body, "reference", where=where),
        )
    except CorruptRecord:
        raise
    except ValueError as error:
        raise CorruptRecord(f"unreadable ledger entry ({where}): {error}") from None
    check_as_written(entry_to_body(entry), body, where)
    return entry


# ----- nominees -------------------------------------------------------------------------
_NOMINEES = ("primary_client", "assignments")
_ASSIGNMENT = ("component", "nominee", "effective_from", "assigned_by", "at")


def nominees_to_body(nominees: Nominees) -> Body:
    """Nominees, with every component's whole assignment history, as a JSON-safe body.

    ``{"primary_client": "client-1", "assignments": [{"component": "housing", "nominee":
    "landlord-1", "effective_from": "2026-02-01", "assigned_by": "worker", "at":
    "2026-05-04T09:00:00+00:00"}, ...]}``: by component (sorted), each component's
    assignments oldest first — retroactive ones included, as they were recorded.

    Raises:
        ValidationError: Not [`Nominees`][].
    """
    check_instance(nominees, Nominees, what="the nominees to encode")
    return {
        "primary_client": nominees.primary_client,
        "assignments": [
            {
                "component": a.component,
                "nominee": a.nominee,
                "effective_from": a.effective_from.isoformat(),
                "assigned_by": a.assigned_by,
                "at": a.at.isoformat(),
            }
            for component in sorted(nominees.first_assignments())
            for a in nominees.history(component)
        ],
    }


def nominees_from_body(body: Mapping[str, object]) -> Nominees:
    """The inverse of [`nominees_to_body`][]: the assignments are made again, in order.

    Raises:
        CorruptRecord: A malformed body, the field named; an assignment that
            [`Nominees.assign`][] refuses (e.g. a component's assignments not in date
            order).
    """
    where = "nominees body"
    body = fields(body, _NOMINEES, where)
    try:
        nominees = Nominees(read_str(body, "primary_client", where=where))
    except ValueError as error:
        raise CorruptRecord(f"{where} field 'primary_client': {error}") from None
    for n, raw in enumerate(read_list(body, "assignments", where=where)):
        at = f"{where} assignments[{n}]"
        item = fields(raw, _ASSIGNMENT, at)
        try:
            nominees.assign(
                read_str(item, "component", where=at),
                read_str(item, "nominee", where=at),
                read_date(item, "effective_from", where=at),
                actor=read_str(item, "assigned_by", where=at),
                at=read_moment(item, "at", where=at),
            )
        except CorruptRecord:
            raise
        except ValueError as error:
            raise CorruptRecord(f"{at}: {error}") from None
    check_as_written(nominees_to_body(nominees), body, where)
    return nominees


# ----- delivery patterns ----------------------------------------------------------------
_PATTERN = ("method", "frequency", "timing", "weekday", "day_of_month", "anchor")


def pattern_to_body(pattern: DeliveryPattern) -> Body:
    """A delivery pattern as a JSON-safe body, every field written (null when unset).

    ``{"method": "EFT", "frequency": "Monthly", "timing": "In Advance", "weekday": null,
    "day_of_month": 1, "anchor": null}``; a fortnightly pattern has ``"weekday": 0..6`` and
    ``"anchor": "2026-03-02"``.

    Raises:
        ValidationError: Not a [`DeliveryPattern`][].
    """
    check_instance(pattern, DeliveryPattern, what="the delivery pattern to encode")
    return {
        "method": pattern.method.value,
        "frequency": pattern.frequency.value,
        "timing": pattern.timing.value,
        "weekday": None if pattern.weekday is None else int(pattern.weekday),
        "day_of_month": None if pattern.day_of_month is None else int(pattern.day_of_month),
        "anchor": None if pattern.anchor is None else pattern.anchor.isoformat(),
    }


def pattern_from_body(body: Mapping[str, object]) -> DeliveryPattern:
    """The inverse of [`pattern_to_body`][].

    Raises:
        CorruptRecord: A malformed body, the field named, or fields that make no delivery
            pattern (a monthly pattern without its day, a fortnightly one whose anchor is
            not on its weekday, ...).
    """
    where = "delivery pattern body"
    body = fields(body, _PATTERN, where)
    parts = (
        read_enum(body, "method", DeliveryMethod, where=where),
        read_enum(body, "frequency", Frequency, where=where),
        read_enum(body, "timing", Timing, where=where),
        read_optional_int(body, "weekday", where=where),
        read_optional_int(body, "day_of_month", where=where),
        read_optional_date(body, "anchor", where=where),
    )
    try:
        pattern = DeliveryPattern(*parts)
    except ValueError as error:
        raise CorruptRecord(f"unreadable delivery pattern ({where}): {error}") from None
    check_as_written(pattern_to_body(pattern), body, where)
    return pattern
