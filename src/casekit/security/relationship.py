"""How a principal is related to a case: owner, supervisor, reviewer, assignee, member...

One implementation, used by the policy's decisions and by its read filter alike.
"""

from __future__ import annotations

import enum

from casekit.security.principal import Principal
from casekit.security.resource import CaseResource

__all__ = ["Relationship", "relationships_of"]


class Relationship(enum.Flag):
    """A principal's relationships to a case; combine them with ``|`` (any of them will do).

    Members:
        OWNER: The case is owned by the person (a user owner).
        SUPERVISOR: The case's supervisor is the person, or a position, queue or org unit
            they belong to.
        REVIEWER: The case's reviewer is the person, or a position, queue or org unit they
            belong to (the reviewer defaults to the owner).
        TASK_ASSIGNEE: The person is assigned an open task on the case (a kickback, an
            appeal review).
        MEMBER: The case is owned by a position, work queue or org unit the person belongs
            to, or sits in a work queue they belong to.
        PARTICIPANT: The person is a participant on the case (a client, a household
            member); used to deny staff access to their own case, or to grant a portal view.
    """

    OWNER = enum.auto()
    SUPERVISOR = enum.auto()
    REVIEWER = enum.auto()
    TASK_ASSIGNEE = enum.auto()
    MEMBER = enum.auto()
    PARTICIPANT = enum.auto()


_OWNER = Relationship.OWNER.value
_SUPERVISOR = Relationship.SUPERVISOR.value
_REVIEWER = Relationship.REVIEWER.value
_TASK_ASSIGNEE = Relationship.TASK_ASSIGNEE.value
_MEMBER = Relationship.MEMBER.value
_PARTICIPANT = Relationship.PARTICIPANT.value


def relationships_of(principal: Principal, resource: CaseResource) -> int:
    """Return the principal's relationships to the case, as the bits of [`Relationship`][].

    Plain ints, not ``Relationship`` values: a decision computes this on its hot path and
    ``enum.Flag`` arithmetic costs microseconds. ``Relationship(bits)`` gives the flag.
    An automatic check is related to nothing.

    Complexity: O(1) (set and string membership tests; the principal's references are
    precomputed).
    """
    if not principal.user_ref:
        return 0
    refs = principal.refs
    bits = 0
    owner = resource.owner
    if owner == principal.user_ref:
        bits = _OWNER
    elif owner in refs:  # a position, queue or org unit the person belongs to
        bits = _MEMBER
    queue = resource.work_queue
    if queue is not None and queue in principal.teams:
        bits |= _MEMBER
    if resource.supervisor is not None and resource.supervisor in refs:
        bits |= _SUPERVISOR
    if resource.reviewer is not None and resource.reviewer in refs:
        bits |= _REVIEWER
    person = principal.id
    if person in resource.task_assignees:
        bits |= _TASK_ASSIGNEE
    if person in resource.participants:
        bits |= _PARTICIPANT
    return bits
