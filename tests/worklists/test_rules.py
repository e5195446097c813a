"""Every rule of domain brief §4 (seed 003, the caseload job aid), one test each, by name.

The default policy set must express each rule; ``test_every_default_policy_is_tested_here``
keeps this module and :data:`DEFAULT_POLICIES` in step.
"""

from __future__ import annotations

import pathlib
from datetime import UTC, date, datetime, timedelta

import pytest

from casekit.clock import ManualClock
from casekit.errors import NotFound, ValidationError
from casekit.priority import Priority
from casekit.worklists import (
    CATEGORY_1,
    CATEGORY_2,
    CATEGORY_3,
    DEFAULT_CATEGORIES,
    DEFAULT_POLICIES,
    LOW,
    MEDIUM,
    BusinessCalendar,
    Caseload,
    DueWindow,
    Outcome,
    OutreachLog,
    Signal,
    SlaEvent,
    day_progress,
    plan_daily_contacts,
    week_progress,
)
from casekit.worklists.outreach import ContactRecord

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
CAL = BusinessCalendar("UTC", name="test calendar")


def caseload(clients: tuple[str, ...] = ("c1",)) -> tuple[Caseload, ManualClock]:
    clock = ManualClock(MONDAY)
    load = Caseload(calendar=CAL, clock=clock)
    for client in clients:
        load.assign(client, "w1")
    return load, clock


def open_policies(load: Caseload, client: str = "c1") -> dict[str, datetime]:
    return {i.policy.name: i.due for i in load.worklists.for_client(client)}


def event(kind: str, at: datetime = MONDAY, client: str = "c1", **kw: object) -> SlaEvent:
    return SlaEvent(kind, client, at, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ categories


def test_categories_high_1_2_3_then_medium_then_low() -> None:
    assert [c.name for c in sorted(DEFAULT_CATEGORIES, key=lambda c: c.rank)] == [
        "High #1",
        "High #2",
        "High #3",
        "Medium",
        "Low",
    ]
    assert CATEGORY_1.priority is CATEGORY_2.priority is CATEGORY_3.priority is Priority.HIGH
    assert MEDIUM.priority is Priority.NORMAL
    assert LOW.priority is Priority.LOW


# ------------------------------------------------------------------ category 1


def test_category_1_high_risk_event_first_outreach_attempt_within_72_hours() -> None:
    load, _ = caseload()
    load.record(event(Signal.HIGH_RISK_EVENT))
    item = load.worklists.get(("c1", "high-risk-event"))
    assert item.category is CATEGORY_1
    assert item.due == MONDAY + timedelta(hours=72)
    changes = load.log_outreach("c1", Outcome.LEFT_MESSAGE, at=MONDAY + timedelta(hours=5))
    assert [i.policy.name for i in changes.satisfied] == ["high-risk-event"]
    assert "high-risk-event" not in open_policies(load)


def test_category_1_return_incoming_calls_and_messages_within_72_hours() -> None:
    load, _ = caseload()
    load.record(event(Signal.INCOMING_MESSAGE))
    assert open_policies(load)["return-incoming"] == MONDAY + timedelta(hours=72)
    load.log_outreach("c1", Outcome.CALL_BACK_LATER, at=MONDAY + timedelta(hours=1))
    assert "return-incoming" not in open_policies(load)


# ------------------------------------------------------------------ category 2


def test_category_2_new_client_outreach_starts_within_7_days_of_entering_caseload() -> None:
    load, _ = caseload()
    load.record(event(Signal.ENTERED_CASELOAD))
    item = load.worklists.get(("c1", "new-client-outreach"))
    assert item.category is CATEGORY_2
    assert item.due == MONDAY + timedelta(days=7)


def test_category_2_outreach_continues_until_engaged_then_maintenance() -> None:
    load, _ = caseload()
    load.record(event(Signal.ENTERED_CASELOAD))
    attempt = MONDAY + timedelta(days=2)
    changes = load.log_outreach("c1", Outcome.LEFT_MESSAGE, at=attempt)
    assert [i.due for i in changes.renewed] == [attempt + timedelta(days=7)]
    contact = MONDAY + timedelta(days=5)
    changes = load.log_outreach("c1", Outcome.SUCCESSFUL_CONTACT, at=contact)
    assert [i.policy.name for i in changes.satisfied] == ["new-client-outreach"]
    assert open_policies(load) == {"maintenance": contact + timedelta(days=60)}


def test_category_2_outreach_continues_until_disenrolled() -> None:
    load, _ = caseload()
    load.record(event(Signal.ENTERED_CASELOAD))
    changes = load.record(event(Signal.DISENROLLED, MONDAY + timedelta(days=3)))
    assert [i.policy.name for i in changes.stopped] == ["new-client-outreach"]
    assert open_policies(load) == {}


def test_category_2_client_immediate_request_within_7_days() -> None:
    load, _ = caseload()
    load.record(event(Signal.CLIENT_REQUEST))
    assert open_policies(load)["client-request"] == MONDAY + timedelta(days=7)
    load.record(event(Signal.REQUEST_ADDRESSED, MONDAY + timedelta(days=1)))
    assert "client-request" not in open_policies(load)


def test_category_2_care_coordination_contact_provider_within_a_week() -> None:
    load, _ = caseload()
    load.record(event(Signal.PROVIDER_REACHED_OUT))
    assert open_policies(load)["care-coordination"] == MONDAY + timedelta(weeks=1)
    load.record(event(Signal.PROVIDER_CONTACTED, MONDAY + timedelta(days=6)))
    assert "care-coordination" not in open_policies(load)


# ------------------------------------------------------------------ category 3


def test_category_3_consult_submit_within_first_week_the_need_is_identified() -> None:
    load, _ = caseload()
    load.record(event(Signal.CONSULT_NEEDED))
    item = load.worklists.get(("c1", "consult-submit"))
    assert item.category is CATEGORY_3
    assert item.due == MONDAY + timedelta(weeks=1)


def test_category_3_consult_allow_3_weeks_then_follow_up_within_2_weeks() -> None:
    load, _ = caseload()
    load.record(event(Signal.CONSULT_NEEDED))
    submitted = MONDAY + timedelta(days=3)
    load.record(event(Signal.CONSULT_SUBMITTED, submitted))
    assert open_policies(load) == {"consult-completion": submitted + timedelta(weeks=3)}
    completed = submitted + timedelta(days=18)
    load.record(event(Signal.CONSULT_COMPLETED, completed))
    assert open_policies(load) == {"consult-follow-up": completed + timedelta(weeks=2)}
    load.record(event(Signal.CONSULT_FOLLOWED_UP, completed + timedelta(days=9)))
    assert open_policies(load) == {}


def test_category_3_transferred_in_client_gets_a_next_outreach_date() -> None:
    load, _ = caseload()
    load.record(event(Signal.TRANSFERRED_IN, flags={"prior_outreach"}))
    assert open_policies(load) == {"transfer-in": MONDAY + timedelta(weeks=7)}
    assert load.next_outreach("c1") == MONDAY + timedelta(weeks=7)
    assert load.worklists.get(("c1", "transfer-in")).category is CATEGORY_3


def test_transfer_with_no_outreach_yet_is_treated_as_a_new_client() -> None:
    load, _ = caseload(("c1", "c2"))
    load.record(event(Signal.TRANSFERRED_IN))
    assert open_policies(load) == {"new-client-outreach": MONDAY + timedelta(days=7)}
    # Outreach recorded in this caseload counts as prior outreach too.
    load.log_outreach("c2", Outcome.NO_ANSWER, at=MONDAY)
    load.record(event(Signal.TRANSFERRED_IN, MONDAY + timedelta(hours=1), client="c2"))
    assert set(open_policies(load, "c2")) == {"transfer-in"}


def test_category_3_insurance_status_act_before_coverage_lapses() -> None:
    load, _ = caseload()
    lapse = datetime(2026, 4, 1, tzinfo=UTC)
    load.record(event(Signal.COVERAGE_LAPSE_NOTICE, reference=lapse))
    assert open_policies(load) == {"coverage-lapse": lapse}
    load.record(event(Signal.COVERAGE_ACTION_TAKEN, MONDAY + timedelta(days=10)))
    assert open_policies(load) == {}


def test_category_3_disenrolment_request_as_soon_as_possible() -> None:
    load, _ = caseload()
    friday = MONDAY + timedelta(days=4)
    load.record(event(Signal.DISENROLMENT_REQUESTED, friday))
    # Next business day, at close of business: Monday 17:00.
    assert open_policies(load) == {"disenrolment-request": datetime(2026, 3, 9, 17, tzinfo=UTC)}


# ------------------------------------------------------------------ medium


def test_medium_maintenance_engaged_clients_every_60_days() -> None:
    load, _ = caseload()
    load.record(event(Signal.ENTERED_MAINTENANCE))
    item = load.worklists.get(("c1", "maintenance"))
    assert item.category is MEDIUM
    assert item.due == MONDAY + timedelta(days=60)
    contact = MONDAY + timedelta(days=50)
    load.log_outreach("c1", Outcome.SUCCESSFUL_CONTACT, at=contact)
    assert open_policies(load) == {"maintenance": contact + timedelta(days=60)}
    # An unsuccessful attempt does not reset an engaged client's 60 days.
    load.log_outreach("c1", Outcome.LEFT_MESSAGE, at=contact + timedelta(days=1))
    assert open_policies(load) == {"maintenance": contact + timedelta(days=60)}


def test_medium_discharge_workflow_starts_2_months_before_the_discharge_date() -> None:
    load, _ = caseload()
    discharge = datetime(2026, 8, 31, 12, tzinfo=UTC)
    load.record(event(Signal.DISCHARGE_SCHEDULED, reference=discharge))
    item = load.worklists.get(("c1", "discharge-workflow"))
    assert item.category is MEDIUM
    assert item.due == datetime(2026, 6, 30, 12, tzinfo=UTC)
    load.record(event(Signal.DISCHARGE_WORKFLOW_STARTED, datetime(2026, 6, 29, tzinfo=UTC)))
    assert "discharge-workflow" not in open_policies(load)


# ------------------------------------------------------------------ low


def test_low_unengaged_clients_once_every_60_days() -> None:
    load, _ = caseload()
    load.record(event(Signal.ENTERED_MAINTENANCE))
    changes = load.record(event(Signal.MARKED_UNENGAGED, MONDAY + timedelta(days=1)))
    assert [i.policy.name for i in changes.stopped] == ["maintenance"]
    item = load.worklists.get(("c1", "unengaged-check-in"))
    assert item.category is LOW
    assert item.due == MONDAY + timedelta(days=61)
    attempt = MONDAY + timedelta(days=40)
    load.log_outreach("c1", Outcome.OUT_OF_SERVICE, at=attempt)
    assert open_policies(load) == {"unengaged-check-in": attempt + timedelta(days=60)}


def test_low_after_no_contact_letter_next_outreach_every_60_days() -> None:
    load, _ = caseload()
    load.record(event(Signal.ENTERED_CASELOAD))
    letter = MONDAY + timedelta(days=30)
    changes = load.record(event(Signal.NO_CONTACT_LETTER_SENT, letter))
    assert [i.policy.name for i in changes.stopped] == ["new-client-outreach"]
    assert open_policies(load) == {"unengaged-check-in": letter + timedelta(days=60)}
    assert load.next_outreach("c1") == letter + timedelta(days=60)


def test_low_client_who_calls_back_to_re_engage_moves_to_category_2() -> None:
    load, _ = caseload()
    load.record(event(Signal.MARKED_UNENGAGED))
    back = MONDAY + timedelta(days=20)
    changes = load.record(event(Signal.CLIENT_REENGAGED, back))
    assert [i.policy.name for i in changes.stopped] == ["unengaged-check-in"]
    item = load.worklists.get(("c1", "new-client-outreach"))
    assert item.category is CATEGORY_2
    assert item.due == back + timedelta(days=7)


def test_low_goals_completed_check_in_every_60_days_and_a_new_goal_goes_high() -> None:
    load, _ = caseload()
    load.record(event(Signal.ENTERED_MAINTENANCE))
    done = MONDAY + timedelta(days=10)
    changes = load.record(event(Signal.GOALS_COMPLETED, done))
    assert [i.policy.name for i in changes.stopped] == ["maintenance"]
    item = load.worklists.get(("c1", "goals-completed-check-in"))
    assert (item.category, item.due) == (LOW, done + timedelta(days=60))
    goal = done + timedelta(days=30)
    changes = load.record(event(Signal.NEW_GOAL, goal))
    assert [i.policy.name for i in changes.stopped] == ["goals-completed-check-in"]
    request = load.worklists.get(("c1", "client-request"))
    assert (request.category, request.due) == (CATEGORY_2, goal + timedelta(days=7))


# ------------------------------------------------------------------ production goals


def _log(worker: str, day: date, contacts: int, attempts: int) -> OutreachLog:
    log = OutreachLog()
    at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    for i in range(contacts):
        log.record(ContactRecord(f"c{i}", worker, at, Outcome.SUCCESSFUL_CONTACT))
    for i in range(attempts):
        log.record(ContactRecord(f"a{i}", worker, at, Outcome.LEFT_MESSAGE))
    return log


def test_goal_8_successful_contacts_a_day() -> None:
    day = MONDAY.date()
    assert day_progress(_log("w1", day, 8, 0), "w1", day, CAL).contacts_met
    short = day_progress(_log("w1", day, 7, 0), "w1", day, CAL)
    assert not short.on_goal
    assert short.contacts_short == 1


def test_goal_failing_contacts_20_outreach_attempts_a_day() -> None:
    day = MONDAY.date()
    assert day_progress(_log("w1", day, 3, 20), "w1", day, CAL).on_goal
    assert not day_progress(_log("w1", day, 3, 19), "w1", day, CAL).on_goal


def test_goal_40_successful_contacts_a_week_else_100_calls() -> None:
    log = OutreachLog()
    for d in range(5):
        day = MONDAY + timedelta(days=d)
        for i in range(8):
            log.record(ContactRecord(f"c{d}-{i}", "w1", day, Outcome.SUCCESSFUL_CONTACT))
    friday = (MONDAY + timedelta(days=4)).date()
    week = week_progress(log, "w1", friday, CAL)
    assert week.tally.contacts == 40
    assert week.contacts_met
    assert week.workdays == 5
    calls = _log("w2", friday, 30, 70)
    assert week_progress(calls, "w2", friday, CAL).calls_met
    assert not week_progress(_log("w3", friday, 30, 69), "w3", friday, CAL).on_goal


def test_week_in_progress_is_on_track_when_pro_rated_goal_is_met() -> None:
    tuesday = (MONDAY + timedelta(days=1)).date()
    log = _log("w1", tuesday, 16, 0)
    week = week_progress(log, "w1", tuesday, CAL)
    assert week.workdays_elapsed == 2
    assert week.on_track
    assert not week.on_goal
    assert not week_progress(_log("w1", tuesday, 15, 0), "w1", tuesday, CAL).on_track


def test_successful_contact_is_speaking_with_the_client_attempt_is_a_call_that_did_not() -> None:
    assert Outcome.SUCCESSFUL_CONTACT.successful
    attempts = [Outcome.LEFT_MESSAGE, Outcome.CALL_BACK_LATER, Outcome.OUT_OF_SERVICE]
    assert not any(o.successful for o in attempts)
    assert {o.event_kind for o in attempts} == {Signal.OUTREACH_ATTEMPT}
    assert Outcome.SUCCESSFUL_CONTACT.event_kind == Signal.SUCCESSFUL_CONTACT


def test_why_8_a_day_350_clients_every_60_days_over_44_workdays() -> None:
    plan = plan_daily_contacts(350, CAL, date(2026, 3, 2))
    assert plan.workdays == 44
    assert float(plan.exact) == pytest.approx(7.95, abs=0.005)
    assert plan.per_day == 8  # ceil(7.95): rounding down would leave clients unreached
    assert plan.per_week == 40


def test_planner_counts_holidays_so_the_target_rises() -> None:
    cal = BusinessCalendar.from_holidays_package("US", tz="UTC", years=range(2026, 2027))
    plan = plan_daily_contacts(350, cal, date(2026, 1, 5))  # MLK Day and Presidents' Day
    assert plan.workdays == 42  # 44 weekdays minus two Monday holidays
    assert plan.per_day == 9


def test_planner_refuses_a_bad_cadence_or_caseload() -> None:
    with pytest.raises(ValidationError, match="calendar days or months"):
        plan_daily_contacts(350, CAL, date(2026, 3, 2), DueWindow.business_days(44))
    with pytest.raises(ValidationError, match="caseload size"):
        plan_daily_contacts(-1, CAL, date(2026, 3, 2))


# ------------------------------------------------------------------ meta


def test_every_default_policy_is_tested_here() -> None:
    source = pathlib.Path(__file__).read_text()
    missing = [name for name in DEFAULT_POLICIES if f'"{name}"' not in source]
    assert missing == []
    assert all(p.rule for p in DEFAULT_POLICIES.values())


def test_events_for_an_unassigned_client_are_refused_and_change_nothing() -> None:
    load, _ = caseload()
    with pytest.raises(NotFound, match="client c9 is on no caseload"):
        load.record(event(Signal.ENTERED_CASELOAD, client="c9"))
    with pytest.raises(NotFound):
        load.log_outreach("c9", Outcome.LEFT_MESSAGE)
    assert len(load.worklists) == 0
    assert len(load.log) == 0


def test_a_refused_event_changes_nothing() -> None:
    load, _ = caseload()
    load.record(event(Signal.ENTERED_MAINTENANCE))
    before = load.worklists.for_client("c1")
    # discharge_scheduled needs a reference date; nothing else may change meanwhile.
    with pytest.raises(ValidationError, match="reference=None"):
        load.record(event(Signal.DISCHARGE_SCHEDULED))
    assert load.worklists.for_client("c1") == before
