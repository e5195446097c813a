"""Payments, with the seed's ten statuses as a lifecycle.

Not Verified → Verified By Worker → Submitted for Payment → Payment Successful, and from
there Payment Returned, Refund or Cancelled or Payment Recouped; a submitted payment can
also fail (Payment Failed) or be voided (Payment Voided); a worker can reject an unsubmitted
one (Rejected By Worker). A failed or returned payment is reissued unchanged or voided.

Once a payment has been Submitted for Payment (and so in Payment Successful and every
status after it) its amount, payee and cover period are locked: a change raises
[`PaymentLocked`][] and nothing changes. A wrong payment is put right by
reassessment and a payment correction case, never by editing what was sent.

Separation of duties (domain.md §7: "whoever submits, resolves or verifies is not who
approves, submits for payment or confirms") takes three people, read from the payment's
history: whoever verified it may not submit it for payment (nor reissue it), and whoever
confirms it verified, submitted and last reissued none of it. A breach raises
[`SeparationOfDuties`][casekit.errors.SeparationOfDuties] and nothing changes.

The lifecycle is compiled once into a class-level machine (the static-machine pattern);
firing an action is O(1) plus its guards.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from casekit.cases.parts import StatusChange
from casekit.checks import (
    check_actor,
    check_aware,
    check_date,
    check_enum,
    check_id,
    check_instance,
    check_optional_text,
    check_text,
)
from casekit.clock import SYSTEM_CLOCK, Clock, as_utc
from casekit.errors import PaymentLocked, ValidationError
from casekit.financials.deductions import DeductionRecord
from casekit.financials.delivery import DeliveryMethod
from casekit.financials.periods import Period
from casekit.financials.schedule import InstructionLine
from casekit.lifecycle import (
    Action,
    ActionContext,
    ActionResult,
    CompiledLifecycle,
    Guard,
    Lifecycle,
    separated_from,
)
from casekit.money import Money

__all__ = ["EDITABLE", "PAID", "PAYMENT_LIFECYCLE", "Payment", "PaymentStatus"]


class PaymentStatus(enum.StrEnum):
    """The ten payment statuses (seed 000's display names)."""

    NOT_VERIFIED = "Not Verified"
    VERIFIED = "Verified By Worker"
    SUBMITTED = "Submitted for Payment"
    SUCCESSFUL = "Payment Successful"
    REFUND_OR_CANCELLED = "Refund or Cancelled"
    RECOUPED = "Payment Recouped"
    RETURNED = "Payment Returned"
    FAILED = "Payment Failed"
    REJECTED = "Rejected By Worker"
    VOIDED = "Payment Voided"


S = PaymentStatus

EDITABLE = frozenset({S.NOT_VERIFIED, S.VERIFIED})
"""The statuses in which amount, payee and cover period may change."""

PAID = frozenset({S.SUBMITTED, S.SUCCESSFUL})
"""The statuses in which a payment counts as paid for reassessment."""

# Separation of duties (domain.md §7: "whoever submits, resolves or verifies is not who
# approves, submits for payment or confirms"), read from the payment's own history; each is
# the most recent performance (verify and submit happen once; reissue may repeat):
#   verifier ≠ submitter     submit, and reissue (a submission for payment again)
#   confirmer ≠ verifier, submitter and latest reissuer
_SUBMITTER_IS_NOT_THE_VERIFIER: Guard[Payment] = separated_from(
    {"verify": "verified"}, doing="submission for payment"
)
_REISSUER_IS_NOT_THE_VERIFIER: Guard[Payment] = separated_from(
    {"verify": "verified"}, doing="reissue (a submission for payment)"
)
_CONFIRMER_IS_NOBODY_ELSE: Guard[Payment] = separated_from(
    {"verify": "verified", "submit": "submitted", "reissue": "reissued"},
    doing="confirmation",
)

PAYMENT_LIFECYCLE: Lifecycle[Payment] = Lifecycle(
    name="Payment",
    statuses=PaymentStatus,
    initial=S.NOT_VERIFIED,
    final=frozenset({S.REFUND_OR_CANCELLED, S.RECOUPED, S.REJECTED, S.VOIDED}),
    actions=(
        Action("verify", S.NOT_VERIFIED, S.VERIFIED),
        Action("reject", (S.NOT_VERIFIED, S.VERIFIED), S.REJECTED, reason_required=True),
        Action(
            "submit",
            S.VERIFIED,
            S.SUBMITTED,
            guards=(_SUBMITTER_IS_NOT_THE_VERIFIER,),
            label="submit for payment",
        ),
        Action(
            "confirm",
            S.SUBMITTED,
            S.SUCCESSFUL,
            guards=(_CONFIRMER_IS_NOBODY_ELSE,),
            label="payment successful",
        ),
        Action("fail", S.SUBMITTED, S.FAILED, reason_required=True),
        Action(
            "reissue", (S.FAILED, S.RETURNED), S.SUBMITTED, guards=(_REISSUER_IS_NOT_THE_VERIFIER,)
        ),
        Action("void", (S.SUBMITTED, S.FAILED, S.RETURNED), S.VOIDED, reason_required=True),
        Action("mark_returned", S.SUCCESSFUL, S.RETURNED, reason_required=True),
        Action("refund_or_cancel", S.SUCCESSFUL, S.REFUND_OR_CANCELLED, reason_required=True),
        Action("recoup", S.SUCCESSFUL, S.RECOUPED),
    ),
)

# Typed loosely, as the case types' machines are: Fireable's ``status`` is a plain Enum.
_COMPILED: CompiledLifecycle[Any] = CompiledLifecycle(PAYMENT_LIFECYCLE)
_IDS = itertools.count(1)
T = TypeVar("T")


@attrs.define(eq=False, slots=True, kw_only=True)
class Payment:
    """One payment to one nominee, with its status history.

    Create with [`create`][]. Attributes are read-only in spirit: change amount, payee or
    cover period with [`change`][] (refused once submitted) and the status with the
    action methods.

    Attributes:
        id: The payment id.
        case_id: The product delivery case it pays.
        payee: Who receives it.
        cover: The cover period it pays for.
        amount: What is paid (net of deductions).
        due_date: When it is due.
        method: Cash, EFT or cheque.
        lines: The instruction lines it pays (gross).
        deductions: What was deducted, applied or skipped.
        status: Where it stands.
        clock: Where it reads the time.
    """

    id: str
    case_id: str
    payee: str
    cover: Period
    amount: Money
    due_date: date
    method: DeliveryMethod = DeliveryMethod.EFT
    lines: tuple[InstructionLine, ...] = ()
    deductions: tuple[DeductionRecord, ...] = ()
    status: PaymentStatus = PaymentStatus.NOT_VERIFIED
    clock: Clock = attrs.field(default=SYSTEM_CLOCK, repr=False)
    _history: list[StatusChange] = attrs.field(factory=list, repr=False, alias="history")
    updated_at: datetime | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        """Check the fields when built directly (e.g. read back from storage)."""
        check_id(self.id, what="Payment.id")
        name = f"payment {self.id}"
        check_id(self.case_id, what=f"case_id of {name}")
        _check_fields(name, self.payee, self.cover, self.amount)
        check_date(self.due_date, what=f"due_date of {name}")
        self.method = check_enum(self.method, DeliveryMethod, what=f"method of {name}")
        self.lines = _sequence(self.lines, InstructionLine, what=f"lines of {name}")
        others = sorted({line.nominee for line in self.lines} - {self.payee})
        if others:
            raise ValidationError(
                f"{name} pays {self.payee}, but its lines are owed to {', '.join(others)}: a "
                "payment's lines all name its payee (the ledger books them to that nominee)"
            )
        self.deductions = _sequence(self.deductions, DeductionRecord, what=f"deductions of {name}")
        self.status = check_enum(self.status, PaymentStatus, what=f"status of {name}")
        check_instance(self.clock, Clock, what=f"clock of {name}")  # type: ignore[type-abstract]
        if not isinstance(self._history, list):
            raise ValidationError(f"history of {name} must be a list, got {self._history!r}")
        for change in self._history:
            check_instance(change, StatusChange, what=f"a status change of {name}")
        if self.updated_at is not None:
            self.updated_at = check_aware(self.updated_at, what=f"updated_at of {name}")

    @classmethod
    def create(
        cls,
        *,
        case_id: str,
        payee: str,
        cover: Period,
        amount: Money,
        due_date: date,
        method: DeliveryMethod = DeliveryMethod.EFT,
        lines: Sequence[InstructionLine] = (),
        deductions: Sequence[DeductionRecord] = (),
        clock: Clock = SYSTEM_CLOCK,
        id: str | None = None,
    ) -> Payment:
        """Create a Not Verified payment. O(lines).

        Every argument is checked, in order, before anything is created.

        Raises:
            ValidationError: A blank case id or payee, a cover that is not a Period, a
                negative or non-Money amount, a due date that is not a date, an unknown
                method, lines or deduction records of another kind or in another currency,
                a clock without ``now()``, or a blank id.
        """
        name = "new payment" if id is None else repr(id)
        case_id = check_id(case_id, what=f"case_id of {name}")
        name = f"{name} of {case_id}"
        _check_fields(name, payee, cover, amount)
        due_date = check_date(due_date, what=f"due_date of {name}")
        method = check_enum(method, DeliveryMethod, what=f"method of {name}")
        checked_lines = _sequence(lines, InstructionLine, what=f"lines of {name}")
        for line in checked_lines:
            if line.amount.currency != amount.currency:
                raise ValidationError(
                    f"line {line.cover} {line.component!r} of {name} is in "
                    f"{line.amount.currency}, the payment in {amount.currency}"
                )
        checked_deductions = _sequence(deductions, DeductionRecord, what=f"deductions of {name}")
        clock = check_instance(clock, Clock, what=f"clock of {name}")  # type: ignore[type-abstract]
        if id is not None:
            id = check_id(id, what="id of a new payment")
        now = as_utc(clock.now(), what="clock time")
        return cls(
            id=id or f"PAY-{next(_IDS)}",
            case_id=case_id,
            payee=payee,
            cover=cover,
            amount=amount,
            due_date=due_date,
            method=method,
            lines=checked_lines,
            deductions=checked_deductions,
            clock=clock,
            updated_at=now,
        )

    # ----- queries ----------------------------------------------------------------------
    @property
    def history(self) -> tuple[StatusChange, ...]:
        """Every status change, oldest first."""
        return tuple(self._history)

    @property
    def locked(self) -> bool:
        """True once submitted: amount, payee and cover period can no longer change."""
        return self.status not in EDITABLE

    @property
    def counts_as_paid(self) -> bool:
        """True in Submitted for Payment and Payment Successful."""
        return self.status in PAID

    def available_actions(self) -> tuple[str, ...]:
        """The actions the current status allows, sorted. O(1)."""
        return _COMPILED.allowed_actions(self.status)

    # ----- changes ----------------------------------------------------------------------
    def change(
        self,
        *,
        actor: str,
        amount: Money | None = None,
        payee: str | None = None,
        cover: Period | None = None,
    ) -> None:
        """Change the amount, payee or cover period of an unsubmitted payment, atomically.

        Raises:
            PaymentLocked: The payment was submitted (nothing changes).
            ValidationError: No actor, or an invalid new value (nothing changes).
        """
        actor = check_actor(actor, what=f"the actor changing payment {self.id}")
        if amount is not None:
            check_instance(amount, Money, what=f"new amount of payment {self.id}")
        if payee is not None:
            check_id(payee, what=f"new payee of payment {self.id}")
        if cover is not None:
            check_instance(cover, Period, what=f"new cover period of payment {self.id}")
        fields = [
            name
            for name, value in (("amount", amount), ("payee", payee), ("cover", cover))
            if value is not None
        ]
        if self.locked:
            raise PaymentLocked(
                f"cannot change {', '.join(fields) or 'anything'} of payment {self.id} in "
                f"status {self.status.value!r}: amount, payee and cover period are locked "
                f"once submitted; allowed only in {', '.join(sorted(s.value for s in EDITABLE))} "
                "(correct it by reassessment instead)"
            )
        new_amount = self.amount if amount is None else amount
        new_payee = self.payee if payee is None else payee
        new_cover = self.cover if cover is None else cover
        _check_fields(self.id, new_payee, new_cover, new_amount)
        if new_payee != self.payee and self.lines:
            raise ValidationError(
                f"payment {self.id} pays lines owed to {self.payee}; paying them to "
                f"{new_payee} would book them to the wrong nominee: assign the nominee and "
                "issue a new payment instead"
            )
        if new_amount.currency != self.amount.currency:
            raise ValidationError(
                f"payment {self.id} is in {self.amount.currency}; {new_amount} is not"
            )
        self.amount, self.payee, self.cover = new_amount, new_payee, new_cover
        self.updated_at = as_utc(self.clock.now(), what="clock time")

    def perform(self, action: str, *, actor: str, reason: str | None = None) -> ActionResult:
        """Perform a lifecycle action, atomically.

        Raises:
            InvalidTransition: The status does not allow it (the message lists what does).
            SeparationOfDuties: One person in two roles that must differ (see the module).
            ValidationError: No actor, or a required reason missing.
        """
        action = check_text(action, what=f"the action on payment {self.id}")
        actor = check_actor(actor, what=f"the actor of {action!r} on payment {self.id}")
        reason = check_optional_text(reason, what=f"the reason for {action!r} on payment {self.id}")
        context = ActionContext(actor=actor, at=self.clock.now(), reason=reason)
        return _COMPILED.fire(self, action, context)

    def verify(self, *, actor: str) -> ActionResult:
        """Not Verified → Verified By Worker."""
        return self.perform("verify", actor=actor)

    def reject(self, *, actor: str, reason: str) -> ActionResult:
        """Not Verified or Verified By Worker → Rejected By Worker."""
        return self.perform("reject", actor=actor, reason=reason)

    def submit(self, *, actor: str) -> ActionResult:
        """Verified By Worker → Submitted for Payment (locks amount, payee, cover).

        Raises:
            SeparationOfDuties: ``actor`` verified it.
        """
        return self.perform("submit", actor=actor)

    def confirm(self, *, actor: str) -> ActionResult:
        """Submitted for Payment → Payment Successful.

        Raises:
            SeparationOfDuties: ``actor`` verified, submitted or last reissued it.
        """
        return self.perform("confirm", actor=actor)

    def fail(self, *, actor: str, reason: str) -> ActionResult:
        """Submitted for Payment → Payment Failed."""
        return self.perform("fail", actor=actor, reason=reason)

    def reissue(self, *, actor: str) -> ActionResult:
        """Payment Failed or Payment Returned → Submitted for Payment, unchanged.

        Raises:
            SeparationOfDuties: ``actor`` verified it.
        """
        return self.perform("reissue", actor=actor)

    def void(self, *, actor: str, reason: str) -> ActionResult:
        """Submitted, Failed or Returned → Payment Voided."""
        return self.perform("void", actor=actor, reason=reason)

    def mark_returned(self, *, actor: str, reason: str) -> ActionResult:
        """Payment Successful → Payment Returned."""
        return self.perform("mark_returned", actor=actor, reason=reason)

    def refund_or_cancel(self, *, actor: str, reason: str) -> ActionResult:
        """Payment Successful → Refund or Cancelled."""
        return self.perform("refund_or_cancel", actor=actor, reason=reason)

    def recoup(self, *, actor: str) -> ActionResult:
        """Payment Successful → Payment Recouped."""
        return self.perform("recoup", actor=actor)

    # ----- engine hooks (casekit.lifecycle.engine.Fireable) -----------------------------
    def _checkpoint(self) -> object:
        return _Checkpoint(self.status, len(self._history), self.updated_at)

    def _rollback(self, checkpoint: object) -> None:
        assert isinstance(checkpoint, _Checkpoint)
        self.status = checkpoint.status
        del self._history[checkpoint.length :]
        self.updated_at = checkpoint.updated_at

    def _record_change(
        self, before: enum.Enum, after: enum.Enum, action: str, context: ActionContext
    ) -> None:
        self._history.append(
            StatusChange(
                self.id,
                str(before.value),
                str(after.value),
                action,
                context.actor,
                context.at,
                context.reason,
            )
        )
        self.updated_at = context.at


@attrs.frozen(slots=True)
class _Checkpoint:
    status: PaymentStatus
    length: int
    updated_at: datetime | None


def _check_fields(payment: str, payee: object, cover: object, amount: object) -> None:
    check_id(payee, what=f"payee of {payment}")
    check_instance(cover, Period, what=f"cover period of {payment}")
    if not isinstance(amount, Money) or amount.is_negative:
        raise ValidationError(f"amount of {payment} must be a non-negative Money, got {amount!r}")
    if amount != amount.rounded():
        raise ValidationError(
            f"amount of {payment} {amount} is not a whole number of minor units; "
            f"round it first ({amount.rounded()})"
        )


def _sequence(values: object, kind: type[T], *, what: str) -> tuple[T, ...]:
    """The items of a list or tuple, each checked to be a ``kind``."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise ValidationError(f"{what} must be a sequence of {kind.__name__}s, got {values!r}")
    return tuple(check_instance(value, kind, what=f"{what}[{n}]") for n, value in enumerate(values))
