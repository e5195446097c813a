"""The skills-based router: offers, capacity, presence, the queue, pins and fairness.

Costs, for ``n`` agents Available with room, ``s`` skills per agent, ``r`` skills per item,
``k`` agents walked before an eligible one is met (about ``1 / P(eligible | rarest skill)``,
independent of ``n``), ``g`` groups of queued skill sets and ``q`` queued items; ``u`` is
moving an agent in one skill's index: O(log b + B) in C for ``b`` buckets of at most ``B``
keys with the built-in policies (see `casekit.routing.index`), O(log n) for a custom policy's
tuple scores:

==============================  ==========================================================
operation                        cost
==============================  ==========================================================
submit (offered)                 O(r + k + s·u)
submit (queued)                  O(r + pool + log q) — the whole pool of the rarest skill
                                 is walked to prove nobody eligible has room
accept                           O(1)
decline / timeout / release      O(s·u) + a re-route + serving the freed agent
serve a freed agent              O(g + m log q) for ``m`` queued items looked at
set_presence / set_skills        O(s·u) + serving the agent
set_capacity                     O(s·u) + serving the agent
set_channels                     O(c) for ``c`` channels + serving the agent
set_work_status                  O(s·u) when the item starts or stops counting, + serving
                                 the agent when it stops; O(1) otherwise
tick                             O(log t) per due timer + what each timer does
load, state_of, explain          O(1)
queue()                          O(q log g)
metrics()                        O(n + q)
==============================  ==========================================================

Every public operation validates its input before it changes anything, so a refused call
leaves the router exactly as it was.

This module holds the public face: the [`Router`][] with its configuration, subscribers and
commands. The rest of the class lives in private modules named for their jobs, as mixins
sharing the attributes ``_core._RouterCore`` declares: ``_records`` (the values it returns and
the state it keeps), ``_matching`` (eligibility, the best agent, the load index),
``_placement`` (offers, the queue, answers, decisions), ``_deadlines`` (timeouts, grace,
cool-downs, aging) and ``_views`` (queries, explanations, metrics, notebook views).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

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
from casekit.priority import Priority
from casekit.routing._deadlines import _Deadlines
from casekit.routing._matching import _Matching
from casekit.routing._placement import _Placement
from casekit.routing._records import (
    _FOREVER,
    AgentStatus,
    Aging,
    ItemStatus,
    Offer,
    QueueEntry,
    _AgentState,
    _ItemState,
)
from casekit.routing._views import _Views
from casekit.routing.events import EventKind, RoutingEvent, Subscriber
from casekit.routing.explain import ExplainDetail, Outcome, TieBreak
from casekit.routing.index import AgentIndex
from casekit.routing.model import (
    Agent,
    CapacityModel,
    ItemState,
    Presence,
    StatusBased,
    TabBased,
    WorkItem,
    check_channels,
    check_skills,
)
from casekit.routing.policy import (
    LeastActive,
    MostAvailable,
    RoutingModel,
    RoutingPolicy,
    policy_for,
)
from casekit.routing.queue import AwaitingQueue
from casekit.routing.timers import TimerKind, Timers

__all__ = ["AgentStatus", "Aging", "ItemStatus", "Offer", "QueueEntry", "Router"]

logger = logging.getLogger(__name__)


class Router(_Views, _Deadlines, _Placement, _Matching):
    """Routes work items to agents by skills, capacity and presence.

    Args:
        model: A built-in [`RoutingModel`][] or a custom [`RoutingPolicy`][].
        push_timeout: How long an agent has to answer an offer; ``None`` for no timeout.
        clock: The clock every timestamp and deadline comes from.
        cooldown: How long a decline (or a timeout) keeps the item from that agent; ``None``
            (the default) means for as long as the item is in the router.
        offline_grace: How long after going Offline an agent's pending offers are withdrawn.
        count_pins: Whether manual assignments count towards load (default ``True``).
        aging: Optional priority aging of waiting items.
        explain: How much each decision records (see [`ExplainDetail`][]).
        capacity_model: When held work counts against capacity: [`TabBased`][] (the
            default: until it is released) or [`StatusBased`][] (accepted and pinned work
            only while its work status is a counted one; see [`set_work_status`][]).

    Raises:
        ValidationError: For a non-positive timeout or cool-down, a negative grace, or a
            capacity model that is neither.
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
        capacity_model: CapacityModel = TabBased(),  # noqa: B008  a frozen value, shared
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
        if not isinstance(capacity_model, TabBased | StatusBased):
            raise ValidationError(
                f"capacity_model of a router must be TabBased() or StatusBased(counted=..., "
                f"initial=...), got {capacity_model!r:.80}"
            )
        self.policy = policy_for(model)
        self.push_timeout = push_timeout
        self.clock = clock
        self.cooldown = cooldown
        self.offline_grace = offline_grace
        self.count_pins = count_pins
        self.aging = aging
        self.explain_detail = explain
        self.capacity_model = capacity_model
        self._counted: frozenset[str] = frozenset()
        self._initial: str | None = None
        if isinstance(capacity_model, StatusBased):
            self._counted = capacity_model.counted
            self._initial = capacity_model.initial
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
        self._removed = 0  # items taken out since the item table was last compacted
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
        """Register an agent (Offline unless ``presence`` says otherwise). O(s·u).

        Raises:
            AlreadyExists: If an agent with this id is registered.
            ValidationError: If ``agent`` is not an [`Agent`][] or presence not a Presence.
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
            ValidationError: If ``presence`` is not a [`Presence`][].
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

    def set_channels(self, agent_id: str, channels: Mapping[str, int]) -> None:
        """Replace an agent's channels (channel → units); room it gains is filled at once.

        Empty channels remove every per-channel limit (the agent takes items of any channel
        within its capacity). Units below what the agent holds of a channel are allowed:
        the work stays, the channel just gets no new offers until it is below its units
        again; a channel dropped likewise keeps its work. Waiting items the agent can now
        take are offered at once (work-conserving). Setting the channels it has is a no-op.
        Emits ``EventKind.CHANNELS_CHANGED`` (detail: ``"name=units, ..."`` by name, or
        ``"none"``). Cost: O(c) for ``c`` channels, + serving the agent.

        Raises:
            NotFound: If the agent is unknown.
            ValidationError: If ``channels`` is not a mapping of non-blank channel names to
                positive integer units.
        """
        state = self._agent(agent_id)
        checked = check_channels(channels, owner=f"agent {agent_id}")
        if dict(checked) == dict(state.agent.channels):
            return
        now = self.clock.now()
        state.agent = attrs.evolve(state.agent, channels=checked)
        state.limits = dict(checked) or None
        self._emit(
            EventKind.CHANNELS_CHANGED,
            None,
            agent_id,
            now,
            ", ".join(f"{k}={v}" for k, v in sorted(checked.items())) or "none",
        )
        self._serve(state, now)
        self._flush()

    # ------------------------------------------------------------------ items

    def submit(self, item: WorkItem) -> Offer | None:
        """Route a new item: offer it to the best eligible agent, or queue it.

        Cost: O(r + k + s·u) when offered (see the module's table); when queued, the pool of
        the item's rarest skill is walked once.

        Returns:
            The offer, or ``None`` when the item was queued in Awaiting Assignment.

        Raises:
            ValidationError: If ``item`` is not a [`WorkItem`][], or its weight is above
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
        self._forget(item_id)
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
        keep_declines: bool = False,
    ) -> Offer | None:
        """Release an item at one step and submit it at the next with that step's skills.

        The item keeps its original age (its place in the queue order) and its channel;
        declines at the old step are forgotten, unless ``keep_declines``: then an agent who
        declined it (or let an offer time out) stays passed over until its cool-down ends —
        for a change of requirement within one step, as an escalation ladder's rung makes,
        where a decline still stands. A pin ends with the step.

        Returns:
            The offer at the new step, or ``None`` when it was queued.

        Raises:
            NotFound: If the item is unknown.
            ValidationError: If the new step's name, skills, priority or weight are invalid,
                or ``keep_declines`` is not a bool.
        """
        check_text(stage, what=f"the stage work item {item_id!r} advances to")
        if type(keep_declines) is not bool:
            raise ValidationError(
                f"keep_declines for advancing work item {item_id!r} must be True or False, "
                f"got {keep_declines!r}"
            )
        state = self._item(item_id)
        new = WorkItem(
            id=item_id,
            skills=skills,
            priority=state.priority if priority is None else priority,
            weight=state.item.weight if weight is None else weight,
            stage=stage,
            created_at=state.created_at,
            channel=state.item.channel,
        )
        self._check_weight(new)
        now = self.clock.now()
        holder = self._detach(state)
        self._forget(item_id)
        self._emit(
            EventKind.RELEASED,
            item_id,
            holder.agent.id if holder else None,
            now,
            f"to {stage}; declines kept" if keep_declines else f"to {stage}",
        )
        fresh = self._item_state(new, state.created_at)
        self._items[item_id] = fresh
        if keep_declines:
            self._carry_declines(state, fresh, now)
        if holder is not None:
            self._serve(holder, now)
        offer = self._route(fresh, now)
        self._flush()
        return offer

    def _carry_declines(self, old: _ItemState, fresh: _ItemState, now: datetime) -> None:
        """Give ``fresh`` the declines of ``old`` still in force, with their cool-downs. O(d).

        A cool-down's end is a timer naming the item's state (its sequence number), so each
        decline still cooling gets its timer again under the new state; a decline whose
        cool-down has passed no longer matters and is dropped.
        """
        for agent_id, until in old.declined.items():
            if until is _FOREVER:  # no cool-down: remembered while the item is here
                fresh.declined[agent_id] = until
            elif until > now:
                fresh.declined[agent_id] = until
                self._timers.push(until, TimerKind.COOLDOWN_END, fresh.item.id, fresh.seq, agent_id)

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
        self._enqueue(state, now, self._decision(state, now, None, ([], 0, 0, 0, 0)))
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

        Pass a [`WorkItem`][] to pin a new item, or the id of one the router holds (any
        state; a pending offer or another owner is replaced). The pin holds until the item's
        step changes ([`advance`][]), it is requeued, released or unpinned — not when the
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
        channel = state.item.channel
        # A pin starts with the initial work status (a counted one): it counts when pins do.
        # On the same agent it moves from offered/accepted, whose weight may already count.
        added = (weight if self.count_pins else 0) - self._held_weight(agent, state)
        over = agent.load + added > agent.agent.capacity
        if over and not override:
            raise CapacityExceeded(
                f"assigning {state.item.id} (weight {weight}) to {agent_id} would make its load "
                f"{agent.load + added}, above its capacity {agent.agent.capacity}; "
                "pass override=True to assign anyway"
            )
        channel_over = self._channel_over(agent, channel, added)
        if channel_over is not None and not override:
            raise CapacityExceeded(
                f"assigning {state.item.id} (weight {weight}) to {agent_id} would make its "
                f"{channel!r} load {channel_over[0]}, above that channel's {channel_over[1]} "
                "units; pass override=True to assign anyway"
            )
        over = over or channel_over is not None
        if is_new:
            self._items[state.item.id] = state
            holder = None
        else:
            holder = self._detach(state)
        state.state = ItemState.PINNED
        state.agent_id = agent_id
        state.override = over
        state.status = self._initial
        agent.pinned.add(state.item.id)
        if self.count_pins:
            self._charge(agent, channel, weight)
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
        channel = state.item.channel
        # Counted once accepted: unless its work status says otherwise (status-based).
        status = state.status
        counted = weight if status is None or status in self._counted else 0
        added = counted - self._held_weight(agent, state)
        over = added > 0 and agent.load + added > agent.agent.capacity
        if over and not override:
            raise CapacityExceeded(
                f"unpinning {item_id} would count its weight {weight} in {agent.agent.id}'s load "
                f"{agent.load}, above capacity {agent.agent.capacity}; pass override=True"
            )
        channel_over = self._channel_over(agent, channel, added) if added > 0 else None
        if channel_over is not None and not override:
            raise CapacityExceeded(
                f"unpinning {item_id} would count its weight {weight} in {agent.agent.id}'s "
                f"{channel!r} load, making it {channel_over[0]}, above that channel's "
                f"{channel_over[1]} units; pass override=True"
            )
        over = over or channel_over is not None
        now = self.clock.now()
        agent.pinned.discard(item_id)
        agent.accepted.add(item_id)
        if added:
            self._charge(agent, channel, added)
        state.state = ItemState.ACCEPTED
        state.override = state.override or over
        self._emit(EventKind.UNPINNED, item_id, agent.agent.id, now)
        self._flush()

    def set_priority(self, item_id: str, priority: Priority) -> None:
        """Change an item's priority (a case escalated or triaged), keeping its age.

        A queued item moves to its new place in Awaiting Assignment; an offered, accepted or
        pinned item keeps its agent and is requeued at the new priority if it ever returns
        to the queue. Setting the priority it has is a no-op. Emits
        ``EventKind.PRIORITY_CHANGED`` (detail: the new priority). O(log q).

        Raises:
            NotFound: If the item is unknown.
            ValidationError: If ``priority`` is not a Priority.
        """
        state = self._item(item_id)
        if not isinstance(priority, Priority):
            raise ValidationError(
                f"priority of work item {item_id} must be a Priority, got {priority!r}; "
                f"allowed: {allowed_list(p.name for p in Priority)}"
            )
        if state.priority is priority:
            return
        now = self.clock.now()
        if state.queue_key is not None:
            self._queue.remove(state.group, state.queue_key)
            state.priority = priority
            state.queue_key = (-priority.rank, state.created_at, state.seq, item_id)
            self._queue.add(state.group, state.queue_key)
        else:
            state.priority = priority
        self._emit(EventKind.PRIORITY_CHANGED, item_id, state.agent_id, now, priority.value)
        self._flush()

    def set_work_status(self, item_id: str, status: str) -> None:
        """Set the work status of an accepted or pinned item (status-based capacity only).

        Under a [`StatusBased`][] capacity model the item's weight counts against its
        agent's capacity and its channel's units only while ``status`` is one of the
        model's ``counted`` statuses. When it stops counting, the agent's room grows and
        waiting items it can take are offered at once (work-conserving); when it counts
        again the agent's load may go above its capacity or a channel's units (allowed, as
        in Salesforce: the agent gets no offers until it is below again). The status lasts
        while the agent holds the item: a release, requeue, decline or stage change ends
        it, and the next accept or pin starts from the model's ``initial`` status. Setting
        the status the item has is a no-op. Emits ``EventKind.WORK_STATUS_CHANGED``
        (detail: the status). Cost: O(1), + O(s·u) when the item starts or stops counting,
        + serving the agent when it stops.

        Raises:
            NotFound: If the item is unknown.
            ValidationError: If the router's capacity model is tab-based (work statuses do
                not count there), ``status`` is not a non-blank string, or the item is not
                accepted or pinned (queued and offered items have no work status).
        """
        state = self._item(item_id)
        if not isinstance(self.capacity_model, StatusBased):
            raise ValidationError(
                f"cannot set the work status of {item_id}: this router's capacity model is "
                f"{self.capacity_model.name}, where work counts until it is released; work "
                "statuses count only under a status-based model (Router(capacity_model="
                "StatusBased(counted=..., initial=...)))"
            )
        check_text(status, what=f"the work status of work item {item_id}")
        if state.state is not ItemState.ACCEPTED and state.state is not ItemState.PINNED:
            where = state.state.value + (f" to {state.agent_id}" if state.agent_id else "")
            raise ValidationError(
                f"cannot set the work status of {item_id}: it is {where}; only accepted or "
                "pinned work has a work status"
            )
        if state.status == status:
            return
        assert state.agent_id is not None
        agent = self._agents[state.agent_id]
        before = self._held_weight(agent, state)
        state.status = status
        delta = self._held_weight(agent, state) - before
        now = self.clock.now()
        if delta:
            self._charge(agent, state.item.channel, delta)
        self._emit(EventKind.WORK_STATUS_CHANGED, item_id, agent.agent.id, now, status)
        if delta < 0:
            self._serve(agent, now)
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

    # ------------------------------------------------------------------ internals: validation

    @staticmethod
    def _check_presence(presence: object) -> None:
        if not isinstance(presence, Presence):
            raise ValidationError(
                f"presence must be a Presence, got {presence!r}; allowed: {allowed_list(Presence)}"
            )

    @staticmethod
    def _channel_over(
        agent: _AgentState, channel: str | None, added: int
    ) -> tuple[int, int] | None:
        """The channel's load and units if adding ``added`` puts a limited channel over. O(1).

        Only a channel the agent has units for is limited; a pin of another channel is a
        person's decision, like its skills.
        """
        if channel is None or agent.limits is None or channel not in agent.limits:
            return None
        load = agent.channel_loads.get(channel, 0) + added
        units = agent.limits[channel]
        return (load, units) if load > units else None

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

    def _forget(self, item_id: str) -> None:
        """Take an item out of the item table; give memory back as items leave.

        Python dicts never shrink when keys are deleted, and the interned skill sets
        (``_groups``) would keep every set ever seen: once more items have left than remain
        (and at least 1,024), or when none remain, both are rebuilt from the live items —
        O(live) after at least as many removals, so amortized O(1) per item. A router that
        has seen millions of items and holds none is back to the size of its agents.
        """
        items = self._items
        del items[item_id]
        self._removed += 1
        live = len(items)
        if not live or self._removed > live + 1024:
            self._items = dict(items)
            self._groups = {state.group: state.group for state in self._items.values()}
            self._removed = 0

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
