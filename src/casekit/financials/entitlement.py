"""An entitlement: the determinations and certified periods that together say what is due."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import attrs

from casekit.checks import attrs_check, check_instance
from casekit.errors import ValidationError
from casekit.financials.certifications import Certified
from casekit.financials.determinations import DeterminationSet
from casekit.financials.periods import Period, merge_periods

__all__ = ["Entitlement"]

_DAY = timedelta(days=1)


def _merged(periods: Iterable[Period] | None) -> Certified:
    """None stays None (no certification needed); periods are sorted and merged."""
    if periods is None:
        return None
    if isinstance(periods, str | bytes) or not isinstance(periods, Iterable):
        raise ValidationError(
            f"Entitlement.certified must be Periods or None (no certification), got {periods!r}"
        )
    found = tuple(periods)
    for period in found:
        check_instance(period, Period, what="a certified period of an Entitlement")
    return merge_periods(found)


@attrs.frozen(slots=True)
class Entitlement:
    """What a case is entitled to: its determinations and its certified periods.

    Attributes:
        determinations: The determination set.
        certified: The certified periods (sorted and merged on the way in), or None when
            the product needs no certification.
    """

    determinations: DeterminationSet = attrs.field(
        validator=attrs_check(check_instance, kind=DeterminationSet)
    )
    certified: Certified = attrs.field(default=None, converter=_merged)

    def first_difference(self, other: Entitlement) -> date | None:
        """The earliest day the two entitlements may differ in what is due, or None.

        Complexity: O(d · c + p) for d decisions, c components, p certified periods.
        """
        earliest = self.determinations.first_difference(other.determinations)
        if self.certified is None and other.certified is None:
            return earliest  # neither needs certification: the determinations decide
        certified = _first_certification_difference(self.certified, other.certified)
        if certified is not None and (earliest is None or certified < earliest):
            return certified
        return earliest


def _first_certification_difference(a: Certified, b: Certified) -> date | None:
    if a == b:
        return None
    if a is None or b is None:
        # One certifies every day, the other only its periods: they differ from the first
        # uncertified day, which is date.min unless the periods start there (the
        # reassessment clamps it to the first decision or payment).
        periods = b if a is None else a
        assert periods is not None
        starts_at_min = bool(periods) and periods[0].start == date.min
        return periods[0].end + _DAY if starts_at_min else date.min
    for left, right in zip(a, b, strict=False):
        if left != right:
            if left.start != right.start:
                return min(left.start, right.start)
            return min(left.end, right.end) + _DAY
    longer = a if len(a) > len(b) else b
    return longer[min(len(a), len(b))].start
