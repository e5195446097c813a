"""Split shifts per weekday, and business time across DST changes in three time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casekit.errors import ValidationError
from casekit.worklists import BusinessCalendar, Shift

SPLIT = {d: [(time(9), time(12)), (time(13), time(17))] for d in range(4)} | {
    4: [(time(9), time(13))]
}
# Each zone's 2026 DST changes: (spring, autumn) local dates.
DST_ZONES = {
    "Europe/London": (date(2026, 3, 29), date(2026, 10, 25)),
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1)),
    "Australia/Sydney": (date(2026, 10, 4), date(2026, 4, 5)),
}


def split(tz: str) -> BusinessCalendar:
    return BusinessCalendar.with_shifts(tz, SPLIT, name=f"split {tz}")


def local(tz: str, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def reference_hours(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Day-by-day oracle: each day's shifts as local wall times, overlapped with [a, b]."""
    total = timedelta(0)
    day = a.astimezone(cal.tz).date() - timedelta(days=1)
    while day <= b.astimezone(cal.tz).date() + timedelta(days=1):
        if cal.is_business_day(day):
            assert cal.shifts is not None
            for shift in cal.shifts[day.weekday()]:
                lo = datetime.combine(day, shift.opens, tzinfo=cal.tz).astimezone(UTC)
                hi = datetime.combine(day, shift.closes, tzinfo=cal.tz).astimezone(UTC)
                overlap = min(hi, b) - max(lo, a)
                total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


def test_with_shifts_derives_workdays_and_hours() -> None:
    cal = split("Europe/London")
    assert cal.workdays == frozenset(range(5))
    assert (cal.opens, cal.closes) == (time(9), time(17))
    monday = date(2026, 6, 1)
    assert cal.working_intervals(monday) == (
        (local("Europe/London", monday, 9), local("Europe/London", monday, 12)),
        (local("Europe/London", monday, 13), local("Europe/London", monday, 17)),
    )
    assert cal.working_hours(monday) == (
        local("Europe/London", monday, 9),
        local("Europe/London", monday, 17),
    )
    assert cal.working_intervals(date(2026, 6, 6)) == ()  # Saturday


def test_the_lunch_break_is_not_business_time() -> None:
    cal = split("Europe/London")
    monday = date(2026, 6, 1)
    assert cal.business_hours_between(
        local("Europe/London", monday, 11), local("Europe/London", monday, 14)
    ) == timedelta(hours=2)
    # 11:00 + 2 h of work: 1 h before lunch, 1 h after it.
    assert cal.add_business_hours(local("Europe/London", monday, 11), timedelta(hours=2)) == local(
        "Europe/London", monday, 14
    )
    # Friday works 09:00-13:00 only: 4 h from Friday 12:00 ends Monday 12:00.
    friday = date(2026, 6, 5)
    assert cal.add_business_hours(local("Europe/London", friday, 12), timedelta(hours=4)) == local(
        "Europe/London", friday + timedelta(days=3), 12
    )


def test_business_days_window_ends_at_the_last_shift() -> None:
    cal = split("America/New_York")
    thursday = date(2026, 6, 4)
    assert cal.end_of_business_day(thursday + timedelta(days=1)) == local(
        "America/New_York", date(2026, 6, 5), 13
    )


@pytest.mark.parametrize(
    ("shifts", "message"),
    [
        ({0: [(time(9), time(12)), (time(11), time(13))]}, "overlap"),
        ({7: [(time(9), time(12))]}, r"weekdays \[7\]; give 0 \(Monday\)"),
        ({0: [(time(12), time(9))]}, "closes must be after opens"),
        ({0: [(time(9),)]}, r"Shift or \(opens, closes\)"),
        ({}, "no working time"),
        ([(time(9), time(12))], "must map weekday numbers"),
        ({0: [(time(9, tzinfo=UTC), time(12))]}, "naive local time"),
    ],
)
def test_bad_shifts_are_refused(shifts: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessCalendar.with_shifts("UTC", shifts)  # type: ignore[arg-type]


def test_shifts_that_disagree_with_workdays_are_refused() -> None:
    days = BusinessCalendar.with_shifts("UTC", SPLIT).shifts
    with pytest.raises(ValidationError, match=r"workdays=\[0, 1, 2, 3, 4\].*with_shifts"):
        BusinessCalendar("UTC", shifts=days, closes=time(18))


def test_holidays_package_calendar_with_shifts() -> None:
    pytest.importorskip("holidays")
    cal = BusinessCalendar.from_holidays_package(
        "GB", subdiv="ENG", tz="Europe/London", years=range(2026, 2027), shifts=SPLIT
    )
    assert not cal.is_business_day(date(2026, 12, 25))
    assert cal.shifts is not None
    assert cal.shifts[4] == (Shift(time(9), time(13)),)


@pytest.mark.parametrize("tz", sorted(DST_ZONES))
def test_a_shift_across_the_dst_change_lasts_its_real_time(tz: str) -> None:
    spring, autumn = DST_ZONES[tz]
    # Work every day 00:00-05:00 (the changes happen at 01:00-03:00 local).
    night = BusinessCalendar.with_shifts(tz, {d: [(time(0), time(5))] for d in range(7)})
    for day, hours in ((spring, 4), (autumn, 6), (spring - timedelta(days=7), 5)):
        lo, hi = night.working_intervals(day)[0]
        assert hi - lo == timedelta(hours=hours), (tz, day)


@pytest.mark.parametrize("tz", sorted(DST_ZONES))
@given(
    first=st.integers(0, 10 * 24 * 4),
    length=st.integers(0, 10 * 24 * 4),
    which=st.sampled_from([0, 1]),
)
def test_business_hours_over_dst_changes_match_a_day_walk(
    tz: str, first: int, length: int, which: int
) -> None:
    cal = split(tz)
    change = DST_ZONES[tz][which]
    origin = local(tz, change - timedelta(days=5), 0)
    a = origin + timedelta(minutes=15 * first)
    b = a + timedelta(minutes=15 * length)
    between = cal.business_hours_between(a, b)
    assert between == reference_hours(cal, a, b)
    # Adding what lies between lands no later than b, at the end of that working time
    # (a zero duration outside hours rolls forward to the next opening instead).
    if between:
        end = cal.add_business_hours(a, between)
        assert end <= b
        assert cal.business_hours_between(a, end) == between
    # Every day's real working time is 7 h (4 h on Fridays): the changes are at night.
    day = change - timedelta(days=2)
    while day <= change + timedelta(days=2):
        spans = cal.working_intervals(day)
        total = sum((hi - lo for lo, hi in spans), timedelta(0))
        expected = {4: 4, 5: 0, 6: 0}.get(day.weekday(), 7)
        assert total == timedelta(hours=expected)
        day += timedelta(days=1)
