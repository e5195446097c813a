"""Issue and Investigation cases.

An Issue Case is resolved with a named resolution ("Agree with Client", "Agree with
Employer", ...); with manual approval it waits in Pending Approval for its supervisor (a
user, and not who resolved it), with automatic approval it closes at once. An Investigation
Case records allegations, findings (Founded or Unfounded) and a resolution; it can be
reopened with a reason.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import ClassVar

import attrs

from casekit.cases.approvals import supervisor_approves, supervisor_instead
from casekit.cases.base import Case, case_type
from casekit.checks import check_bool, check_text
from casekit.errors import ValidationError, allowed_list
from casekit.lifecycle import Action, ActionContext, ActionResult, Lifecycle, separated_from

__all__ = [
    "DEFAULT_RESOLUTIONS",
    "Finding",
    "InvestigationCase",
    "InvestigationStatus",
    "IssueCase",
    "IssueStatus",
]

DEFAULT_RESOLUTIONS = ("Agree with Client", "Agree with Employer", "Partially Agree", "Withdrawn")


class IssueStatus(enum.StrEnum):
    """Statuses of an issue case."""

    OPEN = "Open"
    PENDING_APPROVAL = "Pending Approval"
    CLOSED = "Closed"


def _check_resolution(case: IssueCase, ctx: ActionContext) -> None:
    resolution = ctx.params.get("resolution")
    if type(resolution) is not str or resolution not in case.resolutions:
        raise ValidationError(
            f"resolve {case.id} needs resolution= one of {', '.join(case.resolutions)}; "
            f"got {resolution!r}"
        )


def _resolve_target(case: IssueCase, ctx: ActionContext) -> IssueStatus:
    return IssueStatus.CLOSED if case.automatic_approval else IssueStatus.PENDING_APPROVAL


def _set_resolution(case: IssueCase, ctx: ActionContext) -> None:
    resolution = ctx.params["resolution"]
    assert isinstance(resolution, str)
    case.resolution = resolution


def _clear_resolution(case: IssueCase, ctx: ActionContext) -> None:
    case.resolution = None


ISSUE_LIFECYCLE: Lifecycle[IssueCase] = Lifecycle(
    name="Issue Case",
    statuses=IssueStatus,
    initial=IssueStatus.OPEN,
    final=frozenset({IssueStatus.CLOSED}),
    actions=(
        Action(
            "resolve",
            IssueStatus.OPEN,
            None,
            check_params=_check_resolution,
            resolve=_resolve_target,
            targets=(IssueStatus.PENDING_APPROVAL, IssueStatus.CLOSED),
            effects=(_set_resolution,),
            params=("resolution",),
        ),
        Action(
            "approve",
            IssueStatus.PENDING_APPROVAL,
            IssueStatus.CLOSED,
            guards=(
                separated_from(
                    {"resolve": "resolved"}, doing="approval", instead=supervisor_instead
                ),
                supervisor_approves(),
            ),
            params=(),
        ),
        Action(
            "reject",
            IssueStatus.PENDING_APPROVAL,
            IssueStatus.OPEN,
            reason_required=True,
            effects=(_clear_resolution,),
            params=(),
        ),
    ),
)


@case_type(ISSUE_LIFECYCLE, prefix="ISS")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class IssueCase(Case[IssueStatus]):
    """An issue raised about a client or a decision, resolved to a named end point.

    Attributes:
        automatic_approval: Resolving closes the case at once when True; otherwise it waits
            in Pending Approval.
        resolutions: The named end points allowed.
        resolution: The chosen one, once resolved.
    """

    automatic_approval: bool = False
    resolutions: tuple[str, ...] = DEFAULT_RESOLUTIONS
    resolution: str | None = None

    def __attrs_post_init__(self) -> None:
        check_bool(self.automatic_approval, what=f"automatic_approval of {self.id}")
        resolutions: object = self.resolutions
        if isinstance(resolutions, str) or not isinstance(resolutions, Iterable):
            raise ValidationError(
                f"resolutions of {self.id} must be a sequence of names, got {resolutions!r}"
            )
        self.resolutions = tuple(resolutions)
        if not self.resolutions:
            raise ValidationError(f"resolutions of {self.id} must name at least one end point")
        for name in self.resolutions:
            check_text(name, what=f"a resolution of {self.id}")
        if self.resolution is not None:
            check_text(self.resolution, what=f"the resolution of {self.id}")

    def resolve(self, resolution: str, *, actor: str) -> ActionResult:
        """Resolve with a named resolution (Open → Pending Approval, or Closed if automatic)."""
        return self.perform("resolve", actor=actor, resolution=resolution)

    def approve(self, *, actor: str) -> ActionResult:
        """Approve the resolution (Pending Approval → Closed).

        The approver is the case supervisor as a user, and not who resolved it (maker ≠
        checker: who performed the latest ``resolve``).

        Raises:
            SeparationOfDuties: ``actor`` resolved it.
            GuardRejected: ``actor`` is not the supervisor as a user.
        """
        return self.perform("approve", actor=actor)

    def reject(self, *, actor: str, reason: str) -> ActionResult:
        """Reject the resolution (Pending Approval → Open)."""
        return self.perform("reject", actor=actor, reason=reason)

    def _type_checkpoint(self) -> object:
        return self.resolution

    def _type_rollback(self, checkpoint: object) -> None:
        self.resolution = checkpoint if isinstance(checkpoint, str) else None


class InvestigationStatus(enum.StrEnum):
    """Statuses of an investigation case."""

    OPEN = "Open"
    CLOSED = "Closed"


class Finding(enum.StrEnum):
    """The outcome of an investigation."""

    FOUNDED = "Founded"
    UNFOUNDED = "Unfounded"


def _check_findings(case: InvestigationCase, ctx: ActionContext) -> None:
    findings = ctx.params.get("findings")
    if not isinstance(findings, Finding):
        raise ValidationError(
            f"close {case.id} needs findings= Finding.FOUNDED or Finding.UNFOUNDED, "
            f"got {findings!r}"
        )
    check_text(ctx.params.get("resolution"), what=f"close {case.id} needs a resolution; it")


def _record_findings(case: InvestigationCase, ctx: ActionContext) -> None:
    findings, resolution = ctx.params["findings"], ctx.params["resolution"]
    assert isinstance(findings, Finding)
    assert isinstance(resolution, str)
    case.findings, case.resolution = findings, resolution


INVESTIGATION_LIFECYCLE: Lifecycle[InvestigationCase] = Lifecycle(
    name="Investigation Case",
    statuses=InvestigationStatus,
    initial=InvestigationStatus.OPEN,
    actions=(
        Action(
            "close",
            InvestigationStatus.OPEN,
            InvestigationStatus.CLOSED,
            check_params=_check_findings,
            effects=(_record_findings,),
            params=("findings", "resolution"),
        ),
        Action(
            "reopen",
            InvestigationStatus.CLOSED,
            InvestigationStatus.OPEN,
            reason_required=True,
            params=(),
        ),
    ),
)


@case_type(INVESTIGATION_LIFECYCLE, prefix="INV")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class InvestigationCase(Case[InvestigationStatus]):
    """An investigation: allegations, findings, a resolution, action plans and milestones.

    Allegations of abuse or fraud are among the most sensitive things a case holds
    (domain.md §7), so a new investigation has sensitivity 4 unless given another level
    (``create(sensitivity=...)``), and so does a stored one written before cases had a
    sensitivity: only principals with clearance 4 or 5 see it.
    """

    default_sensitivity: ClassVar[int] = 4

    findings: Finding | None = None
    resolution: str | None = None
    _allegations: list[str] = attrs.field(factory=list, alias="allegations")

    def __attrs_post_init__(self) -> None:
        if self.findings is not None and not isinstance(self.findings, Finding):
            raise ValidationError(
                f"findings of {self.id} must be a Finding ({allowed_list(Finding)}), "
                f"got {self.findings!r}"
            )
        if self.resolution is not None:
            check_text(self.resolution, what=f"the resolution of {self.id}")
        allegations: object = self._allegations
        if not isinstance(allegations, list):
            raise ValidationError(
                f"allegations of {self.id} must be a list of texts, got {allegations!r}"
            )
        for text in allegations:
            check_text(text, what=f"an allegation on {self.id}")

    @property
    def allegations(self) -> tuple[str, ...]:
        """The allegations recorded, oldest first."""
        return tuple(self._allegations)

    def record_allegation(self, text: str, *, actor: str) -> None:
        """Record an allegation while the investigation is Open."""
        check_text(text, what=f"an allegation on {self.id} (it needs some text)")
        self._actor(actor)
        if self.status is not InvestigationStatus.OPEN:
            raise ValidationError(f"{self.id} is Closed; reopen it to record allegations")
        self._allegations.append(text)
        self._now()

    def close(self, *, actor: str, findings: Finding, resolution: str) -> ActionResult:
        """Close with findings and a resolution (Open → Closed)."""
        return self.perform("close", actor=actor, findings=findings, resolution=resolution)

    def reopen(self, *, actor: str, reason: str) -> ActionResult:
        """Reopen with a reason (Closed → Open); the earlier findings stay in the history."""
        return self.perform("reopen", actor=actor, reason=reason)

    def _type_checkpoint(self) -> object:
        return (self.findings, self.resolution)

    def _type_rollback(self, checkpoint: object) -> None:
        self.findings, self.resolution = checkpoint  # type: ignore[misc]
