"""SLA worklists fed by the application's case events (issue 20: pauses come from case events).

`SlaFeed` subscribed to an application: a case opened starts its clocks on its owner's
worklist, a status the pause rule names pauses them, leaving it resumes them with the due
date pushed by the business time held, a new owner takes the client's worklist.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from casekit.app import Application, SlaFeed
from casekit.cases import Owner
from casekit.clock import ManualClock
from casekit.errors import CasekitError
from casekit.storage import Storage
from casekit.worklists import (
    CATEGORY_1,
    BusinessCalendar,
    Caseload,
    DueWindow,
    PauseRule,
    PolicySet,
    SlaPolicy,
)

from .conftest import OpenPdc

UTC_OFFICE = BusinessCalendar("UTC")  # 09:00-17:00, Monday to Friday
DECIDE = SlaPolicy("decide", CATEGORY_1, DueWindow.business_days(10), starts_on="case_opened")


def caseload(clock: ManualClock) -> Caseload:
    return Caseload(
        calendar=UTC_OFFICE,
        clock=clock,
        policies=PolicySet([DECIDE]),
        pause_rule=PauseRule(statuses={"Suspended"}),
    )


def activate(app: Application, case_id: str) -> None:
    app.perform(case_id, "submit", actor="worker-1")
    app.perform(case_id, "approve", actor="boss")
    app.perform(case_id, "activate", actor="worker-2")


def test_a_suspended_case_pauses_its_sla_and_resumes_with_the_time_held_added(
    app: Application, clock: ManualClock, storage: Storage, open_pdc: OpenPdc
) -> None:
    load = caseload(clock)
    feed = SlaFeed(load, storage=storage)
    app.subscribe(feed)
    case_id = open_pdc(app, "PDC-1")  # owned by worker-1: the client goes on their list
    (item,) = load.worklist("worker-1").ordered()
    assert (item.case_id, item.client_id) == (case_id, f"client-{case_id}")
    due = item.due
    assert due is not None
    activate(app, case_id)
    app.perform(case_id, "suspend", actor="worker-1", reason="client abroad")
    (paused,) = load.worklist("worker-1").paused()
    assert paused.due is None
    clock.advance(timedelta(days=7))  # a week on hold: five business days
    app.perform(case_id, "unsuspend", actor="worker-1")
    (resumed,) = load.worklist("worker-1").ordered()
    assert resumed.due == UTC_OFFICE.add_business_hours(due, timedelta(hours=5 * 8))
    assert [p.reason for p in resumed.pauses] == ["Suspended"]
    assert feed.recorded >= 5  # opened, submit, approve, activate, suspend, unsuspend
    assert feed.skipped == 0


def test_the_client_follows_the_case_owner(
    app: Application, clock: ManualClock, storage: Storage, open_pdc: OpenPdc
) -> None:
    load = caseload(clock)
    app.subscribe(SlaFeed(load, storage=storage))
    case_id = open_pdc(app, "PDC-1")
    app.assign_owner(case_id, Owner.user("worker-2"), actor="boss")
    assert load.worker_of(f"client-{case_id}") == "worker-2"
    assert [i.case_id for i in load.worklist("worker-2").ordered()] == [case_id]
    assert list(load.worklist("worker-1").ordered()) == []


def test_cases_of_clients_on_no_worklist_are_skipped(
    app: Application, clock: ManualClock, storage: Storage, open_pdc: OpenPdc
) -> None:
    load = caseload(clock)
    feed = SlaFeed(load, storage=storage, follow_owner=False)
    app.subscribe(feed)
    open_pdc(app, "PDC-1")
    assert (feed.recorded, feed.skipped) == (0, 1)
    assert load.clients == 0


def test_a_feed_refuses_bad_arguments(storage: Storage, clock: ManualClock) -> None:
    with pytest.raises(CasekitError, match="caseload of an SlaFeed"):
        SlaFeed("load", storage=storage)  # type: ignore[arg-type]
    with pytest.raises(CasekitError, match="storage of an SlaFeed"):
        SlaFeed(caseload(clock), storage="db")  # type: ignore[arg-type]
    with pytest.raises(CasekitError, match="client_of of an SlaFeed"):
        SlaFeed(caseload(clock), storage=storage, client_of="primary")  # type: ignore[arg-type]
