"""Escalation ladders in the application (issue 20, part 4): a routing domain's ladders are
applied when the application ticks — journalled, in the case's audit trail, published."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casekit.app import Application, CaseRouting, EscalationApplied, RoutedStep, RoutingDomain
from casekit.cases import ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.demo.benefits import PRODUCT
from casekit.demo.config import ROUTING
from casekit.errors import CasekitError
from casekit.priority import Priority
from casekit.routing import Agent, ItemState, Ladder, Presence, Rung
from casekit.storage import MemoryStorage, Storage
from casekit.testing.app import check_application

from .conftest import OpenPdc

MIN = timedelta(minutes=1)

INTAKE_LADDER = Ladder(
    "Intake",
    [
        Rung(30 * MIN, skills={"approval": 1}),  # widen to the approvers
        Rung(60 * MIN, raise_to=Priority.URGENT, notify=True),
    ],
)


def laddered(storage: Storage, clock: ManualClock) -> Application:
    return Application(
        storage,
        name="office",
        routing=ROUTING,
        domains=[RoutingDomain("benefits", push_timeout=None, ladders=[INTAKE_LADDER])],
        products=[PRODUCT],
        clock=clock,
    )


def test_a_due_rung_is_applied_audited_and_published_when_the_application_ticks(
    storage: Storage, clock: ManualClock, open_pdc: OpenPdc
) -> None:
    app = laddered(storage, clock)
    seen: list[object] = []
    app.subscribe(seen.append)
    app.add_agent("benefits", Agent("approver", {"approval": 1}), Presence.AVAILABLE, actor="hr")
    case_id = open_pdc(app, "PDC-1")
    status = app.routing_status(case_id)
    assert status is not None
    assert status.state is ItemState.QUEUED
    clock.advance(29 * MIN)
    assert app.tick() == 0
    clock.advance(MIN)
    assert app.tick() == 1
    status = app.routing_status(case_id)
    assert status is not None
    assert (status.state, status.agent_id) == (ItemState.OFFERED, "approver")  # widened
    (event,) = [e for e in seen if isinstance(e, EscalationApplied)]
    assert (event.domain, event.case_id, event.stage, event.rung) == (
        "benefits",
        case_id,
        "Intake",
        1,
    )
    assert (event.skills_before, event.skills_after) == ({"intake": 1}, {"approval": 1})
    with storage.unit_of_work() as uow:
        entry = uow.audit.entries(case_id)[-1]
        types = [record.type for record in uow.outbox.pending(limit=10_000)]
    assert (entry.actor, entry.action) == ("check:routing-timer", "escalation_rung")
    assert entry.detail["rung"] == 1
    assert entry.detail["stage"] == "Intake"
    assert "casekit.routing.escalated" in types
    explanation = app.escalation(case_id)
    assert explanation is not None
    assert [r.index for r in explanation.rungs] == [0]
    assert "rung 1" in explanation.reason
    check_application(app)


def test_the_notify_rung_raises_priority_and_asks_to_tell_the_supervisor(
    storage: Storage, clock: ManualClock, open_pdc: OpenPdc
) -> None:
    app = laddered(storage, clock)
    seen: list[EscalationApplied] = []
    app.subscribe(lambda e: seen.append(e) if isinstance(e, EscalationApplied) else None)
    case_id = open_pdc(app, "PDC-1")
    clock.advance(61 * MIN)
    assert app.tick() == 2  # both rungs were due: applied in order, in one tick
    assert [(e.rung, e.notify, e.priority_after) for e in seen] == [
        (1, False, "NORMAL"),
        (2, True, "URGENT"),
    ]
    status = app.routing_status(case_id)
    assert status is not None
    assert status.priority is Priority.URGENT
    assert app.case(case_id).priority is Priority.URGENT  # the case shows what routing does
    check_application(app)  # routing at the case's priority, trails verify, outbox complete
    # Another process of the same application sees the same rungs (replayed, not re-applied).
    other = laddered(storage, clock)
    explanation = other.escalation(case_id)
    assert explanation is not None
    assert [r.index for r in explanation.rungs] == [0, 1]
    assert other.tick() == 0


def test_a_case_answered_before_the_rung_is_never_escalated(
    storage: Storage, clock: ManualClock, open_pdc: OpenPdc
) -> None:
    app = laddered(storage, clock)
    app.add_agent("benefits", Agent("worker-1", {"intake": 1}), Presence.AVAILABLE, actor="hr")
    case_id = open_pdc(app, "PDC-1")
    app.accept(case_id, "worker-1")
    clock.advance(2 * 60 * MIN)
    assert app.tick() == 0
    with storage.unit_of_work() as uow:
        assert "escalation_rung" not in [e.action for e in uow.audit.entries(case_id)]


def test_a_domain_refuses_bad_ladders_and_calendars_at_the_door() -> None:
    with pytest.raises(CasekitError, match="ladder"):
        RoutingDomain("benefits", ladders=["after ten minutes"])  # type: ignore[list-item]
    with pytest.raises(CasekitError, match="calendar of routing domain benefits"):
        RoutingDomain("benefits", calendar="weekdays")  # type: ignore[arg-type]
    with pytest.raises(CasekitError, match=r"twice|two|same stage|once"):
        RoutingDomain("benefits", ladders=[INTAKE_LADDER, INTAKE_LADDER])


def test_a_ladder_may_not_raise_a_step_that_fixes_its_priority() -> None:
    """The rung would raise the case's priority, which that step ignores: refused at the door."""
    fixed = CaseRouting(
        ProductDeliveryCase,
        "benefits",
        steps=(RoutedStep("Open", {"intake": 1}, stage="Intake", priority=Priority.HIGH),),
    )
    with pytest.raises(CasekitError, match=r"rung 2 of the ladder of stage 'Intake'.*fixes"):
        Application(
            MemoryStorage(),
            name="office",
            routing=[fixed],
            domains=[RoutingDomain("benefits", ladders=[INTAKE_LADDER])],
        )
