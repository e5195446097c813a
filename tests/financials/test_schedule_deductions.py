"""The payment schedule, deductions and payment simulation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from casekit.errors import ValidationError
from casekit.financials import (
    Deduction,
    DeductionPolicy,
    DeductionStatus,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    Nominees,
    Period,
    WhenInsufficient,
    apply_deductions,
    build_schedule,
    simulate,
)

from .conftest import EUR, d, eur

JAN_APR = Period(date(2026, 1, 1), date(2026, 4, 30))
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _basic(rate: str = "600.00") -> DeterminationSet:
    return DeterminationSet([d(date(2026, 1, 1), date(2026, 12, 31), basic=rate)], EUR)


def test_schedule_lines_carry_cover_period_component_nominee_and_due_date() -> None:
    lines = build_schedule(_basic(), DeliveryPattern.monthly(1), Nominees("c1"), JAN_APR)
    assert [(line.cover.start.month, line.component, line.nominee) for line in lines] == [
        (1, "basic", "c1"),
        (2, "basic", "c1"),
        (3, "basic", "c1"),
        (4, "basic", "c1"),
    ]
    assert lines[1].due_date == date(2026, 2, 1)
    assert {line.amount for line in lines} == {eur("600.00")}


def test_schedule_prorates_a_partial_first_month_by_day() -> None:
    ds = DeterminationSet([d(date(2026, 1, 10), date(2026, 12, 31), basic="310.00")], EUR)
    lines = build_schedule(ds, DeliveryPattern.monthly(1), Nominees("c1"), JAN_APR)
    assert lines[0].amount == eur("220.00")  # 310 × 22/31


def test_schedule_pays_only_certified_days() -> None:
    certified = (Period(date(2026, 2, 1), date(2026, 2, 14)),)
    lines = build_schedule(
        _basic("280.00"), DeliveryPattern.monthly(1), Nominees("c1"), JAN_APR, certified=certified
    )
    assert [(line.cover.start.month, line.amount) for line in lines] == [(2, eur("140.00"))]


def test_schedule_pays_each_cover_period_to_the_nominee_of_its_first_day() -> None:
    nominees = Nominees("c1")
    nominees.assign("basic", "landlord", date(2026, 3, 1), actor="w", at=AT)
    lines = build_schedule(_basic(), DeliveryPattern.monthly(1), nominees, JAN_APR)
    assert [line.nominee for line in lines] == ["c1", "c1", "landlord", "landlord"]


def test_schedule_weekly_rate_is_per_week() -> None:
    lines = build_schedule(
        DeterminationSet([d(date(2026, 3, 4), date(2026, 3, 31), basic="70.00")], EUR),
        DeliveryPattern.weekly(0),
        Nominees("c1"),
        Period(date(2026, 3, 2), date(2026, 3, 8)),
    )
    assert [line.amount for line in lines] == [eur("50.00")]  # Wed–Sun: 70 × 5/7


def _policy(**kw: object) -> DeductionPolicy:
    return DeductionPolicy(max_rate=Decimal("0.30"), **kw)  # type: ignore[arg-type]


def test_deductions_are_taken_in_priority_order() -> None:
    result = apply_deductions(
        eur("1000.00"),
        [
            Deduction.fixed("b", eur("50.00"), priority=2),
            Deduction.fixed("a", eur("20.00"), priority=1),
        ],
        _policy(),
    )
    assert [r.name for r in result.records] == ["a", "b"]
    assert result.net == eur("930.00")


def test_percentage_deduction_rounds_once_half_even() -> None:
    result = apply_deductions(eur("100.25"), [Deduction.percentage("p", "0.1")], _policy())
    assert result.records[0].taken == eur("10.02")  # 10.025 → 10.02


def test_deductions_never_exceed_the_maximum_rate_partial_mode() -> None:
    result = apply_deductions(
        eur("100.00"),
        [
            Deduction.fixed("a", eur("20.00"), priority=1),
            Deduction.fixed("b", eur("20.00"), priority=2),
        ],
        _policy(),
    )
    assert [(r.taken, r.status) for r in result.records] == [
        (eur("20.00"), DeductionStatus.APPLIED),
        (eur("10.00"), DeductionStatus.PARTIAL),
    ]
    assert result.deducted == eur("30.00")


def test_deduction_that_does_not_fit_is_skipped_in_skip_mode_and_recorded() -> None:
    result = apply_deductions(
        eur("100.00"),
        [
            Deduction.fixed("a", eur("20.00"), priority=1),
            Deduction.fixed("b", eur("20.00"), priority=2),
            Deduction.fixed("c", eur("5.00"), priority=3),
        ],
        _policy(when_insufficient=WhenInsufficient.SKIP),
    )
    assert [r.status for r in result.records] == [
        DeductionStatus.APPLIED,
        DeductionStatus.SKIPPED,
        DeductionStatus.APPLIED,
    ]
    assert "does not fit" in result.records[1].reason
    assert result.net == eur("75.00")


def test_minimum_payment_is_kept() -> None:
    result = apply_deductions(
        eur("100.00"),
        [Deduction.fixed("a", eur("25.00"))],
        _policy(minimum_payment=eur("90.00")),
    )
    assert result.net == eur("90.00")
    assert result.records[0].status is DeductionStatus.PARTIAL


def test_payment_below_the_minimum_skips_every_deduction() -> None:
    result = apply_deductions(
        eur("50.00"), [Deduction.fixed("a", eur("5.00"))], _policy(minimum_payment=eur("60.00"))
    )
    assert result.net == eur("50.00")
    assert result.records[0].status is DeductionStatus.SKIPPED


def test_recovery_deduction_stops_at_the_outstanding_balance() -> None:
    recovery = Deduction.fixed("recovery", eur("100.00"), outstanding=eur("42.50"))
    result = apply_deductions(eur("1000.00"), [recovery], _policy())
    assert result.records[0].taken == eur("42.50")


def test_deduction_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"0\.\.1"):
        Deduction.percentage("p", "25")
    with pytest.raises(ValidationError, match=r"0\.\.1"):
        DeductionPolicy(max_rate=Decimal("1.5"))


def test_simulation_shows_payments_and_deductions_due_on_a_date_without_issuing() -> None:
    entitlement = Entitlement(_basic())
    nominees = Nominees("c1")
    sim = simulate(
        date(2026, 3, 1),
        entitlement=entitlement,
        pattern=DeliveryPattern.monthly(1),
        nominees=nominees,
        deductions={"c1": [Deduction.fixed("arrears", eur("25.00"))]},
        policy=_policy(),
    )
    assert len(sim.payments) == 1
    payment = sim.payments[0]
    assert payment.cover == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert (payment.gross, payment.net) == (eur("600.00"), eur("575.00"))
    assert sim.total_net == eur("575.00")
    assert sim.to_records()[0]["deduction"] == "arrears"


def test_simulation_on_a_day_with_nothing_due_is_empty() -> None:
    sim = simulate(
        date(2026, 3, 2),
        entitlement=Entitlement(_basic()),
        pattern=DeliveryPattern.monthly(1),
        nominees=Nominees("c1"),
    )
    assert sim.payments == ()
    assert sim.total_gross == eur("0")
