"""The application layer end to end, on every backend: commands, handlers, outbox, money."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from casekit.app import Application, CaseOpened, ReassessmentApplied
from casekit.cases import LinkKind, PaymentCorrectionCase, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.errors import (
    AlreadyExists,
    CasekitError,
    GuardRejected,
    InvalidTransition,
    NotFound,
    OfferNotPending,
    ValidationError,
)
from casekit.financials import DeliveryPattern, Timing
from casekit.priority import Priority
from casekit.routing import Agent, ItemState, Presence
from casekit.storage import LedgerKind, Storage

OpenPdc = Callable[..., str]


def outbox_types(storage: Storage) -> list[str]:
    with storage.unit_of_work() as uow:
        return [record.type for record in uow.outbox.pending(limit=10_000)]


def audit_actions(storage: Storage, case_id: str) -> list[str]:
    with storage.unit_of_work() as uow:
        return [entry.action for entry in uow.audit.entries(case_id)]


def staff(app: Application) -> None:
    app.add_agent("benefits", Agent("worker-1", {"intake": 1}), Presence.AVAILABLE, actor="admin")
    app.add_agent("benefits", Agent("boss", {"approval": 1}), Presence.AVAILABLE, actor="admin")


def activate(app: Application, case_id: str) -> None:
    app.perform(case_id, "submit", actor="worker-1")
    app.perform(case_id, "approve", actor="boss")
    app.perform(case_id, "activate", actor="worker-1")


# ---------------------------------------------------------------------- routing follows status


def test_routing_follows_the_status_of_a_routed_case(
    open_pdc: OpenPdc, app: Application, storage: Storage
) -> None:
    staff(app)
    case_id = open_pdc(app, "PDC-R1")
    status = app.routing_status(case_id)
    assert status is not None
    assert status.item.stage == "Intake"
    assert status.state is ItemState.OFFERED
    assert status.agent_id == "worker-1"

    app.accept(case_id, "worker-1")
    assert app.case(case_id).owner.id == "worker-1"

    app.perform(case_id, "submit", actor="worker-1")
    status = app.routing_status(case_id)
    assert status is not None
    assert status.item.stage == "Approval"
    assert status.agent_id == "boss"

    app.accept(case_id, "boss")
    assert app.case(case_id).owner.id == "boss"
    app.perform(case_id, "approve", actor="boss")
    assert app.routing_status(case_id) is None  # Approved is not routed: released
    assert outbox_types(storage).count("casekit.case.owner_changed") == 1


def test_a_closed_case_leaves_routing(open_pdc: OpenPdc, app: Application) -> None:
    case_id = open_pdc(app, "PDC-R2")
    assert app.routing_status(case_id) is not None  # queued: nobody is available
    app.perform(
        case_id, "close", actor="worker-1", closure_reason="Manual", reason="client withdrew"
    )
    assert app.routing_status(case_id) is None


def test_priority_reaches_the_router(open_pdc: OpenPdc, app: Application) -> None:
    case_id = open_pdc(app, "PDC-R3")
    app.set_priority(case_id, Priority.URGENT, actor="worker-1", reason="SLA missed")
    status = app.routing_status(case_id)
    assert status is not None
    assert status.priority is Priority.URGENT


def test_accepting_an_offer_not_made_changes_nothing(
    open_pdc: OpenPdc, app: Application, storage: Storage
) -> None:
    staff(app)
    case_id = open_pdc(app, "PDC-R4")
    before = outbox_types(storage)
    with pytest.raises(OfferNotPending):
        app.accept(case_id, "boss")
    assert app.case(case_id).owner.id == "worker-1"
    assert outbox_types(storage) == before


# ---------------------------------------------------------------------- atomicity


def test_a_refused_command_changes_nothing(
    open_pdc: OpenPdc, app: Application, storage: Storage
) -> None:
    case_id = open_pdc(app, "PDC-A1")
    version = app.case(case_id).version
    trail = audit_actions(storage, case_id)
    outbox = outbox_types(storage)
    published: list[object] = []
    app.subscribe(published.append)
    with pytest.raises(InvalidTransition):
        app.perform(case_id, "activate", actor="worker-1")
    app.perform(case_id, "submit", actor="worker-1")
    with pytest.raises(GuardRejected):
        app.perform(case_id, "approve", actor="somebody-else")
    # the submit committed; the approve did not
    assert app.case(case_id).status.value == "Submitted"
    assert app.case(case_id).version == version + 1
    assert audit_actions(storage, case_id)[: len(trail)] == trail
    assert [e for e in published if getattr(e, "action", None) == "approve"] == []
    assert len(outbox_types(storage)) > len(outbox)


def test_a_command_that_raises_half_way_stores_and_publishes_nothing(
    open_pdc: OpenPdc, app: Application, storage: Storage
) -> None:
    case_id = open_pdc(app, "PDC-A2")
    published: list[object] = []
    app.subscribe(published.append)
    outbox = outbox_types(storage)

    def half_way(case: object) -> None:
        assert isinstance(case, ProductDeliveryCase)
        case.submit(actor="worker-1")
        raise RuntimeError("the caller's own code failed")

    with pytest.raises(RuntimeError):
        app.update(case_id, half_way, actor="worker-1")
    assert app.case(case_id).status.value == "Open"
    assert published == []
    assert outbox_types(storage) == outbox
    status = app.routing_status(case_id)
    assert status is not None
    assert status.item.stage == "Intake"


def test_bad_arguments_are_refused_before_anything_opens(
    open_pdc: OpenPdc, app: Application
) -> None:
    with pytest.raises(ValidationError):
        app.open_case("No Such Type", actor="intake")
    with pytest.raises(ValidationError):
        app.open_case(ProductDeliveryCase, actor=" ", id="PDC-X")
    with pytest.raises(ValidationError):
        app.set_priority("PDC-X", "urgent", actor="a")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        app.perform("PDC-NOPE", "submit", actor="a")
    with pytest.raises(NotFound):
        app.set_presence("nowhere", "a", Presence.AVAILABLE, actor="admin")
    with pytest.raises(ValidationError):
        Application(app.storage, routing=["not a routing"])  # type: ignore[list-item]
    open_pdc(app, "PDC-DUP")
    with pytest.raises(AlreadyExists):
        open_pdc(app, "PDC-DUP")
    for error in (ValidationError, NotFound, AlreadyExists):
        assert issubclass(error, CasekitError)


# ---------------------------------------------------------------------- outbox


def test_every_committed_event_is_in_the_outbox_as_a_cloud_event(
    open_pdc: OpenPdc, app: Application, storage: Storage
) -> None:
    published: list[object] = []
    app.subscribe(published.append)
    staff(app)
    case_id = open_pdc(app, "PDC-O1")
    app.accept(case_id, "worker-1")
    with storage.unit_of_work() as uow:
        records = uow.outbox.pending(limit=10_000)
    types = [record.type for record in records]
    assert "casekit.case.opened" in types
    assert "casekit.case.evidence_changed" in types
    assert "casekit.routing.offered" in types
    assert "casekit.routing.accepted" in types
    assert len(published) == len(records)
    opened = next(r for r in records if r.type == "casekit.case.opened")
    envelope = opened.to_cloudevent()
    assert envelope["specversion"] == "1.0"
    assert envelope["source"] == "/casekit/office"
    assert envelope["subject"] == case_id
    assert envelope["data"]["case_type"] == "Product Delivery Case"
    assert len({r.id for r in records}) == len(records)
    assert any(isinstance(event, CaseOpened) for event in published)


# ---------------------------------------------------------------------- money


def enrol(app: Application, case_id: str) -> None:
    app.enrol(
        case_id, pattern=DeliveryPattern.monthly(1, timing=Timing.IN_ARREARS), actor="worker-1"
    )


def test_a_change_of_circumstance_is_corrected_atomically(
    open_pdc: OpenPdc, app: Application, storage: Storage, clock: ManualClock
) -> None:
    case_id = open_pdc(app, "PDC-M1", income="400.00")
    activate(app, case_id)
    enrol(app, case_id)
    clock.advance(timedelta(days=62))  # two monthly payments fall due (in arrears)
    issued = app.run_payments(clock.now().date(), verifier="payments-1", submitter="payments-2")
    assert issued >= 2
    assert app.run_payments(clock.now().date(), verifier="payments-1", submitter="payments-2") == 0

    published: list[object] = []
    app.subscribe(published.append)
    (income,) = app.case(case_id).evidence.current("income")
    app.correct_evidence(
        case_id, income.evidence_id, actor="worker-1", attributes={"monthly": "600.00"}
    )

    pdc = app.case(case_id)
    (correction_id,) = pdc.related(LinkKind.CORRECTED_BY)
    correction = app.case(correction_id)
    assert isinstance(correction, PaymentCorrectionCase)
    assert correction.related(LinkKind.CORRECTS) == (case_id,)
    lines = app.ledger_lines(case_id)
    corrections = [line for line in lines if line.kind is LedgerKind.CORRECTION]
    assert corrections
    assert all(line.line_id.startswith(f"{case_id}:R1:") for line in corrections)
    total = sum(Decimal(line.body["amount"]["amount"]) for line in corrections)
    assert total < 0  # income went up: overpaid
    (applied,) = [e for e in published if isinstance(e, ReassessmentApplied)]
    assert applied.reassessment_id == f"{case_id}/R1"
    assert applied.correction_case_id == correction_id

    # the same change again corrects nothing more: it nets against R1
    again = app.reassess(case_id, actor="worker-1")
    assert again.reassessment_id == f"{case_id}/R2"
    assert again.correction_case is None


def test_reassessment_numbers_survive_a_new_application(
    open_pdc: OpenPdc, app: Application, storage: Storage, clock: ManualClock
) -> None:
    case_id = open_pdc(app, "PDC-M2")
    activate(app, case_id)
    enrol(app, case_id)
    assert app.reassess(case_id, actor="worker-1").reassessment_id == f"{case_id}/R1"
    other = Application(
        storage, name="office", products=app.financials.products.values(), clock=clock
    )
    assert other.reassess(case_id, actor="worker-1").reassessment_id == f"{case_id}/R2"


def test_enrolment_is_checked(open_pdc: OpenPdc, app: Application) -> None:
    case_id = open_pdc(app, "PDC-M3")
    enrol(app, case_id)
    with pytest.raises(AlreadyExists):
        enrol(app, case_id)
    with pytest.raises(ValidationError):
        app.enrol(case_id, pattern="monthly", actor="w")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        app.reassess("PDC-NOT-ENROLLED", actor="w")


def test_payments_are_ledger_lines_with_distinct_people(
    open_pdc: OpenPdc, app: Application, clock: ManualClock
) -> None:
    case_id = open_pdc(app, "PDC-M4")
    activate(app, case_id)
    enrol(app, case_id)
    clock.advance(timedelta(days=40))
    app.run_payments(clock.now().date(), verifier="payments-1", submitter="payments-2")
    payments = [line for line in app.ledger_lines(case_id) if line.kind is LedgerKind.PAYMENT]
    assert payments
    assert all(line.status == "Submitted for Payment" for line in payments)
    assert date.fromisoformat(payments[0].body["due_date"]) <= clock.now().date()


def test_a_line_settled_by_a_correction_is_not_paid_again(
    open_pdc: OpenPdc, app: Application, clock: ManualClock
) -> None:
    # Found by the state machine: March's housing became due only after March was paid
    # (income corrected down), the reassessment settled it with a once-off payment, and the
    # next payment run paid March's housing a second time.
    case_id = open_pdc(app, "PDC-M5", income="1200.00")
    activate(app, case_id)
    enrol(app, case_id)
    clock.advance(timedelta(days=35))
    assert app.run_payments(clock.now().date(), verifier="payments-1", submitter="payments-2") == 1
    (income,) = app.case(case_id).evidence.current("income")
    app.correct_evidence(
        case_id, income.evidence_id, actor="worker-1", attributes={"monthly": "0.00"}
    )
    clock.advance(timedelta(days=5))
    assert app.run_payments(clock.now().date(), verifier="payments-1", submitter="payments-2") == 0
    housing = [
        line
        for line in app.ledger_lines(case_id)
        if line.kind is LedgerKind.PAYMENT and "housing" in line.line_id
    ]
    assert housing == []  # settled by the correction's once-off payment, not paid again
