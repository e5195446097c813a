"""Capacity per channel and the capacity models under random operations (issue 20, part 5).

A Hypothesis state machine drives a router whose agents have channels (or none) and whose
items come by a channel (or none), with `set_channels`, `set_capacity`, `set_work_status`
(under a status-based model), pins, answers, releases, requeues and ticks. It checks, with
rules of its own rather than the router's:

* at the moment of every offer, the agent is Available and the offer keeps the agent's
  recounted load within its capacity and, for an item with a channel and an agent with
  channels, the channel taken and its recounted load within its units;
* after every step, each agent's load and per-channel loads equal the recount of the
  counted items it holds (offered always; accepted and pinned while their work status is
  counted, pins only when the router counts them);
* work conservation: no waiting item that some Available agent with room, skills and
  channel could take;
* a refused call changes nothing; `LiveStats` agrees with a full recount.

The same machine runs through a `DurableRouter` in ``tests/storage/test_durable_channels.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from casekit.clock import ManualClock
from casekit.errors import AlreadyExists, CapacityExceeded, CasekitError, ValidationError
from casekit.routing import (
    Agent,
    AgentStatus,
    AgentView,
    CapacityModel,
    ExplainDetail,
    ItemState,
    ItemStatus,
    LiveStats,
    Presence,
    Router,
    RoutingModel,
    StatusBased,
    TabBased,
    WorkItem,
)
from casekit.routing.live import snapshot_from_scratch
from casekit.testing import check_routing_invariants

CHANNELS = ("cases", "chats", "calls")
SKILLS = ("x", "y")
STATUSES = ("In Progress", "Waiting", "On Hold", "Closed")
STATUS_BASED = StatusBased(counted=frozenset({"In Progress", "Waiting"}), initial="In Progress")
STEPS = settings(stateful_step_count=30, deadline=None)


# ---------------------------------------------------------------------------- the oracle


def counts(router: Router, item: ItemStatus) -> bool:
    """Whether a held item's weight counts against its agent, by the documented rules."""
    if item.state is ItemState.OFFERED:
        return True
    if item.state is ItemState.PINNED and not router.count_pins:
        return False
    model = router.capacity_model
    if isinstance(model, StatusBased):
        return item.work_status in model.counted
    return True


def recount(router: Router, agent: AgentStatus) -> tuple[int, dict[str, int]]:
    """The agent's load and per-channel loads, recounted from the items it holds."""
    load = 0
    channels: dict[str, int] = {}
    for item_id in (*agent.offered, *agent.accepted, *agent.pinned):
        item = router.item(item_id)
        if counts(router, item):
            load += item.item.weight
            if item.item.channel is not None:
                channel = item.item.channel
                channels[channel] = channels.get(channel, 0) + item.item.weight
    return load, channels


def why_not(  # noqa: PLR0911  one return per reason
    router: Router, item: ItemStatus, agent: AgentStatus
) -> str | None:
    """Why ``agent`` may not be offered ``item`` now, or ``None`` if it may (no cool-down)."""
    if agent.presence is not Presence.AVAILABLE:
        return f"{agent.agent.id} is {agent.presence.value}"
    load, channel_loads = recount(router, agent)
    weight = item.item.weight
    if load + weight > agent.agent.capacity:
        return f"{agent.agent.id} has load {load} of {agent.agent.capacity}"
    for skill, level in item.item.skills.items():
        if agent.agent.skills.get(skill, 0) < level:
            return f"{agent.agent.id} lacks {skill}={level}"
    channel = item.item.channel
    if channel is not None and agent.agent.channels:
        if channel not in agent.agent.channels:
            return f"{agent.agent.id} does not take {channel}"
        if channel_loads.get(channel, 0) + weight > agent.agent.channels[channel]:
            return f"{agent.agent.id}'s {channel} is full"
    if agent.agent.id in item.declined_by:
        return f"{agent.agent.id} declined it"
    return None


class CheckedRouter(Router):
    """A router that checks, at the moment of each offer, that the offer is allowed."""

    def _offer(self, state: Any, agent: Any, now: datetime, decision: Any) -> Any:
        status = self.agent(agent.agent.id)
        item = self.item(state.item.id)
        assert item.state is ItemState.QUEUED, item
        reason = why_not(self, item, status)
        assert reason is None, f"{item.item.id} offered to an agent who may not take it: {reason}"
        return super()._offer(state, agent, now, decision)


# ---------------------------------------------------------------------------- the machine


class ChannelsMachine(RuleBasedStateMachine):
    """Channels, capacity and work statuses under random operations."""

    capacity_model: ClassVar[CapacityModel] = STATUS_BASED
    count_pins: ClassVar[bool] = True
    # Few, small agents: queues form often, so a rule about serving the queue is exercised.
    agent_ids: ClassVar[tuple[str, ...]] = ("a0", "a1", "a2")
    item_ids: ClassVar[tuple[str, ...]] = tuple(f"c{n}" for n in range(8))
    max_capacity: ClassVar[int] = 4

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
        self.router = self.make_router(self.clock)
        self.live: LiveStats | None = self.watch(self.router)

    def make_router(self, clock: ManualClock) -> Router:
        return CheckedRouter(
            model=RoutingModel.LEAST_ACTIVE,
            clock=clock,
            push_timeout=timedelta(minutes=5),
            count_pins=self.count_pins,
            capacity_model=self.capacity_model,
            explain=ExplainDetail.FULL,
        )

    def watch(self, router: Router) -> LiveStats | None:
        return LiveStats(router)

    # -- strategies

    def channels(self) -> st.SearchStrategy[dict[str, int]]:
        return st.one_of(
            st.just({}),
            st.dictionaries(
                st.sampled_from(CHANNELS), st.integers(1, self.max_capacity + 1), min_size=1
            ),
        )

    def agent(self) -> st.SearchStrategy[Agent]:
        return st.builds(
            Agent,
            id=st.sampled_from(self.agent_ids),
            skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 2)),
            capacity=st.integers(1, self.max_capacity),
            auto_accept=st.sampled_from((False, False, False, True)),
            channels=self.channels(),
        )

    def item(self) -> st.SearchStrategy[WorkItem]:
        return st.builds(
            WorkItem,
            id=st.sampled_from(self.item_ids),
            skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 2), max_size=1),
            weight=st.integers(1, 3),
            channel=st.sampled_from((None, *CHANNELS)),
        )

    # -- helpers

    def _snapshot(self) -> object:
        router = self.router
        return (
            router.agents(),
            router.items(),
            router.queue(),
            tuple(router.decisions(status.item.id) for status in router.items()),
        )

    def _refused(self, call: Callable[[], object], error: type[CasekitError]) -> None:
        before = self._snapshot()
        with pytest.raises(error):
            call()
        assert self._snapshot() == before, "a refused call changed the router"

    def _agent_ids(self) -> list[str]:
        return [status.agent.id for status in self.router.agents()]

    def _items_in(self, *states: ItemState) -> list[str]:
        return [s.item.id for s in self.router.items() if s.state in states]

    # -- rules

    @rule(data=st.data(), presence=st.sampled_from(list(Presence)))
    def add_agent(self, data: st.DataObject, presence: Presence) -> None:
        agent = data.draw(self.agent(), label="agent")
        if agent.id in self._agent_ids():
            self._refused(lambda: self.router.add_agent(agent, presence), AlreadyExists)
        else:
            self.router.add_agent(agent, presence)

    @precondition(lambda self: self._agent_ids())
    @rule(data=st.data(), presence=st.sampled_from(list(Presence)))
    def set_presence(self, data: st.DataObject, presence: Presence) -> None:
        agent_id = data.draw(st.sampled_from(self._agent_ids()), label="agent")
        self.router.set_presence(agent_id, presence)

    @precondition(lambda self: self._agent_ids())
    @rule(data=st.data(), bad=st.sampled_from((None, "units", "name", "type")))
    def set_channels(self, data: st.DataObject, bad: str | None) -> None:
        agent_id = data.draw(st.sampled_from(self._agent_ids()), label="agent")
        if bad is not None:
            wrong: object = {"units": {"chats": 0}, "name": {"": 1}, "type": ["chats"]}[bad]
            self._refused(
                lambda: self.router.set_channels(agent_id, wrong),  # type: ignore[arg-type]
                ValidationError,
            )
            return
        channels = data.draw(self.channels(), label="channels")
        self.router.set_channels(agent_id, channels)
        assert dict(self.router.agent(agent_id).agent.channels) == channels

    @precondition(lambda self: self._agent_ids())
    @rule(data=st.data(), capacity=st.integers(0, 6))
    def set_capacity(self, data: st.DataObject, capacity: int) -> None:
        agent_id = data.draw(st.sampled_from(self._agent_ids()), label="agent")
        if capacity < 1:
            self._refused(lambda: self.router.set_capacity(agent_id, capacity), ValidationError)
        elif capacity < self.router.load(agent_id):
            self._refused(lambda: self.router.set_capacity(agent_id, capacity), CapacityExceeded)
        else:
            self.router.set_capacity(agent_id, capacity)

    @rule(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        item = data.draw(self.item(), label="item")
        capacities = [a.agent.capacity for a in self.router.agents()]
        if item.id in {s.item.id for s in self.router.items()}:
            self._refused(lambda: self.router.submit(item), AlreadyExists)
        elif capacities and item.weight > max(capacities):
            self._refused(lambda: self.router.submit(item), ValidationError)
        else:
            self.router.submit(item)

    @precondition(lambda self: self._items_in(ItemState.OFFERED))
    @rule(data=st.data(), decline=st.booleans())
    def answer(self, data: st.DataObject, decline: bool) -> None:
        item_id = data.draw(st.sampled_from(self._items_in(ItemState.OFFERED)), label="item")
        agent_id = self.router.owner_of(item_id)
        assert agent_id is not None
        load = self.router.load(agent_id)
        if decline:
            self.router.decline(item_id, agent_id)
        else:
            self.router.accept(item_id, agent_id)
            assert self.router.load(agent_id) == load, "accepting changed the load"
            model = self.router.capacity_model
            initial = model.initial if isinstance(model, StatusBased) else None
            assert self.router.item(item_id).work_status == initial

    @precondition(lambda self: self._items_in(ItemState.ACCEPTED, ItemState.PINNED))
    @rule(data=st.data(), status=st.sampled_from(STATUSES))
    def set_work_status(self, data: st.DataObject, status: str) -> None:
        held = self._items_in(ItemState.ACCEPTED, ItemState.PINNED)
        item_id = data.draw(st.sampled_from(held), label="item")
        item = self.router.item(item_id)
        if not isinstance(self.router.capacity_model, StatusBased):
            self._refused(lambda: self.router.set_work_status(item_id, status), ValidationError)
            return
        self.router.set_work_status(item_id, status)
        after = self.router.item(item_id)
        assert after.work_status == status
        assert (after.state, after.agent_id) == (item.state, item.agent_id)

    @precondition(lambda self: self.router.items())
    @rule(data=st.data())
    def set_work_status_badly(self, data: st.DataObject) -> None:
        """A bad status, or an item that is waiting or offered: refused."""
        item_id = data.draw(st.sampled_from(sorted(self._items_in(*ItemState))), label="item")
        if self.router.state_of(item_id) in (ItemState.QUEUED, ItemState.OFFERED):
            bad: object = data.draw(st.sampled_from(("In Progress", "On Hold", "")))
        else:
            bad = data.draw(st.sampled_from(("", "  ", 3, None)), label="status")
        self._refused(
            lambda: self.router.set_work_status(item_id, bad),  # type: ignore[arg-type]
            ValidationError,
        )

    @precondition(lambda self: self._agent_ids())
    @rule(data=st.data(), override=st.booleans(), new=st.booleans())
    def pin(self, data: st.DataObject, override: bool, new: bool) -> None:
        agent_id = data.draw(st.sampled_from(self._agent_ids()), label="agent")
        items = self._items_in(*ItemState)
        target: str | WorkItem
        if new or not items:
            target = data.draw(self.item(), label="item")
            if target.id in items:
                self._refused(lambda: self.router.assign(target, agent_id), AlreadyExists)
                return
            if target.weight > max(a.agent.capacity for a in self.router.agents()):
                self._refused(lambda: self.router.assign(target, agent_id), ValidationError)
                return
        else:
            target = data.draw(st.sampled_from(sorted(items)), label="item")
            status = self.router.item(target)
            if (status.state, status.agent_id) == (ItemState.PINNED, agent_id):
                before = self._snapshot()
                self.router.assign(target, agent_id, override=override)
                assert self._snapshot() == before, "re-pinning to the same agent changed it"
                return
        before = self._snapshot()
        try:
            self.router.assign(target, agent_id, override=override)
        except CapacityExceeded:
            assert not override
            assert self._snapshot() == before, "a refused pin changed the router"
            return
        item_id = target.id if isinstance(target, WorkItem) else target
        status = self.router.item(item_id)
        assert (status.state, status.agent_id) == (ItemState.PINNED, agent_id)
        if not status.override:  # then the pin kept the agent within capacity and units
            agent = self.router.agent(agent_id)
            load, channel_loads = recount(self.router, agent)
            channel = status.item.channel
            assert load <= agent.agent.capacity, (agent, status)
            if channel is not None and channel in agent.agent.channels:
                assert channel_loads.get(channel, 0) <= agent.agent.channels[channel], agent

    @precondition(lambda self: self._items_in(ItemState.PINNED))
    @rule(data=st.data(), override=st.booleans())
    def unpin(self, data: st.DataObject, override: bool) -> None:
        item_id = data.draw(st.sampled_from(self._items_in(ItemState.PINNED)), label="item")
        before = self._snapshot()
        try:
            self.router.unpin(item_id, override=override)
        except CapacityExceeded:
            assert not override
            assert not self.count_pins
            assert self._snapshot() == before, "a refused unpin changed the router"
            return
        assert self.router.state_of(item_id) is ItemState.ACCEPTED

    @precondition(lambda self: self.router.items())
    @rule(data=st.data(), requeue=st.booleans())
    def release_or_requeue(self, data: st.DataObject, requeue: bool) -> None:
        item_id = data.draw(st.sampled_from(sorted(self._items_in(*ItemState))), label="item")
        if requeue:
            self.router.requeue(item_id)
            assert self.router.item(item_id).work_status is None or (
                self.router.state_of(item_id) is ItemState.ACCEPTED  # auto-accepted again
            )
        else:
            self.router.release(item_id)

    @precondition(lambda self: self.router.items())
    @rule(data=st.data(), stage=st.sampled_from(("Chaser", "Case Manager")))
    def advance(self, data: st.DataObject, stage: str) -> None:
        item_id = data.draw(st.sampled_from(sorted(self._items_in(*ItemState))), label="item")
        item = self.router.item(item_id).item
        skills = data.draw(
            st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 2), max_size=1),
            label="skills",
        )
        capacities = [a.agent.capacity for a in self.router.agents()]
        if capacities and item.weight > max(capacities):
            self._refused(
                lambda: self.router.advance(item_id, stage=stage, skills=skills), ValidationError
            )
            return
        self.router.advance(item_id, stage=stage, skills=skills)
        after = self.router.item(item_id)
        assert after.item.channel == item.channel, "the item lost its channel at a new stage"
        assert after.work_status is None or after.state is ItemState.ACCEPTED

    @rule(minutes=st.integers(0, 7))
    def tick(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.router.tick()

    # -- invariants

    @invariant()
    def loads_are_the_recount_of_counted_items(self) -> None:
        router = self.router
        for agent in router.agents():
            load, channels = recount(router, agent)
            assert agent.load == load == router.load(agent.agent.id), (
                f"{agent.agent.id}'s load is {agent.load}; its counted items weigh {load}"
            )
            assert dict(agent.channel_loads) == channels, (
                f"{agent.agent.id}'s channel loads are {dict(agent.channel_loads)}; its "
                f"counted items weigh {channels}"
            )

    @invariant()
    def work_statuses_belong_to_held_work(self) -> None:
        status_based = isinstance(self.router.capacity_model, StatusBased)
        for item in self.router.items():
            held = item.state in (ItemState.ACCEPTED, ItemState.PINNED)
            assert (item.work_status is not None) == (held and status_based), item

    @invariant()
    def work_conserving(self) -> None:
        router = self.router
        agents = [a for a in router.agents() if a.presence is Presence.AVAILABLE]
        for entry in router.queue():
            item = router.item(entry.item_id)
            for agent in agents:
                reason = why_not(router, item, agent)
                assert reason is not None, (
                    f"not work-conserving: {entry.item_id} waits while {agent.agent.id} "
                    f"could take it (load {agent.load}, channels {dict(agent.channel_loads)})"
                )

    @invariant()
    def live_statistics_agree_with_a_recount(self) -> None:
        if self.live is None:
            return
        now = self.clock.now()
        assert self.live.snapshot(now) == snapshot_from_scratch(self.router, now)

    @invariant()
    def tab_based_routers_keep_every_invariant_they_had(self) -> None:
        if isinstance(self.router.capacity_model, TabBased):
            check_routing_invariants(self.router)


class TabBasedChannelsMachine(ChannelsMachine):
    capacity_model = TabBased()


class PinsNotCountedMachine(ChannelsMachine):
    count_pins = False


class MostAvailableWithCooldownMachine(ChannelsMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return CheckedRouter(
            model=RoutingModel.MOST_AVAILABLE,
            clock=clock,
            push_timeout=timedelta(minutes=3),
            cooldown=timedelta(minutes=5),
            capacity_model=self.capacity_model,
            explain=ExplainDetail.FULL,
        )


@attrs.frozen
class LoadRatio:
    """A custom policy (tuple scores: not the built-ins' fast path)."""

    name: str = "load ratio"

    def score(self, agent: AgentView) -> tuple[float, int]:
        return (agent.load / agent.capacity, -len(agent.skills))


class CustomPolicyMachine(ChannelsMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return CheckedRouter(
            model=LoadRatio(), clock=clock, push_timeout=None, capacity_model=self.capacity_model
        )


TestStatusBasedChannels = ChannelsMachine.TestCase
TestStatusBasedChannels.settings = STEPS
TestTabBasedChannels = TabBasedChannelsMachine.TestCase
TestTabBasedChannels.settings = STEPS
TestStatusBasedPinsNotCounted = PinsNotCountedMachine.TestCase
TestStatusBasedPinsNotCounted.settings = STEPS
TestMostAvailableWithCooldown = MostAvailableWithCooldownMachine.TestCase
TestMostAvailableWithCooldown.settings = STEPS
TestCustomPolicy = CustomPolicyMachine.TestCase
TestCustomPolicy.settings = STEPS


# ---------------------------------------------------------------------------- the machine can fail


class ForgetsChannelOnReleaseRouter(CheckedRouter):
    """Takes a released item's weight off the agent's total load but not off its channel."""

    def _charge(self, agent: Any, channel: str | None, delta: int) -> None:
        super()._charge(agent, None if delta < 0 else channel, delta)


class DoesNotServeWhenStatusStopsCountingRouter(CheckedRouter):
    """Frees room when a work status stops counting, but offers nothing waiting."""

    def set_work_status(self, item_id: str, status: str) -> None:
        serve = self._serve
        self._serve = lambda agent, now: None  # type: ignore[method-assign]
        try:
            super().set_work_status(item_id, status)
        finally:
            self._serve = serve  # type: ignore[method-assign]


class IgnoresChannelsRouter(CheckedRouter):
    """Offers an agent items of channels it does not take, or whose channel is full."""

    def _find(self, state: Any, now: datetime) -> Any:
        limits = {a.agent.id: a.limits for a in self._agents.values()}
        for a in self._agents.values():
            a.limits = None
        try:
            return super()._find(state, now)
        finally:
            for a in self._agents.values():
                a.limits = limits[a.agent.id]


def _machine(router_type: type[Router]) -> type[ChannelsMachine]:
    class Broken(ChannelsMachine):
        agent_ids = ("a0", "a1")  # few, small agents: queues form, so breaks show sooner
        max_capacity = 3

        def make_router(self, clock: ManualClock) -> Router:
            return router_type(
                clock=clock,
                push_timeout=timedelta(minutes=5),
                capacity_model=self.capacity_model,
                explain=ExplainDetail.FULL,
            )

        def watch(self, router: Router) -> LiveStats | None:
            return None

    Broken.__name__ = f"{router_type.__name__}Machine"
    return Broken


@pytest.mark.parametrize(
    ("router_type", "message"),
    [
        (ForgetsChannelOnReleaseRouter, "channel loads are"),
        (DoesNotServeWhenStatusStopsCountingRouter, "not work-conserving"),
        (IgnoresChannelsRouter, "not work-conserving|does not take|is full|channel loads"),
    ],
)
def test_the_machine_catches_a_router_that_breaks_a_channel_rule(
    router_type: type[Router], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(  # type: ignore[no-untyped-call]
            _machine(router_type),
            settings=settings(
                max_examples=1000,  # a run stops at the first failure: a few seconds
                stateful_step_count=30,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            ),
        )
