"""Applying reassessments: correction cases, suspended and closed cases, one at a time."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from casekit.cases import (
    CorrectionOutcome,
    EvidenceChanged,
    LinkKind,
    PCCStatus,
    ProductDeliveryCase,
)
from casekit.errors import ReassessmentInProgress, ValidationError
from casekit.financials import (
    ClosedCaseStrategy,
    DeductionPolicy,
    ReassessmentEngine,
    ReassessmentTrigger,
    apply_deductions,
    trigger_for,
)

from .conftest import WorkedExample, eur


def _run(
    engine: ReassessmentEngine,
    pdc: ProductDeliveryCase,
    worked: WorkedExample,
    **kw: object,
) -> object:
    ledger = kw.pop("ledger", None) or worked.paid_ledger()
    return engine.reassess(
        pdc,
        old=worked.paid_under,
        new=worked.step1,
        ledger=ledger,  # type: ignore[arg-type]
        pattern=worked.pattern,
        nominees=worked.nominees,
        actor="worker",
        **kw,  # type: ignore[arg-type]
    )


def test_overpayment_opens_a_correction_case_linked_to_the_pdc(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    applied = ReassessmentEngine().reassess(
        pdc,
        old=worked.paid_under,
        new=worked.step1,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
        actor="worker",
        trigger=ReassessmentTrigger.EVIDENCE_CHANGE,
    )
    pcc = applied.correction_case
    assert pcc is not None
    assert pcc.status is PCCStatus.OPEN
    assert pcc.pdc_id == pdc.id
    assert pcc.related(LinkKind.CORRECTS) == (pdc.id,)
    assert pdc.related(LinkKind.CORRECTED_BY) == (pcc.id,)
    assert pcc.reassessment_id == applied.reassessment_id == "PDC-7/R1"
    assert [line.component for line in pcc.lines] == ["basic", "housing"]
    assert applied.payments == ()


def test_rolled_up_engine_gives_the_correction_case_one_line(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    applied = _run(ReassessmentEngine(rolled_up=True), pdc, worked)
    pcc = applied.correction_case  # type: ignore[attr-defined]
    assert [line.amount for line in pcc.lines] == [eur("-427.42")]


def test_overpayment_recovered_by_deduction_from_future_payments(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    applied = _run(ReassessmentEngine(), pdc, worked, recover_per_payment=eur("100.00"))
    recovery = applied.recovery  # type: ignore[attr-defined]
    assert recovery is not None
    assert recovery.outstanding == eur("427.42")
    policy = DeductionPolicy(max_rate=1)
    taken = apply_deductions(eur("450.00"), [recovery], policy).records[0].taken
    assert taken == eur("100.00")


def test_recovery_amount_must_be_positive_and_nothing_changes(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    ledger = worked.paid_ledger()
    with pytest.raises(ValidationError, match="positive"):
        _run(ReassessmentEngine(), pdc, worked, ledger=ledger, recover_per_payment=eur("0"))
    assert pdc.related(LinkKind.CORRECTED_BY) == ()
    assert ledger.total_corrected() == eur("0")


def test_no_correction_while_the_pdc_is_suspended(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    pdc.suspend(actor="worker", reason="client abroad")
    ledger = worked.paid_ledger()
    applied = _run(ReassessmentEngine(), pdc, worked, ledger=ledger)
    assert applied.correction_case is None  # type: ignore[attr-defined]
    assert "Suspended" in applied.skipped  # type: ignore[attr-defined]
    assert applied.result.net == eur("-427.42")  # type: ignore[attr-defined]
    assert ledger.total_corrected() == eur("0")
    assert pdc.related(LinkKind.CORRECTED_BY) == ()


def test_no_correction_while_a_step_deferred_from_suspended_waits(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    """Regression: deferring 'unsuspend' moved a suspended case to Delayed Process Pending,
    where reassessment no longer saw it as suspended and opened a correction case."""
    pdc.suspend(actor="worker", reason="client abroad")
    pdc.perform("defer", actor="worker", step="unsuspend")
    ledger = worked.paid_ledger()
    applied = _run(ReassessmentEngine(), pdc, worked, ledger=ledger)
    assert applied.correction_case is None  # type: ignore[attr-defined]
    assert "Suspended" in applied.skipped  # type: ignore[attr-defined]
    assert ledger.total_corrected() == eur("0")


def test_closed_pdc_not_reassessed_by_default(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    pdc.close(actor="worker", reason="found ineligible")
    applied = _run(ReassessmentEngine(), pdc, worked)
    assert applied.correction_case is None  # type: ignore[attr-defined]
    assert "Not Reassessed" in applied.skipped  # type: ignore[attr-defined]


def test_closed_pdc_reassessed_when_the_strategy_says_so(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    pdc.close(actor="worker", reason="found ineligible")
    engine = ReassessmentEngine(closed_cases=ClosedCaseStrategy.REASSESSED)
    applied = _run(engine, pdc, worked)
    assert applied.correction_case is not None  # type: ignore[attr-defined]


def test_closure_trigger_is_reassessed_even_under_the_default_strategy(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    pdc.close(actor="worker", reason="found ineligible")
    applied = _run(ReassessmentEngine(), pdc, worked, trigger=ReassessmentTrigger.CLOSURE)
    assert applied.correction_case is not None  # type: ignore[attr-defined]


def test_second_reassessment_while_one_is_in_progress_is_refused(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    engine = ReassessmentEngine()
    ledger = worked.paid_ledger()
    with engine.running(pdc.id):
        assert engine.in_progress(pdc.id)
        with pytest.raises(ReassessmentInProgress, match="PDC-7 is already being reassessed"):
            _run(engine, pdc, worked, ledger=ledger)
    assert not engine.in_progress(pdc.id)
    assert ledger.total_corrected() == eur("0")
    assert pdc.related(LinkKind.CORRECTED_BY) == ()
    # Once the first one is done, a retry goes through.
    assert _run(engine, pdc, worked, ledger=ledger).correction_case is not None  # type: ignore[attr-defined]


def test_in_progress_guard_holds_across_threads(pdc: ProductDeliveryCase) -> None:
    engine = ReassessmentEngine()
    started, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with engine.running(pdc.id):
            started.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    started.wait(5)
    try:
        with engine.running(pdc.id):
            pass
    except ReassessmentInProgress as error:
        errors.append(error)
    release.set()
    thread.join(5)
    assert len(errors) == 1


def test_no_change_opens_no_correction_case(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    applied = ReassessmentEngine().reassess(
        pdc,
        old=worked.paid_under,
        new=worked.paid_under,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
        actor="worker",
    )
    assert applied.result.outcome is CorrectionOutcome.NO_CHANGE
    assert applied.correction_case is None
    assert applied.skipped == ""


def test_engine_refuses_an_empty_actor(worked: WorkedExample, pdc: ProductDeliveryCase) -> None:
    with pytest.raises(ValidationError, match="actor"):
        ReassessmentEngine().reassess(
            pdc,
            old=worked.paid_under,
            new=worked.step1,
            ledger=worked.paid_ledger(),
            pattern=worked.pattern,
            nominees=worked.nominees,
            actor="",
        )


def test_triggers_evidence_change_and_closure(pdc: ProductDeliveryCase) -> None:
    pdc.collect_events()
    pdc.add_evidence("income", {"rate": "450.00"}, date(2026, 3, 16), actor="worker")
    pdc.close(actor="worker", reason="found ineligible")
    events = pdc.collect_events()
    triggers = [trigger_for(e, case_id=pdc.id) for e in events]
    assert any(isinstance(e, EvidenceChanged) for e in events)
    assert ReassessmentTrigger.EVIDENCE_CHANGE in triggers
    assert ReassessmentTrigger.CLOSURE in triggers
    assert trigger_for(object(), case_id=pdc.id) is None
