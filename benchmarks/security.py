"""Access decision benchmark: the built-in AccessPolicy vs a bare lookup vs Cedar.

Declares a realistic policy (11 rules: role grants per case type and action, relationship
conditions, a program condition, two denies, restricted-view location security) and draws
R requests (default 100,000) over 200 principals and 2,000 cases from a fixed seed: every
permission, lifecycle actions with ``perform``, principals related to the cases as often as
a caseload makes them. Then it times, interleaved in rounds of 1,000 requests (the order
rotating every round, so load on the machine falls on all alike):

* **casekit** — ``AccessPolicy.decide``: argument checks, the (permission, case type) index,
  deny and grant clauses, relationships, sensitivity and location security; O(k) for the k
  rules indexed under the request's permission and case type.
* **allowed only / denied only** — casekit on the allowed and on the denied requests apart
  (an allowed decision is prebuilt and shared; a denial builds its reason).
* **read filter** — ``ReadFilter.matches`` on the principal's prebuilt read filter (the
  in-memory form of the query a storage adapter would run), on the ``read`` requests.
* **bare lookup** (the floor) — a hand-written set of allowed (role, permission, case type)
  triples, looked up for each of the principal's roles: O(roles), no relationships, no
  sensitivity, no location, no explanation. What a role check costs at the least in Python.
* **no-op call** (the physical floor) — the same loop calling a function that returns a
  constant: what any per-request Python call costs.
* **cedar** — ``CedarPolicy.decide`` on the same policy translated with ``to_cedar``, on a
  sample of the requests (it is slower by orders of magnitude), when ``cedarpy`` is installed.

The read filter's and Cedar's answers are checked against casekit's decisions on the requests
they ran (the bare lookup answers a weaker question and is not). Prints µs per
decision, decisions per second and ratios; the issue's target is ≤ 5 µs per decision with the
built-in policy. The cyclic GC runs as in production; ``--gc-paused`` pauses it while timing.

**Filtered reads.** Then it stores C cases (default 100,000; ``--quick``: 20,000) on SQLite
(a file, WAL) and PostgreSQL (a throw-away local server started by this script; skipped
without the binaries or with ``--no-postgres``), in batches of 5,000 with ``add_all``: Product
Delivery Cases (80 %), Issue Cases and Investigation Cases owned by 200 caseworkers and 10
team queues, supervised by 20 supervisors, with sensitivities 1–5 (investigations 4 and 5),
a few open tasks and the caseworkers' team queues. Each team works in one of three
locations, and its cases are there, one in ten elsewhere (``--scattered``: every case in a
location drawn at random, which location security then rejects two times in three when a
principal's team queue is read). The read policy
(``READ_POLICY``, location security ``on``): caseworkers read the benefit cases they own,
share a queue with or have a task on; supervisors the cases they supervise and their team's;
investigators every Investigation Case, within their location; nobody their own case as a
participant. Then, in K interleaved rounds (default 40; order rotating, the page's start
key drawn anew each round and shared by every variant of the round), it times one page of 50:

* **unfiltered** — ``uow.cases.query(limit=50, after=k)``: the page read and decoded;
* **caseworker / supervisor / investigator** — the same with
  ``readable_by=READ_POLICY.read_filter(p)``: filtered in the database's query;
* **find unfiltered / find filtered** — ``uow.documents.find`` alone (rows read and their
  JSON parsed, no case decoded), unfiltered and for the caseworker;
* **floor** — a raw ``SELECT key, version, body, labels, updated_at FROM documents WHERE
  collection = 'cases' AND key > ? ORDER BY key LIMIT 50`` on the driver: what reading the
  page costs at the least, decoding nothing.

It prints the medians, each filtered page against the unfiltered one (target ≤ 1.5× on SQLite
and PostgreSQL) and against the floor, checks every filtered page against
``READ_POLICY.decide`` on the cases returned and those skipped, and with ``--explain`` prints
the database's plan of the caseworker's statement (SQLite: EXPLAIN QUERY PLAN; PostgreSQL:
EXPLAIN (ANALYZE, BUFFERS)). Complexity of a filtered page: see
``casekit.storage.sql_labels``.

Usage: ``python benchmarks/security.py [--quick] [--gc-paused] [--requests R] [--cases C]
[--rounds K] [--no-postgres] [--no-storage] [--no-decisions] [--explain] [--scattered]``.
"""

from __future__ import annotations

import argparse
import gc
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casekit.cases import Case, InvestigationCase, IssueCase, Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.security import (
    AccessPolicy,
    CaseResource,
    Deny,
    Grant,
    LocationMode,
    Permission,
    Principal,
    ReadFilter,
    Relationship,
)
from casekit.storage import CASES, PostgresStorage, SQLiteStorage, Storage, readable_query
from casekit.storage.sql import SqlUnitOfWork
from casekit.storage.sql_labels import find_statement

P, R = Permission, Relationship
PDC, INVESTIGATION = "Product Delivery Case", "Investigation Case"
BENEFIT = ["Application Case", "Integrated Case", PDC, "Payment Correction Case"]
CASE_TYPES = [*BENEFIT, INVESTIGATION]
ACTIONS = {
    PDC: ["submit", "approve", "reject", "activate", "suspend", "close"],
    "Application Case": ["submit", "cancel", "dispose"],
    "Integrated Case": ["close", "reopen"],
    "Payment Correction Case": ["approve", "settle", "cancel"],
    INVESTIGATION: ["close", "reopen"],
}
ROLES = ["caseworker", "supervisor", "clerk", "investigator", "auditor"]

POLICY = AccessPolicy(
    [
        Grant(
            name="staff read benefit cases",
            roles={"caseworker", "supervisor", "clerk"},
            permissions=P.READ,
            case_types=BENEFIT,
        ),
        Grant(
            name="caseworkers work their cases",
            roles="caseworker",
            permissions={P.PERFORM, P.EDIT, P.ROUTE},
            case_types=BENEFIT,
            relationship=R.OWNER | R.MEMBER | R.TASK_ASSIGNEE,
        ),
        Grant(name="caseworkers open cases", roles="caseworker", permissions=P.CREATE),
        Grant(
            name="supervisors decide",
            roles="supervisor",
            permissions=P.PERFORM,
            case_types={PDC, "Payment Correction Case"},
            actions={"approve", "reject"},
            relationship=R.SUPERVISOR,
        ),
        Grant(
            name="supervisors assign",
            roles="supervisor",
            permissions={P.ASSIGN, P.ROUTE, P.APPROVE},
            relationship=R.SUPERVISOR | R.MEMBER,
        ),
        Grant(
            name="investigators investigate",
            roles="investigator",
            permissions={P.READ, P.PERFORM, P.EDIT},
            case_types=INVESTIGATION,
            relationship=R.OWNER | R.MEMBER | R.SUPERVISOR,
        ),
        Grant(
            name="owners reveal",
            roles={"caseworker", "investigator"},
            permissions=P.REVEAL,
            relationship=R.OWNER,
        ),
        Grant(name="auditors read and export", roles="auditor", permissions={P.READ, P.EXPORT}),
        Grant(
            name="SNAP clerks edit queue cases",
            roles="clerk",
            permissions=P.EDIT,
            programs="SNAP",
            relationship=R.MEMBER,
        ),
        Deny(
            name="no work on your own case",
            permissions=set(Permission) - {P.READ},
            relationship=R.PARTICIPANT,
        ),
        Deny(
            name="investigations stay with investigators",
            roles={"caseworker", "clerk", "supervisor"},
            permissions=set(Permission),
            case_types=INVESTIGATION,
        ),
    ],
    location_mode=LocationMode.RESTRICTED_VIEW,
)

# The floor's table: (role, permission, case type) of every grant, its other conditions
# dropped. It answers a weaker question than the policy (no relationships, programs, actions,
# denies, sensitivity or location), so its answers are not compared.
ALLOWED = {
    (role, permission, case_type)
    for rule in POLICY.rules
    if isinstance(rule, Grant)
    for role in rule.roles
    for permission in rule.permissions
    for case_type in (CASE_TYPES if not isinstance(rule.case_types, frozenset) else rule.case_types)
}

Request = tuple[Principal, Permission, CaseResource, str | None]

GC_PAUSED = False
ROUND = 1_000


def population(rng: random.Random) -> tuple[list[Principal], list[CaseResource]]:
    people = [f"u{i}" for i in range(200)]
    teams, locations = [f"queue-{i}" for i in range(10)], ["north", "south", "east"]
    principals = [
        Principal(
            person,
            rng.sample(ROLES, rng.choice([1, 1, 1, 2])),
            location=rng.choice(locations),
            clearance=rng.choice([2, 3, 3, 4, 5]),
            teams=rng.sample(teams, rng.choice([0, 1, 1, 2])),
            org_unit=f"ou-{rng.randrange(4)}",
        )
        for person in people
    ]
    cases = []
    for n in range(2_000):
        case_type = rng.choice(CASE_TYPES)
        owner = (
            f"User:{rng.choice(people)}"
            if rng.random() < 0.7
            else f"Work Queue:{rng.choice(teams)}"
        )
        cases.append(
            CaseResource(
                f"C-{n}",
                case_type,
                "Open",
                owner,
                supervisor=f"User:{rng.choice(people)}",
                task_assignees=rng.sample(people, rng.choice([0, 0, 1, 2])),
                participants=[
                    f"client-{n}",
                    *([rng.choice(people)] if rng.random() < 0.02 else []),
                ],
                sensitivity=rng.choice([1, 1, 2, 3, 4]),
                location=rng.choice(locations),
                program=rng.choice(["SNAP", "TANF", None]),
                work_queue=rng.choice([None, *teams]),
            )
        )
    return principals, cases


def requests(n: int, rng: random.Random) -> list[Request]:
    principals, cases = population(rng)
    made: list[Request] = []
    for _ in range(n):
        resource = rng.choice(cases)
        # A caseload: most requests come from someone related to the case.
        if rng.random() < 0.6:
            user = resource.owner.partition(":")[2] if resource.owner.startswith("User:") else None
            principal = next((p for p in principals if p.id == user), rng.choice(principals))
        else:
            principal = rng.choice(principals)
        permission = rng.choice(list(Permission))
        action = rng.choice(ACTIONS[resource.case_type]) if permission is P.PERFORM else None
        made.append((principal, permission, resource, action))
    return made


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    if GC_PAUSED:
        gc.disable()
    try:
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def run(batch: Sequence[Request], cedar_every: int) -> dict[str, tuple[float, int]]:
    decide = POLICY.decide
    filters = {p.id: POLICY.read_filter(p) for p, _, _, _ in batch}

    def casekit(rows: Sequence[Request]) -> list[bool]:
        return [decide(p, perm, r, action=a).allowed for p, perm, r, a in rows]

    def read_filter(rows: Sequence[Request]) -> list[bool]:
        return [filters[p.id].matches(r) for p, _, r, _ in rows]

    def bare(rows: Sequence[Request]) -> list[bool]:
        allowed = ALLOWED
        return [
            any((role, perm, r.case_type) in allowed for role in p.roles) for p, perm, r, _ in rows
        ]

    def nothing(p: object, perm: object, r: object, action: object = None) -> bool:
        return False

    def noop(rows: Sequence[Request]) -> list[bool]:
        return [nothing(p, perm, r, action=a) for p, perm, r, a in rows]

    engines: dict[str, Callable[[Sequence[Request]], list[bool]]] = {
        "casekit": casekit,
        "  allowed only": casekit,
        "  denied only": casekit,
        "read filter": read_filter,
        "bare lookup": bare,
        "no-op call": noop,
    }
    try:
        from casekit.security.cedar import CedarPolicy  # noqa: PLC0415  optional extra

        cedar_policy = CedarPolicy.from_policy(POLICY)

        def cedar(rows: Sequence[Request]) -> list[bool]:
            return [cedar_policy.decide(p, perm, r, action=a).allowed for p, perm, r, a in rows]

        engines["cedar"] = cedar
    except ImportError:
        print("(cedarpy is not installed: pip install 'casekit[cedar]' to time Cedar)")

    spent = {name: [0.0, 0] for name in engines}
    names = list(engines)
    for number, start in enumerate(range(0, len(batch), ROUND)):
        rows = batch[start : start + ROUND]
        truth = casekit(rows)
        reads = [row for row in rows if row[1] is P.READ]
        inputs = {
            "  allowed only": [row for row, ok in zip(rows, truth, strict=True) if ok],
            "  denied only": [row for row, ok in zip(rows, truth, strict=True) if not ok],
            "read filter": reads,
            "cedar": rows[::cedar_every],
        }
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            given = inputs.get(name, rows)
            seconds, answers = timed(lambda name=name, given=given: engines[name](given))
            spent[name][0] += seconds
            spent[name][1] += len(answers)
            if name in ("read filter", "cedar"):
                assert answers == casekit(given), f"{name} disagrees with casekit's decisions"
    return {name: (s, int(n)) for name, (s, n) in spent.items()}


# ----- filtered reads: a page of the readable cases against the unfiltered page -------------

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
BENEFIT_READ = [PDC, "Issue Case"]
CASEWORKERS, TEAMS, SUPERVISORS = 200, 10, 20
LOCATIONS = ["north", "south", "east"]
PAGE = 50

READ_POLICY = AccessPolicy(
    [
        Grant(
            name="caseworkers read their cases",
            roles="caseworker",
            permissions=P.READ,
            case_types=BENEFIT_READ,
            relationship=R.OWNER | R.MEMBER | R.TASK_ASSIGNEE,
        ),
        Grant(
            name="supervisors read their teams' cases",
            roles="supervisor",
            permissions=P.READ,
            relationship=R.SUPERVISOR | R.MEMBER,
        ),
        Grant(
            name="investigators read investigations",
            roles="investigator",
            permissions=P.READ,
            case_types=INVESTIGATION,
        ),
        Deny(name="not your own case", permissions=P.READ, relationship=R.PARTICIPANT),
    ],
    location_mode=LocationMode.ON,
)


def home(team: int) -> str:
    """The location a team works in."""
    return LOCATIONS[team % len(LOCATIONS)]


PRINCIPALS = {
    # u7 owns cases and shares queue-7 (and its location) with u17, u27 ...; clearance 3.
    "caseworker": Principal("u7", {"caseworker"}, teams={"queue-7"}, location=home(7), clearance=3),
    # s3 supervises u3, u23, u43 ... and belongs to queue-3.
    "supervisor": Principal("s3", {"supervisor"}, teams={"queue-3"}, location=home(3), clearance=3),
    "investigator": Principal("i1", {"investigator"}, location="north", clearance=4),
}


def make_cases(n: int, rng: random.Random, *, scattered: bool) -> Iterator[Case[Any]]:
    """``n`` cases with ids ``C-000000`` ... (in key order), as a caseload spreads them.

    A case is in its team's location, one in ten elsewhere (``scattered``: anywhere).
    """
    clock = ManualClock(T0)
    for i in range(n):
        worker = rng.randrange(CASEWORKERS)
        team = f"queue-{worker % TEAMS}"
        owner = Owner.user(f"u{worker}") if rng.random() < 0.75 else Owner.work_queue(team)
        located = scattered or rng.random() < 0.1
        common: dict[str, Any] = {
            "id": f"C-{i:06d}",
            "owner": owner,
            "supervisor": Owner.user(f"s{worker % SUPERVISORS}"),
            "primary_client": f"client-{i}",
            "location": rng.choice(LOCATIONS) if located else home(worker % TEAMS),
            "work_queue": team if rng.random() < 0.3 else None,
            "clock": clock,
        }
        kind = rng.random()
        case: Case[Any]
        if kind < 0.8:
            case = ProductDeliveryCase.create(
                product=rng.choice(["SNAP", "TANF", "Housing"]),
                sensitivity=rng.choice([1, 1, 1, 2, 3]),
                **common,
            )
        elif kind < 0.9:
            case = IssueCase.create(sensitivity=rng.choice([1, 2]), **common)
        else:
            case = InvestigationCase.create(sensitivity=rng.choice([4, 4, 4, 5]), **common)
        if rng.random() < 0.05:
            case.add_task("follow up", f"u{rng.randrange(CASEWORKERS)}", actor="intake")
        yield case


def fill(storage: Storage, n: int, seed: int, *, scattered: bool = False) -> float:
    """Store ``n`` cases in batches of 5,000; return the seconds it took."""
    rng = random.Random(seed)
    cases = make_cases(n, rng, scattered=scattered)
    start = time.perf_counter()
    while batch := [case for _, case in zip(range(5_000), cases, strict=False)]:
        storage.add_all(batch, actor="intake")
    return time.perf_counter() - start


def _decided(principal: Principal, case: Case[Any]) -> bool:
    return READ_POLICY.decide(principal, P.READ, CaseResource.of(case)).allowed


def check_page(storage: Storage, principal: Principal, after: str, page: list[str]) -> None:
    """The filtered page holds exactly the first readable cases after ``after``."""
    expected: list[str] = []
    start: str | None = after
    with storage.unit_of_work() as uow:
        while start is not None and len(expected) < PAGE:
            chunk = uow.cases.query(limit=5_000, after=start)
            expected += [c.id for c in chunk.items if _decided(principal, c)]
            start = chunk.next_after
    assert page == expected[:PAGE], f"{principal}: the filtered page is not what decide() allows"


@contextmanager
def floor_reader(storage: Storage) -> Iterator[Callable[[str], list[Any]]]:
    """A raw connection running the page's SELECT with no casekit code around it."""
    sql = (
        "SELECT key, version, body, labels, updated_at FROM documents"
        " WHERE collection = 'cases' AND key > ? ORDER BY key LIMIT 50"
    )
    if isinstance(storage, SQLiteStorage):
        conn = sqlite3.connect(storage.path, isolation_level=None)
        try:
            yield lambda after: conn.execute(sql, (after,)).fetchall()
        finally:
            conn.close()
        return
    import psycopg  # noqa: PLC0415  optional extra

    assert isinstance(storage, PostgresStorage)
    with psycopg.connect(storage.conninfo, autocommit=True) as pg:
        statement = sql.replace("?", "%s")
        yield lambda after: pg.execute(statement, (after,)).fetchall()  # type: ignore[arg-type]


def explain(storage: Storage, read_filter: ReadFilter, after: str) -> str:
    """The database's plan of the filtered page's statement."""
    with storage.unit_of_work() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        db = uow.dialect
        statement = find_statement(
            db, CASES, readable_query(read_filter), after=after, limit=PAGE + 1
        )
        assert statement is not None
        sql, params = statement
        if isinstance(storage, SQLiteStorage):
            rows = db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            return "\n".join(f"{'  ' * (row[1] > 0)}{row[3]}" for row in rows)
        rows = db.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params).fetchall()
        return "\n".join(str(row[0]) for row in rows)


def time_pages(storage: Storage, n: int, rounds: int, seed: int) -> dict[str, list[float]]:
    """Median-ready timings (seconds) of one page per variant, over interleaved rounds."""
    filters = {name: READ_POLICY.read_filter(p) for name, p in PRINCIPALS.items()}
    readable = readable_query(filters["caseworker"])
    rng = random.Random(seed)
    times: dict[str, list[float]] = {}
    sizes: dict[str, list[int]] = {}
    with floor_reader(storage) as floor:

        def variants(after: str) -> dict[str, Callable[[], int]]:
            def query(**kwargs: Any) -> Callable[[], int]:
                def run() -> int:
                    with storage.unit_of_work() as uow:
                        return len(uow.cases.query(limit=PAGE, after=after, **kwargs).items)

                return run

            def find(**kwargs: Any) -> Callable[[], int]:
                def run() -> int:
                    with storage.unit_of_work() as uow:
                        return len(uow.documents.find(CASES, limit=PAGE, after=after, **kwargs))

                return run

            return {
                "unfiltered": query(),
                **{name: query(readable_by=f) for name, f in filters.items()},
                "find unfiltered": find(),
                "find filtered": find(where=readable),
                "floor (raw SQL)": lambda: len(floor(after)),
            }

        for number in range(rounds):
            after = f"C-{rng.randrange(int(n * 0.8)):06d}"
            chosen = variants(after)
            names = list(chosen)
            order = names[number % len(names) :] + names[: number % len(names)]
            for name in order:
                seconds, size = timed(chosen[name])
                times.setdefault(name, []).append(seconds)
                sizes.setdefault(name, []).append(size)
            if number < 3:  # the filtered pages hold what decide() allows
                for name, principal in PRINCIPALS.items():
                    with storage.unit_of_work() as uow:
                        page = uow.cases.query(limit=PAGE, after=after, readable_by=filters[name])
                    check_page(storage, principal, after, [c.id for c in page.items])
    for name, counts in sizes.items():
        times[f"{name} #"] = [float(statistics.mean(counts))]
    return times


def report(backend: str, fill_seconds: float, n: int, times: dict[str, list[float]]) -> None:
    median = {name: statistics.median(values) for name, values in times.items()}
    unfiltered, floor = median["unfiltered"], median["floor (raw SQL)"]
    print()
    print(
        f"{backend}: {n:,} cases stored in {fill_seconds:.1f} s "
        f"({n / fill_seconds:,.0f} cases/s); one page of {PAGE}, median of "
        f"{len(times['unfiltered'])} rounds"
    )
    print(f"{'':22}{'ms/page':>10}{'× unfiltered':>14}{'× floor':>10}{'cases':>8}")
    for name in [*times]:
        if name.endswith(" #"):
            continue
        ms = median[name] * 1e3
        print(
            f"{name:22}{ms:10.3f}{median[name] / unfiltered:14.2f}"
            f"{median[name] / floor:10.1f}{median[name + ' #']:8.0f}"
        )
    worst = max(median[name] / unfiltered for name in PRINCIPALS)
    print(
        f"filtered page: at most {worst:.2f}× the unfiltered one (target ≤ 1.5×) "
        f"{'met' if worst <= 1.5 else 'MISSED'}"
    )


def storage_benchmark(args: argparse.Namespace) -> None:
    n = 20_000 if args.quick else args.cases
    with tempfile.TemporaryDirectory(prefix="casekit-security-") as tmp:
        backends: list[tuple[str, Callable[[], Storage], Callable[[], None]]] = [
            ("sqlite", lambda: SQLiteStorage(Path(tmp) / "cases.db"), lambda: None)
        ]
        if not args.no_postgres:
            try:
                from casekit.testing.postgres_server import (  # noqa: PLC0415  optional
                    PostgresServer,
                    find_postgres_bindir,
                )
            except ImportError:  # pragma: no cover
                find_postgres_bindir = None  # type: ignore[assignment]
            if find_postgres_bindir is not None and find_postgres_bindir() is not None:
                server = PostgresServer.start()
                conninfo = server.create_database("security")
                PostgresStorage.migrate(conninfo)
                backends.append(("postgresql", lambda: PostgresStorage(conninfo), server.stop))
            else:
                print("(PostgreSQL binaries not found: PostgreSQL skipped)")
        for backend, open_storage, stop in backends:
            storage = open_storage()
            try:
                seconds = fill(storage, n, args.seed, scattered=args.scattered)
                if isinstance(storage, PostgresStorage):
                    import psycopg  # noqa: PLC0415  optional extra

                    with psycopg.connect(storage.conninfo, autocommit=True) as pg:
                        pg.execute("VACUUM ANALYZE")
                times = time_pages(storage, n, args.rounds, args.seed)
                report(backend, seconds, n, times)
                if args.explain:
                    print(f"plan of the caseworker's page ({backend}):")
                    print(
                        explain(
                            storage,
                            READ_POLICY.read_filter(PRINCIPALS["caseworker"]),
                            f"C-{n // 2:06d}",
                        )
                    )
            finally:
                storage.close()
                stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 requests, 20,000 cases")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--cedar-every", type=int, default=50, help="time Cedar on 1 in N")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--gc-paused", action="store_true", help="pause the cyclic GC while timing (as timeit)"
    )
    parser.add_argument("--cases", type=int, default=100_000, help="cases stored per backend")
    parser.add_argument("--rounds", type=int, default=40, help="rounds of filtered reads")
    parser.add_argument("--no-postgres", action="store_true", help="time SQLite only")
    parser.add_argument("--no-storage", action="store_true", help="decisions only")
    parser.add_argument("--no-decisions", action="store_true", help="filtered reads only")
    parser.add_argument("--explain", action="store_true", help="print the filtered plan")
    parser.add_argument(
        "--scattered", action="store_true", help="cases in any location, not their team's"
    )
    args = parser.parse_args()
    global GC_PAUSED  # noqa: PLW0603  a script-level switch
    GC_PAUSED = args.gc_paused
    if not args.no_decisions:
        decisions(args)
    if not args.no_storage:
        storage_benchmark(args)


def decisions(args: argparse.Namespace) -> None:
    n = 10_000 if args.quick else args.requests
    batch = requests(n, random.Random(args.seed))
    allowed = sum(POLICY.decide(p, perm, r, action=a).allowed for p, perm, r, a in batch)
    results = run(batch, args.cedar_every)

    print(
        f"security: {n:,} requests, {len(POLICY.rules)} rules, location security "
        f"{POLICY.location_mode.value!r}; {allowed / n:.0%} allowed"
    )
    print(f"cyclic GC {'paused while timing (as timeit does)' if GC_PAUSED else 'running'}")
    print(f"{'':14}{'µs/decision':>14}{'decisions/s':>14}{'× bare lookup':>15}{'requests':>10}")
    floor = results["bare lookup"][0] / results["bare lookup"][1]
    for name, (seconds, count) in results.items():
        per = seconds / count
        print(f"{name:14}{per * 1e6:14.2f}{1 / per:14,.0f}{per / floor:15.1f}{count:10,}")
    ours = results["casekit"][0] / results["casekit"][1] * 1e6
    print()
    print(
        f"decision: casekit {ours:.2f} µs (target ≤ 5 µs with the built-in policy) "
        f"{'met' if ours <= 5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
