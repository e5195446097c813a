"""Delivery patterns: how (cash, EFT, cheque) and how often payments go out.

Frequencies: weekly on a weekday, fortnightly on a weekday from an anchor date, monthly on
a day of the month (1–28, so every month has it). A cover period runs from one delivery day
to the day before the next; monthly on day 1 gives calendar months. Paid **in advance**, a
cover period's payment is due on its first day; **in arrears**, on the day after its last.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from datetime import date, timedelta

import attrs

from casekit.checks import check_date, check_enum, check_instance, check_int
from casekit.errors import ValidationError
from casekit.financials.periods import Period

__all__ = ["DeliveryMethod", "DeliveryPattern", "Frequency", "Timing"]

_DAY = timedelta(days=1)


class DeliveryMethod(enum.StrEnum):
    """How a payment reaches the nominee."""

    CASH = "Cash"
    EFT = "EFT"
    CHEQUE = "Cheque"


class Frequency(enum.StrEnum):
    """How often payments go out."""

    WEEKLY = "Weekly"
    FORTNIGHTLY = "Fortnightly"
    MONTHLY = "Monthly"


class Timing(enum.StrEnum):
    """Whether a cover period is paid at its start or after its end."""

    IN_ADVANCE = "In Advance"
    IN_ARREARS = "In Arrears"


@functools.lru_cache(maxsize=4096)
def _cover_periods(pattern: DeliveryPattern, first: date, last: date) -> tuple[Period, ...]:
    periods: list[Period] = []
    start = pattern.cover_start_on_or_before(first)
    while start <= last:
        following = pattern.next_start(start)
        periods.append(Period._trusted(start, following - _DAY))
        start = following
    return tuple(periods)


@functools.lru_cache(maxsize=4096)
def _cover_bounds(
    pattern: DeliveryPattern, first: date, last: date
) -> frozenset[tuple[date, date]]:
    return frozenset((c.start, c.end) for c in _cover_periods(pattern, first, last))


CoverSpan = tuple[date, date, int, int]
"""``(first day, last day, first day ordinal, last day ordinal)`` of one cover period."""


CoverPlan = tuple[tuple[Period, ...], Callable[[date], date | None], tuple[CoverSpan, ...]]
"""The cover periods meeting a window, each one's first day by its last, and their spans.

The first days are looked up by a dict's own ``get`` (bound to a dict nothing else holds,
so the memoised plan cannot be changed through it; cheaper than a read-only proxy's).
"""


@functools.lru_cache(maxsize=4096)
def _cover_plan(pattern: DeliveryPattern, first: date, last: date) -> CoverPlan:
    covers = _cover_periods(pattern, first, last)
    spans = tuple((c.start, c.end, c.start.toordinal(), c.end.toordinal()) for c in covers)
    return covers, {c.end: c.start for c in covers}.get, spans


def _add_month(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month)


def _beyond_calendar(day: date, what: str) -> ValidationError:
    """The refusal for a cover period or due date that would fall outside ``date``'s range."""
    return ValidationError(
        f"{what} of {day.isoformat()} falls outside the calendar "
        f"({date.min.isoformat()}..{date.max.isoformat()}); use a date within a few "
        "years of today"
    )


@attrs.frozen(slots=True, cache_hash=True)  # hashed on every memoised cover look-up
class DeliveryPattern:
    """A delivery method and frequency.

    Use the constructors [`weekly`][], [`fortnightly`][] and [`monthly`][].

    Attributes:
        method: Cash, EFT or cheque.
        frequency: Weekly, fortnightly or monthly.
        timing: In advance or in arrears.
        weekday: The delivery weekday (0 = Monday) for weekly and fortnightly patterns.
        day_of_month: The delivery day (1–28) for monthly patterns.
        anchor: A first delivery day of a fortnightly pattern (on ``weekday``).
    """

    method: DeliveryMethod
    frequency: Frequency
    timing: Timing = Timing.IN_ADVANCE
    weekday: int | None = None
    day_of_month: int | None = None
    anchor: date | None = None

    def __attrs_post_init__(self) -> None:
        kinds: tuple[tuple[str, type[enum.Enum]], ...] = (
            ("method", DeliveryMethod),
            ("frequency", Frequency),
            ("timing", Timing),
        )
        for name, kind in kinds:  # a member, or its value turned into the member
            member = check_enum(getattr(self, name), kind, what=f"{name} of a delivery pattern")
            object.__setattr__(self, name, member)
        if self.weekday is not None:
            check_int(self.weekday, what="weekday of a delivery pattern", minimum=0, maximum=6)
        if self.day_of_month is not None:
            check_int(self.day_of_month, what="day_of_month of a delivery pattern")
        if self.anchor is not None:
            check_date(self.anchor, what="anchor of a fortnightly delivery pattern")
        if self.frequency is Frequency.MONTHLY:
            if not (isinstance(self.day_of_month, int) and 1 <= self.day_of_month <= 28):
                raise ValidationError(
                    f"a monthly pattern needs day_of_month 1..28 (every month has it), "
                    f"got {self.day_of_month!r}"
                )
            return
        if not (isinstance(self.weekday, int) and 0 <= self.weekday <= 6):
            raise ValidationError(
                f"a {self.frequency.value.lower()} pattern needs weekday 0..6 (0 = Monday), "
                f"got {self.weekday!r}"
            )
        if self.frequency is Frequency.FORTNIGHTLY and (
            self.anchor is None or self.anchor.weekday() != self.weekday
        ):
            raise ValidationError(
                f"a fortnightly pattern needs an anchor date on weekday {self.weekday}, "
                f"got {self.anchor!r}"
            )

    @classmethod
    def weekly(
        cls,
        weekday: int,
        *,
        method: DeliveryMethod = DeliveryMethod.EFT,
        timing: Timing = Timing.IN_ADVANCE,
    ) -> DeliveryPattern:
        """Weekly on ``weekday`` (0 = Monday)."""
        return cls(method, Frequency.WEEKLY, timing, weekday=weekday)

    @classmethod
    def fortnightly(
        cls,
        anchor: date,
        *,
        method: DeliveryMethod = DeliveryMethod.EFT,
        timing: Timing = Timing.IN_ADVANCE,
    ) -> DeliveryPattern:
        """Every other week on ``anchor``'s weekday, ``anchor`` being one delivery day.

        Raises:
            ValidationError: ``anchor`` is not a date.
        """
        anchor = check_date(anchor, what="anchor of a fortnightly delivery pattern")
        return cls(method, Frequency.FORTNIGHTLY, timing, weekday=anchor.weekday(), anchor=anchor)

    @classmethod
    def monthly(
        cls,
        day_of_month: int = 1,
        *,
        method: DeliveryMethod = DeliveryMethod.EFT,
        timing: Timing = Timing.IN_ADVANCE,
    ) -> DeliveryPattern:
        """Monthly on ``day_of_month`` (1–28); day 1 gives calendar-month cover periods."""
        return cls(method, Frequency.MONTHLY, timing, day_of_month=day_of_month)

    # ----- cover periods ----------------------------------------------------------------
    def cover_start_on_or_before(self, day: date) -> date:
        """The first day of the cover period holding ``day``. O(1)."""
        try:
            if self.frequency is Frequency.MONTHLY:
                assert self.day_of_month is not None
                start = day.replace(day=self.day_of_month)
                if start > day:
                    year, month = (
                        (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
                    )
                    start = start.replace(year=year, month=month)
                return start
            assert self.weekday is not None
            back = (day.weekday() - self.weekday) % 7
            start = day - timedelta(days=back)
            if self.frequency is Frequency.FORTNIGHTLY:
                assert self.anchor is not None
                if ((start - self.anchor).days // 7) % 2:
                    start -= timedelta(days=7)
            return start
        except (ValueError, OverflowError):
            raise _beyond_calendar(day, "the cover period") from None

    def next_start(self, start: date) -> date:
        """The first day of the cover period after the one starting on ``start``. O(1)."""
        try:
            if self.frequency is Frequency.MONTHLY:
                return _add_month(start)
            return start + timedelta(days=7 if self.frequency is Frequency.WEEKLY else 14)
        except (ValueError, OverflowError):
            raise _beyond_calendar(start, "the cover period after the one starting") from None

    def cover_periods(self, window: Period) -> list[Period]:
        """The cover periods that share at least one day with ``window``, in order.

        Complexity: O(n) for the n cover periods returned; memoised per pattern and window
        (the last 4,096), as many cases share both.

        Raises:
            ValidationError: ``window`` is not a Period.
        """
        check_instance(window, Period, what="the window of cover periods")
        return list(_cover_periods(self, window.start, window.end))

    def covers_due_on(self, day: date) -> list[Period]:
        """The cover periods whose payment is due on ``day`` (none or one). O(1).

        Raises:
            ValidationError: ``day`` is not a date.
        """
        day = check_date(day, what="the day payments are due on")
        if self.timing is Timing.IN_ARREARS and day == date.min:
            raise _beyond_calendar(day, "the cover period paid in arrears")
        probe = day if self.timing is Timing.IN_ADVANCE else day - _DAY
        start = self.cover_start_on_or_before(probe)
        cover = Period(start, self.next_start(start) - _DAY)
        return [cover] if self.due_date(cover) == day else []

    def cover_bounds(self, window: Period) -> frozenset[tuple[date, date]]:
        """The ``(first day, last day)`` of each cover period meeting ``window``.

        Complexity: O(n) once per pattern and window, then O(1) (memoised like
        [`cover_periods`][]).
        """
        return _cover_bounds(self, window.start, window.end)

    def _cover_plan(self, first: date, last: date) -> CoverPlan:
        """The cover periods meeting ``first..last``, with their first days by last day.

        And each one's bounds with their day ordinals. For the reassessment's inner loop:
        unchecked, memoised like [`cover_periods`][] (O(n) once per pattern and window,
        then O(1)).
        """
        return _cover_plan(self, first, last)

    def due_date(self, cover: Period) -> date:
        """When the payment for ``cover`` is due: its first day, or the day after its last.

        Raises:
            ValidationError: ``cover`` is not a Period.
        """
        check_instance(cover, Period, what="the cover period of a due date")
        if self.timing is Timing.IN_ADVANCE:
            return cover.start
        if cover.end == date.max:
            raise _beyond_calendar(cover.end, "the due date in arrears of a cover period ending")
        return cover.end + _DAY
