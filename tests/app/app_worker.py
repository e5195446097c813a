"""A process running the demo office's application: the crash and concurrency tests' worker.

Run as ``python tests/app/app_worker.py BACKEND TARGET MODE SEED COUNT``:

- ``MODE=work``: ``COUNT`` random commands (open a benefit, move it on, enrol it, change its
  income, pay, answer offers), printing ``ok <n>`` after each one commits;
- ``MODE=reassess``: wait until the file ``SEED`` exists, then reassess the PDC ``COUNT``
  once and print its reassessment id and correction case;
- ``MODE=reassign``: run or resume the bulk reassignment ``SEED`` of worker-1's cases to
  worker-2 in slices of ``COUNT``, printing ``slice <n> moved <m>`` after each commit.

Its clock runs from 2026-03-02 at one simulated day per real second since the time given
in ``CASEKIT_T0`` (the same in every process of a test), so the office sees months of
payments in a minute and clocks of several processes agree.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta

from casekit.app import Application
from casekit.cases import Owner, ProductDeliveryCase
from casekit.demo.config import office_application
from casekit.errors import CasekitError
from casekit.financials import DeliveryPattern, Timing
from casekit.routing import Agent, ItemState, Presence
from casekit.storage import PostgresStorage, SQLiteStorage, Storage

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


class FastClock:
    """One simulated day per real second since ``t0`` (seconds since the epoch)."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0

    def now(self) -> datetime:
        return START + timedelta(days=time.time() - self.t0)


def open_storage(backend: str, target: str, clock: FastClock) -> Storage:
    if backend == "sqlite":
        return SQLiteStorage(target, clock=clock)  # type: ignore[arg-type]
    return PostgresStorage(target, clock=clock)  # type: ignore[arg-type]


def staff(app: Application) -> None:
    for person, skills in (("worker-1", {"intake": 1}), ("boss", {"approval": 1})):
        with contextlib.suppress(CasekitError):  # registered by an earlier run
            app.add_agent(
                "benefits", Agent(person, skills, capacity=50), Presence.AVAILABLE, actor="admin"
            )


def work(app: Application, seed: str, count: int) -> None:
    rng = random.Random(seed)
    staff(app)
    with app.storage.unit_of_work() as uow:  # carry on with what earlier runs opened
        opened = [case.id for case in uow.cases.query(limit=1000).items]
    for n in range(count):
        roll = rng.random()
        today = app.clock.now().date()
        try:
            if roll < 0.3 or not opened:
                case_id = f"PDC-{seed}-{n}"
                app.open_case(
                    ProductDeliveryCase,
                    actor="intake",
                    id=case_id,
                    product="Basic Allowance",
                    primary_client=f"client-{case_id}",
                    owner=Owner.user("worker-1"),
                    supervisor=Owner.user("boss"),
                )
                app.add_evidence(
                    case_id,
                    "income",
                    {"monthly": str(rng.randrange(0, 1500))},
                    date(today.year, today.month, 1),
                    actor="worker-1",
                )
                opened.append(case_id)
            elif roll < 0.55:
                case_id = rng.choice(opened)
                case = app.case(case_id)
                status = case.status.value
                if status == "Open":
                    app.perform(case_id, "submit", actor="worker-1")
                elif status == "Submitted":
                    app.perform(case_id, "approve", actor="boss")
                elif status == "Approved":
                    app.perform(case_id, "activate", actor="worker-1")
                    app.enrol(
                        case_id,
                        actor="worker-1",
                        pattern=DeliveryPattern.monthly(1, timing=Timing.IN_ARREARS),
                    )
            elif roll < 0.75:
                case_id = rng.choice(opened)
                routed = app.routing_status(case_id)
                if routed is not None and routed.state is ItemState.OFFERED and routed.agent_id:
                    app.accept(case_id, routed.agent_id)
            elif roll < 0.9:
                case_id = rng.choice(opened)
                case = app.case(case_id)
                incomes = case.evidence.current("income")
                # a kill between open_case and add_evidence leaves a case with no income
                if case.status.value == "Active" and incomes:
                    income = incomes[-1]
                    app.correct_evidence(
                        case_id,
                        income.evidence_id,
                        actor="worker-1",
                        attributes={"monthly": str(rng.randrange(0, 1500))},
                    )
            else:
                app.run_payments(today, verifier="payments-1", submitter="payments-2")
        except CasekitError as error:
            print(f"refused {n} {type(error).__name__}", flush=True)
        print(f"ok {n}", flush=True)


def reassess_once(app: Application, go_file: str, pdc_id: str) -> None:
    while not os.path.exists(go_file):
        time.sleep(0.001)
    applied = app.reassess(pdc_id, actor="worker-1")
    correction = applied.correction_case.id if applied.correction_case else "-"
    print(f"{applied.reassessment_id} {correction}", flush=True)


def reassign(app: Application, batch_id: str, batch: int) -> None:
    """Run (or resume) the bulk reassignment ``batch_id`` one slice at a time."""
    while True:
        record = app.reassign_all(
            batch_id,
            source=Owner.user("worker-1"),
            target=Owner.user("worker-2"),
            actor="sue",
            reason="worker-1 left",
            batch=batch,
            stop_after=1,
        )
        print(f"slice {record.slices} moved {record.moved}", flush=True)
        if record.done:
            return


def main(argv: list[str]) -> None:
    backend, target, mode, seed, count = argv
    clock = FastClock(float(os.environ["CASEKIT_T0"]))
    storage = open_storage(backend, target, clock)
    app = office_application(storage, clock=clock)  # type: ignore[arg-type]
    try:
        if mode == "work":
            work(app, seed, int(count))
        elif mode == "reassign":
            reassign(app, seed, int(count))
        else:
            reassess_once(app, seed, count)
    finally:
        storage.close()


if __name__ == "__main__":
    main(sys.argv[1:])
