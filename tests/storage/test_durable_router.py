"""The durable router: RouterStateMachine with every option against the journal on each
backend, with the in-memory Router as the oracle and replicas rebuilt mid-run."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from casekit.clock import ManualClock
from casekit.errors import CorruptRecord, StorageError, ValidationError
from casekit.priority import Priority
from casekit.routing import Agent, AgentView, Aging, Presence, Router, RoutingModel, WorkItem
from casekit.storage import (
    DurableRouter,
    JournalSnapshot,
    MemoryStorage,
    SQLiteStorage,
    Storage,
    serve_timers,
)
from casekit.storage.durable_router import SNAPSHOT_FORMAT, _Unpickler, restore_into
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


# ---------------------------------------------------------------- review regressions

_T = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _memory_router(**options: Any) -> tuple[MemoryStorage, DurableRouter]:
    storage = MemoryStorage(clock=ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC)))
    return storage, DurableRouter(storage, "d", **options)


def test_a_snapshot_naming_a_dotted_path_is_refused_not_followed() -> None:
    """Regression: pickle resolves dotted names, so "logging.os.getpid" from an allowed
    module reached os.getpid; a snapshot may name only the router's own classes."""
    unpickler = _Unpickler(io.BytesIO(b""))
    for module, name in [
        ("casekit.routing.router", "logging.os.getpid"),
        ("casekit.routing.router", "logging"),  # a module, not a class
        ("casekit.routing.router", "Agent"),  # imported there, defined elsewhere
        ("casekit.routing.router", "check_bool"),  # a function
        ("os", "system"),
    ]:
        with pytest.raises(CorruptRecord):
            unpickler.find_class(module, name)
    assert unpickler.find_class("casekit.routing.model", "Agent") is Agent
    crafted = (
        b"\x80\x05"
        + b"\x8c\x16casekit.routing.router"
        + b"\x94"
        + b"\x8c\x11logging.os.getpid"
        + b"\x94\x93)R."
    )
    with pytest.raises(CorruptRecord, match=r"logging\.os\.getpid"):
        restore_into(Router(), crafted)


def test_a_command_failing_half_way_cannot_commit_and_publishes_nothing() -> None:
    """Regression: a non-casekit error mid-command left the unit of work committable, its
    events queued for the next command, and the half-changed replica snapshottable."""

    class Exploding:
        name = "explodes once"
        calls = 0

        def score(self, agent: AgentView) -> int:
            Exploding.calls += 1
            if Exploding.calls == 1:
                raise RuntimeError("boom")
            return agent.load

    storage, router = _memory_router(model=Exploding(), snapshot_every=1)
    seen: list[object] = []
    router.subscribe(seen.append)
    with storage.unit_of_work() as uow:
        bound = router.bind(uow)
        with pytest.raises(RuntimeError):
            bound.add_agent(Agent("ann", {"a": 1}), Presence.AVAILABLE)
        with pytest.raises(StorageError):
            uow.commit()
    assert seen == []
    with storage.unit_of_work() as uow:
        assert uow.journal.head("d") == 0
        assert uow.journal.snapshot("d") is None
    assert router.agents() == []


def test_a_raising_subscriber_neither_blocks_other_domains_nor_undoes_the_commit() -> None:
    """Regression: a subscriber's exception stopped the other end callbacks (a second
    domain's lock was never released) and made a successful commit raise."""
    storage, first = _memory_router()
    second = DurableRouter(storage, "e")

    def failing(event: object) -> None:
        raise RuntimeError("subscriber bug")

    first.subscribe(failing)
    with storage.unit_of_work() as uow:
        first.bind(uow).add_agent(Agent("ann", {"a": 1}), Presence.AVAILABLE)
        second.bind(uow).add_agent(Agent("bob", {"a": 1}), Presence.AVAILABLE)
        uow.commit()
    assert second._lock.acquire(timeout=1)
    second._lock.release()
    assert [a.agent.id for a in second.agents()] == ["bob"]


def test_subclasses_of_agent_and_work_item_are_journalled_as_their_fields() -> None:
    """Regression: a WorkItem subclass was routed but journalled as None, so every replica
    failed on that entry for good."""

    class MyItem(WorkItem):
        pass

    storage, router = _memory_router()
    router.add_agent(Agent("ann", {"a": 1}), Presence.AVAILABLE)
    assert router.submit(MyItem("i1", {"a": 1})) is not None
    other = DurableRouter(storage, "d")
    assert other.state_of("i1") is router.state_of("i1")


def test_a_refusal_that_changed_the_router_rebuilds_the_replica() -> None:
    """Regression: a policy mixing integer and other scores raised a ValidationError after
    the item was stored and offered; the replica kept it and no other replica had it."""

    class Mixed:
        name = "mixed"

        def score(self, agent: AgentView) -> object:
            return 0 if agent.load == 0 else 0.5

    storage, router = _memory_router(model=Mixed())
    router.add_agent(Agent("ann", {"a": 1}, capacity=3), Presence.AVAILABLE)
    with pytest.raises(ValidationError):
        router.submit(WorkItem("i1", {"a": 1}))
    assert router.read(len) == 0
    assert DurableRouter(storage, "d", model=Mixed()).read(len) == 0


def test_an_unreadable_snapshot_is_skipped_and_the_journal_replayed() -> None:
    """Regression: a corrupt snapshot made every bind raise CorruptRecord for good."""
    storage, router = _memory_router()
    router.add_agent(Agent("ann", {"a": 1}), Presence.AVAILABLE)
    with storage.unit_of_work() as uow:
        uow.journal.save_snapshot(JournalSnapshot("d", 1, SNAPSHOT_FORMAT, b"\x80\x05junk", _T))
        uow.commit()
    cold = DurableRouter(storage, "d")
    assert [a.agent.id for a in cold.agents()] == ["ann"]


def test_a_tick_journals_once_per_passed_deadline_not_per_poll() -> None:
    """A tick is journalled when a deadline has passed, even a pointless one (an answered
    offer's), so every replica pops the same timers; a second tick finds nothing due."""
    storage, router = _memory_router(push_timeout=timedelta(minutes=10))
    router.add_agent(Agent("ann", {"a": 1}), Presence.AVAILABLE)
    router.submit(WorkItem("i1", {"a": 1}))
    router.accept("i1", "ann")
    assert isinstance(storage.clock, ManualClock)
    storage.clock.advance(timedelta(minutes=11))
    with storage.unit_of_work() as uow:
        head = uow.journal.head("d")
    assert router.tick() == 0
    assert router.tick() == 0
    with storage.unit_of_work() as uow:
        assert uow.journal.head("d") == head + 1
    assert router.next_deadline() is None


def test_a_binding_whose_unit_of_work_ended_refuses_reads_too() -> None:
    """Regression: reads through an ended binding ran without the replica's lock."""
    storage, router = _memory_router()
    with storage.unit_of_work() as uow:
        bound = router.bind(uow)
        uow.commit()
    with pytest.raises(ValidationError):
        bound.load("ann")
    with pytest.raises(ValidationError):
        bound.tick()
