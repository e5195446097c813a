"""A Hypothesis state machine over one case's evidence, suspensions and reassessments.

Whatever the sequence, after every step the ledger agrees with the entitlement it is kept
under: for every line, paid + corrections recorded = what that entitlement says was due.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from casekit.cases import EvidenceLog, Owner, PDCStatus, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.financials import (
    CaseFinancials,
    Decision,
    DeliveryPattern,
    FinancialProduct,
    Period,
    ReassessmentTrigger,
    build_schedule,
    evidence_segments,
)
from casekit.financials.payments import Payment
from casekit.money import Money

EUR = "EUR"
SPAN = Period(date(2026, 1, 1), date(2026, 6, 30))


def latest_rate_rules(evidence: EvidenceLog, span: Period) -> Iterator[Decision]:
    """Per component, the in-force 'rate' evidence that started last gives the rate."""
    for segment in evidence_segments(evidence.current("rate"), span):
        chosen: dict[str, tuple[date, int, str]] = {}
        for order, record in enumerate(evidence.in_force("rate", on=segment.start)):
            component = str(record.attributes["component"])
            rank = (record.effective_from, order, str(record.attributes["monthly"]))
            if component not in chosen or rank > chosen[component]:
                chosen[component] = rank
        rates = {c: Money(rank[2], EUR) for c, rank in chosen.items()}
        yield Decision(segment, True, rates)


PRODUCT = FinancialProduct(
    name="Allowance",
    currency=EUR,
    rule_set=latest_rate_rules,
    components=("basic", "housing"),
    span=SPAN,
)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 7, 1, tzinfo=UTC))
        self.pdc = ProductDeliveryCase.create(
            id="PDC-S",
            product="Allowance",
            primary_client="c1",
            owner=Owner.user("w"),
            supervisor=Owner.user("boss"),
            clock=self.clock,
        )
        for component, monthly in (("basic", "600.00"), ("housing", "200.00")):
            self.pdc.add_evidence(
                "rate", {"component": component, "monthly": monthly}, SPAN.start, actor="w"
            )
        self.pdc.submit(actor="w")
        self.pdc.approve(actor="boss")
        self.pdc.activate(actor="w")
        self.fin = CaseFinancials(self.pdc, PRODUCT, pattern=DeliveryPattern.monthly(1))
        for line in self.fin.schedule(SPAN):
            payment = Payment.create(
                case_id=self.pdc.id,
                payee=line.nominee,
                cover=line.cover,
                amount=line.amount,
                due_date=line.due_date,
                lines=[line],
                clock=self.clock,
            )
            payment.verify(actor="w")
            payment.submit(actor="payments")
            self.fin.record_paid(payment)
        self.pdc.collect_events()

    @rule(
        component=st.sampled_from(["basic", "housing"]),
        day=st.integers(0, SPAN.days - 1),
        cents=st.integers(0, 150_000),
    )
    def change_evidence(self, component: str, day: int, cents: int) -> None:
        self.clock.advance(timedelta(minutes=1))
        self.pdc.add_evidence(
            "rate",
            {"component": component, "monthly": str(Money.from_minor(cents, EUR).amount)},
            SPAN.start + timedelta(days=day),
            actor="w",
        )

    @rule()
    def handle_events(self) -> None:
        for event in self.pdc.collect_events():
            self.fin.handle(event, actor="w")

    @rule()
    def manual_reassessment(self) -> None:
        self.fin.reassess(ReassessmentTrigger.MANUAL, actor="w")

    @precondition(lambda self: self.pdc.status is PDCStatus.ACTIVE)
    @rule()
    def suspend(self) -> None:
        self.pdc.suspend(actor="w", reason="check")

    @precondition(lambda self: self.pdc.status is PDCStatus.SUSPENDED)
    @rule()
    def reactivate(self) -> None:
        self.pdc.unsuspend(actor="w")
        self.pdc.submit(actor="w")
        self.pdc.approve(actor="boss")
        self.pdc.activate(actor="w")

    @invariant()
    def ledger_agrees_with_the_entitlement_it_is_kept_under(self) -> None:
        due = {
            line.key: line.amount
            for line in build_schedule(
                self.fin.entitlement.determinations,
                self.fin.pattern,
                self.fin.nominees,
                SPAN,
            )
        }
        keys = set(due) | {
            (e.cover.start, e.cover.end, e.component, e.nominee) for e in self.fin.ledger
        }
        for key in keys:
            held = self.fin.ledger.paid(key) + self.fin.ledger.corrected(key)
            assert held == due.get(key, Money.zero(EUR)), key

    @invariant()
    def a_suspended_case_gets_no_correction_case(self) -> None:
        for applied in self.fin.reassessments:
            if applied.skipped:
                assert applied.correction_case is None


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(stateful_step_count=15)
