"""Escalation rungs applied by a routing domain's ladders, recorded where the case is.

A domain built with ladders ([`RoutingDomain.ladders`][casekit.app.RoutingDomain]) applies
the rungs that have fallen due each time the application ticks. For each rung applied,
[`record_escalation`][] writes, in the tick's unit of work, an ``escalation_rung`` entry in
the audit trail of the case the item stands for (when the item is a stored case: the
application's items are named after their cases) and publishes an
[`EscalationApplied`][casekit.app.EscalationApplied] event — for the supervisor a ``notify``
rung asks to tell, and for the outbox.
"""

from __future__ import annotations

from casekit.app.events import EscalationApplied
from casekit.app.session import Session
from casekit.routing.ladder_runner import RungApplied
from casekit.storage.cases import CASES

__all__ = ["record_escalation"]


def record_escalation(session: Session, domain: str, record: RungApplied) -> None:
    """Audit and publish one rung applied in ``domain``. O(1) plus one audit append."""
    event = EscalationApplied(
        domain=domain,
        case_id=record.item_id,
        stage=record.stage,
        rung=record.index + 1,
        description=record.rung.describe(),
        due=record.due,
        skills_before=dict(record.skills_before),
        skills_after=dict(record.skills_after),
        priority_before=record.priority_before.name,
        priority_after=record.priority_after.name,
        notify=record.notify,
        at=record.at,
    )
    if session.uow.documents.get(CASES, record.item_id) is None:
        session.publish_later(event)
        return
    if record.priority_after > record.priority_before:
        # The case shows the priority its routed work has; its own PriorityChanged finds
        # the router there already. A stage whose step fixes the priority has no raising
        # rung (Application refuses that configuration).
        case = session.change(record.item_id)
        if record.priority_after > case.priority:
            case.set_priority(
                record.priority_after,
                actor=session.actor,
                reason=f"escalation: rung {event.rung} of stage {record.stage}",
            )
    session.uow.audit.append(
        record.item_id,
        actor=session.actor,
        action="escalation_rung",
        at=record.at,
        detail={
            "domain": domain,
            "stage": record.stage,
            "rung": event.rung,
            "description": event.description,
            "due": record.due.isoformat(),
            "skills_before": event.skills_before,
            "skills_after": event.skills_after,
            "priority_before": event.priority_before,
            "priority_after": event.priority_after,
            "notify": record.notify,
        },
    )
    session.publish_later(event)
