"""Forecasting an escalation ladder before it goes live (issue 20, part 8).

A scenario with ``ladders`` runs a `LadderRunner` on the simulation's router; compared on the
same seed with the same office without them, the difference in waits and SLA breaches is the
ladder's effect, not luck.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from casekit.errors import ValidationError
from casekit.routing import Ladder, Rung
from casekit.sim import AgentSpec, Exponential, Poisson, Scenario, Simulation, Stage, compare

SPECIALIST = Stage(
    "Case Manager",
    {"case_manager": 2},
    Exponential(timedelta(minutes=20)),
    sla=timedelta(minutes=30),
)
RELAX = Ladder("Case Manager", [Rung(timedelta(minutes=10), lower={"case_manager": 1})])

BASE = Scenario(
    agents=[
        *(AgentSpec(f"S{i}", {"case_manager": 2}, auto_accept=True) for i in range(2)),
        *(AgentSpec(f"G{i}", {"case_manager": 1}, auto_accept=True) for i in range(3)),
    ],
    stages=[SPECIALIST],
    arrivals=Poisson(9.0),  # 3 Erlangs on two specialists: they cannot keep up alone
    seed=20,
    sample_every=None,
)


def test_a_ladder_lets_the_generalists_take_work_the_specialists_cannot() -> None:
    runs = compare(
        {"as is": BASE, "with a ladder": BASE.evolve(ladders=[RELAX])}, timedelta(hours=8)
    )
    before, after = (runs.summaries[name].stages[0] for name in ("as is", "with a ladder"))
    assert before.entered == after.entered  # the same cases arrived in both
    assert after.mean_wait < before.mean_wait
    assert after.sla_breaches < before.sla_breaches
    generalists = [a for a in runs.results["with a ladder"].agents if a.id.startswith("G")]
    assert sum(a.finished for a in generalists) > 0
    assert all(a.finished == 0 for a in runs.results["as is"].agents if a.id.startswith("G"))


def test_rungs_are_counted_and_the_run_is_repeatable() -> None:
    scenario = BASE.evolve(ladders=[RELAX])
    first, second = Simulation(scenario), Simulation(scenario)
    one, two = first.run(timedelta(hours=4)), second.run(timedelta(hours=4))
    assert first.rungs_applied == second.rungs_applied > 0
    assert one.summary() == two.summary()
    assert Simulation(BASE).rungs_applied == 0


def test_a_ladder_for_a_stage_the_scenario_does_not_have_is_refused() -> None:
    with pytest.raises(ValidationError, match="does not have"):
        BASE.evolve(ladders=[Ladder("Reviewer", [Rung(timedelta(minutes=5), notify=True)])])
    with pytest.raises(ValidationError):
        BASE.evolve(ladders=[RELAX, RELAX])
    with pytest.raises(ValidationError):
        BASE.evolve(ladders="Case Manager")


@pytest.mark.parametrize("seed", range(6))
def test_rungs_on_offers_not_yet_answered_keep_the_books_straight(seed: int) -> None:
    """A skill rung re-routes an offered item: the late answer to the old offer is ignored."""
    slow = [
        AgentSpec(
            f"A{i}",
            {"case_manager": 2 if i < 2 else 1},
            accept_delay=Exponential(timedelta(minutes=12)),
            decline_probability=0.2,
        )
        for i in range(4)
    ]
    scenario = BASE.evolve(
        agents=slow,
        seed=seed,
        push_timeout=timedelta(minutes=30),
        ladders=[
            Ladder(
                "Case Manager",
                [
                    Rung(timedelta(minutes=5), lower={"case_manager": 1}),
                    Rung(timedelta(minutes=20), skills={"case_manager": 1, "overflow": 1}),
                ],
            )
        ],
    )
    simulation = Simulation(scenario)
    result = simulation.run(timedelta(hours=6))
    assert simulation.rungs_applied > 0
    stage = result.summary().stages[0]
    assert stage.accepted <= stage.entered
