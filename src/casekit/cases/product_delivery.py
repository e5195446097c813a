"""The Product Delivery Case: delivering one product (benefit or service) to a client.

Lifecycle (domain.md §1, seed 001): Creation, Approval, Activation, Suspension, Closure,
Reactivation. An Open case must be submitted and approved (by the case supervisor as a user,
never by who submitted it, or by an approval check its product declares) before it can be
activated; activation needs a
certification covering the day where the product requires certification. A case is closed
manually at any point in its lifecycle, on a scheduled date, or when its certification expires.
Any live status can hand a step to background processing (Delayed Process Pending); ``resume``
performs that step as if it were performed directly (its reason rule, parameters, guards with
the resuming actor, and effects) or goes back where the case was if the step failed. Who
deferred the step takes part in it too: separation-of-duties guards check them at ``resume``.
"""

from __future__ import annotations

import enum
from datetime import date

import attrs

from casekit.cases.approvals import (
    CHECK_ACTOR_PREFIX,
    check_approval,
    is_supervisor_user,
    not_the_supervisor,
    supervisor_instead,
)
from casekit.cases.base import Case, case_type
from casekit.cases.parts import Certification, MilestoneKind
from casekit.checks import check_bool, check_date, check_enum, check_id, check_text
from casekit.errors import ValidationError, allowed_list
from casekit.lifecycle import (
    Action,
    ActionContext,
    ActionResult,
    Deferral,
    DeferredStep,
    Guard,
    Lifecycle,
    separated_from,
)

__all__ = [
    "AUTOMATIC_CLOSURE_ACTOR",
    "ClosureReason",
    "DeferredStep",
    "PDCStatus",
    "ProductDeliveryCase",
]

AUTOMATIC_CLOSURE_ACTOR = f"{CHECK_ACTOR_PREFIX}automatic-closure"
"""Who an automatic closure is recorded as: the declared check ``automatic-closure``."""


class PDCStatus(enum.StrEnum):
    """Statuses of a product delivery case (the seed's display names)."""

    OPEN = "Open"
    SUBMITTED = "Submitted"
    APPROVED = "Approved"
    ACTIVE = "Active"
    SUSPENDED = "Suspended"
    PENDING_CLOSURE = "Pending Closure"
    CLOSED = "Closed"
    DELAYED_PROCESS_PENDING = "Delayed Process Pending"


class ClosureReason(enum.StrEnum):
    """Why a product delivery case closed."""

    MANUAL = "Manual"
    CERTIFICATION_EXPIRED = "Certification Expired"
    INELIGIBLE = "Found Ineligible"
    SCHEDULED = "Scheduled Closure"


_LIVE = (
    PDCStatus.OPEN,
    PDCStatus.SUBMITTED,
    PDCStatus.APPROVED,
    PDCStatus.ACTIVE,
    PDCStatus.SUSPENDED,
    PDCStatus.PENDING_CLOSURE,
)


def _approver_refusal(case: ProductDeliveryCase, ctx: ActionContext) -> str | None:
    """Why ``ctx.actor`` may not approve: not the supervisor as a user, nor a declared check."""
    if ctx.actor.startswith(CHECK_ACTOR_PREFIX):
        return check_approval(case, ctx.actor)
    if is_supervisor_user(case, ctx.actor):
        return None
    refusal = not_the_supervisor(case, ctx.actor)
    if case.automatic_approval:
        refusal += (
            f"; an approval check declared for {case.product} may approve it too "
            "(approve_automatically)"
        )
    return refusal


def _may_approve(case: ProductDeliveryCase, ctx: ActionContext) -> bool:
    return _approver_refusal(case, ctx) is None


def _why_not_approve(case: ProductDeliveryCase, ctx: ActionContext) -> str:
    return _approver_refusal(case, ctx) or "it may approve"


def _approver_instead(case: ProductDeliveryCase, ctx: ActionContext) -> str:
    instead = supervisor_instead(case, ctx)
    if case.automatic_approval:
        instead += ", or an approval check declared for its product"
    return instead


def _certified(case: ProductDeliveryCase, ctx: ActionContext) -> bool:
    return not case.requires_certification or case.is_certified_on(ctx.at.date())


def _check_closure_date(case: ProductDeliveryCase, ctx: ActionContext) -> None:
    check_date(
        ctx.params.get("on"),
        what=f"schedule_closure on {case.id} needs on=<a future date>; the closure date",
    )


def _closure_date_in_future(case: ProductDeliveryCase, ctx: ActionContext) -> bool:
    on = ctx.params["on"]
    assert isinstance(on, date)  # checked by _check_closure_date
    return on > ctx.at.date()


def _set_scheduled_closure(case: ProductDeliveryCase, ctx: ActionContext) -> None:
    on = ctx.params["on"]
    assert isinstance(on, date)
    case.scheduled_closure = on


def _check_closure_reason(case: ProductDeliveryCase, ctx: ActionContext) -> None:
    check_enum(
        ctx.params.get("closure_reason", ClosureReason.MANUAL),
        ClosureReason,
        what=f"closure_reason for {case.id}",
    )


def _on_close(case: ProductDeliveryCase, ctx: ActionContext) -> None:
    reason = check_enum(
        ctx.params.get("closure_reason", ClosureReason.MANUAL), ClosureReason, what="closure_reason"
    )
    case.closure_reason = reason
    case.scheduled_closure = None
    case._close_milestones(frozenset({MilestoneKind.REVIEW, MilestoneKind.REFERRAL}))
    case.add_milestone(MilestoneKind.CLOSURE, f"Closed: {reason.value}")
    client = case.primary_client_id
    if client is not None:
        case.send_communication(
            client,
            f"Your {case.product} case {case.id} is closed",
            f"Your {case.product} case {case.id} closed on {ctx.at.date().isoformat()} "
            f"({reason.value}).",
        )


def _on_reopen(case: ProductDeliveryCase, ctx: ActionContext) -> None:
    case.closure_reason = None
    case.scheduled_closure = None


PDC_LIFECYCLE: Lifecycle[ProductDeliveryCase] = Lifecycle(
    name="Product Delivery Case",
    statuses=PDCStatus,
    initial=PDCStatus.OPEN,
    final=frozenset(),
    actions=(
        Action(
            "submit", PDCStatus.OPEN, PDCStatus.SUBMITTED, label="submit for approval", params=()
        ),
        Action(
            "approve",
            PDCStatus.SUBMITTED,
            PDCStatus.APPROVED,
            guards=(
                separated_from(
                    {"submit": "submitted"}, doing="approval", instead=_approver_instead
                ),
                Guard(_may_approve, _why_not_approve),
            ),
            params=(),
        ),
        Action("reject", PDCStatus.SUBMITTED, PDCStatus.OPEN, reason_required=True, params=()),
        Action(
            "activate",
            PDCStatus.APPROVED,
            PDCStatus.ACTIVE,
            guards=(Guard(_certified, "the case is not certified for today; add a certification"),),
            params=(),
        ),
        Action("suspend", PDCStatus.ACTIVE, PDCStatus.SUSPENDED, reason_required=True, params=()),
        Action("unsuspend", PDCStatus.SUSPENDED, PDCStatus.OPEN, params=()),
        Action(
            "schedule_closure",
            PDCStatus.ACTIVE,
            PDCStatus.PENDING_CLOSURE,
            check_params=_check_closure_date,
            guards=(Guard(_closure_date_in_future, "the closure date must be in the future"),),
            effects=(_set_scheduled_closure,),
            params=("on",),
        ),
        Action(
            "close",
            _LIVE,
            PDCStatus.CLOSED,
            reason_required=True,
            check_params=_check_closure_reason,
            effects=(_on_close,),
            params=("closure_reason",),
        ),
        Action(
            "reactivate",
            (PDCStatus.CLOSED, PDCStatus.PENDING_CLOSURE),
            PDCStatus.OPEN,
            effects=(_on_reopen,),
            params=(),
        ),
    ),
    deferral=Deferral(waiting=PDCStatus.DELAYED_PROCESS_PENDING, source=_LIVE),
)


@case_type(PDC_LIFECYCLE, prefix="PDC")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class ProductDeliveryCase(Case[PDCStatus]):
    """A product delivery case: one product delivered to a client, with its approvals.

    Attributes:
        product: The product's name (``"Basic Allowance"``); also the case's ``program``
            for access rules (``casekit.security``).
        requires_certification: Whether activation needs a certification for the day.
        automatic_approval: Whether the approval checks declared for its product
            ([`ApprovalCheck`][casekit.cases.ApprovalCheck]) may approve it, besides its
            supervisor (see [`approve_automatically`][]).
        integrated_case_id: The Integrated Case this PDC belongs to.
        scheduled_closure: The date a Pending Closure case closes on.
        closure_reason: Why it closed, while Closed.

    The step handed to background processing, while Delayed Process Pending, is the
    case's ``deferred`` ([`DeferredStep`][]).
    """

    product: str = attrs.field(default="")
    requires_certification: bool = False
    automatic_approval: bool = False
    integrated_case_id: str | None = None
    scheduled_closure: date | None = None
    closure_reason: ClosureReason | None = None
    _certifications: list[Certification] | None = attrs.field(default=None, alias="certifications")

    @property
    def program(self) -> str | None:
        """The program the case serves, for access rules that name programs: its product."""
        return self.product

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.product, str) or not self.product.strip():
            raise ValidationError(
                f"{self.id}: product must be a non-empty name, got {self.product!r}"
            )
        if type(self.requires_certification) is not bool:
            check_bool(self.requires_certification, what=f"requires_certification of {self.id}")
        if type(self.automatic_approval) is not bool:
            check_bool(self.automatic_approval, what=f"automatic_approval of {self.id}")
        if self.integrated_case_id is not None:
            check_id(self.integrated_case_id, what=f"integrated_case_id of {self.id}")
        if self.scheduled_closure is not None:
            check_date(self.scheduled_closure, what=f"scheduled_closure of {self.id}")
        if self.closure_reason is not None and not isinstance(self.closure_reason, ClosureReason):
            raise ValidationError(
                f"closure_reason of {self.id} must be a ClosureReason "
                f"({allowed_list(ClosureReason)}), got {self.closure_reason!r}"
            )

    # ----- certifications -----------------------------------------------------------------
    @property
    def certifications(self) -> tuple[Certification, ...]:
        """Certified eligibility periods, in the order they were added."""
        return tuple(self._certifications) if self._certifications else ()

    def certify(self, period_from: date, period_to: date, *, actor: str) -> Certification:
        """Add a certified eligibility period (inclusive dates).

        Raises:
            ValidationError: A bound that is not a date, a period that ends before it
                starts, or a blank actor.
        """
        check_date(period_from, what=f"period_from of a certification of {self.id}")
        check_date(period_to, what=f"period_to of a certification of {self.id}")
        self._actor(actor)
        cert = Certification(period_from, period_to, actor, self.clock.now())
        if self._certifications is None:
            self._certifications = []
        self._certifications.append(cert)
        self._now()
        return cert

    def is_certified_on(self, day: date) -> bool:
        """True when a certification covers ``day``. O(c) for c certifications."""
        return any(cert.covers(day) for cert in self.certifications)

    # ----- typed actions ------------------------------------------------------------------
    def summary_fields(self) -> dict[str, object]:
        """The product and the Integrated Case the PDC belongs to."""
        return {"product": self.product, "integrated_case": self.integrated_case_id}

    def submit(self, *, actor: str) -> ActionResult:
        """Submit for supervisor approval (Open → Submitted)."""
        return self.perform("submit", actor=actor)

    def approve(self, *, actor: str) -> ActionResult:
        """Approve (Submitted → Approved).

        The approver is the case supervisor as a user (``Owner.user(actor)``; a work queue,
        position or org unit of that id does not count), and not who submitted it (maker ≠
        checker: neither who performed the latest ``submit`` nor, for a submission deferred
        and resumed, who deferred or resumed it).

        Raises:
            SeparationOfDuties: ``actor`` submitted it (the message names the supervisor
                who may approve).
            GuardRejected: ``actor`` is not the supervisor as a user.
        """
        return self.perform("approve", actor=actor)

    def approve_automatically(self, check: str) -> ActionResult:
        """Approve by a declared approval check of the case's product (Submitted → Approved).

        The check ([`ApprovalCheck`][casekit.cases.ApprovalCheck], declared with
        [`declare_approval_check`][casekit.cases.declare_approval_check]) runs now; the
        approval is recorded with the actor ``"check:<name>"``. Only a case open to
        automatic approval (``automatic_approval=True``) may be approved this way. The same
        happens for ``approve(actor="check:<name>")``, and when a deferred approval is
        resumed by that actor: the check always runs. No other actor name approves on
        behalf of "the system".

        Raises:
            GuardRejected: No check of that name is declared for the case's product, the
                case is not open to automatic approval, or the check said no.
            ValidationError: ``check`` is not a name.
        """
        name = check_text(check, what=f"the approval check approving {self.id}")
        return self.perform("approve", actor=f"{CHECK_ACTOR_PREFIX}{name}")

    def reject(self, *, actor: str, reason: str) -> ActionResult:
        """Send back to Open with a reason (Submitted → Open)."""
        return self.perform("reject", actor=actor, reason=reason)

    def activate(self, *, actor: str) -> ActionResult:
        """Activate (Approved → Active); certified where the product requires it."""
        return self.perform("activate", actor=actor)

    def suspend(self, *, actor: str, reason: str) -> ActionResult:
        """Suspend (Active → Suspended); no payments or corrections while suspended."""
        return self.perform("suspend", actor=actor, reason=reason)

    def unsuspend(self, *, actor: str) -> ActionResult:
        """Unsuspend (Suspended → Open): approve and activate again."""
        return self.perform("unsuspend", actor=actor)

    def schedule_closure(self, on: date, *, actor: str, reason: str | None = None) -> ActionResult:
        """Schedule closure on a future date (Active → Pending Closure)."""
        return self.perform("schedule_closure", actor=actor, reason=reason, on=on)

    def close(
        self,
        *,
        actor: str,
        reason: str,
        closure_reason: ClosureReason = ClosureReason.MANUAL,
    ) -> ActionResult:
        """Close, manually at any point in the lifecycle (any live status → Closed).

        Closes the case's open reviews and referrals and sends a closure communication to
        the primary client.

        Args:
            actor: Who closes it.
            reason: Why, in words (required).
            closure_reason: The kind of closure: manual, certification expired, found
                ineligible or scheduled.
        """
        return self.perform("close", actor=actor, reason=reason, closure_reason=closure_reason)

    def reactivate(self, *, actor: str, reason: str | None = None) -> ActionResult:
        """Reactivate (Closed or Pending Closure → Open): approve and activate again."""
        return self.perform("reactivate", actor=actor, reason=reason)

    def defer(
        self, step: str, *, actor: str, reason: str | None = None, **params: object
    ) -> ActionResult:
        """Hand ``step`` (an action allowed now) to background processing.

        The step's reason rule and parameters are checked now, as if it were performed
        (``defer("close", actor=..., reason="moved abroad")``,
        ``defer("schedule_closure", actor=..., on=date(...))``), and kept for [`resume`][].

        Raises:
            ValidationError: ``step`` is not allowed now, or its reason or parameters are
                missing or malformed.
        """
        return self.perform("defer", actor=actor, reason=reason, step=step, **params)

    def resume(self, *, actor: str, succeeded: bool = True) -> ActionResult:
        """Finish the deferred step, performed by ``actor`` as if it were performed directly.

        With ``succeeded=True`` the step's guards run with ``actor`` (only the supervisor
        can resume an approval, and neither the supervisor nor whoever deferred it may
        have submitted it), then its effects; with ``succeeded=False`` the case goes back
        where it was.

        Raises:
            GuardRejected: A guard of the step refused it; the case keeps waiting
                ([`SeparationOfDuties`][casekit.errors.SeparationOfDuties] when ``actor``
                or whoever deferred the step holds a role the step must be kept from).
            ValidationError: ``succeeded`` is not a bool.
        """
        return self.perform("resume", actor=actor, succeeded=succeeded)

    def due_for_automatic_closure(self) -> str | None:
        """Why the case closes automatically today, or ``None`` when it does not. O(c).

        A Pending Closure case closes once its scheduled date has come; an Active or
        Suspended case whose product requires certification closes when its certification
        has expired (it had one, and none covers today). O(c) for c certifications.
        """
        today = self.clock.now().date()
        if (
            self.status is PDCStatus.PENDING_CLOSURE
            and self.scheduled_closure is not None
            and self.scheduled_closure <= today
        ):
            return f"scheduled closure on {self.scheduled_closure.isoformat()}"
        if (
            self.status in (PDCStatus.ACTIVE, PDCStatus.SUSPENDED)
            and self.requires_certification
            and self.certifications
            and not self.is_certified_on(today)
        ):
            return "the certification expired"
        return None

    def run_automatic_closure(self, *, actor: str = AUTOMATIC_CLOSURE_ACTOR) -> ActionResult | None:
        """Close the case if it is due to close automatically today, else do nothing.

        See [`due_for_automatic_closure`][] for when. The closure is recorded with
        ``actor``: by default ``"check:automatic-closure"``, the actor an application
        records for its declared automatic check (`casekit.app.AUTOMATIC_CLOSURE`, which
        `Application.run_automatic_closure` runs as), not a free ``"system"``.
        """
        actor = self._actor(actor, what=f"actor of the automatic closure of {self.id}")
        reason = self.due_for_automatic_closure()
        if reason is None:
            return None
        closure_reason = (
            ClosureReason.SCHEDULED
            if self.status is PDCStatus.PENDING_CLOSURE
            else ClosureReason.CERTIFICATION_EXPIRED
        )
        return self.close(actor=actor, reason=reason, closure_reason=closure_reason)

    # ----- atomicity hooks ----------------------------------------------------------------
    def _type_checkpoint(self) -> object:
        return (self.scheduled_closure, self.closure_reason)

    def _type_rollback(self, checkpoint: object) -> None:
        self.scheduled_closure, self.closure_reason = checkpoint  # type: ignore[misc]
