"""What rebuilding ``casekit demo`` on the application layer found it lacked, on every backend.

- a case loaded from storage reads the time from the application's clock, not the storage's;
- an owner assignment can re-resolve the supervisor from reporting lines (``org``);
- a reassessment's event says which period it corrected;
- a payment run opens a command only for the PDCs it may pay, and saves no case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

import pytest

from casekit.app import Application, ReassessmentApplied, Session
from casekit.cases import Owner, ReportingLines
from casekit.clock import ManualClock
from casekit.demo.config import office_application
from casekit.financials import DeliveryPattern, Timing
from casekit.storage import Storage

from .conftest import START, StorageMaker

OpenPdc = Callable[..., str]
T = TypeVar("T")


def activate(app: Application, case_id: str) -> None:
    app.perform(case_id, "submit", actor="worker-1")
    app.perform(case_id, "approve", actor="boss")
    app.perform(case_id, "activate", actor="worker-1")


def enrol(app: Application, case_id: str, day: int = 1) -> None:
    app.enrol(
        case_id, pattern=DeliveryPattern.monthly(day, timing=Timing.IN_ARREARS), actor="worker-1"
    )


def pay(app: Application) -> int:
    return app.run_payments(app.clock.now().date(), verifier="payments-1", submitter="payments-2")


def stored_version(storage: Storage, case_id: str) -> int:
    with storage.unit_of_work() as uow:
        return uow.cases.get(case_id).version


def next_due(storage: Storage, case_id: str) -> object:
    with storage.unit_of_work() as uow:
        document = uow.documents.get("financials", case_id)
    assert document is not None
    return document.body["next_due"]


# ---------------------------------------------------------------------- the application's clock


def test_cases_loaded_from_storage_read_the_applications_clock(
    backend: str, make_storage: StorageMaker, open_pdc: OpenPdc
) -> None:
    # The storage's clock is a year behind the application's (a demo's simulated clock,
    # a storage opened with the system clock): cases read back must not use it.
    clock = ManualClock(START)
    storage = make_storage(backend, ManualClock(START - timedelta(days=365)))
    app = office_application(storage, clock=clock)
    case_id = open_pdc(app, "PDC-CLOCK")
    clock.advance(timedelta(hours=3))
    app.perform(case_id, "submit", actor="worker-1")
    pdc = app.case(case_id)
    assert [entry.at for entry in pdc.history] == [clock.now()]
    assert pdc.updated_at == clock.now()
    assert pdc.clock is clock


# ---------------------------------------------------------------------- owners and supervisors


def test_an_owner_assignment_can_bring_the_owners_supervisor(
    open_pdc: OpenPdc, app: Application
) -> None:
    case_id = open_pdc(app, "PDC-ORG")
    org = ReportingLines({Owner.user("ana"): Owner.user("sam")})
    app.assign_owner(case_id, Owner.user("ana"), actor="router", org=org)
    pdc = app.case(case_id)
    assert (pdc.owner, pdc.roles.supervisor) == (Owner.user("ana"), Owner.user("sam"))
    app.assign_owner(case_id, Owner.user("kim"), actor="router")  # no org: supervisor stays
    pdc = app.case(case_id)
    assert (pdc.owner, pdc.roles.supervisor) == (Owner.user("kim"), Owner.user("sam"))


# ---------------------------------------------------------------------- the corrected period


def test_a_reassessment_event_says_which_period_it_corrected(
    open_pdc: OpenPdc, app: Application, storage: Storage, clock: ManualClock
) -> None:
    case_id = open_pdc(app, "PDC-PERIOD", income="400.00")  # income from 1 March
    activate(app, case_id)
    enrol(app, case_id)
    clock.advance(timedelta(days=62))
    assert pay(app) >= 2  # March and April, in arrears
    published: list[object] = []
    app.subscribe(published.append)
    (income,) = app.case(case_id).evidence.current("income")
    app.correct_evidence(
        case_id, income.evidence_id, actor="worker-1", attributes={"monthly": "600.00"}
    )
    (applied,) = [event for event in published if isinstance(event, ReassessmentApplied)]
    assert applied.correction_case_id is not None
    assert applied.period_start == date(2026, 3, 1)
    assert applied.period_end is not None
    assert applied.period_end >= date(2026, 3, 31)
    with storage.unit_of_work() as uow:
        (record,) = [
            r for r in uow.outbox.pending(limit=1000) if r.type == "casekit.financials.reassessed"
        ]
    assert record.data["period_start"] == "2026-03-01"


# ---------------------------------------------------------------------- the payment run


def test_a_payment_run_leaves_alone_the_pdcs_with_nothing_due(
    open_pdc: OpenPdc,
    app: Application,
    storage: Storage,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = open_pdc(app, "PDC-DUE", income="400.00")  # income from 1 March
    activate(app, case_id)
    enrol(app, case_id, day=15)  # March 1-14 falls due on 15 March (in arrears)
    assert next_due(storage, case_id) == "2026-03-15"
    version = stored_version(storage, case_id)
    commands: list[str] = []
    execute = app.execute

    def spy(actor: str, command: Callable[[Session], T], *, name: str = "command") -> T:
        commands.append(name)
        return execute(actor, command, name=name)

    monkeypatch.setattr(app, "execute", spy)

    clock.advance(timedelta(days=5))
    assert pay(app) == 0  # 7 March: nothing due
    assert commands == []  # the PDC was not even loaded
    clock.advance(timedelta(days=10))
    assert pay(app) == 2  # 17 March: basic and housing for 1-14 March
    assert commands == ["pay PDC-DUE"]
    assert next_due(storage, case_id) == "2026-04-15"
    assert pay(app) == 0
    assert stored_version(storage, case_id) == version  # paying changes the ledger only

    # a change of circumstances changes the entitlement: the next run looks again
    (income,) = app.case(case_id).evidence.current("income")
    app.correct_evidence(
        case_id, income.evidence_id, actor="worker-1", attributes={"monthly": "600.00"}
    )
    assert next_due(storage, case_id) is None
    assert pay(app) == 0  # nothing more is due: the correction settled March
    assert next_due(storage, case_id) == "2026-04-15"


def test_a_pdc_enrolled_late_is_paid_its_arrears_at_the_next_run(
    open_pdc: OpenPdc, app: Application, storage: Storage, clock: ManualClock
) -> None:
    case_id = open_pdc(app, "PDC-LATE", income="400.00")  # income from 1 March
    activate(app, case_id)
    clock.advance(timedelta(days=20))  # 22 March: enrolled after its first due day
    enrol(app, case_id, day=2)
    assert next_due(storage, case_id) == "2026-03-02"
    assert pay(app) == 2  # 1 March, due on 2 March: basic and housing
    assert next_due(storage, case_id) == "2026-04-02"
