"""The case: one interaction between a participant and the organisation.

[`Case`][] holds what every case type shares (roles, participants, priority, status and its
history, evidence, tasks, milestones, notes, communications, related cases); each case type is
a subclass bound to its lifecycle with [`case_type`][]. Cases compare by identity.

Collections are created on first use, so a fresh case costs a few hundred bytes; they are
exposed read-only (tuples or [`EvidenceLog`][]) and change only through the methods here,
which stamp the time from the case's clock and collect a domain event for the unit of work.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NamedTuple, TypeVar

import attrs

from casekit.cases.events import (
    EvidenceChanged,
    OwnerChanged,
    PriorityChanged,
    SecurityChanged,
    TaskChanged,
)
from casekit.cases.evidence import Evidence, EvidenceLog, check_dates
from casekit.cases.ownership import OrgStructure, OwnershipStrategy, RegisteringUser
from casekit.cases.parts import (
    CaseLink,
    CaseRoles,
    Communication,
    LinkKind,
    Milestone,
    MilestoneKind,
    MilestoneStatus,
    Note,
    Owner,
    OwnerKind,
    Participant,
    ParticipantRole,
    StatusChange,
    Task,
    TaskStatus,
)
from casekit.checks import (
    MAX_LEVEL,
    MIN_LEVEL,
    check_actor,
    check_aware,
    check_bool,
    check_date,
    check_enum,
    check_free_text,
    check_id,
    check_instance,
    check_json_safe,
    check_level,
    check_mapping,
    check_optional_id,
    check_optional_text,
    check_text,
)
from casekit.clock import SYSTEM_CLOCK, Clock, as_utc
from casekit.errors import (
    AlreadyExists,
    NotFound,
    SeparationOfDuties,
    ValidationError,
    allowed_list,
)
from casekit.lifecycle import (
    ActionContext,
    ActionResult,
    CompiledLifecycle,
    DeferredStep,
    Lifecycle,
    to_mermaid,
)
from casekit.notebook import to_dataframe
from casekit.priority import Priority

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CASE_TYPES", "Case", "Keep", "case_type", "new_case_id"]

S = TypeVar("S", bound=enum.Enum)
CaseT = TypeVar("CaseT", bound="Case[Any]")

CASE_TYPES: dict[str, type[Case[Any]]] = {}
"""Every registered case type, by display name (built-in and user-declared)."""


class Keep(enum.Enum):
    """Sentinel for "leave this field as it is" where ``None`` is a meaningful value."""

    KEEP = "keep"


def new_case_id(prefix: str) -> str:
    """Return a fresh, globally unique case id such as ``PDC-3f2a9c1b7e40``."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def case_type(lifecycle: Lifecycle[Any], *, prefix: str) -> Callable[[type[CaseT]], type[CaseT]]:
    """Bind a case class to its lifecycle: compile it once and register the type.

    Args:
        lifecycle: The declared lifecycle; its ``name`` is the case type's display name.
        prefix: The id prefix for generated ids (``"PDC"``).

    Raises:
        AlreadyExists: If another class is already registered under the lifecycle's name.
    """
    if not isinstance(lifecycle, Lifecycle):
        raise ValidationError(f"case_type needs a Lifecycle, got {lifecycle!r}")
    check_id(prefix, what=f"the id prefix of {lifecycle.name}")

    def bind(cls: type[CaseT]) -> type[CaseT]:
        existing = CASE_TYPES.get(lifecycle.name)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise AlreadyExists(
                f"case type {lifecycle.name!r} is already declared by {existing.__qualname__}"
            )
        cls._compiled = CompiledLifecycle(lifecycle)
        cls.case_type = lifecycle.name
        cls.id_prefix = prefix
        CASE_TYPES[lifecycle.name] = cls
        return cls

    return bind


def _check_sensitivity(case: Case[Any], _: attrs.Attribute[Any], value: object) -> None:
    """The validator of ``Case.sensitivity`` (creating, decoding, or building a case)."""
    if type(value) is not int or not MIN_LEVEL <= value <= MAX_LEVEL:
        check_level(value, what=f"the sensitivity of {case.id}")


def _check_placement(case: Case[Any], attribute: attrs.Attribute[Any], value: object) -> None:
    """The validator of ``Case.location``, ``org_unit`` and ``work_queue``."""
    if value is not None:
        check_id(value, what=f"the {attribute.name} of {case.id}")


@attrs.define(eq=False, slots=True, kw_only=True, on_setattr=attrs.setters.NO_OP)
class Case(Generic[S]):
    """What every case type shares. Use a subclass's ``create`` to open one.

    Fields are checked when a case is built (``create``, decoding, the constructor) and
    changed through the audited methods, which check their own arguments; attribute writes
    are plain (``on_setattr=attrs.setters.NO_OP``: declare case types the same way, or attrs
    routes every write through a validating hook, about 1.7 µs more per case created).

    Attributes:
        id: The case id.
        status: The current status (the lifecycle's enum; values are display names).
        roles: Owner, supervisor and reviewer.
        priority: Low, Normal, High or Urgent.
        created_at: When the case was opened (UTC).
        updated_at: When it last changed (UTC).
        version: The stored version, maintained by storage for optimistic concurrency.
        clock: Where the case reads the time.
        deferred: The step handed to background processing, while the case waits in its
            lifecycle's deferral status (see [`Deferral`][casekit.lifecycle.Deferral]).
        sensitivity: The case's sensitivity level, 1–5 (domain.md §7): only principals
            cleared to it may see the case. Defaults to the type's
            [`default_sensitivity`][casekit.cases.Case.default_sensitivity].
        location: The location the case belongs to (location security), if any.
        org_unit: The org unit the case belongs to, if any.
        work_queue: The work queue the case sits in, if any (its members are related to
            it as ``MEMBER``).
    """

    case_type: ClassVar[str] = "Case"
    id_prefix: ClassVar[str] = "CASE"
    default_sensitivity: ClassVar[int] = MIN_LEVEL
    """The sensitivity of a new case of this type, and of a stored one written without one
    (records older than the field). 1 unless the type says otherwise (an Investigation
    Case: 4)."""
    _compiled: ClassVar[CompiledLifecycle[Any]]

    id: str
    status: S
    roles: CaseRoles
    created_at: datetime
    updated_at: datetime
    priority: Priority = Priority.NORMAL
    version: int = 0
    clock: Clock = attrs.field(default=SYSTEM_CLOCK, repr=False)
    deferred: DeferredStep | None = attrs.field(default=None, repr=False)
    sensitivity: int = attrs.field(
        default=attrs.Factory(lambda self: type(self).default_sensitivity, takes_self=True),
        validator=_check_sensitivity,
    )
    location: str | None = attrs.field(default=None, repr=False, validator=_check_placement)
    org_unit: str | None = attrs.field(default=None, repr=False, validator=_check_placement)
    work_queue: str | None = attrs.field(default=None, repr=False, validator=_check_placement)
    # The primary client is kept as a bare id when it has no name, the common case: one
    # string instead of a Participant and a tuple per case (cheaper to create and to collect).
    _primary: str | Participant | None = attrs.field(default=None, alias="primary_client")
    _participants: tuple[Participant, ...] = attrs.field(default=(), alias="participants")
    _history: list[StatusChange] | None = attrs.field(default=None, repr=False, alias="history")
    _evidence: EvidenceLog | None = attrs.field(default=None, repr=False, alias="evidence")
    _tasks: list[Task] | None = attrs.field(default=None, repr=False, alias="tasks")
    _milestones: list[Milestone] | None = attrs.field(default=None, repr=False, alias="milestones")
    _notes: list[Note] | None = attrs.field(default=None, repr=False, alias="notes")
    _communications: list[Communication] | None = attrs.field(
        default=None, repr=False, alias="communications"
    )
    _links: list[CaseLink] | None = attrs.field(default=None, repr=False, alias="links")
    _pending: list[object] | None = attrs.field(default=None, repr=False, alias="pending_events")
    # Notes left out of this object for a reader not cleared for them (never stored: a case
    # with withheld notes cannot be encoded, so it cannot be saved without them).
    _withheld: frozenset[str] = attrs.field(default=frozenset(), repr=False, init=False)

    # ----- opening ----------------------------------------------------------------------
    @classmethod
    def create(
        cls: type[CaseT],
        *,
        id: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        owner: Owner | None = None,
        registered_by: str | None = None,
        ownership: OwnershipStrategy | None = None,
        supervisor: Owner | None = None,
        reviewer: Owner | None = None,
        org: OrgStructure | None = None,
        primary_client: str | Participant | None = None,
        participants: Sequence[Participant] = (),
        priority: Priority = Priority.NORMAL,
        sensitivity: int | None = None,
        location: str | None = None,
        org_unit: str | None = None,
        work_queue: str | None = None,
        **fields: object,
    ) -> CaseT:
        """Open a new case of this type in its lifecycle's initial status.

        Complexity: O(p) for p participants; a few microseconds in all (see
        ``benchmarks/lifecycles.py``).

        Args:
            id: The case id; generated from the type's prefix when omitted.
            clock: Where the case reads the time.
            owner: The owner. When omitted, ``ownership`` picks one (default: the user
                who registered the primary client, ``registered_by``).
            registered_by: The user who registered the primary client.
            ownership: The ownership strategy used when ``owner`` is omitted.
            supervisor: The supervisor; resolved from ``org`` when omitted.
            reviewer: The reviewer; defaults to the owner.
            org: The organisation's reporting lines.
            primary_client: The primary client's participant id (or Participant).
            participants: Other participants.
            priority: The initial priority.
            sensitivity: The sensitivity level, 1–5 (default: the type's
                ``default_sensitivity``).
            location: The location the case belongs to (location security).
            org_unit: The org unit the case belongs to.
            work_queue: The work queue the case sits in.
            **fields: The case type's own fields (e.g. ``product=`` for a PDC).

        Raises:
            ValidationError: A missing or malformed value, named in the message.
        """
        if id is None:
            id = new_case_id(cls.id_prefix)
        elif type(id) is not str or not id.strip():
            id = check_id(id, what=f"the id of a new {cls.case_type}")
        _check_create_args(
            id,
            clock=clock,
            owner=owner,
            registered_by=registered_by,
            ownership=ownership,
            supervisor=supervisor,
            reviewer=reviewer,
            org=org,
            priority=priority,
        )
        if sensitivity is None:
            sensitivity = cls.default_sensitivity  # the fields' validators check the others
        if owner is None:
            if registered_by is None:
                raise ValidationError(
                    f"a new {cls.case_type} needs owner= or registered_by= "
                    "(the user who registered the primary client)"
                )
            client = (
                primary_client.id if isinstance(primary_client, Participant) else primary_client
            )
            owner = _check_owner(
                (ownership or RegisteringUser()).initial_owner(
                    cls.case_type, client, registered_by
                ),
                what=f"the owner the ownership strategy picked for {id}",
            )
        if supervisor is None and org is not None:
            supervisor = _check_optional_owner(
                org.supervisor_of(owner), what=f"the supervisor org gave for {owner}"
            )
        if fields and not _MANAGED_FIELDS.isdisjoint(fields):
            raise ValidationError(
                f"a new {cls.case_type} cannot be given "
                f"{allowed_list(_MANAGED_FIELDS.intersection(fields))}: the case keeps them "
                "itself (its status, history and records change only through its methods)"
            )
        others = participants if type(participants) is tuple else _as_people(id, participants)
        if type(primary_client) is not str or others:
            _check_people(id, primary_client, others)
        elif not primary_client.strip():
            raise ValidationError(f"primary client id of {id} must be non-empty")
        now = clock.now()
        if now.tzinfo is not UTC:
            now = as_utc(now, what="clock time")
        if others or location is not None or org_unit is not None or work_queue is not None:
            # Passed only when not the defaults: fewer keywords, a cheaper call (creation is
            # measured against 100x a machine per case, benchmarks/lifecycles.py).
            fields = {
                **fields,
                "location": location,
                "org_unit": org_unit,
                "work_queue": work_queue,
                "participants": others,
            }
        try:
            return cls(
                id=id,
                status=cls._compiled.initial,
                roles=_roles(owner, supervisor, reviewer),
                created_at=now,
                updated_at=now,
                priority=priority,
                clock=clock,
                sensitivity=sensitivity,
                primary_client=primary_client,
                **fields,  # type: ignore[arg-type]
            )
        except TypeError as error:
            raise ValidationError(f"cannot create a {cls.case_type}: {error}") from None

    # ----- lifecycle --------------------------------------------------------------------
    @classmethod
    def lifecycle(cls) -> Lifecycle[Any]:
        """The case type's declared lifecycle."""
        return cls._compiled.lifecycle

    @classmethod
    def to_mermaid(cls) -> str:
        """The case type's lifecycle as a Mermaid state diagram."""
        return to_mermaid(cls._compiled.lifecycle)

    def available_actions(self) -> tuple[str, ...]:
        """The actions the current status allows (guards not evaluated), sorted. O(1)."""
        return self._compiled.allowed_actions(self.status)

    @property
    def is_final(self) -> bool:
        """True when the current status is one of the lifecycle's final statuses."""
        return self._compiled.is_final(self.status)

    def perform(
        self,
        action: str,
        *,
        actor: str,
        reason: str | None = None,
        **params: object,
    ) -> ActionResult:
        """Perform ``action`` on this case, atomically.

        Args:
            action: The action's name (see [`available_actions`][]).
            actor: Who performs it.
            reason: Why; required by some actions (cancel, suspend, reopen ...).
            **params: Action-specific parameters.

        Returns:
            What the action did, including any cases it created.

        Raises:
            InvalidTransition: The current status does not allow the action (the message
                lists the allowed ones).
            GuardRejected: A guard refused it, with its reason
                ([`SeparationOfDuties`][casekit.errors.SeparationOfDuties] where one person
                would hold two roles that must differ, e.g. approving what they submitted).
            ValidationError: A blank actor, a reason that is not text, a required reason
                missing, or a parameter missing or wrong (the action's ``check_params``).
        """
        now = self.clock.now()
        if now.tzinfo is not UTC:
            now = as_utc(now, what="clock time")
        context = ActionContext(actor, now, reason, params)  # positional: one per action
        return self._compiled.fire(self, action, context)

    # Engine hooks (casekit.lifecycle.engine.Fireable) -------------------------------------
    def _checkpoint(self) -> object:
        return _Checkpoint(
            self.status,
            self.updated_at,
            self.roles,
            self.priority,
            (self._primary, self._participants),
            len(self._history) if self._history is not None else 0,
            len(self._evidence) if self._evidence is not None else 0,
            list(self._tasks) if self._tasks is not None else None,
            list(self._milestones) if self._milestones is not None else None,
            len(self._notes) if self._notes is not None else 0,
            len(self._communications) if self._communications is not None else 0,
            len(self._links) if self._links is not None else 0,
            len(self._pending) if self._pending is not None else 0,
            self.deferred,
            self._type_checkpoint(),
        )

    def _rollback(self, checkpoint: object) -> None:
        assert isinstance(checkpoint, _Checkpoint)
        cp = checkpoint
        self.status = cp.status
        self.updated_at = cp.updated_at
        self.roles = cp.roles
        self.priority = cp.priority
        self._primary, self._participants = cp.participants
        self.deferred = cp.deferred
        if self._history is not None:
            del self._history[cp.n_history :]
        if self._evidence is not None:
            self._evidence._truncate(cp.n_evidence)
        if self._tasks is not None:
            self._tasks[:] = cp.tasks or []
        if self._milestones is not None:
            self._milestones[:] = cp.milestones or []
        if self._notes is not None:
            del self._notes[cp.n_notes :]
        if self._communications is not None:
            del self._communications[cp.n_communications :]
        if self._links is not None:
            del self._links[cp.n_links :]
        if self._pending is not None:
            del self._pending[cp.n_pending :]
        self._type_rollback(cp.type_state)

    def _type_checkpoint(self) -> object:
        """Capture type-specific state an action may change (override in subclasses)."""
        return None

    def _type_rollback(self, checkpoint: object) -> None:
        """Put back what `_type_checkpoint` captured (override in subclasses)."""

    def _record_change(
        self, before: enum.Enum, after: enum.Enum, action: str, context: ActionContext
    ) -> None:
        change = StatusChange(
            self.id,
            before.value,
            after.value,
            action,
            context.actor,
            context.at,
            context.reason,
            context.step,
        )
        if self._history is None:
            self._history = [change]
        else:
            self._history.append(change)
        if self._pending is None:
            self._pending = [change]
        else:
            self._pending.append(change)
        self.updated_at = context.at

    # ----- read-only views --------------------------------------------------------------
    @property
    def history(self) -> tuple[StatusChange, ...]:
        """The status history, oldest first."""
        return tuple(self._history) if self._history else ()

    @property
    def participants(self) -> tuple[Participant, ...]:
        """Everyone on the case: the primary client first, then the others as added."""
        primary = self.primary_client
        return (primary, *self._participants) if primary is not None else self._participants

    @property
    def primary_client(self) -> Participant | None:
        """The primary client, if the case has one."""
        primary = self._primary
        if primary is None or isinstance(primary, Participant):
            return primary
        return Participant(primary, ParticipantRole.PRIMARY_CLIENT)

    @property
    def primary_client_id(self) -> str | None:
        """The primary client's participant id, if the case has one."""
        primary = self._primary
        return primary.id if isinstance(primary, Participant) else primary

    @property
    def owner(self) -> Owner:
        """The case owner."""
        return self.roles.owner

    @property
    def program(self) -> str | None:
        """The program the case serves, for access rules that name programs.

        None here; a Product Delivery Case serves its product.
        """
        return None

    @property
    def evidence(self) -> EvidenceLog:
        """Every version of every piece of evidence (query it; change it through the case)."""
        return self._evidence if self._evidence is not None else EvidenceLog()

    @property
    def tasks(self) -> tuple[Task, ...]:
        """The case's tasks, in creation order."""
        return tuple(self._tasks) if self._tasks else ()

    @property
    def milestones(self) -> tuple[Milestone, ...]:
        """The case's events: milestones, reviews, referrals, closure."""
        return tuple(self._milestones) if self._milestones else ()

    @property
    def notes(self) -> tuple[Note, ...]:
        """Notes and contacts, oldest first."""
        return tuple(self._notes) if self._notes else ()

    @property
    def communications(self) -> tuple[Communication, ...]:
        """Communications sent, oldest first."""
        return tuple(self._communications) if self._communications else ()

    @property
    def links(self) -> tuple[CaseLink, ...]:
        """Links to related cases."""
        return tuple(self._links) if self._links else ()

    def related(self, kind: LinkKind) -> tuple[str, ...]:
        """The ids of cases linked by ``kind``."""
        return tuple(link.case_id for link in self.links if link.kind is kind)

    @property
    def pending_events(self) -> tuple[object, ...]:
        """Domain events collected since the last [`collect_events`][]."""
        return tuple(self._pending) if self._pending else ()

    def collect_events(self) -> list[object]:
        """Return and clear the collected domain events (the unit of work calls this)."""
        events = self._pending or []
        self._pending = None
        return events

    # ----- mutation helpers -------------------------------------------------------------
    def _now(self) -> datetime:
        now = as_utc(self.clock.now(), what="clock time")
        self.updated_at = now
        return now

    def _publish(self, event: object) -> None:
        if self._pending is None:
            self._pending = [event]
        else:
            self._pending.append(event)

    @staticmethod
    def _actor(actor: object, *, what: str = "actor") -> str:
        return check_actor(actor, what=what)

    # ----- participants, roles, priority -------------------------------------------------
    def add_participant(self, participant: Participant) -> None:
        """Add a participant.

        Raises:
            AlreadyExists: The participant is already on the case in that role, or a second
                primary client is added.
        """
        check_instance(participant, Participant, what=f"a participant added to {self.id}")
        _check_participants(self.id, [*self.participants, participant])
        if participant.role is ParticipantRole.PRIMARY_CLIENT:
            self._primary = participant
        else:
            self._participants = (*self._participants, participant)
        self._now()

    def assign_owner(self, owner: Owner, *, actor: str, org: OrgStructure | None = None) -> None:
        """Make ``owner`` the case owner.

        The supervisor is re-resolved from ``org`` (the owner's reporting line) when given;
        otherwise it stays as it was. An explicit reviewer stays; a defaulted one follows the
        owner.
        """
        _check_owner(owner, what=f"the new owner of {self.id}")
        self._actor(actor)
        if org is not None and not callable(getattr(org, "supervisor_of", None)):
            raise ValidationError(
                f"org for {self.id} must be an OrgStructure (with supervisor_of()), got {org!r}"
            )
        before = self.roles.owner
        supervisor = (
            _check_optional_owner(
                org.supervisor_of(owner), what=f"the supervisor org gave for {owner}"
            )
            if org is not None
            else self.roles.supervisor
        )
        self.roles = CaseRoles(owner, supervisor, self.roles.explicit_reviewer)
        at = self._now()
        self._publish(OwnerChanged(self.id, str(before), str(owner), actor, at))

    def set_supervisor(self, supervisor: Owner | None, *, actor: str) -> None:
        """Set (or clear) the case supervisor explicitly.

        No one makes themselves supervisor of a case they act on (domain.md §7): ``actor``
        may not name themselves (``Owner.user(actor)``) when they act on the case — see
        [`acts_on`][]. Someone else may still name them; their approval is then refused
        by the approval's own separation-of-duties guard if they submitted it.

        Raises:
            SeparationOfDuties: ``actor`` names themselves and acts on the case (nothing
                changes).
            ValidationError: ``supervisor`` is not an Owner or None, or a blank actor.
        """
        _check_optional_owner(supervisor, what=f"the supervisor of {self.id}")
        self._actor(actor)
        if supervisor is not None and supervisor.kind is OwnerKind.USER and supervisor.id == actor:
            role = self.acts_on(actor)
            if role is not None:
                current = self.roles.supervisor
                raise SeparationOfDuties(
                    self.id,
                    "set_supervisor",
                    f"{actor} may not make themselves supervisor of {self.id}: they {role}; "
                    "its supervisor must be someone else (it is now "
                    f"{current if current is not None else 'nobody'})",
                )
        self.roles = attrs.evolve(self.roles, supervisor=supervisor)
        self._now()

    def acts_on(self, user: str) -> str | None:
        """How the user ``user`` acts on this case, in words, or None when they do not.

        A user acts on a case when they own it or review it (as a user), performed any
        entry of its status history (an action, a deferral or a resumption), recorded any
        version of its evidence, or are assigned one of its tasks. O(h + e + t) for its
        history, evidence versions and tasks.
        """
        if not isinstance(user, str) or not user.strip():
            return None
        return next(self._roles_of(user), None)

    def _roles_of(self, user: str) -> Iterator[str]:
        """The ways ``user`` acts on this case, in words, cheapest to find first."""
        as_user = Owner.user(user)
        if self.roles.owner == as_user:
            yield "own it"
        if self.roles.explicit_reviewer == as_user:
            yield "review it"
        yield from (
            f"performed {change.action!r} on it ({change.at.isoformat()})"
            for change in self._history or ()
            if change.actor == user
        )
        yield from (
            f"recorded its evidence {record.evidence_id}"
            for record in self.evidence.all_versions()
            if record.recorded_by == user
        )
        yield from (
            f"are assigned its task {task.id}"
            for task in self._tasks or ()
            if task.assignee == user
        )

    def set_reviewer(self, reviewer: Owner | None, *, actor: str) -> None:
        """Set the reviewer explicitly; ``None`` makes it default to the owner again."""
        _check_optional_owner(reviewer, what=f"the reviewer of {self.id}")
        self._actor(actor)
        self.roles = attrs.evolve(self.roles, explicit_reviewer=reviewer)
        self._now()

    def set_priority(self, priority: Priority, *, actor: str, reason: str | None = None) -> None:
        """Change the priority (routing offers Urgent first)."""
        if not isinstance(priority, Priority):
            raise ValidationError(
                f"the priority of {self.id} must be one of "
                f"{', '.join(p.value for p in Priority)}, got {priority!r}"
            )
        self._actor(actor)
        reason = check_optional_text(reason, what=f"the reason to change the priority of {self.id}")
        if priority is self.priority:
            return
        before, self.priority = self.priority, priority
        at = self._now()
        self._publish(PriorityChanged(self.id, before, priority, actor, at, reason))

    # ----- what access depends on (domain.md §7) ------------------------------------------
    def set_sensitivity(self, level: int, *, actor: str, reason: str) -> None:
        """Set the case's sensitivity level (1–5), saying why; audited as ``set_sensitivity``.

        Only principals whose clearance is at least ``level`` may see the case afterwards
        (``casekit.security``). Setting the level it already has changes nothing.

        Complexity: O(1).

        Raises:
            ValidationError: ``level`` is not an int from 1 to 5, a blank actor, or no
                reason (nothing changes).
        """
        level = check_level(level, what=f"the sensitivity of {self.id}")
        self._actor(actor)
        reason = check_text(reason, what=f"the reason to change the sensitivity of {self.id}")
        if level == self.sensitivity:
            return
        before, self.sensitivity = self.sensitivity, level
        at = self._now()
        self._publish(
            SecurityChanged(self.id, "sensitivity", str(before), str(level), actor, at, reason)
        )

    def set_location(self, location: str | None, *, actor: str, reason: str | None = None) -> None:
        """Move the case to ``location`` (None: no location); audited as ``set_location``.

        Complexity: O(1).

        Raises:
            ValidationError: ``location`` is not an id or None, a blank actor, or a reason
                that is not text (nothing changes).
        """
        self._set_placement("location", location, actor, reason)

    def set_org_unit(self, org_unit: str | None, *, actor: str, reason: str | None = None) -> None:
        """Give the case to ``org_unit`` (None: none); audited as ``set_org_unit``.

        Complexity: O(1).

        Raises:
            ValidationError: As [`set_location`][casekit.cases.Case.set_location].
        """
        self._set_placement("org_unit", org_unit, actor, reason)

    def set_work_queue(
        self, work_queue: str | None, *, actor: str, reason: str | None = None
    ) -> None:
        """Put the case in ``work_queue`` (None: in none); audited as ``set_work_queue``.

        Members of the queue are related to the case as ``MEMBER`` (``casekit.security``).

        Complexity: O(1).

        Raises:
            ValidationError: As [`set_location`][casekit.cases.Case.set_location].
        """
        self._set_placement("work_queue", work_queue, actor, reason)

    def _set_placement(
        self, attribute: str, value: str | None, actor: str, reason: str | None
    ) -> None:
        value = check_optional_id(value, what=f"the {attribute} of {self.id}")
        self._actor(actor)
        reason = check_optional_text(
            reason, what=f"the reason to change the {attribute} of {self.id}"
        )
        before = getattr(self, attribute)
        if value == before:
            return
        setattr(self, attribute, value)
        at = self._now()
        self._publish(SecurityChanged(self.id, attribute, before, value, actor, at, reason))

    # ----- evidence ---------------------------------------------------------------------
    def add_evidence(
        self,
        type: str,
        attributes: Mapping[str, object],
        effective_from: date,
        effective_to: date | None = None,
        *,
        actor: str,
        verified: bool = False,
    ) -> Evidence:
        """Record new evidence (a change in circumstance). O(1).

        Raises:
            ValidationError: A blank type, attributes that are not a mapping of storable
                values (no floats: use Decimal), an effective period that is not dates or
                ends before it starts, a blank actor or a non-bool ``verified``.
        """
        check_text(type, what=f"the evidence type on {self.id}")
        attributes = _check_attributes(attributes, what=f"the {type} evidence on {self.id}")
        check_dates(effective_from, effective_to)
        self._actor(actor)
        check_bool(verified, what=f"verified ({type} evidence on {self.id})")
        log = self.evidence
        evidence_id = f"{self.id}/E{len({e.evidence_id for e in log}) + 1}"
        return self._append_evidence(
            Evidence(
                evidence_id,
                type,
                attributes,
                effective_from,
                effective_to,
                1,
                self.clock.now(),
                actor,
                verified,
            ),
            "added",
        )

    def correct_evidence(
        self,
        evidence_id: str,
        *,
        actor: str,
        attributes: Mapping[str, object] | None = None,
        effective_from: date | None = None,
        effective_to: date | Keep | None = Keep.KEEP,
        verified: bool | None = None,
    ) -> Evidence:
        """Record a new version of existing evidence; the old versions stay.

        Pass only what changes. ``effective_to=None`` makes it open-ended again.

        Raises:
            NotFound: No evidence has that id.
            ValidationError: The evidence was removed, or a value is malformed (as for
                [`add_evidence`][]), or the new period is invalid.
        """
        check_id(evidence_id, what=f"an evidence id on {self.id}")
        self._actor(actor)
        if attributes is not None:
            attributes = _check_attributes(attributes, what=f"evidence {evidence_id}")
        if effective_from is not None:
            check_date(effective_from, what=f"effective_from of evidence {evidence_id}")
        if effective_to is not None and not isinstance(effective_to, Keep):
            check_date(effective_to, what=f"effective_to of evidence {evidence_id}")
        if verified is not None:
            check_bool(verified, what=f"verified (evidence {evidence_id})")
        latest = self.evidence.latest(evidence_id)
        if latest.removed:
            raise ValidationError(f"evidence {evidence_id} was removed; record new evidence")
        new_from = latest.effective_from if effective_from is None else effective_from
        new_to = latest.effective_to if isinstance(effective_to, Keep) else effective_to
        check_dates(new_from, new_to)
        return self._append_evidence(
            attrs.evolve(
                latest,
                attributes=attributes if attributes is not None else latest.attributes,
                effective_from=new_from,
                effective_to=new_to,
                version=latest.version + 1,
                recorded_at=self.clock.now(),
                recorded_by=actor,
                verified=latest.verified if verified is None else verified,
            ),
            "corrected",
        )

    def verify_evidence(self, evidence_id: str, *, actor: str) -> Evidence:
        """Mark evidence as verified by a worker (a new version)."""
        return self.correct_evidence(evidence_id, actor=actor, verified=True)

    def end_evidence(self, evidence_id: str, effective_to: date, *, actor: str) -> Evidence:
        """Set the last day evidence holds (a new version)."""
        check_date(effective_to, what=f"effective_to of evidence {evidence_id}")
        return self.correct_evidence(evidence_id, actor=actor, effective_to=effective_to)

    def remove_evidence(self, evidence_id: str, *, actor: str) -> Evidence:
        """Remove evidence recorded in error (a new version marked removed)."""
        check_id(evidence_id, what=f"an evidence id on {self.id}")
        self._actor(actor)
        latest = self.evidence.latest(evidence_id)
        if latest.removed:
            raise ValidationError(f"evidence {evidence_id} is already removed")
        return self._append_evidence(
            attrs.evolve(
                latest,
                version=latest.version + 1,
                recorded_at=self.clock.now(),
                recorded_by=actor,
                removed=True,
            ),
            "removed",
        )

    def _append_evidence(self, record: Evidence, change: str) -> Evidence:
        if self._evidence is None:
            self._evidence = EvidenceLog()
        self._evidence._append(record)
        at = self._now()
        self._publish(
            EvidenceChanged(
                self.id,
                record.evidence_id,
                record.type,
                record.version,
                change,
                record.effective_from,
                record.recorded_by,
                at,
            )
        )
        return record

    # ----- tasks ------------------------------------------------------------------------
    def add_task(
        self,
        title: str,
        assignee: str,
        *,
        actor: str,
        due: datetime | None = None,
        kind: str = "work",
    ) -> Task:
        """Give ``assignee`` an instruction to do a piece of work on this case."""
        check_text(title, what=f"the title of a task on {self.id}")
        self._actor(assignee, what=f"the assignee of a task on {self.id} (a user id)")
        self._actor(actor)
        if due is not None:
            due = check_aware(due, what=f"the due time of a task on {self.id}")
        check_text(kind, what=f"the kind of a task on {self.id}")
        at = self.clock.now()
        task = Task(f"{self.id}/T{len(self.tasks) + 1}", title, assignee, at, actor, due, kind)
        if self._tasks is None:
            self._tasks = []
        self._tasks.append(task)
        self._now()
        self._publish(TaskChanged(self.id, task.id, "added", assignee, actor, at))
        return task

    def kickback(
        self, to: str, title: str, *, actor: str, reason: str, due: datetime | None = None
    ) -> Task:
        """Send work back to a prior worker as a task; the case stays where it is.

        Raises:
            ValidationError: No reason given, or another value malformed.
        """
        self._actor(to, what=f"the prior worker (to=) of a kickback on {self.id}")
        check_text(title, what=f"the title of a kickback on {self.id}")
        self._actor(actor)
        check_text(reason, what=f"the reason for a kickback on {self.id} (a reason is required)")
        return self.add_task(f"{title} ({reason})", to, actor=actor, due=due, kind="kickback")

    def reassign_task(
        self, task_id: str, to: str, *, actor: str, reason: str | None = None
    ) -> Task:
        """Give an open task to another user (a colleague covering an absence). O(t).

        Audited as ``task_reassigned`` (the new assignee, the previous one, the reason).

        Raises:
            NotFound: No such task on the case.
            ValidationError: The task is not Open, ``to`` already holds it, or a value is
                malformed (nothing changes).
        """
        check_id(task_id, what=f"a task id on {self.id}")
        self._actor(to, what=f"the new assignee of task {task_id} (a user id)")
        self._actor(actor)
        reason = check_optional_text(reason, what=f"the reason to reassign task {task_id}")
        tasks = self._tasks or []
        for index, task in enumerate(tasks):
            if task.id != task_id:
                continue
            if task.status is not TaskStatus.OPEN:
                raise ValidationError(
                    f"task {task_id} is {task.status.value}; only Open tasks can be reassigned"
                )
            if task.assignee == to:
                raise ValidationError(
                    f"task {task_id} is assigned to {to} already; give another user"
                )
            at = self.clock.now()
            moved = attrs.evolve(task, assignee=to)
            tasks[index] = moved
            self._now()
            self._publish(
                TaskChanged(self.id, task_id, "reassigned", to, actor, at, task.assignee, reason)
            )
            return moved
        raise NotFound(f"no task {task_id!r} on {self.id}")

    def complete_task(self, task_id: str, *, actor: str) -> Task:
        """Mark an open task completed."""
        return self._close_task(task_id, TaskStatus.COMPLETED, actor)

    def cancel_task(self, task_id: str, *, actor: str) -> Task:
        """Cancel an open task."""
        return self._close_task(task_id, TaskStatus.CANCELLED, actor)

    def _close_task(self, task_id: str, status: TaskStatus, actor: str) -> Task:
        check_id(task_id, what=f"a task id on {self.id}")
        self._actor(actor)
        tasks = self._tasks or []
        for index, task in enumerate(tasks):
            if task.id == task_id:
                if task.status is not TaskStatus.OPEN:
                    raise ValidationError(
                        f"task {task_id} is {task.status.value}; only Open tasks can be closed"
                    )
                at = self.clock.now()
                closed = attrs.evolve(task, status=status, closed_at=at, closed_by=actor)
                tasks[index] = closed
                self._now()
                self._publish(
                    TaskChanged(self.id, task_id, status.value.lower(), task.assignee, actor, at)
                )
                return closed
        raise NotFound(f"no task {task_id!r} on {self.id}")

    # ----- milestones, notes, communications, links -----------------------------------
    def add_milestone(
        self, kind: MilestoneKind, name: str, *, due: datetime | None = None
    ) -> Milestone:
        """Record a milestone, review, referral or closure event."""
        if not isinstance(kind, MilestoneKind):
            raise ValidationError(f"milestone kind must be a MilestoneKind, got {kind!r}")
        check_text(name, what=f"the name of a milestone on {self.id}")
        if due is not None:
            due = check_aware(due, what=f"the due time of a milestone on {self.id}")
        milestone = Milestone(
            f"{self.id}/M{len(self.milestones) + 1}", kind, name, self.clock.now(), due
        )
        if self._milestones is None:
            self._milestones = []
        self._milestones.append(milestone)
        self._now()
        return milestone

    def _close_milestones(self, kinds: frozenset[MilestoneKind]) -> int:
        """Close every open milestone of ``kinds``; return how many were closed."""
        if not self._milestones:
            return 0
        closed = 0
        for index, milestone in enumerate(self._milestones):
            if milestone.kind in kinds and milestone.status is MilestoneStatus.OPEN:
                self._milestones[index] = attrs.evolve(milestone, status=MilestoneStatus.CLOSED)
                closed += 1
        return closed

    def add_note(self, text: str, *, author: str, sensitivity: int = 1) -> Note:
        """Add a note or contact log entry, at a sensitivity level (1–5, default 1).

        A note more sensitive than a reader's clearance is left out of what the application
        returns to them (domain.md §7), even when they may read the case.

        Raises:
            ValidationError: No text, a blank author, or a level that is not an int 1–5
                (nothing changes).
        """
        check_text(text, what=f"a note on {self.id} (it needs some text)")
        self._actor(author, what=f"the author of a note on {self.id}")
        level = check_level(sensitivity, what=f"the sensitivity of a note on {self.id}")
        note = Note(
            f"{self.id}/N{len(self.notes) + 1}", text, author, self.clock.now(), sensitivity=level
        )
        if self._notes is None:
            self._notes = []
        self._notes.append(note)
        self._now()
        return note

    def withhold_notes(self, note_ids: set[str]) -> None:
        """Leave the notes ``note_ids`` out of this object, for a reader not cleared for them.

        Not a change of the case: neither audited nor published. The object can no longer
        be stored (encoding it is refused), so the notes cannot be lost by saving it.
        O(notes).
        """
        if self._notes:
            self._notes = [note for note in self._notes if note.id not in note_ids]
        self._withheld = self._withheld | frozenset(note_ids)

    @property
    def withheld_notes(self) -> frozenset[str]:
        """Ids of the notes left out of this object for its reader (see `withhold_notes`)."""
        return self._withheld

    def send_communication(
        self, recipient: str, subject: str, body: str, *, channel: str = "letter"
    ) -> Communication:
        """Record a communication sent about this case."""
        check_id(recipient, what=f"the recipient of a communication on {self.id}")
        check_text(subject, what=f"the subject of a communication on {self.id}")
        check_free_text(body, what=f"the body of a communication on {self.id}")
        check_text(channel, what=f"the channel of a communication on {self.id}")
        comm = Communication(
            f"{self.id}/C{len(self.communications) + 1}",
            recipient,
            subject,
            body,
            self.clock.now(),
            channel,
        )
        if self._communications is None:
            self._communications = []
        self._communications.append(comm)
        self._now()
        return comm

    def link(self, kind: LinkKind, case_id: str) -> None:
        """Link this case to another (idempotent)."""
        kind = check_enum(kind, LinkKind, what=f"the kind of a link from {self.id}")
        check_id(case_id, what=f"the case linked from {self.id}")
        if case_id == self.id:
            raise ValidationError(f"cannot link {self.id} to itself")
        link = CaseLink(kind, case_id)
        if self._links is None:
            self._links = []
        if link not in self._links:
            self._links.append(link)
            self._now()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.status.value!r}>"

    # ----- notebooks: presentation code is imported when used (casekit.cases.notebook) -----
    def summary_fields(self) -> dict[str, object]:
        """What this case type adds to its record and its notebook card (override to add).

        Money values are shown formatted on the card and become an amount and a
        ``currency`` column in records. The base case adds nothing.
        """
        return {}

    def _repr_html_(self) -> str:
        """Render the case as an HTML card in notebooks."""
        from casekit.cases.notebook import case_html  # noqa: PLC0415  presentation, on use

        return case_html(self)

    def to_records(self, table: str = "summary") -> list[dict[str, object]]:
        """Flat records of ``"summary"`` (one row) or ``"history"`` (one per status change).

        Raises:
            ValidationError: For another table name.
        """
        from casekit.cases.notebook import case_records  # noqa: PLC0415  presentation, on use

        return case_records(self, table)

    def to_dataframe(self, table: str = "summary") -> pd.DataFrame:
        """[`to_records`][] as a pandas DataFrame.

        Raises:
            MissingExtra: pandas is not installed.
            ValidationError: For an unknown table.
        """
        return to_dataframe(self.to_records(table), what=f"{self.id} {table}")

    def to_record(self) -> dict[str, object]:
        """The one summary record of the case: ``to_records()[0]``."""
        return self.to_records()[0]


_MANAGED_FIELDS = frozenset(
    field.alias or field.name
    for field in attrs.fields(Case)
    if field.name not in ("id", "clock", "priority", "_primary", "_participants")
)
"""Case fields that ``create`` sets itself or that change only through the case's methods."""


class _Checkpoint(NamedTuple):
    """What an action may change, captured cheaply so a failure can put it back.

    A named tuple rather than an attrs class: one is taken on every action, and a tuple
    is built in a third of the time.
    """

    status: Any
    updated_at: datetime
    roles: CaseRoles
    priority: Priority
    participants: tuple[str | Participant | None, tuple[Participant, ...]]
    n_history: int
    n_evidence: int
    tasks: list[Task] | None
    milestones: list[Milestone] | None
    n_notes: int
    n_communications: int
    n_links: int
    n_pending: int
    deferred: DeferredStep | None
    type_state: object


def _check_people(
    case_id: str, primary: str | Participant | None, others: tuple[Participant, ...]
) -> None:
    if isinstance(primary, str):
        primary = Participant(primary)
    elif primary is not None and (
        not isinstance(primary, Participant) or primary.role is not ParticipantRole.PRIMARY_CLIENT
    ):
        raise ValidationError(
            f"primary_client of {case_id} must be an id or a Participant in the "
            f"Primary Client role, got {primary!r}"
        )
    _check_participants(case_id, (primary, *others) if primary is not None else others)


_ROLES_CACHE: dict[tuple[Owner, Owner | None, Owner | None], CaseRoles] = {}


_ROLES_BY_IDENTITY: dict[tuple[int, int, int], CaseRoles] = {}


def _roles(owner: Owner, supervisor: Owner | None, reviewer: Owner | None) -> CaseRoles:
    """Share one immutable CaseRoles among the cases with the same owner/supervisor/reviewer.

    Looked up first by the objects' identities (a tuple of ints, hashed in C: creating cases
    for the same Owner objects, as a batch does, skips hashing and comparing Owners), then
    by value. An identity key is safe: its entry's CaseRoles holds those very objects, so
    their ids cannot be reused while the entry exists, and the entry is checked anyway.
    Both caches are bounded (cleared at 4,096 entries). O(1).
    """
    fast = (id(owner), id(supervisor), id(reviewer))
    roles = _ROLES_BY_IDENTITY.get(fast)
    if (
        roles is not None
        and roles.owner is owner
        and roles.supervisor is supervisor
        and roles.explicit_reviewer is reviewer
    ):
        return roles
    key = (owner, supervisor, reviewer)
    roles = _ROLES_CACHE.get(key)
    if roles is None:
        if len(_ROLES_CACHE) >= 4096:
            _ROLES_CACHE.clear()
        roles = _ROLES_CACHE[key] = CaseRoles(owner, supervisor, reviewer)
    if (
        roles.owner is owner
        and roles.supervisor is supervisor
        and roles.explicit_reviewer is reviewer
    ):  # else equal Owners but other objects: they keep being looked up by value
        if len(_ROLES_BY_IDENTITY) >= 4096:
            _ROLES_BY_IDENTITY.clear()
        _ROLES_BY_IDENTITY[fast] = roles
    return roles


def _check_participants(case_id: str, people: Sequence[Participant]) -> None:
    if len(people) == 1 and type(people[0]) is Participant:
        _check_person(case_id, people[0])
        return
    seen: set[tuple[str, ParticipantRole]] = set()
    primaries = 0
    for person in people:
        if not isinstance(person, Participant):
            raise ValidationError(f"participants of {case_id} must be Participant, got {person!r}")
        _check_person(case_id, person)
        key = (person.id, person.role)
        if key in seen:
            raise AlreadyExists(f"{person.id} is already a {person.role.value} on {case_id}")
        seen.add(key)
        primaries += person.role is ParticipantRole.PRIMARY_CLIENT
    if primaries > 1:
        raise AlreadyExists(f"{case_id} already has a primary client; a case has at most one")


def _as_people(case_id: str, participants: object) -> tuple[Participant, ...]:
    if isinstance(participants, Iterable) and not isinstance(participants, str | Mapping):
        return tuple(participants)
    raise ValidationError(
        f"participants of {case_id} must be a sequence of Participant, got {participants!r}"
    )


def _check_person(case_id: str, person: Participant) -> None:
    if type(person.id) is not str or not person.id.strip():
        check_id(person.id, what=f"a participant id on {case_id}")
    if not isinstance(person.role, ParticipantRole):
        raise ValidationError(
            f"the role of participant {person.id} on {case_id} must be a ParticipantRole "
            f"({allowed_list(ParticipantRole)}), got {person.role!r}"
        )
    if not isinstance(person.name, str):
        raise ValidationError(f"the name of participant {person.id} must be a string")


def _check_owner(value: object, *, what: str) -> Owner:
    if type(value) is not Owner:
        raise ValidationError(
            f"{what} must be an Owner (Owner.user('u1'), Owner.work_queue('q')...), got {value!r}"
        )
    return value


def _check_optional_owner(value: object, *, what: str) -> Owner | None:
    return None if value is None else _check_owner(value, what=what)


def _check_attributes(value: object, *, what: str) -> dict[str, Any]:
    """Evidence attributes: a mapping with string keys of values storage keeps exactly."""
    attributes = check_mapping(value, what=f"the attributes of {what}")
    check_json_safe(attributes, what=f"the attributes of {what}")
    return attributes


def _check_create_args(
    id: str,
    *,
    clock: object,
    owner: object,
    registered_by: object,
    ownership: object,
    supervisor: object,
    reviewer: object,
    org: object,
    priority: object,
) -> None:
    """The checks of [`Case.create`][] on its roles and hooks, in parameter order."""
    if clock is not SYSTEM_CLOCK and not callable(getattr(clock, "now", None)):
        raise ValidationError(f"clock of {id} must be a Clock (with now()), got {clock!r}")
    if owner is not None and type(owner) is not Owner:
        _check_owner(owner, what=f"owner of {id}")
    if registered_by is not None:
        check_actor(registered_by, what=f"registered_by of {id}")
    if ownership is not None and not callable(getattr(ownership, "initial_owner", None)):
        raise ValidationError(
            f"ownership of {id} must be an OwnershipStrategy (with initial_owner()), "
            f"got {ownership!r}"
        )
    if supervisor is not None and type(supervisor) is not Owner:
        _check_owner(supervisor, what=f"supervisor of {id}")
    if reviewer is not None and type(reviewer) is not Owner:
        _check_owner(reviewer, what=f"reviewer of {id}")
    if org is not None and not callable(getattr(org, "supervisor_of", None)):
        raise ValidationError(
            f"org of {id} must be an OrgStructure (with supervisor_of()), got {org!r}"
        )
    if type(priority) is not Priority:
        raise ValidationError(
            f"priority of {id} must be a Priority ({', '.join(p.value for p in Priority)}), "
            f"got {priority!r}"
        )
