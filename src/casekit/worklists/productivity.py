"""Productivity: contacts and attempts against goals, and the daily contact planner.

The job aid's goals (domain brief §4): 40 successful contacts a week (8 a day); failing that,
20 outreach attempts a day and at least 100 calls a week. A day is *on goal* when the worker
made 8 successful contacts or, failing that, 20 attempts. A week is on goal when it reached
40 contacts, or 100 calls (contacts and attempts together: every call counts toward "at
least 100 calls a week").

The planner derives the daily target from the caseload: ``ceil(clients / workdays in one
cadence period)``. The job aid's example: 350 clients, each reached every 60 days, 44 workdays
in those 60 days: 350 / 44 = 7.95, rounded **up** to 8 a day (rounding down would leave
clients unreached at the end of the period).

Days and weeks are local to the business calendar; weeks run Monday to Sunday.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from fractions import Fraction

import attrs

from casekit.checks import attrs_check, check_date, check_id, check_instance, check_int
from casekit.errors import ValidationError
from casekit.worklists.calendar import BusinessCalendar
from casekit.worklists.outreach import OutreachLog, Tally
from casekit.worklists.sla import DueWindow, WindowUnit

__all__ = [
    "DEFAULT_GOALS",
    "SIXTY_DAYS",
    "ContactPlan",
    "DayProgress",
    "Goals",
    "WeekProgress",
    "day_progress",
    "plan_daily_contacts",
    "week_progress",
]


_CADENCE_UNITS = frozenset({WindowUnit.CALENDAR_DAYS, WindowUnit.CALENDAR_MONTHS})


_GOAL = attrs_check(check_int, minimum=0, maximum=10**6)


@attrs.frozen
class Goals:
    """Production goals per worker.

    Args:
        contacts_per_day: Successful contacts a day (8).
        contacts_per_week: Successful contacts a week (40).
        attempts_per_day: Unsuccessful attempts a day when the contact goal is missed (20).
        calls_per_week: Calls (contacts and attempts) a week when the contact goal is missed
            (100).
    """

    contacts_per_day: int = attrs.field(default=8, validator=_GOAL)
    contacts_per_week: int = attrs.field(default=40, validator=_GOAL)
    attempts_per_day: int = attrs.field(default=20, validator=_GOAL)
    calls_per_week: int = attrs.field(default=100, validator=_GOAL)


DEFAULT_GOALS = Goals()
"""The job aid's goals: 8 contacts a day, 40 a week; else 20 attempts a day, 100 calls a week."""


@attrs.frozen
class DayProgress:
    """One worker's day against the goals."""

    worker_id: str = attrs.field(validator=attrs_check(check_id))
    day: date = attrs.field(validator=attrs_check(check_date))
    tally: Tally = attrs.field(validator=attrs_check(check_instance, kind=Tally))
    goals: Goals = attrs.field(validator=attrs_check(check_instance, kind=Goals))

    @property
    def contacts_met(self) -> bool:
        """Whether the day reached the successful-contact goal."""
        return self.tally.contacts >= self.goals.contacts_per_day

    @property
    def attempts_met(self) -> bool:
        """Whether the day reached the fallback attempts goal."""
        return self.tally.attempts >= self.goals.attempts_per_day

    @property
    def on_goal(self) -> bool:
        """Contacts met or, failing that, attempts met."""
        return self.contacts_met or self.attempts_met

    @property
    def contacts_short(self) -> int:
        """Contacts still needed to meet the day's goal (0 when met)."""
        return max(self.goals.contacts_per_day - self.tally.contacts, 0)


@attrs.frozen
class WeekProgress:
    """One worker's week (Monday to Sunday) against the goals, possibly still in progress."""

    worker_id: str = attrs.field(validator=attrs_check(check_id))
    monday: date = attrs.field(validator=attrs_check(check_date))
    tally: Tally = attrs.field(validator=attrs_check(check_instance, kind=Tally))
    goals: Goals = attrs.field(validator=attrs_check(check_instance, kind=Goals))
    workdays: int = attrs.field(validator=attrs_check(check_int, minimum=0, maximum=7))
    workdays_elapsed: int = attrs.field(validator=attrs_check(check_int, minimum=0, maximum=7))

    @property
    def contacts_met(self) -> bool:
        """Whether the week reached the successful-contact goal."""
        return self.tally.contacts >= self.goals.contacts_per_week

    @property
    def calls_met(self) -> bool:
        """Whether the week reached the fallback calls goal."""
        return self.tally.calls >= self.goals.calls_per_week

    @property
    def on_goal(self) -> bool:
        """Contacts met or, failing that, calls met."""
        return self.contacts_met or self.calls_met

    @property
    def on_track(self) -> bool:
        """Whether the week so far keeps pace: goals pro-rated to the workdays elapsed.

        The pace is ``goal × elapsed / workdays`` for contacts, else for calls; a week with
        no workdays is on track.
        """
        if self.workdays == 0:
            return True
        share = Fraction(self.workdays_elapsed, self.workdays)
        return (
            self.tally.contacts >= self.goals.contacts_per_week * share
            or self.tally.calls >= self.goals.calls_per_week * share
        )


def _local_midnight(calendar: BusinessCalendar, day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=calendar.tz)


def _progress_args(
    log: object, worker_id: object, day: object, calendar: object, goals: object
) -> tuple[OutreachLog, str, date, BusinessCalendar, Goals]:
    """Check the arguments of [`day_progress`][] and [`week_progress`][]."""
    checked_day = check_date(day, what="progress day")
    if not date.min < checked_day < date.max:
        raise ValidationError(f"progress day {checked_day} has no week around it")
    return (
        check_instance(log, OutreachLog, what="outreach log"),
        check_id(worker_id, what="worker id"),
        checked_day,
        check_instance(calendar, BusinessCalendar, what="calendar"),
        check_instance(goals, Goals, what="goals"),
    )


def day_progress(
    log: OutreachLog,
    worker_id: str,
    day: date,
    calendar: BusinessCalendar,
    goals: Goals = DEFAULT_GOALS,
) -> DayProgress:
    """Return a worker's contacts and attempts on a local day, against the goals. O(log m).

    Raises:
        ValidationError: An argument of the wrong type, or a day at the end of the calendar.
        OutsideCalendar: The day is outside the calendar's holiday years.
    """
    log, worker_id, day, calendar, goals = _progress_args(log, worker_id, day, calendar, goals)
    tally = log.count(
        worker_id,
        _local_midnight(calendar, day),
        _local_midnight(calendar, day + timedelta(days=1)),
    )
    return DayProgress(worker_id, day, tally, goals)


def week_progress(
    log: OutreachLog,
    worker_id: str,
    day: date,
    calendar: BusinessCalendar,
    goals: Goals = DEFAULT_GOALS,
) -> WeekProgress:
    """Return a worker's Monday-to-Sunday week containing ``day``, up to and including ``day``.

    ``workdays`` are the week's business days; ``workdays_elapsed`` those up to ``day``.
    O(log m).

    Raises:
        ValidationError: An argument of the wrong type, or a day in the first or last week of
            the calendar.
        OutsideCalendar: The week is outside the calendar's holiday years.
    """
    log, worker_id, day, calendar, goals = _progress_args(log, worker_id, day, calendar, goals)
    if not date(1, 1, 9) <= day <= date(9999, 12, 23):
        raise ValidationError(f"progress day {day} has no whole week around it")
    monday = day - timedelta(days=day.weekday())
    tally = log.count(
        worker_id,
        _local_midnight(calendar, monday),
        _local_midnight(calendar, day + timedelta(days=1)),
    )
    sunday_before = monday - timedelta(days=1)
    workdays = calendar.count_business_days(sunday_before, monday + timedelta(days=6))
    elapsed = calendar.count_business_days(sunday_before, day)
    return WeekProgress(worker_id, monday, tally, goals, workdays, elapsed)


@attrs.frozen
class ContactPlan:
    """The daily contact target a caseload needs.

    Attributes:
        clients: Caseload size.
        start: First day of the cadence period.
        end: Day after the last day of the period.
        workdays: Business days in ``[start, end)``.
        exact: ``clients / workdays`` as a fraction.
        per_day: ``ceil(exact)``: the daily target.
    """

    clients: int = attrs.field(validator=attrs_check(check_int, minimum=0))
    start: date = attrs.field(validator=attrs_check(check_date))
    end: date = attrs.field(validator=attrs_check(check_date))
    workdays: int = attrs.field(validator=attrs_check(check_int, minimum=0))
    exact: Fraction = attrs.field(validator=attrs_check(check_instance, kind=Fraction))
    per_day: int = attrs.field(validator=attrs_check(check_int, minimum=0))

    @property
    def per_week(self) -> int:
        """The daily target times 5 working days."""
        return self.per_day * 5


SIXTY_DAYS = DueWindow.days(60)
"""The job aid's cadence: every client reached every 60 days on average."""


def plan_daily_contacts(
    clients: int,
    calendar: BusinessCalendar,
    start: date,
    cadence: DueWindow = SIXTY_DAYS,
) -> ContactPlan:
    """Derive the daily contact target: every client reached once per cadence period.

    ``per_day = ceil(clients / workdays)``, where ``workdays`` are the calendar's business
    days in ``[start, start + cadence)``. The job aid's example (350 clients, 60 days from
    Monday 2 March 2026, 44 workdays) gives ceil(7.95) = 8. O(log H).

    Args:
        clients: Caseload size (>= 0).
        calendar: Whose business days count.
        start: The first day of the period.
        cadence: How often each client is reached: calendar days or months.

    Raises:
        ValidationError: On a negative caseload, a cadence not in calendar days or months,
            or a period without a business day.
    """
    clients = check_int(clients, what="caseload size", minimum=0, maximum=10**9)
    check_instance(calendar, BusinessCalendar, what="calendar of a contact plan")
    check_date(start, what="start of a contact plan")
    if not date.min < start < date.max:
        raise ValidationError(f"a contact plan cannot start on {start}, the edge of the calendar")
    check_instance(cadence, DueWindow, what="cadence of a contact plan")
    anchor = _local_midnight(calendar, start)
    if cadence.amount <= 0 or cadence.unit not in _CADENCE_UNITS:
        raise ValidationError(
            f"cadence {cadence} is not a positive number of calendar days or months; "
            "use DueWindow.days(60) or DueWindow.months(2)"
        )
    end = cadence.due(anchor, calendar).astimezone(calendar.tz).date()
    workdays = calendar.count_business_days(start - timedelta(days=1), end - timedelta(days=1))
    if workdays == 0:
        raise ValidationError(
            f"{calendar.name} has no business day from {start.isoformat()} to "
            f"{end.isoformat()}; a daily target needs at least one"
        )
    exact = Fraction(clients, workdays)
    return ContactPlan(clients, start, end, workdays, exact, math.ceil(exact))
