"""Routing events: every change the router makes is announced to its subscribers.

Subscribers are called synchronously, in subscription order, after the operation has finished
and its state is committed; an exception from a subscriber propagates to the caller but does
not undo the change. Storage, audit trails and simulations hang off these events.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime

import attrs

__all__ = ["EventKind", "RoutingEvent", "Subscriber"]


class EventKind(enum.StrEnum):
    """What happened."""

    QUEUED = "queued"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    OFFER_TIMED_OUT = "offer timed out"
    WITHDRAWN = "withdrawn"
    PINNED = "pinned"
    UNPINNED = "unpinned"
    RELEASED = "released"
    REQUEUED = "requeued"
    PRIORITY_RAISED = "priority raised"
    PRIORITY_CHANGED = "priority changed"
    PRESENCE_CHANGED = "presence changed"
    SKILLS_CHANGED = "skills changed"
    CAPACITY_CHANGED = "capacity changed"
    CHANNELS_CHANGED = "channels changed"
    WORK_STATUS_CHANGED = "work status changed"
    AGENT_ADDED = "agent added"
    AGENT_REMOVED = "agent removed"


@attrs.frozen
class RoutingEvent:
    """One change.

    Attributes:
        kind: What happened.
        item_id: The work item concerned, if any.
        agent_id: The agent concerned, if any.
        at: When (from the router's clock).
        detail: A short human-readable detail (a new presence, a reason, a priority).
    """

    kind: EventKind
    item_id: str | None
    agent_id: str | None
    at: datetime
    detail: str | None = None


Subscriber = Callable[[RoutingEvent], None]
