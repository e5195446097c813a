"""SLA clocks that pause: due dates from the pause ledger in business time.

Two oracles: numpy's business-day functions for whole-day holds (a paused day is a holiday
to ``numpy.busday_offset``), and a 15-minute walk over local wall-clock time for partial
holds on a split-shift calendar across DST changes in three time zones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from casekit.errors import ValidationError
from casekit.worklists import (
    CATEGORY_1,
    BusinessCalendar,
    DueWindow,
    Pause,
    PauseRule,
    SlaClock,
    SlaPolicy,
)

AWAITING = "Awaiting client"
RULE = PauseRule(statuses={AWAITING, "Awaiting documents"}, classifications={"On hold"})
LONDON = BusinessCalendar("Europe/London", name="London office")
SLOT = timedelta(minutes=15)
DST_ZONES = {
    "Europe/London": date(2026, 3, 29),
    "America/New_York": date(2026, 11, 1),
    "Australia/Sydney": date(2026, 10, 4),
}
SPLIT = {d: [(time(9), time(12)), (time(13), time(17))] for d in range(5)} | {
    6: [(time(0), time(5))]  # a Sunday night shift, across each zone's DST change
}


def policy(window: DueWindow, name: str = "respond") -> SlaPolicy:
    return SlaPolicy(name, CATEGORY_1, window, starts_on="request")


def at(day: date, hour: int, minute: int = 0, tz: str = "Europe/London") -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(UTC)


MONDAY = date(2026, 6, 1)


# ----------------------------------------------------------------- oracles


@st.composite
def whole_day_cases(draw: st.DrawFn) -> tuple[BusinessCalendar, SlaClock, date]:
    workdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start_day = draw(st.dates(date(2026, 1, 1), date(2026, 12, 31)))
    days = st.dates(start_day + timedelta(days=1), start_day + timedelta(days=60))
    holidays = draw(st.frozensets(days, max_size=8))
    paused = sorted(draw(st.frozensets(days, max_size=12)))
    tz = draw(st.sampled_from(sorted(DST_ZONES)))
    cal = BusinessCalendar(tz, workdays=workdays, holidays=holidays)
    started = at(start_day, draw(st.integers(0, 23)), draw(st.integers(0, 59)), tz)
    pauses = [Pause(at(d, 0, tz=tz), AWAITING, at(d + timedelta(days=1), 0, tz=tz)) for d in paused]
    n = draw(st.integers(1, 15))
    clock = SlaClock("C-1", policy(DueWindow.business_days(n)), started, RULE, pauses)
    weekmask = "".join("1" if d in workdays else "0" for d in range(7))
    # numpy oracle: a day on hold counts like a holiday.
    due_day = np.busday_offset(
        np.datetime64(start_day + timedelta(days=1)),
        n - 1,
        roll="forward",
        weekmask=weekmask,
        holidays=sorted({*holidays, *paused}),
    )
    return cal, clock, due_day.astype(date)


@given(whole_day_cases())
def test_whole_day_holds_match_numpy_busday_offset(
    case: tuple[BusinessCalendar, SlaClock, date],
) -> None:
    cal, clock, due_day = case
    assert clock.due(cal) == cal.end_of_business_day(due_day)
    # And the hold is what numpy counts: whole paused business days before the due date.
    weekmask = "".join("1" if d in cal.workdays else "0" for d in range(7))
    held_days = [p.started.astimezone(cal.tz).date() for p in clock.pauses]
    held_before = int(
        np.busday_count(
            [d for d in held_days if d <= due_day] or [due_day],
            [d + timedelta(days=1) for d in held_days if d <= due_day] or [due_day],
            weekmask=weekmask,
            holidays=sorted(cal.holidays),
        ).sum()
    )
    assert clock.held(cal) >= (cal.closes.hour - cal.opens.hour) * timedelta(hours=held_before)


def _is_work(cal: BusinessCalendar, moment: datetime) -> bool:
    local = moment.astimezone(cal.tz)
    if not cal.is_business_day(local.date()):
        return False
    assert cal.shifts is not None
    wall = local.time().replace(tzinfo=None)
    return any(s.opens <= wall < s.closes for s in cal.shifts[local.weekday()])


def slot_walk_due(cal: BusinessCalendar, clock: SlaClock) -> datetime:
    """Reference: walk 15-minute slots in local wall-clock time, skipping holds."""

    def held(t: datetime) -> bool:
        return any(p.started <= t and p.ended is not None and t < p.ended for p in clock.pauses)

    base = clock.policy.window.due(clock.started, cal)
    owed = 0
    t = clock.started
    while t < base:
        owed += _is_work(cal, t) and held(t)
        t += SLOT
    t = base
    while owed:
        if _is_work(cal, t) and not held(t):
            owed -= 1
        t += SLOT
    return t


@st.composite
def partial_hold_cases(draw: st.DrawFn) -> tuple[BusinessCalendar, SlaClock]:
    tz = draw(st.sampled_from(sorted(DST_ZONES)))
    cal = BusinessCalendar.with_shifts(tz, SPLIT)
    origin = at(DST_ZONES[tz] - timedelta(days=4), 0, tz=tz)
    started = origin + SLOT * draw(st.integers(0, 4 * 24 * 4))
    window = draw(
        st.one_of(
            st.integers(1, 72).map(DueWindow.hours),
            st.integers(1, 4).map(DueWindow.business_days),
        )
    )
    cursor = started
    pauses = []
    for gap, length in draw(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 200)))):
        begin = cursor + SLOT * gap
        cursor = begin + SLOT * length
        pauses.append(Pause(begin, AWAITING, cursor))
    return cal, SlaClock("C-2", policy(window), started, RULE, pauses)


@given(partial_hold_cases())
def test_partial_holds_across_dst_match_a_slot_walk(
    case: tuple[BusinessCalendar, SlaClock],
) -> None:
    cal, clock = case
    assert clock.due(cal) == slot_walk_due(cal, clock)


@given(partial_hold_cases(), st.integers(0, 2000))
def test_remaining_stands_still_while_paused(
    case: tuple[BusinessCalendar, SlaClock], later: int
) -> None:
    cal, clock = case
    begin = (clock.pauses[-1].ended if clock.pauses else clock.started) + SLOT
    paused = clock.pause(begin, AWAITING)
    assert paused.due(cal) is None
    assert paused.remaining(cal, begin) == paused.remaining(cal, begin + SLOT * later)
    assert paused.remaining(cal, begin) == clock.remaining(cal, begin)


# ------------------------------------------------------- the known bugs


def test_regression_sla_does_not_tick_while_shown_paused() -> None:
    clock = SlaClock("C-3", policy(DueWindow.hours(48)), at(MONDAY, 10), RULE)
    clock = clock.observe(at(MONDAY, 11), AWAITING)
    assert clock.is_paused
    assert clock.due(LONDON) is None
    left = clock.remaining(LONDON, at(MONDAY, 11))
    for later in (at(MONDAY, 16), at(MONDAY + timedelta(days=1), 12), at(MONDAY, 23)):
        assert clock.remaining(LONDON, later) == left
    # 40 days on hold, yet not breached: it was paused before its due date.
    assert not clock.is_breached(LONDON, at(MONDAY + timedelta(days=40), 12))


def test_regression_changing_the_policy_keeps_the_pauses() -> None:
    clock = SlaClock("C-4", policy(DueWindow.business_days(2)), at(MONDAY, 10), RULE)
    clock = clock.pause(at(MONDAY, 13), AWAITING).resume(at(MONDAY, 15))
    changed = clock.with_policy(policy(DueWindow.business_days(5), "respond-longer"))
    assert changed.pauses == clock.pauses
    assert changed.held(LONDON) == timedelta(hours=2)
    # Due at the close of day 5 (Monday 8th, 17:00) plus the 2 hours held: Tuesday 11:00.
    assert changed.due(LONDON) == at(MONDAY + timedelta(days=8), 11)


def test_regression_hold_time_is_not_added_to_the_start() -> None:
    start = at(MONDAY, 10)
    clock = SlaClock("C-5", policy(DueWindow.hours(4)), start, RULE)
    clock = clock.pause(at(MONDAY, 11), AWAITING).resume(at(MONDAY, 12))
    assert clock.started == start
    # Due 14:00 unpaused; the hour held pushes the end to 15:00: the start stays put.
    assert clock.unpaused_due(LONDON) == at(MONDAY, 14)
    assert clock.due(LONDON) == at(MONDAY, 15)


def test_regression_off_hours_holds_are_not_counted_twice() -> None:
    friday = MONDAY + timedelta(days=4)
    clock = SlaClock("C-6", policy(DueWindow.business_days(3)), at(friday, 10), RULE)
    # On hold from Friday 16:00 over the weekend to Monday 10:00: 2 business hours, once.
    clock = clock.observe(at(friday, 16), AWAITING)
    clock = clock.observe(at(friday, 18), "Awaiting documents")  # still the one pause
    clock = clock.observe(at(friday + timedelta(days=1), 9), "Open", classification="On hold")
    clock = clock.observe(at(friday + timedelta(days=3), 10), "Open")
    assert len(clock.pauses) == 1
    assert clock.held(LONDON) == timedelta(hours=2)
    # Unpaused: Wednesday 17:00; plus 2 business hours: Thursday 11:00.
    assert clock.due(LONDON) == at(friday + timedelta(days=6), 11)


# ---------------------------------------------------------- the door


def test_a_refused_call_changes_nothing() -> None:
    clock = SlaClock("C-7", policy(DueWindow.hours(8)), at(MONDAY, 10), RULE)
    paused = clock.pause(at(MONDAY, 11), AWAITING)
    with pytest.raises(ValidationError, match=r"'respond' of C-7 is already paused"):
        paused.pause(at(MONDAY, 12), "other")
    with pytest.raises(ValidationError, match="is not paused; only a paused clock can resume"):
        clock.resume(at(MONDAY, 12))
    with pytest.raises(ValidationError, match="starts before"):
        clock.pause(at(MONDAY, 9), AWAITING)
    with pytest.raises(ValidationError, match="give an end after its start"):
        paused.resume(at(MONDAY, 10))
    with pytest.raises(ValidationError, match="give now="):
        paused.held(LONDON)
    with pytest.raises(ValidationError, match="before its open pause"):
        paused.remaining(LONDON, at(MONDAY, 10))
    with pytest.raises(ValidationError, match="must be a BusinessCalendar"):
        clock.due("London")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="naive"):
        clock.pause(datetime(2026, 6, 1, 12), AWAITING)
    assert paused.pauses == (Pause(at(MONDAY, 11), AWAITING),)
    assert clock.pauses == ()


def test_the_ledger_is_validated() -> None:
    start = at(MONDAY, 10)
    with pytest.raises(ValidationError, match="only the last pause may be open"):
        SlaClock(
            "C-8",
            policy(DueWindow.hours(8)),
            start,
            pauses=[Pause(at(MONDAY, 11), AWAITING), Pause(at(MONDAY, 12), AWAITING)],
        )
    with pytest.raises(ValidationError, match="may not overlap"):
        SlaClock(
            "C-8",
            policy(DueWindow.hours(8)),
            start,
            pauses=[
                Pause(at(MONDAY, 11), AWAITING, at(MONDAY, 13)),
                Pause(at(MONDAY, 12), AWAITING, at(MONDAY, 14)),
            ],
        )
    with pytest.raises(ValidationError, match=r"PauseRule\.statuses"):
        PauseRule(statuses=[""])
    assert RULE.reason("Open", "On hold") == "On hold"
    assert RULE.reason(AWAITING, "On hold") == AWAITING
    assert RULE.reason("Open") is None


class PauseLedgerMachine(RuleBasedStateMachine):
    """Random status changes: the ledger stays ordered, and the due date is the oracle's."""

    def __init__(self) -> None:
        super().__init__()
        self.cal = BusinessCalendar.with_shifts("America/New_York", SPLIT)
        start = at(DST_ZONES["America/New_York"] - timedelta(days=3), 10, tz="America/New_York")
        self.now = start
        self.clock = SlaClock("C-9", policy(DueWindow.business_days(3)), start, RULE)

    @rule(
        slots=st.integers(1, 3 * 24 * 4),
        status=st.sampled_from([AWAITING, "Awaiting documents", "In Progress", "Open"]),
        classification=st.sampled_from([None, "On hold", "Benefits"]),
    )
    def status_changes(self, slots: int, status: str, classification: str | None) -> None:
        self.now += SLOT * slots
        before = self.clock
        self.clock = self.clock.observe(self.now, status, classification)
        assert self.clock.is_paused == (RULE.reason(status, classification) is not None)
        if before.is_paused and self.clock.is_paused:
            assert self.clock is before  # one pause, never two at once

    @rule(slots=st.integers(1, 3 * 24 * 4))
    def time_passes(self, slots: int) -> None:
        later = self.now + SLOT * slots
        if self.clock.is_paused:
            assert self.clock.remaining(self.cal, later) == self.clock.remaining(self.cal, self.now)
        self.now = later

    @invariant()
    def due_matches_the_slot_walk(self) -> None:
        if self.clock.is_paused:
            assert self.clock.due(self.cal) is None
            return
        # Every step is a whole number of slots, so the 15-minute walk is exact.
        assert self.clock.due(self.cal) == slot_walk_due(self.cal, self.clock)


PauseLedgerMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=12)
TestPauseLedger = PauseLedgerMachine.TestCase


def test_status_changes_out_of_order_and_before_the_start() -> None:
    clock = SlaClock("C-10", policy(DueWindow.hours(8)), at(MONDAY, 10), RULE)
    clock = clock.observe(at(MONDAY, 12), AWAITING)
    with pytest.raises(ValidationError, match="earlier than its ledger's last entry"):
        clock.observe(at(MONDAY, 11), AWAITING)  # a no-op, but out of order all the same
    running = SlaClock("C-10", policy(DueWindow.hours(4)), at(MONDAY, 10), RULE)
    # Before the start the whole window is left: 10:00-14:00 is 4 business hours.
    assert running.remaining(LONDON, at(MONDAY, 8)) == timedelta(hours=4)


# ----------------------------------------------------------------- the memo


OTHER = BusinessCalendar("America/New_York", name="New York office")


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(1, 60 * 30), st.sampled_from(["step", "branch", "ask"])),
        min_size=1,
        max_size=25,
    ),
    hours=st.integers(1, 80),
)
def test_a_clock_derived_many_times_is_due_when_a_fresh_one_is(
    steps: list[tuple[int, str]], hours: int
) -> None:
    """Clocks share what their due dates took (D0, time held before it) with the clocks they
    derive: paused and resumed again and again, branching (two clocks derived from one),
    asked on two calendars, each is due exactly when a fresh clock with its ledger is."""
    clock = SlaClock("C-1", policy(DueWindow.hours(hours)), at(MONDAY, 10), RULE)
    moment = clock.started
    branches = [clock]
    for minutes, what in steps:
        moment += timedelta(minutes=minutes)
        status = "In progress" if clock.is_paused else AWAITING
        derived = clock.observe(moment, status)
        if what == "branch":  # a sibling from the same parent, asked first
            sibling = clock.observe(moment + timedelta(minutes=1), status)
            branches.append(sibling)
            sibling.due_if_resumed(LONDON, moment + timedelta(minutes=2))
        clock = derived
        branches.append(clock)
        for one in (branches[0], branches[len(branches) // 2], clock):
            fresh = SlaClock(one.case_id, one.policy, one.started, one.rule, one.pauses)
            later = moment + timedelta(minutes=5)
            for calendar in (LONDON, OTHER) if what == "ask" else (LONDON,):
                assert one.due(calendar) == fresh.due(calendar)
                assert one.due_if_resumed(calendar, later) == fresh.due_if_resumed(calendar, later)
