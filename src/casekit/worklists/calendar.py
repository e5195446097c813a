"""Business calendars: working weekdays, working hours, holidays, in one time zone.

A [`BusinessCalendar`][] answers "is this a working day?", adds and counts business days,
and adds and counts business hours. Working hours are one span a day (``opens``–``closes``)
or, with ``shifts``, split shifts that may differ per weekday (09:00–12:00 and 13:00–17:00;
Friday 09:00–13:00): see [`BusinessCalendar.with_shifts`][]. Dates are local to the
calendar's time zone; instants are timezone-aware and come back in UTC. Working hours are
local wall-clock times, so a working day that crosses a DST change still starts at 09:00
local; its length in real time is measured in UTC, so business hours are exact across DST
changes.

Holidays come from an explicit list or from the ``holidays`` package (the optional extra
``casekit[holidays]``); casekit never writes holiday rules itself. A calendar built from the
package covers a range of years and refuses dates outside it ([`OutsideCalendar`][])
rather than silently treating them as holiday-free.

Complexity (``H`` holidays, ``n`` business days, ``d`` calendar days spanned):

=============================  =======================
operation                      cost
=============================  =======================
``is_business_day``            O(1)
``count_business_days``        O(log H)
``add_business_days``          O(log n · log H)
``working_intervals``          O(shifts a day)
``add_business_hours``         O(d · shifts a day)
``business_hours_between``     O(d · shifts a day)
=============================  =======================
"""

from __future__ import annotations

import bisect
import importlib
import itertools
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from casekit.checks import (
    attrs_check,
    check_aware,
    check_date,
    check_instance,
    check_int,
    check_text,
    check_timedelta,
)
from casekit.errors import MissingExtra, OutsideCalendar, ValidationError

__all__ = ["MONDAY_TO_FRIDAY", "BusinessCalendar", "Shift"]

MONDAY_TO_FRIDAY: frozenset[int] = frozenset(range(5))
"""Working weekdays Monday (0) to Friday (4), as `datetime.date.weekday` numbers."""

_DAY = timedelta(days=1)
MAX_SPAN = timedelta(days=36_600)
"""The longest stretch business hours are counted over or added (about 100 years): the walks
are O(days), and a longer one is a mistake, not a deadline."""
_INTERVAL_CACHE_SIZE = 16_384
"""How many (time zone and shifts, day) → UTC working intervals are remembered, shared by
every calendar (they depend on nothing else, and never change); cleared when full."""
_INTERVALS: dict[tuple[str, date], tuple[tuple[datetime, datetime], ...]] = {}
_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _zone(value: ZoneInfo | str) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    check_text(value, what="business calendar time zone", max_length=255)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise ValidationError(
            f"business calendar time zone {value!r} is unknown; "
            "use an IANA name such as 'America/Los_Angeles' or 'Europe/Rome'"
        ) from e


def _collection(values: object, what: str) -> tuple[object, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValidationError(f"{what} must be a collection, got {values!r:.80}")
    return tuple(values)


def _dates(values: Iterable[date]) -> frozenset[date]:
    return frozenset(
        check_date(d, what="a business calendar holiday")
        for d in _collection(values, "business calendar holidays")
    )


def _workdays(value: Iterable[int]) -> frozenset[int]:
    given = _collection(value, "business calendar workdays")
    bad = [d for d in given if type(d) is not int or not 0 <= d <= 6]
    days = frozenset(d for d in given if type(d) is int)
    if bad or not days:
        raise ValidationError(
            f"business calendar workdays {given!r:.80} are invalid; "
            "give at least one weekday number from 0 (Monday) to 6 (Sunday)"
        )
    return days


def _years(value: tuple[int, int] | None) -> tuple[int, int] | None:
    if value is None:
        return None
    pair = _collection(value, "business calendar holiday_years")
    if len(pair) != 2:
        raise ValidationError(f"holiday_years must be (first, last), got {value!r:.80}")
    first, last = (check_int(y, what="a holiday year", minimum=1, maximum=9999) for y in pair)
    return (first, last)


def _naive_time(value: object, what: str) -> time:
    moment = check_instance(value, time, what=what)
    if moment.tzinfo is not None:
        raise ValidationError(f"{what} must be a naive local time, got {moment.isoformat()}")
    return moment


@attrs.frozen
class Shift:
    """One span of working time in a day, in local wall-clock time.

    Args:
        opens: Local time the shift starts (naive).
        closes: Local time it ends (naive); after ``opens`` (a shift may not cross midnight).

    Raises:
        ValidationError: If either is not a naive ``time``, or ``closes <= opens``.
    """

    opens: time = attrs.field()
    closes: time = attrs.field()

    def __attrs_post_init__(self) -> None:
        _naive_time(self.opens, "Shift.opens")
        _naive_time(self.closes, "Shift.closes")
        if self.closes <= self.opens:
            raise ValidationError(
                f"shift {self.opens.isoformat()}–{self.closes.isoformat()}: closes must be "
                "after opens (a shift may not cross midnight; split it in two days)"
            )

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


ShiftsByWeekday = tuple[tuple[Shift, ...], ...]
"""Seven tuples of shifts, Monday (0) to Sunday (6); an empty tuple is a day off."""


def _shift(value: object, day: int) -> Shift:
    if isinstance(value, Shift):
        return value
    pair = _collection(value, f"a shift on weekday {day}")
    if len(pair) != 2:
        raise ValidationError(
            f"a shift on weekday {day} must be a Shift or (opens, closes), got {value!r:.80}"
        )
    return Shift(
        _naive_time(pair[0], f"opening of a shift on weekday {day}"),
        _naive_time(pair[1], f"closing of a shift on weekday {day}"),
    )


def _shifts(value: object) -> ShiftsByWeekday | None:
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 7 and all(isinstance(d, tuple) for d in value):
        by_day: dict[object, object] = dict(enumerate(value))
    elif isinstance(value, Mapping):
        by_day = dict(value)
    else:
        raise ValidationError(
            "business calendar shifts must map weekday numbers (0 = Monday … 6 = Sunday) to "
            f"shifts, e.g. {{0: [(time(9), time(12)), (time(13), time(17))]}}; got {value!r:.80}"
        )
    bad = [d for d in by_day if type(d) is not int or not 0 <= d <= 6]
    if bad:
        raise ValidationError(
            f"business calendar shifts name weekdays {bad!r:.80}; give 0 (Monday) to 6 (Sunday)"
        )
    days: list[tuple[Shift, ...]] = []
    for day in range(7):
        spans = sorted(
            (_shift(v, day) for v in _collection(by_day.get(day, ()), f"shifts of weekday {day}")),
            key=lambda s: s.opens,
        )
        for before, after in itertools.pairwise(spans):
            if after.opens < before.closes:
                raise ValidationError(
                    f"shifts {before} and {after} on {_WEEKDAY_NAMES[day]} overlap; "
                    "give shifts that do not overlap"
                )
        days.append(tuple(spans))
    if not any(days):
        raise ValidationError("business calendar shifts give no working time on any weekday")
    return tuple(days)


@attrs.frozen
class BusinessCalendar:
    """Working days and hours in one time zone, with holidays.

    Args:
        tz: The calendar's time zone (an IANA name or a ``ZoneInfo``).
        workdays: Working weekdays as ``date.weekday()`` numbers; default Monday to Friday.
        opens: Local time the working day starts; default 09:00.
        closes: Local time the working day ends; default 17:00; after ``opens``.
        holidays: Dates that are not working days even on a working weekday.
        holiday_years: ``(first, last)`` years the holiday list is known to cover; dates
            outside raise [`OutsideCalendar`][]. ``None``: the list is complete for all time.
        name: A label for messages and reprs.
        shifts: Split shifts per weekday (weekday number to ``Shift`` s or ``(opens,
            closes)`` pairs); ``None``: one span ``opens``–``closes`` on every workday. When
            given, ``workdays`` must be the weekdays that have shifts and ``opens``/``closes``
            their earliest opening and latest closing; [`with_shifts`][] fills them in.

    Raises:
        ValidationError: On an unknown time zone, no workdays, ``closes <= opens``, or shifts
            that overlap or disagree with ``workdays``, ``opens`` and ``closes``.
    """

    tz: ZoneInfo = attrs.field(converter=_zone)
    workdays: frozenset[int] = attrs.field(default=MONDAY_TO_FRIDAY, converter=_workdays)
    opens: time = attrs.field(default=time(9), validator=attrs_check(check_instance, kind=time))
    closes: time = attrs.field(default=time(17), validator=attrs_check(check_instance, kind=time))
    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_dates)
    holiday_years: tuple[int, int] | None = attrs.field(default=None, converter=_years)
    name: str = attrs.field(default="business calendar", validator=attrs_check(check_text))
    shifts: ShiftsByWeekday | None = attrs.field(default=None, converter=_shifts)
    _sorted_holidays: tuple[date, ...] = attrs.field(init=False, repr=False, eq=False)
    _day_shifts: ShiftsByWeekday = attrs.field(init=False, repr=False, eq=False)
    _shape: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValidationError(
                f"{self.name}: opening hours must be naive local times, "
                f"got {self.opens!r}–{self.closes!r}"
            )
        if self.closes <= self.opens:
            raise ValidationError(
                f"{self.name}: closes {self.closes.isoformat()} must be after opens "
                f"{self.opens.isoformat()} (working hours may not cross midnight)"
            )
        if self.holiday_years is not None and self.holiday_years[0] > self.holiday_years[1]:
            raise ValidationError(
                f"{self.name}: holiday_years {self.holiday_years!r} is empty; give (first, last)"
            )
        day_shifts: ShiftsByWeekday
        if self.shifts is None:
            day_shifts = tuple(
                (Shift(self.opens, self.closes),) if d in self.workdays else () for d in range(7)
            )
        else:
            day_shifts = self.shifts
            self._check_shifts_agree(day_shifts)
        object.__setattr__(self, "_day_shifts", day_shifts)
        # What a day's UTC intervals depend on besides the day, as a string (its hash is
        # kept): the key of the shared interval cache.
        zone = self.tz.key if self.tz.key is not None else f"unnamed-{uuid.uuid4()}"
        hours = ";".join(",".join(map(str, shifts)) for shifts in day_shifts)
        object.__setattr__(self, "_shape", f"{zone}|{hours}")
        # Only holidays on a working weekday change any count.
        on_workdays = sorted(d for d in self.holidays if d.weekday() in self.workdays)
        object.__setattr__(self, "_sorted_holidays", tuple(on_workdays))

    def _check_shifts_agree(self, shifts: ShiftsByWeekday) -> None:
        with_shifts = frozenset(d for d in range(7) if shifts[d])
        opens = min(s[0].opens for s in shifts if s)
        closes = max(s[-1].closes for s in shifts if s)
        if with_shifts != self.workdays or (opens, closes) != (self.opens, self.closes):
            raise ValidationError(
                f"{self.name}: shifts work weekdays {sorted(with_shifts)} from "
                f"{opens.isoformat()} to {closes.isoformat()}, but workdays="
                f"{sorted(self.workdays)}, opens={self.opens.isoformat()}, closes="
                f"{self.closes.isoformat()}; build it with BusinessCalendar.with_shifts"
            )

    @classmethod
    def with_shifts(
        cls,
        tz: ZoneInfo | str,
        shifts: Mapping[int, Iterable[Shift | tuple[time, time]]],
        *,
        holidays: Iterable[date] = frozenset(),
        holiday_years: tuple[int, int] | None = None,
        name: str = "business calendar",
    ) -> BusinessCalendar:
        """Build a calendar with split shifts, different per weekday if need be.

        Example::

            BusinessCalendar.with_shifts(
                "Europe/London",
                {d: [(time(9), time(12)), (time(13), time(17))] for d in range(4)}
                | {4: [(time(9), time(13))]},
            )

        Args:
            tz: The calendar's time zone.
            shifts: Weekday number (0 = Monday) to its shifts; weekdays left out are days off.
            holidays: Dates that are not working days.
            holiday_years: ``(first, last)`` years ``holidays`` covers (see the class).
            name: A label for messages.

        Returns:
            The calendar; its ``workdays``, ``opens`` and ``closes`` follow from the shifts.

        Raises:
            ValidationError: On overlapping shifts, an unknown weekday, no shift at all, or
                any invalid argument (as the constructor).
        """
        days = _shifts(shifts)
        if days is None:
            raise ValidationError(
                "BusinessCalendar.with_shifts needs shifts, got None; give e.g. "
                "{0: [(time(9), time(12)), (time(13), time(17))]}"
            )
        working = [d for d in days if d]
        return cls(
            tz=tz,
            workdays=frozenset(i for i, d in enumerate(days) if d),
            opens=min(d[0].opens for d in working),
            closes=max(d[-1].closes for d in working),
            holidays=holidays,
            holiday_years=holiday_years,
            name=name,
            shifts=days,
        )

    @classmethod
    def from_holidays_package(
        cls,
        country: str,
        *,
        tz: ZoneInfo | str,
        years: range,
        subdiv: str | None = None,
        workdays: Iterable[int] = MONDAY_TO_FRIDAY,
        opens: time = time(9),
        closes: time = time(17),
        shifts: Mapping[int, Iterable[Shift | tuple[time, time]]] | None = None,
    ) -> BusinessCalendar:
        """Build a calendar whose holidays come from the ``holidays`` package.

        Needs the optional extra ``casekit[holidays]``; the package is imported only here.

        Args:
            country: ISO 3166 country code, e.g. ``"US"``.
            tz: The calendar's time zone.
            years: The years to cover; later queries outside them raise [`OutsideCalendar`][].
            subdiv: A subdivision (state, province), e.g. ``"CA"``.
            workdays: Working weekdays, Monday = 0.
            opens: Local opening time.
            closes: Local closing time.
            shifts: Split shifts per weekday (as [`with_shifts`][]); when given,
                ``workdays``, ``opens`` and ``closes`` are ignored and follow from them.

        Returns:
            The calendar, named after the country and subdivision.

        Raises:
            MissingExtra: If the ``holidays`` package is not installed.
            ValidationError: If the country, subdivision or years are not valid.
        """
        check_text(country, what="holiday calendar country", max_length=16)
        if subdiv is not None:
            check_text(subdiv, what="holiday calendar subdivision", max_length=16)
        check_instance(years, range, what="holiday calendar years")
        if years and not (min(years) >= 1 and max(years) <= 9999):
            raise ValidationError(f"holiday years {years!r} must lie within 1–9999")
        try:
            package = importlib.import_module("holidays")
        except ImportError as e:
            raise MissingExtra(
                "holiday calendars need the 'holidays' package: "
                "pip install 'casekit[holidays]' (or pass holidays=[...] explicitly)"
            ) from e
        if not years:
            raise ValidationError(f"holiday years {years!r} are empty; give e.g. range(2024, 2031)")
        try:
            generated = package.country_holidays(country, subdiv=subdiv, years=list(years))
        except NotImplementedError as e:  # the package's way of saying "unknown country/subdiv"
            raise ValidationError(
                f"the holidays package has no calendar for country {country!r} "
                f"subdivision {subdiv!r}: {e}"
            ) from e
        label = country if subdiv is None else f"{country}-{subdiv}"
        if shifts is not None:
            return cls.with_shifts(
                tz,
                shifts,
                holidays=frozenset(generated.keys()),
                holiday_years=(min(years), max(years)),
                name=f"{label} business calendar",
            )
        return cls(
            tz=tz,
            workdays=workdays,
            opens=opens,
            closes=closes,
            holidays=frozenset(generated.keys()),
            holiday_years=(min(years), max(years)),
            name=f"{label} business calendar",
        )

    # ------------------------------------------------------------------ days

    def _check(self, day: date) -> None:
        span = self.holiday_years
        if span is not None and not span[0] <= day.year <= span[1]:
            raise OutsideCalendar(
                f"{self.name} knows holidays for {span[0]}–{span[1]} only; "
                f"{day.isoformat()} is outside (build it with years covering {day.year})"
            )

    def is_business_day(self, day: date) -> bool:
        """Return whether ``day`` (a local date) is a working weekday and not a holiday. O(1).

        Raises:
            ValidationError: If ``day`` is not a date.
            OutsideCalendar: If ``day`` is outside the years the holidays cover.
        """
        check_date(day, what=f"day asked of {self.name}")
        self._check(day)
        return day.weekday() in self.workdays and day not in self.holidays

    def local_date(self, moment: datetime) -> date:
        """Return the calendar-local date of an aware instant.

        Raises:
            ValidationError: If ``moment`` is not an aware datetime, or its local date is
                outside the years 1–9999.
        """
        utc = check_aware(moment, what=f"{self.name} instant")
        try:
            return utc.astimezone(self.tz).date()
        except OverflowError:
            raise ValidationError(
                f"{utc.isoformat()} has no local date in {self.name} (outside the years 1–9999)"
            ) from None

    def _count(self, start: date, stop: date) -> int:
        """Business days in ``[start, stop)``; ``start <= stop``."""
        full_weeks, rest = divmod((stop - start).days, 7)
        first = start.weekday()
        count = full_weeks * len(self.workdays)
        count += sum(1 for i in range(rest) if (first + i) % 7 in self.workdays)
        hol = self._sorted_holidays
        return count - (bisect.bisect_left(hol, stop) - bisect.bisect_left(hol, start))

    def count_business_days(self, start: date, end: date) -> int:
        """Count the business days stepped onto walking from ``start`` to ``end``.

        Forward (``end >= start``) that is the business days in ``(start, end]``; backward it
        is minus those in ``[end, start)``. So ``count_business_days(d, add_business_days(d,
        n)) == n`` for every ``n != 0``. O(log H).

        Raises:
            ValidationError: If either is not a date.
            OutsideCalendar: If either date is outside the years the holidays cover.
        """
        check_date(start, what=f"start of a count in {self.name}")
        check_date(end, what=f"end of a count in {self.name}")
        self._check(start)
        self._check(end)
        try:
            return self._signed_count(start, end)
        except OverflowError:
            raise ValidationError(
                f"cannot count business days from {start} to {end} in {self.name}: the count "
                "reaches past the last representable date"
            ) from None

    def add_business_days(self, day: date, n: int) -> date:
        """Return the ``n``-th business day after ``day`` (before it when ``n < 0``).

        ``n == 0`` rolls forward: ``day`` itself if it is a business day, else the next one.
        The result is always a business day. O(log n · log H).

        Raises:
            ValidationError: If ``day`` is not a date, ``n`` not an integer, or the walk
                leaves the years 1–9999.
            OutsideCalendar: If the walk leaves the years the holidays cover.
        """
        check_date(day, what=f"start of a walk in {self.name}")
        check_int(n, what=f"business days to add in {self.name}")
        try:
            return self._add_business_days(day, n)
        except OverflowError:
            raise ValidationError(
                f"{n} business days from {day.isoformat()} leaves the years 1–9999"
            ) from None

    def _add_business_days(self, day: date, n: int) -> date:
        self._check(day)
        if n == 0:
            return day if self.is_business_day(day) else self._add_business_days(day, 1)
        step = 1 if n > 0 else -1
        # Exponential search for a bound, then bisect on the (monotone) count.
        span = 7 * (abs(n) // len(self.workdays) + 1)
        while abs(self._signed_count(day, day + step * span * _DAY)) < abs(n):
            span *= 2
        lo, hi = 1, span  # the answer is day + step*k for the least k in [lo, hi] reaching n
        while lo < hi:
            mid = (lo + hi) // 2
            if abs(self._signed_count(day, day + step * mid * _DAY)) >= abs(n):
                hi = mid
            else:
                lo = mid + 1
        result = day + step * lo * _DAY
        self._check(result)
        return result

    def _signed_count(self, start: date, end: date) -> int:
        if end >= start:
            return self._count(start + _DAY, end + _DAY)
        return -self._count(end, start)

    # ----------------------------------------------------------------- hours

    def working_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """Return the UTC instants a business day opens and closes, or ``None`` if closed.

        With split shifts that is the first opening and the last closing (the break between
        is not working time: see [`working_intervals`][]). Local times in a DST gap are read
        with the offset before the change (``fold=0``).

        Raises:
            ValidationError: If ``day`` is not a date.
            OutsideCalendar: If ``day`` is outside the years the holidays cover.
        """
        spans = self.working_intervals(day)
        if not spans:
            return None
        return spans[0][0], spans[-1][1]

    def working_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Return the UTC ``(opens, closes)`` of each shift of a local day; ``()`` if closed.

        Local times in a DST gap are read with the offset before the change (``fold=0``), so
        a shift that spans a change lasts its real elapsed time (an hour less in spring).
        O(shifts a day).

        Raises:
            ValidationError: If ``day`` is not a date.
            OutsideCalendar: If ``day`` is outside the years the holidays cover.
        """
        if not self.is_business_day(day):
            return ()
        key = (self._shape, day)
        spans = _INTERVALS.get(key)
        if spans is None:
            spans = self._intervals(day)
            if len(_INTERVALS) >= _INTERVAL_CACHE_SIZE:
                _INTERVALS.clear()
            _INTERVALS[key] = spans
        return spans

    def _intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        spans = []
        last = None
        for shift in self._day_shifts[day.weekday()]:
            lo = datetime.combine(day, shift.opens, tzinfo=self.tz).astimezone(UTC)
            hi = datetime.combine(day, shift.closes, tzinfo=self.tz).astimezone(UTC)
            if last is not None:
                lo = max(lo, last)  # a shift read across a DST gap never overlaps the last
            if hi > lo:
                spans.append((lo, hi))
                last = hi
        return tuple(spans)

    def end_of_business_day(self, day: date) -> datetime:
        """Return the UTC instant ``day`` closes; ``day`` must be a business day.

        Raises:
            ValidationError: If ``day`` is not a date, or not a business day.
            OutsideCalendar: If ``day`` is outside the years the holidays cover.
        """
        hours = self.working_hours(day)
        if hours is None:
            raise ValidationError(
                f"{day.isoformat()} ({_WEEKDAY_NAMES[day.weekday()]}) is not a business day "
                f"in {self.name}"
            )
        return hours[1]

    def add_business_hours(self, moment: datetime, duration: timedelta) -> datetime:
        """Return the UTC instant ``duration`` of working time after ``moment``.

        Time outside working hours does not count; a zero duration outside hours rolls
        forward to the next opening. Exact across DST changes (hours are real elapsed time).
        O(days spanned).

        Raises:
            ValidationError: If ``moment`` is not an aware datetime, or ``duration`` is not
                a timedelta from zero to `MAX_SPAN`.
        """
        current = check_aware(moment, what=f"{self.name} start")
        check_timedelta(duration, what=f"business time to add in {self.name}")
        if duration < timedelta(0):
            raise ValidationError(
                f"{self.name}: cannot add a negative duration {duration}; give >= 0"
            )
        if duration > MAX_SPAN:
            raise ValidationError(
                f"{self.name}: cannot add {duration} of business time; give at most "
                f"{MAX_SPAN.days} days"
            )
        try:
            return self._add_business_hours(current, duration)
        except OverflowError:
            raise ValidationError(
                f"{duration} of business time from {current.isoformat()} leaves the years 1–9999"
            ) from None

    def _add_business_hours(self, current: datetime, duration: timedelta) -> datetime:
        remaining = duration
        day = current.astimezone(self.tz).date()
        while True:
            for opens, closes in self.working_intervals(day):
                current = max(current, opens)
                if current <= closes:
                    available = closes - current
                    if remaining <= available:
                        return current + remaining
                    remaining -= available
            day += _DAY

    def business_hours_between(self, start: datetime, end: datetime) -> timedelta:
        """Return the working time inside ``[start, end]`` (negative if ``end < start``). O(days).

        Raises:
            ValidationError: If either is not an aware datetime, or they are more than
                `MAX_SPAN` apart.
        """
        a = check_aware(start, what=f"{self.name} start")
        b = check_aware(end, what=f"{self.name} end")
        if abs(b - a) > MAX_SPAN:
            raise ValidationError(
                f"{self.name}: {a.isoformat()} and {b.isoformat()} are more than "
                f"{MAX_SPAN.days} days apart; count business hours over shorter spans"
            )
        try:
            return self._hours_between(a, b)
        except OverflowError:
            raise ValidationError(
                f"{self.name}: {a.isoformat()}..{b.isoformat()} reaches outside the years 1–9999"
            ) from None

    def _hours_between(self, a: datetime, b: datetime) -> timedelta:
        if b < a:
            return -self._hours_between(b, a)
        total = timedelta(0)
        day = a.astimezone(self.tz).date()
        last = b.astimezone(self.tz).date()
        while day <= last:
            for opens, closes in self.working_intervals(day):
                lo, hi = max(a, opens), min(b, closes)
                if hi > lo:
                    total += hi - lo
            day += _DAY
        return total
