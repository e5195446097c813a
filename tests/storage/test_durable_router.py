"""The durable router: RouterStateMachine with every option against the journal on each
backend, with the in-memory Router as the oracle and replicas rebuilt mid-run."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from casekit.clock import ManualClock
from casekit.errors import ValidationError
from casekit.priority import Priority
from casekit.routing import Agent, AgentView, Aging, Presence, RoutingModel, WorkItem
from casekit.storage import DurableRouter, SQLiteStorage, Storage, serve_timers
from casekit.storage.journal import _APPEND, _LAST, _READ
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


def test_timer_workers_tick_when_deadlines_fall_due(storage: Storage) -> None:
    """Two timer workers on one domain: each offer times out once and moves on."""
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    domain = f"timers-{id(clock)}"
    router = DurableRouter(storage, domain, clock=clock, push_timeout=timedelta(minutes=5))
    other = DurableRouter(storage, domain, clock=clock, push_timeout=timedelta(minutes=5))
    router.add_agent(Agent("ana", {"a": 1}), Presence.AVAILABLE)
    router.add_agent(Agent("ben", {"a": 1}), Presence.AVAILABLE)
    offer = router.submit(WorkItem("c1", {"a": 1}))
    assert offer is not None
    stop = threading.Event()
    waits: list[float] = []

    def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        if len(waits) >= 3:
            stop.set()

    ticks = serve_timers(router, stop=stop, poll=120, snapshot_every=2, sleep=fake_sleep)
    stop.clear()
    waits.clear()
    ticks += serve_timers(other, stop=stop, poll=120, sleep=fake_sleep)
    assert ticks >= 1
    assert waits
    assert all(0 < w <= 120 for w in waits)
    status = router.item("c1")
    assert status.declined_by == (offer.agent_id,)
    with storage.unit_of_work() as uow:  # the worker snapshotted the grown journal
        snapshot = uow.journal.snapshot(domain)
    assert snapshot is not None
    assert snapshot.seq >= 3
    with pytest.raises(ValidationError):
        serve_timers(router, poll=0)
    with pytest.raises(ValidationError):
        serve_timers(router, snapshot_every=0)


def test_journal_statements_cost_the_same_however_long_the_journal(tmp_path: Path) -> None:
    """Regression: head, read and append found the domain's last entry by scanning all its
    rows (O(journal) per command). Counted in SQLite virtual-machine steps (not time): the
    cost with 2,000 rows stays that with 20."""
    storage = SQLiteStorage(tmp_path / "steps.db")
    conn = storage._dialect.conn
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    def cost(rows: int) -> dict[str, int]:
        conn.execute("DELETE FROM routing_journal")
        conn.executemany(
            "INSERT INTO routing_journal VALUES ('d', ?, ?, '[]')",
            [(n, n) for n in range(1, rows + 1)],
        )
        costs = {}
        for name, sql, params in (
            ("head", _LAST, ("d",)),
            ("read", _READ, ("d", "d", rows)),
            ("append", _APPEND, ("d", rows + 1, rows + 1, "[]", "d", rows)),
        ):
            steps[0] = 0
            conn.set_progress_handler(count, 1)
            conn.execute(sql, params).fetchall()
            conn.set_progress_handler(None, 1)
            costs[name] = steps[0]
        return costs

    short, long = cost(20), cost(2_000)
    for name in short:
        assert long[name] <= 2 * short[name] + 50, (name, short[name], long[name])
    storage.close()
