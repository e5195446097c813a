"""domain.md §3's worked example, to the cent, both steps."""

from __future__ import annotations

from datetime import date

from casekit.cases import CorrectionOutcome, LinkKind, PaymentCorrectionCase, ProductDeliveryCase
from casekit.financials import Period, ReassessmentEngine, build_schedule, reassess
from casekit.money import Money

from .conftest import EUR, WorkedExample, eur


def test_worked_example_paid_3200_for_january_to_april(worked: WorkedExample) -> None:
    ledger = worked.paid_ledger()
    assert ledger.total_paid() == eur("3200.00")
    assert len(ledger) == 8


def test_worked_example_due_after_the_first_change(worked: WorkedExample) -> None:
    lines = build_schedule(
        worked.step1.determinations,
        worked.pattern,
        worked.nominees,
        Period(date(2026, 1, 1), date(2026, 4, 30)),
    )
    by = {(line.cover.start.month, line.component): line.amount for line in lines}
    assert by[(1, "basic")] + by[(1, "housing")] == eur("800.00")
    assert by[(2, "basic")] + by[(2, "housing")] == eur("800.00")
    # 600 × 15/31 + 450 × 16/31 = 290.3225… + 232.2580… = 522.58 (rounded once)
    assert by[(3, "basic")] == eur("522.58")
    assert by[(3, "housing")] == eur("200.00")
    assert by[(4, "basic")] == eur("450.00")
    assert (4, "housing") not in by  # 0.00 due: no line
    assert sum((line.amount for line in lines), Money.zero(EUR)) == eur("2772.58")


def test_worked_example_step_one_is_an_overpayment_of_427_42(worked: WorkedExample) -> None:
    result = reassess(
        "PDC-7",
        old=worked.paid_under,
        new=worked.step1,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    assert result.outcome is CorrectionOutcome.OVERPAYMENT
    assert result.net == eur("-427.42")
    assert result.period == Period(date(2026, 3, 16), date(2026, 4, 30))
    by_component = {line.component: line.amount for line in result.by_component()}
    assert by_component == {"basic": eur("-227.42"), "housing": eur("-200.00")}
    rolled = result.rolled_up()
    assert rolled is not None
    assert rolled.amount == eur("-427.42")


def test_worked_example_step_one_over_january_to_april(worked: WorkedExample) -> None:
    result = reassess(
        "PDC-7",
        old=worked.paid_under,
        new=worked.step1,
        ledger=worked.paid_ledger(),
        pattern=worked.pattern,
        nominees=worked.nominees,
        since=date(2026, 1, 1),
    )
    assert result.due == eur("2772.58")
    assert result.paid == eur("3200.00")
    assert result.net == eur("-427.42")


def test_worked_example_step_two_nets_to_an_underpayment_of_100(
    worked: WorkedExample,
) -> None:
    ledger = worked.paid_ledger()
    first = reassess(
        "PDC-7",
        old=worked.paid_under,
        new=worked.step1,
        ledger=ledger,
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    ledger.record_corrections([(c.key, c.correction) for c in first.corrections], reference="R1")
    second = reassess(
        "PDC-7",
        old=worked.step1,
        new=worked.step2,
        ledger=ledger,
        pattern=worked.pattern,
        nominees=worked.nominees,
    )
    assert second.period == Period(date(2026, 4, 1), date(2026, 4, 30))
    april_housing = [line for line in second.lines if line.component == "housing"]
    assert [line.due for line in april_housing] == [eur("100.00")]  # 200 × 15/30
    assert second.outcome is CorrectionOutcome.UNDERPAYMENT
    assert second.net == eur("100.00")
    # Over the whole of January–April: due − paid = −327.42, netted against −427.42.
    whole = reassess(
        "PDC-7",
        old=worked.step1,
        new=worked.step2,
        ledger=ledger,
        pattern=worked.pattern,
        nominees=worked.nominees,
        since=date(2026, 1, 1),
    )
    assert whole.due - whole.paid == eur("-327.42")
    assert whole.earlier == eur("-427.42")
    assert whole.net == eur("100.00")


def test_worked_example_through_the_engine_opens_two_correction_cases(
    worked: WorkedExample, pdc: ProductDeliveryCase
) -> None:
    engine = ReassessmentEngine()
    ledger = worked.paid_ledger()
    common = {"ledger": ledger, "pattern": worked.pattern, "nominees": worked.nominees}
    first = engine.reassess(pdc, old=worked.paid_under, new=worked.step1, actor="w", **common)
    second = engine.reassess(pdc, old=worked.step1, new=worked.step2, actor="w", **common)
    assert first.correction_case is not None
    assert second.correction_case is not None
    assert isinstance(first.correction_case, PaymentCorrectionCase)
    assert first.correction_case.net == eur("-427.42")
    assert first.correction_case.outcome is CorrectionOutcome.OVERPAYMENT
    assert second.correction_case.net == eur("100.00")
    assert second.correction_case.outcome is CorrectionOutcome.UNDERPAYMENT
    assert [p.amount for p in second.payments] == [eur("100.00")]
    assert set(pdc.related(LinkKind.CORRECTED_BY)) == {
        first.correction_case.id,
        second.correction_case.id,
    }
    assert ledger.total_corrected() == eur("-327.42")
