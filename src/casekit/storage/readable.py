"""What a stored case's labels say about it, and a read filter as a query over them.

The case repository labels every case document with what an access decision may look at
(`case_labels`): the facts of ``CaseResource.of(case)``, under the names below. A
[`ReadFilter`][casekit.security.ReadFilter] then becomes a
[`LabelQuery`][casekit.storage.LabelQuery] over those labels (`readable_query`) that
matches exactly the cases ``read_filter.matches(CaseResource.of(case))`` allows, which the
storage adapters run in the database (``CaseRepository.query(readable_by=...)``). The
storage contract suite checks, on every adapter, that the filtered query returns exactly
the cases ``policy.decide(principal, READ, CaseResource.of(case))`` allows.

| label | value |
|---|---|
| ``case_type``, ``status``, ``priority`` | display names of type and status; the priority |
| ``owner``, ``supervisor``, ``reviewer`` | owner references (``"User:ann"``), when set |
| ``sensitivity`` | ``"1"`` to ``"5"`` |
| ``location``, ``org_unit``, ``program``, ``work_queue`` | when the case has one |
| ``task_assignees``, ``participants`` | set labels: open tasks' assignees, participant ids |

The query is ``AllOf`` of, in this order (the first gives the entry terms, see
`casekit.storage.label_query`): some grant clause applies (``AnyOf`` of the clauses,
each ``AllOf`` of its relationships, case types and programs, relationships first); the
sensitivity is one the principal is cleared for; when location security keeps the
principal to its location, the case has no location, the principal's, or the principal
owns or supervises it; no deny clause applies. A case stored without a ``sensitivity``
label (written before these labels existed, and not saved since) matches no read filter:
the query fails closed.
"""

from __future__ import annotations

from typing import Any

from casekit.cases.base import Case
from casekit.checks import MAX_LEVEL, MIN_LEVEL
from casekit.security import CaseResource, Principal, ReadFilter, Relationship, RuleClause
from casekit.storage.label_query import AllOf, AnyOf, Has, LabelQuery, LabelValue, Missing, Not

__all__ = [
    "CASE_TYPE",
    "LOCATION",
    "ORG_UNIT",
    "OWNER",
    "PARTICIPANTS",
    "PRIORITY",
    "PROGRAM",
    "REVIEWER",
    "SENSITIVITY",
    "STATUS",
    "SUPERVISOR",
    "TASK_ASSIGNEES",
    "WORK_QUEUE",
    "case_labels",
    "readable_query",
    "resource_labels",
]

CASE_TYPE = "case_type"
STATUS = "status"
PRIORITY = "priority"
OWNER = "owner"
SUPERVISOR = "supervisor"
REVIEWER = "reviewer"
SENSITIVITY = "sensitivity"
LOCATION = "location"
ORG_UNIT = "org_unit"
PROGRAM = "program"
WORK_QUEUE = "work_queue"
TASK_ASSIGNEES = "task_assignees"
PARTICIPANTS = "participants"

_LEVELS = tuple(str(level) for level in range(MIN_LEVEL, MAX_LEVEL + 1))


def resource_labels(resource: CaseResource) -> dict[str, LabelValue]:
    """The labels of what ``resource`` says about a case (every label but the priority).

    Complexity: O(a + p) for a task assignees and p participants.
    """
    labels: dict[str, LabelValue] = {
        CASE_TYPE: resource.case_type,
        STATUS: resource.status,
        OWNER: resource.owner,
        SENSITIVITY: _LEVELS[resource.sensitivity - MIN_LEVEL],
    }
    optional = (
        (SUPERVISOR, resource.supervisor),
        (REVIEWER, resource.reviewer),
        (LOCATION, resource.location),
        (ORG_UNIT, resource.org_unit),
        (PROGRAM, resource.program),
        (WORK_QUEUE, resource.work_queue),
    )
    for name, value in optional:
        if value is not None:
            labels[name] = value
    if resource.task_assignees:
        labels[TASK_ASSIGNEES] = tuple(sorted(resource.task_assignees))
    if resource.participants:
        labels[PARTICIPANTS] = tuple(sorted(resource.participants))
    return labels


def case_labels(case: Case[Any]) -> dict[str, LabelValue]:
    """The labels a case is stored with: its priority and ``CaseResource.of(case)``'s facts.

    Complexity: O(t + p) for t tasks and p participants.
    """
    labels = resource_labels(CaseResource.of(case))
    labels[PRIORITY] = case.priority.value
    return labels


def readable_query(read_filter: ReadFilter) -> LabelQuery:
    """The label query matching the cases ``read_filter`` lets its principal read.

    ``readable_query(f).matches(case_labels(case)) == f.matches(CaseResource.of(case))``
    for every case (see the module for its form).

    Complexity: O(size of the filter).
    """
    principal = read_filter.principal
    grants = [q for c in read_filter.grants if (q := _clause(c, principal)) is not None]
    denies = [q for c in read_filter.denies if (q := _clause(c, principal)) is not None]
    cleared = _LEVELS[: read_filter.max_sensitivity - MIN_LEVEL + 1]
    parts: list[LabelQuery] = [AnyOf(grants), Has(SENSITIVITY, cleared)]
    if read_filter.location_restricted:
        inside: list[LabelQuery] = [Missing(LOCATION)]
        if principal.location is not None:
            inside.append(Has(LOCATION, principal.location))
        inside.append(Has(OWNER, principal.user_ref))
        inside.append(Has(SUPERVISOR, principal.refs))
        parts.append(AnyOf(inside))
    if denies:
        parts.append(Not(AnyOf(denies)))
    return AllOf(parts)


def _clause(clause: RuleClause, principal: Principal) -> LabelQuery | None:
    """When ``clause`` applies to a case for ``principal`` (None: never)."""
    parts: list[LabelQuery] = []
    if clause.relationships:
        if not principal.user_ref:  # an automatic check is related to nothing
            return None
        parts.append(AnyOf(_relationships(clause.relationships, principal)))
    if clause.case_types is not None:
        parts.append(Has(CASE_TYPE, clause.case_types))
    if clause.programs is not None:
        parts.append(Has(PROGRAM, clause.programs))
    return AllOf(parts)


def _relationships(bits: int, principal: Principal) -> list[LabelQuery]:
    """When one of the relationships ``bits`` holds (as ``relationships_of`` says)."""
    found: list[LabelQuery] = []
    if bits & Relationship.OWNER.value:
        found.append(Has(OWNER, principal.user_ref))
    if bits & Relationship.MEMBER.value:
        found.append(Has(OWNER, principal.group_refs))
        found.append(Has(WORK_QUEUE, principal.teams))
    if bits & Relationship.SUPERVISOR.value:
        found.append(Has(SUPERVISOR, principal.refs))
    if bits & Relationship.REVIEWER.value:
        found.append(Has(REVIEWER, principal.refs))
    if bits & Relationship.TASK_ASSIGNEE.value:
        found.append(Has(TASK_ASSIGNEES, principal.id))
    if bits & Relationship.PARTICIPANT.value:
        found.append(Has(PARTICIPANTS, principal.id))
    return found
