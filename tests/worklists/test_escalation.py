"""Escalation: a breached SLA raises the item's priority and notifies subscribers once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from casekit.clock import ManualClock
from casekit.priority import Priority
from casekit.worklists import (
    BusinessCalendar,
    Caseload,
    Escalation,
    Outcome,
    Signal,
    SlaEvent,
    router_escalation,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def caseload() -> tuple[Caseload, ManualClock]:
    clock = ManualClock(T0)
    load = Caseload(calendar=BusinessCalendar("UTC"), clock=clock)
    load.assign("c1", "w1")
    load.assign("c2", "w1")
    return load, clock


class FakeRouter:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Priority]] = []

    def escalate(self, item_id: str, priority: Priority) -> None:
        self.calls.append((item_id, priority))


def test_breached_category_1_sla_raises_priority_to_urgent_and_emits_an_event() -> None:
    load, clock = caseload()
    load.record(SlaEvent(Signal.HIGH_RISK_EVENT, "c1", T0, case_id="CASE-7"))
    received: list[Escalation] = []
    load.subscribe(received.append)
    assert load.check_breaches() == ()
    clock.advance(timedelta(hours=73))
    (escalation,) = load.check_breaches()
    assert received == [escalation]
    assert escalation.kind == "sla_breached"
    assert escalation.case_id == "CASE-7"
    assert escalation.category == "High #1"
    assert escalation.due == T0 + timedelta(hours=72)
    assert escalation.breached_at == clock.now()
    assert (escalation.previous_priority, escalation.priority) == (Priority.HIGH, Priority.URGENT)
    assert load.worklists.get(("c1", "high-risk-event")).priority is Priority.URGENT


def test_breached_lower_categories_are_raised_one_rank() -> None:
    load, clock = caseload()
    load.record(SlaEvent(Signal.ENTERED_MAINTENANCE, "c1", T0))
    load.record(SlaEvent(Signal.MARKED_UNENGAGED, "c2", T0))
    clock.advance(timedelta(days=61))
    raised = {e.policy: (e.previous_priority, e.priority) for e in load.check_breaches()}
    assert raised == {
        "maintenance": (Priority.NORMAL, Priority.HIGH),
        "unengaged-check-in": (Priority.LOW, Priority.NORMAL),
    }


def test_a_breach_is_reported_once_and_renewal_clears_it() -> None:
    load, clock = caseload()
    load.record(SlaEvent(Signal.ENTERED_CASELOAD, "c1", T0))
    clock.advance(timedelta(days=8))
    assert len(load.check_breaches()) == 1
    assert load.check_breaches() == ()
    load.log_outreach("c1", Outcome.LEFT_MESSAGE)
    item = load.worklists.get(("c1", "new-client-outreach"))
    assert item.breached_at is None
    assert item.priority is Priority.HIGH
    clock.advance(timedelta(days=8))
    assert [e.policy for e in load.check_breaches()] == ["new-client-outreach"]


def test_router_escalation_adapter_calls_router_escalate() -> None:
    load, clock = caseload()
    router = FakeRouter()
    load.subscribe(router_escalation(router))
    load.record(SlaEvent(Signal.INCOMING_MESSAGE, "c2", T0))
    clock.advance(timedelta(hours=100))
    load.check_breaches()
    assert router.calls == [("c2", Priority.URGENT)]


def test_a_failing_subscriber_is_logged_and_the_others_still_receive(
    caplog: pytest.LogCaptureFixture,
) -> None:
    load, clock = caseload()

    def broken(escalation: Escalation) -> None:
        raise RuntimeError("storage down")

    received: list[Escalation] = []
    load.subscribe(broken)
    load.subscribe(received.append)
    load.record(SlaEvent(Signal.HIGH_RISK_EVENT, "c1", T0))
    clock.advance(timedelta(hours=80))
    with caplog.at_level(logging.ERROR):
        escalations = load.check_breaches()
    assert received == list(escalations)
    assert "escalation subscriber" in caplog.text


def test_unsubscribe_stops_delivery() -> None:
    load, clock = caseload()
    received: list[Escalation] = []
    unsubscribe = load.subscribe(received.append)
    unsubscribe()
    load.record(SlaEvent(Signal.HIGH_RISK_EVENT, "c1", T0))
    clock.advance(timedelta(hours=80))
    assert len(load.check_breaches()) == 1
    assert received == []
