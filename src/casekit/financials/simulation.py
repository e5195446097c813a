"""Payment simulation: everything due on a date, with deductions, issuing nothing.

Seed 001: "payment simulations show all payments and deductions due to a participant for a
specific date before the payment is issued". [`simulate`][] builds the instruction lines
whose payment falls due on the date, groups them into one payment per nominee and applies
that nominee's deductions. It is pure: nothing is created, recorded or changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

import attrs

from casekit.checks import check_date, check_instance, check_mapping
from casekit.errors import ValidationError
from casekit.financials.deductions import Deduction, DeductionPolicy, DeductionResult
from casekit.financials.deductions import apply_deductions as _apply
from casekit.financials.delivery import DeliveryPattern
from casekit.financials.entitlement import Entitlement
from casekit.financials.nominees import Nominees
from casekit.financials.periods import Period
from casekit.financials.schedule import InstructionLine, build_schedule
from casekit.money import Money
from casekit.notebook import to_dataframe

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SimulatedPayment", "Simulation", "simulate"]

_NO_LIMIT = DeductionPolicy(max_rate=1)


@attrs.frozen(slots=True)
class SimulatedPayment:
    """One payment that would be issued.

    Attributes:
        payee: The nominee.
        due_date: When it is due.
        cover: The cover period.
        lines: The instruction lines it pays.
        deductions: Gross, net and every deduction applied or skipped.
    """

    payee: str
    due_date: date
    cover: Period
    lines: tuple[InstructionLine, ...]
    deductions: DeductionResult

    @property
    def gross(self) -> Money:
        """Before deductions."""
        return self.deductions.gross

    @property
    def net(self) -> Money:
        """What the payee would receive."""
        return self.deductions.net


@attrs.frozen(slots=True)
class Simulation:
    """Everything due on one date.

    Attributes:
        on: The date simulated.
        currency: The currency.
        payments: One payment per nominee with something due.
    """

    on: date
    currency: str
    payments: tuple[SimulatedPayment, ...]

    @property
    def total_gross(self) -> Money:
        """Everything due before deductions."""
        return sum((p.gross for p in self.payments), Money.zero(self.currency))

    @property
    def total_net(self) -> Money:
        """Everything that would be paid out."""
        return sum((p.net for p in self.payments), Money.zero(self.currency))

    def to_records(self) -> list[dict[str, object]]:
        """One flat record per deduction considered, and one per payment without any."""
        records: list[dict[str, object]] = []
        for payment in self.payments:
            base: dict[str, object] = {
                "on": self.on,
                "payee": payment.payee,
                "cover_from": payment.cover.start,
                "cover_to": payment.cover.end,
                "gross": payment.gross.amount,
                "net": payment.net.amount,
                "currency": self.currency,
            }
            if not payment.deductions.records:
                records.append({**base, "deduction": None, "taken": None, "status": None})
            for record in payment.deductions.records:
                records.append(
                    {
                        **base,
                        "deduction": record.name,
                        "taken": record.taken.amount,
                        "status": record.status.value,
                    }
                )
        return records

    def to_dataframe(self) -> pd.DataFrame:
        """[`to_records`][] as a pandas DataFrame.

        Raises:
            MissingExtra: pandas is not installed.
        """
        return to_dataframe(self.to_records(), what=f"payments simulated on {self.on}")


def simulate(
    on: date,
    *,
    entitlement: Entitlement,
    pattern: DeliveryPattern,
    nominees: Nominees,
    deductions: Mapping[str, Sequence[Deduction]] | None = None,
    policy: DeductionPolicy | None = None,
) -> Simulation:
    """What would be paid on ``on``: payments per nominee with their deductions.

    Complexity: O(c · (log d + k) + n log n) for c components and n deductions.

    Args:
        on: The payment date.
        entitlement: Determinations and certified periods.
        pattern: The delivery pattern (which cover period falls due on ``on``).
        nominees: Who receives each component.
        deductions: Each nominee's deductions.
        policy: The product's deduction limits (default: no limit beyond the gross).

    Raises:
        ValidationError: An argument of the wrong kind (``on`` not a date, deductions not
            a mapping of nominee → Deductions, ...), checked in order before any work.
    """
    on = check_date(on, what="the date to simulate")
    check_instance(entitlement, Entitlement, what=f"entitlement of the simulation of {on}")
    check_instance(pattern, DeliveryPattern, what=f"pattern of the simulation of {on}")
    check_instance(nominees, Nominees, what=f"nominees of the simulation of {on}")
    if deductions is not None:
        for payee, items in check_mapping(deductions, what=f"deductions on {on}").items():
            if isinstance(items, str | bytes) or not isinstance(items, Sequence):
                raise ValidationError(
                    f"deductions of {payee!r} on {on} must be a list of Deductions, got {items!r}"
                )
            for item in items:
                check_instance(item, Deduction, what=f"a deduction of {payee!r} on {on}")
    if policy is not None:
        check_instance(policy, DeductionPolicy, what=f"deduction policy of the simulation of {on}")
    currency = entitlement.determinations.currency
    covers = pattern.covers_due_on(on)
    payments: list[SimulatedPayment] = []
    for cover in covers:
        lines = build_schedule(
            entitlement.determinations,
            pattern,
            nominees,
            cover,
            certified=entitlement.certified,
        )
        by_payee: dict[str, list[InstructionLine]] = {}
        for line in lines:
            if line.cover == cover:
                by_payee.setdefault(line.nominee, []).append(line)
        for payee in sorted(by_payee):
            payee_lines = tuple(by_payee[payee])
            gross = sum((line.amount for line in payee_lines), Money.zero(currency))
            result = _apply(gross, (deductions or {}).get(payee, ()), policy or _NO_LIMIT)
            payments.append(SimulatedPayment(payee, on, cover, payee_lines, result))
    return Simulation(on, currency, tuple(payments))
