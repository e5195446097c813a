"""Storage benchmark: save and load cases in batches on each backend.

Saves N product delivery cases (default 50,000; ``--quick``: 5,000) in units of work of
``--batch`` cases (each add also writes the case's first audit entry), then loads them all
back page by page and a sample one by one, on the in-memory adapter (the baseline), SQLite
(a file, WAL, synchronous=NORMAL) and PostgreSQL (a throw-away local server with fsync on,
started by this script; skipped if the binaries are missing). Prints cases per second and
the ratio to the in-memory adapter measured in the same run.

Routing: durable routing decisions per second on SQLite and PostgreSQL in one process, and
across 4 processes on PostgreSQL (counting double offers), against the in-memory routing
store in the same run; each twice: one decision per committed unit of work (``offer_next``)
and ``--route-batch`` decisions per committed unit of work (``offer_batch``; 10 by default,
so 4 routers' batches fit in the 50 agents without holding the same ones).

    python benchmarks/storage.py [--quick] [--batch 1000] [--route-batch 10] [--no-postgres]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path

from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.priority import Priority
from casekit.storage import MemoryStorage, PostgresStorage, SQLiteStorage, Storage
from casekit.testing.postgres_server import PostgresServer, find_postgres_bindir

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CLOCK = ManualClock(T0)


def make_cases(n: int, run: str) -> list[ProductDeliveryCase]:
    return [
        ProductDeliveryCase.create(
            id=f"PDC-{run}-{i:06d}",
            product="Basic Allowance",
            primary_client=f"p{i}",
            owner=Owner.user(f"w{i % 50}"),
            supervisor=Owner.user("boss"),
            clock=CLOCK,
        )
        for i in range(n)
    ]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(storage: Storage, n: int, batch: int, run: str) -> dict[str, float]:
    cases = make_cases(n, run)

    def save() -> None:
        for start in range(0, n, batch):
            storage.add_all(cases[start : start + batch])

    def load_pages() -> None:
        seen = 0
        with storage.unit_of_work() as uow:
            after = None
            while True:
                page = uow.cases.query(limit=1000, after=after)
                seen += len(page.items)
                if page.next_after is None:
                    break
                after = page.next_after
        assert seen == n, (seen, n)

    sample = [c.id for c in cases[:: max(1, n // 2000)]]

    def load_by_id() -> None:
        with storage.unit_of_work() as uow:
            for case_id in sample:
                uow.cases.get(case_id)

    saved = timed(save)
    paged = timed(load_pages)
    by_id = timed(load_by_id)
    return {
        "save/s": n / saved,
        "load (pages)/s": n / paged,
        "load (by id)/s": len(sample) / by_id,
    }


def setup_routing(storage: Storage, items: int, agents: int, prefix: str = "item") -> None:
    capacity = -(-items // agents)  # room for every item: this measures offers, not waiting
    with storage.unit_of_work() as uow:
        for n in range(agents):
            uow.routing.put_agent(f"agent-{n:03d}", skills={"benefits"}, capacity=capacity)
        for n in range(items):
            uow.routing.enqueue(
                f"{prefix}-{n:06d}",
                priority=Priority.URGENT if n % 10 == 0 else Priority.NORMAL,
                skills={"benefits"},
                at=T0 + timedelta(milliseconds=n),
            )
        uow.commit()


def route_in_process(storage: Storage, items: int, batch: int = 1) -> float:
    """Durable routing decisions per second: ``batch`` offers per unit of work, committed.

    With ``batch`` 1 each decision is its own unit of work (``offer_next``); otherwise
    ``offer_batch`` makes up to ``batch`` decisions that commit together.
    """
    now = T0 + timedelta(hours=1)
    timeout = timedelta(minutes=5)
    start = time.perf_counter()
    offered = 0
    while True:
        with storage.unit_of_work() as uow:
            if batch == 1:
                item = uow.routing.offer_next(now=now, timeout=timeout)
                made = 0 if item is None else 1
            else:
                made = len(uow.routing.offer_batch(now=now, timeout=timeout, limit=batch))
            uow.commit()
        if not made:
            break
        offered += made
    elapsed = time.perf_counter() - start
    assert offered == items, (offered, items)
    return offered / elapsed


def route_in_processes(conninfo: str, processes: int, batch: int = 1) -> tuple[float, int]:
    """Offers per second across processes (each timing its own loop), and double offers."""
    script = (
        "import sys; from casekit.testing.storage_contract import routing_worker; "
        "routing_worker(sys.argv[1:])"
    )
    # Each worker writes to its own file: pipes read one after another would stall every
    # worker but the first as soon as its pipe buffer (64 KiB, ~1,100 offers) fills up.
    with ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in range(processes)]
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", script, "postgres", conninfo, "offer", "3600", str(batch)],
                stdout=log,
                text=True,
            )
            for log in logs
        ]
        outputs = []
        for worker, log in zip(workers, logs, strict=True):
            worker.wait()
            log.seek(0)
            outputs.append(log.read())
    offered: Counter[str] = Counter()
    slowest = 0.0
    total = 0
    for out in outputs:
        lines = out.splitlines()
        _, seconds, count = lines[-1].split()
        slowest = max(slowest, float(seconds))
        total += int(count)
        offered.update(line.split()[1] for line in lines if line.startswith("O "))
    doubles = sum(n - 1 for n in offered.values())
    return total / slowest, doubles


def report(name: str, figures: dict[str, float], baseline: dict[str, float]) -> None:
    cells = [
        f"{key} {value:>9,.0f} (x{value / baseline[key]:.2f} of memory)"
        for key, value in figures.items()
    ]
    print(f"{name:<11} " + " | ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 cases instead of 50,000")
    parser.add_argument("--batch", type=int, default=1000, help="cases per unit of work")
    parser.add_argument(
        "--route-batch", type=int, default=10, help="decisions per unit of work, batched figures"
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    n = 5_000 if args.quick else 50_000
    r = 2_000 if args.quick else 10_000
    print(f"storage benchmark: {n:,} cases, {args.batch:,} per unit of work; {r:,} routed items")

    baseline = measure(MemoryStorage(clock=CLOCK), n, args.batch, "mem")
    report("memory", baseline, baseline)
    memory = MemoryStorage(clock=CLOCK)
    setup_routing(memory, r, 50)
    routing_baseline = route_in_process(memory, r)
    print(f"routing     memory: {routing_baseline:,.0f} decisions/s (in-memory baseline)")
    per = f"{args.route_batch} decisions per unit of work (offer_batch)"

    def routing(where: str, rate: float, target: str = "", after: str = "") -> None:
        print(
            f"routing     {where}: {rate:,.0f} durable decisions/s "
            f"(x{rate / routing_baseline:.2f} of memory{target}){after}"
        )

    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SQLiteStorage(Path(tmp) / "bench.db", clock=CLOCK)
        report("sqlite", measure(sqlite, n, args.batch, "sqlite"), baseline)
        setup_routing(sqlite, r, 50)
        routing(
            "sqlite, 1 decision per unit of work", route_in_process(sqlite, r), "; target >= 3,000"
        )
        sqlite.close()
        sqlite = SQLiteStorage(Path(tmp) / "batched.db", clock=CLOCK)
        setup_routing(sqlite, r, 50)
        routing(f"sqlite, {per}", route_in_process(sqlite, r, args.route_batch))
        sqlite.close()

    if args.no_postgres or find_postgres_bindir() is None or find_spec("psycopg") is None:
        print("postgresql  skipped (--no-postgres, or no PostgreSQL binaries, or no psycopg)")
        return
    server = PostgresServer.start(durable=True)
    try:
        postgres = PostgresStorage(server.create_database("bench"), clock=CLOCK)
        report("postgresql", measure(postgres, n, args.batch, "pg"), baseline)
        setup_routing(postgres, r, 50)
        routing("postgresql, 1 process, 1 decision per unit of work", route_in_process(postgres, r))
        postgres.close()
        postgres = PostgresStorage(server.create_database("batched"), clock=CLOCK)
        setup_routing(postgres, r, 50)
        rate = route_in_process(postgres, r, args.route_batch)
        routing(f"postgresql, 1 process, {per}", rate)
        postgres.close()
        for batch in (1, args.route_batch):
            conninfo = server.create_database(f"bench4_{batch}")
            four = PostgresStorage(conninfo, clock=CLOCK)
            setup_routing(four, 4 * r // 2, 50)
            four.close()
            rate, doubles = route_in_processes(conninfo, 4, batch)
            how = "1 decision per unit of work" if batch == 1 else per
            routing(
                f"postgresql, 4 processes, {how}",
                rate,
                "; target >= 2,000",
                f", {doubles} double offers",
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
