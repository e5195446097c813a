"""The demo's benefit: entitlement from income, monthly payments, reassessments.

The Basic Allowance pays two components from the client's monthly income: ``basic`` is
800.00 less half the income (never below zero) and ``housing`` is 150.00 while the income is
below 1,000.00. It is paid monthly in arrears, each case on its own day of the month.

The office starts with an existing caseload, paid up to the demo's first day. Every working
day some existing clients report a change of income, effective from the first of this month
or of one of the two months before: the evidence is changed and the case reassessed, which
turns the change into an over- or underpayment and a Payment Correction Case. New benefits
from the day's applications join the caseload and are paid when their day comes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from casekit.cases import EvidenceLog, Owner, PaymentCorrectionCase, ProductDeliveryCase
from casekit.cases.payment_correction import CorrectionOutcome
from casekit.clock import Clock
from casekit.financials import (
    AppliedReassessment,
    CaseFinancials,
    Decision,
    DeliveryPattern,
    FinancialProduct,
    Payment,
    Period,
    ReassessmentEngine,
    ReassessmentTrigger,
    Timing,
    evidence_segments,
)
from casekit.money import Money

__all__ = ["CURRENCY", "Benefits", "allowance_rules", "monthly_rates"]

CURRENCY = "USD"
_CENT = Decimal("0.01")
_SPAN = Period(date(2025, 1, 1), date(2027, 12, 31))


def _months_before(first: date, months: int) -> date:
    """The first day of the month ``months`` calendar months before ``first``'s month."""
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def monthly_rates(income: Decimal) -> dict[str, Money]:
    """The Basic Allowance's monthly rates for a monthly income (components paid > 0)."""
    basic = max(Decimal(0), Decimal("800.00") - income / 2).quantize(_CENT, ROUND_HALF_EVEN)
    rates = {"basic": Money(basic, CURRENCY)} if basic > 0 else {}
    if income < Decimal("1000.00"):
        rates["housing"] = Money("150.00", CURRENCY)
    return rates


def allowance_rules(evidence: EvidenceLog, span: Period) -> Iterator[Decision]:
    """The product's rule set: one decision per stretch of unchanged income evidence."""
    for segment in evidence_segments(evidence.current("income"), span):
        in_force = evidence.in_force("income", on=segment.start)
        if not in_force:
            yield Decision(segment, False, {})
            continue
        rates = monthly_rates(Decimal(str(in_force[-1].attributes["monthly"])))
        yield Decision(segment, bool(rates), rates)


PRODUCT = FinancialProduct(
    name="Basic Allowance",
    currency=CURRENCY,
    rule_set=allowance_rules,
    components=("basic", "housing"),
    span=_SPAN,
)


class Benefits:
    """Every active benefit of the demo office and its money.

    Args:
        clock: The simulation's clock.
        seed: Seeds incomes, payment days and changes of circumstances.
    """

    def __init__(self, clock: Clock, *, seed: int) -> None:
        self.clock = clock
        self.rng = random.Random(seed * 104729 + 3)
        self.engine = ReassessmentEngine()
        self.cases: dict[str, CaseFinancials] = {}
        self.paid_keys: dict[str, set[tuple[date, str]]] = {}
        self.payments: list[Payment] = []
        self.reassessments: list[AppliedReassessment] = []
        self.corrections: list[PaymentCorrectionCase] = []
        self.overpaid = Money.zero(CURRENCY)
        self.underpaid = Money.zero(CURRENCY)
        self.issued = Money.zero(CURRENCY)
        self._new_payments: list[Payment] = []

    # ------------------------------------------------------------------ caseload

    def existing_caseload(self, count: int, since: date, until: date) -> list[ProductDeliveryCase]:
        """Open ``count`` active benefits running since ``since``, paid up to ``until``."""
        opened = []
        for number in range(1, count + 1):
            pdc = ProductDeliveryCase.create(
                id=f"PDC-E{number:05d}",
                product=PRODUCT.name,
                primary_client=f"client-E{number:05d}",
                owner=Owner.user(f"staff-{self.rng.randrange(1, 37):03d}"),
                supervisor=Owner.user("supervisor-1"),
                clock=self.clock,
            )
            income = Decimal(self.rng.randrange(0, 140_000)) / 100
            pdc.add_evidence("income", {"monthly": str(income)}, since, actor="migration")
            pdc.submit(actor="migration")
            pdc.approve(actor="supervisor-1")
            pdc.activate(actor="migration")
            self._enrol(pdc)
            self.pay_through(pdc.id, since, until)
            opened.append(pdc)
        # The history before the demo is not part of its figures, nor stored line by line.
        self._new_payments = []
        self.payments = []
        self.issued = Money.zero(CURRENCY)
        return opened

    def enrol(self, pdc: ProductDeliveryCase, income: Decimal, since: date) -> None:
        """Start paying a new benefit (called when an application is disposed of)."""
        pdc.add_evidence("income", {"monthly": str(income)}, since, actor="system")
        self._enrol(pdc)

    def _enrol(self, pdc: ProductDeliveryCase) -> None:
        pattern = DeliveryPattern.monthly(self.rng.randrange(1, 29), timing=Timing.IN_ARREARS)
        self.cases[pdc.id] = CaseFinancials(pdc, PRODUCT, pattern=pattern, engine=self.engine)
        self.paid_keys[pdc.id] = set()

    # ------------------------------------------------------------------ payments

    def pay_through(self, case_id: str, first: date, last: date) -> None:
        """Issue every line of a case due from ``first`` to ``last`` (inclusive)."""
        fin = self.cases[case_id]
        window = Period(first - timedelta(days=62), last)
        paid = self.paid_keys[case_id]
        for line in fin.schedule(window):
            key = (line.cover.start, line.component)
            if first <= line.due_date <= last and key not in paid:
                payment = Payment.create(
                    case_id=case_id,
                    payee=line.nominee,
                    cover=line.cover,
                    amount=line.amount,
                    due_date=line.due_date,
                    lines=[line],
                    clock=self.clock,
                )
                self._issue(fin, payment)
                paid.add(key)

    def _issue(self, fin: CaseFinancials, payment: Payment) -> None:
        payment.verify(actor="payments")
        payment.submit(actor="payment-run")
        fin.record_paid(payment)
        payment.confirm(actor="bank")
        self.issued += payment.amount
        self.payments.append(payment)
        self._new_payments.append(payment)

    def payment_run(self, day: date) -> int:
        """Pay everything due on ``day``; returns the number of payments issued."""
        before = len(self.payments)
        for case_id, fin in self.cases.items():
            if fin.pdc.status.value == "Active":
                self.pay_through(case_id, day, day)
        return len(self.payments) - before

    def take_new_payments(self) -> list[Payment]:
        """The payments issued since the last call, to be stored."""
        new, self._new_payments = self._new_payments, []
        return new

    # ------------------------------------------------------------------ reassessment

    def changes_of_circumstances(self, share: float) -> list[AppliedReassessment]:
        """Some clients report a new income, backdated up to two months; reassess each once.

        The change takes effect on the first of this month or of one of the two months before.
        """
        today = self.clock.now().date()
        applied = []
        for case_id in list(self.cases):  # enrolment order: case ids are random, this is not
            if self.rng.random() >= share:
                continue
            fin = self.cases[case_id]
            if fin.pdc.status.value != "Active":
                continue
            effective = _months_before(date(today.year, today.month, 1), self.rng.randrange(0, 3))
            (current,) = fin.pdc.evidence.current("income")[-1:]
            if current.effective_from >= effective:
                continue
            old = Decimal(str(current.attributes["monthly"]))
            new = max(Decimal(0), old + Decimal(self.rng.randrange(-40_000, 40_001)) / 100)
            fin.pdc.correct_evidence(
                current.evidence_id,
                effective_to=effective - timedelta(days=1),
                actor="caseworker",
            )
            fin.pdc.add_evidence("income", {"monthly": str(new)}, effective, actor="caseworker")
            result = fin.reassess(ReassessmentTrigger.EVIDENCE_CHANGE, actor="caseworker")
            self._settle(fin, result)
            applied.append(result)
        return applied

    def _settle(self, fin: CaseFinancials, applied: AppliedReassessment) -> None:
        self.reassessments.append(applied)
        net = applied.result.net
        if applied.result.outcome is CorrectionOutcome.OVERPAYMENT:
            self.overpaid += -net
        elif applied.result.outcome is CorrectionOutcome.UNDERPAYMENT:
            self.underpaid += net
        if applied.correction_case is not None:
            self.corrections.append(applied.correction_case)
        for payment in applied.payments:  # once-off payments of an underpayment
            payment.verify(actor="payments")
            payment.submit(actor="payment-run")
            payment.confirm(actor="bank")
            self.issued += payment.amount
            self.payments.append(payment)
            self._new_payments.append(payment)
