"""The demo's ladder and absences (issue 20): counted as the simulator applied them, shown,
stored, and forecast against the same office without them on the same seed."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from casekit.cases import Owner
from casekit.demo import run_demo
from casekit.demo.access import Directory
from casekit.demo.benefits import Benefits
from casekit.demo.config import demo_application
from casekit.demo.cover import Cover
from casekit.demo.dashboard import dashboard_sections
from casekit.demo.office import DEMO_START, INTAKE_LADDER, office_absences, office_scenario
from casekit.demo.report import load_report_data
from casekit.sim import Simulation
from casekit.storage import MemoryStorage
from casekit.worklists import AbsenceKind, DelegateKind

STAFF, SEED, DAYS = 16, 3, 3


@pytest.fixture(scope="module")
def run() -> tuple[MemoryStorage, dict[str, Any]]:
    storage = MemoryStorage()
    result = run_demo(storage, days=DAYS, existing=30, staff=STAFF, seed=SEED)
    return storage, result.figures


@pytest.fixture(scope="module")
def fresh(run: tuple[MemoryStorage, dict[str, Any]]) -> Simulation:
    """The same office simulated again in one go, nobody listening, to the run's end."""
    _, figures = run
    simulation = Simulation(office_scenario(staff=STAFF, seed=SEED))
    simulation.run(datetime.fromisoformat(figures["end"]))
    return simulation


def test_the_office_has_a_ladder_and_absences_with_a_delegate_of_the_same_role() -> None:
    scenario = office_scenario(staff=36, seed=7)
    assert scenario.ladders == (INTAKE_LADDER,)
    book = scenario.absences
    assert book is not None
    kinds = {absence.kind for absence in book.absences}
    assert kinds == {AbsenceKind.PLANNED_LEAVE, AbsenceKind.SICK}
    ((away, to),) = book.delegations.items()
    assert to.kind is DelegateKind.AGENT
    skills = {agent.id: set(agent.skills) for agent in scenario.agents}
    assert "case_manager" in skills[away] & skills[str(to.id)]
    assert "reviewer" not in skills[away] | skills[str(to.id)]
    bare = office_scenario(staff=36, seed=7, ladder=False, absences=False)
    assert (bare.ladders, bare.absences) == ((), None)
    for staff in range(4, 13):  # small offices: a delegate of the same role, or nobody
        agents = office_scenario(staff=staff, seed=7, absences=False).agents
        roles = {a.id: set(a.skills) & {"case_manager", "reviewer"} for a in agents}
        for who, delegate in office_absences(agents).delegations.items():
            assert roles[who] == roles[str(delegate.id)] == {"case_manager"}


def test_the_rungs_counted_are_the_simulations(
    run: tuple[MemoryStorage, dict[str, Any]], fresh: Simulation
) -> None:
    _, figures = run
    ladder = figures["ladder"]
    ((chaser,),) = [[stage for stage in ladder["ladders"] if stage["stage"] == "Chaser"]]
    by_rung = [rung["applied"] for rung in chaser["rungs"]]
    assert sum(by_rung) == ladder["applied"] == fresh.rungs_applied > 0
    assert ladder["supervisor_told"] == by_rung[1]  # the second rung notifies
    assert figures["forecast"]["runs"]["this run"]["rungs_applied"] == ladder["applied"]


def test_the_moves_counted_are_the_simulations(
    run: tuple[MemoryStorage, dict[str, Any]], fresh: Simulation
) -> None:
    _, figures = run
    absences = figures["absences"]
    moved = fresh.result().moved()
    assert absences["moved"] == moved
    assert sum(moved.values()) == len(absences["moves"]) > 0
    per_window = {
        outcome: sum(w["moved"][outcome] for w in absences["windows"]) for outcome in moved
    }
    assert per_window == moved
    assert figures["forecast"]["runs"]["this run"]["moved"] == moved


def test_the_absent_caseworkers_open_cases_were_handed_to_their_delegate(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, figures = run
    (batch,) = figures["absences"]["reassigned"]
    assert batch["cases"] > 0
    assert batch["refused"] == 0
    directory = Directory([(a.id, a.skills) for a in office_scenario(staff=STAFF).agents])
    assert batch["by"] == directory.supervisor_of(batch["agent"]).id
    with storage.unit_of_work() as uow:
        still = uow.cases.query(owner=Owner.user(batch["agent"]), limit=1000).items
        theirs = uow.cases.query(owner=Owner.user(batch["delegate"]), limit=1000).items
    assert all(case.is_final or case.status.value == "Closed" for case in still)  # away
    assert len(theirs) >= batch["cases"]


def test_the_forecast_runs_the_same_cases_without_the_ladder_and_the_absences(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    _, figures = run
    forecast = figures["forecast"]
    runs = forecast["runs"]
    assert list(runs) == forecast["variants"]
    assert {r["arrived"] for r in runs.values()} == {figures["applications"]["arrived"]}
    assert runs["without either"]["rungs_applied"] == runs["absences only"]["rungs_applied"] == 0
    assert sum(runs["without either"]["moved"].values()) == 0
    assert sum(runs["ladder only"]["moved"].values()) == 0
    assert runs["ladder only"]["rungs_applied"] > 0
    assert sum(runs["absences only"]["moved"].values()) > 0
    this = runs["this run"]
    assert this["case_sla_breaches"] == figures["applications"]["sla_breaches"]
    for stage in figures["stages"]:
        ours = this["stages"][stage["stage"]]
        assert ours["mean_wait_min"] == stage["mean_wait_min"]
        assert ours["p90_wait_min"] == stage["p90_wait_min"]
        assert ours["sla_breaches"] == stage["sla_breaches"]
    assert figures["forecast_wall_seconds"] >= 0


def test_the_dashboard_shows_the_rungs_the_moves_and_the_forecast(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    _, figures = run
    sections = {title: (head, rows) for title, head, rows in dashboard_sections(figures)}
    _, rungs = sections["Escalation ladder (working time)"]
    assert rungs[-1][-1] == f"{figures['ladder']['applied']:,}"
    assert [row[3] for row in rungs[:2]] == ["require evidence=1", "raise to Urgent; notify"]
    _, away = sections["Absences: steps held when they began, and open cases handed over"]
    assert [row[0] for row in away] == [w["agent"] for w in figures["absences"]["windows"]]
    forecast = next(key for key in sections if key.startswith("Forecast"))
    head, rows = sections[forecast]
    assert head == ("measure", "without either", "ladder only", "absences only", "this run")
    table = {row[0]: row[1:] for row in rows}
    assert table["rungs applied"][0] == "0"
    assert table["rungs applied"][3] == f"{figures['ladder']['applied']:,}"
    assert table["steps moved by absences"][3] == f"{len(figures['absences']['moves']):,}"
    assert {f"{stage} mean wait (min)" for stage in ("Chaser", "Case Manager", "Reviewer")} <= set(
        table
    )


def test_the_new_figures_are_stored_json_safe_for_casekit_report(
    run: tuple[MemoryStorage, dict[str, Any]],
) -> None:
    storage, figures = run
    stored = load_report_data(storage).figures
    for key in ("ladder", "absences", "forecast"):
        assert stored[key] == json.loads(json.dumps(figures[key]))


def test_cover_hands_the_absent_caseworkers_benefits_to_the_delegate_who_then_records_changes() -> (
    None
):
    scenario = office_scenario(staff=8, seed=7)
    book = scenario.absences
    assert book is not None
    ((away, to),) = book.delegations.items()
    sim = Simulation(scenario)
    app = demo_application(MemoryStorage(), clock=sim.clock)
    directory = Directory([(agent.id, agent.skills) for agent in scenario.agents])
    benefits = Benefits(app, directory, seed=7)
    cover = Cover(app, directory, benefits, sim)
    benefits.existing_caseload(40, date(2025, 9, 1), DEMO_START.date())
    theirs = [pdc for pdc, owner in benefits.owner_of.items() if owner.id == away]
    assert theirs  # the absent caseworker owns some benefits
    sim.run(book.absences[0].starts)  # their leave begins
    (batch,) = cover.batches
    assert (batch["agent"], batch["delegate"], batch["cases"]) == (away, to.id, len(theirs))
    assert all(benefits.owner_of[pdc].id == to.id for pdc in theirs)
    assert all(
        app.case(pdc, actor=directory[str(to.id)]).owner == Owner.user(str(to.id)) for pdc in theirs
    )
    assert benefits.changes_of_circumstances(1.0) > 0  # every client reports: no one refused
