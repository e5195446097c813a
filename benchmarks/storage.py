"""Storage benchmark: save and load cases in batches on each backend.

Saves N product delivery cases (default 50,000; ``--quick``: 5,000) in units of work of
``--batch`` cases (each add also writes the case's first audit entry), then loads them all
back page by page and a sample one by one, on the in-memory adapter (the baseline), SQLite
(a file, WAL, synchronous=NORMAL) and PostgreSQL (a throw-away local server with fsync on,
started by this script; skipped if the binaries are missing). Prints cases per second and
the ratio to the in-memory adapter measured in the same run. On SQLite, saves are also
timed against their physical floor: raw ``executemany`` inserts of the very rows casekit
wrote, batch by batch, interleaved (issue #18's target: at least x0.25 of raw).

Routing: durable decisions per second of the one router (:class:`DurableRouter`, the
:class:`Router` journalled per routing domain) on SQLite and PostgreSQL, one decision per
committed unit of work and ``--route-batch`` (10) per unit of work, against the in-memory
:class:`Router` in the same run (the floor: a durable decision is that plus its journal
row); 4 PostgreSQL processes in one domain and in 4 domains; replica catch-up per journal
entry; and cold start of 10,000 agents and 100,000 items from a snapshot against replaying
the whole journal.

PostgreSQL from 8 threads of one process, one case saved (or one durable routing decision,
each thread in a domain of its own) per unit of work: the storage's connection pool
(``pool_size=8``) against one shared connection (``pool_size=1``: the threads take turns on
it, as every storage did before the pool), both in the same run.

    python benchmarks/storage.py [--quick] [--batch 1000] [--route-batch 10] [--no-postgres]
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path

from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.priority import Priority
from casekit.routing import Agent, Presence, Router, WorkItem
from casekit.storage import (
    DurableRouter,
    MemoryStorage,
    PostgresStorage,
    SQLiteStorage,
    Storage,
)
from casekit.testing.contract_routing import observable
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
            storage.add_all(cases[start : start + batch], actor="intake")

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


AGENTS = 50


def make_router(storage: Storage, domain: str) -> DurableRouter:
    return DurableRouter(storage, domain, clock=CLOCK, snapshot_every=None)


def setup_routing(router: DurableRouter | Router, items: int) -> None:
    """Agents with room for every item: this measures decisions, not waiting."""
    capacity = -(-items // AGENTS)
    agents = [Agent(f"agent-{n:03d}", {"benefits": 1}, capacity=capacity) for n in range(AGENTS)]
    if isinstance(router, Router):
        for agent in agents:
            router.add_agent(agent, Presence.AVAILABLE)
        return
    with router.storage.unit_of_work() as uow:
        bound = router.bind(uow)
        for agent in agents:
            bound.add_agent(agent, Presence.AVAILABLE)
        uow.commit()


def work(n: int, prefix: str) -> WorkItem:
    priority = Priority.URGENT if n % 10 == 0 else Priority.NORMAL
    return WorkItem(f"{prefix}-{n:06d}", {"benefits": 1}, priority=priority)


def route(router: DurableRouter | Router, items: int, batch: int = 1, prefix: str = "i") -> float:
    """Decisions per second: each submit is one routing decision (an offer here).

    A :class:`Router` decides in memory; a :class:`DurableRouter` commits ``batch``
    decisions per unit of work (1: each its own commit).
    """
    work_items = [work(n, prefix) for n in range(items)]
    gc.collect()  # every measurement starts from a collected heap, whatever ran before it
    start = time.perf_counter()
    if isinstance(router, Router) or batch == 1:
        for item in work_items:
            router.submit(item)
    else:
        storage = router.storage
        for first in range(0, items, batch):
            with storage.unit_of_work() as uow:
                bound = router.bind(uow)
                for item in work_items[first : first + batch]:
                    bound.submit(item)
                uow.commit()
    return items / (time.perf_counter() - start)


def bare_commit(path: Path, batch: int, rounds: int = 2_000) -> float:
    """Seconds per raw-SQL unit of work writing one row as big as ``batch`` journal entries.

    The physical floor of a grouped durable decision on SQLite: ``BEGIN IMMEDIATE``, one
    insert of that many bytes, ``COMMIT`` (WAL, ``synchronous=NORMAL``), on a file of its own.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    body = "x" * (130 * batch)  # about what a submit's journal entry takes
    start = time.perf_counter()
    for n in range(rounds):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (n, body))
        conn.execute("COMMIT")
    elapsed = (time.perf_counter() - start) / rounds
    conn.close()
    return elapsed


ROW_TABLES = ("documents", "audit_log", "audit_heads")
"""What saving a case writes on SQLite, in the order it writes it (a head needs its entry)."""


def saves_against_raw_inserts(folder: Path, n: int, batch: int) -> tuple[float, float, float]:
    """Cases per second of ``add_all`` on SQLite and of raw inserts of the very same rows,
    and the median over batches of the first's speed over the second's.

    The floor of a SQLite batch save: the rows casekit wrote for a batch (its document,
    audit entry and audit head per case), read back untimed and inserted with
    ``executemany`` in one ``BEGIN IMMEDIATE`` … ``COMMIT`` into a database with the same
    schema (tables, indexes, triggers) and pragmas (WAL, ``synchronous=NORMAL``). The two
    alternate batch by batch, the order swapping every batch, so load falls on both alike.
    """
    storage = SQLiteStorage(folder / "saves.db", clock=CLOCK)
    reader = sqlite3.connect(folder / "saves.db")
    floor = sqlite3.connect(folder / "raw.db", isolation_level=None)
    floor.execute("PRAGMA journal_mode=WAL")
    floor.execute("PRAGMA synchronous=NORMAL")
    schema = reader.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        " ORDER BY type = 'trigger', rowid"
    ).fetchall()
    for (statement,) in schema:
        floor.execute(statement)
    cases = make_cases(n, "raw")

    def rows_of(ids: list[str]) -> dict[str, list[tuple[object, ...]]]:
        marks = ",".join("?" * len(ids))
        key = {"documents": "key", "audit_log": "case_id", "audit_heads": "case_id"}
        return {
            table: reader.execute(
                f"SELECT * FROM {table} WHERE {key[table]} IN ({marks})", ids
            ).fetchall()
            for table in ROW_TABLES
        }

    def insert(rows: dict[str, list[tuple[object, ...]]]) -> None:
        floor.execute("BEGIN IMMEDIATE")
        for table in ROW_TABLES:
            marks = ",".join("?" * len(rows[table][0]))
            floor.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
        floor.execute("COMMIT")

    casekit_times: list[float] = []
    raw_times: list[float] = []
    previous: dict[str, list[tuple[object, ...]]] | None = None
    gc.collect()
    for number, start in enumerate(range(0, n, batch)):
        chunk = cases[start : start + batch]
        if previous is not None and number % 2:
            raw_times.append(timed(lambda rows=previous: insert(rows)))
            previous = None
        casekit_times.append(timed(lambda chunk=chunk: storage.add_all(chunk, actor="intake")))
        if previous is not None:
            raw_times.append(timed(lambda rows=previous: insert(rows)))
        previous = rows_of([case.id for case in chunk])
    assert previous is not None
    raw_times.append(timed(lambda rows=previous: insert(rows)))
    reader.close()
    floor.close()
    storage.close()
    # Per batch, the casekit save over the raw insert of the same rows next to it: the
    # median of these shrugs off a swing in load better than the ratio of the totals.
    median = statistics.median(r / c for c, r in zip(casekit_times, raw_times, strict=True))
    return n / sum(casekit_times), n / sum(raw_times), median


def route_worker(argv: list[str]) -> None:
    """``conninfo domain items batch prefix``: route, then print the seconds it took."""
    conninfo, domain, items, batch, prefix = argv
    storage = PostgresStorage(conninfo, clock=CLOCK)
    router = make_router(storage, domain)
    router.refresh()
    start = time.perf_counter()
    route(router, int(items), int(batch), prefix)
    print(f"{time.perf_counter() - start:.6f}")
    storage.close()


def route_in_processes(conninfo: str, domains: list[str], items: int, batch: int) -> float:
    """Decisions per second across one process per entry of ``domains`` (slowest's time)."""
    with ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in domains]
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    conninfo,
                    domain,
                    str(items),
                    str(batch),
                    f"p{n}",
                ],
                stdout=log,
                text=True,
            )
            for n, (domain, log) in enumerate(zip(domains, logs, strict=True))
        ]
        seconds = []
        for worker, log in zip(workers, logs, strict=True):
            worker.wait()
            log.seek(0)
            seconds.append(float(log.read().split()[-1]))
    return len(domains) * items / max(seconds)


def saves_as_the_table_grows(conninfo: str, stored: int, batch: int = 1_000) -> None:
    """Saves/s of one batch into an empty table against one at ``stored`` cases."""
    storage = PostgresStorage(conninfo, clock=CLOCK)
    rates = []
    for n in range(stored // batch + 1):
        cases = make_cases(batch, f"grow{n}")
        seconds = timed(lambda cases=cases: storage.add_all(cases, actor="intake"))
        if n == 0 or n == stored // batch:
            rates.append(batch / seconds)
    storage.close()
    print(
        f"postgresql  saves per {batch:,}-case batch: {rates[0]:,.0f}/s into an empty table, "
        f"{rates[1]:,.0f}/s with {stored:,} stored (x{rates[1] / rates[0]:.2f}; target >= x0.8)"
    )


THREADS = 8


def in_threads(work: Callable[[int], object], threads: int = THREADS) -> float:
    """Seconds for ``threads`` threads to run ``work(n)``, started together."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - start
    if errors:
        raise errors[0]
    return seconds


def threads_on_a_pool(conninfo: str, saves: int, decisions: int, rounds: int = 2) -> None:
    """Saves/s and durable decisions/s from 8 threads: the pool against one shared connection.

    The two alternate for ``rounds`` rounds and each keeps its best round, so a burst of
    load from elsewhere on the machine (disk flushes above all) does not decide the ratio.
    """
    best: dict[int, tuple[float, float]] = {1: (0.0, 0.0), THREADS: (0.0, 0.0)}
    per = decisions // THREADS
    for round_ in range(rounds):
        for size in best:
            storage = PostgresStorage(conninfo, clock=CLOCK, pool_size=size)
            run = f"r{round_}p{size}"
            cases = make_cases(saves, run)

            def save(n: int, storage: Storage = storage, cases: list = cases) -> None:
                for case in cases[n::THREADS]:
                    storage.add_all(
                        [case], actor="intake"
                    )  # one case per unit of work, as a request would

            saved = saves / in_threads(save)
            routers = [make_router(storage, f"{run}-{n}") for n in range(THREADS)]
            for router in routers:
                setup_routing(router, per)

            def decide(n: int, routers: list[DurableRouter] = routers) -> None:
                route(routers[n], per, 1, f"t{n}")

            decided = per * THREADS / in_threads(decide)
            best[size] = (max(best[size][0], saved), max(best[size][1], decided))
            storage.close()
    (shared_saves, shared_decisions), (pool_saves, pool_decisions) = best[1], best[THREADS]
    print(
        f"postgresql  {THREADS} threads, 1 case per unit of work (best of {rounds} rounds): "
        f"pool of {THREADS} {pool_saves:,.0f} saves/s, one shared connection "
        f"{shared_saves:,.0f} saves/s (x{pool_saves / shared_saves:.2f})"
    )
    print(
        f"routing     postgresql, {THREADS} threads in {THREADS} domains, 1 decision per unit of "
        f"work (best of {rounds} rounds): pool of {THREADS} {pool_decisions:,.0f} durable "
        f"decisions/s, one shared connection {shared_decisions:,.0f}/s "
        f"(x{pool_decisions / shared_decisions:.2f})"
    )


def build_history(storage: Storage, domain: str, agents: int, items: int, rounds: int) -> int:
    """Journal a history that leaves ``items`` items held by ``agents`` agents; its length.

    ``rounds`` 1: every item is submitted once and stays (each entry adds state: the least
    a snapshot can save). More rounds: ``rounds`` items pass through per item left, each
    submitted and accepted, and all but the last round's released again — what a service's
    journal looks like after a while.
    """
    router = make_router(storage, domain)
    with storage.unit_of_work() as uow:
        bound = router.bind(uow)
        for n in range(agents):
            bound.add_agent(
                Agent(f"agent-{n:05d}", {"benefits": 1}, capacity=-(-items // agents) + 1),
                Presence.AVAILABLE,
            )
        uow.commit()
    total = items * rounds
    for first in range(0, total, 1000):
        with storage.unit_of_work() as uow:
            bound = router.bind(uow)
            for n in range(first, min(total, first + 1000)):
                item = work(n, domain)
                offer = bound.submit(item)
                if rounds > 1 and offer is not None:
                    bound.accept(item.id, offer.agent_id)
                    if n < total - items:
                        bound.release(item.id)
            uow.commit()
    return router.position


def catch_up_and_cold_start(storage: Storage, agents: int, items: int, rounds: int = 1) -> None:
    """Replica catch-up per journal entry; cold start from a snapshot vs the whole journal."""
    domain = f"cold{rounds}"
    entries = build_history(storage, domain, agents, items, rounds)
    replay = make_router(storage, domain)
    start, cpu = time.perf_counter(), time.process_time()
    replay.refresh()
    whole, whole_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert replay.position == entries
    assert replay.read(len) == items
    history = "each entry adds state" if rounds == 1 else f"{rounds} items through per item held"
    print(
        f"routing     catch-up: {whole / entries * 1e6:.1f} us per journal entry "
        f"(a Router command: the in-memory floor); whole journal of {entries:,} entries "
        f"({history}) replayed in {whole:.2f} s"
    )
    make_router(storage, domain).take_snapshot()
    cold = make_router(storage, domain)
    start, cpu = time.perf_counter(), time.process_time()
    cold.refresh()
    snap, snap_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert cold.position == entries
    assert cold.read(observable) == replay.read(observable)
    print(
        f"routing     cold start, {agents:,} agents and {items:,} items ({history}): from the "
        f"snapshot {snap:.2f} s, replaying the journal {whole:.2f} s (x{whole / snap:.1f}; "
        f"CPU {snap_cpu:.2f} s vs {whole_cpu:.2f} s, x{whole_cpu / snap_cpu:.1f}; "
        "targets >= 10x and < 2 s)"
    )


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
    memory_router = Router(clock=CLOCK, push_timeout=timedelta(minutes=10))
    setup_routing(memory_router, r)
    routing_baseline = route(memory_router, r)
    print(f"routing     memory: {routing_baseline:,.0f} decisions/s (the in-memory Router)")
    per = f"{args.route_batch} decisions per unit of work"

    def routing(where: str, rate: float, target: str = "") -> None:
        print(
            f"routing     {where}: {rate:,.0f} durable decisions/s "
            f"(x{rate / routing_baseline:.2f} of memory{target})"
        )

    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SQLiteStorage(Path(tmp) / "bench.db", clock=CLOCK)
        report("sqlite", measure(sqlite, n, args.batch, "sqlite"), baseline)
        saves, raw, median = saves_against_raw_inserts(Path(tmp), n, args.batch)
        print(
            f"sqlite      save/s {saves:,.0f} against raw inserts of the same rows "
            f"{raw:,.0f}/s (the floor), interleaved: x{saves / raw:.2f} of raw, median per "
            f"batch x{median:.2f} (target >= x0.25)"
        )
        single = make_router(sqlite, "single")
        setup_routing(single, r)
        routing("sqlite, 1 decision per unit of work", route(single, r), "; target >= 3,000/s")
        grouped = make_router(sqlite, "grouped")
        setup_routing(grouped, r)
        rate = route(grouped, r, args.route_batch)
        routing(f"sqlite, {per}", rate, "; target >= x0.50")
        grouped = make_router(sqlite, "grouped100")
        setup_routing(grouped, r)
        routing("sqlite, 100 decisions per unit of work", route(grouped, r, 100))
        floor = bare_commit(Path(tmp) / "floor.db", args.route_batch)
        print(
            f"routing     floor: a raw-SQL SQLite unit of work writing one row of "
            f"{args.route_batch} entries {floor * 1e6:.0f} us = "
            f"{floor * 1e6 / args.route_batch:.1f} us per decision; an in-memory decision "
            f"{1e6 / routing_baseline:.1f} us; so at most "
            f"x{(1 / routing_baseline) / (1 / routing_baseline + floor / args.route_batch):.2f}"
            " of memory"
        )
        size = (1_000, 10_000) if args.quick else (10_000, 100_000)
        catch_up_and_cold_start(sqlite, *size)
        catch_up_and_cold_start(sqlite, *size, rounds=5)
        sqlite.close()

    if args.no_postgres or find_postgres_bindir() is None or find_spec("psycopg") is None:
        print("postgresql  skipped (--no-postgres, or no PostgreSQL binaries, or no psycopg)")
        return
    server = PostgresServer.start(durable=True)
    try:
        bench = server.create_database("bench")
        PostgresStorage.migrate(bench)
        postgres = PostgresStorage(bench, clock=CLOCK)
        report("postgresql", measure(postgres, n, args.batch, "pg"), baseline)
        single = make_router(postgres, "single")
        setup_routing(single, r)
        one = route(single, r)
        routing("postgresql, 1 process, 1 decision per unit of work", one)
        grouped = make_router(postgres, "grouped")
        setup_routing(grouped, r)
        routing(f"postgresql, 1 process, {per}", route(grouped, r, args.route_batch))
        postgres.close()
        conninfo = server.create_database("four")
        PostgresStorage.migrate(conninfo)
        four = PostgresStorage(conninfo, clock=CLOCK)
        domains = [f"team-{n}" for n in range(4)]
        for domain in [*domains, "shared"]:
            setup_routing(make_router(four, domain), 4 * r)
        four.close()
        shared = route_in_processes(conninfo, ["shared"] * 4, r // 2, 1)
        routing("postgresql, 4 processes, one domain, 1 decision per unit of work", shared)
        apart = route_in_processes(conninfo, domains, r // 2, 1)
        routing(
            "postgresql, 4 processes, 4 domains, 1 decision per unit of work",
            apart,
            f"; x{apart / one:.2f} of 1 process, target >= x1.6",
        )
        growing = server.create_database("growing")
        PostgresStorage.migrate(growing)
        saves_as_the_table_grows(growing, 20_000 if args.quick else 100_000)
        threaded = server.create_database("threads")
        PostgresStorage.migrate(threaded)
        threads_on_a_pool(threaded, *((2_000, 800) if args.quick else (8_000, 4_000)))
    finally:
        server.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        route_worker(sys.argv[2:])
    else:
        main()
