"""The application across processes: SIGKILL mid-command, and two processes reassessing one PDC.

Real subprocesses run ``tests/app/app_worker.py`` on a SQLite file or a PostgreSQL database.

- **Crash**: a worker runs random commands and is killed with SIGKILL at a random moment,
  again and again (30 kills per backend); a new worker carries on each time. Afterwards
  `casekit.testing.app.check_application` checks the stored state from storage alone:
  every routed case in routing exactly once and in its step, paid + corrections = due for
  every enrolled PDC (no correction lost or made twice), every correction case linked both
  ways, every trail verifying, and exactly one outbox record per case opened, status change,
  correction case and payment (nothing lost or duplicated).
- **Bulk reassignment**: a worker moving 240 cases from one person to another in slices of
  4 is killed again and again; new workers resume it from its record until it is done.
  Every open case is then the new owner's, each moved exactly once (one ``assign_owner``
  entry in its trail), the record counts them all, and the stored state checks.
- **Exclusion**: two processes reassess the same PDC at the same moment, after a change of
  income that was stored without reassessment: exactly one correction case is opened, and
  the two reassessments have different numbers.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from casekit.cases import LinkKind, Owner, ProductDeliveryCase
from casekit.demo.config import office_application
from casekit.financials import DeliveryPattern, Timing
from casekit.storage import PostgresStorage, SQLiteStorage, Storage
from casekit.testing.app import check_application, stored_cases

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
WORKER = str(Path(__file__).with_name("app_worker.py"))
START_T0 = "CASEKIT_T0"


def _target(storage: Storage) -> tuple[str, str]:
    if isinstance(storage, SQLiteStorage):
        return "sqlite", str(storage.path)
    assert isinstance(storage, PostgresStorage)
    return "postgres", storage.conninfo


def _spawn(storage: Storage, mode: str, seed: str, count: str, t0: float) -> subprocess.Popen[str]:
    backend, target = _target(storage)
    env = {**os.environ, START_T0: repr(t0), "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, WORKER, backend, target, mode, seed, count],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


class FastClock:
    """The workers' clock (tests/app/app_worker.py): a simulated day per real second."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0

    def now(self) -> datetime:
        return START + timedelta(days=time.time() - self.t0)


@pytest.fixture(params=["sqlite", "postgres"])
def shared(
    request: pytest.FixtureRequest, make_storage: Any
) -> Iterator[tuple[Storage, FastClock]]:
    clock = FastClock(time.time() - 70)  # 70 simulated days in: two months paid in arrears
    storage = make_storage(request.param, clock)
    yield storage, clock
    storage.close()


def test_sigkill_mid_command_loses_and_duplicates_nothing(
    shared: tuple[Storage, FastClock],
) -> None:
    storage, clock = shared
    rng = random.Random(16)
    kills = committed = run = 0
    while kills < 30:
        run += 1
        worker = _spawn(storage, "work", f"s{run}", "400", clock.t0)
        assert worker.stdout is not None
        first = worker.stdout.readline()  # a command done: the worker started (slow under load)
        time.sleep(rng.uniform(0.3, 1.5))
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        out, err = worker.communicate(timeout=120)
        if worker.returncode not in (0, -signal.SIGKILL):
            pytest.fail(f"worker failed ({worker.returncode}):\n{err[-3000:]}")
        committed += (first + out).count("ok ")
    assert committed > 100  # the workers got real work done between the kills
    app = office_application(storage, clock=clock)
    check_application(app)
    stored = stored_cases(app)
    assert any(case.related(LinkKind.CORRECTED_BY) for case in stored)  # corrections happened


def test_two_processes_reassessing_one_pdc_make_one_correction(
    shared: tuple[Storage, FastClock], tmp_path: Path
) -> None:
    storage, clock = shared
    app = office_application(storage, clock=clock)
    case_id = "PDC-TWICE"
    app.open_case(
        ProductDeliveryCase,
        actor="intake",
        id=case_id,
        product="Basic Allowance",
        primary_client="client-twice",
        owner=Owner.user("worker-1"),
        supervisor=Owner.user("boss"),
    )
    app.add_evidence(case_id, "income", {"monthly": "300.00"}, date(2026, 3, 1), actor="worker-1")
    app.perform(case_id, "submit", actor="worker-1")
    app.perform(case_id, "approve", actor="boss")
    app.perform(case_id, "activate", actor="worker-1")
    app.enrol(
        case_id, pattern=DeliveryPattern.monthly(1, timing=Timing.IN_ARREARS), actor="worker-1"
    )
    assert (
        app.run_payments(app.clock.now().date(), verifier="payments-1", submitter="payments-2") >= 2
    )
    with storage.unit_of_work() as uow:  # a change stored behind the application's back
        pdc = uow.cases.get(case_id)
        (income,) = pdc.evidence.current("income")
        pdc.correct_evidence(income.evidence_id, actor="worker-1", attributes={"monthly": "900.00"})
        uow.cases.save(pdc)
        uow.commit()
    go = tmp_path / "go"
    workers = [_spawn(storage, "reassess", str(go), case_id, clock.t0) for _ in range(2)]
    time.sleep(1.5)  # both are waiting for the file
    go.touch()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err[-3000:]
        results.append(out.split())
    numbers = sorted(reassessment for reassessment, _ in results)
    assert numbers == [f"{case_id}/R1", f"{case_id}/R2"]
    opened = [correction for _, correction in results if correction != "-"]
    assert len(opened) == 1
    assert app.case(case_id).related(LinkKind.CORRECTED_BY) == tuple(opened)
    check_application(app)


def test_sigkill_mid_reassignment_resumes_and_moves_each_case_once(
    shared: tuple[Storage, FastClock],
) -> None:
    storage, clock = shared
    app = office_application(storage, clock=clock)
    for n in range(240):
        app.open_case(
            ProductDeliveryCase,
            actor="intake",
            id=f"PDC-{n:04}",
            product="Basic Allowance",
            primary_client=f"client-{n}",
            owner=Owner.user("worker-1"),
            supervisor=Owner.user("boss"),
        )
    rng = random.Random(20)
    kills = runs = 0
    while True:
        runs += 1
        worker = _spawn(storage, "reassign", "leaver", "4", clock.t0)
        assert worker.stdout is not None
        for _ in range(rng.randint(1, 4)):  # slices committed (or the worker ended)
            worker.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.02))  # then a kill at a random moment of the next one
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        _out, err = worker.communicate(timeout=120)
        if worker.returncode not in (0, -signal.SIGKILL):
            pytest.fail(f"worker failed ({worker.returncode}):\n{err[-3000:]}")
        if worker.returncode == 0:
            break
        assert runs < 100, "the reassignment never finished"
    assert kills >= 5  # it was interrupted, and resumed, again and again
    record = app.reassignment("leaver")
    assert record is not None
    assert (record.done, record.moved, record.refused) == (True, 240, ())
    cases = stored_cases(app)
    assert len(cases) == 240
    with storage.unit_of_work() as uow:
        for case in cases:
            assert case.owner == Owner.user("worker-2"), case.id
            moves = [e for e in uow.audit.entries(case.id) if e.action == "assign_owner"]
            assert len(moves) == 1, (case.id, moves)
    check_application(app)
