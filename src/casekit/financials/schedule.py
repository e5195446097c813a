"""The payment schedule: instruction lines from determinations, certifications and nominees.

For each cover period of the delivery pattern and each component, the amount due is the
rate in force on each certified, eligible day × days ÷ days in the cover period, summed
exactly and rounded once, half-even (`casekit.financials.proration`). The line goes to
the component's nominee on the cover period's first day.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Sequence
from datetime import date

import attrs

from casekit.checks import check_date, check_id, check_instance, check_text
from casekit.errors import ValidationError
from casekit.financials.certifications import Certified, clip_to_certified
from casekit.financials.delivery import CoverSpan, DeliveryPattern
from casekit.financials.determinations import DeterminationSet, Segment
from casekit.financials.nominees import Nominees
from casekit.financials.periods import Period
from casekit.financials.proration import MinorRate, divide_half_even
from casekit.money import Money

__all__ = ["InstructionLine", "LineKey", "build_schedule", "due_by_key"]

LineKey = tuple[date, date, str, str]
"""``(cover first day, cover last day, component, nominee)``: what a line is for."""


@attrs.frozen(slots=True)
class InstructionLine:
    """One payment instruction: a cover period's amount of one component to one nominee.

    Attributes:
        cover: The cover period.
        due_date: When it is due (the delivery pattern's timing).
        component: The component.
        nominee: Who receives it.
        amount: The prorated amount, at the currency's minor unit.
    """

    cover: Period
    due_date: date
    component: str
    nominee: str
    amount: Money

    def __attrs_post_init__(self) -> None:
        check_instance(self.cover, Period, what="InstructionLine.cover")
        check_date(self.due_date, what=f"due_date of the line for {self.cover}")
        check_text(self.component, what=f"component of the line for {self.cover}")
        check_id(self.nominee, what=f"nominee of the line for {self.cover} {self.component!r}")
        amount = check_instance(
            self.amount, Money, what=f"amount of the line for {self.cover} {self.component!r}"
        )
        if amount != amount.rounded():
            raise ValidationError(
                f"amount of the line for {self.cover} {self.component!r} {amount} is not a "
                f"whole number of minor units; round it first ({amount.rounded()})"
            )

    @property
    def key(self) -> LineKey:
        """What the line is for: cover period, component, nominee."""
        return (self.cover.start, self.cover.end, self.component, self.nominee)


def due_by_key(
    determinations: DeterminationSet,
    covers: Sequence[Period],
    nominees: Nominees,
    certified: Certified = None,
) -> dict[LineKey, int]:
    """What is due for each cover period × component × nominee, in minor units.

    The engine's inner loop: plain ints, no Money. Lines with nothing due are left out.

    Complexity: O(n · c · (log d + k)) for n cover periods, c components, d rate segments
    per component and k of them meeting a cover period.

    Args:
        determinations: The rates in force.
        covers: The cover periods, in order, not overlapping.
        nominees: Who receives each component.
        certified: The certified periods, or None when the product needs none.
    """
    spans = [(c.start, c.end, c.start.toordinal(), c.end.toordinal()) for c in covers]
    return _due_by_span(determinations, spans, nominees, certified)


_first_day = operator.itemgetter(0)
"""A rate segment's first day (ordinal)."""


def _due_by_span(
    determinations: DeterminationSet,
    covers: Sequence[CoverSpan],
    nominees: Nominees,
    certified: Certified,
) -> dict[LineKey, int]:
    """[`due_by_key`][] over cover periods given with their day ordinals (memoised ones).

    The one implementation of the due amounts: `due_by_key` and the reassessment call it.
    Cover by cover (``covers`` in order, not overlapping), then component by component,
    each with one nominee per cover period, so the keys come out sorted: the reassessment
    relies on it.

    Complexity: O(n · c · (log d + k)) for n cover periods, c components, d rate segments
    per component and k of them meeting a cover period.
    """
    due: dict[LineKey, int] = {}
    timelines = determinations._segments.items()  # by component, sorted
    sole_nominee = nominees.sole_nominee()
    bisect_right = bisect.bisect_right
    for cover_start, cover_end, first, last in covers:
        ranges = None if certified is None else clip_to_certified(first, last, certified)
        for component, timeline in timelines:
            # The last segment starting on or before the cover's first day, or the next
            # one when that ends before it (segments are sorted and never overlap).
            index = bisect_right(timeline, first, key=_first_day)
            if index:
                index -= 1
            seg_first, seg_last, rate = timeline[index]
            if seg_last < first:
                index += 1
                if index == len(timeline):
                    continue
                seg_first, seg_last, rate = timeline[index]
            if seg_first > last:
                continue
            if seg_first <= first and seg_last >= last and ranges is None and type(rate) is int:
                amount = rate  # one whole-cent rate all cover long: rate × days ÷ days, exactly
            else:
                total = _weighted_total(timeline, index, first, last, ranges)
                if total is None:
                    continue
                amount = divide_half_even(total, last - first + 1)
            if amount:
                nominee = sole_nominee or nominees.nominee_on(component, cover_start)
                due[(cover_start, cover_end, component, nominee)] = amount
    return due


def _weighted_total(
    timeline: Sequence[Segment],
    index: int,
    first: int,
    last: int,
    ranges: list[tuple[int, int]] | None,
) -> MinorRate | None:
    """Σ rate × days over ``first..last`` (certified days only), or None if no rate is in force.

    Exact: an int unless a rate has fractions of a minor unit. Clipped with comparisons
    rather than ``max``/``min`` calls (this runs for every prorated line).
    """
    total: MinorRate = 0
    found = False
    count = len(timeline)
    while index < count:
        seg_first, seg_last, rate = timeline[index]
        if seg_first > last:
            break
        seg_first = first if seg_first < first else seg_first
        seg_last = last if seg_last > last else seg_last
        if ranges is None:
            total += rate * (seg_last - seg_first + 1)
            found = True
        else:
            for range_first, range_last in ranges:
                lo = seg_first if seg_first > range_first else range_first
                hi = seg_last if seg_last < range_last else range_last
                if lo <= hi:
                    total += rate * (hi - lo + 1)
                    found = True
        index += 1
    return total if found else None


def _check_certified(certified: object, *, what: str) -> Certified:
    if certified is None:
        return None
    if not isinstance(certified, tuple):
        raise ValidationError(f"{what} must be a tuple of Periods or None, got {certified!r}")
    for period in certified:
        check_instance(period, Period, what=f"a period of {what}")
    return certified


def build_schedule(
    determinations: DeterminationSet,
    pattern: DeliveryPattern,
    nominees: Nominees,
    window: Period,
    *,
    certified: Certified = None,
) -> tuple[InstructionLine, ...]:
    """The instruction lines for every cover period meeting ``window``.

    Complexity: as `due_by_key`, plus one Money per line.

    Args:
        determinations: What is due, per component and day.
        pattern: The delivery pattern (cover periods and due dates).
        nominees: Who receives each component.
        window: The days to schedule; cover periods that meet it are scheduled whole.
        certified: The certified periods, or None when the product needs none.

    Returns:
        The lines in cover-period order, then component; lines of zero are left out.

    Raises:
        ValidationError: An argument of the wrong kind (checked in order, before any work).
    """
    check_instance(determinations, DeterminationSet, what="determinations of a schedule")
    check_instance(pattern, DeliveryPattern, what="delivery pattern of a schedule")
    check_instance(nominees, Nominees, what="nominees of a schedule")
    check_instance(window, Period, what="window of a schedule")
    certified = _check_certified(certified, what="certified periods of a schedule")
    currency = determinations.currency
    covers = pattern.cover_periods(window)
    by_start = {cover.start: cover for cover in covers}
    lines = []
    for key, units in due_by_key(determinations, covers, nominees, certified).items():
        cover = by_start[key[0]]
        lines.append(
            InstructionLine(
                cover,
                pattern.due_date(cover),
                key[2],
                key[3],
                Money.from_minor(units, currency),
            )
        )
    return tuple(lines)
