"""Application-layer benchmark: commands through `casekit.app` against the same work hand-wired.

Issue 16's targets: the application layer costs at most 1.5× the hand-wired path, and its
outbox at most 10 % more. Each round takes one benefit case through a realistic journey of
ten commands — open (routed at once), record income, accept the intake offer (the agent
becomes owner), submit (routed to approval), accept, approve (released from routing),
activate, enrol for payment, change the income (reassessed: a correction case, its links
and ledger lines) and a manual reassessment (nothing more to correct) — three ways, on a
storage of their own each, in the same run, the order rotating round by round:

- ``hand-wired``: what a careful engineer writes without the application layer — per
  command one unit of work that loads the case, acts, saves it, drives the bound durable
  router and writes the financials document and ledger lines itself (the same durable
  effects, no handlers, no outbox);
- ``app``: the same journey through `Application` with ``outbox=False``;
- ``app+outbox``: the default application, every event also written to the outbox.

Backends: memory, SQLite (a file) and PostgreSQL (a throw-away local server with fsync on,
started by this script; skipped without the binaries). The floor printed beside them is an
empty unit of work (begin, commit) on the same backend: what any command pays at least.

Prints the median microseconds of each command per variant, the journey's total,
commands per second, and the ratios app / hand-wired and app+outbox / app.

    python benchmarks/app.py [--quick] [--rounds 200] [--no-postgres]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from casekit.app import Application
from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.demo.benefits import PRODUCT
from casekit.demo.config import DOMAINS, ROUTING
from casekit.financials import (
    CaseFinancials,
    DeliveryPattern,
    Ledger,
    ReassessmentTrigger,
    Timing,
    entitlement_from_body,
    entitlement_to_body,
    entry_from_body,
    entry_to_body,
    nominees_from_body,
    nominees_to_body,
    pattern_from_body,
    pattern_to_body,
    payment_from_body,
)
from casekit.routing import Agent, Presence, WorkItem
from casekit.storage import (
    DurableRouter,
    LedgerKind,
    MemoryStorage,
    PostgresStorage,
    SQLiteStorage,
    Storage,
    UnitOfWork,
)
from casekit.testing.postgres_server import PostgresServer, find_postgres_bindir

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
COMMANDS = (
    "open",
    "evidence",
    "accept intake",
    "submit",
    "accept approval",
    "approve",
    "activate",
    "enrol",
    "change income",
    "reassess",
)
PATTERN = DeliveryPattern.monthly(1, timing=Timing.IN_ARREARS)
Journey = Callable[[str], dict[str, float]]


def timed(results: dict[str, float], name: str, fn: Callable[[], object]) -> None:
    start = time.perf_counter()
    fn()
    results[name] = time.perf_counter() - start


# ---------------------------------------------------------------------- the application


def app_journey(app: Application) -> Journey:
    def journey(case_id: str) -> dict[str, float]:
        out: dict[str, float] = {}
        timed(
            out,
            "open",
            lambda: app.open_case(
                ProductDeliveryCase,
                actor="intake",
                id=case_id,
                product=PRODUCT.name,
                primary_client=f"client-{case_id}",
                owner=Owner.user("intake"),
                supervisor=Owner.user("sam"),
            ),
        )
        timed(
            out,
            "evidence",
            lambda: app.add_evidence(
                case_id, "income", {"monthly": "400.00"}, date(2026, 1, 1), actor="ana"
            ),
        )
        timed(out, "accept intake", lambda: app.accept(case_id, "ana"))
        timed(out, "submit", lambda: app.perform(case_id, "submit", actor="ana"))
        timed(out, "accept approval", lambda: app.accept(case_id, "sam"))
        timed(out, "approve", lambda: app.perform(case_id, "approve", actor="sam"))
        timed(out, "activate", lambda: app.perform(case_id, "activate", actor="ana"))
        timed(out, "enrol", lambda: app.enrol(case_id, pattern=PATTERN, actor="ana"))

        def change() -> None:
            (income,) = app.case(case_id).evidence.current("income")
            app.correct_evidence(
                case_id, income.evidence_id, actor="ana", attributes={"monthly": "700.00"}
            )

        timed(out, "change income", change)
        timed(out, "reassess", lambda: app.reassess(case_id, actor="ana"))
        return out

    return journey


# ---------------------------------------------------------------------- by hand


class HandWired:
    """The same durable effects, written directly on the stores and the durable router."""

    def __init__(self, storage: Storage, clock: ManualClock) -> None:
        self.storage = storage
        self.clock = clock
        self.router = DurableRouter(storage, "benefits", clock=clock)
        self.steps = {step.status: step for step in ROUTING[0].steps}

    def uow(self) -> UnitOfWork:
        return self.storage.unit_of_work()

    def open(self, case_id: str) -> None:
        case = ProductDeliveryCase.create(
            id=case_id,
            product=PRODUCT.name,
            primary_client=f"client-{case_id}",
            owner=Owner.user("intake"),
            supervisor=Owner.user("sam"),
            clock=self.clock,
        )
        step = self.steps["Open"]
        with self.uow() as uow:
            uow.cases.add(case, actor="intake")
            self.router.bind(uow).submit(
                WorkItem(case_id, step.skills, case.priority, step.weight, step.stage_name)
            )
            uow.commit()

    def change(self, case_id: str, fn: Callable[[Any], object]) -> None:
        with self.uow() as uow:
            case = uow.cases.get(case_id)
            fn(case)
            uow.cases.save(case)
            uow.commit()

    def accept(self, case_id: str, agent: str) -> None:
        with self.uow() as uow:
            self.router.bind(uow).accept(case_id, agent)
            case = uow.cases.get(case_id)
            case.assign_owner(Owner.user(agent), actor=agent)
            uow.cases.save(case)
            uow.commit()

    def perform(self, case_id: str, action: str, actor: str) -> None:
        with self.uow() as uow:
            case = uow.cases.get(case_id)
            before = self.steps.get(case.status.value)
            case.perform(action, actor=actor)
            uow.cases.save(case)
            step = self.steps.get(case.status.value)
            if step is not None:
                self.router.bind(uow).advance(case_id, stage=step.stage_name, skills=step.skills)
            elif before is not None:
                self.router.bind(uow).release(case_id)
            uow.commit()

    def enrol(self, case_id: str) -> None:
        with self.uow() as uow:
            pdc = uow.cases.get(case_id)
            fin = CaseFinancials(pdc, PRODUCT, pattern=PATTERN)
            uow.documents.put(
                "financials",
                case_id,
                {
                    "product": PRODUCT.name,
                    "pattern": pattern_to_body(PATTERN),
                    "nominees": nominees_to_body(fin.nominees),
                    "entitlement": entitlement_to_body(fin.entitlement),
                    "reassessments": 0,
                },
                expected_version=0,
                labels={},
                updated_at=self.clock.now(),
            )
            uow.commit()

    def reassess(self, case_id: str, change: Callable[[Any], object] | None) -> None:
        now = self.clock.now()
        with self.uow() as uow:
            pdc = uow.cases.get(case_id)
            if change is not None:
                change(pdc)
            document = uow.documents.get("financials", case_id)
            assert document is not None
            body = document.body
            entries = []
            for line in uow.ledger.lines(case_id):
                if line.kind is LedgerKind.CORRECTION:
                    entries.append(entry_from_body(line.body))
                elif line.kind is LedgerKind.PAYMENT:
                    payment_from_body(line.body)
            fin = CaseFinancials.restore(
                pdc,
                PRODUCT,
                pattern=pattern_from_body(body["pattern"]),
                nominees=nominees_from_body(body["nominees"]),
                ledger=Ledger.restore(PRODUCT.currency, entries),
                entitlement=entitlement_from_body(body["entitlement"]),
            )
            number = int(body["reassessments"]) + 1
            applied = fin.reassess(ReassessmentTrigger.EVIDENCE_CHANGE, actor="ana", number=number)
            if applied.correction_case is not None:
                uow.cases.add(applied.correction_case, actor="ana")
            for index, entry in enumerate(applied.entries, start=1):
                uow.ledger.record(
                    case_id,
                    LedgerKind.CORRECTION,
                    f"{applied.reassessment_id.replace('/', ':')}:{index}",
                    entry_to_body(entry),
                    actor="ana",
                    at=now,
                )
            uow.documents.put(
                "financials",
                case_id,
                {
                    **body,
                    "entitlement": entitlement_to_body(fin.entitlement),
                    "reassessments": number,
                },
                expected_version=document.version,
                labels={},
                updated_at=now,
            )
            uow.cases.save(pdc)
            uow.commit()


def hand_journey(hand: HandWired) -> Journey:
    def journey(case_id: str) -> dict[str, float]:
        out: dict[str, float] = {}
        timed(out, "open", lambda: hand.open(case_id))
        timed(
            out,
            "evidence",
            lambda: hand.change(
                case_id,
                lambda c: c.add_evidence(
                    "income", {"monthly": "400.00"}, date(2026, 1, 1), actor="ana"
                ),
            ),
        )
        timed(out, "accept intake", lambda: hand.accept(case_id, "ana"))
        timed(out, "submit", lambda: hand.perform(case_id, "submit", "ana"))
        timed(out, "accept approval", lambda: hand.accept(case_id, "sam"))
        timed(out, "approve", lambda: hand.perform(case_id, "approve", "sam"))
        timed(out, "activate", lambda: hand.perform(case_id, "activate", "ana"))
        timed(out, "enrol", lambda: hand.enrol(case_id))

        def change(pdc: Any) -> None:
            (income,) = pdc.evidence.current("income")
            pdc.correct_evidence(income.evidence_id, actor="ana", attributes={"monthly": "700.00"})

        timed(out, "change income", lambda: hand.reassess(case_id, change))
        timed(out, "reassess", lambda: hand.reassess(case_id, None))
        return out

    return journey


# ---------------------------------------------------------------------- the run


def staff(storage: Storage, clock: ManualClock) -> None:
    router = DurableRouter(storage, "benefits", clock=clock)
    with storage.unit_of_work() as uow:
        bound = router.bind(uow)
        bound.add_agent(Agent("ana", {"intake": 1}, capacity=10_000), Presence.AVAILABLE)
        bound.add_agent(Agent("sam", {"approval": 1}, capacity=10_000), Presence.AVAILABLE)
        uow.commit()


def floor(storage: Storage) -> float:
    samples = []
    for _ in range(200):
        start = time.perf_counter()
        with storage.unit_of_work() as uow:
            uow.commit()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench(name: str, make: Callable[[ManualClock], Storage], rounds: int) -> None:
    clock = ManualClock(T0)
    variants: dict[str, Journey] = {}
    storages = {}
    for variant in ("hand-wired", "app", "app+outbox"):
        storage = make(clock)
        storages[variant] = storage
        staff(storage, clock)
        if variant == "hand-wired":
            variants[variant] = hand_journey(HandWired(storage, clock))
        else:
            app = Application(
                storage,
                name="bench",
                routing=ROUTING,
                domains=DOMAINS,
                products=[PRODUCT],
                clock=clock,
                outbox=variant == "app+outbox",
            )
            variants[variant] = app_journey(app)
    samples: dict[str, dict[str, list[float]]] = {v: defaultdict(list) for v in variants}
    order = list(variants)
    gc.collect()
    for n in range(rounds):
        clock.advance(timedelta(minutes=1))
        order = order[1:] + order[:1]
        for variant in order:
            for command, seconds in variants[variant](f"{variant[:1]}{n:06d}").items():
                samples[variant][command].append(seconds)
    floor_us = floor(storages["hand-wired"]) * 1e6
    print(
        f"\n== {name}: {rounds} journeys of {len(COMMANDS)} commands per variant "
        f"(median µs per command; floor = an empty unit of work, {floor_us:.0f} µs)"
    )
    print(
        f"{'command':<16}" + "".join(f"{v:>13}" for v in variants) + f"{'app/hand':>10}"
        f"{'outbox':>9}"
    )
    totals = dict.fromkeys(variants, 0.0)
    for command in COMMANDS:
        medians = {v: statistics.median(samples[v][command]) * 1e6 for v in variants}
        for v in variants:
            totals[v] += medians[v]
        print(
            f"{command:<16}"
            + "".join(f"{medians[v]:>13.0f}" for v in variants)
            + f"{medians['app'] / medians['hand-wired']:>9.2f}×"
            + f"{medians['app+outbox'] / medians['app'] - 1:>+8.0%}"
        )
    print(
        f"{'journey':<16}"
        + "".join(f"{totals[v]:>13.0f}" for v in variants)
        + f"{totals['app'] / totals['hand-wired']:>9.2f}×"
        + f"{totals['app+outbox'] / totals['app'] - 1:>+8.0%}"
    )
    print(
        f"{'commands/s':<16}"
        + "".join(f"{len(COMMANDS) / (totals[v] / 1e6):>13,.0f}" for v in variants)
        + f"{'':>10}{'':>9}   floor {1e6 / floor_us:,.0f}/s"
    )
    for storage in storages.values():
        storage.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 rounds")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rounds = 30 if args.quick else args.rounds
    bench("memory", lambda clock: MemoryStorage(clock=clock), rounds)
    with tempfile.TemporaryDirectory() as tmp:
        made = iter(range(100))
        bench(
            "SQLite (file)",
            lambda clock: SQLiteStorage(Path(tmp) / f"bench-{next(made)}.db", clock=clock),
            rounds,
        )
    if args.no_postgres or find_postgres_bindir() is None:
        print("\nPostgreSQL skipped")
        return
    server = PostgresServer.start()
    try:
        made = iter(range(100))

        def make_pg(clock: ManualClock) -> Storage:
            conninfo = server.create_database(f"bench_app_{next(made)}")
            PostgresStorage.migrate(conninfo)
            return PostgresStorage(conninfo, clock=clock)

        bench("PostgreSQL (fsync on)", make_pg, rounds)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
