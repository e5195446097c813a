"""Escalation: a breached SLA raises the item's priority and tells whoever listens.

[`Escalation`][] is the event; [`EscalationBus`][] delivers it to subscribers (the router,
storage, a notifier). [`router_escalation`][] adapts anything with
``escalate(item_id, priority)`` (such as ``casekit.routing.Router``) into a subscriber, so
worklists do not import the router.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import attrs

from casekit.checks import (
    attrs_check,
    check_aware,
    check_callable,
    check_enum,
    check_id,
    check_instance,
    check_text,
)
from casekit.priority import Priority

__all__ = ["Escalation", "EscalationBus", "Escalator", "Subscriber", "router_escalation"]

logger = logging.getLogger(__name__)

SLA_BREACHED = "sla_breached"


def _instant(value: datetime) -> datetime:
    return check_aware(value, what="escalation time")


def _priority(value: Priority | str) -> Priority:
    return check_enum(value, Priority, what="escalation priority")


@attrs.frozen
class Escalation:
    """An SLA breach and the priority it raised the item to.

    Args:
        case_id: The case to escalate (the client id when the event named no case).
        client_id: The client.
        worker_id: The worker whose list the item is on.
        policy: The breached policy's name.
        category: The item's category name.
        due: When it was due (UTC).
        breached_at: When the breach was detected (UTC).
        priority: The new priority.
        previous_priority: The priority before.
        kind: Always ``"sla_breached"``.
    """

    case_id: str = attrs.field(validator=attrs_check(check_id))
    client_id: str = attrs.field(validator=attrs_check(check_id))
    worker_id: str = attrs.field(validator=attrs_check(check_id))
    policy: str = attrs.field(validator=attrs_check(check_id))
    category: str = attrs.field(validator=attrs_check(check_text))
    due: datetime = attrs.field(converter=_instant)
    breached_at: datetime = attrs.field(converter=_instant)
    priority: Priority = attrs.field(converter=_priority)
    previous_priority: Priority = attrs.field(converter=_priority)
    kind: str = attrs.field(default=SLA_BREACHED, validator=attrs_check(check_text))


Subscriber = Callable[[Escalation], None]
"""A callable receiving each [`Escalation`][]."""


class Escalator(Protocol):
    """Anything that can raise a routed item's priority (e.g. ``casekit.routing.Router``)."""

    def escalate(self, item_id: str, priority: Priority) -> None:
        """Raise the item's priority."""
        ...


class EscalationBus:
    """Delivers escalations to subscribers, in subscription order.

    A subscriber that raises does not stop delivery to the others; its error is logged
    (``logger.exception``) and the remaining subscribers still receive the event.
    """

    __slots__ = ("_subscribers",)

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Add a subscriber; return a function that removes it again.

        Raises:
            ValidationError: If ``callback`` is not callable.
        """
        check_callable(callback, what="an escalation subscriber")
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, escalation: Escalation) -> None:
        """Deliver one escalation to every subscriber. O(subscribers).

        Raises:
            ValidationError: If ``escalation`` is not an [`Escalation`][].
        """
        check_instance(escalation, Escalation, what="an escalation to publish")
        for callback in tuple(self._subscribers):
            try:
                callback(escalation)
            except Exception:
                logger.exception(
                    "escalation subscriber %r failed on %s/%s",
                    callback,
                    escalation.client_id,
                    escalation.policy,
                )


def router_escalation(router: Escalator) -> Subscriber:
    """Return a subscriber that calls ``router.escalate(case_id, priority)`` on each breach.

    Example::

        caseload.subscribe(router_escalation(router))
    """

    def escalate(escalation: Escalation) -> None:
        router.escalate(escalation.case_id, escalation.priority)

    return escalate
