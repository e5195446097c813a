"""Live statistics of a router, kept from its events: what a wallboard reads (issue 20, part 7).

In the shape of Twilio TaskRouter's real-time statistics: per router (a routing domain) —
items waiting by priority and by stage, the longest wait, offers pending, accepted and
pinned work, agents available / busy / offline, and waiting items at risk of their
service level. [`LiveStats`][] subscribes to a router and updates its counters at every
event, so reading a figure costs O(1) whatever the number of items, where
[`Router.metrics`][casekit.routing.Router.metrics] walks every agent and the queue.

A waiting item's age is its original age (``created_at``), as the queue serves it: an item
put back in the queue keeps its age. An agent is **available** when Available with room
(load below capacity), **busy** when Busy or Available and full, **offline** when Offline.

Complexity: an event costs O(log q) for q waiting items (the waiting item's place in its
priority's age order) plus the snapshots of the item and agents it names (O(w) for the w
items an agent holds). Reads: counts O(1); ``longest_wait`` O(1) per priority;
``at_risk`` O(log q) per priority; ``snapshot`` O(priorities + stages).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs
from sortedcontainers import SortedList  # type: ignore[import-untyped]  # ships no stubs

from casekit.checks import check_aware, check_instance
from casekit.errors import NotFound, ValidationError
from casekit.priority import Priority
from casekit.routing.events import EventKind, RoutingEvent
from casekit.routing.model import ItemState, Presence
from casekit.routing.router import AgentStatus, ItemStatus, Router

__all__ = ["AgentActivity", "LiveSnapshot", "LiveStats"]


class AgentActivity(enum.StrEnum):
    """What an agent can take now, for the live counts."""

    AVAILABLE = "available"
    BUSY = "busy"
    OFFLINE = "offline"


def activity(status: AgentStatus) -> AgentActivity:
    """The live-count category of an agent. O(1)."""
    return _activity(status.presence, status.load, status.agent.capacity)


def _activity(presence: Presence, load: int, capacity: int) -> AgentActivity:
    if presence is Presence.OFFLINE:
        return AgentActivity.OFFLINE
    if presence is Presence.BUSY or load >= capacity:
        return AgentActivity.BUSY
    return AgentActivity.AVAILABLE


_MOVES = frozenset(
    {
        EventKind.OFFERED,
        EventKind.ACCEPTED,
        EventKind.DECLINED,
        EventKind.OFFER_TIMED_OUT,
        EventKind.WITHDRAWN,
        EventKind.PINNED,
        EventKind.UNPINNED,
        EventKind.REQUEUED,
    }
)
"""Events after which an item the statistics know keeps its priority, stage and age."""

_AGENT_CHANGES = frozenset(
    {EventKind.AGENT_ADDED, EventKind.CAPACITY_CHANGED, EventKind.SKILLS_CHANGED}
)
"""Events after which an agent's capacity is read again."""


@attrs.frozen(slots=True)
class _Held:
    """What the statistics count of one item."""

    state: ItemState
    priority: Priority
    stage: str | None
    created_at: datetime
    agent_id: str | None


@attrs.frozen(slots=True)
class LiveSnapshot:
    """Every live figure at one moment.

    Attributes:
        at: When it was read.
        waiting: Items Awaiting Assignment, by priority (priorities with none left out).
        waiting_by_stage: Items Awaiting Assignment, by stage (``None``: no stage).
        longest_wait: The oldest waiting item's age, by priority.
        offers_pending: Items offered and not yet answered.
        accepted: Items accepted (not pinned).
        pinned: Items pinned by hand.
        agents: Agents by [`AgentActivity`][].
        at_risk: Waiting items older than their priority's threshold.
    """

    at: datetime
    waiting: Mapping[Priority, int]
    waiting_by_stage: Mapping[str | None, int]
    longest_wait: Mapping[Priority, timedelta]
    offers_pending: int
    accepted: int
    pinned: int
    agents: Mapping[AgentActivity, int]
    at_risk: int

    @property
    def total_waiting(self) -> int:
        """Items Awaiting Assignment, all priorities."""
        return sum(self.waiting.values())


def _thresholds(value: object) -> dict[Priority, timedelta]:
    if value is None:
        return {}
    if isinstance(value, timedelta):
        value = dict.fromkeys(Priority, value)
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"at_risk_after of LiveStats must be a timedelta or a mapping of Priority to "
            f"timedelta, got {value!r:.80}"
        )
    checked: dict[Priority, timedelta] = {}
    for priority, limit in value.items():
        check_instance(priority, Priority, what="a priority of at_risk_after of LiveStats")
        check_instance(limit, timedelta, what=f"at_risk_after[{priority.name}] of LiveStats")
        if limit <= timedelta(0):
            raise ValidationError(
                f"at_risk_after[{priority.name}] of LiveStats must be positive, got {limit}"
            )
        checked[priority] = limit
    return checked


class LiveStats:
    """A router's live statistics, updated at every event; reads are O(1).

    Args:
        router: The in-memory router to watch (subscribed at once; [`close`][]
            unsubscribes). A `DurableRouter` tells its subscribers only what its own
            process commits: for a domain shared by several processes read
            `DurableRouter.live()`, which keeps one on the process's replica.
        at_risk_after: How long an item may wait before it counts as at risk: one
            ``timedelta`` for every priority, or one per priority (a priority not named is
            never at risk). ``None``: nothing is at risk.

    Raises:
        ValidationError: ``router`` cannot be watched, or a threshold is not a positive
            ``timedelta`` keyed by a `Priority`.

    Complexity: construction O(n log n) for the n items the router already holds; see the
    module doc for events and reads.
    """

    def __init__(
        self,
        router: Router,
        *,
        at_risk_after: Mapping[Priority, timedelta] | timedelta | None = None,
    ) -> None:
        check_instance(router, Router, what="router of LiveStats")
        self._thresholds = _thresholds(at_risk_after)
        self._router = router
        self._items: dict[str, _Held] = {}
        self._waiting: dict[Priority, Any] = {p: SortedList() for p in Priority}
        self._by_stage: Counter[str | None] = Counter()
        self._states: Counter[ItemState] = Counter()
        self._agents: dict[str, AgentActivity] = {}
        self._capacity: dict[str, int] = {}
        self._activity: Counter[AgentActivity] = Counter()
        for status in router.items():
            self._add(status.item.id, status)
        for agent in router.agents():
            self._capacity[agent.agent.id] = agent.agent.capacity
            self._set_agent(agent.agent.id, activity(agent))
        router.subscribe(self._on_event)

    def close(self) -> None:
        """Stop watching the router (the figures stop changing). O(subscribers)."""
        self._router.unsubscribe(self._on_event)

    # ------------------------------------------------------------------ events

    def _on_event(self, event: RoutingEvent) -> None:
        item_id = event.item_id
        if item_id is not None:
            old = self._items.get(item_id)
            if old is not None and event.kind in _MOVES:
                self._move(item_id, old)
            else:
                self._refresh_item(item_id)
            if old is not None and old.agent_id is not None:
                self._refresh_agent(old.agent_id)
            new = self._items.get(item_id)
            if new is not None and new.agent_id is not None and new.agent_id != event.agent_id:
                self._refresh_agent(new.agent_id)
        if event.agent_id is not None:
            self._refresh_agent(event.agent_id, full=event.kind in _AGENT_CHANGES)

    def _move(self, item_id: str, old: _Held) -> None:
        """An item changed hands or state only: O(1) reads instead of a full snapshot."""
        router = self._router
        try:
            state = router.state_of(item_id)
        except NotFound:
            self._remove(item_id)
            return
        agent_id = router.owner_of(item_id)
        if state is old.state and agent_id == old.agent_id:
            return
        self._remove(item_id)
        held = attrs.evolve(old, state=state, agent_id=agent_id)
        self._items[item_id] = held
        self._count(item_id, held, 1)

    def _refresh_item(self, item_id: str) -> None:
        try:
            status = self._router.item(item_id)
        except NotFound:
            status = None
        self._remove(item_id)
        if status is not None:
            self._add(item_id, status)

    def _add(self, item_id: str, status: ItemStatus) -> None:
        held = _Held(
            status.state, status.priority, status.item.stage, status.created_at, status.agent_id
        )
        self._items[item_id] = held
        self._count(item_id, held, 1)

    def _remove(self, item_id: str) -> None:
        held = self._items.pop(item_id, None)
        if held is not None:
            self._count(item_id, held, -1)

    def _count(self, item_id: str, held: _Held, sign: int) -> None:
        self._states[held.state] += sign
        if held.state is not ItemState.QUEUED:
            return
        if sign > 0:
            self._waiting[held.priority].add((held.created_at, item_id))
            self._by_stage[held.stage] += 1
        else:
            self._waiting[held.priority].remove((held.created_at, item_id))
            self._by_stage[held.stage] -= 1
            if not self._by_stage[held.stage]:
                del self._by_stage[held.stage]

    def _refresh_agent(self, agent_id: str, *, full: bool = False) -> None:
        router = self._router
        capacity = self._capacity.get(agent_id)
        try:
            if full or capacity is None:
                status = router.agent(agent_id)
                capacity = self._capacity[agent_id] = status.agent.capacity
                presence, load = status.presence, status.load
            else:
                presence, load = router.presence(agent_id), router.load(agent_id)
        except NotFound:
            self._capacity.pop(agent_id, None)
            self._set_agent(agent_id, None)
            return
        self._set_agent(agent_id, _activity(presence, load, capacity))

    def _set_agent(self, agent_id: str, now: AgentActivity | None) -> None:
        before = self._agents.pop(agent_id, None)
        if before is not None:
            self._activity[before] -= 1
        if now is not None:
            self._agents[agent_id] = now
            self._activity[now] += 1

    # ------------------------------------------------------------------ reads

    def waiting(self, priority: Priority | None = None) -> int:
        """Items Awaiting Assignment (at ``priority``, or all). O(1)."""
        if priority is None:
            return self._states[ItemState.QUEUED]
        return len(self._waiting[check_instance(priority, Priority, what="priority")])

    def waiting_in(self, stage: str | None) -> int:
        """Items Awaiting Assignment in ``stage`` (``None``: items without a stage). O(1)."""
        return self._by_stage.get(stage, 0)

    def longest_wait(self, now: datetime, priority: Priority | None = None) -> timedelta | None:
        """The oldest waiting item's age at ``now`` (at ``priority``, or any); ``None`` if none.

        Complexity: O(1) per priority looked at.
        """
        check_aware(now, what="now of a live statistic")
        priorities = list(Priority) if priority is None else [priority]
        oldest: datetime | None = None
        for level in priorities:
            waiting = self._waiting[check_instance(level, Priority, what="priority")]
            if waiting and (oldest is None or waiting[0][0] < oldest):
                oldest = waiting[0][0]
        return None if oldest is None else max(now - oldest, timedelta(0))

    @property
    def offers_pending(self) -> int:
        """Items offered and not yet answered. O(1)."""
        return self._states[ItemState.OFFERED]

    @property
    def accepted(self) -> int:
        """Items accepted (not pinned). O(1)."""
        return self._states[ItemState.ACCEPTED]

    @property
    def pinned(self) -> int:
        """Items pinned by hand. O(1)."""
        return self._states[ItemState.PINNED]

    def agents(self, kind: AgentActivity) -> int:
        """How many agents are ``kind`` now. O(1)."""
        return self._activity[check_instance(kind, AgentActivity, what="agent activity")]

    def at_risk(self, now: datetime) -> int:
        """Waiting items older than their priority's ``at_risk_after`` at ``now``.

        Complexity: O(log q) per priority with a threshold.
        """
        check_aware(now, what="now of a live statistic")
        count = 0
        for priority, limit in self._thresholds.items():
            count += self._waiting[priority].bisect_left((now - limit,))
        return count

    def snapshot(self, now: datetime) -> LiveSnapshot:
        """Every figure at ``now``. O(priorities + stages + activities)."""
        check_aware(now, what="now of a live statistic")
        waiting = {p: len(items) for p, items in self._waiting.items() if items}
        return LiveSnapshot(
            at=now,
            waiting=waiting,
            waiting_by_stage=dict(self._by_stage),
            longest_wait={p: max(now - self._waiting[p][0][0], timedelta(0)) for p in waiting},
            offers_pending=self.offers_pending,
            accepted=self.accepted,
            pinned=self.pinned,
            agents={kind: self._activity[kind] for kind in AgentActivity},
            at_risk=self.at_risk(now),
        )


def snapshot_from_scratch(
    router: Router,
    now: datetime,
    at_risk_after: Mapping[Priority, timedelta] | timedelta | None = None,
) -> LiveSnapshot:
    """The same figures recomputed by walking every item and agent: the oracle. O(n)."""
    thresholds = _thresholds(at_risk_after)
    items = router.items()
    queued = [s for s in items if s.state is ItemState.QUEUED]
    waiting = Counter(s.priority for s in queued)
    oldest: dict[Priority, datetime] = {}
    for s in queued:
        if s.priority not in oldest or s.created_at < oldest[s.priority]:
            oldest[s.priority] = s.created_at
    states = Counter(s.state for s in items)
    kinds = Counter(activity(a) for a in router.agents())
    return LiveSnapshot(
        at=now,
        waiting=dict(waiting),
        waiting_by_stage=dict(Counter(s.item.stage for s in queued)),
        longest_wait={p: max(now - t, timedelta(0)) for p, t in oldest.items()},
        offers_pending=states[ItemState.OFFERED],
        accepted=states[ItemState.ACCEPTED],
        pinned=states[ItemState.PINNED],
        agents={kind: kinds[kind] for kind in AgentActivity},
        at_risk=sum(
            1
            for s in queued
            if s.priority in thresholds and now - s.created_at > thresholds[s.priority]
        ),
    )
