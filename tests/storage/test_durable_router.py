"""The durable router: RouterStateMachine with every option against the journal on each
backend, with the in-memory Router as the oracle and replicas rebuilt mid-run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from casekit.priority import Priority
from casekit.routing import AgentView, Aging, RoutingModel
from casekit.storage import Storage
from casekit.testing.contract_routing import durable_router_machine

@attrs.frozen
class LoadRatioThenSkills:
    """A custom (deterministic) policy: load ratio, then more skills first."""

    name: str = "load ratio, then skills"

    def score(self, agent: AgentView) -> tuple[float, int]:
        return (agent.load / agent.capacity, -len(agent.skills))


CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "least active": {},
    "most available, pins not counted": {
        "model": RoutingModel.MOST_AVAILABLE,
        "count_pins": False,
    },
    "custom policy, cool-down, grace, aging": {
        "model": LoadRatioThenSkills(),
        "cooldown": timedelta(minutes=15),
        "push_timeout": timedelta(minutes=5),
        "offline_grace": timedelta(minutes=10),
        "aging": Aging(every=timedelta(minutes=10), cap=Priority.URGENT),
    },
}

RUNS = settings(
    max_examples=12,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_durable_router_agrees_with_the_in_memory_router(
    storage: Storage, configuration: str
) -> None:
    machine = durable_router_machine(storage, **CONFIGURATIONS[configuration])
    run_state_machine_as_test(machine, settings=RUNS)
