"""Benefit financials end to end: pay a benefit, change the evidence, reassess, correct.

A Product Delivery Case pays two components monthly in advance: basic 600.00 and housing
200.00. A rule set turns the case's effective-dated evidence into determinations; the
schedule prorates them by day; January to April are paid (Payment Successful) and recorded
in the ledger. Then new evidence arrives — from 16 March basic is 450.00 and housing stops
from 1 April (the worked example of domain.md §3) — and the reassessment engine finds the
overpayment of 427.42, opens a Payment Correction Case linked to the PDC and sets up its
recovery from future payments. A payment simulation for 1 May shows the recovery deducted.

Run it: ``python examples/financials.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

from casekit import ManualClock
from casekit.cases import EvidenceLog, Owner, ProductDeliveryCase
from casekit.errors import PaymentLocked
from casekit.financials import (
    Decision,
    DeductionPolicy,
    DeliveryPattern,
    Entitlement,
    Ledger,
    Nominees,
    Payment,
    Period,
    ReassessmentEngine,
    ReassessmentTrigger,
    build_schedule,
    certified_periods,
    determine,
    evidence_segments,
    simulate,
)
from casekit.money import Money

CURRENCY = "EUR"
SPAN = Period(date(2026, 1, 1), date(2026, 12, 31))


def allowance_rules(evidence: EvidenceLog, span: Period) -> Iterator[Decision]:
    """The product's rule set: each 'allowance' evidence in force gives its component's rate."""
    for segment in evidence_segments(evidence.current("allowance"), span):
        rates: dict[str, Money] = {}
        for record in evidence.in_force("allowance", on=segment.start):
            component, monthly = record.attributes["component"], record.attributes["monthly"]
            assert isinstance(component, str)
            assert isinstance(monthly, str)
            rates[component] = Money(monthly, CURRENCY)
        yield Decision(segment, bool(rates), rates)


def main() -> None:
    """Pay January–April, change the evidence, reassess and open the correction case."""
    clock = ManualClock(datetime(2026, 1, 1, 9, tzinfo=UTC))
    pdc = ProductDeliveryCase.create(
        id="PDC-2001",
        product="Basic Allowance",
        primary_client="client-42",
        owner=Owner.user("ana"),
        supervisor=Owner.user("sam"),
        requires_certification=True,
        clock=clock,
    )
    pdc.certify(SPAN.start, SPAN.end, actor="ana")
    basic = pdc.add_evidence(
        "allowance", {"component": "basic", "monthly": "600.00"}, SPAN.start, actor="ana"
    )
    housing = pdc.add_evidence(
        "allowance", {"component": "housing", "monthly": "200.00"}, SPAN.start, actor="ana"
    )
    pdc.submit(actor="ana")
    pdc.approve(actor="sam")
    pdc.activate(actor="ana")

    pattern = DeliveryPattern.monthly(1)  # calendar months, paid in advance
    nominees = Nominees("client-42")
    paid_under = Entitlement(
        determine(allowance_rules, pdc.evidence, SPAN, currency=CURRENCY),
        certified_periods(pdc),
    )

    # Issue January to April: one payment per cover period, verified, submitted, paid.
    ledger = Ledger(CURRENCY)
    lines = build_schedule(
        paid_under.determinations,
        pattern,
        nominees,
        Period(date(2026, 1, 1), date(2026, 4, 30)),
        certified=paid_under.certified,
    )
    payments: list[Payment] = []
    for cover in sorted({line.cover for line in lines}):
        cover_lines = [line for line in lines if line.cover == cover]
        payment = Payment.create(
            case_id=pdc.id,
            payee="client-42",
            cover=cover,
            amount=sum((line.amount for line in cover_lines), Money.zero(CURRENCY)),
            due_date=pattern.due_date(cover),
            lines=cover_lines,
            clock=clock,
        )
        payment.verify(actor="ana")
        payment.submit(actor="payments")
        payment.confirm(actor="bank")
        for line in payment.lines:
            ledger.record_paid(line, reference=payment.id)
        payments.append(payment)
    print(f"paid {len(payments)} payments, {ledger.total_paid()} in all")
    try:
        payments[0].change(actor="ana", amount=Money("1.00", CURRENCY))
    except PaymentLocked as refused:
        print(f"refused: {refused}")

    # New evidence: from 16 March basic is 450.00; housing stops from 1 April.
    clock.set(datetime(2026, 5, 4, 9, tzinfo=UTC))
    pdc.end_evidence(basic.evidence_id, date(2026, 3, 15), actor="ana")
    pdc.add_evidence(
        "allowance", {"component": "basic", "monthly": "450.00"}, date(2026, 3, 16), actor="ana"
    )
    pdc.end_evidence(housing.evidence_id, date(2026, 3, 31), actor="ana")
    now_due = Entitlement(
        determine(allowance_rules, pdc.evidence, SPAN, currency=CURRENCY),
        certified_periods(pdc),
    )

    engine = ReassessmentEngine()
    applied = engine.reassess(
        pdc,
        old=paid_under,
        new=now_due,
        ledger=ledger,
        pattern=pattern,
        nominees=nominees,
        actor="system",
        trigger=ReassessmentTrigger.EVIDENCE_CHANGE,
        recover_per_payment=Money("100.00", CURRENCY),
    )
    result = applied.result
    print(
        f"reassessed {result.period}: due {result.due}, paid {result.paid} → "
        f"{result.outcome.value} of {abs(result.net)}"
    )
    for correction in result.by_component():
        print(f"  {correction.component}: {correction.amount}")
    pcc = applied.correction_case
    assert pcc is not None
    print(f"{pcc.id} ({pcc.status.value}) corrects {pcc.pdc_id}: {pcc.outcome.value} {pcc.net}")

    # What 1 May's payment looks like with the recovery deducted (nothing is issued).
    assert applied.recovery is not None
    simulation = simulate(
        date(2026, 5, 1),
        entitlement=now_due,
        pattern=pattern,
        nominees=nominees,
        deductions={"client-42": [applied.recovery]},
        policy=DeductionPolicy(max_rate=Decimal("0.25")),
    )
    for due in simulation.payments:
        taken = ", ".join(f"{r.name} {r.taken}" for r in due.deductions.records)
        print(f"1 May to {due.payee}: gross {due.gross}, deducted {taken}, net {due.net}")


if __name__ == "__main__":
    main()
