"""Money, periods, proration: the value rules everything else rests on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from casekit.errors import CurrencyMismatch, InvalidMoney, ValidationError
from casekit.financials import Period, merge_periods, month_of, prorate_minor
from casekit.financials.proration import divide_half_even, to_minor_rate
from casekit.money import Money, allocate


def test_money_refuses_a_float() -> None:
    with pytest.raises(InvalidMoney, match="float"):
        Money(0.1, "EUR")  # type: ignore[arg-type]


def test_money_refuses_arithmetic_across_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        Money("1.00", "EUR") + Money("1.00", "USD")


def test_money_from_minor_and_to_minor_round_trip() -> None:
    assert Money.from_minor(52258, "EUR") == Money("522.58", "EUR")
    assert Money("522.58", "EUR").to_minor() == 52258
    assert Money.from_minor(-7, "JPY") == Money("-7", "JPY")


def test_money_to_minor_refuses_fractions_of_a_cent() -> None:
    with pytest.raises(InvalidMoney, match="minor units"):
        Money("0.005", "EUR").to_minor()


def test_money_from_minor_refuses_a_float_or_a_bool() -> None:
    with pytest.raises(InvalidMoney):
        Money.from_minor(1.0, "EUR")  # type: ignore[arg-type]
    with pytest.raises(InvalidMoney):
        Money.from_minor(True, "EUR")


def test_money_from_minor_checks_the_currency() -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money.from_minor(1, "eur")


def test_allocation_parts_sum_to_the_whole_by_largest_remainder() -> None:
    parts = allocate(Money("100.00", "EUR"), [1, 1, 1])
    assert parts == [Money("33.34", "EUR"), Money("33.33", "EUR"), Money("33.33", "EUR")]


def test_period_is_inclusive_at_both_ends() -> None:
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert march.days == 31
    assert march.contains(date(2026, 3, 31))
    assert month_of(date(2026, 2, 14)) == Period(date(2026, 2, 1), date(2026, 2, 28))


def test_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError, match="ends before it starts"):
        Period(date(2026, 3, 2), date(2026, 3, 1))


def test_period_refuses_a_datetime() -> None:
    with pytest.raises(ValidationError, match="must be a date"):
        Period(datetime(2026, 3, 1, tzinfo=UTC), date(2026, 3, 2))  # type: ignore[arg-type]


def test_period_intersection_and_overlap() -> None:
    a = Period(date(2026, 1, 1), date(2026, 1, 31))
    b = Period(date(2026, 1, 31), date(2026, 2, 5))
    assert a.overlaps(b)
    assert a.intersection(b) == Period(date(2026, 1, 31), date(2026, 1, 31))
    assert a.intersection(Period(date(2026, 2, 1), date(2026, 2, 2))) is None


def test_merge_periods_joins_touching_and_overlapping_periods() -> None:
    merged = merge_periods(
        [
            Period(date(2026, 2, 1), date(2026, 2, 28)),
            Period(date(2026, 1, 1), date(2026, 1, 31)),
            Period(date(2026, 4, 1), date(2026, 4, 2)),
        ]
    )
    assert merged == (
        Period(date(2026, 1, 1), date(2026, 2, 28)),
        Period(date(2026, 4, 1), date(2026, 4, 2)),
    )


def test_proration_rounds_once_not_per_segment() -> None:
    # Per segment: 290.32 + 232.26 = 522.58 here, but 1/3 + 1/3 + 1/3 shows the difference:
    # 0.01 × 1/3 three times rounds to 0.00 each; once, the sum is 0.01.
    assert prorate_minor([(1, 1), (1, 1), (1, 1)], 3) == 1
    assert prorate_minor([(60000, 15), (45000, 16)], 31) == 52258


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 2), (7, 2, 4), (-5, 2, -2), (-7, 2, -4), (1, 3, 0), (2, 3, 1), (-2, 3, -1)],
)
def test_proration_rounds_half_even(numerator: int, denominator: int, expected: int) -> None:
    assert divide_half_even(numerator, denominator) == expected


def test_proration_of_fractional_cent_rates_is_exact() -> None:
    rate = to_minor_rate(Decimal("100.005"), 2)
    assert rate == Fraction(20001, 2)
    assert divide_half_even(Fraction(5, 2), 1) == 2
    assert divide_half_even(Fraction(7, 2), 1) == 4
    # 100.005 for the whole period: 10000.5 cents, half-even to 10000.
    assert prorate_minor([(rate, 30)], 30) == 10000


def test_proration_over_no_days_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        divide_half_even(1, 0)
