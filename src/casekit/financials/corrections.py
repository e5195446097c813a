"""Applying a reassessment: the Payment Correction Case, the ledger, recovery or payment.

[`ReassessmentEngine`][] runs [`reassess`][] for a
product delivery case under the seed's rules and applies what it found:

- **Suspended** PDC: no correction is created (the result is returned, marked skipped);
  reassess again once the case is active.
- **Closed** PDC: reassessed only when the engine's [`ClosedCaseStrategy`][] says so
  (default: not reassessed). The reassessment the closure itself triggers is always run.
- **One at a time**: a second reassessment of a case while one is in progress is
  **refused** with [`ReassessmentInProgress`][] — not coalesced. Seed
  001: "validations prevent a caseworker from ... initiating manual reassessment while
  reassessment is already in progress". Refusing keeps each correction tied to exactly the
  change that caused it; the caller retries once the first one is done, and the retry nets
  against what the first recorded.
- **Identity**: reassessment n of a PDC is ``<PDC id>/R<n>`` and its correction case
  ``PCC-<PDC id>-R<n>``. n comes from the engine's count of the case's reassessments in
  this process, or from the caller (``number=``): an application that keeps the case in
  storage takes it from there, so two processes never reuse one.
- A change found: a [`PaymentCorrectionCase`][] linked to the PDC (lines
  rolled up to one per nominee, or one per component and nominee, as configured), the
  detailed correction lines recorded in the ledger (so the next reassessment nets against
  them), and a settlement **per nominee** (domain.md §3): a once-off payment to each
  nominee owed money, and optionally a recovery deduction from the future payments of each
  nominee who was overpaid. One person's debt is never set against another person's
  entitlement, whatever the case's net.

Complexity: the reassessment's cost (see `casekit.financials.reassessment`) plus O(l)
for l correction lines.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date

import attrs

from casekit.cases.payment_correction import CorrectionOutcome, PaymentCorrectionCase
from casekit.cases.product_delivery import PDCStatus, ProductDeliveryCase
from casekit.checks import (
    check_actor,
    check_bool,
    check_date,
    check_enum,
    check_id,
    check_instance,
    check_int,
)
from casekit.errors import CurrencyMismatch, ReassessmentInProgress, ValidationError
from casekit.financials.deductions import Deduction
from casekit.financials.delivery import DeliveryPattern
from casekit.financials.entitlement import Entitlement
from casekit.financials.ledger import EntryKind, Ledger, LedgerEntry
from casekit.financials.nominees import Nominees
from casekit.financials.payments import Payment
from casekit.financials.reassessment import Reassessment, reassess
from casekit.financials.triggers import ReassessmentTrigger
from casekit.money import Money

__all__ = ["AppliedReassessment", "ClosedCaseStrategy", "ReassessmentEngine"]

_log = logging.getLogger(__name__)

RECOVERY_PRIORITY = 10
"""The priority of a recovery deduction (taken before most others)."""


class ClosedCaseStrategy(enum.StrEnum):
    """Whether a closed PDC is reassessed when its circumstances change."""

    NOT_REASSESSED = "Not Reassessed"
    REASSESSED = "Reassessed"


def _as_dict(value: Mapping[str, Deduction]) -> dict[str, Deduction]:
    return dict(value)


def _reassessment_id(case_id: str, number: int) -> str:
    """The id of reassessment ``number`` of a case: ``<case id>/R<number>``. O(1)."""
    return f"{case_id}/R{number}"


def _correction_case_id(case_id: str, number: int) -> str:
    """The id of the correction case reassessment ``number`` of a case opens. O(1).

    ``PCC-<case id>-R<number>``: derived from the reassessment, so the same reassessment
    always names the same case and two reassessments never name one (the number, all
    digits, ends the id). It holds no ``/`` when the case id holds none, so it can key a
    storage ledger line.
    """
    return f"PCC-{case_id}-R{number}"


@attrs.frozen(slots=True)
class AppliedReassessment:
    """What a reassessment found and what was done about it.

    Attributes:
        reassessment_id: ``<PDC id>/R<n>``: n counted by the engine, or the ``number``
            the caller gave.
        result: The computed reassessment.
        correction_case: The Payment Correction Case opened, if any
            (id ``PCC-<PDC id>-R<n>``).
        recoveries: Nominee → the deduction recovering that nominee's overpayment from
            their future payments (when a recovery amount was given); pass each to
            [`simulate`][] under its nominee.
        payments: Once-off payments (Not Verified), one per nominee owed money.
        skipped: Why no correction was created although one was computed, or ``""``.
        entries: The correction entries it recorded in the ledger, in order (empty when it
            recorded none): what to store as the case's new ledger lines.
    """

    reassessment_id: str
    result: Reassessment
    correction_case: PaymentCorrectionCase | None = None
    recoveries: Mapping[str, Deduction] = attrs.field(factory=dict, converter=_as_dict, hash=False)
    payments: tuple[Payment, ...] = ()
    skipped: str = ""
    entries: tuple[LedgerEntry, ...] = ()

    @property
    def recovery(self) -> Deduction | None:
        """The recovery when exactly one nominee was overpaid, None when none was.

        Raises:
            ValidationError: Several nominees were overpaid: each has a recovery of their
                own; read `recoveries` (one person's debt is never another's).
        """
        if len(self.recoveries) > 1:
            raise ValidationError(
                f"reassessment {self.reassessment_id} recovers from several nominees "
                f"({', '.join(sorted(self.recoveries))}); read .recoveries[nominee]"
            )
        return next(iter(self.recoveries.values()), None)


class ReassessmentEngine:
    """Runs and applies reassessments, one at a time per case.

    Args:
        closed_cases: Whether closed cases are reassessed (default: not).
        rolled_up: One net correction line per nominee (True) or one per component and
            nominee (False).

    Thread-safe: the in-progress set is guarded by a lock.
    """

    def __init__(
        self,
        *,
        closed_cases: ClosedCaseStrategy = ClosedCaseStrategy.NOT_REASSESSED,
        rolled_up: bool = False,
    ) -> None:
        self.closed_cases = check_enum(
            closed_cases, ClosedCaseStrategy, what="closed_cases of a reassessment engine"
        )
        self.rolled_up = check_bool(rolled_up, what="rolled_up of a reassessment engine")
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._counts: dict[str, int] = {}

    def in_progress(self, case_id: str) -> bool:
        """True while a reassessment of ``case_id`` is running. O(1)."""
        return case_id in self._running

    @contextmanager
    def running(self, case_id: str) -> Iterator[None]:
        """Mark ``case_id`` as being reassessed for the duration of the block.

        Use it around a reassessment you run in steps (e.g. in background processing).

        Raises:
            ReassessmentInProgress: The case is already being reassessed.
            ValidationError: A blank case id.
        """
        case_id = check_id(case_id, what="the case to mark as being reassessed")
        with self._lock:
            if case_id in self._running:
                raise ReassessmentInProgress(
                    f"{case_id} is already being reassessed; a second reassessment is "
                    "refused, not queued: try again when it has finished (it will net "
                    "against what the first one records)"
                )
            self._running.add(case_id)
        try:
            yield
        finally:
            with self._lock:
                self._running.discard(case_id)

    def reassess(
        self,
        pdc: ProductDeliveryCase,
        *,
        old: Entitlement,
        new: Entitlement,
        ledger: Ledger,
        pattern: DeliveryPattern,
        nominees: Nominees,
        actor: str,
        trigger: ReassessmentTrigger = ReassessmentTrigger.MANUAL,
        since: date | None = None,
        recover_per_payment: Money | None = None,
        number: int | None = None,
    ) -> AppliedReassessment:
        """Reassess ``pdc`` and apply the result.

        Every argument is checked, in order, before anything changes; the correction lines
        are checked before the correction case is opened.

        Args:
            pdc: The product delivery case.
            old: The entitlement payments were made under.
            new: The entitlement after the change.
            ledger: What was paid and corrected; correction lines are recorded in it.
            pattern: The delivery pattern.
            nominees: Who receives each component.
            actor: Who asked (``"system"`` for an automatic trigger).
            trigger: What asked for it.
            since: Reassess from this day (a manual request over a chosen period).
            recover_per_payment: Recover each overpaid nominee's overpayment by deducting
                this much from each of that nominee's future payments (one recovery
                [`Deduction`][] per overpaid nominee is returned).
            number: The reassessment's number (1 or more): its id is ``<PDC id>/R<number>``
                and its correction case's ``PCC-<PDC id>-R<number>``. An application that
                keeps the case in storage takes it from there, so that no two processes
                use one number twice; the engine does not check that it is new. Without it
                the engine counts the case's reassessments itself (in this process only).
                The engine's count moves up to a number given, so a later reassessment
                without one does not reuse it here.

        Raises:
            ReassessmentInProgress: The case is already being reassessed.
            ValidationError: An argument of the wrong kind (not a ProductDeliveryCase, an
                Entitlement, a Ledger, ...), no actor, an unknown trigger, a ``since`` that
                is not a date, a recovery amount that is not positive, or a ``number`` that
                is not an integer of 1 or more.
            CurrencyMismatch: Inputs in different currencies.
        """
        pdc = check_instance(pdc, ProductDeliveryCase, what="the case to reassess")
        what = f"reassessment of {pdc.id}"
        old = check_instance(old, Entitlement, what=f"old entitlement of the {what}")
        new = check_instance(new, Entitlement, what=f"new entitlement of the {what}")
        ledger = check_instance(ledger, Ledger, what=f"ledger of the {what}")
        pattern = check_instance(pattern, DeliveryPattern, what=f"pattern of the {what}")
        nominees = check_instance(nominees, Nominees, what=f"nominees of the {what}")
        actor = check_actor(actor, what=f"actor of the {what}")
        trigger = check_enum(trigger, ReassessmentTrigger, what=f"trigger of the {what}")
        if since is not None:
            since = check_date(since, what=f"{what}: since")
        if recover_per_payment is not None:
            if not isinstance(recover_per_payment, Money) or not recover_per_payment.is_positive:
                raise ValidationError(
                    f"recover_per_payment for {pdc.id} must be a positive Money, got "
                    f"{recover_per_payment!r}"
                )
            if recover_per_payment.currency != ledger.currency:
                raise CurrencyMismatch(
                    f"recover_per_payment {recover_per_payment} is not in the ledger's "
                    f"{ledger.currency}"
                )
        if number is not None:
            number = check_int(number, what=f"number of the {what}", minimum=1)
        with self.running(pdc.id):
            result = reassess(
                pdc.id,
                old=old,
                new=new,
                ledger=ledger,
                pattern=pattern,
                nominees=nominees,
                trigger=trigger,
                since=since,
            )
            if number is None:
                number = self._counts.get(pdc.id, 0) + 1
            reassessment_id = _reassessment_id(pdc.id, number)
            skipped = self._skip_reason(pdc, trigger)
            if skipped or result.outcome is CorrectionOutcome.NO_CHANGE:
                self._count(pdc.id, number)
                _log.info(
                    "reassessment %s (%s): %s%s",
                    reassessment_id,
                    trigger.value,
                    result.outcome.value,
                    f", no correction: {skipped}" if skipped else "",
                )
                return AppliedReassessment(reassessment_id, result, skipped=skipped)
            return self._apply(
                pdc=pdc,
                result=result,
                number=number,
                ledger=ledger,
                actor=actor,
                recover_per_payment=recover_per_payment,
            )

    def _count(self, case_id: str, number: int) -> None:
        """Move the case's count up to ``number`` (never down: a number is not reused)."""
        with self._lock:
            self._counts[case_id] = max(self._counts.get(case_id, 0), number)

    def _skip_reason(self, pdc: ProductDeliveryCase, trigger: ReassessmentTrigger) -> str:
        waiting = pdc.deferred  # a step deferred from Suspended leaves the case suspended
        suspended = pdc.status is PDCStatus.SUSPENDED or (
            pdc.status is PDCStatus.DELAYED_PROCESS_PENDING
            and waiting is not None
            and waiting.from_status is PDCStatus.SUSPENDED
        )
        if suspended:
            return (
                f"{pdc.id} is Suspended: no correction is created while a case is suspended; "
                "reassess it once it is active again"
            )
        if (
            pdc.status is PDCStatus.CLOSED
            and trigger is not ReassessmentTrigger.CLOSURE
            and self.closed_cases is ClosedCaseStrategy.NOT_REASSESSED
        ):
            return (
                f"{pdc.id} is Closed and the reassessment strategy is "
                f"{self.closed_cases.value!r}; use ClosedCaseStrategy.REASSESSED to correct "
                "closed cases"
            )
        return ""

    def _apply(
        self,
        *,
        pdc: ProductDeliveryCase,
        result: Reassessment,
        number: int,
        ledger: Ledger,
        actor: str,
        recover_per_payment: Money | None,
    ) -> AppliedReassessment:
        assert result.period is not None
        reassessment_id = _reassessment_id(pdc.id, number)
        # Everything that can fail is computed before anything changes.
        # Settlement is per nominee: each is paid what they are owed, and each overpaid
        # nominee's overpayment is recovered from that nominee alone.
        owed: dict[str, int] = {}
        for line in result.corrections:
            owed[line.nominee] = owed.get(line.nominee, 0) + line.correction.to_minor()
        today = pdc.clock.now().date()
        payments = [
            Payment.create(
                case_id=pdc.id,
                payee=nominee,
                cover=result.period,
                amount=Money.from_minor(units, result.currency),
                due_date=today,
                clock=pdc.clock,
                id=f"{reassessment_id}/PAY-{nominee}",
            )
            for nominee, units in sorted(owed.items())
            if units > 0
        ]
        _, checked = ledger._prepare_corrections(
            [(line.key, line.correction) for line in result.corrections], reassessment_id
        )
        correction_case = PaymentCorrectionCase.open_for(
            pdc,
            outcome=result.outcome,
            net=result.net,
            lines=result.summary_lines(rolled_up=self.rolled_up),
            actor=actor,
            reassessment_id=reassessment_id,
            id=_correction_case_id(pdc.id, number),
        )
        entries = ledger._commit(checked, EntryKind.CORRECTION)
        self._count(pdc.id, number)
        recoveries: dict[str, Deduction] = {}
        if recover_per_payment is not None:
            for nominee, units in sorted(owed.items()):
                if units < 0:
                    recoveries[nominee] = Deduction.fixed(
                        f"recovery {correction_case.id} from {nominee}",
                        recover_per_payment,
                        priority=RECOVERY_PRIORITY,
                        outstanding=Money.from_minor(-units, result.currency),
                    )
        _log.info(
            "reassessment %s (%s): %s %s over %s; opened %s",
            reassessment_id,
            result.trigger.value,
            result.outcome.value,
            result.net,
            result.period,
            correction_case.id,
        )
        return AppliedReassessment(
            reassessment_id, result, correction_case, recoveries, tuple(payments), entries=entries
        )
