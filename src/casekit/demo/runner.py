"""Run the demo office day by day on one application, which stores everything it does.

One simulated working day at a time: the simulator routes the day's applications through
their three steps on its own router, and `Casework` has the demo's application
(`casekit.demo.config.demo_application`) do the casework each step stands for, one command
per step; after office hours the payment run pays what is due, and clients' changes of
circumstances are reassessed by the application into correction cases. The investigations
unit opens a case a day, and the office's policy refuses what it must and lets duty
managers break the glass (`casekit.demo.investigations`). Every command is performed by a
principal of the office (`casekit.demo.access`) and is its own unit of work: cases, ledger
lines, links, audit trail and outbox records are committed together. The figures are
counted from the application's events (`Tally`) and, for access, from the audit trails; at
the end they are stored beside the cases (collection ``demo``), so ``casekit report`` can
draw them from the database alone.

The office has an escalation ladder on the Chaser step and a week with an absence or two
(`casekit.demo.office`); when planned leave begins the supervisor hands the absent
caseworker's cases to their delegate (`casekit.demo.cover`). The figures say which rungs
were applied and what the absences moved, and forecast their effect: the same office is
simulated again on the same seed — without the ladder, without the absences, without
either — on the simulator alone (no application: the forecast compares routing, and a
simulation of the fortnight costs about a second where the application's work costs most of
the run), so every variant sees the same applications at the same instants with the same
handling times (common random numbers) and the differences are theirs.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from casekit.demo.access import Directory
from casekit.demo.benefits import CURRENCY, Benefits
from casekit.demo.casework import Casework
from casekit.demo.config import demo_application
from casekit.demo.cover import Cover
from casekit.demo.investigations import Investigations, access_figures
from casekit.demo.office import CASE_SLA, DEMO_START, office_scenario
from casekit.demo.tally import Tally
from casekit.routing import EventKind, RoutingEvent, RungApplied
from casekit.sim import Scenario, SimEvent, Simulation, SimulationResult
from casekit.storage import Storage

__all__ = ["DemoResult", "run_demo"]

_EXISTING_SINCE = date(2025, 9, 1)
_CHANGE_SHARE = 0.02


@attrs.frozen
class DemoResult:
    """What a demo run did, for the dashboard and the report.

    Attributes:
        figures: JSON-safe figures (see `run_demo`), as stored in the database.
        wall_seconds: How long the run took.
    """

    figures: dict[str, Any]
    wall_seconds: float


Progress = Callable[[int, int, str], None]
"""``progress(day_done, days, text)``."""


def run_demo(
    storage: Storage,
    *,
    days: int = 10,
    seed: int = 7,
    staff: int = 36,
    existing: int = 400,
    progress: Progress | None = None,
) -> DemoResult:
    """Simulate the office for ``days`` working days, storing it all in ``storage``.

    Args:
        storage: Where cases, payments, corrections and the run's figures go.
        days: Working days to simulate (Monday to Friday).
        seed: Makes the run repeatable.
        staff: People in the office.
        existing: Active benefits the office starts with, paid up to the first day.
        progress: Called after each day.

    Returns:
        The run's figures.

    Raises:
        ValueError: For fewer than one day, four staff or a negative caseload.
    """
    _check(days=days, existing=existing)
    started = time.perf_counter()
    scenario = office_scenario(staff=staff, seed=seed)
    sim = Simulation(scenario)
    clock = sim.clock
    app = demo_application(storage, clock=clock)
    directory = Directory([(agent.id, agent.skills) for agent in scenario.agents])
    tally = Tally(CURRENCY, escalator=f"check:{directory.SLA_MONITOR.id}")
    app.subscribe(tally)
    benefits = Benefits(app, directory, seed=seed)
    casework = Casework(app, directory, seed=seed, on_benefit=benefits.enrol)
    investigations = Investigations(app, directory, benefits, seed=seed)
    cover = Cover(app, directory, benefits, sim)
    counts: Counter[str] = Counter()
    daily: dict[str, Counter[str]] = {}
    rungs = _RungCount(sim, daily)

    def on_sim(event: SimEvent) -> None:
        casework.on_sim_event(event)
        day = daily.setdefault(event.at.date().isoformat(), Counter())
        day[event.kind.value] += 1

    def on_route(event: RoutingEvent) -> None:
        casework.on_routing_event(event)
        counts[event.kind.value] += 1
        if event.kind is EventKind.PRIORITY_RAISED:
            daily.setdefault(event.at.date().isoformat(), Counter())["priority raised"] += 1

    sim.subscribe(on_sim)
    sim.router.subscribe(on_route)

    benefits.existing_caseload(existing, _EXISTING_SINCE, DEMO_START.date() - timedelta(days=1))
    tally.start_run()

    day = DEMO_START
    done = 0
    while done < days:
        sim.run(day + timedelta(hours=20))  # the office's day, and its evening
        if day.weekday() < 5:
            benefits.payment_run(day.date())
            benefits.changes_of_circumstances(_CHANGE_SHARE)
            investigations.working_day(done, days)
            done += 1
            if progress is not None:
                progress(done, days, f"{day:%a %d %b}: {tally.cases:,} cases")
        day += timedelta(days=1)

    result = sim.result()
    waits = _waits_by_stage(result)
    figures = _figures(
        result=result,
        waits=waits,
        casework=casework,
        benefits=benefits,
        tally=tally,
        counts=counts,
        daily=daily,
        params={"days": days, "seed": seed, "staff": staff, "existing": existing},
    )
    figures["access"] = _access(storage, investigations, directory, tally)
    figures.update(_escalation_figures(scenario, result, rungs, cover))
    wall = time.perf_counter() - started
    figures["wall_seconds"] = round(wall, 2)
    _save_figures(storage, figures, result, waits, clock.now())
    return DemoResult(figures, wall)


def _check(*, days: int, existing: int) -> None:
    if days < 1:
        raise ValueError(f"the demo needs at least one day, got {days}")
    if existing < 0:
        raise ValueError(f"existing caseload must not be negative, got {existing}")


def _access(
    storage: Storage, investigations: Investigations, directory: Directory, tally: Tally
) -> dict[str, Any]:
    """The run's access figures: from the audit trails, and the grants' notices."""
    return {
        **access_figures(storage, investigations.touched, directory),
        "notified": tally.glass_notices,
        "investigations": len(investigations.opened),
    }


def _escalation_figures(
    scenario: Scenario, result: SimulationResult, rungs: _RungCount, cover: Cover
) -> dict[str, Any]:
    """The ladder's, the absences' and the forecast's figures, and the forecast's wall time."""
    started = time.perf_counter()
    forecast = _forecast(scenario, result)
    return {
        "ladder": _ladder_figures(scenario, result, rungs),
        "absences": _absence_figures(scenario, result, cover),
        "forecast": forecast,
        "forecast_wall_seconds": round(time.perf_counter() - started, 2),
    }


class _RungCount:
    """Counts the rungs applied, by rung, and the supervisors told (also per day)."""

    def __init__(self, sim: Simulation, daily: dict[str, Counter[str]]) -> None:
        self.daily = daily
        self.by_rung: Counter[int] = Counter()
        self.told = 0
        if sim.ladders is not None:
            sim.ladders.subscribe(self)

    def __call__(self, record: RungApplied) -> None:
        self.by_rung[record.index] += 1
        if record.notify:  # the supervisor is told; the demo counts it
            self.told += 1
            self.daily.setdefault(record.at.date().isoformat(), Counter())["supervisor told"] += 1


def _ladder_figures(
    scenario: Scenario, result: SimulationResult, rungs: _RungCount
) -> dict[str, Any]:
    """Each ladder's rungs and how often each was applied; the supervisors told."""
    ladders = []
    for ladder in scenario.ladders:
        ladders.append(
            {
                "stage": ladder.stage,
                "rungs": [
                    {
                        "rung": number + 1,
                        "after_min": rung.after.total_seconds() / 60,
                        "does": rung.describe().split(": ", 1)[-1],  # without "after ..."
                        "applied": rungs.by_rung.get(number, 0),
                    }
                    for number, rung in enumerate(ladder.rungs)
                ],
            }
        )
    return {"ladders": ladders, "applied": result.rungs_applied, "supervisor_told": rungs.told}


def _absence_figures(scenario: Scenario, result: SimulationResult, cover: Cover) -> dict[str, Any]:
    """Each absence, what it moved (by outcome), and the cases handed to delegates."""
    book = scenario.absences
    moved: dict[str, Counter[str]] = defaultdict(Counter)
    for move in result.absence_moves:
        moved[move.holder][move.outcome] += 1
    windows = []
    for absence in book.absences if book is not None else ():
        to = book.delegations.get(absence.agent) if book is not None else None
        windows.append(
            {
                "agent": absence.agent,
                "kind": absence.kind.value,
                "starts": absence.starts.isoformat(),
                "ends": absence.ends.isoformat(),
                "delegate": str(to) if to is not None else "return to queue",
                "moved": {k: moved[absence.agent][k] for k in ("delegated", "returned", "kept")},
            }
        )
    return {
        "windows": windows,
        "moved": result.moved(),
        "moves": [
            {
                "at": move.at.isoformat(),
                "item": move.item_id,
                "stage": move.stage,
                "holder": move.holder,
                "outcome": move.outcome,
                "to": move.to,
            }
            for move in result.absence_moves
        ],
        "reassigned": cover.batches,
    }


FORECAST_VARIANTS = ("without either", "ladder only", "absences only", "this run")
"""The forecast's columns: the office without the ladder and the absences, with each alone,
and as run (both)."""


def _forecast(scenario: Scenario, result: SimulationResult) -> dict[str, Any]:
    """The office on the same seed without the ladder and/or the absences, simulator only.

    O(3 simulations of the period): about a second each for the default fortnight.
    """
    variants = {
        "without either": scenario.evolve(ladders=(), absences=None),
        "ladder only": scenario.evolve(absences=None),
        "absences only": scenario.evolve(ladders=()),
    }
    results = {name: Simulation(v).run(result.end) for name, v in variants.items()}
    results["this run"] = result
    return {
        "note": "the same office on the same seed (common random numbers), simulator only",
        "variants": list(FORECAST_VARIANTS),
        "runs": {name: _run_figures(results[name]) for name in FORECAST_VARIANTS},
    }


def _run_figures(result: SimulationResult) -> dict[str, Any]:
    summary = result.summary()
    waits = _waits_by_stage(result)  # p90 as the queue waits table computes it
    return {
        "arrived": summary.arrived,
        "finished": summary.finished,
        "case_sla_breaches": summary.sla_breaches,
        "mean_turnaround_h": round(summary.mean_turnaround.total_seconds() / 3600, 3)
        if summary.mean_turnaround
        else None,
        "occupancy": round(summary.occupancy, 4),
        "jain": round(summary.fairness.jain, 4),
        "rungs_applied": result.rungs_applied,
        "moved": result.moved(),
        "stages": {
            stage.stage: {
                "mean_wait_min": round(stage.mean_wait.total_seconds() / 60, 2),
                "p90_wait_min": _p90(waits.get(stage.stage, [])),
                "sla_breaches": stage.sla_breaches,
            }
            for stage in summary.stages
        },
    }


def _p90(waits: list[float]) -> float:
    """The 90th percentile of sorted waits, as the dashboard's queue waits table shows it."""
    return waits[int(0.9 * (len(waits) - 1))] if waits else 0.0


def _waits_by_stage(result: SimulationResult) -> dict[str, list[float]]:
    """Every accepted step's wait in minutes, sorted, per stage. One pass over the records."""
    waits: dict[str, list[float]] = defaultdict(list)
    for item in result.items:
        for step in item.stages:
            if step.wait is not None:
                waits[step.stage].append(round(step.wait.total_seconds() / 60, 2))
    return {stage: sorted(values) for stage, values in waits.items()}


def _figures(
    *,
    result: SimulationResult,
    waits: dict[str, list[float]],
    casework: Casework,
    benefits: Benefits,
    tally: Tally,
    counts: Counter[str],
    daily: dict[str, Counter[str]],
    params: dict[str, int],
) -> dict[str, Any]:
    for when, counters in tally.daily.items():
        daily.setdefault(when, Counter()).update(counters)
    summary = result.summary()
    stages = []
    for stage in summary.stages:
        stage_waits = waits.get(stage.stage, [])
        stages.append(
            {
                "stage": stage.stage,
                "entered": stage.entered,
                "accepted": stage.accepted,
                "mean_wait_min": round(stage.mean_wait.total_seconds() / 60, 2),
                "p90_wait_min": _p90(stage_waits),
                "median_wait_min": round(statistics.median(stage_waits), 2) if stage_waits else 0.0,
                "service_level": stage.service_level,
                "sla_breaches": stage.sla_breaches,
                "offers": stage.offers,
                "declines": stage.declines,
                "timeouts": stage.timeouts,
            }
        )
    return {
        "params": params,
        "start": summary.start.isoformat(),
        "end": summary.end.isoformat(),
        "cases_by_status": tally.cases_by_status(),
        "applications": {
            "arrived": summary.arrived,
            "finished": summary.finished,
            "approved": casework.approved,
            "denied": casework.denied,
            "mean_turnaround_h": round(summary.mean_turnaround.total_seconds() / 3600, 2)
            if summary.mean_turnaround
            else None,
            "sla_hours": CASE_SLA.total_seconds() / 3600,
            "sla_breaches": summary.sla_breaches,
            "escalated": tally.escalated,
        },
        "routing": {
            "events": dict(sorted(counts.items())),
            "occupancy": round(summary.occupancy, 4),
            "jain": round(summary.fairness.jain, 4),
            "spread": round(summary.fairness.spread, 4),
            "groups": {k: list(v) for k, v in summary.fairness.groups.items()},
        },
        "stages": stages,
        "money": {"active_benefits": len(benefits.enrolled), **tally.money()},
        "daily": {day: dict(c) for day, c in sorted(daily.items())},
    }


def _save_figures(
    storage: Storage,
    figures: dict[str, Any],
    result: SimulationResult,
    waits: dict[str, list[float]],
    now: datetime,
) -> None:
    agents = [
        {
            "id": agent.id,
            "skills": dict(agent.skills),
            "offers": agent.offers,
            "accepts": agent.accepts,
            "declines": agent.declines,
            "timeouts": agent.timeouts,
            "finished": agent.finished,
            "occupancy": round(agent.occupancy, 4),
        }
        for agent in result.agents
    ]
    with storage.unit_of_work() as uow:
        every_stage = {stage["stage"]: waits.get(stage["stage"], []) for stage in figures["stages"]}
        documents = (("figures", figures), ("agents", {"agents": agents}), ("waits", every_stage))
        for key, body in documents:
            existing = uow.documents.get("demo", key)
            uow.documents.put(
                "demo",
                key,
                body,
                expected_version=existing.version if existing else 0,
                labels={"kind": key},
                updated_at=now,
            )
        uow.commit()
