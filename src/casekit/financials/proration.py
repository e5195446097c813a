"""Proration by day, exactly: the one rounding rule every amount in the schedule follows.

A cover period's amount for a component is the rate in force on each day × days ÷ days in
the cover period, summed exactly and rounded **once**, half-even, to the currency's minor
unit (domain.md §3). Rates are held in minor units (an ``int`` when the rate is a whole
number of cents, a `Fraction` otherwise), so the sum is exact and the only
rounding is the final division.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from casekit.errors import ValidationError

__all__ = ["MinorRate", "divide_half_even", "prorate_minor", "to_minor_rate"]

MinorRate = int | Fraction
"""A rate in minor units: exact, an ``int`` in the common case."""

_HALF = Fraction(1, 2)


def to_minor_rate(amount: Decimal, decimals: int) -> MinorRate:
    """Express ``amount`` in minor units (``decimals`` of them), exactly. O(1).

    Example:
        >>> to_minor_rate(Decimal("600.00"), 2), to_minor_rate(Decimal("0.005"), 2)
        (60000, Fraction(1, 2))
    """
    scaled = amount.scaleb(decimals)
    if scaled == scaled.to_integral_value():
        return int(scaled)
    scale: int = 10**decimals
    return Fraction(amount) * scale


def divide_half_even(numerator: MinorRate, denominator: int) -> int:
    """Return ``numerator / denominator`` rounded half-even to an integer, exactly. O(1).

    Args:
        numerator: An exact amount (minor units × days).
        denominator: A positive number of days.

    Raises:
        ValidationError: If ``denominator`` is not positive.
    """
    if denominator <= 0:
        raise ValidationError(f"cannot prorate over {denominator} days; need at least one")
    if isinstance(numerator, int):
        quotient, remainder = divmod(numerator, denominator)
        twice = 2 * remainder
        if twice > denominator:
            return quotient + 1
        if twice == denominator:
            return quotient + (quotient & 1)
        return quotient
    exact = Fraction(numerator) / denominator
    quotient = math.floor(exact)
    rest = exact - quotient
    if rest > _HALF:
        return quotient + 1
    if rest == _HALF:
        return quotient + (quotient & 1)
    return quotient


def prorate_minor(pieces: Iterable[tuple[MinorRate, int]], days_in_cover: int) -> int:
    """The cover period's amount in minor units: Σ rate × days ÷ days in cover, rounded once.

    Complexity: O(p) for p pieces (rate segments inside the cover period).

    Args:
        pieces: ``(rate in minor units, days that rate is in force)`` for each segment of
            the cover period where something is due; days with nothing due are left out.
        days_in_cover: The number of days in the whole cover period.

    Example:
        >>> prorate_minor([(60000, 15), (45000, 16)], 31)  # 600×15/31 + 450×16/31
        52258
    """
    total: MinorRate = 0
    for rate, days in pieces:
        total += rate * days
    return divide_half_even(total, days_in_cover)
