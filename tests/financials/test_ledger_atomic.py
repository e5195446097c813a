"""The ledger's batches are all or nothing: a refused batch records nothing.

Rule ("validate at the door"): every line of a batch is checked before the first one is
recorded, so a refused call leaves totals, entries and index exactly as they were.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from casekit.errors import CasekitError, CurrencyMismatch, InvalidMoney, ValidationError
from casekit.financials import InstructionLine, Ledger, LineKey, Period
from casekit.money import Money

from .conftest import WorkedExample, eur

OK_KEY: LineKey = (date(2026, 3, 1), date(2026, 3, 31), "basic", "client-1")
APR: LineKey = (date(2026, 4, 1), date(2026, 4, 30), "basic", "client-1")


def _snapshot(ledger: Ledger) -> tuple[object, ...]:
    return (
        ledger.total_paid(),
        ledger.total_corrected(),
        list(ledger),
        ledger.latest_cover_end,
        ledger.earliest_cover_start,
        ledger.keys_meeting(Period(date(2000, 1, 1), date(2100, 1, 1))),
    )


def test_half_changed_ledger_reversed_period_in_a_batch_records_nothing(
    worked: WorkedExample,
) -> None:
    """Reproduction 1: a reversed cover period in the second line used to leave −1.00 behind."""
    ledger = worked.paid_ledger()
    before = _snapshot(ledger)
    reversed_key = (date(2026, 3, 31), date(2026, 3, 1), "basic", "client-1")
    with pytest.raises(ValidationError, match="ends before it starts"):
        ledger.record_corrections(
            [(OK_KEY, eur("-1.00")), (reversed_key, eur("-1.00"))],  # type: ignore[list-item]
            reference="R1",
        )
    assert _snapshot(ledger) == before
    assert ledger.total_corrected() == eur("0.00")


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ((APR, Money("-1", "USD")), CurrencyMismatch),
        ((APR, Decimal("-1.00")), ValidationError),
        ((APR, Money.unrounded("0.001", "EUR")), InvalidMoney),
        (((date(2026, 4, 1), date(2026, 4, 30), "basic", " "), eur("-1.00")), ValidationError),
        (((date(2026, 4, 1), date(2026, 4, 30), "basic", "*"), eur("-1.00")), ValidationError),
        (((date(2026, 4, 1), date(2026, 4, 30), None, "client-1"), eur("-1.00")), ValidationError),
        ((("2026-04-01", date(2026, 4, 30), "basic", "client-1"), eur("-1.00")), ValidationError),
        (((date(2026, 4, 1), date(2026, 4, 30), "basic"), eur("-1.00")), ValidationError),
        (None, ValidationError),
        ("line", ValidationError),
    ],
)
def test_record_corrections_checks_every_line_before_recording_any(
    worked: WorkedExample, bad: object, error: type[CasekitError]
) -> None:
    """All or nothing: a bad last line leaves the good first line unrecorded."""
    ledger = worked.paid_ledger()
    before = _snapshot(ledger)
    with pytest.raises(error):
        ledger.record_corrections([(OK_KEY, eur("-1.00")), bad], reference="R1")  # type: ignore[list-item]
    assert _snapshot(ledger) == before


@pytest.mark.parametrize("lines", [None, 5, "lines"])
def test_record_corrections_refuses_a_non_iterable_batch(lines: object) -> None:
    ledger = Ledger("EUR")
    with pytest.raises(ValidationError, match="correction lines"):
        ledger.record_corrections(lines, reference="R1")  # type: ignore[arg-type]
    assert len(ledger) == 0


@pytest.mark.parametrize("reference", [None, "", "  ", 7])
def test_ledger_refuses_a_blank_reference_and_records_nothing(
    worked: WorkedExample, reference: object
) -> None:
    ledger = worked.paid_ledger()
    before = _snapshot(ledger)
    with pytest.raises(ValidationError, match="reference"):
        ledger.record_corrections([(OK_KEY, eur("-1.00"))], reference=reference)  # type: ignore[arg-type]
    line = InstructionLine(
        Period(date(2026, 5, 1), date(2026, 5, 31)), date(2026, 5, 1), "basic", "c", eur("1.00")
    )
    with pytest.raises(ValidationError, match="reference"):
        ledger.record_paid(line, reference=reference)  # type: ignore[arg-type]
    assert _snapshot(ledger) == before


def test_record_paid_refuses_another_kind_of_object(worked: WorkedExample) -> None:
    """Wrong object kind: a clean ValidationError naming InstructionLine, not AttributeError."""
    ledger = worked.paid_ledger()
    before = _snapshot(ledger)
    with pytest.raises(ValidationError, match="InstructionLine"):
        ledger.record_paid(eur("1.00"), reference="PAY-9")  # type: ignore[arg-type]
    assert _snapshot(ledger) == before


def test_record_paid_lines_is_all_or_nothing(worked: WorkedExample) -> None:
    ledger = worked.paid_ledger()
    before = _snapshot(ledger)
    may = Period(date(2026, 5, 1), date(2026, 5, 31))
    good = InstructionLine(may, may.start, "basic", "client-1", eur("600.00"))
    dollars = InstructionLine(may, may.start, "housing", "client-1", Money("200.00", "USD"))
    with pytest.raises(CurrencyMismatch):
        ledger.record_paid_lines([good, dollars], reference="PAY-5")
    assert _snapshot(ledger) == before
    ledger.record_paid_lines([good], reference="PAY-5")
    assert ledger.total_paid() == eur("3800.00")


def test_ledger_refuses_an_unknown_currency() -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Ledger("XYZ")
