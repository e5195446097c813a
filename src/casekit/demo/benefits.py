"""The demo's benefit: entitlement from income, monthly payments, changes of circumstances.

The Basic Allowance pays two components from the client's monthly income: ``basic`` is
800.00 less half the income (never below zero) and ``housing`` is 150.00 while the income is
below 1,000.00. It is paid monthly in arrears, each case on its own day of the month.

Everything happens through the demo's application (`casekit.app`): the office starts with an
existing caseload, opened, activated, enrolled and paid up to the demo's first day; new
benefits from the day's applications are enrolled (`Application.enrol`) and paid when their
day comes by the evening payment run (`Application.run_payments`). Every working day some
clients report a change of income, effective from the first of this month or of one of the
two months before: the old income is ended and the new one recorded in one command
(`Application.update`), which the application's handler reassesses once — storing the
over- or underpayment's Payment Correction Case, its links and its ledger lines with it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from casekit.cases import Case, EvidenceLog, Owner, ProductDeliveryCase
from casekit.cases.product_delivery import PDCStatus
from casekit.financials import (
    Decision,
    DeliveryPattern,
    FinancialProduct,
    Period,
    Timing,
    evidence_segments,
)
from casekit.money import Money

if TYPE_CHECKING:
    from casekit.app import Application
    from casekit.demo.access import Directory
    from casekit.security import Principal

__all__ = ["CURRENCY", "PRODUCT", "Benefits", "allowance_rules", "monthly_rates"]

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
    """The demo office's benefits, enrolled, paid and changed through its application.

    Args:
        app: The demo's application (it pays `PRODUCT`).
        directory: The office's principals: the caseload migration, the payment run and
            its verification (declared automatic checks), the staff who own the benefits.
        seed: Seeds incomes, payment days and changes of circumstances.

    Attributes:
        enrolled: The enrolled PDCs' ids, in enrolment order: the clients who may report a
            change of circumstances (case ids are random, so their order is not this one).
        owner_of: Each enrolled PDC's owner, who records its changes of circumstances.
    """

    def __init__(self, app: Application, directory: Directory, *, seed: int) -> None:
        self.app = app
        self.directory = directory
        self.rng = random.Random(seed * 104729 + 3)
        self.enrolled: list[str] = []
        self.owner_of: dict[str, Principal] = {}

    # ------------------------------------------------------------------ caseload

    def existing_caseload(self, count: int, since: date, until: date) -> None:
        """Open ``count`` active benefits running since ``since``, and pay them up to ``until``."""
        app, directory = self.app, self.directory
        migration, staff = directory.MIGRATION, directory.staff
        for number in range(1, count + 1):
            pdc_id = f"PDC-E{number:05d}"
            # one of the office's staff (the draw of a 36-strong office, whatever its size)
            owner = directory[staff[(self.rng.randrange(1, 37) - 1) % len(staff)]]
            income = Decimal(self.rng.randrange(0, 140_000)) / 100
            app.open_case(
                ProductDeliveryCase,
                actor=migration,
                id=pdc_id,
                product=PRODUCT.name,
                primary_client=f"client-E{number:05d}",
                owner=Owner.user(owner.id),
                supervisor=Owner.user("supervisor-1"),
            )
            app.add_evidence(pdc_id, "income", {"monthly": str(income)}, since, actor=migration)
            app.perform(pdc_id, "submit", actor=migration)
            app.perform(pdc_id, "approve", actor=directory["supervisor-1"])
            app.perform(pdc_id, "activate", actor=migration)
            self._enrol(pdc_id, actor=migration, owner=owner)
        self.payment_run(until)

    def enrol(self, pdc_id: str, actor: Principal) -> None:
        """Start paying a new, active benefit ``actor`` owns (on the income its evidence says)."""
        self._enrol(pdc_id, actor=actor, owner=actor)

    def _enrol(self, pdc_id: str, *, actor: Principal, owner: Principal) -> None:
        pattern = DeliveryPattern.monthly(self.rng.randrange(1, 29), timing=Timing.IN_ARREARS)
        self.app.enrol(pdc_id, pattern=pattern, actor=actor)
        self.enrolled.append(pdc_id)
        self.owner_of[pdc_id] = owner

    # ------------------------------------------------------------------ payments

    def payment_run(self, day: date) -> int:
        """Pay everything due on or before ``day``; returns the number of payments issued."""
        directory = self.directory
        return self.app.run_payments(
            day, verifier=directory.PAYMENT_CHECK, submitter=directory.PAYMENT_RUN
        )

    # ------------------------------------------------------------------ changes

    def changes_of_circumstances(self, share: float) -> int:
        """Some clients report a new income, backdated up to two months; returns how many.

        The change takes effect on the first of this month or of one of the two months
        before; the benefit's owner records it, and the application reassesses each
        changed case once.
        """
        today = self.app.clock.now().date()
        changed = 0
        for pdc_id in self.enrolled:
            if self.rng.random() >= share:
                continue
            owner = self.owner_of[pdc_id]
            pdc = self.app.case(pdc_id, actor=owner)
            if pdc.status is not PDCStatus.ACTIVE:
                continue
            effective = _months_before(date(today.year, today.month, 1), self.rng.randrange(0, 3))
            (current,) = pdc.evidence.current("income")[-1:]
            if current.effective_from >= effective:
                continue
            old = Decimal(str(current.attributes["monthly"]))
            new = max(Decimal(0), old + Decimal(self.rng.randrange(-40_000, 40_001)) / 100)
            self.app.update(
                pdc_id,
                partial(
                    _new_income,
                    ended=current.evidence_id,
                    since=effective,
                    monthly=new,
                    actor=owner.id,
                ),
                actor=owner,
            )
            changed += 1
        return changed


def _new_income(case: Case[Any], *, ended: str, since: date, monthly: Decimal, actor: str) -> None:
    """End the income ``ended`` the day before ``since`` and record ``monthly`` from then."""
    case.correct_evidence(ended, effective_to=since - timedelta(days=1), actor=actor)
    case.add_evidence("income", {"monthly": str(monthly)}, since, actor=actor)
