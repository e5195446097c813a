"""The router's records: the public values it returns and the private state it keeps.

The public values ([`Aging`][], [`Offer`][], [`QueueEntry`][], [`ItemStatus`][],
[`AgentStatus`][]) are frozen attrs classes, re-exported from `casekit.routing.router`
and [`casekit.routing`][]. The private state (``_AgentState``, ``_ItemState``) is slotted
plain classes, one per agent and per item the router holds; a durable router snapshots them.

Costs: making any record is O(1), an ``_AgentState`` O(s) for its ``s`` skill names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from casekit.checks import check_enum, check_timedelta
from casekit.priority import Priority
from casekit.routing.model import Agent, ItemState, Presence, WorkItem
from casekit.routing.queue import QueueKey

__all__ = ["AgentStatus", "Aging", "ItemStatus", "Offer", "QueueEntry"]

_FOREVER = None  # a decline remembered for as long as the item is in the router


@attrs.frozen
class Aging:
    """Raise a waiting item's priority after it has waited, so nothing starves.

    Attributes:
        every: Each full period of waiting in the queue raises the priority one rank.
        cap: The highest priority aging may reach.
    """

    every: timedelta
    cap: Priority = Priority.URGENT

    def __attrs_post_init__(self) -> None:
        check_timedelta(self.every, what="aging period", positive=True)
        check_enum(self.cap, Priority, what="the cap of priority aging")


@attrs.frozen
class Offer:
    """An offer: the agent is the item's Potential Case Owner until it answers or time runs out.

    Attributes:
        item_id: The item offered.
        agent_id: The agent offered it.
        at: When the offer was made.
        deadline: When it times out (``None`` without a push timeout).
        accepted: The offer was accepted at once (auto-accept agents).
    """

    item_id: str
    agent_id: str
    at: datetime
    deadline: datetime | None
    accepted: bool = False


@attrs.frozen
class QueueEntry:
    """One item Awaiting Assignment, as [`Router.queue`][] lists it."""

    item_id: str
    priority: Priority
    created_at: datetime
    queued_at: datetime
    stage: str | None
    skills: Mapping[str, int]
    weight: int


@attrs.frozen
class ItemStatus:
    """Everything the router knows about one item."""

    item: WorkItem
    state: ItemState
    agent_id: str | None
    priority: Priority
    created_at: datetime
    offered_at: datetime | None
    deadline: datetime | None
    declined_by: tuple[str, ...]
    override: bool
    work_status: str | None = None
    """The item's work status under a status-based capacity model (accepted or pinned
    items only); ``None`` otherwise."""


@attrs.frozen
class AgentStatus:
    """Everything the router knows about one agent."""

    agent: Agent
    presence: Presence
    load: int
    offered: tuple[str, ...]
    accepted: tuple[str, ...]
    pinned: tuple[str, ...]
    channel_loads: Mapping[str, int] = attrs.field(factory=dict)
    """Channel → the weight of counted items of that channel the agent holds (channels
    with none left out); items without a channel are in ``load`` only."""

    @property
    def load_ratio(self) -> float:
        """Load ÷ capacity."""
        return self.load / self.agent.capacity


class _AgentState:
    __slots__ = (
        "accepted",
        "agent",
        "channel_loads",
        "grades",
        "indexed",
        "last_offer_seq",
        "limits",
        "load",
        "names",
        "offered",
        "offline_token",
        "pinned",
        "presence",
        "score",
    )

    def __init__(self, agent: Agent, grades: int) -> None:
        self.agent = agent
        self.names = frozenset(agent.skills)
        self.grades = grades
        self.presence = Presence.OFFLINE
        self.load = 0
        self.offered: set[str] = set()
        self.accepted: set[str] = set()
        self.pinned: set[str] = set()
        self.last_offer_seq = 0
        self.indexed = False
        self.score: Any = None
        self.offline_token = 0
        # Channel → units, or None without per-channel limits (the hot path tests only that).
        self.limits: dict[str, int] | None = dict(agent.channels) or None
        # Channel → the counted weight held of it; a channel with none held has no key.
        self.channel_loads: dict[str, int] = {}


class _ItemState:
    __slots__ = (
        "aged_at",
        "agent_id",
        "created_at",
        "deadline",
        "decision",
        "declined",
        "earlier",
        "group",
        "item",
        "needs",
        "offer_token",
        "offered_at",
        "override",
        "priority",
        "queue_key",
        "queue_token",
        "queued_at",
        "seq",
        "state",
        "status",
    )

    def __init__(
        self, item: WorkItem, created_at: datetime, seq: int, needs: int, group: frozenset[str]
    ) -> None:
        self.item = item
        self.created_at = created_at
        self.seq = seq
        self.priority = item.priority
        self.group = group
        self.needs = needs
        self.state = ItemState.QUEUED
        self.agent_id: str | None = None
        self.offered_at: datetime | None = None
        self.deadline: datetime | None = None
        self.offer_token = 0
        self.queue_key: QueueKey | None = None
        self.queued_at: datetime | None = None
        self.aged_at: datetime | None = None
        self.queue_token = 0
        self.declined: dict[str, datetime | None] = {}
        self.decision: _Record | None = None  # the latest
        self.earlier: list[_Record] | None = None
        self.override = False
        # The work status under a status-based capacity model (accepted or pinned items).
        self.status: str | None = None


_Record = tuple[Any, ...]
"""A decision as plain values (the collector stops tracking it), made a [`Decision`][] when
asked for: ``(at, outcome, agent, score, runner-up, its score, tie-break, examined, pool,
eligible, reason)``, the enums as their values and the reason ``None`` when it is the usual
sentence (written when asked for, not on every decision)."""

_Search = tuple[list[_AgentState], int, int, int | None, int]
"""The best two eligible agents, agents examined, pool size, exact eligible count (or None),
and how many agents with total room were passed over for the item's channel (full or not
taken)."""
