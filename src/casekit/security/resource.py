"""What the policy may look at about a case: a [`CaseResource`][], built without I/O.

A decision never loads anything: the application builds the resource from the case it has
loaded (``CaseResource.of(case, ...)``) or a storage adapter builds it from indexed columns.
Owners, supervisors and reviewers are *owner references*, ``"<kind>:<id>"`` with the kind
of [`Owner`][casekit.cases.Owner] (``"User:u1"``, ``"Work Queue:intake"``): one string a
query can compare.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from casekit.cases.base import Case
from casekit.cases.parts import Owner, OwnerKind, TaskStatus
from casekit.checks import check_id, check_instance, check_optional_id, check_text
from casekit.errors import ValidationError, allowed_list
from casekit.security.principal import MIN_LEVEL, check_level, id_set

__all__ = ["CaseResource", "owner_ref"]

_KINDS = frozenset(kind.value for kind in OwnerKind)


def owner_ref(owner: Owner | str) -> str:
    """Return the owner reference of ``owner``: ``"User:u1"``, ``"Work Queue:intake"``.

    A string is checked and returned as it is.

    Complexity: O(len(id)).

    Raises:
        ValidationError: Not an Owner, or a string that is not ``"<kind>:<id>"`` with a
            kind of [`OwnerKind`][casekit.cases.OwnerKind].
    """
    if type(owner) is Owner:
        return f"{owner.kind.value}:{owner.id}"
    if isinstance(owner, str):
        kind, colon, rest = owner.partition(":")
        if colon and kind in _KINDS and rest.strip():
            return check_id(owner, what="an owner reference")
    raise ValidationError(
        f"an owner reference must be an Owner or '<kind>:<id>' with kind one of "
        f"{allowed_list(_KINDS)} (e.g. 'User:u1'), got {owner!r:.80}"
    )


def _case_id(value: str) -> str:
    return check_id(value, what="CaseResource.case_id")


def _case_type(value: str) -> str:
    return check_text(value, what="CaseResource.case_type")


def _status(value: str | enum.Enum) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    return check_text(value, what="CaseResource.status")


def _owner(value: Owner | str) -> str:
    return owner_ref(value)


def _optional_owner(value: Owner | str | None) -> str | None:
    return None if value is None else owner_ref(value)


def _assignees(value: Iterable[str]) -> frozenset[str]:
    return id_set(value, what="CaseResource.task_assignees")


def _participants(value: Iterable[str]) -> frozenset[str]:
    return id_set(value, what="CaseResource.participants")


def _sensitivity(value: int) -> int:
    return check_level(value, what="CaseResource.sensitivity")


def _location(value: str | None) -> str | None:
    return check_optional_id(value, what="CaseResource.location")


def _org_unit(value: str | None) -> str | None:
    return check_optional_id(value, what="CaseResource.org_unit")


def _program(value: str | None) -> str | None:
    return check_optional_id(value, what="CaseResource.program")


def _work_queue(value: str | None) -> str | None:
    return check_optional_id(value, what="CaseResource.work_queue")


@attrs.frozen(slots=True)
class CaseResource:
    """The facts about one case that an access decision may use.

    Validated when built. Owner, supervisor and reviewer accept an [`Owner`][casekit.cases.Owner]
    or an owner reference and are kept as references (see [`owner_ref`][]).

    Complexity: construction O(a + p) for a task assignees and p participants.

    Attributes:
        case_id: The case's id.
        case_type: The case type's display name (``"Product Delivery Case"``).
        status: The current status's display name.
        owner: The owner reference (``"User:u1"``).
        supervisor: The supervisor's reference, if any.
        reviewer: The reviewer's reference, if any (a case's reviewer defaults to its owner).
        task_assignees: The user ids assigned an open task on the case.
        participants: The participant ids on the case.
        sensitivity: The case's sensitivity level, 1–5: the highest of the case's own and its
            participants' levels.
        location: The location the case belongs to (location security), if any.
        org_unit: The org unit the case belongs to, if any.
        program: The program the case serves (``"SNAP"``), if any.
        work_queue: The work queue the case sits in, if any.
    """

    case_id: str = attrs.field(converter=_case_id)
    case_type: str = attrs.field(converter=_case_type)
    status: str = attrs.field(converter=_status)
    owner: str = attrs.field(converter=_owner)
    supervisor: str | None = attrs.field(default=None, kw_only=True, converter=_optional_owner)
    reviewer: str | None = attrs.field(default=None, kw_only=True, converter=_optional_owner)
    task_assignees: frozenset[str] = attrs.field(
        default=frozenset(), kw_only=True, converter=_assignees
    )
    participants: frozenset[str] = attrs.field(
        default=frozenset(), kw_only=True, converter=_participants
    )
    sensitivity: int = attrs.field(default=MIN_LEVEL, kw_only=True, converter=_sensitivity)
    location: str | None = attrs.field(default=None, kw_only=True, converter=_location)
    org_unit: str | None = attrs.field(default=None, kw_only=True, converter=_org_unit)
    program: str | None = attrs.field(default=None, kw_only=True, converter=_program)
    work_queue: str | None = attrs.field(default=None, kw_only=True, converter=_work_queue)

    @classmethod
    def of(
        cls,
        case: Case[Any],
        *,
        sensitivity: int | None = None,
        participant_sensitivity: Mapping[str, int] | None = None,
        location: str | None = None,
        org_unit: str | None = None,
        program: str | None = None,
        work_queue: str | None = None,
    ) -> CaseResource:
        """Build the resource of a loaded (or new, unsaved) case.

        The case gives everything by default: its id, type, status, roles (owner,
        supervisor, reviewer), the assignees of its open tasks, its participants, its
        sensitivity, location, org unit and work queue, and its program (a Product Delivery
        Case's product). The keyword arguments add what the case does not hold.
        ``CaseResource.of(case)`` with none of them describes exactly what a storage
        adapter's filtered query (``query(readable_by=...)``) sees of the stored case.

        Complexity: O(t + p) for t tasks and p participants.

        Args:
            case: The case.
            sensitivity: A further sensitivity level (1–5) the case must be treated at;
                the resource's level is the highest of the case's own, this one and its
                participants' (a caller can raise it, never lower it).
            participant_sensitivity: Sensitivity levels by participant id (participants not
                on the case are ignored).
            location: The location to judge the case in, instead of the case's.
            org_unit: The org unit, instead of the case's.
            program: The program, instead of the case's.
            work_queue: The work queue, instead of the case's.

        Raises:
            ValidationError: Not a case, or a level outside 1–5, or a malformed value.
        """
        check_instance(case, Case, what="the case of a CaseResource")
        level = case.sensitivity
        if sensitivity is not None:
            level = max(level, check_level(sensitivity, what=f"the sensitivity of {case.id}"))
        people = frozenset(person.id for person in case.participants)
        if participant_sensitivity is not None:
            if not isinstance(participant_sensitivity, Mapping):
                raise ValidationError(
                    f"participant_sensitivity for {case.id} must be a mapping of participant "
                    f"id to level, got {participant_sensitivity!r:.80}"
                )
            for person, given in participant_sensitivity.items():
                person_level = check_level(given, what=f"the sensitivity of participant {person!r}")
                if person in people:
                    level = max(level, person_level)
        roles = case.roles
        return cls(
            case.id,
            case.case_type,
            case.status,
            roles.owner,
            supervisor=roles.supervisor,
            reviewer=roles.reviewer,
            task_assignees=frozenset(
                task.assignee for task in case.tasks if task.status is TaskStatus.OPEN
            ),
            participants=people,
            sensitivity=level,
            location=case.location if location is None else location,
            org_unit=case.org_unit if org_unit is None else org_unit,
            program=case.program if program is None else program,
            work_queue=case.work_queue if work_queue is None else work_queue,
        )
