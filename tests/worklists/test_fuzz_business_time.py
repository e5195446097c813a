"""The atomicity fuzz over the business-time objects: validate at the door, refuse cleanly.

Same rule and harness as ``tests/testing/test_fuzz_public_api.py``: every call succeeds or
raises a ``CasekitError`` with the object as it was.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from casekit.clock import ManualClock
from casekit.testing import Call, FuzzReport, FuzzTarget
from casekit.testing.fuzz import Operation, constructor
from casekit.worklists import (
    CATEGORY_1,
    DEFAULT_POLICIES,
    Absence,
    AbsenceBook,
    AbsenceRule,
    BusinessCalendar,
    CalendarRegistry,
    Caseload,
    CaseParties,
    Delegate,
    DueWindow,
    HeldWork,
    Pause,
    PauseRule,
    Shift,
    SlaClock,
    SlaPolicy,
    WorkKind,
    place_work,
)

T0 = datetime(2026, 3, 2, 14, tzinfo=UTC)
SHIFTS = {d: [(time(9), time(12)), (time(13), time(17))] for d in range(5)}
CALENDAR = BusinessCalendar.with_shifts("Europe/London", SHIFTS, name="London")
POLICY = SlaPolicy("reply", CATEGORY_1, DueWindow.business_days(3), starts_on="request")
RULE = PauseRule(statuses={"Awaiting client"}, classifications={"On hold"})
CLOCK = SlaClock("C-1", POLICY, T0, RULE, [Pause(T0, "Awaiting client", T0 + timedelta(hours=2))])
PAUSED = CLOCK.pause(T0 + timedelta(hours=3), "Awaiting client")
BOOK = AbsenceBook([Absence("ann", T0, T0 + timedelta(days=5))], {"ann": Delegate.agent("bob")})
REGISTRY = CalendarRegistry(CALENDAR, workers={"bob": CALENDAR})
PARTIES = CaseParties(team="t1", worker="bob", claimant="c1")


def _caseload() -> Caseload:
    load = Caseload(
        calendar=CALENDAR,
        clock=ManualClock(T0),
        policies=DEFAULT_POLICIES,
        calendars=REGISTRY,
    )
    load.assign("c1", "bob", team="t1")
    return load


BUSINESS_TIME: list[FuzzTarget[Any]] = [
    FuzzTarget(
        "BusinessCalendar with shifts",
        lambda: CALENDAR,
        methods=[
            "working_intervals",
            "working_hours",
            "add_business_hours",
            "business_hours_between",
            "end_of_business_day",
        ],
        good_args={
            "working_intervals": Call(date(2026, 3, 2)),
            "working_hours": Call(date(2026, 3, 2)),
            "add_business_hours": Call(T0, timedelta(hours=10)),
            "business_hours_between": Call(T0, T0 + timedelta(days=3)),
            "end_of_business_day": Call(date(2026, 3, 2)),
        },
    ),
    FuzzTarget(
        "SlaClock",
        lambda: CLOCK,
        methods=[
            "pause",
            "observe",
            "with_policy",
            "due",
            "due_if_resumed",
            "held",
            "remaining",
            "is_breached",
            "unpaused_due",
        ],
        good_args={
            "pause": Call(T0 + timedelta(hours=3), "Awaiting client"),
            "observe": Call(T0 + timedelta(hours=3), "Open", "On hold"),
            "with_policy": Call(POLICY),
            "due": Call(CALENDAR),
            "due_if_resumed": Call(CALENDAR, T0 + timedelta(days=1)),
            "held": Call(CALENDAR),
            "remaining": Call(CALENDAR, T0 + timedelta(days=1)),
            "is_breached": Call(CALENDAR, T0 + timedelta(days=1)),
            "unpaused_due": Call(CALENDAR),
        },
    ),
    FuzzTarget(
        "SlaClock (paused)",
        lambda: PAUSED,
        methods=["resume", "held", "remaining"],
        good_args={
            "resume": Call(T0 + timedelta(hours=5)),
            "held": Call(CALENDAR, T0 + timedelta(hours=5)),
            "remaining": Call(CALENDAR, T0 + timedelta(hours=5)),
        },
    ),
    FuzzTarget(
        "AbsenceBook",
        lambda: BOOK,
        methods=[
            "with_absence",
            "without_absence",
            "with_delegation",
            "without_delegation",
            "is_absent",
            "absent_at",
            "resolve",
        ],
        good_args={
            "with_absence": Call(Absence("bob", T0, T0 + timedelta(days=1), "sick")),
            "without_absence": Call(Absence("ann", T0, T0 + timedelta(days=5))),
            "with_delegation": Call("bob", Delegate.queue("triage")),
            "without_delegation": Call("ann"),
            "is_absent": Call("ann", T0),
            "absent_at": Call(T0),
            "resolve": Call("ann", T0),
        },
    ),
    FuzzTarget(
        "CalendarRegistry",
        lambda: REGISTRY,
        methods=["with_calendar", "calendar_for", "for_policy", "escalate_at"],
        good_args={
            "with_calendar": Call("team", "t1", CALENDAR),
            "calendar_for": Call("worker", PARTIES, strict=True),
            "for_policy": Call(POLICY, PARTIES),
            "escalate_at": Call("worker", PARTIES, T0, timedelta(hours=4)),
        },
    ),
    FuzzTarget(
        "Caseload with calendars",
        _caseload,
        methods=["assign", "calendar_for"],
        good_args={
            "assign": Call("c2", "bob", team="t1"),
            "calendar_for": Call(POLICY, "c1"),
        },
    ),
    FuzzTarget(
        "business-time constructors and functions",
        lambda: None,
        methods={
            "Shift": constructor(Shift),
            "BusinessCalendar.with_shifts": Operation(BusinessCalendar.with_shifts),
            "Pause": constructor(Pause),
            "PauseRule": constructor(PauseRule),
            "PauseRule.reason": Operation(RULE.reason),
            "SlaClock": constructor(SlaClock),
            "Absence": constructor(Absence),
            "Delegate": constructor(Delegate),
            "AbsenceBook": constructor(AbsenceBook),
            "AbsenceRule": constructor(AbsenceRule),
            "AbsenceRule.for_kind": Operation(AbsenceRule().for_kind),
            "HeldWork": constructor(HeldWork),
            "place_work": Operation(place_work),
            "CaseParties": constructor(CaseParties),
            "CaseParties.of": Operation(PARTIES.of),
            "CalendarRegistry": constructor(CalendarRegistry),
        },
        good_args={
            "Shift": Call(time(9), time(12)),
            "BusinessCalendar.with_shifts": Call("Europe/London", SHIFTS, name="London"),
            "Pause": Call(T0, "Awaiting client", T0 + timedelta(hours=1)),
            "PauseRule": Call({"Awaiting client"}, {"On hold"}),
            "PauseRule.reason": Call("Open", "On hold"),
            "SlaClock": Call("C-2", POLICY, T0, RULE, [Pause(T0, "Awaiting client")]),
            "Absence": Call("ann", T0, T0 + timedelta(days=1), "sick"),
            "Delegate": Call("queue", "triage"),
            "AbsenceBook": Call(
                [Absence("ann", T0, T0 + timedelta(days=1))], {"ann": Delegate.agent("bob")}
            ),
            "AbsenceRule": Call("keep", "redirect"),
            "AbsenceRule.for_kind": Call(WorkKind.TASK),
            "HeldWork": Call("T-1", "ann", "task", "intake"),
            "place_work": Call([HeldWork("T-1", "ann", "task", "intake")], BOOK, AbsenceRule(), T0),
            "CaseParties": Call(team="t1", worker="w1", claimant="c1"),
            "CaseParties.of": Call("claimant"),
            "CalendarRegistry": Call(CALENDAR, teams={"t1": CALENDAR}),
        },
    ),
]


@pytest.mark.parametrize("target", BUSINESS_TIME, ids=lambda t: t.name)
def test_business_time_validates_at_the_door(
    target: FuzzTarget[Any], fuzz_reports: list[FuzzReport]
) -> None:
    """Rule: every call succeeds or raises a CasekitError with nothing changed."""
    report = target.run(seed=0, max_calls=200)
    fuzz_reports.append(report)
    assert report.tried > 0, report
    report.assert_clean(allow_suspect=False)
