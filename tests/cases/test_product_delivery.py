"""Product Delivery Case rules (domain.md §1, seed 001)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casekit.cases import (
    ApprovalCheck,
    ClosureReason,
    MilestoneKind,
    MilestoneStatus,
    Owner,
    PDCStatus,
    ProductDeliveryCase,
    declare_approval_check,
)
from casekit.cases.codec import case_to_record
from casekit.clock import ManualClock
from casekit.errors import GuardRejected, InvalidTransition, ValidationError


def activate(pdc: ProductDeliveryCase) -> None:
    pdc.submit(actor="worker")
    pdc.approve(actor="boss")
    pdc.activate(actor="worker")


def test_statuses_use_the_seed_display_names() -> None:
    assert [s.value for s in PDCStatus] == [
        "Open",
        "Submitted",
        "Approved",
        "Active",
        "Suspended",
        "Pending Closure",
        "Closed",
        "Delayed Process Pending",
    ]


def test_open_case_must_be_approved_before_activation(pdc: ProductDeliveryCase) -> None:
    with pytest.raises(InvalidTransition) as info:
        pdc.activate(actor="worker")
    assert (
        str(info.value)
        == "cannot 'activate' PDC-17 in status 'Open'; allowed: close, defer, submit"
    )
    assert info.value.allowed == ("close", "defer", "submit")
    assert pdc.status is PDCStatus.OPEN
    assert pdc.history == ()


def test_full_path_records_history(pdc: ProductDeliveryCase) -> None:
    activate(pdc)
    assert pdc.status is PDCStatus.ACTIVE
    assert [(h.from_status, h.to_status, h.action, h.actor) for h in pdc.history] == [
        ("Open", "Submitted", "submit", "worker"),
        ("Submitted", "Approved", "approve", "boss"),
        ("Approved", "Active", "activate", "worker"),
    ]


def test_only_the_supervisor_may_approve(pdc: ProductDeliveryCase) -> None:
    pdc.submit(actor="worker")
    with pytest.raises(GuardRejected, match="only its supervisor, User boss, may"):
        pdc.approve(actor="someone")
    assert pdc.status is PDCStatus.SUBMITTED
    assert len(pdc.history) == 1


def test_automatic_approval_comes_from_a_declared_check(clock: ManualClock) -> None:
    """Automatic approval runs a check the product declares (tests/cases/
    test_separation_of_duties.py has the refusals, including ``actor="system"``)."""
    declare_approval_check(
        ApprovalCheck("x-always", product="X", check=lambda case: True, requires="nothing")
    )
    pdc = ProductDeliveryCase.create(
        id="PDC-2", product="X", owner=Owner.user("w"), clock=clock, automatic_approval=True
    )
    pdc.submit(actor="w")
    pdc.approve_automatically("x-always")
    assert pdc.status is PDCStatus.APPROVED
    assert pdc.history[-1].actor == "check:x-always"


def test_reject_needs_a_reason_and_returns_to_open(pdc: ProductDeliveryCase) -> None:
    pdc.submit(actor="worker")
    with pytest.raises(ValidationError, match="reason is required"):
        pdc.reject(actor="boss", reason="  ")
    pdc.reject(actor="boss", reason="missing evidence")
    assert pdc.status is PDCStatus.OPEN
    assert pdc.history[-1].reason == "missing evidence"


def test_activation_needs_certification_where_product_requires_it(clock: ManualClock) -> None:
    pdc = ProductDeliveryCase.create(
        id="PDC-3",
        product="Certified",
        owner=Owner.user("w"),
        supervisor=Owner.user("s"),
        clock=clock,
        requires_certification=True,
    )
    pdc.submit(actor="w")
    pdc.approve(actor="s")
    with pytest.raises(GuardRejected, match="not certified"):
        pdc.activate(actor="w")
    today = clock.now().date()
    pdc.certify(today - timedelta(days=1), today + timedelta(days=30), actor="w")
    pdc.activate(actor="w")
    assert pdc.status is PDCStatus.ACTIVE


def test_suspend_needs_reason_and_unsuspend_returns_to_open(pdc: ProductDeliveryCase) -> None:
    activate(pdc)
    with pytest.raises(ValidationError):
        pdc.perform("suspend", actor="worker")
    pdc.suspend(actor="worker", reason="client abroad")
    pdc.unsuspend(actor="worker")
    assert pdc.status is PDCStatus.OPEN
    assert "activate" not in pdc.available_actions()  # approve and activate again


def test_schedule_closure_needs_a_future_date(pdc: ProductDeliveryCase, clock: ManualClock) -> None:
    activate(pdc)
    with pytest.raises(GuardRejected, match="future"):
        pdc.schedule_closure(clock.now().date(), actor="worker")
    with pytest.raises(ValidationError, match="needs on="):
        pdc.perform("schedule_closure", actor="worker")
    on = clock.now().date() + timedelta(days=10)
    pdc.schedule_closure(on, actor="worker")
    assert pdc.status is PDCStatus.PENDING_CLOSURE
    assert pdc.scheduled_closure == on


def test_scheduled_closure_runs_on_its_date(pdc: ProductDeliveryCase, clock: ManualClock) -> None:
    activate(pdc)
    pdc.schedule_closure(clock.now().date() + timedelta(days=3), actor="worker")
    assert pdc.run_automatic_closure() is None
    clock.advance(timedelta(days=3))
    pdc.run_automatic_closure()
    assert pdc.status is PDCStatus.CLOSED
    assert pdc.closure_reason is ClosureReason.SCHEDULED


def test_closed_automatically_when_certification_expires(clock: ManualClock) -> None:
    pdc = ProductDeliveryCase.create(
        id="PDC-4",
        product="C",
        owner=Owner.user("w"),
        supervisor=Owner.user("s"),
        clock=clock,
        requires_certification=True,
    )
    today = clock.now().date()
    pdc.certify(today, today + timedelta(days=5), actor="w")
    activate_with(pdc)
    clock.advance(timedelta(days=5))
    assert pdc.run_automatic_closure() is None
    clock.advance(timedelta(days=1))
    pdc.run_automatic_closure()
    assert pdc.status is PDCStatus.CLOSED
    assert pdc.closure_reason is ClosureReason.CERTIFICATION_EXPIRED


def activate_with(pdc: ProductDeliveryCase) -> None:
    pdc.submit(actor="w")
    pdc.approve(actor="s")
    pdc.activate(actor="w")


@pytest.mark.parametrize("start", ["active", "suspended", "pending closure"])
def test_close_from_active_suspended_or_pending_closure(
    pdc: ProductDeliveryCase, clock: ManualClock, start: str
) -> None:
    activate(pdc)
    if start == "suspended":
        pdc.suspend(actor="worker", reason="r")
    elif start == "pending closure":
        pdc.schedule_closure(clock.now().date() + timedelta(days=1), actor="worker")
    pdc.close(actor="worker", reason="moved abroad", closure_reason=ClosureReason.INELIGIBLE)
    assert pdc.status is PDCStatus.CLOSED


def test_closure_closes_reviews_and_referrals_and_writes_to_the_client(
    pdc: ProductDeliveryCase,
) -> None:
    activate(pdc)
    pdc.add_milestone(MilestoneKind.REVIEW, "Annual review")
    pdc.add_milestone(MilestoneKind.REFERRAL, "Housing referral")
    pdc.add_milestone(MilestoneKind.MILESTONE, "First payment")
    pdc.close(actor="worker", reason="client asked")
    kinds = {(m.kind, m.status) for m in pdc.milestones}
    assert (MilestoneKind.REVIEW, MilestoneStatus.CLOSED) in kinds
    assert (MilestoneKind.REFERRAL, MilestoneStatus.CLOSED) in kinds
    assert (MilestoneKind.MILESTONE, MilestoneStatus.OPEN) in kinds
    assert (MilestoneKind.CLOSURE, MilestoneStatus.OPEN) in kinds
    (letter,) = pdc.communications
    assert letter.recipient == "p1"
    assert "closed" in letter.subject


@pytest.mark.parametrize("start", ["closed", "pending closure"])
def test_reactivation_goes_through_approval_again(
    pdc: ProductDeliveryCase, clock: ManualClock, start: str
) -> None:
    activate(pdc)
    if start == "closed":
        pdc.close(actor="worker", reason="client asked")
    else:
        pdc.schedule_closure(clock.now().date() + timedelta(days=1), actor="worker")
    pdc.reactivate(actor="worker")
    assert pdc.status is PDCStatus.OPEN
    assert pdc.closure_reason is None
    assert pdc.scheduled_closure is None
    assert pdc.available_actions() == ("close", "defer", "submit")


def test_deferred_step_resumes_on_its_target(pdc: ProductDeliveryCase) -> None:
    pdc.submit(actor="worker")
    pdc.defer("approve", actor="boss")
    assert pdc.status is PDCStatus.DELAYED_PROCESS_PENDING
    pdc.resume(actor="boss")
    assert pdc.status is PDCStatus.APPROVED
    assert pdc.deferred is None


def test_failed_deferred_step_returns_where_it_was(pdc: ProductDeliveryCase) -> None:
    activate(pdc)
    pdc.defer("close", actor="worker", reason="client asked")
    pdc.resume(actor="system", succeeded=False)
    assert pdc.status is PDCStatus.ACTIVE


def test_defer_needs_a_step_allowed_now(pdc: ProductDeliveryCase) -> None:
    with pytest.raises(ValidationError, match="allowed: close, submit"):
        pdc.defer("activate", actor="worker")
    assert pdc.status is PDCStatus.OPEN


def test_refused_action_changes_nothing(pdc: ProductDeliveryCase) -> None:
    activate(pdc)
    before = case_to_record(pdc), pdc.pending_events
    for bad in (lambda: pdc.submit(actor="worker"), lambda: pdc.suspend(actor="w", reason="")):
        with pytest.raises((InvalidTransition, ValidationError)):
            bad()
    assert (case_to_record(pdc), pdc.pending_events) == before


def test_failing_effect_rolls_everything_back(pdc: ProductDeliveryCase) -> None:
    activate(pdc)
    pdc.add_milestone(MilestoneKind.REVIEW, "r")
    before = case_to_record(pdc), pdc.pending_events
    # A primary-client-less communication cannot fail, so break the clock mid-effect instead.
    calls = {"n": 0}
    real_now = pdc.clock.now

    class Flaky:
        def now(self):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] > 2:
                raise RuntimeError("clock died")
            return real_now()

    pdc.clock = Flaky()
    with pytest.raises(RuntimeError):
        pdc.close(actor="worker", reason="client asked")
    pdc.clock = ManualClock(real_now())
    after = case_to_record(pdc), pdc.pending_events
    assert after == before
    assert pdc.status is PDCStatus.ACTIVE


def test_product_is_required(clock: ManualClock) -> None:
    with pytest.raises(ValidationError, match="product"):
        ProductDeliveryCase.create(id="PDC-9", owner=Owner.user("w"), clock=clock)


def test_certification_period_must_not_end_before_it_starts(pdc: ProductDeliveryCase) -> None:
    with pytest.raises(ValidationError):
        pdc.certify(date(2026, 5, 1), date(2026, 4, 1), actor="w")
    assert pdc.certifications == ()
