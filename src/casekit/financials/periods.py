"""Inclusive date periods: a first day and a last day, both counted.

Every period in casekit's financials is inclusive at both ends, so a calendar month is
``Period(date(2026, 3, 1), date(2026, 3, 31))`` and holds 31 days.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta

import attrs

from casekit.checks import check_instance
from casekit.errors import ValidationError

__all__ = ["Period", "merge_periods", "month_of"]

_DAY = timedelta(days=1)


def _check_date(what: str, value: object) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(f"period {what} must be a date, got {value!r}")


@attrs.frozen(slots=True, order=True)
class Period:
    """An inclusive span of days.

    Args:
        start: The first day.
        end: The last day (inclusive), not before ``start``.

    Raises:
        ValidationError: If a bound is not a date or ``end`` is before ``start``.

    Example:
        >>> Period(date(2026, 3, 1), date(2026, 3, 31)).days
        31
    """

    start: date
    end: date

    def __attrs_post_init__(self) -> None:
        _check_date("start", self.start)
        _check_date("end", self.end)
        if self.end < self.start:
            raise ValidationError(
                f"period {self.start}..{self.end} ends before it starts; "
                "the last day must be on or after the first"
            )

    @classmethod
    def _trusted(cls, start: date, end: date) -> Period:
        """Build a period from bounds already known to be valid (hot paths only).

        The fields are written through their slots (the frozen class refuses
        ``setattr``): the same period the constructor builds, without its checks.
        """
        period = _new(cls)
        _set_start(period, start)
        _set_end(period, end)
        return period

    @property
    def days(self) -> int:
        """The number of days, both ends counted. O(1)."""
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        """True when ``day`` is inside the period. O(1)."""
        return self.start <= day <= self.end

    def overlaps(self, other: Period) -> bool:
        """True when the two periods share at least one day. O(1)."""
        return self.start <= other.end and other.start <= self.end

    def intersection(self, other: Period) -> Period | None:
        """The days both periods share, or None. O(1)."""
        start = max(self.start, other.start)
        end = min(self.end, other.end)
        return Period(start, end) if start <= end else None

    def each_day(self) -> Iterator[date]:
        """Every day of the period, in order. O(days)."""
        day = self.start
        while day <= self.end:
            yield day
            day += _DAY

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


_new = object.__new__
_set_start: Callable[[Period, date], None] = Period.__dict__["start"].__set__
_set_end: Callable[[Period, date], None] = Period.__dict__["end"].__set__


def month_of(day: date) -> Period:
    """The calendar month holding ``day``. O(1).

    Raises:
        ValidationError: ``day`` is not a date.
    """
    _check_date("day of month_of", day)
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(day.replace(day=1), day.replace(day=last))


def merge_periods(periods: Iterable[Period]) -> tuple[Period, ...]:
    """Sort periods and merge those that overlap or touch. O(n log n).

    Example:
        >>> merge_periods([Period(date(2026, 2, 1), date(2026, 2, 28)),
        ...                Period(date(2026, 1, 1), date(2026, 1, 31))])
        (Period(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 2, 28)),)
    """
    if isinstance(periods, str | bytes) or not isinstance(periods, Iterable):
        raise ValidationError(f"merge_periods needs an iterable of Periods, got {periods!r}")
    checked = [check_instance(p, Period, what="a period to merge") for p in periods]
    merged: list[Period] = []
    for period in sorted(checked):
        if merged and period.start <= merged[-1].end + _DAY:
            if period.end > merged[-1].end:
                merged[-1] = Period(merged[-1].start, period.end)
        else:
            merged.append(period)
    return tuple(merged)
