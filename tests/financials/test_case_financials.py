"""CaseFinancials: a PDC's entitlement kept current and reassessed on the case's events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from casekit.cases import (
    CorrectionOutcome,
    EvidenceChanged,
    EvidenceLog,
    LinkKind,
    Owner,
    ProductDeliveryCase,
)
from casekit.errors import ValidationError
from casekit.financials import (
    CaseFinancials,
    Decision,
    DeliveryPattern,
    FinancialProduct,
    Payment,
    Period,
    ReassessmentTrigger,
    evidence_segments,
    trigger_for,
)
from casekit.money import Money

from .conftest import EUR, eur

JAN_APR = Period(date(2026, 1, 1), date(2026, 4, 30))


def allowance_rules(evidence: EvidenceLog, span: Period) -> Iterator[Decision]:
    for segment in evidence_segments(evidence.current("allowance"), span):
        rates = {
            str(e.attributes["component"]): Money(str(e.attributes["monthly"]), EUR)
            for e in evidence.in_force("allowance", on=segment.start)
        }
        yield Decision(segment, bool(rates), rates)


PRODUCT = FinancialProduct(
    name="Basic Allowance",
    currency=EUR,
    rule_set=allowance_rules,
    components=("basic", "housing"),
    span=Period(date(2026, 1, 1), date(2026, 12, 31)),
)


def _paid_case(pdc: ProductDeliveryCase) -> tuple[CaseFinancials, str, str]:
    basic = pdc.add_evidence(
        "allowance", {"component": "basic", "monthly": "600.00"}, date(2026, 1, 1), actor="w"
    )
    housing = pdc.add_evidence(
        "allowance", {"component": "housing", "monthly": "200.00"}, date(2026, 1, 1), actor="w"
    )
    fin = CaseFinancials(pdc, PRODUCT, pattern=DeliveryPattern.monthly(1))
    for line in fin.schedule(JAN_APR):
        payment = Payment.create(
            case_id=pdc.id,
            payee=line.nominee,
            cover=line.cover,
            amount=line.amount,
            due_date=line.due_date,
            lines=[line],
        )
        payment.verify(actor="w")
        payment.submit(actor="payments")
        fin.record_paid(payment)
    pdc.collect_events()
    return fin, basic.evidence_id, housing.evidence_id


def _change(pdc: ProductDeliveryCase, basic: str, housing: str) -> None:
    pdc.end_evidence(basic, date(2026, 3, 15), actor="w")
    pdc.add_evidence(
        "allowance", {"component": "basic", "monthly": "450.00"}, date(2026, 3, 16), actor="w"
    )
    pdc.end_evidence(housing, date(2026, 3, 31), actor="w")


def test_evidence_change_events_trigger_the_reassessment(pdc: ProductDeliveryCase) -> None:
    fin, basic, housing = _paid_case(pdc)
    assert fin.ledger.total_paid() == eur("3200.00")
    _change(pdc, basic, housing)
    results = [fin.handle(event, actor="w") for event in pdc.collect_events()]
    applied = [r for r in results if r is not None and r.correction_case is not None]
    # The first event finds only part of the change (evidence is recorded one piece at a
    # time); each later one nets against what the earlier ones recorded.
    total = sum((a.result.net for a in applied), Money.zero(EUR))
    assert total == eur("-427.42")
    assert fin.ledger.total_corrected() == eur("-427.42")
    assert len(pdc.related(LinkKind.CORRECTED_BY)) == len(applied)
    assert fin.entitlement == fin.determine()


def test_one_manual_reassessment_after_all_the_evidence(pdc: ProductDeliveryCase) -> None:
    fin, basic, housing = _paid_case(pdc)
    _change(pdc, basic, housing)
    applied = fin.reassess(ReassessmentTrigger.MANUAL, actor="w")
    assert applied.result.outcome is CorrectionOutcome.OVERPAYMENT
    assert applied.result.net == eur("-427.42")
    assert fin.reassess(actor="w").result.outcome is CorrectionOutcome.NO_CHANGE


def test_skipped_reassessment_keeps_the_old_entitlement_so_the_change_is_found_later(
    pdc: ProductDeliveryCase,
) -> None:
    fin, basic, housing = _paid_case(pdc)
    before = fin.entitlement
    pdc.suspend(actor="w", reason="abroad")
    _change(pdc, basic, housing)
    skipped = fin.reassess(actor="w")
    assert skipped.skipped
    assert fin.entitlement == before
    pdc.unsuspend(actor="w")
    pdc.submit(actor="w")
    pdc.approve(actor="boss")
    pdc.activate(actor="w")
    later = fin.reassess(actor="w")
    assert later.result.net == eur("-427.42")
    assert later.correction_case is not None


def test_unknown_component_from_the_rule_set_is_refused(pdc: ProductDeliveryCase) -> None:
    pdc.add_evidence(
        "allowance", {"component": "fuel", "monthly": "10.00"}, date(2026, 1, 1), actor="w"
    )
    with pytest.raises(ValidationError, match=r"\['fuel'\].*basic, housing"):
        CaseFinancials(pdc, PRODUCT, pattern=DeliveryPattern.monthly(1))


def test_only_submitted_or_successful_payments_count_as_paid(pdc: ProductDeliveryCase) -> None:
    fin, _, _ = _paid_case(pdc)
    line = fin.schedule(Period(date(2026, 5, 1), date(2026, 5, 1)))[0]
    payment = Payment.create(
        case_id=pdc.id,
        payee=line.nominee,
        cover=line.cover,
        amount=line.amount,
        due_date=line.due_date,
        lines=[line],
    )
    with pytest.raises(ValidationError, match="Not Verified"):
        fin.record_paid(payment)
    assert fin.ledger.total_paid() == eur("3200.00")


def test_simulation_uses_the_products_deduction_policy(pdc: ProductDeliveryCase) -> None:
    fin, _, _ = _paid_case(pdc)
    simulation = fin.simulate(date(2026, 5, 1))
    assert simulation.total_gross == eur("800.00")


def test_handle_ignores_the_correction_cases_closure(pdc: ProductDeliveryCase) -> None:
    """Reproduction 6: a Payment Correction Case moving to Closed is not the PDC closing."""
    fin, basic, housing = _paid_case(pdc)
    _change(pdc, basic, housing)
    applied = fin.reassess(ReassessmentTrigger.MANUAL, actor="w")
    pcc = applied.correction_case
    assert pcc is not None
    pcc.collect_events()
    pcc.approve(actor="boss")
    pcc.settle(actor="boss")
    events = pcc.collect_events()
    assert any(getattr(e, "to_status", None) == "Closed" for e in events)
    assert [fin.handle(event, actor="w") for event in events] == [None] * len(events)
    assert [trigger_for(event, case_id=pdc.id) for event in events] == [None] * len(events)
    assert len(fin.reassessments) == 1


def test_handle_ignores_events_of_another_case(pdc: ProductDeliveryCase) -> None:
    """Reproduction 6: handle did not check the event's case id."""
    fin, _, _ = _paid_case(pdc)
    other = ProductDeliveryCase.create(
        id="PDC-OTHER",
        product="Basic Allowance",
        primary_client="client-9",
        owner=Owner.user("worker"),
        supervisor=Owner.user("boss"),
        clock=pdc.clock,
    )
    other.add_evidence(
        "allowance", {"component": "basic", "monthly": "1.00"}, date(2026, 1, 1), actor="w"
    )
    other.submit(actor="worker")
    other.approve(actor="boss")
    other.activate(actor="worker")
    other.close(actor="w", reason="ineligible")
    events = other.collect_events()
    assert any(isinstance(e, EvidenceChanged) for e in events)
    assert [fin.handle(event, actor="w") for event in events] == [None] * len(events)
    assert fin.reassessments == []
    # The PDC's own closure still triggers its reassessment.
    pdc.close(actor="w", reason="ineligible")
    own = [fin.handle(event, actor="w") for event in pdc.collect_events()]
    assert [a.result.trigger for a in own if a is not None] == [ReassessmentTrigger.CLOSURE]


def test_nominee_change_alone_is_reassessed_by_case_financials(pdc: ProductDeliveryCase) -> None:
    """Reproduction 5: a retroactive nominee change is found by reassess() with no since=."""
    fin, _, _ = _paid_case(pdc)
    fin.nominees.assign("housing", "landlord", date(2026, 4, 1), actor="w", at=pdc.clock.now())
    applied = fin.reassess(actor="w")
    assert applied.result.outcome is CorrectionOutcome.NET_ZERO
    assert [(p.payee, p.amount) for p in applied.payments] == [("landlord", eur("200.00"))]
    assert fin.reassess(actor="w").result.outcome is CorrectionOutcome.NO_CHANGE
