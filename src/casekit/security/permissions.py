"""What a principal asks to do: the [`Permission`][] vocabulary.

A lifecycle action is one permission, ``perform``, with the action's name passed alongside
(``action="approve"``), so a policy can grant "perform any action" or only some actions,
without a permission per action of every case type.
"""

from __future__ import annotations

import enum

__all__ = ["READ_PERMISSIONS", "Permission"]


class Permission(enum.StrEnum):
    """What a principal may be allowed to do to a case.

    Members:
        READ: See the case: its summary, status history, evidence, tasks and notes
            (personal data stays masked; see ``REVEAL``).
        CREATE: Open a case of its type. Decided on the new, not yet saved case
            (``Case.create`` does no I/O), so the owner and program are known.
        PERFORM: Perform a lifecycle action; the action's name is passed alongside
            (``action="suspend"``) and is required.
        EDIT: Change the case's content: evidence, notes, participants, tasks,
            communications, links.
        ASSIGN: Change who owns, supervises or reviews the case.
        APPROVE: Approve what someone else prepared outside the lifecycle (a determination,
            a payment, a certification); ``action=`` may name what is approved.
        REVEAL: See a masked personal value whole (``Sensitive.reveal``).
        EXPORT: Take the case's data out of casekit (records, CSV, data frames, reports).
        ROUTE: Offer, push or pin the case's work to staff, or move it between queues.
        SECURE: Change what access to the case depends on: its sensitivity, location, org
            unit or work queue (``Case.set_sensitivity`` and the methods beside it). Needed
            on top of whatever the command asked, so editing a case does not let anyone
            lower its sensitivity or move it out of a unit's reach.
        BREAK_GLASS: Ask for time-boxed emergency access to a case the policy otherwise
            keeps from you (break-the-glass: ``Application.break_glass``). A grant while it
            runs lets its holder ``read`` and ``reveal`` the case, each use audited.
            Location security never refuses it (reaching across locations in an emergency
            is what it is for); sensitivity does: no one breaks into a case above their
            clearance.
    """

    READ = "read"
    CREATE = "create"
    PERFORM = "perform"
    EDIT = "edit"
    ASSIGN = "assign"
    APPROVE = "approve"
    REVEAL = "reveal"
    EXPORT = "export"
    ROUTE = "route"
    SECURE = "secure"
    BREAK_GLASS = "break_glass"


READ_PERMISSIONS = frozenset({Permission.READ, Permission.REVEAL, Permission.EXPORT})
"""The permissions that change nothing: what location security's read-only mode leaves."""
