"""Properties of any simulated office: capacity respected, records consistent, runs repeatable."""

from __future__ import annotations

from datetime import time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from casekit.routing import RoutingModel
from casekit.sim import (
    AgentSpec,
    Break,
    Exponential,
    Fixed,
    LogNormal,
    Poisson,
    Scenario,
    Shift,
    Simulation,
    Stage,
)

SKILLS = ("chaser", "case", "review")
durations = st.sampled_from(
    [
        Fixed(timedelta(0)),
        Fixed(timedelta(minutes=2)),
        Exponential(timedelta(minutes=3)),
        LogNormal(timedelta(minutes=4), 1.0),
    ]
)
handling = st.sampled_from([Exponential(timedelta(minutes=15)), Fixed(timedelta(minutes=9))])
shifts = st.sampled_from(
    [
        (),
        (Shift(time(1), time(4), weekdays=range(7)),),
        (Shift(time(0, 30), time(5), weekdays=range(7), breaks=(Break(time(2), time(2, 20)),)),),
    ]
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n_stages = draw(st.integers(1, 3))
    stages = [
        Stage(
            name,
            {name: 1},
            draw(
                st.sampled_from([Exponential(timedelta(minutes=15)), Fixed(timedelta(minutes=9))])
            ),
            sla=draw(st.sampled_from([None, timedelta(minutes=20)])),
        )
        for name in SKILLS[:n_stages]
    ]
    agents = []
    for i in range(draw(st.integers(n_stages, 7))):
        held = {SKILLS[i % n_stages]} | set(
            draw(st.lists(st.sampled_from(SKILLS[:n_stages]), max_size=2))
        )
        auto = draw(st.booleans())
        agents.append(
            AgentSpec(
                f"A{i}",
                dict.fromkeys(sorted(held), 1),
                capacity=draw(st.integers(1, 3)),
                auto_accept=auto,
                accept_delay=Fixed(timedelta(0)) if auto else draw(durations),
                decline_probability=0.0 if auto else draw(st.sampled_from([0.0, 0.2, 0.5])),
                shifts=draw(shifts),
            )
        )
    return Scenario(
        agents=agents,
        stages=stages,
        arrivals=Poisson(draw(st.sampled_from([4.0, 12.0, 30.0]))),
        seed=draw(st.integers(0, 1000)),
        model=draw(st.sampled_from(list(RoutingModel))),
        push_timeout=draw(st.sampled_from([None, timedelta(minutes=3)])),
        cooldown=draw(st.sampled_from([None, timedelta(minutes=10)])),
        offline_grace=draw(st.sampled_from([timedelta(0), timedelta(minutes=5)])),
        sla=draw(st.sampled_from([None, timedelta(hours=1)])),
        sample_every=timedelta(minutes=15),
    )


@settings(max_examples=25)
@given(scenarios())
def test_any_office_respects_capacity_and_keeps_consistent_records(scenario: Scenario) -> None:
    until = timedelta(hours=6)
    result = Simulation(scenario).run(until)
    capacity = {a.id: a.capacity for a in scenario.agents}
    for sample in result.load_samples:
        assert 0 <= sample.load <= capacity[sample.agent_id]
    names = [s.name for s in scenario.stages]
    skills = {a.id: a.skills for a in scenario.agents}
    for item in result.items:
        assert [s.stage for s in item.stages] == names[: len(item.stages)]
        assert item.stages[0].entered_at == item.arrived_at
        for before, after in zip(item.stages, item.stages[1:], strict=False):
            assert before.finished_at == after.entered_at
        for record in item.stages:
            assert record.offers >= record.declines + record.timeouts + record.withdrawn
            if record.accepted_at is not None:
                assert record.entered_at <= record.accepted_at <= result.end
                assert record.agent_id is not None
                assert skills[record.agent_id].get(record.stage, 0) >= 1
            if record.finished_at is not None:
                assert record.accepted_at is not None
                assert record.accepted_at <= record.finished_at
        done = item.finished_at is not None
        assert done == (len(item.stages) == len(names) and item.stages[-1].finished_at is not None)
    stages = [s for i in result.items for s in i.stages]
    assert sum(a.offers for a in result.agents) == sum(s.offers for s in stages)
    assert sum(a.accepts for a in result.agents) == sum(1 for s in stages if s.accepted_at)
    again = Simulation(scenario).run(until)
    assert again.to_records("stages") == result.to_records("stages")
