"""The payment schedule: instruction lines from determinations, certifications and nominees.

For each cover period of the delivery pattern and each component, the amount due is the
rate in force on each certified, eligible day × days ÷ days in the cover period, summed
exactly and rounded once, half-even (:mod:`casekit.financials.proration`). The line goes to
the component's nominee on the cover period's first day.
"""

from __future__ import annotations

from datetime import date

import attrs

from casekit.financials.certifications import Certified, clip_to_certified
from casekit.financials.delivery import DeliveryPattern
from casekit.financials.determinations import DeterminationSet
from casekit.financials.nominees import Nominees
from casekit.financials.periods import Period
from casekit.financials.proration import MinorRate, prorate_minor
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

    @property
    def key(self) -> LineKey:
        """What the line is for: cover period, component, nominee."""
        return (self.cover.start, self.cover.end, self.component, self.nominee)


def due_by_key(
    determinations: DeterminationSet,
    covers: list[Period],
    nominees: Nominees,
    certified: Certified = None,
) -> dict[LineKey, int]:
    """What is due for each cover period × component × nominee, in minor units.

    The engine's inner loop: plain ints, no Money. Lines with nothing due are left out.

    Complexity: O(n · c · (log d + k)) for n cover periods, c components, d decisions and
    k rate segments per cover period.
    """
    due: dict[LineKey, int] = {}
    components = determinations.components
    for cover in covers:
        first, last = cover.start.toordinal(), cover.end.toordinal()
        days = last - first + 1
        ranges = clip_to_certified(first, last, certified)
        for component in components:
            pieces: list[tuple[MinorRate, int]] = []
            for range_first, range_last in ranges:
                for seg_first, seg_last, rate in determinations.segments(
                    component, range_first, range_last
                ):
                    pieces.append((rate, seg_last - seg_first + 1))
            if not pieces:
                continue
            amount = prorate_minor(pieces, days)
            if amount:
                nominee = nominees.nominee_on(component, cover.start)
                due[(cover.start, cover.end, component, nominee)] = amount
    return due


def build_schedule(
    determinations: DeterminationSet,
    pattern: DeliveryPattern,
    nominees: Nominees,
    window: Period,
    *,
    certified: Certified = None,
) -> tuple[InstructionLine, ...]:
    """The instruction lines for every cover period meeting ``window``.

    Complexity: as :func:`due_by_key`, plus one Money per line.

    Args:
        determinations: What is due, per component and day.
        pattern: The delivery pattern (cover periods and due dates).
        nominees: Who receives each component.
        window: The days to schedule; cover periods that meet it are scheduled whole.
        certified: The certified periods, or None when the product needs none.

    Returns:
        The lines in cover-period order, then component; lines of zero are left out.
    """
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
