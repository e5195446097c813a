"""`casekit demo`: the simulated office, its casework, money and storage hold together."""

from __future__ import annotations

import io
import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from casekit.cases import (
    InvestigationCase,
    LinkKind,
    Owner,
    PaymentCorrectionCase,
    ProductDeliveryCase,
)
from casekit.cli import main
from casekit.clock import ManualClock
from casekit.demo import run_demo
from casekit.demo.access import Directory, office_policy
from casekit.demo.benefits import _months_before
from casekit.demo.config import demo_application
from casekit.demo.dashboard import dashboard_sections, render_dashboard
from casekit.demo.office import CASE_SLA, DEMO_START, OFFICE_CALENDAR, office_scenario
from casekit.money import Money
from casekit.security import CaseResource, Permission
from casekit.sim import SimEvent, SimEventKind, Simulation, SimulationResult
from casekit.storage import AuditEntry, LedgerKind, MemoryStorage, SQLiteStorage
from casekit.testing.app import check_application
from casekit.testing.security import assert_no_leak


@pytest.fixture(scope="module")
def run() -> tuple[MemoryStorage, dict[str, Any]]:
    storage = MemoryStorage()
    result = run_demo(storage, days=2, existing=60, staff=16, seed=3)
    return storage, result.figures


def test_every_arrived_application_is_a_stored_case(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, figures = run
    apps = figures["applications"]
    statuses = figures["cases_by_status"]
    stored_apps = sum(n for key, n in statuses.items() if key.startswith("Application Case|"))
    assert stored_apps == apps["arrived"] > 0
    with storage.unit_of_work() as uow:
        page = uow.cases.query(case_type="Application Case", limit=1000)
    assert len(page.items) == apps["arrived"]


def test_disposed_applications_created_integrated_cases_and_active_benefits(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    _, figures = run
    statuses = figures["cases_by_status"]
    disposed = statuses.get("Application Case|Disposed", 0)
    assert statuses["Integrated Case|Open"] == disposed
    # every approved and disposed application became an active benefit, plus the caseload
    assert statuses["Product Delivery Case|Active"] >= figures["params"]["existing"]


def test_stored_payments_add_up_to_the_dashboard_total(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, figures = run
    total = Decimal(0)
    count = 0
    with storage.unit_of_work() as uow:
        for case in uow.cases.query(case_type="Product Delivery Case", limit=10_000).items:
            for line in uow.ledger.lines(case.id, LedgerKind.PAYMENT):
                total += Decimal(line.body["amount"]["amount"])
                count += 1
    money = figures["money"]  # the existing caseload's history, then the run's payments
    assert count == money["payments_before"] + money["payments"]
    assert total == Decimal(money["paid_before_total"]) + Decimal(money["paid_total"])


def test_correction_cases_are_linked_to_their_benefit_and_net_to_the_totals(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, figures = run
    money = figures["money"]
    with storage.unit_of_work() as uow:
        corrections = uow.cases.query(case_type="Payment Correction Case", limit=1000).items
        assert len(corrections) == money["correction_cases"] > 0
        over = under = Decimal(0)
        for pcc in corrections:
            assert isinstance(pcc, PaymentCorrectionCase)
            (pdc_id,) = pcc.related(LinkKind.CORRECTS)
            pdc = uow.cases.get(pdc_id)
            assert isinstance(pdc, ProductDeliveryCase)
            assert pcc.id in pdc.related(LinkKind.CORRECTED_BY)
            if pcc.net.is_negative:
                over -= pcc.net.amount
            else:
                under += pcc.net.amount
    assert over == Decimal(money["overpaid_total"])
    assert under == Decimal(money["underpaid_total"])


def test_corrections_are_stored_as_ledger_lines_that_net_to_the_totals(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, figures = run
    money = figures["money"]
    net = Decimal(0)
    with storage.unit_of_work() as uow:
        for case in uow.cases.query(case_type="Product Delivery Case", limit=10_000).items:
            for line in uow.ledger.lines(case.id, LedgerKind.CORRECTION):
                net += Decimal(line.body["amount"]["amount"])
    assert net == Decimal(money["underpaid_total"]) - Decimal(money["overpaid_total"]) != 0


def test_the_demos_stored_state_keeps_every_promise_of_the_application(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    # routing (the demo routes nothing durably), paid + corrections = due for every enrolled
    # PDC, correction cases linked both ways, every audit trail, one outbox record per case
    # opened, status change, correction and payment
    storage, figures = run
    clock = ManualClock(datetime.fromisoformat(figures["end"]))
    check_application(demo_application(storage, clock=clock))


def test_owners_follow_accepted_offers_and_supervisors_approve_the_benefits(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, _ = run
    with storage.unit_of_work() as uow:
        applications = uow.cases.query(case_type="Application Case", limit=10_000).items
        pdcs = uow.cases.query(case_type="Product Delivery Case", limit=10_000).items
    supervisors = {Owner.user("supervisor-1"), Owner.user("supervisor-2")}
    disposed = [a for a in applications if a.status.value == "Disposed"]
    assert disposed
    for application in disposed:
        assert application.owner.id.startswith("staff-")  # the reviewer who accepted it
        assert application.roles.supervisor in supervisors  # theirs, from reporting lines
    new = [pdc for pdc in pdcs if not pdc.id.startswith("PDC-E")]
    assert new
    for pdc in new:
        actors = {entry.action: entry.actor for entry in pdc.history}
        assert actors["submit"] == actors["activate"] == pdc.owner.id
        assert pdc.roles.supervisor is not None
        assert actors["approve"] == pdc.roles.supervisor.id != actors["submit"]


def test_the_audit_trail_of_stored_cases_verifies(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, _ = run
    with storage.unit_of_work() as uow:
        some = uow.cases.query(case_type="Application Case", limit=5).items
    for case in some:
        assert storage.verify_audit(case.id) >= 3  # registered, submitted, succeeded, ...


def test_the_same_seed_gives_the_same_run() -> None:
    first = run_demo(MemoryStorage(), days=1, existing=20, staff=8, seed=11).figures
    second = run_demo(MemoryStorage(), days=1, existing=20, staff=8, seed=11).figures
    for timing in ("wall_seconds", "forecast_wall_seconds"):
        first.pop(timing)
        second.pop(timing)
    assert first == second


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        run_demo(MemoryStorage(), days=0)
    with pytest.raises(ValueError, match="at least 4 staff"):
        run_demo(MemoryStorage(), staff=2)


def test_the_dashboard_shows_every_section(run: tuple[MemoryStorage, dict[str, Any]]) -> None:
    _, figures = run
    titles = [title for title, _, _ in dashboard_sections(figures)]
    assert titles == [
        "Cases by status",
        "Routing and fairness",
        "Queue waits (minutes)",
        "Applications and SLAs",
        "Benefits, payments and corrections",
        "Access denied",
        "Break-the-glass access",
        "Access log",
        "Escalation ladder (working time)",
        "Absences: steps held when they began, and open cases handed over",
        "Forecast: the same office without the ladder or the absences (same seed, same cases)",
    ]
    plain = io.StringIO()
    render_dashboard(figures, plain, plain=True)
    assert "Jain's index of occupancy" in plain.getvalue()
    fancy = io.StringIO()
    render_dashboard(figures, fancy)
    assert "Queue waits (minutes)" in fancy.getvalue()


# ----- access: a realistic policy, its denials and break-the-glass, counted from storage


def every_audit_entry(storage: MemoryStorage) -> list[AuditEntry]:
    with storage.unit_of_work() as uow:
        return [entry for case_id in uow.audit.heads() for entry in uow.audit.entries(case_id)]


def test_the_access_figures_agree_with_the_audit_trails_and_the_outbox(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, figures = run
    access = figures["access"]
    entries = every_audit_entry(storage)
    directory = Directory([(agent.id, agent.skills) for agent in office_scenario(staff=16).agents])
    denied = Counter(
        (entry.detail["permission"], directory.role_of(entry.actor))
        for entry in entries
        if entry.action == "access_denied"
    )
    assert {(row["permission"], row["role"]): row["count"] for row in access["denied"]} == denied
    assert sum(denied.values()) == 5  # caseworker, supervisor, colleague, two duty managers
    assert denied[("read", "caseworker")] == denied[("read", "supervisor")] == 1
    assert denied[("read", "duty manager")] == 2
    grants = sorted(
        (entry.actor, entry.case_id, entry.detail["reason"], entry.detail["expires_at"])
        for entry in entries
        if entry.action == "break_glass"
    )
    shown = sorted((g["who"], g["case"], g["reason"], g["expires_at"]) for g in access["grants"])
    assert shown == grants
    assert [who for who, *_ in grants] == ["duty-manager-1", "duty-manager-2"]
    with storage.unit_of_work() as uow:
        notices = [
            record
            for record in uow.outbox.pending(limit=uow.outbox.count())
            if record.type == "casekit.access.break_glass_granted"
        ]
    assert len(notices) == access["notified"] == len(grants) == 2
    assert {record.data["supervisor"] for record in notices} == {"User:investigator-1"}
    logged = Counter(
        f"{entry.action} via {entry.detail['via']}"
        for entry in entries
        if entry.action in ("read", "reveal")
    )
    assert access["reads"] == dict(logged)
    assert logged["read via break-glass"] == 2
    assert logged["read via policy"] == access["investigations"] == 2  # one a day
    for entry in entries:
        if entry.action == "read":
            assert entry.detail["sensitivity"] == 4
            assert entry.detail["reason"]


def test_the_dashboard_shows_the_denials_grants_and_access_log(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    _, figures = run
    sections = {title: rows for title, _, rows in dashboard_sections(figures)}
    assert ("read", "duty manager", "2") in sections["Access denied"]
    assert sections["Access denied"][-1] == ("all", "", "5")
    (first, second) = sections["Break-the-glass access"]
    assert first[:2] == ("duty-manager-1", "INV-0001")
    assert "police" in first[2]
    assert first[3].startswith("30 min, to 2026-03-03")
    assert second[:2] == ("duty-manager-2", "INV-0002")
    assert ("break-the-glass grants", "2") in sections["Access log"]
    assert ("supervisors told (outbox)", "2") in sections["Access log"]
    assert ("reads logged (sensitivity ≥ 4)", "4") in sections["Access log"]


def test_a_run_stored_before_the_demo_had_access_figures_still_shows_its_dashboard(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    _, figures = run
    newer = ("access", "ladder", "absences", "forecast", "forecast_wall_seconds")
    older = {key: value for key, value in figures.items() if key not in newer}
    titles = [title for title, _, _ in dashboard_sections(older)]
    assert titles[-1] == "Benefits, payments and corrections"
    assert "Access denied" not in titles


def test_every_demo_command_is_performed_by_a_principal_of_the_office(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, _ = run
    directory = Directory([(agent.id, agent.skills) for agent in office_scenario(staff=16).agents])
    actors = {entry.actor for entry in every_audit_entry(storage)}
    assert actors
    unknown = {actor for actor in actors if directory.recorded(actor) is None}
    assert not unknown  # no free "system", "caseworker", "migration" or "intake" strings
    assert {"check:payment-run", "check:submission-processing", "check:caseload-migration"} <= (
        actors
    )


def test_the_demo_policy_keeps_investigations_in_the_unit() -> None:
    policy = office_policy()
    directory = Directory([("staff-001", {"reviewer": 1}), ("staff-002", {"chaser": 1})])
    clock = ManualClock(DEMO_START)
    investigation = InvestigationCase.create(
        id="INV-1", owner=Owner.org_unit("investigations"), clock=clock
    )
    resource = CaseResource.of(investigation)
    assert resource.sensitivity == 4
    decide = policy.decide
    for person in ("staff-001", "staff-002", "supervisor-1", "intake"):
        decision = decide(directory[person], Permission.READ, resource)
        assert decision.rule == "investigations stay in the unit"
    assert decide(directory["investigator-2"], Permission.READ, resource).allowed
    assert decide(directory["duty-manager-1"], Permission.BREAK_GLASS, resource).allowed
    assert not decide(directory["duty-manager-1"], Permission.READ, resource).allowed
    assert_no_leak(policy, settings=settings(max_examples=30, deadline=None))


def test_cli_demo_in_memory_prints_the_dashboard() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["demo", "--in-memory", "--days", "1", "--existing", "10", "--staff", "8", "--plain"],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "day 1/1" in text
    assert "Benefits, payments and corrections" in text
    assert "stored in memory" in text


def test_cli_demo_writes_sqlite_and_replaces_an_earlier_run(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    args = ["demo", "--db", str(db), "--days", "1", "--existing", "10", "--staff", "8", "--plain"]
    for _ in range(2):
        out, err = io.StringIO(), io.StringIO()
        assert main(args, out=out, err=err) == 0, err.getvalue()
    storage = SQLiteStorage(db)
    try:
        with storage.unit_of_work() as uow:
            figures = uow.documents.get("demo", "figures")
        assert figures is not None
        assert figures.body["params"]["days"] == 1
        clock = ManualClock(datetime.fromisoformat(figures.body["end"]))
        check_application(demo_application(storage, clock=clock))  # the second run alone
    finally:
        storage.close()


def test_cli_demo_refuses_to_overwrite_a_file_that_is_not_a_casekit_database(
    tmp_path: Path,
) -> None:
    other = tmp_path / "precious.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE mine (x)")
    conn.commit()
    conn.close()
    err = io.StringIO()
    assert main(["demo", "--db", str(other), "--days", "1"], out=io.StringIO(), err=err) == 2
    assert "not a casekit database" in err.getvalue()
    conn = sqlite3.connect(other)
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("mine",)]
    conn.close()


def test_cli_rejects_bad_numbers() -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--days", "0"], out=io.StringIO(), err=io.StringIO())


def test_cli_report_writes_the_html_of_a_demo_database(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    db = tmp_path / "demo.db"
    args = ["demo", "--db", str(db), "--days", "1", "--existing", "10", "--staff", "8", "--plain"]
    assert main(args, out=io.StringIO(), err=io.StringIO()) == 0
    page = tmp_path / "report.html"
    out = io.StringIO()
    assert main(["report", "--db", str(db), "--output", str(page)], out=out) == 0
    assert out.getvalue() == f"wrote {page}\n"
    assert page.read_text().count('<img class="chart"') == 5  # with the forecast


def test_cli_report_without_a_database_says_to_run_the_demo(tmp_path: Path) -> None:
    err = io.StringIO()
    missing = tmp_path / "none.db"
    assert main(["report", "--db", str(missing)], out=io.StringIO(), err=err) == 2
    assert "run `casekit demo` first" in err.getvalue()
    assert not missing.exists()


def test_the_same_seed_gives_the_same_dashboard_in_any_process() -> None:
    # Case ids are random (uuid), so nothing may depend on their order; nor on str hashing.
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    outputs = set()
    for hash_seed in ("1", "2"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "casekit",
                "demo",
                "--in-memory",
                "--days",
                "2",
                "--plain",
                "--existing",
                "80",
                "--staff",
                "12",
                "--seed",
                "5",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        # the title line carries the wall time
        outputs.add("\n".join(done.stdout.splitlines()[3:]))
    assert len(outputs) == 1


# ----- SLA clocks run in the office's business time


@pytest.fixture(scope="module")
def over_a_weekend() -> tuple[SimulationResult, list[SimEvent]]:
    """The office from Monday to the next Tuesday morning, every SLA breach announced."""
    sim = Simulation(office_scenario(staff=24, seed=5))
    breaches: list[SimEvent] = []

    def listen(event: SimEvent) -> None:
        if event.kind in (SimEventKind.CASE_SLA_BREACHED, SimEventKind.STEP_SLA_BREACHED):
            breaches.append(event)

    sim.subscribe(listen)
    return sim.run(DEMO_START + timedelta(days=8)), breaches


def test_sla_breaches_happen_in_working_hours_never_at_night_or_weekends(
    over_a_weekend: tuple[SimulationResult, list[SimEvent]],
) -> None:
    _, breaches = over_a_weekend
    assert breaches, "the demo office should miss some SLAs"
    for event in breaches:
        hours = OFFICE_CALENDAR.working_hours(event.at.date())
        assert hours is not None, f"{event} on a {event.at:%A}"
        assert hours[0] <= event.at <= hours[1], event


def test_a_case_is_judged_by_the_working_time_it_took(
    over_a_weekend: tuple[SimulationResult, list[SimEvent]],
) -> None:
    result, _ = over_a_weekend
    finished = [i for i in result.items if i.finished_at is not None]
    overnight = 0
    for item in finished:
        assert item.finished_at is not None
        worked = OFFICE_CALENDAR.business_hours_between(item.arrived_at, item.finished_at)
        assert item.sla_breached is (worked > CASE_SLA), item.id
        overnight += item.finished_at - item.arrived_at > CASE_SLA >= worked
    assert overnight > 0  # over the target in elapsed time, within it in working time


def test_the_dashboard_counts_applications_in_progress_and_writes_money_one_way(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    _, figures = run
    apps, money = figures["applications"], figures["money"]
    rows = {row[0]: row[1] for _, _, rows in dashboard_sections(figures) for row in rows}
    approved, denied, in_progress = (
        int(n.replace(",", "")) for n in rows["approved / denied / in progress"].split(" / ")
    )
    assert approved + denied + in_progress == apps["arrived"]
    assert approved + denied == apps["finished"]  # decided and disposed of
    assert rows["over the case SLA (2 working hours)"] == f"{apps['sla_breaches']:,}"
    paid = Money(money["paid_total"], "USD")
    assert rows["payments issued"] == f"{money['payments']:,} ({paid.format()})"
    assert paid.format().startswith("$")
    sections = dashboard_sections(figures, locale="de_DE")
    german = {row[0]: row[1] for _, _, rows in sections for row in rows}
    assert german["payments issued"].endswith(f"({paid.format('de_DE')})")
    assert german["payments issued"].endswith("\xa0$)")


def test_cli_demo_refuses_an_unknown_locale() -> None:
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--in-memory", "--locale", "xx_YY"], out=io.StringIO(), err=err)
    assert exit_.value.code == 2


def test_changes_of_circumstances_are_backdated_by_calendar_months() -> None:
    # 30-day steps back from 1 March landed on 30 January: February was never chosen.
    assert [_months_before(date(2026, 3, 1), n) for n in range(3)] == [
        date(2026, 3, 1),
        date(2026, 2, 1),
        date(2026, 1, 1),
    ]
    assert _months_before(date(2026, 1, 1), 2) == date(2025, 11, 1)


def test_corrections_fall_in_every_month_they_can(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    _, figures = run  # two days in March: changes from January, February or March
    months = set(figures["money"]["corrections_by_month"])
    assert "2026-02" in months  # never chosen before
    assert months <= {"2026-01", "2026-02", "2026-03"}
