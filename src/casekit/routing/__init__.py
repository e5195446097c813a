"""Skills-based routing: offers, capacity, presence, Awaiting Assignment, pins and fairness.

The Omni-Channel of casekit. A [`Router`][] holds agents (staff with skills, capacity and
presence) and work items (a case's step needing skills); it offers each item to the best
eligible agent under a routing policy, queues what nobody eligible has room for, and serves
the queue the moment capacity frees. See ``docs/routing.md``.
"""

from __future__ import annotations

from casekit.priority import Priority
from casekit.routing.events import EventKind, RoutingEvent, Subscriber
from casekit.routing.explain import Decision, ExplainDetail, Outcome, TieBreak
from casekit.routing.ladder import Ladder, Rung
from casekit.routing.ladder_runner import (
    LadderExplanation,
    LadderRunner,
    RungApplied,
    RungSubscriber,
)
from casekit.routing.live import AgentActivity, LiveSnapshot, LiveStats
from casekit.routing.metrics import QueueStats, RoutingMetrics, jain_index
from casekit.routing.model import (
    DEFAULT_CAPACITY,
    Agent,
    CapacityModel,
    ItemState,
    Presence,
    StatusBased,
    TabBased,
    WorkItem,
)
from casekit.routing.policy import (
    AgentView,
    LeastActive,
    MostAvailable,
    RoutingModel,
    RoutingPolicy,
)
from casekit.routing.router import AgentStatus, Aging, ItemStatus, Offer, QueueEntry, Router

__all__ = [
    "DEFAULT_CAPACITY",
    "Agent",
    "AgentActivity",
    "AgentStatus",
    "AgentView",
    "Aging",
    "CapacityModel",
    "Decision",
    "EventKind",
    "ExplainDetail",
    "ItemState",
    "ItemStatus",
    "Ladder",
    "LadderExplanation",
    "LadderRunner",
    "LeastActive",
    "LiveSnapshot",
    "LiveStats",
    "MostAvailable",
    "Offer",
    "Outcome",
    "Presence",
    "Priority",
    "QueueEntry",
    "QueueStats",
    "Router",
    "RoutingEvent",
    "RoutingMetrics",
    "RoutingModel",
    "RoutingPolicy",
    "Rung",
    "RungApplied",
    "RungSubscriber",
    "StatusBased",
    "Subscriber",
    "TabBased",
    "TieBreak",
    "WorkItem",
    "jain_index",
]
