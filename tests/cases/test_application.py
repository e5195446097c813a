"""Application Case rules (domain.md §1, seed 001)."""

from __future__ import annotations

from datetime import date

import pytest

from casekit.cases import (
    ApplicationCase,
    ApplicationStatus,
    IntegratedCase,
    LinkKind,
    PDCStatus,
    ProgramStatus,
)
from casekit.clock import ManualClock
from casekit.errors import GuardRejected, InvalidTransition, NotFound, ValidationError


@pytest.fixture
def app(clock: ManualClock) -> ApplicationCase:
    return ApplicationCase.create(
        id="APP-1",
        registered_by="intake",
        primary_client="p1",
        programs=["SNAP", "TANF", "WIC"],
        required_evidence={"income"},
        clock=clock,
    )


def ready(app: ApplicationCase) -> None:
    app.submit(actor="intake")
    app.submission_succeeded(actor="system")
    ev = app.add_evidence("income", {"monthly": "1200.00"}, date(2026, 1, 1), actor="intake")
    app.verify_evidence(ev.evidence_id, actor="intake")
    app.mark_ready(actor="intake")


def test_default_owner_is_the_user_who_registered_the_primary_client(app: ApplicationCase) -> None:
    assert app.owner.id == "intake"
    assert app.roles.reviewer == app.owner


def test_only_in_progress_or_submit_failed_may_move_to_submitting(app: ApplicationCase) -> None:
    app.submit(actor="intake")
    app.submission_failed(actor="system", reason="timeout")
    assert app.status is ApplicationStatus.SUBMIT_FAILED
    app.submit(actor="intake")
    app.submission_succeeded(actor="system")
    with pytest.raises(InvalidTransition, match="in status 'Submitted'"):
        app.submit(actor="intake")


def test_ready_for_determination_needs_required_evidence_verified(app: ApplicationCase) -> None:
    app.submit(actor="intake")
    app.submission_succeeded(actor="system")
    with pytest.raises(GuardRejected, match="required evidence"):
        app.mark_ready(actor="intake")
    ev = app.add_evidence("income", {"monthly": "1200.00"}, date(2026, 1, 1), actor="intake")
    with pytest.raises(GuardRejected):
        app.mark_ready(actor="intake")
    app.verify_evidence(ev.evidence_id, actor="intake")
    app.mark_ready(actor="intake")
    assert app.status is ApplicationStatus.READY_FOR_DETERMINATION


@pytest.mark.parametrize("stage", ["in progress", "submit failed", "submitted", "ready"])
def test_cancel_needs_a_reason_from_every_cancellable_status(
    app: ApplicationCase, stage: str
) -> None:
    if stage == "submit failed":
        app.submit(actor="i")
        app.submission_failed(actor="s")
    elif stage == "submitted":
        app.submit(actor="i")
        app.submission_succeeded(actor="s")
    elif stage == "ready":
        ready(app)
    with pytest.raises(ValidationError, match="reason"):
        app.perform("cancel", actor="intake")
    app.cancel(actor="intake", reason="client withdrew")
    assert app.status is ApplicationStatus.CANCELLED
    assert app.is_final


def test_programs_move_pending_to_decided_and_back(app: ApplicationCase) -> None:
    app.deny_program("TANF", actor="w")
    app.reopen_program("TANF", actor="w")
    app.withdraw_program("TANF", actor="w")
    app.reopen_program("TANF", actor="w")
    app.approve_program("TANF", actor="w")
    assert app.programs["TANF"] is ProgramStatus.APPROVED
    with pytest.raises(InvalidTransition):
        app.reopen_program("TANF", actor="w")
    with pytest.raises(NotFound, match="programs: SNAP, TANF, WIC"):
        app.approve_program("Medicaid", actor="w")


def test_dispose_needs_every_program_decided(app: ApplicationCase) -> None:
    ready(app)
    app.approve_program("SNAP", actor="w")
    with pytest.raises(GuardRejected, match="every program"):
        app.dispose(actor="w")
    assert app.status is ApplicationStatus.READY_FOR_DETERMINATION


def test_dispose_creates_an_integrated_case_and_a_pdc_per_approved_program(
    app: ApplicationCase,
) -> None:
    ready(app)
    app.approve_program("SNAP", actor="w")
    app.approve_program("WIC", actor="w")
    app.deny_program("TANF", actor="w")
    disposal = app.dispose(actor="w")
    assert app.status is ApplicationStatus.DISPOSED
    ic = disposal.integrated_case
    assert isinstance(ic, IntegratedCase)
    assert sorted(p.product for p in disposal.product_delivery_cases) == ["SNAP", "WIC"]
    for pdc in disposal.product_delivery_cases:
        assert pdc.status is PDCStatus.OPEN
        assert pdc.integrated_case_id == ic.id
        assert pdc.related(LinkKind.MEMBER_OF) == (ic.id,)
        assert pdc.primary_client_id == "p1"
    assert set(ic.member_case_ids) == {p.id for p in disposal.product_delivery_cases}
    assert app.integrated_case_id == ic.id


def test_programs_are_frozen_once_disposed(app: ApplicationCase) -> None:
    ready(app)
    for program in ("SNAP", "TANF", "WIC"):
        app.deny_program(program, actor="w")
    disposal = app.dispose(actor="w")
    assert disposal.product_delivery_cases == ()
    with pytest.raises(ValidationError, match="Disposed"):
        app.reopen_program("SNAP", actor="w")
