"""Simulator benchmark: a month of a 200-person office, about 50,000 cases, three routed steps.

The office: 50 Chasers, 100 Case Managers and 50 Reviewers (10 of them also Case Managers),
capacity one, on 07:30–16:30 UTC weekday shifts with staggered 30-minute lunch breaks; they
answer offers after a log-normal delay (mean 40 s), decline 3 % of them, and the router's
push timeout is 5 minutes. Cases arrive as a Poisson process at 284 an hour during office
hours (08:00–16:00 on weekdays): about 50,000 in the 30 days from Monday 5 January 2026.
Every case goes Chaser (8 min, exponential) → Case Manager (18 min, log-normal) → Reviewer
(6 min, exponential) through a real ``casekit.routing.Router``.

It prints the wall time (and the process CPU time, steadier on a shared machine), the
simulation events and router events processed and their rates,
the headline results, and — in the same run — a baseline: the same office scaled down ten
times (20 agents, a tenth of the arrivals). The ratio of events per second shows how the cost
of an event grows with the size of the office (1.0: not at all).

Usage: ``python benchmarks/sim.py [--quick] [--profile]``. ``--quick`` simulates one week
instead of a month; ``--profile`` prints the top of a cProfile of the main run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import time
from datetime import time as clock_time
from datetime import timedelta

from casekit.sim import (
    AgentSpec,
    Break,
    Exponential,
    LogNormal,
    Poisson,
    Scenario,
    Shift,
    Simulation,
    SimulationResult,
    Stage,
)

STAGES = (
    Stage("Chaser", {"chaser": 1}, Exponential(timedelta(minutes=8)), sla=timedelta(minutes=30)),
    Stage(
        "Case Manager", {"case": 1}, LogNormal(timedelta(minutes=18), 0.5), sla=timedelta(hours=1)
    ),
    Stage("Reviewer", {"review": 1}, Exponential(timedelta(minutes=6)), sla=timedelta(hours=1)),
)
LUNCHES = (clock_time(11, 30), clock_time(12), clock_time(12, 30))
OPEN = Shift(clock_time(8), clock_time(16))
CASES_PER_HOUR = 284.0


def shift(i: int) -> Shift:
    lunch = LUNCHES[i % 3]
    end = clock_time(lunch.hour + (lunch.minute + 30) // 60, (lunch.minute + 30) % 60)
    return Shift(clock_time(7, 30), clock_time(16, 30), breaks=(Break(lunch, end),))


def office(scale: int) -> tuple[AgentSpec, ...]:
    """200 agents at scale 10, 20 at scale 1."""
    roles = (
        [{"chaser": 1}] * (5 * scale)
        + [{"case": 1}] * (10 * scale)
        + [{"review": 1}] * (4 * scale)
        + [{"review": 1, "case": 1}] * scale
    )
    return tuple(
        AgentSpec(
            f"agent-{i:03d}",
            skills,
            accept_delay=LogNormal(timedelta(seconds=40), 1.0),
            decline_probability=0.03,
            shifts=(shift(i),),
        )
        for i, skills in enumerate(roles)
    )


def scenario(scale: int) -> Scenario:
    return Scenario(
        agents=office(scale),
        stages=STAGES,
        arrivals=Poisson(CASES_PER_HOUR * scale / 10, open_hours=OPEN),
        seed=2026,
        push_timeout=timedelta(minutes=5),
        sla=timedelta(hours=8),
    )


def timed(
    scale: int, days: int, profile: bool = False
) -> tuple[SimulationResult, float, float, int]:
    sim = Simulation(scenario(scale))
    routing_events = 0

    def count(_event: object) -> None:
        nonlocal routing_events
        routing_events += 1

    sim.router.subscribe(count)
    profiler = cProfile.Profile() if profile else None
    gc.collect()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if profiler is not None:
        profiler.enable()
    sim.run(timedelta(days=days))
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    result = sim.result()
    if profiler is not None:
        print("\nprofile of the main run (top 20 by own time):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    return result, wall, cpu, routing_events


def report(
    label: str, result: SimulationResult, wall: float, cpu: float, routing_events: int
) -> float:
    summary = result.summary()
    rate = result.events / wall
    print(
        f"{label}: {len(result.agents)} agents, {summary.arrived:,} cases arrived, "
        f"{summary.finished:,} through all three steps"
    )
    print(
        f"  wall time {wall:.2f} s (CPU {cpu:.2f} s); {result.events:,} simulation events "
        f"({rate:,.0f}/s), {routing_events:,} router events ({routing_events / wall:,.0f}/s)"
    )
    for stage in summary.stages:
        level = "-" if stage.service_level is None else f"{stage.service_level:.1%}"
        print(
            f"  {stage.stage:<13} mean wait {stage.mean_wait.total_seconds() / 60:6.1f} min, "
            f"p90 {stage.p90_wait.total_seconds() / 60:6.1f} min, within SLA {level:>6}, "
            f"offers {stage.offers:,}, declines {stage.declines:,}, timeouts {stage.timeouts:,}"
        )
    print(
        f"  occupancy {summary.occupancy:.1%}, Jain's index {summary.fairness.jain:.3f}, "
        f"cases over the 8 h SLA {summary.sla_breaches:,}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one week instead of a month")
    parser.add_argument("--profile", action="store_true", help="profile the main run")
    args = parser.parse_args()
    days = 7 if args.quick else 30
    result, wall, cpu, routing = timed(10, days, args.profile)
    main_rate = report(f"{days} days, full office", result, wall, cpu, routing)
    base, base_wall, base_cpu, base_routing = timed(1, days)
    base_rate = report(
        f"{days} days, baseline office scaled down 10x", base, base_wall, base_cpu, base_routing
    )
    cpu_ratio = (result.events / cpu) / (base.events / base_cpu)
    print(
        f"events per second, full office ÷ baseline: {main_rate / base_rate:.2f} by wall time, "
        f"{cpu_ratio:.2f} by CPU time (1.00 = an event costs the same at 200 agents as at 20); "
        f"{result.events / base.events:.1f}x the events took {wall / base_wall:.1f}x the time"
    )


if __name__ == "__main__":
    main()
