"""One PDC's financials in one place: its product, entitlement, ledger and reassessments.

:class:`FinancialProduct` is what a product brings (its rule set, currency, components,
deduction limits); :class:`CaseFinancials` ties a product delivery case to it with a
delivery pattern, nominees and a ledger, keeps the entitlement payments are currently made
under, and reassesses when something changes:

- ``handle(event)`` for the case's own events (evidence changed, closed — see
  :func:`~casekit.financials.triggers.trigger_for`);
- ``reassess(trigger)`` for a certification change or a caseworker's request.

A reassessment that was applied (or found no change) makes the new entitlement current; one
that was skipped (suspended, or closed and not reassessed) keeps the old one, so the change
is still found when the case is reassessed later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import attrs

from casekit.cases.product_delivery import ProductDeliveryCase
from casekit.errors import ValidationError
from casekit.financials.certifications import certified_periods
from casekit.financials.corrections import AppliedReassessment, ReassessmentEngine
from casekit.financials.deductions import Deduction, DeductionPolicy
from casekit.financials.delivery import DeliveryPattern
from casekit.financials.determinations import RuleSet, determine
from casekit.financials.entitlement import Entitlement
from casekit.financials.ledger import Ledger
from casekit.financials.nominees import Nominees
from casekit.financials.payments import Payment
from casekit.financials.periods import Period
from casekit.financials.schedule import InstructionLine, build_schedule
from casekit.financials.simulation import Simulation, simulate
from casekit.financials.triggers import ReassessmentTrigger, trigger_for
from casekit.money import Money

__all__ = ["CaseFinancials", "FinancialProduct"]


def _as_tuple(components: Iterable[str]) -> tuple[str, ...]:
    return tuple(components)


@attrs.frozen(slots=True)
class FinancialProduct:
    """What a benefit product brings to its cases' financials.

    Attributes:
        name: The product's name.
        currency: The currency of every amount.
        rule_set: Turns a case's evidence into decisions.
        components: The components the product pays; decisions naming others are refused.
        span: The days the rule set decides (e.g. the product's years of operation).
        deduction_policy: The limits on deductions (None: nothing beyond the gross).
    """

    name: str
    currency: str
    rule_set: RuleSet
    components: tuple[str, ...] = attrs.field(converter=_as_tuple)
    span: Period
    deduction_policy: DeductionPolicy | None = None


class CaseFinancials:
    """The financials of one product delivery case.

    Args:
        pdc: The case.
        product: Its product.
        pattern: How and how often it is paid.
        nominees: Who receives each component (default: the primary client throughout).
        ledger: What was paid and corrected (default: a new, empty one).
        engine: The reassessment engine (shared across cases so that "one at a time"
            holds across them; default: a new one with the default strategy).

    Raises:
        ValidationError: The case has no primary client and no nominees were given, or
            the rule set names a component the product does not pay.
    """

    def __init__(
        self,
        pdc: ProductDeliveryCase,
        product: FinancialProduct,
        *,
        pattern: DeliveryPattern,
        nominees: Nominees | None = None,
        ledger: Ledger | None = None,
        engine: ReassessmentEngine | None = None,
    ) -> None:
        if nominees is None:
            client = pdc.primary_client_id
            if client is None:
                raise ValidationError(
                    f"{pdc.id} has no primary client to be the default nominee; pass nominees="
                )
            nominees = Nominees(client)
        self.pdc = pdc
        self.product = product
        self.pattern = pattern
        self.nominees = nominees
        self.ledger = ledger if ledger is not None else Ledger(product.currency)
        self.engine = engine if engine is not None else ReassessmentEngine()
        self.entitlement = self.determine()
        self.reassessments: list[AppliedReassessment] = []

    def determine(self) -> Entitlement:
        """What the case's evidence and certifications say is due now (nothing is kept).

        Complexity: the rule set's cost plus O(d log d + c log c).

        Raises:
            ValidationError: The rule set names a component the product does not pay.
        """
        determinations = determine(
            self.product.rule_set,
            self.pdc.evidence,
            self.product.span,
            currency=self.product.currency,
        )
        unknown = set(determinations.components) - set(self.product.components)
        if unknown:
            raise ValidationError(
                f"the rule set of {self.product.name!r} decided components "
                f"{sorted(unknown)} for {self.pdc.id}; the product pays "
                f"{', '.join(self.product.components)}"
            )
        return Entitlement(determinations, certified_periods(self.pdc))

    def schedule(self, window: Period) -> tuple[InstructionLine, ...]:
        """The instruction lines for ``window`` under the current entitlement."""
        return build_schedule(
            self.entitlement.determinations,
            self.pattern,
            self.nominees,
            window,
            certified=self.entitlement.certified,
        )

    def simulate(
        self, on: date, *, deductions: Mapping[str, Sequence[Deduction]] | None = None
    ) -> Simulation:
        """Everything due on ``on``, with deductions, issuing nothing."""
        return simulate(
            on,
            entitlement=self.entitlement,
            pattern=self.pattern,
            nominees=self.nominees,
            deductions=deductions,
            policy=self.product.deduction_policy,
        )

    def record_paid(self, payment: Payment) -> None:
        """Record a payment's lines as paid, once it is Submitted for Payment or Successful.

        Raises:
            ValidationError: The payment is for another case or does not count as paid.
        """
        if payment.case_id != self.pdc.id:
            raise ValidationError(
                f"payment {payment.id} is for {payment.case_id}, not {self.pdc.id}"
            )
        if not payment.counts_as_paid:
            raise ValidationError(
                f"payment {payment.id} is {payment.status.value!r}; only Submitted for "
                "Payment or Payment Successful count as paid"
            )
        for line in payment.lines:
            self.ledger.record_paid(line, reference=payment.id)

    def reassess(
        self,
        trigger: ReassessmentTrigger = ReassessmentTrigger.MANUAL,
        *,
        actor: str = "system",
        since: date | None = None,
        recover_per_payment: Money | None = None,
    ) -> AppliedReassessment:
        """Determine again and reassess against the current entitlement.

        Raises:
            ReassessmentInProgress: The case is already being reassessed.
        """
        new = self.determine()
        applied = self.engine.reassess(
            self.pdc,
            old=self.entitlement,
            new=new,
            ledger=self.ledger,
            pattern=self.pattern,
            nominees=self.nominees,
            actor=actor,
            trigger=trigger,
            since=since,
            recover_per_payment=recover_per_payment,
        )
        if not applied.skipped:
            self.entitlement = new
        self.reassessments.append(applied)
        return applied

    def handle(self, event: object, *, actor: str = "system") -> AppliedReassessment | None:
        """Reassess if ``event`` calls for it (evidence changed, case closed), else None."""
        trigger = trigger_for(event)
        if trigger is None:
            return None
        return self.reassess(trigger, actor=actor)
