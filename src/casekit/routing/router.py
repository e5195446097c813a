"""The skills-based router: offers, capacity, presence, the queue, pins and fairness.

Costs, for ``n`` agents Available with room, ``s`` skills per agent, ``r`` skills per item,
``k`` agents walked before an eligible one is met (about ``1 / P(eligible | rarest skill)``,
independent of ``n``), ``g`` groups of queued skill sets and ``q`` queued items:

==============================  ==========================================================
operation                        cost
==============================  ==========================================================
submit (offered)                 O(r + k·r + s log n)
submit (queued)                  O(r + pool + log q) — the whole pool of the rarest skill
                                 is walked to prove nobody eligible has room
accept                           O(1)
decline / timeout / release      O(s log n) + a re-route + serving the freed agent
serve a freed agent              O(g + m log q) for ``m`` queued items looked at
set_presence / set_skills        O(s log n) + serving the agent
tick                             O(log t) per due timer + what each timer does
load, state_of, explain          O(1)
queue()                          O(q log g)
metrics()                        O(n + q)
==============================  ==========================================================

Every public operation validates its input before it changes anything, so a refused call
leaves the router exactly as it was.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from casekit.checks import (
    check_bool,
    check_callable,
    check_enum,
    check_instance,
    check_text,
    check_timedelta,
)
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import (
    AlreadyExists,
    CapacityExceeded,
    NotFound,
    OfferNotPending,
    ValidationError,
    allowed_list,
)
from casekit.notebook import to_dataframe
from casekit.priority import Priority
from casekit.routing.events import EventKind, RoutingEvent, Subscriber
from casekit.routing.explain import Decision, ExplainDetail, Outcome, TieBreak
from casekit.routing.index import SEQ_BITS, AgentIndex
from casekit.routing.metrics import QueueStats, RoutingMetrics, jain_index
from casekit.routing.model import Agent, ItemState, Presence, WorkItem, check_skills
from casekit.routing.notebook import agent_records, item_records, router_html
from casekit.routing.policy import (
    AgentView,
    LeastActive,
    MostAvailable,
    RoutingModel,
    RoutingPolicy,
    policy_for,
)
from casekit.routing.queue import AwaitingQueue, QueueKey
from casekit.routing.timers import Timer, TimerKind, Timers

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AgentStatus", "Aging", "ItemStatus", "Offer", "QueueEntry", "Router"]

logger = logging.getLogger(__name__)

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
    """One item Awaiting Assignment, as :meth:`Router.queue` lists it."""

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


@attrs.frozen
class AgentStatus:
    """Everything the router knows about one agent."""

    agent: Agent
    presence: Presence
    load: int
    offered: tuple[str, ...]
    accepted: tuple[str, ...]
    pinned: tuple[str, ...]

    @property
    def load_ratio(self) -> float:
        """Load ÷ capacity."""
        return self.load / self.agent.capacity


class _AgentState:
    __slots__ = (
        "accepted",
        "agent",
        "grades",
        "indexed",
        "last_offer_seq",
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


_Record = tuple[Any, ...]
"""A decision as plain values (the collector stops tracking it), made a :class:`Decision` when
asked for: ``(at, outcome, agent, score, runner-up, its score, tie-break, examined, pool,
eligible, reason)``, the enums as their values and the reason ``None`` when it is the usual
sentence (written when asked for, not on every decision)."""

_Search = tuple[list[_AgentState], int, int, int | None]
"""The best two eligible agents, agents examined, pool size, exact eligible count (or None)."""


class Router:
    """Routes work items to agents by skills, capacity and presence.

    Args:
        model: A built-in :class:`RoutingModel` or a custom :class:`RoutingPolicy`.
        push_timeout: How long an agent has to answer an offer; ``None`` for no timeout.
        clock: The clock every timestamp and deadline comes from.
        cooldown: How long a decline (or a timeout) keeps the item from that agent; ``None``
            (the default) means for as long as the item is in the router.
        offline_grace: How long after going Offline an agent's pending offers are withdrawn.
        count_pins: Whether manual assignments count towards load (default ``True``).
        aging: Optional priority aging of waiting items.
        explain: How much each decision records (see :class:`ExplainDetail`).

    Raises:
        ValidationError: For a non-positive timeout or cool-down, or a negative grace.
    """

    def __init__(
        self,
        *,
        model: RoutingModel | RoutingPolicy = RoutingModel.LEAST_ACTIVE,
        push_timeout: timedelta | None = timedelta(minutes=10),
        clock: Clock = SYSTEM_CLOCK,
        cooldown: timedelta | None = None,
        offline_grace: timedelta = timedelta(0),
        count_pins: bool = True,
        aging: Aging | None = None,
        explain: ExplainDetail = ExplainDetail.SUMMARY,
    ) -> None:
        check_timedelta(push_timeout, what="push_timeout", positive=True, allow_none=True)
        if clock is not SYSTEM_CLOCK and not callable(getattr(clock, "now", None)):
            raise ValidationError(f"clock of a router must be a Clock (with now()), got {clock!r}")
        check_timedelta(cooldown, what="cooldown", positive=True, allow_none=True)
        check_timedelta(offline_grace, what="offline_grace")
        if offline_grace < timedelta(0):
            raise ValidationError(f"offline_grace must not be negative, got {offline_grace}")
        check_bool(count_pins, what="count_pins of a router")
        if aging is not None:
            check_instance(aging, Aging, what="aging of a router")
        explain = check_enum(explain, ExplainDetail, what="explain of a router")
        self.policy = policy_for(model)
        self.push_timeout = push_timeout
        self.clock = clock
        self.cooldown = cooldown
        self.offline_grace = offline_grace
        self.count_pins = count_pins
        self.aging = aging
        self.explain_detail = explain
        # The built-in policies' scores are computed inline (exact types: a subclass may
        # override score()).
        policy_type: type = type(self.policy)
        self._fast_score: int = (
            1 if policy_type is LeastActive else 2 if policy_type is MostAvailable else 0
        )
        self._agents: dict[str, _AgentState] = {}
        self._items: dict[str, _ItemState] = {}
        self._index = AgentIndex()
        self._groups: dict[frozenset[str], frozenset[str]] = {}
        self._queue = AwaitingQueue()
        self._timers = Timers()
        # Counters are plain ints (not itertools.count) so a router's state can be copied and
        # snapshotted. Timer tokens are unique across the router's life, so a deadline left
        # behind by an earlier step of an item (or an earlier agent with the same id) never
        # matches.
        self._seq = 0
        self._offer_seq = 0
        self._tokens = 0
        self._subscribers: list[Subscriber] = []
        self._pending: list[RoutingEvent] = []
        self._max_capacity = 0

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback(event)`` for every change from now on. O(1)."""
        check_callable(callback, what="a router subscriber")
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        """Stop calling ``callback``.

        Raises:
            NotFound: If it was not subscribed.
        """
        try:
            self._subscribers.remove(callback)
        except ValueError:
            raise NotFound(f"{callback!r} is not subscribed to this router") from None

    def _emit(
        self,
        kind: EventKind,
        item_id: str | None,
        agent_id: str | None,
        at: datetime,
        detail: str | None = None,
    ) -> None:
        if self._subscribers:
            self._pending.append(RoutingEvent(kind, item_id, agent_id, at, detail))

    def _flush(self) -> None:
        if not self._pending:
            return
        events, self._pending = self._pending, []
        for event in events:
            for callback in tuple(self._subscribers):
                callback(event)

    # ------------------------------------------------------------------ agents

    def add_agent(self, agent: Agent, presence: Presence = Presence.OFFLINE) -> None:
        """Register an agent (Offline unless ``presence`` says otherwise). O(s log n).

        Raises:
            AlreadyExists: If an agent with this id is registered.
            ValidationError: If ``agent`` is not an :class:`Agent` or presence not a Presence.
        """
        if not isinstance(agent, Agent):
            raise ValidationError(f"add_agent needs an Agent, got {agent!r}")
        self._check_presence(presence)
        if agent.id in self._agents:
            raise AlreadyExists(f"agent {agent.id} is already registered")
        now = self.clock.now()
        state = _AgentState(agent, self._index.grades(agent.skills))
        self._agents[agent.id] = state
        self._max_capacity = max(self._max_capacity, agent.capacity)
        self._emit(EventKind.AGENT_ADDED, None, agent.id, now)
        if presence is not Presence.OFFLINE:
            self._change_presence(state, presence, now)
        self._flush()

    def remove_agent(self, agent_id: str) -> None:
        """Unregister an agent; its pending offers are withdrawn and re-routed.

        Raises:
            NotFound: If the agent is unknown.
            ValidationError: If the agent still holds accepted or pinned work (release or
                reassign it first).
        """
        state = self._agent(agent_id)
        if state.accepted or state.pinned:
            held = sorted(state.accepted | state.pinned)
            raise ValidationError(
                f"agent {agent_id} still holds {len(held)} item(s) ({', '.join(held[:5])}); "
                "release, requeue or reassign them before removing the agent"
            )
        now = self.clock.now()
        self._unindex(state)
        if state.presence is not Presence.OFFLINE:
            # Announce it before re-routing its offers, so subscribers never see an offer
            # go elsewhere while the agent still looks Available to them.
            state.presence = Presence.OFFLINE
            self._emit(EventKind.PRESENCE_CHANGED, None, agent_id, now, Presence.OFFLINE.value)
        self._withdraw_all(state, now)
        del self._agents[agent_id]
        self._index.forget(agent_id)
        self._max_capacity = max((a.agent.capacity for a in self._agents.values()), default=0)
        self._emit(EventKind.AGENT_REMOVED, None, agent_id, now)
        self._flush()

    def set_presence(self, agent_id: str, presence: Presence) -> None:
        """Change an agent's presence.

        Available: the agent is indexed and at once offered every waiting item it can take.
        Busy: no new offers; pending offers stay. Offline: no new offers; pending offers are
        withdrawn and re-routed (after ``offline_grace``); accepted and pinned work stays.

        Raises:
            NotFound: If the agent is unknown.
            ValidationError: If ``presence`` is not a :class:`Presence`.
        """
        state = self._agent(agent_id)
        self._check_presence(presence)
        if presence is state.presence:
            return
        self._change_presence(state, presence, self.clock.now())
        self._flush()

    def set_skills(self, agent_id: str, skills: Mapping[str, int]) -> None:
        """Replace an agent's skills; waiting items it can now take are offered at once.

        Work the agent already holds stays with it.

        Raises:
            NotFound: If the agent is unknown.
            ValidationError: If ``skills`` is not a mapping of names to positive integers.
        """
        state = self._agent(agent_id)
        checked = check_skills(skills, owner=f"agent {agent_id}")
        now = self.clock.now()
        self._unindex(state)
        state.agent = attrs.evolve(state.agent, skills=checked)
        state.names = frozenset(checked)
        state.grades = self._index.grades(checked)
        self._reindex(state)
        self._emit(
            EventKind.SKILLS_CHANGED,
            None,
            agent_id,
            now,
            ", ".join(f"{k}={v}" for k, v in sorted(checked.items())),
        )
        self._serve(state, now)
        self._flush()

    def set_capacity(self, agent_id: str, capacity: int) -> None:
        """Change an agent's capacity; a larger one is filled from the queue at once.

        Raises:
            NotFound: If the agent is unknown.
            ValidationError: If ``capacity`` is not a positive integer.
            CapacityExceeded: If ``capacity`` is below the agent's current load.
        """
        state = self._agent(agent_id)
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValidationError(
                f"capacity of {agent_id} must be a positive integer, got {capacity!r}"
            )
        if capacity < state.load:
            raise CapacityExceeded(
                f"agent {agent_id} holds load {state.load}; capacity {capacity} would be below "
                f"it (release work first, or choose a capacity >= {state.load})"
            )
        now = self.clock.now()
        self._unindex(state)
        state.agent = attrs.evolve(state.agent, capacity=capacity)
        self._max_capacity = max(a.agent.capacity for a in self._agents.values())
        self._reindex(state)
        self._emit(EventKind.CAPACITY_CHANGED, None, agent_id, now, str(capacity))
        self._serve(state, now)
        self._flush()

    # ------------------------------------------------------------------ items

    def submit(self, item: WorkItem) -> Offer | None:
        """Route a new item: offer it to the best eligible agent, or queue it.

        Cost: O(r + k·r + s log n) when offered; when queued, the pool of the item's rarest
        skill is walked once.

        Returns:
            The offer, or ``None`` when the item was queued in Awaiting Assignment.

        Raises:
            ValidationError: If ``item`` is not a :class:`WorkItem`, or its weight is above
                every registered agent's capacity.
            AlreadyExists: If an item with this id is in the router.
        """
        now = self.clock.now()
        state = self._new_item(item, now)
        self._items[item.id] = state
        offer = self._route(state, now)
        self._flush()
        return offer

    def accept(self, item_id: str, agent_id: str) -> None:
        """Accept an offer: the agent owns the item. Repeating an accept is a no-op. O(1).

        Raises:
            NotFound: If the item or agent is unknown.
            OfferNotPending: If the item is not offered to this agent (withdrawn, expired,
                offered to someone else, queued or pinned).
        """
        state = self._item(item_id)
        self._agent(agent_id)
        if state.state is ItemState.ACCEPTED and state.agent_id == agent_id:
            return
        self._require_offer(state, agent_id, "accept")
        self._accept(state, self.clock.now())
        self._flush()

    def decline(self, item_id: str, agent_id: str) -> Offer | None:
        """Decline an offer; the item is re-routed or queued.

        The item goes to another eligible agent, never back to this one within the
        cool-down, or waits in Awaiting Assignment.

        Returns:
            The new offer, or ``None`` when the item was queued.

        Raises:
            NotFound: If the item or agent is unknown.
            OfferNotPending: If the item is not offered to this agent.
        """
        state = self._item(item_id)
        agent = self._agent(agent_id)
        self._require_offer(state, agent_id, "decline")
        now = self.clock.now()
        self._emit(EventKind.DECLINED, item_id, agent_id, now)
        offer = self._refuse(state, agent, now)
        self._flush()
        return offer

    def release(self, item_id: str) -> WorkItem:
        """Take an item out of routing (its step is done), freeing its agent's capacity.

        The freed capacity is at once offered to waiting items.

        Returns:
            The item released.

        Raises:
            NotFound: If the item is unknown.
        """
        state = self._item(item_id)
        now = self.clock.now()
        holder = self._detach(state)
        del self._items[item_id]
        self._emit(EventKind.RELEASED, item_id, holder.agent.id if holder else None, now)
        if holder is not None:
            self._serve(holder, now)
        self._flush()
        return state.item

    def advance(
        self,
        item_id: str,
        *,
        stage: str,
        skills: Mapping[str, int],
        priority: Priority | None = None,
        weight: int | None = None,
    ) -> Offer | None:
        """Release an item at one step and submit it at the next with that step's skills.

        The item keeps its original age (its place in the queue order); declines at the old
        step are forgotten. A pin ends with the step.

        Returns:
            The offer at the new step, or ``None`` when it was queued.

        Raises:
            NotFound: If the item is unknown.
            ValidationError: If the new step's name, skills, priority or weight are invalid.
        """
        check_text(stage, what=f"the stage work item {item_id!r} advances to")
        state = self._item(item_id)
        new = WorkItem(
            id=item_id,
            skills=skills,
            priority=state.priority if priority is None else priority,
            weight=state.item.weight if weight is None else weight,
            stage=stage,
            created_at=state.created_at,
        )
        self._check_weight(new)
        now = self.clock.now()
        holder = self._detach(state)
        del self._items[item_id]
        self._emit(
            EventKind.RELEASED, item_id, holder.agent.id if holder else None, now, f"to {stage}"
        )
        fresh = self._item_state(new, state.created_at)
        self._items[item_id] = fresh
        if holder is not None:
            self._serve(holder, now)
        offer = self._route(fresh, now)
        self._flush()
        return offer

    def requeue(self, item_id: str) -> Offer | None:
        """Put an item back into Awaiting Assignment (ending any offer, assignment or pin).

        It keeps its original age and is served in queue order: if an eligible agent has room
        it is offered at once.

        Returns:
            The new offer, or ``None`` when the item waits.

        Raises:
            NotFound: If the item is unknown.
        """
        state = self._item(item_id)
        now = self.clock.now()
        holder = self._detach(state)
        self._emit(EventKind.REQUEUED, item_id, holder.agent.id if holder else None, now)
        self._enqueue(state, now, self._decision(state, now, None, ([], 0, 0, 0)))
        # The item goes to its best eligible agent by the policy, not back to its holder
        # just because the holder's room was served first; to the holder only when no
        # waiting item ahead of it can use the holder's freed room (then it is placed, and
        # explained, like any other decision).
        search = self._find(state, now)
        best = search[0]
        if best and (best[0] is not holder or not self._waiting_ahead(best[0], state, now)):
            self._place_queued(state, now, search)
        if holder is not None:
            self._serve(holder, now)
        if state.state is ItemState.QUEUED:
            self._place_queued(state, now)
        self._flush()
        return self._offer_of(state)

    def assign(self, item: str | WorkItem, agent_id: str, *, override: bool = False) -> None:
        """Manually assign (pin) an item to an agent, outside dynamic routing.

        Pass a :class:`WorkItem` to pin a new item, or the id of one the router holds (any
        state; a pending offer or another owner is replaced). The pin holds until the item's
        step changes (:meth:`advance`), it is requeued, released or unpinned — not when the
        agent goes Offline. Skills and presence are not checked: a person decided.

        Raises:
            NotFound: If the item id or the agent is unknown.
            AlreadyExists: If a new WorkItem's id is already in the router.
            CapacityExceeded: If the pin would put the agent over capacity and ``override`` is
                false.
        """
        agent = self._agent(agent_id)
        check_bool(override, what=f"override of assigning to {agent_id}")
        now = self.clock.now()
        if isinstance(item, WorkItem):
            state = self._new_item(item, now)
            is_new = True
        else:
            state = self._item(item)
            is_new = False
            if state.state is ItemState.PINNED and state.agent_id == agent_id:
                return
        weight = state.item.weight
        added = weight if self.count_pins else 0
        if state.agent_id == agent_id and state.state is not ItemState.PINNED:
            added -= weight  # it moves from offered/accepted to pinned on the same agent
        over = agent.load + added > agent.agent.capacity
        if over and not override:
            raise CapacityExceeded(
                f"assigning {state.item.id} (weight {weight}) to {agent_id} would make its load "
                f"{agent.load + added}, above its capacity {agent.agent.capacity}; "
                "pass override=True to assign anyway"
            )
        if is_new:
            self._items[state.item.id] = state
            holder = None
        else:
            holder = self._detach(state)
        state.state = ItemState.PINNED
        state.agent_id = agent_id
        state.override = over
        agent.pinned.add(state.item.id)
        if self.count_pins:
            self._set_load(agent, weight)
        self._record(
            state,
            (
                now, Outcome.PINNED.value, agent_id, None, None, None, TieBreak.MANUAL.value,
                0, 0, None,
                f"manually assigned to {agent_id}"
                + (" over capacity (override)" if state.override else ""),
            ),
        )  # fmt: skip
        self._emit(
            EventKind.PINNED, state.item.id, agent_id, now, "override" if state.override else None
        )
        if holder is not None:
            self._serve(holder, now)
        self._flush()

    def unpin(self, item_id: str, *, override: bool = False) -> None:
        """End a pin: the item stays with its agent as ordinary accepted work.

        Raises:
            NotFound: If the item is unknown.
            ValidationError: If the item is not pinned.
            CapacityExceeded: If pins are not counted in load and the item would now put the
                agent over capacity (pass ``override=True``).
        """
        state = self._item(item_id)
        check_bool(override, what=f"override of unpinning {item_id}")
        if state.state is not ItemState.PINNED:
            raise ValidationError(
                f"item {item_id} is {state.state.value}, not pinned; nothing to unpin"
            )
        assert state.agent_id is not None
        agent = self._agents[state.agent_id]
        weight = state.item.weight
        over = not self.count_pins and agent.load + weight > agent.agent.capacity
        if over and not override:
            raise CapacityExceeded(
                f"unpinning {item_id} would count its weight {weight} in {agent.agent.id}'s load "
                f"{agent.load}, above capacity {agent.agent.capacity}; pass override=True"
            )
        now = self.clock.now()
        agent.pinned.discard(item_id)
        agent.accepted.add(item_id)
        if not self.count_pins:
            self._set_load(agent, weight)
        state.state = ItemState.ACCEPTED
        state.override = state.override or over
        self._emit(EventKind.UNPINNED, item_id, agent.agent.id, now)
        self._flush()

    def tick(self) -> int:
        """Act on every deadline that has passed by the clock's now.

        Offers past their push timeout are re-routed (the agent counts as having declined),
        Offline agents past their grace lose their pending offers, ended cool-downs make items
        eligible again for those agents, and aging raises waiting items' priority. Everything
        due counts as having happened by now: the queue is settled first (aging, then ended
        cool-downs, their items placed in queue order), then expired offers and grace periods.

        Returns:
            The number of deadlines acted on.
        """
        now = self.clock.now()
        acted = 0
        while due := list(self._timers.due(now)):
            # Everything due has happened by now. The queue is settled first — aging, then
            # ended cool-downs, whose waiting items are placed in queue order, each with its
            # best eligible agent (several cool-downs ending before one tick must not let a
            # newer item pass an older one) — then expired offers and grace periods, in
            # deadline order.
            cooled: dict[str, _ItemState] = {}
            for _at, _seq, kind, subject, token, other in due:
                if kind == TimerKind.AGING:
                    acted += self._on_aging(subject, token, now)
                elif kind == TimerKind.COOLDOWN_END:
                    acted += self._on_cooldown_end(subject, token, other, now, cooled)
            waiting = [s for s in cooled.values() if s.queue_key is not None]
            for state in sorted(waiting, key=lambda s: s.queue_key or ()):
                if state.state is ItemState.QUEUED and state.queue_key is not None:
                    self._place_queued(state, now)
            for _at, _seq, kind, subject, token, _other in due:
                if kind == TimerKind.OFFER_TIMEOUT:
                    acted += self._on_offer_timeout(subject, token, now)
                elif kind == TimerKind.OFFLINE_GRACE:
                    acted += self._on_grace_end(subject, token, now)
        self._flush()
        return acted

    # ------------------------------------------------------------------ queries

    def load(self, agent_id: str) -> int:
        """The agent's load: offered + accepted (+ pinned when counted) weights. O(1).

        Raises:
            NotFound: If the agent is unknown.
        """
        return self._agent(agent_id).load

    def presence(self, agent_id: str) -> Presence:
        """The agent's presence. O(1)."""
        return self._agent(agent_id).presence

    def agent(self, agent_id: str) -> AgentStatus:
        """A snapshot of one agent. O(w) for ``w`` items it holds."""
        state = self._agent(agent_id)
        return AgentStatus(
            agent=state.agent,
            presence=state.presence,
            load=state.load,
            offered=tuple(sorted(state.offered)),
            accepted=tuple(sorted(state.accepted)),
            pinned=tuple(sorted(state.pinned)),
        )

    def agents(self) -> list[AgentStatus]:
        """Snapshots of every agent, by id."""
        return [self.agent(agent_id) for agent_id in sorted(self._agents)]

    def state_of(self, item_id: str) -> ItemState:
        """Where the item is: queued, offered, accepted or pinned. O(1).

        Raises:
            NotFound: If the item is unknown (never submitted, or released).
        """
        return self._item(item_id).state

    def owner_of(self, item_id: str) -> str | None:
        """The agent the item is offered, accepted or pinned to, or ``None`` when queued."""
        return self._item(item_id).agent_id

    def item(self, item_id: str) -> ItemStatus:
        """A snapshot of one item. O(d) for ``d`` agents who declined it."""
        state = self._item(item_id)
        return ItemStatus(
            item=state.item,
            state=state.state,
            agent_id=state.agent_id,
            priority=state.priority,
            created_at=state.created_at,
            offered_at=state.offered_at,
            deadline=state.deadline,
            declined_by=tuple(sorted(state.declined)),
            override=state.override,
        )

    def items(self) -> list[ItemStatus]:
        """Snapshots of every item in the router, by id."""
        return [self.item(item_id) for item_id in sorted(self._items)]

    def queue(self) -> list[QueueEntry]:
        """Awaiting Assignment, in service order (priority, then original age). O(q log g)."""
        entries = []
        for key in self._queue.ordered():
            state = self._items[key[3]]
            assert state.queued_at is not None
            entries.append(
                QueueEntry(
                    item_id=state.item.id,
                    priority=state.priority,
                    created_at=state.created_at,
                    queued_at=state.queued_at,
                    stage=state.item.stage,
                    skills=state.item.skills,
                    weight=state.item.weight,
                )
            )
        return entries

    def queue_length(self) -> int:
        """Items Awaiting Assignment. O(1)."""
        return len(self._queue)

    def explain(self, item_id: str) -> Decision:
        """The latest routing decision about an item. O(1).

        Raises:
            NotFound: If the item is unknown.
        """
        state = self._item(item_id)
        assert state.decision is not None  # every item in the router was routed once
        return self._materialize(item_id, state.decision)

    def decisions(self, item_id: str) -> tuple[Decision, ...]:
        """Every routing decision about an item since it was submitted at this step."""
        state = self._item(item_id)
        records = [*(state.earlier or ()), state.decision]
        return tuple(self._materialize(item_id, r) for r in records if r is not None)

    def metrics(self, agent_ids: Iterable[str] | None = None) -> RoutingMetrics:
        """Load balance among comparable agents, and the queue per priority. O(n + q).

        Args:
            agent_ids: The agents to compare; by default every Available agent.

        Raises:
            NotFound: If an agent id is unknown.
        """
        if agent_ids is None:
            states = [s for s in self._agents.values() if s.presence is Presence.AVAILABLE]
        else:
            states = [self._agent(agent_id) for agent_id in agent_ids]
        loads = {s.agent.id: s.load for s in states}
        ratios = {s.agent.id: s.load / s.agent.capacity for s in states}
        spread = max(ratios.values()) - min(ratios.values()) if len(ratios) > 1 else 0.0
        now = self.clock.now()
        lengths = dict.fromkeys(Priority, 0)
        oldest: dict[Priority, datetime] = {}
        for key in self._queue.ordered():
            state = self._items[key[3]]
            lengths[state.priority] += 1
            if state.priority not in oldest or state.created_at < oldest[state.priority]:
                oldest[state.priority] = state.created_at
        queue = {
            p: QueueStats(lengths[p], now - oldest[p] if p in oldest else None) for p in Priority
        }
        return RoutingMetrics(
            loads=loads,
            load_ratios=ratios,
            spread=spread,
            jain=jain_index(ratios.values()),
            queue=queue,
        )

    def next_deadline(self) -> datetime | None:
        """The earliest pending deadline, for simulations deciding when to :meth:`tick`.

        It may belong to an offer already answered; ticking then does nothing.
        """
        return self._timers.next_at()

    def is_eligible(self, item_id: str, agent_id: str) -> bool:
        """Whether the agent could be offered the item now (ignoring whether it already is).

        Available, holds every required skill at its minimum level, has room for the item's
        weight, and has not declined or timed out on it within the cool-down.
        """
        state = self._item(item_id)
        agent = self._agent(agent_id)
        held = self._held_weight(agent, state)
        return agent.presence is Presence.AVAILABLE and self._eligible(
            agent, state, self.clock.now(), extra_room=held
        )

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return (
            f"Router(policy={self.policy.name!r}, agents={len(self._agents)}, "
            f"items={len(self._items)}, queued={len(self._queue)})"
        )

    def to_records(self, table: str = "agents") -> list[dict[str, object]]:
        """Flat records of ``"agents"``, ``"items"`` or ``"queue"``, e.g. for a DataFrame.

        Raises:
            ValidationError: For another table name.
        """
        if table == "agents":
            return agent_records(self)
        if table == "items":
            return item_records(self)
        if table == "queue":
            return [attrs.asdict(entry, recurse=False) for entry in self.queue()]
        raise ValidationError(f"unknown table {table!r}; allowed: agents, items, queue")

    def to_dataframe(self, table: str = "agents") -> pd.DataFrame:
        """:meth:`to_records` as a pandas DataFrame.

        Raises:
            MissingExtra: pandas is not installed.
            ValidationError: For an unknown table.
        """
        return to_dataframe(self.to_records(table), what=f"router {table}")

    def _repr_html_(self) -> str:
        return router_html(self)

    # ------------------------------------------------------------------ internals: lookup

    def _token(self) -> int:
        self._tokens += 1
        return self._tokens

    def _agent(self, agent_id: str) -> _AgentState:
        try:
            return self._agents[agent_id]
        except (KeyError, TypeError):
            raise NotFound(
                f"no agent {agent_id!r}; registered: {allowed_list(list(self._agents)[:10])}"
                + (" ..." if len(self._agents) > 10 else "")
            ) from None

    def _item(self, item_id: str) -> _ItemState:
        try:
            return self._items[item_id]
        except (KeyError, TypeError):
            raise NotFound(
                f"no work item {item_id!r} in the router (never submitted, or released)"
            ) from None

    @staticmethod
    def _check_presence(presence: object) -> None:
        if not isinstance(presence, Presence):
            raise ValidationError(
                f"presence must be a Presence, got {presence!r}; allowed: {allowed_list(Presence)}"
            )

    def _check_weight(self, item: WorkItem) -> None:
        if self._agents and item.weight > self._max_capacity:
            raise ValidationError(
                f"work item {item.id} weighs {item.weight}, above every agent's capacity "
                f"(largest {self._max_capacity}); no agent could ever take it"
            )

    def _new_item(self, item: WorkItem, now: datetime) -> _ItemState:
        if not isinstance(item, WorkItem):
            raise ValidationError(f"expected a WorkItem, got {item!r}")
        if item.id in self._items:
            raise AlreadyExists(
                f"work item {item.id} is already in the router ({self._items[item.id].state.value})"
            )
        self._check_weight(item)
        return self._item_state(item, item.created_at or now)

    def _item_state(self, item: WorkItem, created_at: datetime) -> _ItemState:
        group = frozenset(item.skills)
        group = self._groups.setdefault(group, group)  # one set per distinct skill set
        self._seq += 1
        return _ItemState(item, created_at, self._seq, self._index.need(item.skills), group)

    @staticmethod
    def _require_offer(state: _ItemState, agent_id: str, verb: str) -> None:
        if state.state is not ItemState.OFFERED or state.agent_id != agent_id:
            where = state.state.value + (f" to {state.agent_id}" if state.agent_id else "")
            raise OfferNotPending(
                f"cannot {verb} {state.item.id} as {agent_id}: it is not offered to {agent_id} "
                f"(it is {where}; the offer was withdrawn, expired or made to someone else)"
            )

    # ------------------------------------------------------------------ internals: indexes

    def _score(self, agent: _AgentState) -> Any:
        fast = self._fast_score
        if fast == 1:
            return agent.load
        if fast == 2:
            return agent.load - agent.agent.capacity
        return self.policy.score(
            AgentView(agent.agent.id, agent.agent.skills, agent.agent.capacity, agent.load)
        )

    def _unindex(self, agent: _AgentState) -> None:
        if agent.indexed:
            self._index.remove(agent.agent.id)
            agent.indexed = False

    def _reindex(self, agent: _AgentState) -> None:
        if agent.presence is Presence.AVAILABLE and agent.load < agent.agent.capacity:
            score = agent.score = self._score(agent)
            rank = (
                (score << SEQ_BITS) | agent.last_offer_seq
                if type(score) is int
                else (score, agent.last_offer_seq)
            )
            self._index.insert(agent.agent.id, rank, agent.grades, agent.names)
            agent.indexed = True

    def _set_load(self, agent: _AgentState, delta: int) -> None:
        self._unindex(agent)
        agent.load += delta
        self._reindex(agent)

    # ------------------------------------------------------------------ internals: eligibility

    def _eligible(
        self, agent: _AgentState, state: _ItemState, now: datetime, extra_room: int = 0
    ) -> bool:
        item = state.item
        if agent.load - extra_room + item.weight > agent.agent.capacity:
            return False
        if agent.grades & state.needs != state.needs:
            return False
        if state.declined and agent.agent.id in state.declined:
            until = state.declined[agent.agent.id]
            if until is _FOREVER or until > now:
                return False
        return True

    def _held_weight(self, agent: _AgentState, state: _ItemState) -> int:
        if state.agent_id != agent.agent.id:
            return 0
        if state.state is ItemState.PINNED and not self.count_pins:
            return 0
        return state.item.weight

    def _find(self, state: _ItemState, now: datetime) -> _Search:
        """Return the best two eligible agents, agents examined, pool size and eligible count.

        Walks the pool (the index of the item's rarest skill) in preference order, filtering
        on skills in C; only agents holding every required skill are looked at in Python
        (room for the weight, decline memory). Stops at the second eligible agent (the
        runner-up, for the tie-break) unless :attr:`ExplainDetail.FULL` asks for a count.
        """
        pool = self._index.pool(state.item.skills)
        found: list[_AgentState] = []
        examined = 0
        agents = self._agents
        index = self._index
        full = self.explain_detail is ExplainDetail.FULL
        eligible = 0
        weight = state.item.weight
        declined = state.declined
        for key in index.holding(pool, state.needs):
            agent_id = index.agent_of(key)
            agent = agents[agent_id]
            examined += 1
            if agent.load + weight > agent.agent.capacity:
                continue
            if declined and agent_id in declined:
                until = declined[agent_id]
                if until is _FOREVER or until > now:
                    continue
            eligible += 1
            if len(found) < 2:
                found.append(agent)
            if len(found) == 2 and not full:
                break
        return found, examined, len(pool), (eligible if full else None)

    # ------------------------------------------------------------------ internals: moves

    def _decision(
        self,
        state: _ItemState,
        now: datetime,
        chosen: _AgentState | None,
        search: _Search,
        reason: str | None = None,
    ) -> _Record:
        found, examined, pool, eligible = search
        runner = found[1] if len(found) > 1 else None
        if chosen is None or runner is None:
            tie = TieBreak.NONE
        elif chosen.score != runner.score:
            tie = TieBreak.SCORE
        elif chosen.last_offer_seq != runner.last_offer_seq:
            tie = TieBreak.LONGEST_SINCE_OFFER
        else:
            tie = TieBreak.AGENT_ID
        if chosen is None:
            return (now, Outcome.QUEUED.value, None, None, None, None, tie.value, examined, pool,
                    eligible, reason)  # fmt: skip
        return (
            now, Outcome.OFFERED.value, chosen.agent.id, chosen.score,
            runner.agent.id if runner else None, runner.score if runner else None,
            tie.value, examined, pool, eligible, reason,
        )  # fmt: skip

    def _materialize(self, item_id: str, record: _Record) -> Decision:
        """A recorded decision as a :class:`Decision`, with its sentence for people. O(1)."""
        at, outcome, agent_id, score, runner, runner_score, tie, examined, pool, eligible, why = (
            record
        )
        if why is None:
            if agent_id is None:
                why = (
                    f"no eligible agent has room for {item_id} "
                    f"({examined} of {pool} candidates examined); it waits in Awaiting Assignment"
                )
            else:
                why = f"offered to {agent_id} ({self.policy.name}, score {score})" + (
                    f"; runner-up {runner} lost on {tie}" if runner else ""
                )
        return Decision(
            item_id=item_id,
            at=at,
            outcome=Outcome(outcome),
            agent_id=agent_id,
            score=score,
            runner_up=runner,
            runner_up_score=runner_score,
            tie_break=TieBreak(tie),
            examined=examined,
            pool=pool,
            eligible=eligible,
            policy=self.policy.name,
            reason=why,
        )

    @staticmethod
    def _record(state: _ItemState, record: _Record) -> None:
        if state.decision is not None:
            if state.earlier is None:
                state.earlier = [state.decision]
            else:
                state.earlier.append(state.decision)
        state.decision = record

    def _route(self, state: _ItemState, now: datetime) -> Offer | None:
        search = self._find(state, now)
        found, examined, pool, _ = search
        if found:
            decision = self._decision(state, now, found[0], search)
            return self._offer(state, found[0], now, decision)
        decision = self._decision(state, now, None, (found, examined, pool, 0))
        self._enqueue(state, now, decision)
        return None

    def _place_queued(
        self, state: _ItemState, now: datetime, search: _Search | None = None
    ) -> Offer | None:
        if search is None:
            search = self._find(state, now)
        if not search[0]:
            return None
        self._dequeue(state)
        return self._offer(
            state, search[0][0], now, self._decision(state, now, search[0][0], search)
        )

    def _enqueue(self, state: _ItemState, now: datetime, decision: _Record) -> None:
        state.state = ItemState.QUEUED
        state.agent_id = None
        state.offered_at = None
        state.deadline = None
        state.queued_at = now
        state.aged_at = now
        state.queue_token = self._token()
        state.queue_key = (-state.priority.rank, state.created_at, state.seq, state.item.id)
        self._queue.add(state.group, state.queue_key)
        self._record(state, decision)
        self._emit(EventKind.QUEUED, state.item.id, None, now, state.priority.value)
        if self.aging is not None and state.priority < self.aging.cap:
            self._timers.push(
                now + self.aging.every, TimerKind.AGING, state.item.id, state.queue_token
            )

    def _dequeue(self, state: _ItemState) -> None:
        assert state.queue_key is not None
        self._queue.remove(state.group, state.queue_key)
        state.queue_key = None
        state.queued_at = None
        if self.aging is not None:  # its aging timer no longer matters
            self._timers.cancelled(self._timer_live)

    def _offer(
        self, state: _ItemState, agent: _AgentState, now: datetime, decision: _Record
    ) -> Offer:
        self._record(state, decision)
        state.state = ItemState.OFFERED
        state.agent_id = agent.agent.id
        state.offered_at = now
        state.offer_token = self._token()
        state.deadline = None if self.push_timeout is None else now + self.push_timeout
        agent.offered.add(state.item.id)
        self._unindex(agent)
        agent.load += state.item.weight
        self._offer_seq += 1
        agent.last_offer_seq = self._offer_seq
        self._reindex(agent)
        self._emit(EventKind.OFFERED, state.item.id, agent.agent.id, now)
        if agent.agent.auto_accept:
            self._accept(state, now)
            return Offer(state.item.id, agent.agent.id, now, None, accepted=True)
        if state.deadline is not None:
            self._timers.push(
                state.deadline, TimerKind.OFFER_TIMEOUT, state.item.id, state.offer_token
            )
        return Offer(state.item.id, agent.agent.id, now, state.deadline)

    def _offer_of(self, state: _ItemState) -> Offer | None:
        if state.agent_id is None or state.offered_at is None:
            return None
        return Offer(
            state.item.id,
            state.agent_id,
            state.offered_at,
            state.deadline,
            accepted=state.state is ItemState.ACCEPTED,
        )

    def _accept(self, state: _ItemState, now: datetime) -> None:
        assert state.agent_id is not None
        agent = self._agents[state.agent_id]
        agent.offered.discard(state.item.id)
        agent.accepted.add(state.item.id)
        state.state = ItemState.ACCEPTED
        if state.deadline is not None:
            state.deadline = None
            self._timers.cancelled(self._timer_live)  # its offer timeout
        self._emit(EventKind.ACCEPTED, state.item.id, agent.agent.id, now)

    def _detach(self, state: _ItemState) -> _AgentState | None:
        """Take the item off its queue or agent; return the agent whose load dropped."""
        if state.state is ItemState.QUEUED:
            if state.queue_key is not None:
                self._dequeue(state)
            return None
        assert state.agent_id is not None
        agent = self._agents[state.agent_id]
        item_id = state.item.id
        weight = state.item.weight
        if state.state is ItemState.PINNED:
            agent.pinned.discard(item_id)
            if not self.count_pins:
                weight = 0
        else:
            agent.offered.discard(item_id)
            agent.accepted.discard(item_id)
            if state.deadline is not None:  # the offer's timeout no longer matters
                self._timers.cancelled(self._timer_live)
        if weight:
            self._set_load(agent, -weight)
        state.state = ItemState.QUEUED
        state.agent_id = None
        state.offered_at = None
        state.deadline = None
        state.override = False
        return agent

    def _refuse(self, state: _ItemState, agent: _AgentState, now: datetime) -> Offer | None:
        """A decline or a timeout: remember it, re-route the item, serve the freed agent."""
        self._detach(state)
        until = _FOREVER if self.cooldown is None else now + self.cooldown
        state.declined[agent.agent.id] = until
        if until is not None:
            self._timers.push(
                until, TimerKind.COOLDOWN_END, state.item.id, state.seq, agent.agent.id
            )
        offer = self._route(state, now)
        self._serve(agent, now)
        return offer

    def _withdraw_all(self, agent: _AgentState, now: datetime) -> None:
        for item_id in sorted(agent.offered, key=lambda i: self._items[i].seq):
            state = self._items[item_id]
            self._detach(state)
            self._emit(EventKind.WITHDRAWN, item_id, agent.agent.id, now)
            self._route(state, now)

    def _change_presence(self, agent: _AgentState, presence: Presence, now: datetime) -> None:
        self._unindex(agent)
        agent.presence = presence
        agent.offline_token = self._token()
        self._reindex(agent)
        self._emit(EventKind.PRESENCE_CHANGED, None, agent.agent.id, now, presence.value)
        if presence is Presence.AVAILABLE:
            self._serve(agent, now)
        elif presence is Presence.OFFLINE and agent.offered:
            if self.offline_grace:
                self._timers.push(
                    now + self.offline_grace,
                    TimerKind.OFFLINE_GRACE,
                    agent.agent.id,
                    agent.offline_token,
                )
            else:
                self._withdraw_all(agent, now)

    def _serve(self, agent: _AgentState, now: datetime) -> None:
        """Offer the agent waiting items it can take, best first, while it has room.

        Only this agent gained room, so by the work-conserving invariant no other agent is
        eligible for any waiting item: each item placed here goes to this agent.
        """
        if not agent.indexed or not self._queue:
            return
        heap: list[tuple[QueueKey, int, Any]] = []
        for order, entries in enumerate(self._queue.groups_within(agent.names)):
            head = self._first_eligible(agent, entries, 0, now)
            if head is not None:
                heap.append((entries[head], order, entries))
        heapq.heapify(heap)
        while heap and agent.indexed:
            key, order, entries = heapq.heappop(heap)
            state = self._items[key[3]]
            position = entries.index(key)
            if self._eligible(agent, state, now):
                self._dequeue(state)
                decision = self._decision(
                    state,
                    now,
                    agent,
                    ([agent], 1, 1, 1 if self.explain_detail is ExplainDetail.FULL else None),
                    reason=f"{agent.agent.id} gained room; it is the only eligible agent with "
                    f"room for this waiting item",
                )
                self._offer(state, agent, now, decision)
                nxt = self._first_eligible(agent, entries, position, now) if entries else None
            else:
                nxt = self._first_eligible(agent, entries, position + 1, now)
            if nxt is not None and agent.indexed:
                heapq.heappush(heap, (entries[nxt], order, entries))

    def _waiting_ahead(self, agent: _AgentState, state: _ItemState, now: datetime) -> bool:
        """Whether a queued item served before ``state`` is eligible for ``agent``. O(g + m)."""
        key = state.queue_key
        for entries in self._queue.groups_within(agent.names):
            head = self._first_eligible(agent, entries, 0, now)
            if head is not None and key is not None and entries[head] < key:
                return True
        return False

    def _first_eligible(
        self, agent: _AgentState, entries: Any, start: int, now: datetime
    ) -> int | None:
        items = self._items
        for position in range(start, len(entries)):
            if self._eligible(agent, items[entries[position][3]], now):
                return position
        return None

    # ------------------------------------------------------------------ internals: timers

    def _timer_live(self, timer: Timer) -> bool:
        """Whether a timer still matters (its handler would act on it). O(1)."""
        _at, _seq, kind, subject, token, other = timer
        if kind == TimerKind.OFFER_TIMEOUT:
            return self._timed_offer(subject, token) is not None
        if kind == TimerKind.OFFLINE_GRACE:
            return self._graced_agent(subject, token) is not None
        if kind == TimerKind.COOLDOWN_END:
            return self._cooling_item(subject, token, other) is not None
        return self._aging_item(subject, token) is not None

    def _timed_offer(self, item_id: str, token: int) -> _ItemState | None:
        state = self._items.get(item_id)
        if state is None or state.state is not ItemState.OFFERED or state.offer_token != token:
            return None
        return state

    def _graced_agent(self, agent_id: str, token: int) -> _AgentState | None:
        agent = self._agents.get(agent_id)
        if agent is None or agent.offline_token != token or agent.presence is not Presence.OFFLINE:
            return None
        return agent

    def _cooling_item(self, item_id: str, seq: int, agent_id: str) -> _ItemState | None:
        state = self._items.get(item_id)
        if state is None or state.seq != seq or agent_id not in state.declined:
            return None
        return state

    def _aging_item(self, item_id: str, token: int) -> _ItemState | None:
        state = self._items.get(item_id)
        if (
            self.aging is None
            or state is None
            or state.queue_token != token
            or state.queue_key is None
            or state.aged_at is None
        ):
            return None
        return state

    def _on_offer_timeout(self, item_id: str, token: int, now: datetime) -> int:
        state = self._timed_offer(item_id, token)
        if state is None:
            return 0
        assert state.agent_id is not None
        agent = self._agents[state.agent_id]
        self._emit(EventKind.OFFER_TIMED_OUT, item_id, agent.agent.id, now)
        self._refuse(state, agent, now)
        return 1

    def _on_grace_end(self, agent_id: str, token: int, now: datetime) -> int:
        agent = self._graced_agent(agent_id, token)
        if agent is None:
            return 0
        self._withdraw_all(agent, now)
        return 1

    def _on_cooldown_end(
        self,
        item_id: str,
        seq: int,
        agent_id: str,
        now: datetime,
        cooled: dict[str, _ItemState],
    ) -> int:
        state = self._cooling_item(item_id, seq, agent_id)
        if state is None:
            return 0
        until = state.declined[agent_id]
        if until is None or until > now:
            return 0
        del state.declined[agent_id]
        if state.state is ItemState.QUEUED and state.queue_key is not None:
            cooled[item_id] = state
        return 1

    def _on_aging(self, item_id: str, token: int, now: datetime) -> int:
        state = self._aging_item(item_id, token)
        aging = self.aging
        if state is None or aging is None or state.aged_at is None or state.queue_key is None:
            return 0
        steps = (now - state.aged_at) // aging.every
        state.aged_at += aging.every * steps
        target = min(state.priority.raised(steps), aging.cap)
        if target > state.priority:
            self._queue.remove(state.group, state.queue_key)
            state.priority = target
            state.queue_key = (-target.rank, state.created_at, state.seq, item_id)
            self._queue.add(state.group, state.queue_key)
            self._emit(EventKind.PRIORITY_RAISED, item_id, None, now, target.value)
        if state.priority < aging.cap:
            self._timers.push(state.aged_at + aging.every, TimerKind.AGING, item_id, token)
        return 1
