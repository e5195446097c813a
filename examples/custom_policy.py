"""Property-test a custom routing policy with casekit.testing's RouterStateMachine.

Least Active balances *loads*: with unequal capacities a part-timer (capacity 2) ends up as
busy as a full-timer (capacity 8), so the part-timer is full while the full-timer is at a
quarter. A policy that offers to the lowest load *ratio* (load ÷ capacity) is fairer. Here we
write that policy, then let Hypothesis drive a router with random rosters of unequal
capacities, submits, accepts and wrong answers, checking every invariant casekit promises plus
a fairness bound we set: among agents with the same skills, load ratios never spread by more
than one item's share of the smallest capacity. The same check run against Least Active finds
a counterexample.

Run it: ``python examples/custom_policy.py``.
"""

from __future__ import annotations

import attrs
import hypothesis.strategies as st
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.stateful import run_state_machine_as_test

from casekit.clock import ManualClock
from casekit.routing import (
    Agent,
    AgentView,
    ExplainDetail,
    Presence,
    Router,
    RoutingModel,
    RoutingPolicy,
    WorkItem,
)
from casekit.testing import ARRIVALS_AND_ANSWERS_ONLY, RouterStateMachine, work_items

SMALLEST_CAPACITY = 2


@attrs.frozen
class LowestLoadRatio:
    """Offer to the eligible agent with the lowest load ÷ capacity (fair across capacities)."""

    name: str = "lowest load ratio"

    def score(self, agent: AgentView) -> float:
        """The agent's load ratio; lower is offered first."""
        return agent.load / agent.capacity


class LoadRatioFairness(RouterStateMachine):
    """Unequal capacities, unit items: load ratios stay within one item of each other."""

    item_ids = tuple(f"c{n}" for n in range(24))
    max_spread_identical = 1 / SMALLEST_CAPACITY
    # Only arrivals and answers: releases, declines and presence changes may unbalance any
    # policy that does not move work already placed.
    disabled_rules = ARRIVALS_AND_ANSWERS_ONLY
    runs = 0

    policy: RoutingPolicy = LowestLoadRatio()

    def make_router(self, clock: ManualClock) -> Router:
        """A router with the policy under test (and counts the runs)."""
        type(self).runs += 1
        return Router(model=self.policy, clock=clock, explain=ExplainDetail.FULL)

    def roster_strategy(self) -> st.SearchStrategy[list[Agent]]:
        """Two to four agents with one skill and capacities from 2 to 8."""
        capacities = st.lists(st.integers(SMALLEST_CAPACITY, 8), min_size=2, max_size=4)
        return capacities.map(
            lambda caps: [
                Agent(f"a{n}", {"case_manager": 1}, capacity=cap) for n, cap in enumerate(caps)
            ]
        )

    def item_strategy(self) -> st.SearchStrategy[WorkItem]:
        """Unit items needing that skill."""
        return work_items({"case_manager": 1}, ids=st.sampled_from(self.item_ids), max_weight=1)

    def comparable_groups(self) -> list[list[str]]:
        """Every Available agent: they all hold the same skill, whatever their capacity."""
        return [
            [s.agent.id for s in self.router.agents() if s.presence is Presence.AVAILABLE],
        ]


class LeastActiveFairness(LoadRatioFairness):
    """The same bound, checked against the built-in Least Active model."""

    policy = RoutingModel.LEAST_ACTIVE.value


def check(machine: type[LoadRatioFairness]) -> str:
    """Run the state machine; return a one-line verdict."""
    machine.runs = 0
    try:
        # Older Hypothesis releases leave it untyped, newer ones type it: both pass.
        run_state_machine_as_test(  # type: ignore[no-untyped-call, unused-ignore]
            machine,
            settings=settings(
                max_examples=40,
                stateful_step_count=30,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.generate],
                verbosity=Verbosity.quiet,
                suppress_health_check=list(HealthCheck),
            ),
        )
    except AssertionError as error:
        first_line = str(error).splitlines()[0]
        return f"{machine.policy.name}: counterexample found ({first_line})"
    return f"{machine.policy.name}: no counterexample ({machine.runs} machine runs)"


if __name__ == "__main__":
    print(f"bound: load ratios of same-skill agents within {1 / SMALLEST_CAPACITY}")
    print(check(LoadRatioFairness))
    print(check(LeastActiveFairness))
