"""The durable router survives SIGKILL, and several processes share one domain safely.

Real subprocesses run :func:`casekit.testing.contract_routing.router_worker`; each prints a
line after every commit with the journal position it committed, so the test knows what was
durable when it killed the worker. Afterwards a fresh replica (another process would build
the same) is rebuilt from the journal and checked: every item queued, offered, accepted or
pinned exactly once, every agent's load the sum of the weights it holds and within its
capacity, deadlines kept.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import IO

import pytest

from casekit.clock import ManualClock
from casekit.routing import Agent, ItemState, Presence, WorkItem
from casekit.storage import DurableRouter, PostgresStorage, SQLiteStorage, Storage
from casekit.testing import check_routing_invariants
from casekit.testing.contract_routing import observable

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
WORKER = (
    "import sys; from casekit.testing.contract_routing import router_worker; "
    "router_worker(sys.argv[1:])"
)


def _target(storage: Storage) -> tuple[str, str]:
    if isinstance(storage, SQLiteStorage):
        return "sqlite", storage.path
    assert isinstance(storage, PostgresStorage)
    return "postgres", storage.conninfo


def _worker(
    storage: Storage,
    domain: str,
    seed: str,
    count: int,
    *,
    out: IO[str] | int = subprocess.PIPE,
    err: IO[str] | int = subprocess.PIPE,
) -> subprocess.Popen[str]:
    backend, target = _target(storage)
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, backend, target, domain, seed, str(count)],
        stdout=out,
        stderr=err,
        text=True,
    )


def _setup(storage: Storage, domain: str, *, agents: int, capacity: int) -> None:
    router = DurableRouter(storage, domain, clock=ManualClock(T0))
    with storage.unit_of_work() as uow:
        bound = router.bind(uow)
        for n in range(agents):
            bound.add_agent(
                Agent(f"agent-{n:02d}", {"s": 1}, capacity=capacity), Presence.AVAILABLE
            )
        uow.commit()


def _check_domain(
    storage: Storage, domain: str, push_timeout: timedelta = timedelta(seconds=30)
) -> DurableRouter:
    """Rebuild the domain from its journal alone and from its snapshot; check both."""
    with storage.unit_of_work() as uow:
        head = uow.journal.head(domain)
        entries = uow.journal.read(domain)
    assert [e.seq for e in entries] == list(range(1, head + 1)), "the journal has a gap"
    replica = DurableRouter(
        storage, domain, clock=ManualClock(T0), snapshot_every=None, push_timeout=push_timeout
    )
    replica.refresh()
    assert replica.position == head
    router = replica._replica
    check_routing_invariants(router)
    for status in router.items():  # every item once, in one state; loads within capacity
        assert status.state in ItemState
    for agent in router.agents():
        held = [
            s.item.weight
            for s in router.items()
            if s.agent_id == agent.agent.id and s.state is not ItemState.QUEUED
        ]
        assert agent.load == sum(held), agent
        assert agent.load <= agent.agent.capacity, agent
    offered = [s for s in router.items() if s.state is ItemState.OFFERED]
    last = max((e.at for e in entries), default=T0)
    assert all(s.deadline is not None and s.deadline > s.offered_at for s in offered)  # type: ignore[operator]
    assert all(s.offered_at <= last for s in offered)  # type: ignore[operator]
    snapshotted = DurableRouter(
        storage, domain, clock=ManualClock(T0), snapshot_every=None, push_timeout=push_timeout
    )
    snapshotted.take_snapshot()
    again = DurableRouter(
        storage, domain, clock=ManualClock(T0), snapshot_every=None, push_timeout=push_timeout
    )
    assert again.read(observable) == replica.read(observable)
    return replica


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_sigkill_at_random_points_loses_nothing(
    storage_factory: Callable[[str], Storage], backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "postgres":
        request.getfixturevalue("pg_server")
    storage = storage_factory(backend)
    domain = f"crash-{backend}"
    _setup(storage, domain, agents=6, capacity=5)
    rng = random.Random(7)
    committed = 0
    for kill in range(30):
        worker = _worker(storage, domain, f"k{kill}", 10_000)
        assert worker.stdout is not None
        # Kill after it committed a few (or while it is still starting, now and then).
        wanted = rng.choice((0, 1, 3, 10, 25))
        lines = []
        while len(lines) < wanted:
            line = worker.stdout.readline()
            if not line:
                break
            lines.append(line)
        time.sleep(rng.random() * 0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=60)
        worker.stdout.close()
        assert worker.stderr is not None
        worker.stderr.close()
        positions = [int(line.split()[1]) for line in lines if line.startswith("C ")]
        if positions:
            committed = max(committed, *positions)
        with storage.unit_of_work() as uow:
            head = uow.journal.head(domain)
        assert head >= committed, f"kill {kill}: committed {committed}, journal at {head}"
    replica = _check_domain(storage, domain)
    assert replica.position >= committed > 0


def _run_concurrently(storage: Storage, domain: str, processes: int, count: int) -> list[str]:
    outputs = []
    with ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in range(2 * processes)]
        workers = [
            _worker(storage, domain, f"p{n}", count, out=logs[n], err=logs[processes + n])
            for n in range(processes)
        ]
        try:
            for worker, out, err in zip(workers, logs[:processes], logs[processes:], strict=True):
                worker.wait(timeout=600)
                out.seek(0)
                err.seek(0)
                assert worker.returncode == 0, err.read()
                outputs.append(out.read())
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
    return outputs


@pytest.mark.parametrize("run", [1, 2, 3], ids=lambda run: f"run{run}")
@pytest.mark.parametrize(
    ("backend", "count"), [("postgres", 2000), ("sqlite", 500)], ids=["postgres", "sqlite"]
)
def test_four_processes_share_one_domain(
    storage_factory: Callable[[str], Storage],
    backend: str,
    count: int,
    run: int,
    request: pytest.FixtureRequest,
) -> None:
    """Run three times in every test run: a flaky multi-process test is a failing test."""
    if backend == "postgres":
        request.getfixturevalue("pg_server")
    storage = storage_factory(backend)
    domain = f"shared-{backend}-{run}"
    _setup(storage, domain, agents=20, capacity=5)
    outputs = _run_concurrently(storage, domain, 4, count)
    journalled = 20  # the agents
    for out in outputs:
        lines = out.splitlines()
        assert lines[-1].startswith("T ")
        assert int(lines[-1].split()[2]) == count
        positions = [int(line.split()[1]) for line in lines if line.startswith("C ")]
        assert positions == sorted(positions)
        assert len(positions) == count
        ops = [
            op
            for line in lines
            if line.startswith("C ")
            for op in json.loads(line[2:].split(" ", 1)[1])
        ]
        journalled += sum(op != "tick 0" for op in ops)  # a tick with nothing due is not
    replica = _check_domain(storage, domain)
    assert replica.position == journalled  # every command once, none lost, none twice


def test_eight_threads_share_one_durable_router(storage: Storage) -> None:
    """One replica, eight threads: one lock per replica keeps it whole (no KeyError, no
    stranded item), and the journal replays to the same router."""
    domain = f"threads-{random.random()}"
    clock = ManualClock(T0)
    router = DurableRouter(storage, domain, clock=clock, push_timeout=timedelta(minutes=1))
    for n in range(4):
        router.add_agent(Agent(f"agent-{n}", {"s": 1}, capacity=3), Presence.AVAILABLE)
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for n in range(40):
                item_id = f"t{thread}-{n}"
                offer = router.submit(WorkItem(item_id, {"s": 1}))
                if offer is not None and n % 3:
                    router.accept(item_id, offer.agent_id)
                if n % 2:
                    router.release(item_id)
        except BaseException as error:  # pragma: no cover  reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    live = router.read(observable)
    check_routing_invariants(router._replica)
    rebuilt = _check_domain(storage, domain, push_timeout=timedelta(minutes=1))
    assert rebuilt.read(observable) == live
