"""Reassessment, the computation: period, netting, classification, roll-up, purity."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casekit.cases import CorrectionOutcome
from casekit.errors import CurrencyMismatch, ValidationError
from casekit.financials import (
    ALL_COMPONENTS,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    Ledger,
    Nominees,
    Period,
    ReassessmentRequest,
    ReassessmentTrigger,
    build_schedule,
    reassess,
    reassess_many,
)

from .conftest import EUR, WorkedExample, d, eur

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
MONTHLY = DeliveryPattern.monthly(1)


def _set(*decisions: object) -> DeterminationSet:
    return DeterminationSet(decisions, EUR)  # type: ignore[arg-type]


def _paid(ds: DeterminationSet, nominees: Nominees, window: Period = Q1) -> Ledger:
    ledger = Ledger(EUR)
    for line in build_schedule(ds, MONTHLY, nominees, window):
        ledger.record_paid(line, reference="P")
    return ledger


def test_reassessment_period_runs_from_the_first_change_to_the_last_paid_cover_day(
    worked: WorkedExample,
) -> None:
    result = reassess(
        "PDC-7",
        old=worked.paid_under,
        new=worked.step1,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    assert result.period == Period(date(2026, 3, 16), date(2026, 4, 30))
    # The whole March cover period is compared, January and February are not.
    assert {line.cover.start.month for line in result.lines} == {3, 4}


def test_no_change_when_the_determinations_are_equal(worked: WorkedExample) -> None:
    result = reassess(
        "PDC-7",
        old=worked.paid_under,
        new=worked.paid_under,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    assert result.outcome is CorrectionOutcome.NO_CHANGE
    assert result.period is None
    assert result.lines == ()
    assert result.rolled_up() is None


def test_manual_reassessment_against_what_was_paid_finds_no_change(
    worked: WorkedExample,
) -> None:
    result = reassess(
        "PDC-7",
        old=worked.paid_under,
        new=worked.paid_under,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
        since=date(2026, 1, 1),
        trigger=ReassessmentTrigger.MANUAL,
    )
    assert result.outcome is CorrectionOutcome.NO_CHANGE
    assert result.due == result.paid == eur("3200.00")


def test_change_after_the_last_paid_period_needs_no_correction(worked: WorkedExample) -> None:
    later = _set(
        d(date(2026, 1, 1), date(2026, 4, 30), basic="600.00", housing="200.00"),
        d(date(2026, 5, 1), date(2026, 5, 31), basic="1.00"),
    )
    result = reassess(
        "PDC-7",
        old=worked.paid_under,
        new=Entitlement(later),
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    assert result.outcome is CorrectionOutcome.NO_CHANGE


def test_net_zero_when_lines_differ_but_cancel() -> None:
    nominees = Nominees("c1")
    old = _set(d(date(2026, 1, 1), date(2026, 3, 31), a="100.00", b="100.00"))
    new = _set(d(date(2026, 1, 1), date(2026, 3, 31), a="150.00", b="50.00"))
    result = reassess(
        "PDC-1",
        old=Entitlement(old),
        new=Entitlement(new),
        ledger=_paid(old, nominees),
        pattern=MONTHLY,
        nominees=nominees,
    )
    assert result.outcome is CorrectionOutcome.NET_ZERO
    assert result.net == eur("0")
    assert {line.component: line.amount for line in result.by_component()} == {
        "a": eur("150.00"),
        "b": eur("-150.00"),
    }


def test_rolled_up_is_one_line_not_rolled_up_one_per_component(worked: WorkedExample) -> None:
    result = reassess(
        "PDC-7",
        old=worked.paid_under,
        new=worked.step1,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    rolled = result.summary_lines(rolled_up=True)
    assert len(rolled) == 1
    assert rolled[0].component == ALL_COMPONENTS
    assert rolled[0].nominee == "client-1"
    per_component = result.summary_lines(rolled_up=False)
    assert [line.component for line in per_component] == ["basic", "housing"]


def test_underpayment_when_the_rate_goes_up() -> None:
    nominees = Nominees("c1")
    old = _set(d(date(2026, 1, 1), date(2026, 3, 31), basic="300.00"))
    new = _set(
        d(date(2026, 1, 1), date(2026, 1, 31), basic="300.00"),
        d(date(2026, 2, 1), date(2026, 3, 31), basic="330.00"),
    )
    result = reassess(
        "PDC-1",
        old=Entitlement(old),
        new=Entitlement(new),
        ledger=_paid(old, nominees),
        pattern=MONTHLY,
        nominees=nominees,
    )
    assert result.outcome is CorrectionOutcome.UNDERPAYMENT
    assert result.net == eur("60.00")


def test_certification_change_is_a_change_from_its_first_day() -> None:
    nominees = Nominees("c1")
    ds = _set(d(date(2026, 1, 1), date(2026, 3, 31), basic="310.00"))
    old = Entitlement(ds, (Q1,))
    new = Entitlement(ds, (Period(date(2026, 1, 1), date(2026, 3, 15)),))
    assert old.first_difference(new) == date(2026, 3, 16)
    result = reassess(
        "PDC-1",
        old=old,
        new=new,
        ledger=_paid(ds, nominees),
        pattern=MONTHLY,
        nominees=nominees,
        trigger=ReassessmentTrigger.CERTIFICATION_CHANGE,
    )
    assert result.net == eur("-160.00")  # 310 × 16/31 no longer certified
    assert result.trigger is ReassessmentTrigger.CERTIFICATION_CHANGE


def test_a_nominee_change_moves_the_money_between_nominees() -> None:
    paid_to = Nominees("c1")
    ds = _set(d(date(2026, 1, 1), date(2026, 3, 31), basic="100.00"))
    ledger = _paid(ds, paid_to)
    now_to = Nominees("c1")
    now_to.assign(
        "basic", "landlord", date(2026, 3, 1), actor="w", at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    result = reassess(
        "PDC-1",
        old=Entitlement(ds),
        new=Entitlement(ds),
        ledger=ledger,
        pattern=MONTHLY,
        nominees=now_to,
        since=date(2026, 3, 1),
    )
    assert result.outcome is CorrectionOutcome.NET_ZERO
    assert {(line.nominee, line.amount) for line in result.by_component()} == {
        ("c1", eur("-100.00")),
        ("landlord", eur("100.00")),
    }
    assert result.rolled_up() is not None
    assert result.rolled_up().nominee == ALL_COMPONENTS  # type: ignore[union-attr]


def test_reassessment_is_pure_same_inputs_same_result_nothing_mutated(
    worked: WorkedExample,
) -> None:
    ledger = worked.paid_ledger()
    entries = list(ledger)
    args = {
        "old": worked.paid_under,
        "new": worked.step1,
        "ledger": ledger,
        "pattern": worked.pattern,
        "nominees": worked.nominees,
    }
    first = reassess("PDC-7", **args)  # type: ignore[arg-type]
    second = reassess("PDC-7", **args)  # type: ignore[arg-type]
    assert first == second
    assert list(ledger) == entries
    assert ledger.total_corrected() == eur("0")


def test_reassessment_refuses_mixed_currencies(worked: WorkedExample) -> None:
    with pytest.raises(CurrencyMismatch, match="USD"):
        reassess(
            "PDC-7",
            old=worked.paid_under,
            new=worked.step1,
            ledger=Ledger("USD"),
            pattern=worked.pattern,
            nominees=worked.nominees,
        )


def test_reassessment_records_and_html_for_notebooks(worked: WorkedExample) -> None:
    result = reassess(
        "PDC-7",
        old=worked.paid_under,
        new=worked.step1,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    records = result.to_records()
    assert len(records) == len(result.lines) == 4
    assert sum(r["correction"] for r in records) == result.net.amount  # type: ignore[misc]
    html = result._repr_html_()
    assert "Overpayment" in html
    assert "PDC-7" in html
    assert "<table>" in html


def test_cover_periods_paid_under_an_earlier_pattern_are_compared_once() -> None:
    nominees = Nominees("c1")
    old = _set(d(date(2026, 1, 1), date(2026, 6, 30), basic="300.00"))
    # Paid monthly on the 15th until 14 March, then the pattern moved to the 1st.
    ledger = Ledger(EUR)
    for line in build_schedule(
        old, DeliveryPattern.monthly(15), nominees, Period(date(2026, 1, 15), date(2026, 3, 14))
    ):
        ledger.record_paid(line, reference="P15")
    new = _set(
        d(date(2026, 1, 1), date(2026, 1, 31), basic="300.00"),
        d(date(2026, 2, 1), date(2026, 6, 30), basic="360.00"),
    )
    result = reassess(
        "PDC-1",
        old=Entitlement(old),
        new=Entitlement(new),
        ledger=ledger,
        pattern=MONTHLY,
        nominees=nominees,
    )
    covers = sorted({line.cover for line in result.lines})
    assert covers == [
        Period(date(2026, 1, 15), date(2026, 2, 14)),
        Period(date(2026, 2, 15), date(2026, 3, 14)),
    ]
    # 15 Jan–14 Feb: 300 × 17/31 + 360 × 14/31 = 164.516… + 162.580… = 327.10 due, 300 paid;
    # 15 Feb–14 Mar: 360 due, 300 paid.
    assert result.net == eur("87.10")


def test_entitlement_sorts_and_merges_certified_periods() -> None:
    ds = _set(d(date(2026, 1, 1), date(2026, 3, 31), basic="1.00"))
    feb = Period(date(2026, 2, 1), date(2026, 2, 28))
    jan = Period(date(2026, 1, 1), date(2026, 1, 31))
    entitlement = Entitlement(ds, [feb, jan])  # type: ignore[arg-type]
    assert entitlement.certified == (Period(date(2026, 1, 1), date(2026, 2, 28)),)
    assert entitlement == Entitlement(ds, (jan, feb))
    assert Entitlement(ds).certified is None


def test_since_and_until_must_be_dates(worked: WorkedExample) -> None:
    args = {
        "old": worked.paid_under,
        "new": worked.step1,
        "ledger": worked.paid_ledger(),
        "pattern": worked.pattern,
        "nominees": worked.nominees,
    }
    with pytest.raises(ValidationError, match="since must be a date"):
        reassess("PDC-7", since=datetime(2026, 1, 1, tzinfo=UTC), **args)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="until must be a date"):
        reassess("PDC-7", until="2026-04-30", **args)  # type: ignore[arg-type]


def test_a_reassessment_request_is_checked_as_reassess_checks_its_arguments(
    worked: WorkedExample,
) -> None:
    args = {
        "old": worked.paid_under,
        "new": worked.step1,
        "ledger": worked.paid_ledger(),
        "pattern": worked.pattern,
        "nominees": worked.nominees,
    }
    with pytest.raises(ValidationError, match="old entitlement of the reassessment of PDC-7"):
        ReassessmentRequest("PDC-7", **{**args, "old": worked.paid_under.determinations})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="trigger of the reassessment of PDC-7"):
        ReassessmentRequest("PDC-7", trigger="sometime", **args)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="since must be a date"):
        ReassessmentRequest("PDC-7", since="2026-03-01", **args)  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatch, match="USD"):
        ReassessmentRequest("PDC-7", **{**args, "ledger": Ledger("USD")})  # type: ignore[arg-type]
    request = ReassessmentRequest("PDC-7", trigger="Manual Request", **args)  # type: ignore[arg-type]
    assert request.trigger is ReassessmentTrigger.MANUAL


def test_reassess_many_gives_one_result_per_request_in_order(worked: WorkedExample) -> None:
    ledger = worked.paid_ledger()
    requests = [
        ReassessmentRequest(
            case_id,
            old=worked.paid_under,
            new=new,
            ledger=ledger,
            pattern=worked.pattern,
            nominees=worked.nominees,
        )
        for case_id, new in (("PDC-7", worked.step1), ("PDC-8", worked.paid_under))
    ]
    first, second = reassess_many(iter(requests))
    assert first == reassess(
        "PDC-7",
        old=worked.paid_under,
        new=worked.step1,
        ledger=ledger,
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    assert (second.case_id, second.outcome) == ("PDC-8", CorrectionOutcome.NO_CHANGE)
    assert reassess_many([]) == []


def test_reassess_many_refuses_anything_but_requests_before_running_any(
    worked: WorkedExample,
) -> None:
    request = ReassessmentRequest(
        "PDC-7",
        old=worked.paid_under,
        new=worked.step1,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    with pytest.raises(ValidationError, match="request 1 of reassess_many"):
        reassess_many([request, "PDC-8"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="iterable of ReassessmentRequests"):
        reassess_many(request)  # type: ignore[arg-type]
