"""Certifications: the eligibility periods in which anything is paid.

Only certified days are paid. A product that does not require certification pays every
day its determinations allow; casekit represents that as ``None`` (no certification
filter) rather than as an infinite period.
"""

from __future__ import annotations

from collections.abc import Iterable

from casekit.cases.parts import Certification
from casekit.cases.product_delivery import ProductDeliveryCase
from casekit.financials.periods import Period, merge_periods

__all__ = ["Certified", "certified_periods", "clip_to_certified"]

Certified = tuple[Period, ...] | None
"""Merged certified periods, or None when the product does not require certification."""


def certified_periods(source: ProductDeliveryCase | Iterable[Certification]) -> Certified:
    """The merged certified periods of a PDC (None if it needs no certification).

    Complexity: O(c log c) for c certifications.
    """
    if isinstance(source, ProductDeliveryCase):
        if not source.requires_certification:
            return None
        certs: Iterable[Certification] = source.certifications
    else:
        certs = source
    return merge_periods(Period(c.period_from, c.period_to) for c in certs)


def clip_to_certified(first: int, last: int, certified: Certified) -> list[tuple[int, int]]:
    """The certified day-ordinal ranges inside ``first..last``.

    Complexity: O(p) for p certified periods.
    """
    if certified is None:
        return [(first, last)]
    ranges: list[tuple[int, int]] = []
    for period in certified:
        start, end = period.start.toordinal(), period.end.toordinal()
        if end < first:
            continue
        if start > last:
            break
        ranges.append((max(start, first), min(end, last)))
    return ranges
