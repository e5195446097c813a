"""The Application Case: a client applies for one or more programs.

Stages: Creation, Approval, Cancellation, Determination, Disposal (seed 001). Only In Progress
or Submit Failed may move to Submitting. Each program applied for is Pending, then Approved,
Denied or Withdrawn; a Denied or Withdrawn program may be reopened (back to Pending) while the
application is not disposed. Disposing needs every program decided and creates an Integrated
Case and one Product Delivery Case per approved program.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import attrs

from casekit.cases.base import Case, case_type
from casekit.cases.parts import LinkKind, ParticipantRole
from casekit.cases.product_delivery import ProductDeliveryCase
from casekit.cases.simple import IntegratedCase
from casekit.checks import check_id, check_text
from casekit.errors import InvalidTransition, NotFound, ValidationError, allowed_list
from casekit.lifecycle import Action, ActionContext, ActionResult, Guard, Lifecycle

__all__ = ["ApplicationCase", "ApplicationStatus", "Disposal", "ProgramStatus"]


class ApplicationStatus(enum.StrEnum):
    """Statuses of an application case."""

    IN_PROGRESS = "In Progress"
    SUBMITTING = "Submitting"
    SUBMITTED = "Submitted"
    SUBMIT_FAILED = "Submit Failed"
    READY_FOR_DETERMINATION = "Ready for Determination"
    CANCELLED = "Cancelled"
    DISPOSED = "Disposed"


class ProgramStatus(enum.StrEnum):
    """Where one program applied for stands."""

    PENDING = "Pending"
    APPROVED = "Approved"
    DENIED = "Denied"
    WITHDRAWN = "Withdrawn"


_PROGRAM_MOVES: dict[ProgramStatus, frozenset[ProgramStatus]] = {
    ProgramStatus.PENDING: frozenset(
        {ProgramStatus.APPROVED, ProgramStatus.DENIED, ProgramStatus.WITHDRAWN}
    ),
    ProgramStatus.DENIED: frozenset({ProgramStatus.PENDING}),
    ProgramStatus.WITHDRAWN: frozenset({ProgramStatus.PENDING}),
    ProgramStatus.APPROVED: frozenset(),
}


@attrs.frozen(slots=True)
class Disposal:
    """What disposing an application created."""

    integrated_case: IntegratedCase
    product_delivery_cases: tuple[ProductDeliveryCase, ...]


def _evidence_verified(case: ApplicationCase, ctx: ActionContext) -> bool:
    return not case.unverified_evidence_types()


def _unverified_reason(case: ApplicationCase, ctx: ActionContext) -> str:
    return "required evidence is not verified: " + ", ".join(case.unverified_evidence_types())


def _programs_decided(case: ApplicationCase, ctx: ActionContext) -> bool:
    return bool(case.programs) and all(
        status is not ProgramStatus.PENDING for status in case.programs.values()
    )


def _create_integrated_case_and_pdcs(case: ApplicationCase, ctx: ActionContext) -> None:
    integrated = IntegratedCase.create(
        clock=case.clock,
        owner=case.roles.owner,
        supervisor=case.roles.supervisor,
        primary_client=case.primary_client,
        participants=[p for p in case.participants if p.role is not ParticipantRole.PRIMARY_CLIENT],
        priority=case.priority,
    )
    integrated.link(LinkKind.CREATED_FROM, case.id)
    pdcs = []
    for program, status in case.programs.items():
        if status is ProgramStatus.APPROVED:
            pdc = ProductDeliveryCase.create(
                clock=case.clock,
                owner=case.roles.owner,
                supervisor=case.roles.supervisor,
                primary_client=case.primary_client,
                priority=case.priority,
                product=program,
                integrated_case_id=integrated.id,
            )
            pdc.link(LinkKind.CREATED_FROM, case.id)
            integrated.add_member_case(pdc)
            pdcs.append(pdc)
    case.link(LinkKind.RELATED, integrated.id)
    case.integrated_case_id = integrated.id
    ctx.created.extend([integrated, *pdcs])


APPLICATION_LIFECYCLE: Lifecycle[ApplicationCase] = Lifecycle(
    name="Application Case",
    statuses=ApplicationStatus,
    initial=ApplicationStatus.IN_PROGRESS,
    final=frozenset({ApplicationStatus.CANCELLED, ApplicationStatus.DISPOSED}),
    actions=(
        Action(
            "submit",
            (ApplicationStatus.IN_PROGRESS, ApplicationStatus.SUBMIT_FAILED),
            ApplicationStatus.SUBMITTING,
            params=(),
        ),
        Action(
            "submission_succeeded",
            ApplicationStatus.SUBMITTING,
            ApplicationStatus.SUBMITTED,
            params=(),
        ),
        Action(
            "submission_failed",
            ApplicationStatus.SUBMITTING,
            ApplicationStatus.SUBMIT_FAILED,
            params=(),
        ),
        Action(
            "mark_ready",
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.READY_FOR_DETERMINATION,
            guards=(Guard(_evidence_verified, _unverified_reason),),
            params=(),
        ),
        Action(
            "cancel",
            (
                ApplicationStatus.IN_PROGRESS,
                ApplicationStatus.SUBMIT_FAILED,
                ApplicationStatus.SUBMITTED,
                ApplicationStatus.READY_FOR_DETERMINATION,
            ),
            ApplicationStatus.CANCELLED,
            reason_required=True,
            params=(),
        ),
        Action(
            "dispose",
            ApplicationStatus.READY_FOR_DETERMINATION,
            ApplicationStatus.DISPOSED,
            guards=(
                Guard(_programs_decided, "every program must be approved, denied or withdrawn"),
            ),
            effects=(_create_integrated_case_and_pdcs,),
            params=(),
        ),
    ),
)


@case_type(APPLICATION_LIFECYCLE, prefix="APP")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class ApplicationCase(Case[ApplicationStatus]):
    """An application for one or more programs.

    Attributes:
        programs: Each program applied for, with its status.
        required_evidence: Evidence types that must be recorded and verified before the
            application is ready for determination.
        integrated_case_id: The Integrated Case disposal created.
    """

    _programs: dict[str, ProgramStatus] = attrs.field(factory=dict, alias="programs")
    required_evidence: frozenset[str] = frozenset()
    integrated_case_id: str | None = None

    def __attrs_post_init__(self) -> None:
        programs: object = self._programs
        if isinstance(programs, list | tuple | set | frozenset):
            for program in programs:
                check_text(program, what=f"a program of {self.id}")
            programs = dict.fromkeys(programs, ProgramStatus.PENDING)
        if not isinstance(programs, Mapping):
            raise ValidationError(
                f"programs of {self.id} must be a list of program names or a mapping of "
                f"name to ProgramStatus, got {programs!r}"
            )
        for program, status in programs.items():
            if not isinstance(program, str) or not program.strip():
                raise ValidationError(f"{self.id}: invalid program {program!r}: {status!r}")
            if not isinstance(status, ProgramStatus):
                raise ValidationError(
                    f"{self.id}: program {program!r} has status {status!r}; "
                    f"allowed: {allowed_list(ProgramStatus)}"
                )
        self._programs = dict(programs)
        required: object = self.required_evidence
        if isinstance(required, str) or not isinstance(required, Iterable):
            raise ValidationError(
                f"required_evidence of {self.id} must be a set of evidence types, got {required!r}"
            )
        required = frozenset(required)
        for kind in required:
            check_text(kind, what=f"a required evidence type of {self.id}")
        self.required_evidence = required
        if self.integrated_case_id is not None:
            check_id(self.integrated_case_id, what=f"integrated_case_id of {self.id}")

    @property
    def programs(self) -> dict[str, ProgramStatus]:
        """Each program applied for and its status (a copy)."""
        return dict(self._programs)

    def unverified_evidence_types(self) -> tuple[str, ...]:
        """The required evidence types with no current verified record, sorted."""
        verified = {e.type for e in self.evidence.current() if e.verified}
        return tuple(sorted(self.required_evidence - verified))

    # ----- programs ---------------------------------------------------------------------
    def add_program(self, program: str, *, actor: str) -> None:
        """Apply for another program (Pending) before the application is decided."""
        check_text(program, what=f"a program applied for on {self.id}")
        self._actor(actor)
        self._check_open_for_programs("add a program to")
        if program in self._programs:
            raise ValidationError(f"{self.id}: program {program!r} is already applied for")
        self._programs[program] = ProgramStatus.PENDING
        self._now()

    def approve_program(self, program: str, *, actor: str) -> None:
        """Approve a pending program."""
        self._move_program(program, ProgramStatus.APPROVED, actor)

    def deny_program(self, program: str, *, actor: str) -> None:
        """Deny a pending program."""
        self._move_program(program, ProgramStatus.DENIED, actor)

    def withdraw_program(self, program: str, *, actor: str) -> None:
        """Withdraw a pending program."""
        self._move_program(program, ProgramStatus.WITHDRAWN, actor)

    def reopen_program(self, program: str, *, actor: str) -> None:
        """Put a denied or withdrawn program back to Pending (before disposal)."""
        self._move_program(program, ProgramStatus.PENDING, actor)

    def _check_open_for_programs(self, what: str) -> None:
        if self.status in (ApplicationStatus.DISPOSED, ApplicationStatus.CANCELLED):
            raise ValidationError(f"cannot {what} {self.id}: it is {self.status.value}")

    def _move_program(self, program: str, to: ProgramStatus, actor: str) -> None:
        check_text(program, what=f"a program of {self.id}")
        self._actor(actor)
        self._check_open_for_programs(f"change program {program!r} of")
        current = self._programs.get(program)
        if current is None:
            raise NotFound(
                f"{self.id} has no program {program!r}; "
                f"programs: {', '.join(self._programs) or 'none'}"
            )
        allowed = _PROGRAM_MOVES[current]
        if to not in allowed:
            raise InvalidTransition(
                f"{self.id} program {program}",
                to.value.lower(),
                current.value,
                [s.value for s in allowed],
            )
        self._programs[program] = to
        self._now()

    # ----- typed actions ----------------------------------------------------------------
    def submit(self, *, actor: str) -> ActionResult:
        """Start submitting (In Progress or Submit Failed → Submitting)."""
        return self.perform("submit", actor=actor)

    def submission_succeeded(self, *, actor: str) -> ActionResult:
        """The submission went through (Submitting → Submitted)."""
        return self.perform("submission_succeeded", actor=actor)

    def submission_failed(self, *, actor: str, reason: str | None = None) -> ActionResult:
        """The submission failed (Submitting → Submit Failed)."""
        return self.perform("submission_failed", actor=actor, reason=reason)

    def mark_ready(self, *, actor: str) -> ActionResult:
        """Ready for determination, once required evidence is verified."""
        return self.perform("mark_ready", actor=actor)

    def cancel(self, *, actor: str, reason: str) -> ActionResult:
        """Cancel the application, with a reason."""
        return self.perform("cancel", actor=actor, reason=reason)

    def dispose(self, *, actor: str) -> Disposal:
        """Dispose: every program decided; creates the Integrated Case and the PDCs."""
        result = self.perform("dispose", actor=actor)
        integrated, *pdcs = result.created
        assert isinstance(integrated, IntegratedCase)
        return Disposal(integrated, tuple(p for p in pdcs if isinstance(p, ProductDeliveryCase)))

    def _type_checkpoint(self) -> object:
        return (dict(self._programs), self.integrated_case_id)

    def _type_rollback(self, checkpoint: object) -> None:
        assert isinstance(checkpoint, tuple)
        programs, integrated_case_id = checkpoint
        self._programs = programs
        self.integrated_case_id = integrated_case_id
