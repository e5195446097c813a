"""The routing state machine of casekit.testing run against the built-in configurations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from casekit.clock import ManualClock
from casekit.routing import (
    Agent,
    AgentView,
    Aging,
    EventKind,
    ExplainDetail,
    Presence,
    Priority,
    Router,
    RoutingModel,
    StatusBased,
    WorkItem,
)
from casekit.testing import (
    ARRIVALS_AND_ANSWERS_ONLY,
    RouterStateMachine,
    check_routing_invariants,
    work_items,
)

STEPS = settings(stateful_step_count=30, deadline=None)


class LeastActiveMachine(RouterStateMachine):
    pass


class MostAvailableMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(model=RoutingModel.MOST_AVAILABLE, clock=clock, explain=ExplainDetail.FULL)


class PinsNotCountedMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(clock=clock, count_pins=False, explain=ExplainDetail.FULL)


class CooldownMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(
            model=RoutingModel.MOST_AVAILABLE,
            clock=clock,
            cooldown=timedelta(minutes=15),
            push_timeout=timedelta(minutes=5),
        )


class OfflineGraceMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(clock=clock, offline_grace=timedelta(minutes=10), explain=ExplainDetail.FULL)


class AgingMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(
            clock=clock,
            aging=Aging(every=timedelta(minutes=10), cap=Priority.HIGH),
            cooldown=timedelta(minutes=30),
            push_timeout=None,
        )


class EverythingAtOnceMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(
            model=RoutingModel.MOST_AVAILABLE,
            clock=clock,
            push_timeout=timedelta(minutes=2),
            cooldown=timedelta(minutes=3),
            offline_grace=timedelta(minutes=4),
            count_pins=False,
            aging=Aging(every=timedelta(minutes=5)),
            explain=ExplainDetail.FULL,
        )


@attrs.frozen
class LoadRatioThenSkills:
    """A custom policy (not the built-ins' fast path): load ratio, then more skills first."""

    name: str = "load ratio, then skills"

    def score(self, agent: AgentView) -> tuple[float, int]:
        return (agent.load / agent.capacity, -len(agent.skills))


class CustomPolicyMachine(RouterStateMachine):
    max_capacity = 6

    def make_router(self, clock: ManualClock) -> Router:
        return Router(
            model=LoadRatioThenSkills(),
            clock=clock,
            push_timeout=timedelta(minutes=3),
            cooldown=timedelta(minutes=4),
            explain=ExplainDetail.FULL,
        )


class StatusBasedMachine(RouterStateMachine):
    """Under the status-based model, work nobody sets a status on counts as tab-based work."""

    def make_router(self, clock: ManualClock) -> Router:
        return Router(
            clock=clock,
            count_pins=False,
            explain=ExplainDetail.FULL,
            capacity_model=StatusBased(counted=frozenset({"In Progress"})),
        )


class ItemChannelsMachine(RouterStateMachine):
    """Items come by channels, agents have no per-channel limits: nothing else changes."""

    def item_strategy(self) -> st.SearchStrategy[WorkItem]:
        return st.tuples(
            super().item_strategy(), st.sampled_from((None, "cases", "chats", "calls"))
        ).map(lambda drawn: attrs.evolve(drawn[0], channel=drawn[1]))


TestLeastActive = LeastActiveMachine.TestCase
TestLeastActive.settings = STEPS
TestMostAvailable = MostAvailableMachine.TestCase
TestMostAvailable.settings = STEPS
TestPinsNotCounted = PinsNotCountedMachine.TestCase
TestPinsNotCounted.settings = STEPS
TestCooldown = CooldownMachine.TestCase
TestCooldown.settings = STEPS
TestOfflineGrace = OfflineGraceMachine.TestCase
TestOfflineGrace.settings = STEPS
TestAging = AgingMachine.TestCase
TestAging.settings = STEPS
TestEverythingAtOnce = EverythingAtOnceMachine.TestCase
TestEverythingAtOnce.settings = STEPS
TestCustomPolicy = CustomPolicyMachine.TestCase
TestCustomPolicy.settings = STEPS
TestStatusBased = StatusBasedMachine.TestCase
TestStatusBased.settings = STEPS
TestItemChannels = ItemChannelsMachine.TestCase
TestItemChannels.settings = STEPS


# ---------------------------------------------------------------------------- fairness bounds


class IdenticalAgentsMachine(RouterStateMachine):
    """Three identical agents take unit items and accept them: Least Active keeps them level."""

    max_spread_identical = 0.5  # one unit over the smallest capacity drawn (2)
    min_jain = 0.9
    fairness_min_load = 6
    disabled_rules = ARRIVALS_AND_ANSWERS_ONLY

    def roster_strategy(self) -> st.SearchStrategy[list[Agent]]:
        return st.integers(2, 6).map(
            lambda capacity: [Agent(f"a{n}", {"chaser": 1}, capacity=capacity) for n in range(3)]
        )

    def item_strategy(self) -> st.SearchStrategy[WorkItem]:
        return work_items({"chaser": 1}, ids=st.sampled_from(self.item_ids), max_weight=1)


class ManyItemsIdenticalAgentsMachine(IdenticalAgentsMachine):
    item_ids = tuple(f"c{n}" for n in range(20))


TestIdenticalAgentsStayLevel = ManyItemsIdenticalAgentsMachine.TestCase
TestIdenticalAgentsStayLevel.settings = STEPS


# ---------------------------------------------------------------------------- the machine can fail


@attrs.frozen
class MostLoadedFirst:
    """A deliberately unfair policy: pile work onto the busiest agent."""

    name: str = "most loaded first"

    def score(self, agent: AgentView) -> int:
        return -agent.load


class UnfairPolicyMachine(ManyItemsIdenticalAgentsMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return Router(model=MostLoadedFirst(), clock=clock, explain=ExplainDetail.FULL)


class NotWorkConservingRouter(Router):
    """Forgets to offer waiting items when an agent gains room."""

    def _serve(self, agent: Any, now: datetime) -> None:
        return None


class NotWorkConservingMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return NotWorkConservingRouter(clock=clock)


class MisrankingRouter(Router):
    """Indexes agents by most load while claiming to be Least Active."""

    def _score(self, agent: Any) -> Any:
        return -agent.load


class MisrankingMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return MisrankingRouter(clock=clock)


class SilentUnpinRouter(Router):
    """Does not announce unpins."""

    def _emit(self, kind: EventKind, *args: Any, **kwargs: Any) -> None:
        if kind is not EventKind.UNPINNED:
            super()._emit(kind, *args, **kwargs)


class SilentUnpinMachine(RouterStateMachine):
    def make_router(self, clock: ManualClock) -> Router:
        return SilentUnpinRouter(clock=clock)


@pytest.mark.parametrize(
    ("machine", "message"),
    [
        (UnfairPolicyMachine, "load ratio spread"),
        (NotWorkConservingMachine, "not work-conserving|could also take"),
        (MisrankingMachine, "ranks first|score="),
        (SilentUnpinMachine, "Pinned|pinned"),
    ],
)
def test_the_machine_catches_a_broken_router_or_an_unfair_policy(
    machine: type[RouterStateMachine], message: str
) -> None:
    with pytest.raises(AssertionError, match=message):
        run_state_machine_as_test(  # type: ignore[no-untyped-call]
            machine,
            settings=settings(
                max_examples=200,
                stateful_step_count=30,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            ),
        )


def test_check_routing_invariants_catches_a_wrong_load(clock: ManualClock) -> None:
    router = Router(clock=clock)
    router.add_agent(Agent("a1"), Presence.AVAILABLE)
    router.submit(WorkItem("c1", weight=2))
    check_routing_invariants(router)
    router._agents["a1"].load = 1
    with pytest.raises(AssertionError, match="load"):
        check_routing_invariants(router)


def test_check_routing_invariants_catches_a_waiting_item_with_an_eligible_agent(
    clock: ManualClock,
) -> None:
    router = NotWorkConservingRouter(clock=clock)
    router.add_agent(Agent("a1", capacity=1), Presence.AVAILABLE)
    router.submit(WorkItem("c1"))
    router.submit(WorkItem("c2"))
    check_routing_invariants(router)
    router.release("c1")
    with pytest.raises(AssertionError, match="not work-conserving"):
        check_routing_invariants(router)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, tzinfo=UTC))
