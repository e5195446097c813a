"""The parts of a case: participants, roles, history, tasks, milestones, notes, links.

All are small immutable attrs records; a case changes by appending or replacing them, so
what was recorded is never edited in place.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import attrs

from casekit.checks import check_actor, check_date
from casekit.errors import ValidationError, allowed_list

__all__ = [
    "CaseLink",
    "CaseRoles",
    "Certification",
    "Communication",
    "LinkKind",
    "Milestone",
    "MilestoneKind",
    "MilestoneStatus",
    "Note",
    "Owner",
    "OwnerKind",
    "Participant",
    "ParticipantRole",
    "StatusChange",
    "Task",
    "TaskStatus",
]


def _non_empty(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{attribute.name} must be a non-empty string, got {value!r}")


class ParticipantRole(enum.StrEnum):
    """How a participant takes part in a case."""

    PRIMARY_CLIENT = "Primary Client"
    MEMBER = "Household Member"
    THIRD_PARTY = "Third Party"
    NOMINEE = "Nominee"


@attrs.frozen(slots=True)
class Participant:
    """A person or organisation on a case, in one role."""

    id: str
    role: ParticipantRole = ParticipantRole.PRIMARY_CLIENT
    name: str = ""


class OwnerKind(enum.StrEnum):
    """What kind of thing owns a case."""

    USER = "User"
    POSITION = "Position"
    ORG_UNIT = "Org Unit"
    WORK_QUEUE = "Work Queue"


def _check_owner_kind(value: object) -> None:
    if not isinstance(value, OwnerKind):
        raise ValidationError(
            f"an owner's kind must be one of {allowed_list(OwnerKind)}, got {value!r}"
        )


@attrs.frozen(slots=True)
class Owner:
    """A case owner, supervisor or reviewer: a user, position, org unit or work queue."""

    kind: OwnerKind = attrs.field(validator=lambda _i, _a, v: _check_owner_kind(v))
    id: str = attrs.field(validator=_non_empty)

    @classmethod
    def user(cls, user_id: str) -> Owner:
        """A user, by id."""
        return cls(OwnerKind.USER, user_id)

    @classmethod
    def position(cls, position_id: str) -> Owner:
        """A position (whoever holds it), by id."""
        return cls(OwnerKind.POSITION, position_id)

    @classmethod
    def org_unit(cls, unit_id: str) -> Owner:
        """An organisation unit, by id."""
        return cls(OwnerKind.ORG_UNIT, unit_id)

    @classmethod
    def work_queue(cls, queue_id: str) -> Owner:
        """A work queue, by id."""
        return cls(OwnerKind.WORK_QUEUE, queue_id)

    def __str__(self) -> str:
        return f"{self.kind.value} {self.id}"


@attrs.frozen(slots=True)
class CaseRoles:
    """Who owns, supervises and reviews a case. The reviewer defaults to the owner."""

    owner: Owner
    supervisor: Owner | None = None
    explicit_reviewer: Owner | None = None

    @property
    def reviewer(self) -> Owner:
        """The reviewer: the one set explicitly, else the owner."""
        return self.explicit_reviewer or self.owner


@attrs.frozen(slots=True)
class StatusChange:
    """One entry of a case's append-only status history.

    Attributes:
        case_id: The case (or payment).
        from_status: The status before.
        to_status: The status after.
        action: The action performed (``"defer"`` and ``"resume"`` for a deferred step).
        actor: Who performed it.
        at: When.
        reason: Why, where one was given.
        step: For a ``defer`` entry, the step handed to background processing; for a
            ``resume`` entry that performed it, that step (``None`` when the step failed
            and the case went back, and in entries written before casekit kept it).
    """

    case_id: str
    from_status: str
    to_status: str
    action: str
    actor: str
    at: datetime
    reason: str | None = None
    step: str | None = None


class TaskStatus(enum.StrEnum):
    """Where a task stands."""

    OPEN = "Open"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"


@attrs.frozen(slots=True)
class Task:
    """An instruction to do a piece of work on a case, assigned to a user.

    A kickback or an appeal review is a task to the prior worker: the case stays where it is.
    """

    id: str
    title: str
    assignee: str
    created_at: datetime
    created_by: str
    due: datetime | None = None
    kind: str = "work"
    status: TaskStatus = TaskStatus.OPEN
    closed_at: datetime | None = None
    closed_by: str | None = None


class MilestoneKind(enum.StrEnum):
    """What a case event marks."""

    MILESTONE = "Milestone"
    REVIEW = "Review"
    REFERRAL = "Referral"
    CLOSURE = "Closure"


class MilestoneStatus(enum.StrEnum):
    """Whether a case event is still open."""

    OPEN = "Open"
    CLOSED = "Closed"


@attrs.frozen(slots=True)
class Milestone:
    """A case event: a milestone, a review, a referral or the closure."""

    id: str
    kind: MilestoneKind
    name: str
    at: datetime
    due: datetime | None = None
    status: MilestoneStatus = MilestoneStatus.OPEN


@attrs.frozen(slots=True)
class Note:
    """A note or contact log entry on a case.

    Attributes:
        id: ``<case id>/N<n>``.
        text: What it says.
        author: Who wrote it.
        at: When.
        sensitivity: Its sensitivity level, 1–5 (domain.md §7: levels on cases, participants
            and notes): only principals cleared for it see it (`casekit.app` leaves it out
            of what it returns to others). Default 1.
    """

    id: str
    text: str
    author: str
    at: datetime
    sensitivity: int = 1


@attrs.frozen(slots=True)
class Communication:
    """A communication sent about a case (letter, email, notice)."""

    id: str
    recipient: str
    subject: str
    body: str
    at: datetime
    channel: str = "letter"


class LinkKind(enum.StrEnum):
    """How two cases are related."""

    MEMBER_OF = "Member Of"  # a PDC or member case -> its Integrated Case
    HAS_MEMBER = "Has Member"  # an Integrated Case -> a member case
    CREATED_FROM = "Created From"  # an Integrated Case or PDC -> its application
    CORRECTS = "Corrects"  # a Payment Correction Case -> its PDC
    CORRECTED_BY = "Corrected By"  # a PDC -> a Payment Correction Case
    RELATED = "Related"


@attrs.frozen(slots=True)
class CaseLink:
    """A link from one case to another."""

    kind: LinkKind
    case_id: str


@attrs.frozen(slots=True)
class Certification:
    """A certified eligibility period of a product delivery case (inclusive dates)."""

    period_from: date
    period_to: date
    certified_by: str
    at: datetime

    def __attrs_post_init__(self) -> None:
        check_date(self.period_from, what="certification period_from")
        check_date(self.period_to, what="certification period_to")
        check_actor(self.certified_by, what="certification certified_by")
        if self.period_to < self.period_from:
            raise ValidationError(
                f"certification period {self.period_from}..{self.period_to} ends before it starts"
            )

    def covers(self, day: date) -> bool:
        """True when ``day`` is inside the certified period."""
        return self.period_from <= day <= self.period_to
