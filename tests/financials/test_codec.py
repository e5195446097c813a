"""The storage ledger's bodies: JSON-safe, and read back to the same values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from casekit.clock import ManualClock
from casekit.errors import CorruptRecord
from casekit.financials import (
    Decision,
    Deduction,
    DeductionPolicy,
    DeterminationSet,
    Payment,
    Period,
    apply_deductions,
    determinations_from_body,
    determinations_to_body,
    entry_from_body,
    entry_to_body,
    payment_from_body,
    payment_to_body,
)
from casekit.financials.codec import money_from_json
from casekit.money import Money

from .conftest import WorkedExample, eur


def _roundtrip(body: object) -> dict[str, object]:
    loaded = json.loads(json.dumps(body))  # proves it is JSON-safe
    assert isinstance(loaded, dict)
    return loaded


def test_determinations_round_trip_through_json(worked: WorkedExample) -> None:
    ds = worked.step1.determinations
    assert determinations_from_body(_roundtrip(determinations_to_body(ds))) == ds


def test_money_is_written_as_a_string_never_a_float(worked: WorkedExample) -> None:
    body = determinations_to_body(worked.step1.determinations)
    decisions = body["decisions"]
    assert isinstance(decisions, list)
    assert decisions[0]["rates"]["basic"] == {"amount": "600.00", "currency": "EUR"}


def test_ledger_entries_round_trip_through_json(worked: WorkedExample) -> None:
    for entry in worked.paid_ledger():
        assert entry_from_body(_roundtrip(entry_to_body(entry))) == entry


def test_payment_round_trips_with_status_history_and_deductions(worked: WorkedExample) -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    ledger = worked.paid_ledger()
    line = next(iter(ledger))
    result = apply_deductions(
        eur("600.00"), [Deduction.fixed("arrears", eur("20.00"))], DeductionPolicy(max_rate=1)
    )
    payment = Payment.create(
        case_id="PDC-7",
        payee="client-1",
        cover=line.cover,
        amount=result.net,
        due_date=date(2026, 1, 1),
        deductions=result.records,
        clock=clock,
        id="PAY-9",
    )
    payment.verify(actor="w")
    payment.submit(actor="payments")
    back = payment_from_body(_roundtrip(payment_to_body(payment)), clock=clock)
    assert (back.id, back.status, back.amount, back.payee, back.cover) == (
        payment.id,
        payment.status,
        payment.amount,
        payment.payee,
        payment.cover,
    )
    assert back.history == payment.history
    assert back.deductions == payment.deductions
    assert back.locked


def test_corrupt_bodies_raise_corrupt_record() -> None:
    with pytest.raises(CorruptRecord, match="amount"):
        money_from_json({"amount": 1.5, "currency": "EUR"})
    with pytest.raises(CorruptRecord):
        money_from_json({"amount": "x", "currency": "EUR"})
    with pytest.raises(CorruptRecord, match="decisions"):
        determinations_from_body({"currency": "EUR", "decisions": "nope"})


def test_determinations_with_a_fraction_of_a_cent_rate_round_trip() -> None:
    """Money checks minor units at the door, yet a computed rate (unrounded) stays readable."""
    rates = DeterminationSet(
        [
            Decision(
                Period(date(2026, 1, 1), date(2026, 1, 31)),
                True,
                {"basic": Money.unrounded("100.005", "EUR")},
            )
        ],
        "EUR",
    )
    assert determinations_from_body(_roundtrip(determinations_to_body(rates))) == rates


def test_stored_money_in_an_unknown_currency_or_with_too_many_decimals_is_corrupt() -> None:
    with pytest.raises(CorruptRecord, match="ISO 4217"):
        money_from_json({"amount": "1.00", "currency": "XYZ"})
    with pytest.raises(CorruptRecord, match="more decimals"):
        money_from_json({"amount": "1.5", "currency": "JPY"})
    with pytest.raises(CorruptRecord, match="ISO 4217"):
        determinations_from_body({"currency": "XYZ", "decisions": []})
