"""What-if comparisons on common random numbers, and the Erlang C staffing estimate."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casekit.errors import ValidationError
from casekit.routing import RoutingModel
from casekit.sim import (
    AgentSpec,
    Exponential,
    Poisson,
    Scenario,
    Stage,
    compare,
    erlang_c,
    staffing_estimate,
    staffing_for,
    staffing_levels,
)

STAGE = Stage("Claims", {"claims": 1}, Exponential(timedelta(minutes=10)), sla=timedelta(minutes=2))


def agent(i: int) -> AgentSpec:
    return AgentSpec(f"A{i}", {"claims": 1}, auto_accept=True)


BASE = Scenario(
    agents=[agent(i) for i in range(4)],
    stages=[STAGE],
    arrivals=Poisson(18.0),  # 3 Erlangs
    seed=11,
    sample_every=None,
)


def test_staffing_levels_see_the_same_cases() -> None:
    comparison = compare(staffing_levels(BASE, [4, 5, 6], agent), timedelta(days=3))
    results = list(comparison.results.values())
    assert list(comparison.results) == ["4 agents", "5 agents", "6 agents"]
    arrivals = [[(i.id, i.arrived_at) for i in r.items] for r in results]
    assert arrivals[0] == arrivals[1] == arrivals[2]
    # Common random numbers: each case has the same handling time whoever handles it.
    handled = [
        {s.item_id: s.handling for i in r.items for s in i.stages if s.handling} for r in results
    ]
    common = set(handled[0]) & set(handled[1]) & set(handled[2])
    assert len(common) > 1000
    assert all(handled[0][c] == handled[1][c] == handled[2][c] for c in common)
    waits = [s.stage("Claims").mean_wait for s in comparison.summaries.values()]
    assert waits[0] > waits[1] > waits[2]
    records = comparison.to_records()
    assert [r["scenario"] for r in records] == ["4 agents", "5 agents", "6 agents"]
    assert "<table>" in comparison._repr_html_()


def test_routing_models_compared_on_the_same_arrivals() -> None:
    mixed = BASE.evolve(
        agents=[
            AgentSpec(f"A{i}", {"claims": 1}, capacity=1 + i % 3, auto_accept=True)
            for i in range(3)
        ]
    )
    comparison = compare(
        {
            "least active": mixed,
            "most available": mixed.evolve(model=RoutingModel.MOST_AVAILABLE),
        },
        timedelta(days=2),
        warmup=timedelta(hours=2),
    )
    least, most = comparison.results.values()
    assert [i.arrived_at for i in least.items] == [i.arrived_at for i in most.items]
    assert least.to_records("agents") != most.to_records("agents")


def test_compare_refuses_scenarios_with_different_luck() -> None:
    with pytest.raises(ValidationError, match="different seed"):
        compare({"a": BASE, "b": BASE.evolve(seed=12)}, timedelta(hours=1))
    with pytest.raises(ValidationError, match="different arrivals"):
        compare({"a": BASE, "b": BASE.evolve(arrivals=Poisson(20.0))}, timedelta(hours=1))
    with pytest.raises(ValidationError, match="non-empty"):
        compare({}, timedelta(hours=1))
    with pytest.raises(ValidationError, match="not a Scenario"):
        compare({"a": "office"}, timedelta(hours=1))  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="integers >= 1"):
        staffing_levels(BASE, [0], agent)


def test_staffing_estimate_matches_erlang_c_and_the_simulation() -> None:
    estimate = staffing_estimate(Poisson(18.0), STAGE, 0.8)
    assert estimate.agents == staffing_for(18.0, timedelta(minutes=10), 0.8, timedelta(minutes=2))
    assert estimate.offered_load == pytest.approx(3.0)
    assert estimate.probability_of_waiting == pytest.approx(erlang_c(estimate.agents, 3.0))
    assert estimate.service_level >= 0.8
    assert estimate.within == timedelta(minutes=2)
    assert staffing_estimate(18.0, STAGE, 0.8) == estimate
    result = compare(staffing_levels(BASE, [estimate.agents], agent), timedelta(days=20)).summaries[
        f"{estimate.agents} agents"
    ]
    level = result.stage("Claims").service_level
    assert level is not None
    assert level == pytest.approx(estimate.service_level, abs=0.04)
    no_sla = Stage("x", {"claims": 1}, Exponential(timedelta(minutes=1)))
    with pytest.raises(ValidationError, match="no SLA target"):
        staffing_estimate(18.0, no_sla, 0.8)
