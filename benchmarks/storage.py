"""Storage benchmark: save and load cases in batches on each backend.

Saves N product delivery cases (default 50,000; ``--quick``: 5,000) in units of work of
``--batch`` cases (each add also writes the case's first audit entry), then loads them all
back page by page and a sample one by one, on the in-memory adapter (the baseline), SQLite
(a file, WAL, synchronous=NORMAL) and PostgreSQL (a throw-away local server with fsync on,
started by this script; skipped if the binaries are missing). Prints cases per second and
the ratio to the in-memory adapter measured in the same run.

    python benchmarks/storage.py [--quick] [--batch 1000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.storage import MemoryStorage, PostgresStorage, SQLiteStorage, Storage
from casekit.testing.postgres_server import PostgresServer, find_postgres_bindir

CLOCK = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))


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
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    n = 5_000 if args.quick else 50_000
    print(f"storage benchmark: {n:,} cases, {args.batch:,} per unit of work")

    baseline = measure(MemoryStorage(clock=CLOCK), n, args.batch, "mem")
    report("memory", baseline, baseline)

    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SQLiteStorage(Path(tmp) / "bench.db", clock=CLOCK)
        report("sqlite", measure(sqlite, n, args.batch, "sqlite"), baseline)
        sqlite.close()

    if args.no_postgres or find_postgres_bindir() is None:
        print("postgresql  skipped (no PostgreSQL binaries, or --no-postgres)")
        return
    server = PostgresServer.start(durable=True)
    try:
        postgres = PostgresStorage(server.create_database("bench"), clock=CLOCK)
        report("postgresql", measure(postgres, n, args.batch, "pg"), baseline)
        postgres.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
