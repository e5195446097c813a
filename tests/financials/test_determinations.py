"""Determinations, rule sets, certifications, nominees and delivery patterns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import pytest

from casekit.cases import EvidenceLog, Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.errors import CurrencyMismatch, ValidationError
from casekit.financials import (
    Decision,
    DeliveryPattern,
    DeterminationSet,
    Nominees,
    Period,
    Timing,
    certified_periods,
    determine,
    evidence_segments,
)
from casekit.money import Money

from .conftest import EUR, d, eur

AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_determination_set_refuses_overlapping_decisions() -> None:
    with pytest.raises(ValidationError, match="overlap"):
        DeterminationSet(
            [
                d(date(2026, 1, 1), date(2026, 1, 31), basic="1.00"),
                d(date(2026, 1, 31), date(2026, 2, 28), basic="1.00"),
            ],
            EUR,
        )


def test_determination_set_refuses_another_currency() -> None:
    with pytest.raises(CurrencyMismatch, match="USD"):
        DeterminationSet(
            [
                Decision(
                    Period(date(2026, 1, 1), date(2026, 1, 31)),
                    True,
                    {"basic": Money("1.00", "USD")},
                )
            ],
            EUR,
        )


def test_decision_refuses_a_negative_rate() -> None:
    with pytest.raises(ValidationError, match="negative"):
        d(date(2026, 1, 1), date(2026, 1, 31), basic="-1.00")


def test_decisions_are_sorted_and_rates_looked_up_by_day() -> None:
    later = d(date(2026, 2, 1), date(2026, 2, 28), basic="2.00")
    earlier = d(date(2026, 1, 1), date(2026, 1, 31), basic="1.00")
    ds = DeterminationSet([later, earlier], EUR)
    assert ds.decisions == (earlier, later)
    assert ds.rate_on("basic", date(2026, 2, 3)) == eur("2.00")
    assert ds.rate_on("basic", date(2026, 3, 3)) == eur("0")


def test_ineligible_decision_pays_nothing() -> None:
    ds = DeterminationSet(
        [Decision(Period(date(2026, 1, 1), date(2026, 1, 31)), False, {"basic": eur("9.00")})],
        EUR,
    )
    assert ds.rate_on("basic", date(2026, 1, 5)).is_zero


def test_first_difference_finds_the_earliest_changed_day() -> None:
    old = DeterminationSet([d(date(2026, 1, 1), date(2026, 12, 31), basic="600.00")], EUR)
    new = DeterminationSet(
        [
            d(date(2026, 1, 1), date(2026, 3, 15), basic="600.00"),
            d(date(2026, 3, 16), date(2026, 12, 31), basic="450.00"),
        ],
        EUR,
    )
    assert old.first_difference(new) == date(2026, 3, 16)
    assert new.first_difference(old) == date(2026, 3, 16)


def test_first_difference_ignores_how_equal_rates_are_split() -> None:
    whole = DeterminationSet([d(date(2026, 1, 1), date(2026, 2, 28), basic="5.00")], EUR)
    split = DeterminationSet(
        [
            d(date(2026, 1, 1), date(2026, 1, 31), basic="5.00"),
            d(date(2026, 2, 1), date(2026, 2, 28), basic="5.00"),
        ],
        EUR,
    )
    assert whole.first_difference(split) is None


def test_first_difference_when_a_component_stops_early() -> None:
    old = DeterminationSet([d(date(2026, 1, 1), date(2026, 4, 30), housing="200.00")], EUR)
    new = DeterminationSet([d(date(2026, 1, 1), date(2026, 3, 31), housing="200.00")], EUR)
    assert old.first_difference(new) == date(2026, 4, 1)


def _rule_set(evidence: EvidenceLog, span: Period) -> Iterable[Decision]:
    """Basic is the 'rate' attribute of the income evidence in force; none: not eligible."""
    for segment in evidence_segments(evidence.current("income"), span):
        records = evidence.in_force("income", on=segment.start)
        if not records:
            yield Decision(segment, False, {})
            continue
        rate = records[0].attributes["rate"]
        assert isinstance(rate, str)
        yield Decision(segment, True, {"basic": Money(rate, EUR)})


def test_rule_set_turns_effective_dated_evidence_into_determinations() -> None:
    case = ProductDeliveryCase.create(
        product="Basic", primary_client="c1", owner=Owner.user("w"), clock=ManualClock(AT)
    )
    first = case.add_evidence("income", {"rate": "600.00"}, date(2026, 1, 1), actor="w")
    case.end_evidence(first.evidence_id, date(2026, 3, 15), actor="w")
    case.add_evidence("income", {"rate": "450.00"}, date(2026, 3, 16), actor="w")
    ds = determine(
        _rule_set, case.evidence, Period(date(2026, 1, 1), date(2026, 4, 30)), currency=EUR
    )
    assert [(x.period.start, x.rate("basic")) for x in ds.decisions] == [
        (date(2026, 1, 1), eur("600.00")),
        (date(2026, 3, 16), eur("450.00")),
    ]


def test_determine_refuses_decisions_outside_the_span() -> None:
    def sloppy(evidence: EvidenceLog, span: Period) -> list[Decision]:
        return [d(span.start, date(2030, 1, 1), basic="1.00")]

    with pytest.raises(ValidationError, match="outside the span"):
        determine(sloppy, EvidenceLog(), Period(date(2026, 1, 1), date(2026, 1, 31)), currency=EUR)


def test_certified_periods_of_a_case_that_needs_none_is_none() -> None:
    case = ProductDeliveryCase.create(
        product="Basic", primary_client="c1", owner=Owner.user("w"), clock=ManualClock(AT)
    )
    assert certified_periods(case) is None


def test_certified_periods_are_merged() -> None:
    case = ProductDeliveryCase.create(
        product="Basic",
        primary_client="c1",
        owner=Owner.user("w"),
        clock=ManualClock(AT),
        requires_certification=True,
    )
    case.certify(date(2026, 2, 1), date(2026, 2, 28), actor="w")
    case.certify(date(2026, 1, 1), date(2026, 1, 31), actor="w")
    assert certified_periods(case) == (Period(date(2026, 1, 1), date(2026, 2, 28)),)


def test_nominee_defaults_to_the_primary_client() -> None:
    assert Nominees("client-1").nominee_on("basic", date(2026, 1, 1)) == "client-1"


def test_nominee_assignments_keep_history_with_no_gaps() -> None:
    nominees = Nominees("client-1")
    nominees.assign("basic", "employer-9", date(2026, 3, 1), actor="w", at=AT)
    nominees.assign("basic", "client-1", date(2026, 6, 1), actor="w", at=AT)
    assert nominees.nominee_on("basic", date(2026, 2, 28)) == "client-1"
    assert nominees.nominee_on("basic", date(2026, 3, 1)) == "employer-9"
    assert nominees.nominee_on("basic", date(2026, 5, 31)) == "employer-9"
    assert nominees.nominee_on("basic", date(2026, 6, 1)) == "client-1"
    assert nominees.nominee_on("housing", date(2026, 4, 1)) == "client-1"
    assert [a.nominee for a in nominees.history("basic")] == ["employer-9", "client-1"]


def test_nominee_assignment_cannot_rewrite_history() -> None:
    nominees = Nominees("client-1")
    nominees.assign("basic", "employer-9", date(2026, 3, 1), actor="w", at=AT)
    with pytest.raises(ValidationError, match="later date"):
        nominees.assign("basic", "other", date(2026, 2, 1), actor="w", at=AT)
    assert len(nominees.history("basic")) == 1


def test_monthly_pattern_on_day_one_gives_calendar_months() -> None:
    pattern = DeliveryPattern.monthly(1)
    covers = pattern.cover_periods(Period(date(2026, 1, 15), date(2026, 3, 1)))
    assert covers == [
        Period(date(2026, 1, 1), date(2026, 1, 31)),
        Period(date(2026, 2, 1), date(2026, 2, 28)),
        Period(date(2026, 3, 1), date(2026, 3, 31)),
    ]


def test_monthly_pattern_on_day_15_runs_15th_to_14th() -> None:
    covers = DeliveryPattern.monthly(15).cover_periods(Period(date(2026, 1, 2), date(2026, 1, 20)))
    assert covers == [
        Period(date(2025, 12, 15), date(2026, 1, 14)),
        Period(date(2026, 1, 15), date(2026, 2, 14)),
    ]


def test_monthly_pattern_refuses_a_day_not_in_every_month() -> None:
    with pytest.raises(ValidationError, match=r"1\.\.28"):
        DeliveryPattern.monthly(31)


def test_weekly_pattern_on_a_weekday() -> None:
    pattern = DeliveryPattern.weekly(0)  # Mondays
    covers = pattern.cover_periods(Period(date(2026, 3, 4), date(2026, 3, 10)))
    assert covers == [
        Period(date(2026, 3, 2), date(2026, 3, 8)),
        Period(date(2026, 3, 9), date(2026, 3, 15)),
    ]


def test_fortnightly_pattern_follows_its_anchor() -> None:
    pattern = DeliveryPattern.fortnightly(date(2026, 3, 2))
    covers = pattern.cover_periods(Period(date(2026, 3, 20), date(2026, 3, 20)))
    assert covers == [Period(date(2026, 3, 16), date(2026, 3, 29))]


def test_in_advance_is_due_on_the_first_day_in_arrears_after_the_last() -> None:
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert DeliveryPattern.monthly(1).due_date(march) == date(2026, 3, 1)
    arrears = DeliveryPattern.monthly(1, timing=Timing.IN_ARREARS)
    assert arrears.due_date(march) == date(2026, 4, 1)
    assert arrears.covers_due_on(date(2026, 4, 1)) == [march]
    assert arrears.covers_due_on(date(2026, 4, 2)) == []
