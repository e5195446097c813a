"""Routing state survives SIGKILL, and four processes share one PostgreSQL without double offers.

Real subprocesses run ``casekit.testing.storage_contract.routing_worker``; each prints a line
after every commit, so the test knows exactly which decisions were committed when it kills
the worker.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import IO

import psycopg
import pytest

from casekit.priority import Priority
from casekit.storage import ItemState, PostgresStorage, SQLiteStorage, Storage
from casekit.testing.postgres_server import PostgresServer

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
WORKER = (
    "import sys; from casekit.testing.storage_contract import routing_worker; "
    "routing_worker(sys.argv[1:])"
)


def _worker(
    storage: Storage,
    mode: str,
    start: int,
    *,
    batch: int = 1,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> subprocess.Popen[str]:
    if isinstance(storage, SQLiteStorage):
        backend, target = "sqlite", storage.path
    else:
        assert isinstance(storage, PostgresStorage)
        backend, target = "postgres", storage.conninfo
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, backend, target, mode, str(start), str(batch)],
        stdout=out or subprocess.PIPE,
        stderr=err or subprocess.PIPE,
        text=True,
    )


def _setup(storage: Storage, *, items: int, agents: int, capacity: int) -> list[str]:
    ids = [f"item-{n:05d}" for n in range(items)]
    with storage.unit_of_work() as uow:
        for n in range(agents):
            uow.routing.put_agent(f"agent-{n:02d}", skills={"benefits"}, capacity=capacity)
        for n, item_id in enumerate(ids):
            priority = Priority.URGENT if n % 7 == 0 else Priority.NORMAL
            uow.routing.enqueue(item_id, priority=priority, skills={"benefits"}, at=T0)
        uow.commit()
    return ids


@pytest.fixture(params=["sqlite", "postgres"])
def durable(request: pytest.FixtureRequest, storage_factory: Callable[[str], Storage]) -> Storage:
    return storage_factory(request.param)


def test_router_rebuilt_after_sigkill_loses_and_duplicates_nothing(durable: Storage) -> None:
    ids = _setup(durable, items=400, agents=5, capacity=100)
    worker = _worker(durable, "crash", 0)
    assert worker.stdout is not None
    committed: list[list[str]] = []
    while len(committed) < 150:
        line = worker.stdout.readline()
        if line.startswith("T "):
            continue
        assert line, f"worker ended early: {worker.stderr.read() if worker.stderr else ''}"
        committed.append(line.split())
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL
    # lines printed after our last read were committed too; a torn last line was not
    committed.extend(line.split() for line in worker.stdout.read().split("\n")[:-1])

    with durable.unit_of_work() as uow:
        items = {i.item_id: i for i in uow.routing.items()}
        agents = uow.routing.agents()
        offers = {item_id: uow.routing.offers(item_id) for item_id in ids}
    assert sorted(items) == ids  # nothing lost
    for record in committed:  # every committed decision is in the store, as made
        item = items[record[1]]
        assert item.agent_id == record[2]
        if record[0] == "O":
            assert item.state in (ItemState.OFFERED, ItemState.ACCEPTED)
            assert offers[record[1]] == [(record[2], datetime.fromisoformat(record[3]))]
            if item.state is ItemState.OFFERED:
                assert item.deadline == datetime.fromisoformat(record[3])  # deadline kept
        else:
            assert item.state is ItemState.ACCEPTED
    assert all(len(log) <= 1 for log in offers.values())  # nothing offered twice
    held = Counter(i.agent_id for i in items.values() if i.state is not ItemState.QUEUED)
    assert {a.agent_id: a.load for a in agents} == {a.agent_id: held[a.agent_id] for a in agents}

    # A new router carries on from the store and finishes the run.
    resumed = _worker(durable, "crash", 3600)
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    with durable.unit_of_work() as uow:
        final = {i.item_id: i for i in uow.routing.items()}
        assert all(len(uow.routing.offers(item_id)) == 1 for item_id in ids)
        loads = {a.agent_id: a.load for a in uow.routing.agents()}
    assert {i.state for i in final.values()} == {ItemState.OFFERED, ItemState.ACCEPTED}
    for item_id, item in final.items():
        expected = ItemState.OFFERED if int(item_id.rsplit("-", 1)[1]) % 2 else ItemState.ACCEPTED
        assert item.state is expected, item_id
    assert sum(loads.values()) == len(ids)
    assert max(loads.values()) <= 100


@pytest.mark.parametrize("batch", [1, 4], ids=["offer_next", "offer_batch"])
def test_four_processes_never_offer_twice_or_exceed_capacity(
    storage_factory: Callable[[str], Storage], pg_server: PostgresServer, batch: int
) -> None:
    storage = storage_factory("postgres")
    assert isinstance(storage, PostgresStorage)
    ids = _setup(storage, items=4 * 2000, agents=20, capacity=5)
    over: list[tuple[str, int]] = []
    done = threading.Event()

    def watch() -> None:  # sample loads while the workers run
        with psycopg.connect(storage.conninfo, autocommit=True) as conn:
            while not done.is_set():
                row = conn.execute(
                    "SELECT agent_id, load FROM routing_agents ORDER BY load DESC LIMIT 1"
                ).fetchone()
                if row is not None and row[1] > 5:
                    over.append(row)
                time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    # Output to files, not pipes: pipes drained one after another would stall every worker
    # but the first once its pipe buffer fills, and the four would mostly take turns.
    outputs = []
    with ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in range(8)]
        workers = [
            _worker(storage, "drain", 0, batch=batch, out=logs[n], err=logs[4 + n])
            for n in range(4)
        ]
        try:
            for worker, out, err in zip(workers, logs[:4], logs[4:], strict=True):
                worker.wait(timeout=300)
                out.seek(0)
                err.seek(0)
                assert worker.returncode == 0, err.read()
                outputs.append(out.read())
        finally:
            done.set()
            watcher.join()
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
    offered = Counter(
        line.split()[1] for out in outputs for line in out.splitlines() if line[0] == "O"
    )
    assert sum(int(out.splitlines()[-1].split()[2]) for out in outputs) == len(ids)
    assert sorted(offered) == ids
    assert set(offered.values()) == {1}  # no item offered twice
    assert all(out.count("\nO ") > 0 for out in ("\n" + o for o in outputs))  # all four worked
    assert over == []
    with psycopg.connect(storage.conninfo) as conn:
        logged = conn.execute(
            "SELECT count(*), count(DISTINCT item_id) FROM routing_offers"
        ).fetchone()
        loads = conn.execute("SELECT max(load), sum(load) FROM routing_agents").fetchone()
    assert logged == (len(ids), len(ids))
    assert loads == (0, 0)
    with storage.unit_of_work() as uow:
        assert uow.routing.items() == []
