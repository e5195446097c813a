"""The Payment Correction Case: an over- or underpayment found by reassessment.

Created by the reassessment engine and linked to the product delivery case that caused it:
Open → Approved → Closed (settled), or Cancelled from Open or Approved. Its supervisor (a
user) approves it, and never the person who opened it (who asked for the reassessment).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs

from casekit.cases.approvals import supervisor_approves, supervisor_instead
from casekit.cases.base import Case, case_type
from casekit.cases.parts import LinkKind, Owner
from casekit.checks import (
    check_actor,
    check_date,
    check_enum,
    check_id,
    check_instance,
    check_text,
)
from casekit.clock import Clock
from casekit.errors import SeparationOfDuties, ValidationError, allowed_list
from casekit.lifecycle import Action, ActionContext, ActionResult, Guard, Lifecycle
from casekit.lifecycle.duties import acting
from casekit.money import Money

__all__ = [
    "CorrectionLine",
    "CorrectionOutcome",
    "PCCStatus",
    "PaymentCorrectionCase",
]


class PCCStatus(enum.StrEnum):
    """Statuses of a payment correction case."""

    OPEN = "Open"
    APPROVED = "Approved"
    CLOSED = "Closed"
    CANCELLED = "Cancelled"


class CorrectionOutcome(enum.StrEnum):
    """What a reassessment found (correction = due − paid)."""

    OVERPAYMENT = "Overpayment"  # negative: owed to the agency
    UNDERPAYMENT = "Underpayment"  # positive: owed to the client
    NET_ZERO = "Net Zero"  # lines differ but sum to zero
    NO_CHANGE = "No Change"


@attrs.frozen(slots=True)
class CorrectionLine:
    """One line of a correction: a cover period, component and nominee, and the amount."""

    cover_from: date
    cover_to: date
    component: str
    nominee: str
    amount: Money

    def __attrs_post_init__(self) -> None:
        check_date(self.cover_from, what="a correction line's cover_from")
        check_date(self.cover_to, what="a correction line's cover_to")
        if self.cover_to < self.cover_from:
            raise ValidationError(
                f"a correction line's cover period {self.cover_from}..{self.cover_to} "
                "ends before it starts"
            )
        check_text(self.component, what="a correction line's component")
        check_id(self.nominee, what="a correction line's nominee")
        check_instance(self.amount, Money, what="a correction line's amount")


def _not_the_opener(case: PaymentCorrectionCase, ctx: ActionContext) -> bool:
    return case.opened_by is None or case.opened_by not in acting(ctx)


def _opened_by_approver(case: PaymentCorrectionCase, ctx: ActionContext) -> str:
    return (
        f"{case.id} was opened by {case.opened_by} (who asked for the reassessment that found "
        f"it); approval must come from another person: {supervisor_instead(case, ctx)}"
    )


PCC_LIFECYCLE: Lifecycle[PaymentCorrectionCase] = Lifecycle(
    name="Payment Correction Case",
    statuses=PCCStatus,
    initial=PCCStatus.OPEN,
    final=frozenset({PCCStatus.CLOSED, PCCStatus.CANCELLED}),
    actions=(
        Action(
            "approve",
            PCCStatus.OPEN,
            PCCStatus.APPROVED,
            guards=(
                Guard(_not_the_opener, _opened_by_approver, SeparationOfDuties),
                supervisor_approves(),
            ),
            params=(),
        ),
        Action("settle", PCCStatus.APPROVED, PCCStatus.CLOSED, label="settled", params=()),
        Action(
            "cancel",
            (PCCStatus.OPEN, PCCStatus.APPROVED),
            PCCStatus.CANCELLED,
            reason_required=True,
            params=(),
        ),
    ),
)


@case_type(PCC_LIFECYCLE, prefix="PCC")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class PaymentCorrectionCase(Case[PCCStatus]):
    """An over- or underpayment to recover or pay, linked to its product delivery case.

    Attributes:
        pdc_id: The product delivery case the correction is for.
        outcome: Overpayment, underpayment or net zero.
        net: The net correction (due − paid): negative is an overpayment.
        lines: The correction lines (one net line when rolled up).
        reassessment_id: The reassessment that found it.
        opened_by: Who opened it ([`open_for`][]'s ``actor``: who asked for the
            reassessment); they may not approve it.
    """

    pdc_id: str = ""
    outcome: CorrectionOutcome = CorrectionOutcome.NO_CHANGE
    net: Money | None = None
    lines: tuple[CorrectionLine, ...] = ()
    reassessment_id: str | None = None
    opened_by: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.outcome, CorrectionOutcome):
            raise ValidationError(
                f"outcome of {self.id} must be a CorrectionOutcome "
                f"({allowed_list(CorrectionOutcome)}), got {self.outcome!r}"
            )
        if self.net is not None:
            check_instance(self.net, Money, what=f"net of {self.id}")
        lines: object = self.lines
        if not isinstance(lines, tuple | list):
            raise ValidationError(
                f"lines of {self.id} must be a sequence of CorrectionLine, got {lines!r}"
            )
        for line in lines:
            check_instance(line, CorrectionLine, what=f"a line of {self.id}")
        self.lines = tuple(lines)
        if self.reassessment_id is not None:
            check_id(self.reassessment_id, what=f"reassessment_id of {self.id}")
        if self.opened_by is not None:
            check_actor(self.opened_by, what=f"opened_by of {self.id}")

    @classmethod
    def open_for(
        cls,
        pdc: Case[Any],
        *,
        outcome: CorrectionOutcome,
        net: Money,
        lines: Sequence[CorrectionLine],
        actor: str,
        reassessment_id: str | None = None,
        clock: Clock | None = None,
        id: str | None = None,
        owner: Owner | None = None,
    ) -> PaymentCorrectionCase:
        """Open a correction case for ``pdc`` and link the two both ways.

        The owner and supervisor default to the PDC's; the primary client, sensitivity,
        location and org unit are the PDC's.
        ``actor`` (who asked for the reassessment) is kept as ``opened_by``, and may not
        approve the correction.

        Raises:
            ValidationError: A malformed argument (each is checked before anything is
                created or linked), or ``outcome`` is No Change.
        """
        check_instance(pdc, Case, what="the case a payment correction is for")
        outcome = check_enum(outcome, CorrectionOutcome, what=f"outcome (correction of {pdc.id})")
        check_instance(net, Money, what=f"net (correction of {pdc.id})")
        if isinstance(lines, str) or not isinstance(lines, Sequence):
            raise ValidationError(
                f"lines (correction of {pdc.id}) must be a sequence of CorrectionLine, "
                f"got {lines!r}"
            )
        for line in lines:
            check_instance(line, CorrectionLine, what=f"a line of the correction of {pdc.id}")
        actor = cls._actor(actor)
        if reassessment_id is not None:
            check_id(reassessment_id, what=f"reassessment_id (correction of {pdc.id})")
        if owner is not None:
            check_instance(owner, Owner, what=f"owner (correction of {pdc.id})")
        if outcome is CorrectionOutcome.NO_CHANGE:
            raise ValidationError(
                f"no correction case for {pdc.id}: the reassessment found no change"
            )
        pcc = cls.create(
            id=id,
            clock=clock or pdc.clock,
            owner=owner or pdc.roles.owner,
            supervisor=pdc.roles.supervisor,
            primary_client=pdc.primary_client,
            sensitivity=pdc.sensitivity,
            location=pdc.location,
            org_unit=pdc.org_unit,
            pdc_id=pdc.id,
            outcome=outcome,
            net=net,
            lines=tuple(lines),
            reassessment_id=reassessment_id,
            opened_by=actor,
        )
        pcc.link(LinkKind.CORRECTS, pdc.id)
        pdc.link(LinkKind.CORRECTED_BY, pcc.id)
        return pcc

    def summary_fields(self) -> dict[str, object]:
        """The PDC it corrects, what was found and the net amount (due − paid)."""
        return {"corrects": self.pdc_id, "outcome": self.outcome.value, "net": self.net}

    def approve(self, *, actor: str) -> ActionResult:
        """Approve the correction (Open → Approved).

        The approver is the case supervisor as a user, and not who opened it
        (``opened_by``: maker ≠ checker).

        Raises:
            SeparationOfDuties: ``actor`` opened it.
            GuardRejected: ``actor`` is not the supervisor as a user.
        """
        return self.perform("approve", actor=actor)

    def settle(self, *, actor: str) -> ActionResult:
        """Record it settled: recovered or paid (Approved → Closed)."""
        return self.perform("settle", actor=actor)

    def cancel(self, *, actor: str, reason: str) -> ActionResult:
        """Cancel (Open or Approved → Cancelled)."""
        return self.perform("cancel", actor=actor, reason=reason)
