"""Deductions: money taken from a payment, in priority order, under the product's limits.

A deduction is fixed (an amount per payment) or a percentage of the gross payment (rounded
once, half-even), optionally limited to an outstanding balance (a recovery). The product's
[`DeductionPolicy`][] caps the total at its maximum deduction rate (rounded down, so it
is never exceeded) and keeps at least its minimum payment; a deduction that does not fit
is taken partially or skipped, as configured. Every deduction is recorded, applied or not.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal

import attrs

from casekit.checks import check_enum, check_instance, check_int, check_text
from casekit.errors import CurrencyMismatch, ValidationError
from casekit.money import Money, minor_units, to_decimal

__all__ = [
    "Deduction",
    "DeductionKind",
    "DeductionPolicy",
    "DeductionRecord",
    "DeductionResult",
    "DeductionStatus",
    "WhenInsufficient",
    "apply_deductions",
]


class DeductionKind(enum.StrEnum):
    """How a deduction's amount is set."""

    FIXED = "Fixed"
    PERCENTAGE = "Percentage"


class WhenInsufficient(enum.StrEnum):
    """What to do with a deduction that does not fit in what is left to deduct."""

    PARTIAL = "Take Partially"
    SKIP = "Skip"


class DeductionStatus(enum.StrEnum):
    """What happened to a deduction on one payment."""

    APPLIED = "Applied"
    PARTIAL = "Partially Applied"
    SKIPPED = "Skipped"


def _rate(value: object) -> Decimal:
    rate = to_decimal(value, what="rate")
    if not 0 <= rate <= 1:
        raise ValidationError(f"rate {rate} is outside 0..1 (0.25 means 25%)")
    return rate


@attrs.frozen(slots=True)
class Deduction:
    """A deduction to take from payments.

    Use [`fixed`][] or [`percentage`][].

    Attributes:
        name: What it is for (``"rent arrears"``, ``"recovery PCC-3"``).
        priority: Lower numbers are taken first; ties by name.
        kind: Fixed or percentage.
        amount: The amount per payment (fixed).
        rate: The share of the gross payment, 0..1 (percentage).
        outstanding: The balance left to recover, when limited; never taken beyond it.
    """

    name: str
    priority: int
    kind: DeductionKind
    amount: Money | None = None
    rate: Decimal | None = None
    outstanding: Money | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError(f"a deduction needs a name, got {self.name!r}")
        what = f"deduction {self.name!r}"
        check_int(self.priority, what=f"priority of {what}")
        object.__setattr__(
            self, "kind", check_enum(self.kind, DeductionKind, what=f"kind of {what}")
        )
        if self.amount is not None:
            check_instance(self.amount, Money, what=f"amount of {what}")
        if self.rate is not None:
            object.__setattr__(self, "rate", _rate(self.rate))
        if self.outstanding is not None:
            check_instance(self.outstanding, Money, what=f"outstanding balance of {what}")
            if self.amount is not None and self.outstanding.currency != self.amount.currency:
                raise CurrencyMismatch(
                    f"{what} is in {self.amount.currency}; its outstanding balance "
                    f"{self.outstanding} is not"
                )
        if self.kind is DeductionKind.FIXED:
            if not isinstance(self.amount, Money) or self.amount.is_negative:
                raise ValidationError(
                    f"fixed deduction {self.name!r} needs a non-negative Money amount, "
                    f"got {self.amount!r}"
                )
        elif self.rate is None:
            raise ValidationError(f"percentage deduction {self.name!r} needs a rate in 0..1")
        if self.outstanding is not None and self.outstanding.is_negative:
            raise ValidationError(
                f"deduction {self.name!r} has a negative outstanding balance {self.outstanding}"
            )

    @classmethod
    def fixed(
        cls, name: str, amount: Money, *, priority: int = 100, outstanding: Money | None = None
    ) -> Deduction:
        """A fixed amount per payment, optionally up to an outstanding balance."""
        return cls(name, priority, DeductionKind.FIXED, amount=amount, outstanding=outstanding)

    @classmethod
    def percentage(
        cls,
        name: str,
        rate: Decimal | int | str,
        *,
        priority: int = 100,
        outstanding: Money | None = None,
    ) -> Deduction:
        """A share (0..1) of each gross payment, optionally up to an outstanding balance."""
        return cls(
            name, priority, DeductionKind.PERCENTAGE, rate=_rate(rate), outstanding=outstanding
        )

    def requested(self, gross: Money) -> Money:
        """What the deduction asks of a payment of ``gross``, before any limit. O(1)."""
        if self.kind is DeductionKind.FIXED:
            assert self.amount is not None
            if self.amount.currency != gross.currency:
                raise CurrencyMismatch(
                    f"deduction {self.name!r} is in {self.amount.currency}, the payment in "
                    f"{gross.currency}"
                )
            wanted = self.amount.rounded()
        else:
            assert self.rate is not None
            wanted = (gross * self.rate).rounded()
        if self.outstanding is not None and self.outstanding < wanted:
            wanted = self.outstanding.rounded()
        return wanted


@attrs.frozen(slots=True)
class DeductionPolicy:
    """A product's limits on deductions.

    Attributes:
        max_rate: The most that may be deducted, as a share (0..1) of the gross payment.
        minimum_payment: What the nominee must receive at least (None: no minimum).
        when_insufficient: Take a deduction that does not fit partially, or skip it.
    """

    max_rate: Decimal = attrs.field(converter=_rate)
    minimum_payment: Money | None = None
    when_insufficient: WhenInsufficient = WhenInsufficient.PARTIAL

    def __attrs_post_init__(self) -> None:
        if self.minimum_payment is not None:
            minimum = check_instance(
                self.minimum_payment, Money, what="minimum_payment of a deduction policy"
            )
            if minimum.is_negative:
                raise ValidationError(
                    f"minimum_payment of a deduction policy must not be negative, got {minimum}"
                )
        member = check_enum(
            self.when_insufficient,
            WhenInsufficient,
            what="when_insufficient of a deduction policy",
        )
        object.__setattr__(self, "when_insufficient", member)

    def limit(self, gross: Money) -> Money:
        """The most that may be deducted from ``gross``. O(1).

        Never negative, never over the maximum rate (rounded down to the minor unit), never
        leaving less than the minimum payment.
        """
        if not gross.is_positive:
            return Money.zero(gross.currency)
        exponent = Decimal(1).scaleb(-minor_units(gross.currency))
        by_rate = Money(
            (gross.amount * self.max_rate).quantize(exponent, rounding=ROUND_FLOOR),
            gross.currency,
        )
        limit = by_rate
        if self.minimum_payment is not None:
            room = gross - self.minimum_payment
            limit = min(limit, room)
        return max(limit, Money.zero(gross.currency))


@attrs.frozen(slots=True)
class DeductionRecord:
    """What happened to one deduction on one payment.

    Attributes:
        name: The deduction.
        priority: Its priority.
        requested: What it asked for.
        taken: What was taken.
        status: Applied, partially applied or skipped.
        reason: Why it was not applied in full (empty when it was).
    """

    name: str
    priority: int
    requested: Money
    taken: Money
    status: DeductionStatus
    reason: str = ""

    def __attrs_post_init__(self) -> None:
        check_text(self.name, what="DeductionRecord.name")
        what = f"the record of deduction {self.name!r}"
        check_int(self.priority, what=f"priority of {what}")
        check_instance(self.requested, Money, what=f"requested amount of {what}")
        check_instance(self.taken, Money, what=f"taken amount of {what}")
        status = check_enum(self.status, DeductionStatus, what=f"status of {what}")
        object.__setattr__(self, "status", status)
        if not isinstance(self.reason, str):
            raise ValidationError(f"reason of {what} must be a string, got {self.reason!r}")


@attrs.frozen(slots=True)
class DeductionResult:
    """A payment after deductions.

    Attributes:
        gross: Before deductions.
        net: What the nominee receives.
        records: One record per deduction, in the order they were considered.
    """

    gross: Money
    net: Money
    records: tuple[DeductionRecord, ...]

    @property
    def deducted(self) -> Money:
        """The total taken."""
        return self.gross - self.net


def apply_deductions(
    gross: Money, deductions: Iterable[Deduction], policy: DeductionPolicy
) -> DeductionResult:
    """Take ``deductions`` from ``gross`` in priority order under ``policy``.

    The total taken never exceeds ``policy.limit(gross)``, so it never exceeds the maximum
    deduction rate and never makes the payment negative (or below the minimum payment).

    Complexity: O(n log n) for n deductions.

    Raises:
        ValidationError: A gross that is not a Money, deductions that are not Deductions,
            or a policy that is not a DeductionPolicy.
        CurrencyMismatch: A fixed deduction in another currency.
    """
    gross = check_instance(gross, Money, what="the gross payment to deduct from").rounded()
    if isinstance(deductions, str | bytes) or not isinstance(deductions, Iterable):
        raise ValidationError(f"deductions must be an iterable of Deductions, got {deductions!r}")
    deductions = [check_instance(item, Deduction, what="a deduction") for item in deductions]
    policy = check_instance(policy, DeductionPolicy, what="the deduction policy")
    room = policy.limit(gross)
    zero = Money.zero(gross.currency)
    records: list[DeductionRecord] = []
    for deduction in sorted(deductions, key=lambda d: (d.priority, d.name)):
        wanted = deduction.requested(gross)
        if wanted <= room:
            taken, status, reason = wanted, DeductionStatus.APPLIED, ""
        elif policy.when_insufficient is WhenInsufficient.PARTIAL and room.is_positive:
            taken, status = room, DeductionStatus.PARTIAL
            reason = f"only {room} left under the limit of {policy.limit(gross)}"
        else:
            taken, status = zero, DeductionStatus.SKIPPED
            reason = f"{wanted} does not fit in the {room} left under the limit"
        room = room - taken
        records.append(
            DeductionRecord(deduction.name, deduction.priority, wanted, taken, status, reason)
        )
    total = sum((r.taken for r in records), zero)
    return DeductionResult(gross, gross - total, tuple(records))
