"""Outbox benchmark: what writing outbox records adds to a unit of work, and relay throughput.

The target (issue 16): writing a change's outbox records costs at most 10% more than the
change's own writes. Two changes, each measured without and with its outbox records in the
same unit of work, on the in-memory adapter, SQLite (a file, WAL, synchronous=NORMAL) and
PostgreSQL (a throw-away local server with fsync on, started by this script; skipped
without the binaries). Each figure is the median over many calls (1,000 commands, 100
batches; ``--quick``: 100 and 20), the two variants alternating call by call, so that load
swings fall on both alike:

- ``command``: one unit of work per command: read a case, change its priority (one domain
  event, one audit entry), save, commit; with the outbox, one record appended too.
- ``batch``: ``--batch`` new cases added in one unit of work (each with its opening audit
  entry); with the outbox, one record per case, appended in one call.

Then the relay: records delivered per second by one ``OutboxRelay`` (``send`` does
nothing) claiming ``--relay-batch`` at a time: a claim and an ack unit of work per batch.

Prints microseconds per unit of work without and with the outbox, the difference, of which
how long making the ``OutboxRecord`` s took (checking them) and ``uow.outbox.append`` (the
rest is the commit writing more), and records per second through the relay.

    python benchmarks/outbox.py [--quick] [--batch 100] [--relay-batch 100] [--no-postgres]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.priority import Priority
from casekit.storage import (
    MemoryStorage,
    OutboxRecord,
    OutboxRelay,
    PostgresStorage,
    SQLiteStorage,
    Storage,
    UnitOfWork,
)
from casekit.testing.postgres_server import PostgresServer, find_postgres_bindir

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CLOCK = ManualClock(T0)
_serial = iter(range(10**9))


def case(run: str) -> ProductDeliveryCase:
    return ProductDeliveryCase.create(
        id=f"PDC-{run}-{next(_serial):07d}",
        product="Basic Allowance",
        primary_client="p1",
        owner=Owner.user("worker"),
        supervisor=Owner.user("boss"),
        clock=CLOCK,
    )


def record(case_id: str, kind: str) -> OutboxRecord:
    return OutboxRecord(
        id=f"evt-{next(_serial):09d}",
        source="/casekit/benchmark",
        type=f"casekit.case.{kind}",
        subject=case_id,
        time=T0,
        data={"case_id": case_id, "priority": "High"},
    )


PHASES: dict[str, list[float]] = {"make": [], "append": []}
"""Seconds spent making the records and in ``uow.outbox.append``, per call with the outbox."""


def _append(uow: UnitOfWork, make: Callable[[], list[OutboxRecord]]) -> None:
    start = time.perf_counter()
    records = make()
    made = time.perf_counter()
    uow.outbox.append(records)
    PHASES["make"].append(made - start)
    PHASES["append"].append(time.perf_counter() - made)


def command(storage: Storage, case_id: str, *, outbox: bool) -> None:
    with storage.unit_of_work() as uow:
        found = uow.cases.get(case_id)
        found.set_priority(
            Priority.HIGH if found.priority is not Priority.HIGH else Priority.LOW, actor="boss"
        )
        uow.cases.save(found)
        if outbox:
            _append(uow, lambda: [record(case_id, "priority_changed")])
        uow.commit()


def batch(storage: Storage, size: int, *, outbox: bool) -> None:
    cases = [case("batch") for _ in range(size)]
    with storage.unit_of_work() as uow:
        uow.cases.add_all(cases, actor="intake")
        if outbox:
            _append(uow, lambda: [record(c.id, "opened") for c in cases])
        uow.commit()


def drain(storage: Storage) -> None:
    relay = OutboxRelay(storage, lambda records: None, owner="drain", batch=10_000, clock=CLOCK)
    while relay.run_once():
        pass


def interleaved(
    plain: Callable[[], object], with_outbox: Callable[[], object], *, pairs: int
) -> tuple[float, float]:
    """Median seconds of each, over ``pairs`` calls of both, alternating which goes first.

    Calls alternate one by one (not in blocks), so that a swing in the machine's load falls
    on both alike; the medians ignore the calls a swing hit hardest.
    """
    times: dict[bool, list[float]] = {False: [], True: []}
    gc.collect()
    for n in range(pairs):
        for flag in (False, True) if n % 2 == 0 else (True, False):
            work = with_outbox if flag else plain
            start = time.perf_counter()
            work()
            times[flag].append(time.perf_counter() - start)
    return statistics.median(times[False]), statistics.median(times[True])


def relay_rate(storage: Storage, total: int, size: int) -> float:
    """Records per second one relay delivers, claiming ``size`` at a time."""
    for start in range(0, total, 1000):
        records = [record("PDC-relay", "opened") for _ in range(min(1000, total - start))]
        with storage.unit_of_work() as uow:
            uow.outbox.append(records)
            uow.commit()
    relay = OutboxRelay(storage, lambda records: None, owner="bench", batch=size, clock=CLOCK)
    start = time.perf_counter()
    sent = 0
    while done := relay.run_once():
        sent += done
    elapsed = time.perf_counter() - start
    assert sent == total, (sent, total)
    return sent / elapsed


def bench(name: str, storage: Storage, args: argparse.Namespace) -> list[str]:
    commands = 100 if args.quick else 1000
    batches = 20 if args.quick else 100
    drain(storage)
    seed = [case("cmd") for _ in range(50)]
    storage.add_all(seed, actor="intake")
    ids = [c.id for c in seed]
    cursor = iter(range(10**9))

    def next_id() -> str:
        return ids[next(cursor) % len(ids)]

    lines = []
    _reset()
    plain, with_outbox = interleaved(
        lambda: command(storage, next_id(), outbox=False),
        lambda: command(storage, next_id(), outbox=True),
        pairs=commands,
    )
    lines.append(_line(name, "command (1 event)", plain, with_outbox))
    _reset()
    plain, with_outbox = interleaved(
        lambda: batch(storage, args.batch, outbox=False),
        lambda: batch(storage, args.batch, outbox=True),
        pairs=batches,
    )
    lines.append(_line(name, f"batch of {args.batch} cases", plain, with_outbox))
    drain(storage)
    total = 2000 if args.quick else 10_000
    rate = relay_rate(storage, total, args.relay_batch)
    lines.append(f"{name:10} relay, batch {args.relay_batch:<5}        {rate:10,.0f} records/s")
    return lines


def _reset() -> None:
    for phase in PHASES.values():
        phase.clear()


def _line(name: str, what: str, plain: float, with_outbox: float) -> str:
    make, append = (statistics.median(PHASES[phase]) for phase in ("make", "append"))
    return (
        f"{name:10} {what:22} {plain * 1e6:9,.0f} µs  with outbox {with_outbox * 1e6:9,.0f} µs"
        f"  ({(with_outbox - plain) * 1e6:+7,.0f} µs, {(with_outbox / plain - 1) * 100:+.1f}%;"
        f" making the records {make * 1e6:,.0f} µs, append {append * 1e6:,.0f} µs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--batch", type=int, default=100, help="cases per batch unit of work")
    parser.add_argument("--relay-batch", type=int, default=100, help="records per claim")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args()
    lines: list[str] = []
    lines += bench("memory", MemoryStorage(clock=CLOCK), args)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SQLiteStorage(Path(tmp) / "bench.db", clock=CLOCK)
        try:
            lines += bench("sqlite", sqlite, args)
        finally:
            sqlite.close()
    if not args.no_postgres and find_postgres_bindir() is not None:
        server = PostgresServer.start(durable=True)
        try:
            conninfo = server.create_database("bench")
            PostgresStorage.migrate(conninfo)
            postgres = PostgresStorage(conninfo, clock=CLOCK)
            try:
                lines += bench("postgres", postgres, args)
            finally:
                postgres.close()
        finally:
            server.stop()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
