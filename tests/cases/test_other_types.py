"""Integrated, Screening, Assessment, Issue, Investigation and Payment Correction cases."""

from __future__ import annotations

import pytest

from casekit.cases import (
    AssessmentCase,
    CorrectionLine,
    CorrectionOutcome,
    Finding,
    IntegratedCase,
    IntegratedStatus,
    InvestigationCase,
    InvestigationStatus,
    IssueCase,
    IssueStatus,
    LinkKind,
    OpenClosedStatus,
    Owner,
    PaymentCorrectionCase,
    PCCStatus,
    ProductDeliveryCase,
    ScreeningCase,
)
from casekit.clock import ManualClock
from casekit.errors import InvalidTransition, ValidationError
from casekit.money import Money


def test_integrated_case_closes_and_reopens(clock: ManualClock) -> None:
    ic = IntegratedCase.create(id="IC-1", owner=Owner.user("w"), clock=clock)
    ic.close(actor="w")
    assert ic.status is IntegratedStatus.CLOSED
    ic.reopen(actor="w")
    assert ic.status is IntegratedStatus.OPEN


def test_member_cases_keep_their_own_lifecycle(
    clock: ManualClock, pdc: ProductDeliveryCase
) -> None:
    ic = IntegratedCase.create(id="IC-1", owner=Owner.user("w"), clock=clock)
    ic.add_member_case(pdc)
    ic.close(actor="w")
    pdc.submit(actor="worker")
    assert ic.member_case_ids == ("PDC-17",)
    assert pdc.related(LinkKind.MEMBER_OF) == ("IC-1",)


@pytest.mark.parametrize("cls", [ScreeningCase, AssessmentCase])
def test_screening_and_assessment_hold_results_until_closed(
    clock: ManualClock, cls: type[ScreeningCase] | type[AssessmentCase]
) -> None:
    case = cls.create(owner=Owner.user("w"), clock=clock)
    case.record_result("SNAP", eligible=True)
    case.record_result("TANF", eligible=False, detail="income too high")
    case.close(actor="w")
    assert case.status is OpenClosedStatus.CLOSED
    assert [r.program for r in case.results] == ["SNAP", "TANF"]
    with pytest.raises(ValidationError):
        case.record_result("WIC", eligible=True)
    with pytest.raises(InvalidTransition):
        case.perform("close", actor="w")


def test_generated_ids_use_the_type_prefix(clock: ManualClock) -> None:
    assert AssessmentCase.create(owner=Owner.user("w"), clock=clock).id.startswith("ASM-")


def test_issue_manual_approval_waits_for_approval(clock: ManualClock) -> None:
    issue = IssueCase.create(
        id="ISS-1", owner=Owner.user("w"), supervisor=Owner.user("boss"), clock=clock
    )
    issue.resolve("Agree with Employer", actor="w")
    assert issue.status is IssueStatus.PENDING_APPROVAL
    issue.reject(actor="boss", reason="needs more detail")
    assert issue.status is IssueStatus.OPEN
    assert issue.resolution is None
    issue.resolve("Agree with Client", actor="w")
    issue.approve(actor="boss")
    assert issue.status is IssueStatus.CLOSED
    assert issue.resolution == "Agree with Client"


def test_issue_automatic_approval_closes_on_resolve(clock: ManualClock) -> None:
    issue = IssueCase.create(
        id="ISS-2", owner=Owner.user("w"), clock=clock, automatic_approval=True
    )
    issue.resolve("Agree with Client", actor="w")
    assert issue.status is IssueStatus.CLOSED


def test_issue_resolution_must_be_a_named_end_point(clock: ManualClock) -> None:
    issue = IssueCase.create(id="ISS-3", owner=Owner.user("w"), clock=clock)
    with pytest.raises(ValidationError, match="Agree with Client"):
        issue.resolve("Shrug", actor="w")
    assert issue.status is IssueStatus.OPEN


def test_investigation_closes_with_findings_and_reopens_with_reason(clock: ManualClock) -> None:
    inv = InvestigationCase.create(id="INV-1", owner=Owner.user("w"), clock=clock)
    inv.record_allegation("Undeclared income", actor="w")
    with pytest.raises(ValidationError, match="findings"):
        inv.perform("close", actor="w", findings="yes", resolution="x")
    inv.close(actor="w", findings=Finding.FOUNDED, resolution="Overpayment referred")
    assert inv.status is InvestigationStatus.CLOSED
    assert inv.findings is Finding.FOUNDED
    with pytest.raises(ValidationError, match="reason"):
        inv.perform("reopen", actor="w")
    inv.reopen(actor="w", reason="new information")
    assert inv.status is InvestigationStatus.OPEN
    assert inv.allegations == ("Undeclared income",)


def test_payment_correction_case_links_to_its_pdc(pdc: ProductDeliveryCase) -> None:
    line = CorrectionLine(
        pdc.created_at.date(), pdc.created_at.date(), "basic", "p1", Money("-10.00", "EUR")
    )
    pcc = PaymentCorrectionCase.open_for(
        pdc,
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money("-10.00", "EUR"),
        lines=[line],
        actor="system",
        reassessment_id="R-1",
    )
    assert pcc.related(LinkKind.CORRECTS) == (pdc.id,)
    assert pdc.related(LinkKind.CORRECTED_BY) == (pcc.id,)
    assert pcc.owner == pdc.owner
    pcc.approve(actor="boss")
    pcc.settle(actor="system")
    assert pcc.status is PCCStatus.CLOSED


def test_payment_correction_can_be_cancelled_with_reason(pdc: ProductDeliveryCase) -> None:
    pcc = PaymentCorrectionCase.open_for(
        pdc, outcome=CorrectionOutcome.UNDERPAYMENT, net=Money("5", "EUR"), lines=(), actor="s"
    )
    pcc.cancel(actor="boss", reason="duplicate")
    assert pcc.status is PCCStatus.CANCELLED


def test_no_correction_case_for_no_change(pdc: ProductDeliveryCase) -> None:
    with pytest.raises(ValidationError, match="no change"):
        PaymentCorrectionCase.open_for(
            pdc, outcome=CorrectionOutcome.NO_CHANGE, net=Money("0", "EUR"), lines=(), actor="s"
        )
