"""Domain events a case collects until a unit of work publishes them.

A status change publishes its [`StatusChange`][] history entry itself;
the other changes publish the records below.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from casekit.priority import Priority

__all__ = ["EvidenceChanged", "OwnerChanged", "PriorityChanged", "TaskChanged"]


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
    """A task was added, completed or cancelled."""

    case_id: str
    task_id: str
    change: str
    assignee: str
    actor: str
    at: datetime
