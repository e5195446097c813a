"""Property-testing your routing: strategies, an invariant check and a state machine.

Three tools for people who configure or extend [`casekit.routing.Router`][]:

* Hypothesis strategies of [`agents`][], [`work_items`][] and [`rosters`][];
* [`check_routing_invariants`][], a plain function asserting what casekit promises about a
  router's state at any quiet moment (after an operation, after [`Router.tick`][]);
* [`RouterStateMachine`][], a ``RuleBasedStateMachine`` you subclass to check **your**
  policy or configuration: it drives a router with random agents, presence and skill changes,
  submits, accepts, declines, clock ticks, pins, releases, requeues and stage changes, replays
  every event the router emits into a small model of its own, and checks at every offer that
  the agent was eligible at that moment and was the one the policy ranks first, that the queue
  was served by priority then age, and that no decliner got the item back within the cool-down.

Needs Hypothesis (``pip install casekit[testing]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs
import hypothesis.strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from casekit.clock import ManualClock
from casekit.errors import (
    AlreadyExists,
    CapacityExceeded,
    CasekitError,
    OfferNotPending,
    ValidationError,
)
from casekit.priority import Priority
from casekit.routing import (
    Agent,
    AgentStatus,
    AgentView,
    EventKind,
    ExplainDetail,
    ItemState,
    ItemStatus,
    Outcome,
    Presence,
    QueueEntry,
    Router,
    RoutingEvent,
    RoutingModel,
    TieBreak,
    WorkItem,
    jain_index,
)

__all__ = [
    "ARRIVALS_AND_ANSWERS_ONLY",
    "SKILL_VOCABULARY",
    "STAGES",
    "RouterStateMachine",
    "agents",
    "check_routing_invariants",
    "rosters",
    "work_items",
]

SKILL_VOCABULARY: tuple[str, ...] = ("case_manager", "chaser", "reviewer", "spanish")
"""The default skill names the strategies draw from."""

STAGES: tuple[str, ...] = ("Chaser", "Case Manager", "Reviewer")
"""The default stages of work items."""

ARRIVALS_AND_ANSWERS_ONLY: frozenset[str] = frozenset(
    {"add_agent", "remove_agent", "set_presence", "decline", "tick", "pin", "unpin",
     "release", "requeue", "advance", "set_skills", "set_capacity"}
)  # fmt: skip
"""``RouterStateMachine.disabled_rules`` for a fairness bound: only submits and answers run.

Releases, declines, presence and skill changes and new agents may unbalance any policy that
never moves work already placed, so a fairness bound holds only without them."""


# ---------------------------------------------------------------------------- strategies


def agents(
    *,
    ids: st.SearchStrategy[str] | None = None,
    skills: Sequence[str] = SKILL_VOCABULARY,
    min_skills: int = 1,
    max_level: int = 3,
    min_capacity: int = 1,
    max_capacity: int = 10,
    auto_accept: st.SearchStrategy[bool] | None = None,
) -> st.SearchStrategy[Agent]:
    """A strategy of [`Agent`][] values.

    Args:
        ids: Strategy of agent ids (default ``"a0"`` … ``"a99"``).
        skills: The skill vocabulary; each agent holds a subset of it.
        min_skills: The fewest skills an agent holds.
        max_level: Skill levels are drawn from 1 to this.
        min_capacity: Smallest capacity drawn.
        max_capacity: Largest capacity drawn.
        auto_accept: Strategy of the auto-accept flag (default: false four times in five).

    Returns:
        A strategy of agents.
    """
    id_strategy = ids if ids is not None else st.integers(0, 99).map(lambda n: f"a{n}")
    flags = (
        auto_accept
        if auto_accept is not None
        else st.sampled_from((False, False, False, False, True))
    )
    names = sorted(set(skills))
    return st.builds(
        Agent,
        id=id_strategy,
        skills=st.dictionaries(
            st.sampled_from(names),
            st.integers(1, max_level),
            min_size=min(min_skills, len(names)),
            max_size=len(names),
        ),
        capacity=st.integers(min_capacity, max_capacity),
        auto_accept=flags,
    )


def _skill_ceiling(skills: Mapping[str, int] | Iterable[str] | Iterable[Agent]) -> dict[str, int]:
    if isinstance(skills, Mapping):
        return {str(name): int(level) for name, level in skills.items()}
    ceiling: dict[str, int] = {}
    for entry in skills:
        if isinstance(entry, Agent):
            for name, level in entry.skills.items():
                ceiling[name] = max(ceiling.get(name, 0), level)
        else:
            ceiling[entry] = max(ceiling.get(entry, 0), 1)
    return ceiling


def work_items(
    skills: Mapping[str, int] | Iterable[str] | Iterable[Agent] = SKILL_VOCABULARY,
    *,
    ids: st.SearchStrategy[str] | None = None,
    min_skills: int = 1,
    max_skills: int = 2,
    max_weight: int = 3,
    priorities: st.SearchStrategy[Priority] | None = None,
    stages: Sequence[str | None] = STAGES,
) -> st.SearchStrategy[WorkItem]:
    """A strategy of [`WorkItem`][] values.

    Args:
        skills: Where requirements come from: a vocabulary of skill names (level 1), a mapping
            of skill name to the highest level to require, or agents — requirements are then
            drawn from skills those agents hold, at levels some of them reach.
        ids: Strategy of item ids (default ``"c0"`` … ``"c999"``).
        min_skills: The fewest skills an item needs (0 allows items anyone can take).
        max_skills: The most skills an item needs.
        max_weight: Weights are drawn from 1 to this.
        priorities: Strategy of priorities (default: every priority).
        stages: Stages to draw from.

    Returns:
        A strategy of work items.

    Raises:
        ValueError: If ``skills`` is empty while ``min_skills`` is positive.
    """
    ceiling = _skill_ceiling(skills)
    if not ceiling and min_skills > 0:
        raise ValueError("work_items needs at least one skill to draw requirements from")
    names = sorted(ceiling)
    id_strategy = ids if ids is not None else st.integers(0, 999).map(lambda n: f"c{n}")

    @st.composite
    def requirements(draw: st.DrawFn) -> dict[str, int]:
        if not names:
            return {}
        chosen = draw(
            st.lists(
                st.sampled_from(names),
                min_size=min(min_skills, len(names)),
                max_size=min(max_skills, len(names)),
                unique=True,
            )
        )
        return {name: draw(st.integers(1, ceiling[name])) for name in chosen}

    return st.builds(
        WorkItem,
        id=id_strategy,
        skills=requirements(),
        priority=priorities if priorities is not None else st.sampled_from(list(Priority)),
        weight=st.integers(1, max_weight),
        stage=st.sampled_from(list(stages)) if stages else st.none(),
    )


def rosters(
    *,
    min_size: int = 1,
    max_size: int = 6,
    agent: st.SearchStrategy[Agent] | None = None,
) -> st.SearchStrategy[list[Agent]]:
    """A strategy of lists of agents with distinct ids.

    Args:
        min_size: The fewest agents.
        max_size: The most agents.
        agent: Strategy of one agent (default [`agents`][]).

    Returns:
        A strategy of rosters.
    """
    return st.lists(
        agent if agent is not None else agents(),
        min_size=min_size,
        max_size=max_size,
        unique_by=lambda a: a.id,
    )


# ---------------------------------------------------------------------------- invariants


def check_routing_invariants(router: Router) -> None:
    """Assert what casekit promises about a router's state between operations.

    Call it after any operation, or after [`Router.tick`][] once the clock moved (between a
    clock move and the tick, ended cool-downs may not have been acted on yet). It checks:

    * every item is in exactly one place: one agent's offered, accepted or pinned set, or the
      Awaiting Assignment queue, matching [`Router.item`][];
    * each agent's load is the sum of the weights it holds (pins only when counted);
    * no agent is over capacity unless it holds an item placed by an explicit override;
    * no item is offered to an agent who declined it (or timed out on it) within the cool-down;
    * the queue lists items by priority, then original age;
    * routing is work-conserving: no queued item has an eligible Available agent with room;
    * [`Router.explain`][] agrees with where each item is;
    * [`Router.metrics`][] agrees with the loads and the queue.

    Cost: O(q·n) for ``q`` queued items and ``n`` agents.

    Args:
        router: The router to check.

    Raises:
        AssertionError: Describing the first broken invariant.
    """
    statuses = router.agents()
    items = {status.item.id: status for status in router.items()}
    queue = router.queue()
    queued = [entry.item_id for entry in queue]
    _check_placement(router, statuses, items, queued)
    _check_explain(router, items)
    _check_loads(router, statuses, items)
    keys = [(-entry.priority.rank, entry.created_at) for entry in queue]
    assert keys == sorted(keys), f"the queue is not in priority-then-age order: {queued}"
    available = [a.agent.id for a in statuses if a.presence is Presence.AVAILABLE]
    for item_id in queued:
        for agent_id in available:
            assert not router.is_eligible(item_id, agent_id), (
                f"not work-conserving: {item_id} waits while {agent_id} is eligible and has "
                f"room (load {router.load(agent_id)})"
            )
    _check_metrics(router, statuses, queue)


def _check_placement(
    router: Router,
    statuses: Sequence[AgentStatus],
    items: Mapping[str, ItemStatus],
    queued: Sequence[str],
) -> None:
    """Every item is in exactly one place, and the item and agent views agree."""
    held: dict[str, tuple[str, ItemState]] = {}
    for agent in statuses:
        for state, ids in (
            (ItemState.OFFERED, agent.offered),
            (ItemState.ACCEPTED, agent.accepted),
            (ItemState.PINNED, agent.pinned),
        ):
            for item_id in ids:
                assert item_id not in held, (
                    f"{item_id} is held twice: by {held[item_id]} and {(agent.agent.id, state)}"
                )
                held[item_id] = (agent.agent.id, state)
    assert len(set(queued)) == len(queued), f"an item is queued twice: {queued}"
    both = set(queued) & held.keys()
    assert not both, f"{sorted(both)} are both queued and held by an agent"
    assert set(queued) | held.keys() == items.keys(), (
        f"the agents' sets and the queue hold {sorted(set(queued) | held.keys())}, "
        f"the router knows {sorted(items)}"
    )
    assert len(router) == len(items)
    for item_id, status in items.items():
        if status.state is ItemState.QUEUED:
            assert item_id in queued, (item_id, status)
            assert status.agent_id is None, (item_id, status)
        else:
            assert held.get(item_id) == (status.agent_id, status.state), (
                f"{item_id} is {status.state.value} to {status.agent_id} but the agents say "
                f"{held.get(item_id)}"
            )
        assert router.state_of(item_id) is status.state
        assert router.owner_of(item_id) == status.agent_id
        if status.state is ItemState.OFFERED:
            assert status.agent_id not in status.declined_by, (
                f"{item_id} is offered to {status.agent_id}, who declined it within the cool-down"
            )


def _check_explain(router: Router, items: Mapping[str, ItemStatus]) -> None:
    """The latest decision about each item agrees with where it is."""
    expected = {
        ItemState.QUEUED: Outcome.QUEUED,
        ItemState.OFFERED: Outcome.OFFERED,
        ItemState.PINNED: Outcome.PINNED,
    }
    for item_id, status in items.items():
        decision = router.explain(item_id)
        assert decision.item_id == item_id, decision
        assert decision.agent_id == status.agent_id, (status, decision)
        outcome = expected.get(status.state)
        # An accepted item was offered, or pinned and then unpinned.
        assert outcome is None or decision.outcome is outcome, (status, decision)


def _check_loads(
    router: Router, statuses: Sequence[AgentStatus], items: Mapping[str, ItemStatus]
) -> None:
    """Loads are the weights held; capacity is exceeded only by explicit overrides."""
    for agent in statuses:
        counted = [*agent.offered, *agent.accepted, *(agent.pinned if router.count_pins else ())]
        expected = sum(items[item_id].item.weight for item_id in counted)
        assert agent.load == expected == router.load(agent.agent.id), (
            f"{agent.agent.id}'s load is {agent.load}; the weights it holds sum to {expected}"
        )
        if agent.load > agent.agent.capacity:
            mine = [*agent.offered, *agent.accepted, *agent.pinned]
            assert any(items[item_id].override for item_id in mine), (
                f"{agent.agent.id} holds {agent.load} > capacity {agent.agent.capacity} "
                "without an override"
            )


def _check_metrics(
    router: Router, statuses: Sequence[AgentStatus], queue: Sequence[QueueEntry]
) -> None:
    """[`Router.metrics`][] agrees with the loads and the queue."""
    now = router.clock.now()
    metrics = router.metrics([a.agent.id for a in statuses])
    assert dict(metrics.loads) == {a.agent.id: a.load for a in statuses}
    assert metrics.queue_length == len(queue) == router.queue_length()
    ratios = [a.load_ratio for a in statuses]
    spread = max(ratios) - min(ratios) if len(ratios) > 1 else 0.0
    assert abs(metrics.spread - spread) < 1e-9, (metrics.spread, spread)
    assert abs(metrics.jain - jain_index(ratios)) < 1e-9, (metrics.jain, ratios)
    for priority, stats in metrics.queue.items():
        ages = [now - entry.created_at for entry in queue if entry.priority is priority]
        assert stats.length == len(ages)
        assert stats.oldest_age == (max(ages) if ages else None)


# ---------------------------------------------------------------------------- event model


@attrs.define
class _ModelAgent:
    skills: Mapping[str, int]
    capacity: int
    presence: Presence = Presence.OFFLINE
    load: int = 0
    last_offer: int = 0


@attrs.define
class _ModelItem:
    item: WorkItem
    created_at: datetime
    seq: int
    priority: Priority
    state: ItemState = ItemState.QUEUED
    holder: str | None = None
    declined: dict[str, datetime | None] = attrs.Factory(dict)
    in_queue: bool = False
    offers: int = 0

    def service_key(self) -> tuple[int, datetime, int]:
        return (-self.priority.rank, self.created_at, self.seq)


class _EventModel:
    """Replays a router's events into a model and checks every offer at the moment it is made.

    Subscribed to the router, it sees each event in the order the router made the changes, so
    at an ``offered`` event its model is the router's state just before that offer.
    """

    def __init__(self, router: Router) -> None:
        self.router = router
        self.agents: dict[str, _ModelAgent] = {}
        self.items: dict[str, _ModelItem] = {}
        self.offers = 0
        self.seq = 0
        self.events: list[RoutingEvent] = []
        self.leaving: set[str] = set()  # agents being removed: their offers are re-routed first
        # Declines an item keeps across a change of requirement (``advance(keep_declines=True)``:
        # its release says so), given to the item when it is seen again.
        self.kept: dict[str, dict[str, datetime | None]] = {}

    def on_event(self, event: RoutingEvent) -> None:
        self.events.append(event)
        handler = self._handlers.get(event.kind)
        if handler is not None:
            handler(self, event)

    # -- agents

    def _agent_added(self, event: RoutingEvent) -> None:
        assert event.agent_id is not None
        agent = self.router.agent(event.agent_id).agent
        self.agents[event.agent_id] = _ModelAgent(dict(agent.skills), agent.capacity)

    def _agent_removed(self, event: RoutingEvent) -> None:
        assert event.agent_id is not None
        del self.agents[event.agent_id]
        self.leaving.discard(event.agent_id)

    def _presence(self, event: RoutingEvent) -> None:
        assert event.agent_id is not None
        assert event.detail is not None
        self.agents[event.agent_id].presence = Presence(event.detail)

    def _skills(self, event: RoutingEvent) -> None:
        assert event.agent_id is not None
        self.agents[event.agent_id].skills = dict(self.router.agent(event.agent_id).agent.skills)

    def _capacity(self, event: RoutingEvent) -> None:
        assert event.agent_id is not None
        assert event.detail is not None
        self.agents[event.agent_id].capacity = int(event.detail)

    # -- items

    def _item(self, item_id: str) -> _ModelItem:
        model = self.items.get(item_id)
        if model is None:
            status = self.router.item(item_id)
            self.seq += 1
            model = _ModelItem(status.item, status.created_at, self.seq, status.item.priority)
            model.declined = self.kept.pop(item_id, {})
            self.items[item_id] = model
        return model

    def _weight(self, model: _ModelItem) -> int:
        if model.state is ItemState.PINNED and not self.router.count_pins:
            return 0
        return model.item.weight

    def _detach(self, model: _ModelItem) -> None:
        if model.holder is not None:
            self.agents[model.holder].load -= self._weight(model)
        model.holder = None
        model.in_queue = False
        model.state = ItemState.QUEUED

    def _queued(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        model = self._item(event.item_id)
        assert model.holder is None, (
            f"{event.item_id} queued while held by {model.holder} (an event is missing)"
        )
        model.in_queue = True
        model.state = ItemState.QUEUED

    def _offered(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        assert event.agent_id is not None
        model = self._item(event.item_id)
        assert model.holder is None, (
            f"{event.item_id} offered to {event.agent_id} while held by {model.holder}"
        )
        self.check_offer(model, event.agent_id, event.at)
        model.in_queue = False
        model.state = ItemState.OFFERED
        model.holder = event.agent_id
        agent = self.agents[event.agent_id]
        agent.load += model.item.weight
        self.offers += 1
        agent.last_offer = self.offers

    def _accepted(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        model = self.items[event.item_id]
        assert (model.state, model.holder) == (ItemState.OFFERED, event.agent_id), (
            f"{event.item_id} accepted by {event.agent_id} but it is {model.state.value} "
            f"to {model.holder}"
        )
        model.state = ItemState.ACCEPTED

    def _refused(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        assert event.agent_id is not None
        model = self.items[event.item_id]
        assert (model.state, model.holder) == (ItemState.OFFERED, event.agent_id), (
            f"{event.kind.value}: {event.item_id} by {event.agent_id}, but it is "
            f"{model.state.value} to {model.holder}"
        )
        self._detach(model)
        cooldown = self.router.cooldown
        model.declined[event.agent_id] = None if cooldown is None else event.at + cooldown

    def _withdrawn(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        model = self.items[event.item_id]
        assert (model.state, model.holder) == (ItemState.OFFERED, event.agent_id), (
            f"withdrawn: {event.item_id} from {event.agent_id}, but it is {model.state.value} "
            f"to {model.holder}"
        )
        self._detach(model)

    def _pinned(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        assert event.agent_id is not None
        model = self._item(event.item_id)
        self._detach(model)
        model.state = ItemState.PINNED
        model.holder = event.agent_id
        self.agents[event.agent_id].load += self._weight(model)

    def _unpinned(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        model = self.items[event.item_id]
        assert model.state is ItemState.PINNED
        assert model.holder == event.agent_id
        model.state = ItemState.ACCEPTED
        if not self.router.count_pins and model.holder is not None:
            self.agents[model.holder].load += model.item.weight

    def _released(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        model = self.items.pop(event.item_id)
        assert model.holder == event.agent_id, (event, model.holder)
        self._detach(model)
        if event.detail is not None and event.detail.endswith("; declines kept"):
            self.kept[event.item_id] = {
                agent_id: until
                for agent_id, until in model.declined.items()
                if until is None or until > event.at
            }

    def _requeued(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        model = self.items[event.item_id]
        assert model.holder == event.agent_id, (event, model.holder)
        self._detach(model)

    def _raised(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        assert event.detail is not None
        model = self.items[event.item_id]
        assert model.in_queue, f"{event.item_id} aged while not waiting"
        raised = Priority(event.detail)
        assert raised > model.priority
        aging = self.router.aging
        assert aging is not None
        assert raised <= aging.cap
        model.priority = raised

    def _priority_changed(self, event: RoutingEvent) -> None:
        assert event.item_id is not None
        assert event.detail is not None
        self.items[event.item_id].priority = Priority(event.detail)

    _handlers: ClassVar[dict[EventKind, Callable[[_EventModel, RoutingEvent], None]]] = {
        EventKind.AGENT_ADDED: _agent_added,
        EventKind.AGENT_REMOVED: _agent_removed,
        EventKind.PRESENCE_CHANGED: _presence,
        EventKind.SKILLS_CHANGED: _skills,
        EventKind.CAPACITY_CHANGED: _capacity,
        EventKind.QUEUED: _queued,
        EventKind.OFFERED: _offered,
        EventKind.ACCEPTED: _accepted,
        EventKind.DECLINED: _refused,
        EventKind.OFFER_TIMED_OUT: _refused,
        EventKind.WITHDRAWN: _withdrawn,
        EventKind.PINNED: _pinned,
        EventKind.UNPINNED: _unpinned,
        EventKind.RELEASED: _released,
        EventKind.REQUEUED: _requeued,
        EventKind.PRIORITY_RAISED: _raised,
        EventKind.PRIORITY_CHANGED: _priority_changed,
    }

    # -- checks

    def why_not(self, model: _ModelItem, agent_id: str, now: datetime) -> str | None:
        """Why the agent is not eligible for the item in the model, or ``None`` if it is."""
        agent = self.agents[agent_id]
        if agent_id in self.leaving:
            return f"{agent_id} is being removed"
        if agent.presence is not Presence.AVAILABLE:
            return f"{agent_id} is {agent.presence.value}"
        if agent.load + model.item.weight > agent.capacity:
            return f"{agent_id} has load {agent.load}/{agent.capacity}, no room for {model.item}"
        for name, level in model.item.skills.items():
            if agent.skills.get(name, 0) < level:
                return f"{agent_id} lacks {name}={level} (has {dict(agent.skills)})"
        if agent_id in model.declined:
            until = model.declined[agent_id]
            if until is None or until > now:
                return f"{agent_id} declined or timed out on it; cool-down until {until}"
        return None

    def rank(self, agent_id: str) -> tuple[Any, int, str]:
        """The router's order of preference: policy score, offered longest ago, id."""
        agent = self.agents[agent_id]
        view = AgentView(agent_id, agent.skills, agent.capacity, agent.load)
        return (self.router.policy.score(view), agent.last_offer, agent_id)

    def check_offer(self, model: _ModelItem, agent_id: str, now: datetime) -> None:
        """At the moment of an offer: eligible, ranked first, and served in queue order."""
        item_id = model.item.id
        reason = self.why_not(model, agent_id, now)
        assert reason is None, f"{item_id} offered to an ineligible agent: {reason}"
        eligible = [a for a in self.agents if self.why_not(model, a, now) is None]
        ranks = {a: self.rank(a) for a in eligible}
        ordered = sorted(eligible, key=ranks.__getitem__)
        best = ordered[0]
        assert best == agent_id, (
            f"{item_id} offered to {agent_id} {ranks[agent_id]}, but {best} ranks first "
            f"{ranks[best]} among the eligible {sorted(eligible)} ({self.router.policy.name})"
        )
        self.check_decision(model, ordered, ranks, now)
        key = model.service_key()
        for other in self.items.values():
            if other.in_queue and other is not model and other.service_key() < key:
                assert self.why_not(other, agent_id, now) is not None, (
                    f"{item_id} ({model.priority.value}) offered to {agent_id} before "
                    f"{other.item.id} ({other.priority.value}, older or more urgent), "
                    "which it could also take"
                )

    def check_decision(
        self,
        model: _ModelItem,
        ordered: Sequence[str],
        ranks: Mapping[str, tuple[Any, int, str]],
        now: datetime,
    ) -> None:
        """The decision [`Router.explain`][] keeps for this offer tells what happened."""
        model.offers += 1
        offered = [d for d in self.router.decisions(model.item.id) if d.outcome is Outcome.OFFERED]
        assert len(offered) >= model.offers, f"no decision recorded for {model.item.id}'s offer"
        decision = offered[model.offers - 1]
        chosen = ordered[0]
        runner = ordered[1] if len(ordered) > 1 else None
        assert (decision.agent_id, decision.at) == (chosen, now), decision
        assert decision.score == ranks[chosen][0], (decision, ranks[chosen])
        assert decision.eligible in (None, len(ordered)), (decision, ordered)
        assert decision.runner_up == runner, (decision, ordered)
        if runner is None:
            tie = TieBreak.NONE
        elif ranks[chosen][0] != ranks[runner][0]:
            tie = TieBreak.SCORE
        elif ranks[chosen][1] != ranks[runner][1]:
            tie = TieBreak.LONGEST_SINCE_OFFER
        else:
            tie = TieBreak.AGENT_ID
        assert decision.tie_break is tie, (decision, ranks)

    def check_matches(self) -> None:
        """The model, built only from events, agrees with the router: no change went unsaid."""
        for agent in self.router.agents():
            mirror = self.agents[agent.agent.id]
            assert agent.load == mirror.load, (agent.agent.id, agent.load, mirror.load)
            assert agent.presence is mirror.presence, agent.agent.id
            assert dict(agent.agent.skills) == dict(mirror.skills), agent.agent.id
            assert agent.agent.capacity == mirror.capacity, agent.agent.id
        items = {status.item.id: status for status in self.router.items()}
        assert items.keys() == self.items.keys(), (sorted(items), sorted(self.items))
        for item_id, status in items.items():
            model = self.items[item_id]
            assert (status.state, status.agent_id, status.priority) == (
                model.state,
                model.holder,
                model.priority,
            ), (item_id, status, model)


# ---------------------------------------------------------------------------- the machine


def _enabled(name: str) -> Callable[[RouterStateMachine], bool]:
    return lambda machine: name not in machine.disabled_rules


class RouterStateMachine(RuleBasedStateMachine):
    """A Hypothesis state machine over a router; subclass it to check your own configuration.

    Each run starts from a roster ([`roster_strategy`][]), then applies random operations
    over a small id space so that they collide: agents added, presence and skill and capacity
    changes, submits, accepts (repeated too), declines, clock moves with [`Router.tick`][],
    manual pins with and without override, unpins, releases, requeues, stage changes and
    refused bad input. Every event is replayed into a model, and at each offer the machine
    checks that the agent was eligible at that moment, ranked first under the router's policy
    (score, then offered longest ago, then id), that no waiting item ahead in priority-then-age
    order could have gone to that agent, that no decliner got the item back within the
    cool-down, and that the decision [`Router.explain`][] keeps says so (chosen agent,
    score, eligible count, runner-up, tie-break). After every step it runs
    [`check_routing_invariants`][], checks that the model agrees with the router (every
    change was announced) and applies the fairness bounds you set. A refused operation must
    raise the documented error and change nothing.

    Override [`make_router`][] to choose the policy and configuration, the ``*_strategy``
    methods or the class attributes to shape the workload, [`comparable_groups`][] to say
    which agents a fairness bound compares, and ``disabled_rules`` to leave operations out
    (a fairness bound only holds for the operations a policy can balance: leave out those
    that unbalance any policy which never moves placed work, such as releases, declines,
    presence changes and new agents)::

        class MyPolicyIsFair(RouterStateMachine):
            max_spread_identical = 0.5  # load ratios of comparable agents
            min_jain = 0.9
            fairness_min_load = 6  # once a group holds 6 units
            disabled_rules = ARRIVALS_AND_ANSWERS_ONLY

            def make_router(self, clock: ManualClock) -> Router:
                return Router(model=MyPolicy(), clock=clock, explain=ExplainDetail.FULL)

        TestMyPolicyIsFair = MyPolicyIsFair.TestCase

    A subclass that only sets ``make_router`` checks the invariants (not fairness) under
    every operation. ``examples/custom_policy.py`` runs one programmatically with
    ``run_state_machine_as_test``.

    Attributes:
        agent_ids: The ids agents are drawn from.
        item_ids: The ids items are drawn from.
        skill_names: The skill vocabulary.
        max_level: The highest skill level.
        max_capacity: The largest agent capacity drawn.
        max_weight: The heaviest item drawn.
        max_clock_step: The longest single clock move, in minutes.
        max_spread_identical: If set, the largest allowed spread (max − min) of load ratios
            within each group of [`comparable_groups`][].
        min_jain: If set, the smallest allowed Jain's index of load ratios in each group.
        fairness_min_load: Fairness bounds apply to a group once its total load reaches this.
        disabled_rules: Names of rules not to run: ``add_agent``, ``remove_agent``,
            ``set_presence``, ``submit``, ``accept``, ``decline``, ``answer_wrongly``,
            ``tick``, ``pin``, ``unpin``, ``release``, ``requeue``, ``advance``,
            ``set_skills``, ``set_capacity``.
    """

    agent_ids: ClassVar[tuple[str, ...]] = ("a0", "a1", "a2", "a3", "a4")
    item_ids: ClassVar[tuple[str, ...]] = tuple(f"c{n}" for n in range(8))
    skill_names: ClassVar[tuple[str, ...]] = ("case_manager", "chaser", "reviewer")
    max_level: ClassVar[int] = 2
    max_capacity: ClassVar[int] = 4
    max_weight: ClassVar[int] = 3
    max_clock_step: ClassVar[int] = 20
    max_spread_identical: ClassVar[float | None] = None
    min_jain: ClassVar[float | None] = None
    fairness_min_load: ClassVar[int] = 0
    disabled_rules: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.router = self.make_router(self.clock)
        self.model = _EventModel(self.router)
        self.router.subscribe(self.model.on_event)

    # -- what a subclass overrides

    def make_router(self, clock: ManualClock) -> Router:
        """Build the router under test (default: Least Active, full explain detail).

        Args:
            clock: The manual clock the machine moves; the router must use it.

        Returns:
            A new, empty router.
        """
        return Router(model=RoutingModel.LEAST_ACTIVE, clock=clock, explain=ExplainDetail.FULL)

    def agent_strategy(self) -> st.SearchStrategy[Agent]:
        """The strategy of agents to add (ids from `agent_ids`)."""
        return agents(
            ids=st.sampled_from(self.agent_ids),
            skills=self.skill_names,
            min_skills=0,
            max_level=self.max_level,
            max_capacity=self.max_capacity,
        )

    def item_strategy(self) -> st.SearchStrategy[WorkItem]:
        """The strategy of items to submit or pin (ids from `item_ids`)."""
        return work_items(
            dict.fromkeys(self.skill_names, self.max_level),
            ids=st.sampled_from(self.item_ids),
            min_skills=0,
            max_weight=self.max_weight,
        )

    def roster_strategy(self) -> st.SearchStrategy[list[Agent]]:
        """The strategy of the roster each run starts with (added Available)."""
        return rosters(min_size=1, max_size=3, agent=self.agent_strategy())

    def comparable_groups(self) -> list[list[str]]:
        """Groups of agents a fairness bound compares.

        Returns:
            Lists of agent ids; by default the Available agents with the same skills and
            capacity, groups of two or more.
        """
        groups: dict[tuple[object, ...], list[str]] = {}
        for status in self.router.agents():
            if status.presence is Presence.AVAILABLE:
                key = (tuple(sorted(status.agent.skills.items())), status.agent.capacity)
                groups.setdefault(key, []).append(status.agent.id)
        return [group for group in groups.values() if len(group) > 1]

    # -- helpers

    _strategies: ClassVar[dict[tuple[type, str], st.SearchStrategy[object]]] = {}

    def _draw_agent(self, data: st.DataObject) -> Agent:
        key = (type(self), "agent")
        if key not in self._strategies:
            self._strategies[key] = self.agent_strategy()
        agent = data.draw(self._strategies[key], label="agent")
        assert isinstance(agent, Agent)
        return agent

    def _draw_item(self, data: st.DataObject) -> WorkItem:
        key = (type(self), "item")
        if key not in self._strategies:
            self._strategies[key] = self.item_strategy()
        item = data.draw(self._strategies[key], label="item")
        assert isinstance(item, WorkItem)
        return item

    def _snapshot(self) -> object:
        router = self.router
        return (
            router.agents(),
            router.items(),
            router.queue(),
            tuple(router.decisions(status.item.id) for status in router.items()),
        )

    def _refused(self, call: Callable[[], object], error: type[CasekitError]) -> None:
        before, events = self._snapshot(), len(self.model.events)
        try:
            call()
        except error:
            pass
        else:
            raise AssertionError(f"expected {error.__name__}")
        assert self._snapshot() == before, "a refused operation changed the router"
        assert len(self.model.events) == events, "a refused operation emitted events"

    def _agents_known(self) -> bool:
        return bool(self.router.agents())

    def _items_in(self, *states: ItemState) -> list[str]:
        return [s.item.id for s in self.router.items() if s.state in states]

    # -- rules

    @initialize(data=st.data())
    def start_with_a_roster(self, data: st.DataObject) -> None:
        """Add the starting roster, every agent Available."""
        for agent in data.draw(self.roster_strategy(), label="roster"):
            self.router.add_agent(agent, Presence.AVAILABLE)

    @precondition(_enabled("add_agent"))
    @rule(data=st.data())
    def add_agent(self, data: st.DataObject) -> None:
        """Add an agent, or try a duplicate id (refused)."""
        agent = self._draw_agent(data)
        presence = data.draw(st.sampled_from(list(Presence)), label="presence")
        known = {status.agent.id for status in self.router.agents()}
        if agent.id in known:
            self._refused(lambda: self.router.add_agent(agent, presence), AlreadyExists)
        else:
            self.router.add_agent(agent, presence)
            assert self.router.presence(agent.id) is presence

    @precondition(lambda self: _enabled("remove_agent")(self) and self._agents_known())
    @rule(data=st.data())
    def remove_agent(self, data: st.DataObject) -> None:
        """Remove an agent (refused while it holds accepted or pinned work)."""
        agent_id = data.draw(st.sampled_from([a.agent.id for a in self.router.agents()]))
        status = self.router.agent(agent_id)
        if status.accepted or status.pinned:
            self._refused(lambda: self.router.remove_agent(agent_id), ValidationError)
            return
        self.model.leaving.add(agent_id)
        self.router.remove_agent(agent_id)
        assert agent_id not in {a.agent.id for a in self.router.agents()}
        assert all(s.agent_id != agent_id for s in self.router.items())

    @precondition(lambda self: _enabled("set_presence")(self) and self._agents_known())
    @rule(data=st.data())
    def set_presence(self, data: st.DataObject) -> None:
        """Change an agent's presence; accepted and pinned work stays."""
        agent_id = data.draw(st.sampled_from([a.agent.id for a in self.router.agents()]))
        presence = data.draw(st.sampled_from(list(Presence)), label="presence")
        kept = self.router.agent(agent_id)
        self.router.set_presence(agent_id, presence)
        after = self.router.agent(agent_id)
        assert set(kept.accepted) <= set(after.accepted), "accepted work was lost"
        assert set(kept.pinned) == set(after.pinned), "pins were lost on a presence change"
        if presence is Presence.OFFLINE and not self.router.offline_grace:
            assert not after.offered, "an Offline agent kept pending offers"

    @precondition(_enabled("submit"))
    @rule(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        """Submit an item: offered to the best eligible agent or queued (or refused)."""
        item = self._draw_item(data)
        capacities = [a.agent.capacity for a in self.router.agents()]
        if any(s.item.id == item.id for s in self.router.items()):
            self._refused(lambda: self.router.submit(item), AlreadyExists)
        elif capacities and item.weight > max(capacities):
            self._refused(lambda: self.router.submit(item), ValidationError)
        else:
            offer = self.router.submit(item)
            assert (offer is None) == (self.router.state_of(item.id) is ItemState.QUEUED)
            if offer is not None:
                assert offer.agent_id == self.router.owner_of(item.id)
                assert offer.accepted == (self.router.state_of(item.id) is ItemState.ACCEPTED)

    @precondition(lambda self: _enabled("accept")(self) and self._items_in(ItemState.OFFERED))
    @rule(data=st.data(), twice=st.booleans())
    def accept(self, data: st.DataObject, twice: bool) -> None:
        """Accept a pending offer (optionally twice: idempotent)."""
        item_id = data.draw(st.sampled_from(self._items_in(ItemState.OFFERED)))
        agent_id = self.router.owner_of(item_id)
        assert agent_id is not None
        self.router.accept(item_id, agent_id)
        assert self.router.state_of(item_id) is ItemState.ACCEPTED
        if twice:
            before = self._snapshot()
            self.router.accept(item_id, agent_id)
            assert self._snapshot() == before, "repeating an accept changed the router"

    @precondition(lambda self: _enabled("decline")(self) and self._items_in(ItemState.OFFERED))
    @rule(data=st.data())
    def decline(self, data: st.DataObject) -> None:
        """Decline a pending offer: re-routed to someone else or queued."""
        item_id = data.draw(st.sampled_from(self._items_in(ItemState.OFFERED)))
        agent_id = self.router.owner_of(item_id)
        assert agent_id is not None
        offer = self.router.decline(item_id, agent_id)
        assert offer is None or offer.agent_id != agent_id
        assert self.router.owner_of(item_id) != agent_id

    @precondition(
        lambda self: _enabled("answer_wrongly")(self) and self._agents_known() and self.model.items
    )
    @rule(data=st.data(), verb=st.sampled_from(["accept", "decline"]))
    def answer_wrongly(self, data: st.DataObject, verb: str) -> None:
        """Accept or decline as an agent the item is not offered to: refused, nothing changes."""
        item_id = data.draw(st.sampled_from(sorted(self.model.items)))
        agent_id = data.draw(st.sampled_from([a.agent.id for a in self.router.agents()]))
        status = self.router.item(item_id)
        if status.state is ItemState.OFFERED and status.agent_id == agent_id:
            return
        if verb == "accept" and status.state is ItemState.ACCEPTED and status.agent_id == agent_id:
            return
        act = self.router.accept if verb == "accept" else self.router.decline
        self._refused(lambda: act(item_id, agent_id), OfferNotPending)

    @precondition(_enabled("tick"))
    @rule(data=st.data())
    def tick(self, data: st.DataObject) -> None:
        """Move the clock and act on due deadlines (timeouts, grace, cool-downs, aging)."""
        minutes = data.draw(st.integers(0, self.max_clock_step), label="minutes")
        self.clock.advance(timedelta(minutes=minutes))
        self.router.tick()
        deadline = self.router.next_deadline()
        assert deadline is None or deadline > self.clock.now()
        for status in self.router.items():
            if status.state is ItemState.OFFERED and status.deadline is not None:
                assert status.deadline > self.clock.now(), f"{status.item.id} is past its timeout"

    @precondition(lambda self: _enabled("pin")(self) and self._agents_known())
    @rule(data=st.data(), override=st.booleans(), new=st.booleans())
    def pin(self, data: st.DataObject, override: bool, new: bool) -> None:
        """Manually assign a new or held item; over capacity only with an override."""
        agent_id = data.draw(st.sampled_from([a.agent.id for a in self.router.agents()]))
        agent = self.router.agent(agent_id)
        if new or not self.model.items:
            item = self._draw_item(data)
            if item.id in self.model.items:
                self._refused(lambda: self.router.assign(item, agent_id), AlreadyExists)
                return
            if item.weight > max(a.agent.capacity for a in self.router.agents()):
                self._refused(lambda: self.router.assign(item, agent_id), ValidationError)
                return
            target: str | WorkItem = item
            weight, moves = item.weight, False
        else:
            target = data.draw(st.sampled_from(sorted(self.model.items)))
            status = self.router.item(target)
            if status.agent_id == agent_id and status.state is ItemState.PINNED:
                before = self._snapshot()
                self.router.assign(target, agent_id, override=override)
                assert self._snapshot() == before, "re-pinning to the same agent changed it"
                return
            weight = status.item.weight
            moves = status.agent_id == agent_id
        added = (weight if self.router.count_pins else 0) - (weight if moves else 0)
        over = agent.load + added > agent.agent.capacity
        if over and not override:
            self._refused(lambda: self.router.assign(target, agent_id), CapacityExceeded)
            return
        self.router.assign(target, agent_id, override=override)
        item_id = target.id if isinstance(target, WorkItem) else target
        status = self.router.item(item_id)
        assert (status.state, status.agent_id, status.override) == (
            ItemState.PINNED,
            agent_id,
            over,
        )

    @precondition(lambda self: _enabled("unpin")(self) and self._items_in(ItemState.PINNED))
    @rule(data=st.data(), override=st.booleans())
    def unpin(self, data: st.DataObject, override: bool) -> None:
        """End a pin: the item stays with its agent as accepted work."""
        item_id = data.draw(st.sampled_from(self._items_in(ItemState.PINNED)))
        status = self.router.item(item_id)
        assert status.agent_id is not None
        agent = self.router.agent(status.agent_id)
        over = not self.router.count_pins and agent.load + status.item.weight > agent.agent.capacity
        if over and not override:
            self._refused(lambda: self.router.unpin(item_id), CapacityExceeded)
            return
        self.router.unpin(item_id, override=override)
        assert self.router.state_of(item_id) is ItemState.ACCEPTED
        assert self.router.item(item_id).override == (status.override or over)
        assert self.router.owner_of(item_id) == status.agent_id

    @precondition(lambda self: _enabled("release")(self) and self.model.items)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        """Release an item (its step is done); the freed room is offered to waiting items."""
        item_id = data.draw(st.sampled_from(sorted(self.model.items)))
        item = self.router.item(item_id).item
        assert self.router.release(item_id) == item
        assert item_id not in self.model.items

    @precondition(lambda self: _enabled("requeue")(self) and self.model.items)
    @rule(data=st.data())
    def requeue(self, data: st.DataObject) -> None:
        """Put an item back into Awaiting Assignment, keeping its age."""
        item_id = data.draw(st.sampled_from(sorted(self.model.items)))
        created = self.router.item(item_id).created_at
        offer = self.router.requeue(item_id)
        status = self.router.item(item_id)
        assert status.created_at == created
        assert status.state in (ItemState.QUEUED, ItemState.OFFERED, ItemState.ACCEPTED)
        assert (offer is None) == (status.state is ItemState.QUEUED)

    @precondition(lambda self: _enabled("advance")(self) and self.model.items)
    @rule(data=st.data(), stage=st.sampled_from(STAGES), keep=st.booleans())
    def advance(self, data: st.DataObject, stage: str, keep: bool) -> None:
        """Move an item to its next stage with that stage's skills; it keeps its age.

        With ``keep`` it keeps its declines too: the model carries them over, and every
        later offer is checked against them.
        """
        item_id = data.draw(st.sampled_from(sorted(self.model.items)))
        skills = data.draw(
            st.dictionaries(
                st.sampled_from(self.skill_names), st.integers(1, self.max_level), max_size=2
            ),
            label="skills",
        )
        status = self.router.item(item_id)
        created = status.created_at
        capacities = [a.agent.capacity for a in self.router.agents()]
        if capacities and status.item.weight > max(capacities):
            self._refused(
                lambda: self.router.advance(
                    item_id, stage=stage, skills=skills, keep_declines=keep
                ),
                ValidationError,
            )
            return
        declined = set(status.declined_by)
        self.router.advance(item_id, stage=stage, skills=skills, keep_declines=keep)
        status = self.router.item(item_id)
        if not keep:
            assert not status.declined_by, f"{item_id} advanced but kept its declines"
        else:
            assert set(status.declined_by) <= declined, f"{item_id} gained declines advancing"
        assert status.created_at == created
        assert status.item.stage == stage
        assert dict(status.item.skills) == skills
        assert status.state is not ItemState.PINNED

    @precondition(lambda self: _enabled("set_skills")(self) and self._agents_known())
    @rule(data=st.data(), bad=st.booleans())
    def set_skills(self, data: st.DataObject, bad: bool) -> None:
        """Replace an agent's skills (a bad mapping is refused)."""
        agent_id = data.draw(st.sampled_from([a.agent.id for a in self.router.agents()]))
        skills = data.draw(
            st.dictionaries(st.sampled_from(self.skill_names), st.integers(1, self.max_level)),
            label="skills",
        )
        if bad:
            wrong: dict[str, int] = {**skills, "": 1} if skills else {"chaser": 0}
            self._refused(lambda: self.router.set_skills(agent_id, wrong), ValidationError)
            return
        self.router.set_skills(agent_id, skills)
        assert dict(self.router.agent(agent_id).agent.skills) == skills

    @precondition(lambda self: _enabled("set_capacity")(self) and self._agents_known())
    @rule(data=st.data(), capacity=st.integers(-1, 6))
    def set_capacity(self, data: st.DataObject, capacity: int) -> None:
        """Change an agent's capacity (below its load, or not positive: refused)."""
        agent_id = data.draw(st.sampled_from([a.agent.id for a in self.router.agents()]))
        load = self.router.load(agent_id)
        if capacity < 1:
            self._refused(lambda: self.router.set_capacity(agent_id, capacity), ValidationError)
        elif capacity < load:
            self._refused(lambda: self.router.set_capacity(agent_id, capacity), CapacityExceeded)
        else:
            self.router.set_capacity(agent_id, capacity)

    # -- invariants

    @invariant()
    def routing_invariants_hold(self) -> None:
        """[`check_routing_invariants`][], and the event model agrees with the router."""
        check_routing_invariants(self.router)
        self.model.check_matches()

    @invariant()
    def fairness_bounds_hold(self) -> None:
        """The fairness bounds the subclass set, within each comparable group."""
        if self.max_spread_identical is None and self.min_jain is None:
            return
        for group in self.comparable_groups():
            metrics = self.router.metrics(group)
            if sum(metrics.loads.values()) < self.fairness_min_load:
                continue
            if self.max_spread_identical is not None:
                assert metrics.spread <= self.max_spread_identical + 1e-9, (
                    f"load ratio spread {metrics.spread:.3f} > {self.max_spread_identical} "
                    f"among {dict(metrics.load_ratios)}"
                )
            if self.min_jain is not None:
                assert metrics.jain >= self.min_jain - 1e-9, (
                    f"Jain's index {metrics.jain:.3f} < {self.min_jain} "
                    f"among {dict(metrics.load_ratios)}"
                )

    def teardown(self) -> None:
        """Nothing to release: the router lives in memory."""
