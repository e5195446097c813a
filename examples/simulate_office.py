"""Simulate a week of a small benefits office, then ask two what-if questions.

Thirty staff work Chaser → Case Manager → Reviewer on day shifts with lunch breaks; they
take a little while to answer offers and now and then decline one. Cases arrive during
office hours. The run goes through the real skills-based router on a manual clock, so what
you see is what casekit's routing would do with this office.
"""

from __future__ import annotations

from datetime import time, timedelta

from casekit.priority import Priority
from casekit.sim import (
    AgentSpec,
    Break,
    Exponential,
    LogNormal,
    Poisson,
    Scenario,
    Shift,
    Simulation,
    Stage,
    compare,
    staffing_estimate,
)

# The steps every case goes through, with the skills they need and how long the work takes.
STAGES = (
    Stage("Chaser", {"chaser": 1}, Exponential(timedelta(minutes=12)), sla=timedelta(minutes=30)),
    Stage("Case Manager", {"case": 1}, LogNormal(timedelta(minutes=30), 0.5)),
    Stage("Reviewer", {"review": 1}, Exponential(timedelta(minutes=10)), sla=timedelta(hours=1)),
)
OPEN = Shift(time(8), time(16))  # cases arrive 08:00-16:00 UTC, Monday to Friday
ARRIVALS = Poisson(20.0, open_hours=OPEN)


def person(i: int, skills: dict[str, int]) -> AgentSpec:
    lunch = time(12) if i % 2 else time(12, 30)
    back = time(12, 30) if i % 2 else time(13)
    return AgentSpec(
        f"agent-{i:02d}",
        skills,
        accept_delay=LogNormal(timedelta(seconds=50), 1.0),
        decline_probability=0.04,
        shifts=(Shift(time(7, 30), time(16, 30), breaks=(Break(lunch, back),)),),
    )


ROLES = (
    [{"chaser": 1}] * 7 + [{"case": 1}] * 15 + [{"review": 1}] * 5 + [{"review": 1, "case": 1}] * 3
)
OFFICE = Scenario(
    agents=[person(i, skills) for i, skills in enumerate(ROLES)],
    stages=STAGES,
    arrivals=ARRIVALS,
    priorities={Priority.NORMAL: 9, Priority.URGENT: 1},
    push_timeout=timedelta(minutes=5),
    sla=timedelta(hours=8),
    seed=42,
)


def main() -> None:
    result = Simulation(OFFICE).run(timedelta(days=7))
    summary = result.summary()
    print(
        f"A week: {summary.arrived} cases arrived, {summary.finished} done, "
        f"{summary.sla_breaches} over the 8-hour SLA"
    )
    for stage in summary.stages:
        level = "" if stage.service_level is None else f", {stage.service_level:.0%} within SLA"
        print(
            f"  {stage.stage}: mean wait {stage.mean_wait.total_seconds() / 60:.1f} min{level}; "
            f"{stage.offers} offers, {stage.declines} declined, {stage.timeouts} timed out"
        )
    print(
        f"Occupancy {summary.occupancy:.0%}; Jain's index of occupancy {summary.fairness.jain:.3f}"
    )
    busiest = max(result.agents, key=lambda a: a.occupancy)
    print(
        f"Busiest: {busiest.id}, {busiest.finished} steps done, occupancy {busiest.occupancy:.0%}"
    )

    # What if: Erlang C's staffing for the Chaser step, checked on the same cases.
    estimate = staffing_estimate(ARRIVALS, STAGES[0], 0.8)
    print(
        f"Erlang C: {estimate.agents} Chasers answer 80% within 30 min "
        f"(at {estimate.occupancy:.0%} occupancy); the office has 7"
    )
    chasers = {f"agent-{i:02d}" for i in range(7 - estimate.agents)}
    comparison = compare(
        {
            "as is": OFFICE,
            f"{estimate.agents} Chasers": OFFICE.evolve(
                agents=[a for a in OFFICE.agents if a.id not in chasers]
            ),
            "2-minute push timeout": OFFICE.evolve(push_timeout=timedelta(minutes=2)),
        },
        timedelta(days=7),
    )
    for name, what_if in comparison.summaries.items():
        chaser = what_if.stage("Chaser")
        print(
            f"  {name}: Chaser mean wait {chaser.mean_wait.total_seconds() / 60:.1f} min, "
            f"{chaser.service_level:.0%} within SLA, {chaser.timeouts} timeouts"
        )


if __name__ == "__main__":
    main()
