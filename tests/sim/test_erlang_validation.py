"""The simulator against queueing theory: M/M/3 through the real router agrees with Erlang C.

One skill, three identical agents of capacity one who accept at once, Poisson arrivals at
12 an hour, exponential handling with a mean of 10 minutes: offered load 2 Erlangs, ρ = 2/3.
Erlang C: P(wait) = 4/9, mean wait 266.7 s, P(wait ≤ 5 min) = 0.730.

About 28,800 cases over 100 days (a day of warm-up left out), seed fixed. Tolerances are
four standard errors from 20 batch means (batch means absorb the autocorrelation of
successive waits), and the standard errors themselves are bounded so the test keeps its
power: serving the queue last-in-first-out gives the same P(wait) and mean wait but
P(wait ≤ 5 min) ≈ 0.83, random order ≈ 0.77, and a router that leaves agents idle while
cases wait pushes P(wait) and the mean wait up — each far outside the tolerance.
"""

from __future__ import annotations

import math
import statistics
from datetime import timedelta

import pytest

from casekit.sim import (
    AgentSpec,
    Exponential,
    Poisson,
    Scenario,
    Simulation,
    Stage,
    erlang_c,
    mean_wait,
    offered_load,
    service_level,
)

RATE = 12.0  # per hour
HANDLING = timedelta(minutes=10)
AGENTS = 3
WITHIN = timedelta(minutes=5)
BATCHES = 20


def batch_means(values: list[float]) -> tuple[float, float]:
    """The overall mean and its standard error from ``BATCHES`` consecutive batches."""
    size = len(values) // BATCHES
    means = [statistics.fmean(values[i * size : (i + 1) * size]) for i in range(BATCHES)]
    return statistics.fmean(values), statistics.stdev(means) / math.sqrt(BATCHES)


@pytest.fixture(scope="module")
def waits() -> list[float]:
    scenario = Scenario(
        agents=[AgentSpec(f"A{i}", {"claims": 1}, auto_accept=True) for i in range(AGENTS)],
        stages=[Stage("Claims", {"claims": 1}, Exponential(HANDLING), sla=WITHIN)],
        arrivals=Poisson(RATE),
        seed=2026,
        sample_every=None,
    )
    result = Simulation(scenario).run(timedelta(days=100))
    start = result.start + timedelta(days=1)
    return [
        wait.total_seconds()
        for item in result.items
        if item.arrived_at >= start and (wait := item.stages[0].wait) is not None
    ]


def test_enough_cases(waits: list[float]) -> None:
    assert len(waits) > 27_000
    assert offered_load(RATE, HANDLING) == pytest.approx(2.0)


def test_probability_of_waiting_agrees_with_erlang_c(waits: list[float]) -> None:
    simulated, error = batch_means([1.0 if w > 0 else 0.0 for w in waits])
    theory = erlang_c(AGENTS, offered_load(RATE, HANDLING))
    assert theory == pytest.approx(4 / 9)
    assert error < 0.012
    assert abs(simulated - theory) < 4 * error, (simulated, theory, error)


def test_mean_wait_agrees_with_erlang_c(waits: list[float]) -> None:
    simulated, error = batch_means(waits)
    theory = mean_wait(AGENTS, RATE, HANDLING).total_seconds()
    assert theory == pytest.approx(800 / 3)
    assert error < 0.06 * theory
    assert abs(simulated - theory) < 4 * error, (simulated, theory, error)


def test_service_level_agrees_with_fifo_erlang_c(waits: list[float]) -> None:
    limit = WITHIN.total_seconds()
    simulated, error = batch_means([1.0 if w <= limit else 0.0 for w in waits])
    theory = service_level(AGENTS, RATE, HANDLING, WITHIN)
    assert error < 0.01
    assert abs(simulated - theory) < 4 * error, (simulated, theory, error)
    assert abs(simulated - theory) < 0.03  # LIFO would be ≈ 0.10 away, random order ≈ 0.04
