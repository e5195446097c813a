"""Validate at the door: worklists refuse bad arguments with a CasekitError and change nothing.

Regression tests for reproductions the atomicity fuzz (``casekit.testing.fuzz``) found; the
fuzz itself runs over these objects in tests/testing/test_fuzz_public_api.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from casekit.clock import ManualClock
from casekit.errors import CasekitError, ValidationError
from casekit.testing.fuzz import snapshot
from casekit.worklists import (
    BusinessCalendar,
    Caseload,
    ContactRecord,
    DueWindow,
    OutreachLog,
    PolicySet,
    Signal,
    SlaEvent,
    Worklists,
    plan_daily_contacts,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CALENDAR = BusinessCalendar("America/New_York")


def caseload() -> Caseload:
    load = Caseload(calendar=CALENDAR, clock=ManualClock(T0))
    load.assign("c1", "w1")
    load.record(SlaEvent(Signal.ENTERED_CASELOAD, "c1", T0))
    return load


def test_log_outreach_with_a_list_worker_id_changes_nothing() -> None:
    """Rule: a refused call changes nothing (it used to move the SLA clock, then TypeError)."""
    load = caseload()
    before = snapshot(load)
    with pytest.raises(ValidationError, match="worker who called c1"):
        load.log_outreach("c1", "successful contact", worker_id=["w1"])  # type: ignore[arg-type]
    assert snapshot(load) == before
    assert load.worklists.open_for("c1").keys() == {"new-client-outreach"}
    assert len(load.log) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("note", None), ("case_id", 7), ("at", datetime(2026, 3, 2, 9)), ("outcome", "shouted")],
)
def test_log_outreach_checks_every_argument_first(field: str, value: object) -> None:
    """Rule: every argument is checked before anything changes."""
    load = caseload()
    before = snapshot(load)
    args: dict[str, object] = {"outcome": "successful contact", field: value}
    with pytest.raises(ValidationError):
        load.log_outreach("c1", **args)  # type: ignore[arg-type]
    assert snapshot(load) == before


@pytest.mark.parametrize("event", [None, "new_client", ContactRecord("c1", "w1", T0, "no answer")])
def test_record_refuses_the_wrong_object_kind_with_a_validation_error(event: object) -> None:
    """Rule: never a bare AttributeError: record() names what it needs."""
    load = caseload()
    with pytest.raises(ValidationError, match="must be a SlaEvent"):
        load.record(event)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [["c1"], "", "  ", "a\x00b", "x" * 600, None])
def test_assign_refuses_ids_that_are_not_ids(bad: object) -> None:
    load = caseload()
    before = snapshot(load)
    with pytest.raises(ValidationError):
        load.assign(bad, "w2")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        load.assign("c2", bad)  # type: ignore[arg-type]
    assert snapshot(load) == before


def test_subscribers_must_be_callable() -> None:
    with pytest.raises(ValidationError, match="callable"):
        caseload().subscribe(42)  # type: ignore[arg-type]


def test_outreach_log_and_worklists_refuse_the_wrong_object_kind() -> None:
    with pytest.raises(ValidationError, match="ContactRecord"):
        OutreachLog().record("call")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="WorkItem"):
        Worklists().add(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="client id, policy name"):
        Worklists().get("c1")  # type: ignore[arg-type]


def test_constructors_refuse_bad_values_with_validation_errors() -> None:
    with pytest.raises(ValidationError, match="due window unit"):
        DueWindow(3, "fortnights")
    with pytest.raises(ValidationError, match="integer"):
        DueWindow(1.5, "calendar days")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="SLA event time"):
        SlaEvent("k", "c1", "2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="priority"):
        SlaEvent("k", "c1", T0, priority="Whenever")
    with pytest.raises(ValidationError, match="PolicySet"):
        PolicySet(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="holiday"):
        BusinessCalendar("UTC", holidays=[T0])
    with pytest.raises(ValidationError, match="time zone"):
        BusinessCalendar(0)  # type: ignore[arg-type]


def test_a_bare_string_of_event_kinds_is_one_kind_not_its_characters() -> None:
    event = SlaEvent("k", "c1", T0, flags="prior_outreach")
    assert event.flags == {"prior_outreach"}


def test_dates_at_the_edge_of_time_are_refused_not_overflowed() -> None:
    """Rule: no bare OverflowError from date arithmetic."""
    with pytest.raises(CasekitError):
        CALENDAR.count_business_days(date(2026, 1, 1), date.max)
    with pytest.raises(CasekitError):
        CALENDAR.add_business_days(date(9999, 12, 1), 100)
    with pytest.raises(CasekitError):
        DueWindow.days(7).due(datetime.max.replace(tzinfo=UTC), CALENDAR)
    with pytest.raises(CasekitError):
        plan_daily_contacts(10, CALENDAR, date.min)
    with pytest.raises(ValidationError, match="days apart"):
        CALENDAR.business_hours_between(datetime.min.replace(tzinfo=UTC), T0)
    with pytest.raises(ValidationError, match="at most"):
        CALENDAR.add_business_hours(T0, timedelta.max)
