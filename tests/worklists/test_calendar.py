"""Business calendars: business-day and business-hour arithmetic, holidays, time zones."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from casekit.errors import MissingExtra, OutsideCalendar, ValidationError
from casekit.worklists import BusinessCalendar, DueWindow

ZONES = ["UTC", "America/Los_Angeles", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    workdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    opens = draw(st.integers(0, 12))
    closes = draw(st.integers(opens + 1, 24))
    return BusinessCalendar(
        tz=draw(st.sampled_from(ZONES)),
        workdays=workdays,
        opens=time(opens),
        closes=time(23, 59) if closes == 24 else time(closes),
        holidays=draw(st.frozensets(DAYS, max_size=40)),
    )


def naive_count(cal: BusinessCalendar, start: date, end: date) -> int:
    """Day-by-day oracle for count_business_days: the business days stepped onto."""
    step = 1 if end >= start else -1
    count, day = 0, start
    while day != end:
        day += timedelta(days=step)
        if cal.is_business_day(day):
            count += step
    return count


@given(calendars(), DAYS, st.integers(-300, 300).filter(bool))
def test_adding_n_business_days_then_counting_gives_n(
    cal: BusinessCalendar, day: date, n: int
) -> None:
    assert cal.count_business_days(day, cal.add_business_days(day, n)) == n


@given(calendars(), DAYS, st.integers(-300, 300))
def test_adding_business_days_never_lands_on_a_weekend_or_holiday(
    cal: BusinessCalendar, day: date, n: int
) -> None:
    result = cal.add_business_days(day, n)
    assert result.weekday() in cal.workdays
    assert result not in cal.holidays


@given(calendars(), DAYS, st.integers(-200, 200), st.integers(-200, 200))
def test_adding_business_days_is_monotone_in_n(
    cal: BusinessCalendar, day: date, n: int, m: int
) -> None:
    assume(n < m)
    a, b = cal.add_business_days(day, n), cal.add_business_days(day, m)
    assert a <= b
    if n != 0 and m != 0:
        assert a < b


@given(calendars(), DAYS, DAYS, st.integers(0, 100))
def test_adding_business_days_is_monotone_in_the_start_date(
    cal: BusinessCalendar, d1: date, d2: date, n: int
) -> None:
    d1, d2 = min(d1, d2), max(d1, d2)
    assert cal.add_business_days(d1, n) <= cal.add_business_days(d2, n)


@given(calendars(), DAYS, st.integers(-400, 400))
def test_count_business_days_matches_a_day_by_day_walk(
    cal: BusinessCalendar, day: date, offset: int
) -> None:
    end = day + timedelta(days=offset)
    assert cal.count_business_days(day, end) == naive_count(cal, day, end)


@given(
    calendars(),
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC)
    ),
    st.integers(0, 60 * 24 * 20),
)
def test_adding_business_hours_then_counting_gives_the_same_duration(
    cal: BusinessCalendar, moment: datetime, minutes: int
) -> None:
    duration = timedelta(minutes=minutes)
    end = cal.add_business_hours(moment, duration)
    assert end >= moment
    assert cal.business_hours_between(moment, end) == duration
    hours = cal.working_hours(cal.local_date(end))
    assert hours is not None
    assert hours[0] <= end <= hours[1]


def test_business_days_across_a_leap_day() -> None:
    cal = BusinessCalendar("UTC")
    assert cal.add_business_days(date(2028, 2, 28), 1) == date(2028, 2, 29)
    assert cal.add_business_days(date(2024, 2, 28), 2) == date(2024, 3, 1)
    assert cal.count_business_days(date(2024, 2, 1), date(2024, 3, 1)) == 21


def test_business_days_across_the_year_end_skip_new_year() -> None:
    cal = BusinessCalendar("UTC", holidays=[date(2026, 12, 25), date(2027, 1, 1)])
    assert cal.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 28)
    assert cal.add_business_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert cal.add_business_days(date(2027, 1, 4), -1) == date(2026, 12, 31)
    assert cal.count_business_days(date(2026, 12, 31), date(2027, 1, 4)) == 1


def test_business_days_across_a_month_end() -> None:
    cal = BusinessCalendar("UTC")
    assert cal.add_business_days(date(2026, 4, 30), 1) == date(2026, 5, 1)
    assert cal.add_business_days(date(2026, 1, 30), 1) == date(2026, 2, 2)


def test_zero_business_days_rolls_forward_to_a_business_day() -> None:
    cal = BusinessCalendar("UTC")
    assert cal.add_business_days(date(2026, 3, 7), 0) == date(2026, 3, 9)  # Saturday
    assert cal.add_business_days(date(2026, 3, 9), 0) == date(2026, 3, 9)


def test_business_hours_across_the_spring_dst_change_are_exact() -> None:
    la = BusinessCalendar("America/Los_Angeles")  # DST starts Sunday 8 March 2026
    friday_4pm = datetime(2026, 3, 6, 16, tzinfo=ZoneInfo("America/Los_Angeles"))
    end = la.add_business_hours(friday_4pm, timedelta(hours=2))
    assert end == datetime(2026, 3, 9, 10, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert end == datetime(2026, 3, 9, 17, tzinfo=UTC)  # PDT is UTC-7; Friday was PST, UTC-8


def test_a_working_day_containing_the_dst_change_is_measured_in_real_time() -> None:
    # A calendar working 00:00-05:00 local every day in London: on 29 March 2026 the clocks
    # jump from 01:00 to 02:00, so the day has only 4 real working hours; on 25 October 6.
    night = BusinessCalendar("Europe/London", workdays=range(7), opens=time(0), closes=time(5))
    london = ZoneInfo("Europe/London")
    spring = datetime(2026, 3, 29, tzinfo=london)
    autumn = datetime(2026, 10, 25, tzinfo=london)
    assert night.business_hours_between(spring, spring + timedelta(days=1)) == timedelta(hours=4)
    assert night.business_hours_between(autumn, autumn + timedelta(days=1)) == timedelta(hours=6)


def test_calendar_days_keep_the_local_wall_clock_across_dst() -> None:
    la = BusinessCalendar("America/Los_Angeles")
    tz = ZoneInfo("America/Los_Angeles")
    start = datetime(2026, 3, 5, 9, tzinfo=tz)
    assert DueWindow.days(7).due(start, la) == datetime(2026, 3, 12, 9, tzinfo=tz)
    assert DueWindow.hours(168).due(start, la) == datetime(2026, 3, 12, 10, tzinfo=tz)


def test_calendar_months_clamp_to_the_end_of_the_month() -> None:
    cal = BusinessCalendar("UTC")
    jan31 = datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert DueWindow.months(1).due(jan31, cal) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert DueWindow.months(1).due(jan31.replace(year=2028), cal).date() == date(2028, 2, 29)
    assert DueWindow.months(-2).due(datetime(2026, 4, 30, tzinfo=UTC), cal).date() == date(
        2026, 2, 28
    )
    assert DueWindow.months(2).due(datetime(2026, 11, 30, tzinfo=UTC), cal).date() == date(
        2027, 1, 30
    )


def test_business_day_windows_end_at_close_of_business() -> None:
    cal = BusinessCalendar("America/New_York", holidays=[date(2026, 7, 3)])
    thursday = datetime(2026, 7, 2, 15, tzinfo=UTC)
    due = DueWindow.business_days(1).due(thursday, cal)
    assert due == datetime(2026, 7, 6, 17, tzinfo=ZoneInfo("America/New_York"))


def test_holidays_come_from_the_holidays_package() -> None:
    cal = BusinessCalendar.from_holidays_package(
        "US", subdiv="CA", tz="America/Los_Angeles", years=range(2026, 2027)
    )
    assert not cal.is_business_day(date(2026, 7, 3))  # Independence Day, observed
    assert not cal.is_business_day(date(2026, 12, 25))
    assert cal.is_business_day(date(2026, 7, 6))
    assert cal.add_business_days(date(2026, 7, 2), 1) == date(2026, 7, 6)
    assert cal.name == "US-CA business calendar"


def test_dates_outside_the_holiday_years_are_refused() -> None:
    cal = BusinessCalendar.from_holidays_package("US", tz="UTC", years=range(2026, 2027))
    with pytest.raises(OutsideCalendar, match=r"2026–2026.*2027-01-04"):
        cal.is_business_day(date(2027, 1, 4))
    with pytest.raises(OutsideCalendar):
        cal.add_business_days(date(2026, 12, 30), 5)


def test_missing_holidays_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "holidays", None)
    with pytest.raises(MissingExtra, match=r"casekit\[holidays\]"):
        BusinessCalendar.from_holidays_package("US", tz="UTC", years=range(2026, 2027))


def test_unknown_country_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="'XX'"):
        BusinessCalendar.from_holidays_package("XX", tz="UTC", years=range(2026, 2027))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tz": "Mars/Olympus"}, "time zone 'Mars/Olympus' is unknown"),
        ({"tz": "UTC", "workdays": []}, "at least one weekday"),
        ({"tz": "UTC", "workdays": [7]}, "from 0 \\(Monday\\) to 6"),
        ({"tz": "UTC", "opens": time(17), "closes": time(9)}, "must be after opens"),
    ],
)
def test_invalid_calendars_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_naive_instants_are_refused() -> None:
    cal = BusinessCalendar("UTC")
    with pytest.raises(ValidationError, match="naive"):
        cal.add_business_hours(datetime(2026, 1, 5, 9), timedelta(hours=1))
    with pytest.raises(ValidationError, match="negative"):
        cal.add_business_hours(datetime(2026, 1, 5, 9, tzinfo=UTC), timedelta(hours=-1))


@given(
    st.sampled_from(ZONES),
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 6, 30)),
    st.integers(-120, 120),
)
def test_calendar_day_windows_keep_the_local_wall_clock_time(
    zone: str, wall: datetime, days: int
) -> None:
    tz = ZoneInfo(zone)
    start = wall.replace(tzinfo=tz)
    due_wall = wall + timedelta(days=days)
    # Skip wall times that do not exist (DST gaps) or are ambiguous (DST folds).
    for w in (wall, due_wall):
        a, b = w.replace(tzinfo=tz, fold=0), w.replace(tzinfo=tz, fold=1)
        assume(a.utcoffset() == b.utcoffset())
        assume(a.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == w)
    due = DueWindow.days(days).due(start, BusinessCalendar(zone))
    assert due.astimezone(tz).replace(tzinfo=None) == due_wall


@given(calendars(), DAYS, st.integers(-60, 60))
def test_business_day_windows_end_at_the_close_of_a_business_day(
    cal: BusinessCalendar, day: date, n: int
) -> None:
    start = datetime.combine(day, time(12), tzinfo=cal.tz)
    due = DueWindow.business_days(n).due(start, cal)
    local_day = cal.local_date(due)
    assert cal.is_business_day(local_day)
    assert due == cal.end_of_business_day(local_day)
    assert cal.count_business_days(cal.local_date(start), local_day) == n or n == 0
