"""What the application does when its events happen: the wiring every embedder used to write.

Every handler runs **in the unit of work of the command whose event it handles**, before
the commit: the command, its handlers and the handlers of their events commit together or
not at all, so nothing a handler should have done is lost to a crash between two
transactions, and nothing is done for a command that rolled back. A command that meets a
concurrent change (`ConcurrencyConflict`) is retried whole, handlers included, in a new
unit of work; each handler is idempotent (it acts on the state it finds, not on a delta).

- a case opened, changed status or priority → [`reconcile_routing`][]: the case is in
  routing exactly once, in the step its status says (submit, advance, set priority), or
  taken out (release) when its status is not routed or is final;
- an offer accepted → [`owner_follows_acceptance`][]: the agent who accepted becomes the
  case owner;
- a case's sensitivity, location, org unit or work queue changed →
  [`security_needs_its_permission`][]: the principal needs ``secure`` on it;
- a case given away by the owner who held its routed work → [`work_follows_owner`][]: the
  work is pinned to the new owner (a user and agent of the domain) or goes back to the
  queue;
- evidence of an enrolled PDC changed, or it closed → [`reassess_on_change`][]: reassessed
  once per command, after the command's other events; correction case, links, ledger
  lines and new entitlement stored atomically;
- an enrolled PDC becomes Active (again) → [`reassess_on_change`][]: reassessed, so what
  changed while it was suspended (no correction is made then) is caught up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from casekit.app.events import CaseOpened
from casekit.cases.base import Case
from casekit.cases.events import (
    EvidenceChanged,
    OwnerChanged,
    PriorityChanged,
    SecurityChanged,
)
from casekit.cases.parts import Owner, OwnerKind, StatusChange
from casekit.cases.product_delivery import PDCStatus, ProductDeliveryCase
from casekit.errors import NotFound
from casekit.financials.triggers import ReassessmentTrigger, trigger_for
from casekit.routing.events import EventKind, RoutingEvent
from casekit.routing.model import WorkItem
from casekit.security import Permission

if TYPE_CHECKING:
    from typing import Any

    from casekit.app.session import Session

__all__ = [
    "handle",
    "owner_follows_acceptance",
    "reassess_on_change",
    "reconcile_routing",
    "security_needs_its_permission",
    "work_follows_owner",
]


def handle(session: Session, event: object) -> None:
    """Dispatch one event to every handler that wants it. O(1) plus the handlers' cost."""
    if isinstance(event, StatusChange):
        reconcile_routing(session, event.case_id, was=event.from_status)
    elif isinstance(event, CaseOpened | PriorityChanged):
        reconcile_routing(session, event.case_id)
    elif isinstance(event, OwnerChanged):
        work_follows_owner(session, event)
    elif isinstance(event, SecurityChanged):
        security_needs_its_permission(session, event)
    if isinstance(event, RoutingEvent):
        if event.kind is EventKind.ACCEPTED:
            owner_follows_acceptance(session, event)
    elif isinstance(event, StatusChange | EvidenceChanged):
        reassess_on_change(session, event)


def reconcile_routing(session: Session, case_id: str, *, was: str | None = None) -> None:
    """Make the router hold ``case_id`` in the step its current status says, or not at all.

    State-based, so idempotent: several status changes in one command end in one step, and
    a retried command finds the router as it left it. The item's priority is the step's, or
    else the case's. ``was``: the status a status change left. When neither it nor the
    current status is routed the case cannot be in routing, and the domain is not bound at
    all (no lock, no journal read: a database round trip saved).

    Complexity: the router command's, O(1) when nothing changes.
    """
    case = session.read(case_id)
    routing = session.app.routing_for(type(case))
    if routing is None:
        return
    step = None if case.is_final else routing.step_for(case.status.value)
    if step is None and (was is None or routing.step_for(was) is None):
        return  # neither routed now nor just before: nothing can be held
    bound = session.router(routing.domain)
    try:
        held = bound.router.item(case_id)
    except NotFound:
        held = None
    if step is None:
        if held is not None:
            bound.release(case_id)
        return
    priority = step.priority or case.priority
    if held is None:
        bound.submit(
            WorkItem(
                id=case_id,
                skills=step.skills,
                priority=priority,
                weight=step.weight,
                stage=step.stage_name,
            )
        )
    elif held.item.stage != step.stage_name:
        bound.advance(
            case_id,
            stage=step.stage_name,
            skills=step.skills,
            priority=priority,
            weight=step.weight,
        )
    elif held.priority is not priority:
        bound.set_priority(case_id, priority)


def owner_follows_acceptance(session: Session, event: RoutingEvent) -> None:
    """The agent who accepted a case's offer becomes its owner (audited as that agent).

    Items the application did not submit (no such case) are left alone, and so is a case
    the agent already owns. O(1).
    """
    if event.item_id is None or event.agent_id is None:
        return
    try:
        case: Case[Any] = session.read(event.item_id)
    except NotFound:
        return
    owner = Owner.user(event.agent_id)
    if case.is_final or case.owner == owner:
        return
    session.change(case.id).assign_owner(owner, actor=event.agent_id)


def security_needs_its_permission(session: Session, event: SecurityChanged) -> None:
    """A change of what access depends on needs ``secure`` on the case, whatever the command.

    Editing a case (``update`` with ``edit``) may not lower its sensitivity or move it to
    another location, org unit or work queue unless the policy also grants ``secure``: a
    denial rolls the whole command back and is audited, as any denial. Decided on the case
    as the change leaves it, so no one sets a level above their own clearance. Without a
    policy nothing is checked. O(1): one decision.

    Raises:
        AccessDenied: The policy does not grant ``secure`` on the case.
    """
    case = session.read(event.case_id)
    session.authorize(case, Permission.SECURE, detail={"attribute": event.attribute})


def work_follows_owner(session: Session, event: OwnerChanged) -> None:
    """A case's routed work follows it when its owner, who held the work, gives it up.

    When the routed item of a case is held (offered, accepted or pinned) by the person who
    owned the case, and the case is given to someone else (``assign_owner``, a bulk
    reassignment), the item is pinned to the new owner when they are a user and an agent of
    the routing domain (a person decided: capacity is not checked), and otherwise returned
    to the queue, keeping its age. Work held by someone who did not own the case, and an
    ownership change made by an acceptance, are left alone. Idempotent: a retried command
    finds the item where it left it.

    Complexity: O(1) when the case is not in a routed step; else a router read and at most
    one router command.
    """
    case = session.read(event.case_id)
    routing = session.app.routing_for(type(case))
    if routing is None or case.is_final or routing.step_for(case.status.value) is None:
        return
    bound = session.router(routing.domain)
    try:
        held = bound.router.item(case.id)
    except NotFound:
        return
    holder = held.agent_id
    if (
        holder is None
        or str(Owner.user(holder)) != event.before
        or case.owner == Owner.user(holder)
    ):
        return
    owner = case.owner
    if owner.kind is OwnerKind.USER:
        try:
            bound.router.agent(owner.id)
        except NotFound:
            pass
        else:
            bound.assign(case.id, owner.id, override=True)
            return
    bound.requeue(case.id)


def reassess_on_change(session: Session, event: StatusChange | EvidenceChanged) -> None:
    """Reassess an enrolled PDC whose evidence changed or which closed, once per command.

    The reassessment runs after the command's other events are handled (so a change made of
    several evidence edits is corrected once, by the evidence as it ends up), in the same
    unit of work. An enrolled PDC that becomes Active (again: unsuspended, reapproved) is
    reassessed too, so a reassessment skipped while it was suspended is caught up.

    Complexity: see `casekit.app.money`.
    """
    case = session.read(event.case_id)
    if not isinstance(case, ProductDeliveryCase):
        return
    trigger = trigger_for(event, case_id=case.id)
    if (
        trigger is None
        and isinstance(event, StatusChange)
        and event.to_status == PDCStatus.ACTIVE.value
    ):
        trigger = ReassessmentTrigger.MANUAL
    if trigger is None or not session.app.financials.is_enrolled(session, case.id):
        return
    session.reassess_after(case.id, trigger, actor=getattr(event, "actor", session.actor))
