"""Escalation ladders on one domain shared by real processes: every rung applied once.

Two worker processes submit items to one durable routing domain with an escalation ladder
(rungs 30 ms, 80 ms and 150 ms after an item enters its stage, on the system clock) and tick
it as fast as they can, so both keep finding the same rungs due. Afterwards the journal must
hold each rung of each item exactly once and in order, every rung of every item that waited
long enough must have been applied, and a replica rebuilt from the journal alone (and one
from a snapshot) must agree with it. Run three times per test run: a flaky multi-process
test is a failing test.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import pytest

from casekit.routing import ItemState
from casekit.storage import DurableRouter, PostgresStorage, SQLiteStorage, Storage
from casekit.storage.durable_router import _LADDER_COMMAND
from casekit.testing import check_routing_invariants
from casekit.testing.contract_routing import observable

WORKER = r"""
import sys, time
from datetime import timedelta
from casekit.priority import Priority
from casekit.routing import Agent, Ladder, Presence, Rung, WorkItem
from casekit.storage import DurableRouter
from casekit.testing.contract_support import open_storage

backend, target, domain, name, count = sys.argv[1:]
MS = timedelta(milliseconds=1)
LADDERS = (Ladder("Triage", [
    Rung(30 * MS, drop={"spanish"}),
    Rung(80 * MS, raise_to=Priority.HIGH),
    Rung(150 * MS, skills={}, notify=True),
]),)
storage = open_storage(backend, target)
router = DurableRouter(storage, domain, push_timeout=None, ladders=LADDERS, attempts=50)
for n in range(int(count)):
    router.submit(WorkItem(f"{name}-{n}", {"triage": 1, "spanish": 1}, stage="Triage"))
    router.tick()
    time.sleep(0.005)
deadline = time.monotonic() + 0.6
while time.monotonic() < deadline:
    router.tick()
    time.sleep(0.002)
print("DONE", router.position, flush=True)
"""


def _ladders() -> tuple[object, ...]:
    from casekit.priority import Priority  # noqa: PLC0415  mirrors the worker's
    from casekit.routing import Ladder, Rung  # noqa: PLC0415

    ms = timedelta(milliseconds=1)
    return (
        Ladder(
            "Triage",
            [
                Rung(30 * ms, drop={"spanish"}),
                Rung(80 * ms, raise_to=Priority.HIGH),
                Rung(150 * ms, skills={}, notify=True),
            ],
        ),
    )


def _target(storage: Storage) -> tuple[str, str]:
    if isinstance(storage, SQLiteStorage):
        return "sqlite", str(storage.path)
    assert isinstance(storage, PostgresStorage)
    return "postgres", storage.conninfo


@pytest.mark.parametrize("run", [1, 2, 3], ids=lambda run: f"run{run}")
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_two_processes_apply_each_rung_once(
    storage_factory: Callable[[str], Storage],
    backend: str,
    run: int,
    request: pytest.FixtureRequest,
) -> None:
    if backend == "postgres":
        request.getfixturevalue("pg_server")
    storage = storage_factory(backend)
    domain = f"ladders-{backend}-{run}"
    kind, target = _target(storage)
    count = 25
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, kind, target, domain, f"w{n}", str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        assert out.startswith("DONE"), out
    with storage.unit_of_work() as uow:
        entries = uow.journal.read(domain)
    applied: dict[str, list[int]] = {}
    for entry in entries:
        if entry.command == _LADDER_COMMAND:
            for item_id, index, *_ in entry.args["rungs"]:
                applied.setdefault(item_id, []).append(index)
    items = {f"w{w}-{n}" for w in range(2) for n in range(count)}
    # Every item waited at least 0.6 s after the last submit: all three rungs, once, in order.
    assert applied == {item_id: [0, 1, 2] for item_id in items}
    ladders = _ladders()
    replica = DurableRouter(storage, domain, push_timeout=None, ladders=ladders)  # type: ignore[arg-type]
    replica.refresh()
    check_routing_invariants(replica._replica)
    for item_id in items:
        status = replica.item(item_id)
        assert status.state is ItemState.QUEUED  # nobody to offer to: it waits, relaxed
        assert dict(status.item.skills) == {}
        assert [r.index for r in replica.ladder_history(item_id)] == [0, 1, 2]
    replica.take_snapshot()
    again = DurableRouter(storage, domain, push_timeout=None, ladders=ladders)  # type: ignore[arg-type]
    assert again.read(observable) == replica.read(observable)
    assert {i: [r.index for r in again.ladder_history(i)] for i in items} == applied
    plain = DurableRouter(storage, domain, push_timeout=None)  # without ladders: replays them
    plain.rebuild()
    assert plain.read(observable) == replica.read(observable)
