"""Domain events a case collects until a unit of work publishes them.

A status change publishes its [`StatusChange`][] history entry itself;
the other changes publish the records below.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from casekit.priority import Priority

__all__ = [
    "EvidenceChanged",
    "OwnerChanged",
    "PriorityChanged",
    "SecurityChanged",
    "TaskChanged",
]


@attrs.frozen(slots=True)
class EvidenceChanged:
    """A change in circumstance: evidence added, corrected, ended, verified or removed."""

    case_id: str
    evidence_id: str
    type: str
    version: int
    change: str
    effective_from: date
    actor: str
    at: datetime


@attrs.frozen(slots=True)
class OwnerChanged:
    """The case's owner changed."""

    case_id: str
    before: str
    after: str
    actor: str
    at: datetime


@attrs.frozen(slots=True)
class PriorityChanged:
    """The case's priority changed (an escalation, a triage)."""

    case_id: str
    before: Priority
    after: Priority
    actor: str
    at: datetime
    reason: str | None = None


@attrs.frozen(slots=True)
class TaskChanged:
    """A task was added, reassigned, completed or cancelled.

    ``previous`` is the assignee before a reassignment (``None`` for the other changes).
    """

    case_id: str
    task_id: str
    change: str
    assignee: str
    actor: str
    at: datetime
    previous: str | None = None
    reason: str | None = None


@attrs.frozen(slots=True)
class SecurityChanged:
    """Something access to the case depends on changed (its sensitivity, location ...).

    The sensitivity, location, org unit or work queue: see
    [`Case.set_sensitivity`][casekit.cases.Case.set_sensitivity] and the methods beside it.

    Attributes:
        case_id: The case.
        attribute: ``sensitivity``, ``location``, ``org_unit`` or ``work_queue``.
        before: The value before, as text (``None``: it had none).
        after: The value after, as text (``None``: it has none now).
        actor: Who changed it.
        at: When.
        reason: Why, if given (a sensitivity change always has one).
    """

    case_id: str
    attribute: str
    before: str | None
    after: str | None
    actor: str
    at: datetime
    reason: str | None = None
