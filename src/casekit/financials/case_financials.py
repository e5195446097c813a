"""One PDC's financials in one place: its product, entitlement, ledger and reassessments.

[`FinancialProduct`][] is what a product brings (its rule set, currency, components,
deduction limits); [`CaseFinancials`][] ties a product delivery case to it with a
delivery pattern, nominees and a ledger, keeps the entitlement payments are currently made
under, and reassesses when something changes:

- ``handle(event)`` for the case's own events (evidence changed, closed — see
  [`trigger_for`][]);
- ``reassess(trigger)`` for a certification change or a caseworker's request.

A reassessment that was applied (or found no change) makes the new entitlement current; one
that was skipped (suspended, or closed and not reassessed) keeps the old one, so the change
is still found when the case is reassessed later.

An application that keeps the case in storage rebuilds its financials in each process with
[`CaseFinancials.restore`][], from the parts `casekit.financials.codec` reads back: the
pattern, the nominees, the ledger's entries ([`Ledger.restore`][]) and the entitlement
payments are currently made under — stored, not determined again, since the case's
evidence may already hold a change no reassessment has compared yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from casekit.cases.product_delivery import ProductDeliveryCase
from casekit.checks import (
    attrs_check,
    check_actor,
    check_date,
    check_enum,
    check_instance,
    check_text,
)
from casekit.errors import CurrencyMismatch, ValidationError
from casekit.financials.certifications import certified_periods
from casekit.financials.corrections import AppliedReassessment, ReassessmentEngine
from casekit.financials.deductions import Deduction, DeductionPolicy
from casekit.financials.delivery import DeliveryPattern
from casekit.financials.determinations import DeterminationSet, RuleSet, determine
from casekit.financials.entitlement import Entitlement
from casekit.financials.ledger import Ledger
from casekit.financials.nominees import Nominees
from casekit.financials.payments import Payment
from casekit.financials.periods import Period
from casekit.financials.schedule import InstructionLine, build_schedule
from casekit.financials.simulation import Simulation, simulate
from casekit.financials.triggers import ReassessmentTrigger, trigger_for
from casekit.money import Money, minor_units


def _check_currency(value: object, *, what: str) -> str:
    check_text(value, what=what)
    minor_units(str(value))  # ValidationError for a code that is not ISO 4217
    return str(value)


__all__ = ["CaseFinancials", "FinancialProduct"]

_DETERMINE = object()
"""The constructor's entitlement: determined from the case, not restored."""


def _as_tuple(components: Iterable[str]) -> tuple[str, ...]:
    if isinstance(components, str | bytes) or not isinstance(components, Iterable):
        raise ValidationError(
            f"FinancialProduct.components must be a list of component names, got {components!r}"
        )
    return tuple(components)


def _optional_policy(instance: object, attribute: Any, value: Any) -> None:
    if value is not None:
        check_instance(value, DeductionPolicy, what=f"FinancialProduct.{attribute.name}")


def _check_rule_set(instance: object, attribute: Any, value: Any) -> None:
    if not callable(value):
        raise ValidationError(
            f"FinancialProduct.rule_set must be a callable (evidence, span) -> decisions, "
            f"got {value!r}"
        )


def _check_components(instance: object, attribute: Any, value: tuple[object, ...]) -> None:
    if not value:
        raise ValidationError("FinancialProduct.components must name at least one component")
    for component in value:
        check_text(component, what="a component of FinancialProduct.components")


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

    name: str = attrs.field(validator=attrs_check(check_text))
    currency: str = attrs.field(validator=attrs_check(_check_currency))
    rule_set: RuleSet = attrs.field(validator=_check_rule_set)
    components: tuple[str, ...] = attrs.field(converter=_as_tuple, validator=_check_components)
    span: Period = attrs.field(validator=attrs_check(check_instance, kind=Period))
    deduction_policy: DeductionPolicy | None = attrs.field(default=None, validator=_optional_policy)


class CaseFinancials:
    """The financials of one product delivery case.

    The entitlement payments are made under starts as what the case's evidence and
    certifications say now; to rebuild a case's financials from storage use
    [`restore`][], which takes the stored one instead.

    Args:
        pdc: The case.
        product: Its product.
        pattern: How and how often it is paid.
        nominees: Who receives each component (default: the primary client throughout).
        ledger: What was paid and corrected (default: a new, empty one).
        engine: The reassessment engine (shared across cases so that "one at a time"
            holds across them; default: a new one with the default strategy).

    Raises:
        ValidationError: An argument of the wrong kind, the case has no primary client and
            no nominees were given, a ledger in another currency than the product, or the
            rule set names a component the product does not pay.
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
        self._setup(
            pdc,
            product,
            pattern=pattern,
            nominees=nominees,
            ledger=ledger,
            engine=engine,
            entitlement=_DETERMINE,
        )

    @classmethod
    def restore(
        cls,
        pdc: ProductDeliveryCase,
        product: FinancialProduct,
        *,
        pattern: DeliveryPattern,
        nominees: Nominees,
        ledger: Ledger,
        entitlement: Entitlement,
        engine: ReassessmentEngine | None = None,
    ) -> CaseFinancials:
        """A case's financials rebuilt from stored parts (e.g. in another process).

        Like the constructor, except that ``entitlement`` — the one payments are currently
        made under, as stored — is taken as given, not determined again from the case's
        evidence: the evidence may already hold a change no reassessment has compared yet,
        and the next [`reassess`][] compares the stored entitlement with what is determined
        then, exactly as the financials that stored it would have.

        Complexity: O(1) beyond the checks (the ledger is rebuilt by [`Ledger.restore`][]).

        Args:
            pdc: The case.
            product: Its product.
            pattern: How and how often it is paid (`pattern_from_body`).
            nominees: Who receives each component, with their history
                (`nominees_from_body`).
            ledger: What was paid and corrected ([`Ledger.restore`][] from its entries).
            entitlement: The entitlement payments are currently made under
                (`entitlement_from_body`).
            engine: The reassessment engine (default: a new one with the default strategy).

        Raises:
            ValidationError: An argument of the wrong kind, or an entitlement naming a
                component the product does not pay.
            CurrencyMismatch: A ledger or an entitlement in another currency than the
                product's.
        """
        financials = cls.__new__(cls)
        financials._setup(
            pdc,
            product,
            pattern=pattern,
            nominees=nominees,
            ledger=ledger,
            engine=engine,
            entitlement=entitlement,
        )
        return financials

    def _setup(
        self,
        pdc: object,
        product: object,
        *,
        pattern: object,
        nominees: object,
        ledger: object,
        engine: object,
        entitlement: object,
    ) -> None:
        """Check every argument, in order, then set the financials up.

        ``entitlement`` `_DETERMINE`: determine it from the case (the constructor), with
        defaults for nominees and ledger; otherwise the stored one ([`restore`][]), checked
        against the product, and nominees and ledger are required.
        """
        restoring = entitlement is not _DETERMINE
        pdc = check_instance(pdc, ProductDeliveryCase, what="the case of CaseFinancials")
        what = f"{'restored ' if restoring else ''}CaseFinancials of {pdc.id}"
        product = check_instance(product, FinancialProduct, what=f"product of {what}")
        pattern = check_instance(pattern, DeliveryPattern, what=f"pattern of {what}")
        if nominees is not None or restoring:
            nominees = check_instance(nominees, Nominees, what=f"nominees of {what}")
        if ledger is not None or restoring:
            ledger = check_instance(ledger, Ledger, what=f"ledger of {what}")
            if ledger.currency != product.currency:
                raise CurrencyMismatch(
                    f"ledger of {what} is in {ledger.currency}; the product "
                    f"{product.name!r} pays in {product.currency}"
                )
        stored: Entitlement | None = None
        if restoring:
            stored = check_instance(entitlement, Entitlement, what=f"entitlement of {what}")
            self._check_determinations(
                stored.determinations, product, source=f"the entitlement of {what}"
            )
        if engine is not None:
            engine = check_instance(engine, ReassessmentEngine, what=f"engine of {what}")
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
        self.entitlement = stored if stored is not None else self.determine()
        self.reassessments: list[AppliedReassessment] = []

    @staticmethod
    def _check_determinations(
        determinations: DeterminationSet, product: FinancialProduct, *, source: str
    ) -> None:
        """Refuse determinations in another currency or naming a component not paid.

        ``source`` says where they come from, for the message ("the rule set of ...").
        """
        if determinations.currency != product.currency:
            raise CurrencyMismatch(
                f"{source} is in {determinations.currency}; the product {product.name!r} "
                f"pays in {product.currency}"
            )
        unknown = set(determinations.components) - set(product.components)
        if unknown:
            raise ValidationError(
                f"{source} names components {sorted(unknown)}; the product "
                f"{product.name!r} pays {', '.join(product.components)}"
            )

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
        self._check_determinations(
            determinations,
            self.product,
            source=f"what the rule set of {self.product.name!r} decided for {self.pdc.id}",
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

        All of the payment's lines are recorded, or none (a refused payment records
        nothing).

        Raises:
            ValidationError: Not a [`Payment`][], a payment for another case, or one
                that does not count as paid.
        """
        payment = check_instance(payment, Payment, what=f"the payment recorded on {self.pdc.id}")
        if payment.case_id != self.pdc.id:
            raise ValidationError(
                f"payment {payment.id} is for {payment.case_id}, not {self.pdc.id}"
            )
        if not payment.counts_as_paid:
            raise ValidationError(
                f"payment {payment.id} is {payment.status.value!r}; only Submitted for "
                "Payment or Payment Successful count as paid"
            )
        self.ledger.record_paid_lines(payment.lines, reference=payment.id)

    def reassess(
        self,
        trigger: ReassessmentTrigger = ReassessmentTrigger.MANUAL,
        *,
        actor: str,
        since: date | None = None,
        recover_per_payment: Money | None = None,
        number: int | None = None,
    ) -> AppliedReassessment:
        """Determine again and reassess against the current entitlement.

        A retroactive nominee change is found on its own (no ``since=`` needed): the
        reassessment compares what was paid to whom with the nominee history.

        Args:
            trigger: What asked for it.
            actor: Who asked: a person, or the id of the declared check that triggered it.
            since: Reassess from this day (a manual request over a chosen period).
            recover_per_payment: Recover each overpaid nominee's overpayment by this much
                from each of their future payments.
            number: The reassessment's number, taken from storage by an application that
                keeps the case there (see [`ReassessmentEngine.reassess`][]); default:
                the engine counts.

        Raises:
            ReassessmentInProgress: The case is already being reassessed.
            ValidationError: An unknown trigger, a blank actor, a ``since`` that is not a
                date, a recovery amount that is not a positive Money or a ``number`` that
                is not an integer of 1 or more (nothing changes).
        """
        trigger = check_enum(trigger, ReassessmentTrigger, what=f"trigger of {self.pdc.id}")
        actor = check_actor(actor, what=f"actor of the reassessment of {self.pdc.id}")
        if since is not None:
            since = check_date(since, what=f"reassessment of {self.pdc.id}: since")
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
            number=number,
        )
        if not applied.skipped:
            self.entitlement = new
        self.reassessments.append(applied)
        return applied

    def handle(self, event: object, *, actor: str) -> AppliedReassessment | None:
        """Reassess if ``event`` calls for it (evidence changed, case closed), else None.

        Only this case's own events count: an event of another case (a correction case
        closing, another PDC's evidence) is ignored and returns None.

        Raises:
            ValidationError: A blank actor.
        """
        actor = check_actor(actor, what=f"actor handling an event of {self.pdc.id}")
        trigger = trigger_for(event, case_id=self.pdc.id)
        if trigger is None:
            return None
        return self.reassess(trigger, actor=actor)
