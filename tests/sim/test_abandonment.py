"""Abandonment in the simulator (issue 20, part 8): clients who give up waiting (Erlang A).

A scenario's ``patience`` gives each case a patience per step, drawn when it arrives from a
stream of its own and counted in elapsed time from the moment the case enters the step. A
step not accepted when it runs out abandons: the case is released from the router, marked
abandoned, announced, and goes no further. These tests check each rule, the results, common
random numbers (with and without a ladder, with and without patience) and, as a property over
small random offices, that an abandoned case is never offered or accepted again.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import datetime, time, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casekit.errors import CasekitError, NotFound, ValidationError
from casekit.routing import EventKind, Ladder, RoutingEvent, Rung
from casekit.sim import (
    AgentSpec,
    Exponential,
    Fixed,
    LogNormal,
    Poisson,
    Recorded,
    Scenario,
    Shift,
    SimEvent,
    SimEventKind,
    Simulation,
    SimulationResult,
    Stage,
    compare,
)
from casekit.sim.scenario import DEFAULT_START
from casekit.worklists import Absence, AbsenceBook
from casekit.worklists.calendar import BusinessCalendar

T0 = DEFAULT_START  # Monday 00:00 UTC
HOUR = timedelta(hours=1)
WORK = Stage("Work", {"work": 1}, Fixed(HOUR))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


TEN_MINUTES = Fixed(timedelta(minutes=10))


def office(*, patience: Fixed | None = TEN_MINUTES, **answering: object) -> Scenario:
    """One agent, one case at a time, an hour per case; cases arrive at 00:00, 00:05, 00:10."""
    agent = AgentSpec("A", {"work": 1}, **answering) if answering else None
    return Scenario(
        agents=[agent or AgentSpec("A", {"work": 1}, auto_accept=True)],
        stages=[WORK],
        arrivals=Recorded([at(0), at(5), at(10)]),
        sample_every=None,
        push_timeout=None,
        patience=patience,
    )


def run(
    scenario: Scenario, hours: float = 4
) -> tuple[Simulation, SimulationResult, list[SimEvent], list[RoutingEvent]]:
    simulation = Simulation(scenario)
    announced: list[SimEvent] = []
    routed: list[RoutingEvent] = []
    simulation.subscribe(announced.append)
    simulation.router.subscribe(routed.append)
    return simulation, simulation.run(timedelta(hours=hours)), announced, routed


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("bad", [timedelta(minutes=5), 300, "10 minutes", Fixed])
def test_a_patience_that_is_not_a_distribution_is_refused_naming_field_value_and_kinds(
    bad: object,
) -> None:
    with pytest.raises(ValidationError) as caught:
        office().evolve(patience=bad)
    message = str(caught.value)
    assert "patience" in message
    assert repr(bad)[:40] in message
    assert "Distribution (Fixed, Exponential, LogNormal, Empirical) or None" in message
    assert isinstance(caught.value, CasekitError)


def test_every_distribution_of_the_sim_is_a_valid_patience_and_none_is_the_default() -> None:
    assert office().evolve(patience=None).patience is None
    assert Scenario(agents=office().agents, stages=[WORK], arrivals=Poisson(1.0)).patience is None
    for patience in (
        Fixed(timedelta(0)),
        Exponential(timedelta(minutes=5)),
        LogNormal(timedelta(minutes=5), 0.5),
    ):
        assert office().evolve(patience=patience).patience == patience


# ------------------------------------------------------------------ the rules


def test_a_queued_step_abandons_when_its_patience_runs_out_and_leaves_the_router() -> None:
    simulation, result, announced, routed = run(office())
    first, second, third = result.items
    assert first.abandoned_at is None
    assert first.finished_at == at(60)
    assert second.abandoned_at == second.stages[0].abandoned_at == at(15)
    assert third.abandoned_at == third.stages[0].abandoned_at == at(20)
    for item in (second, third):
        step = item.stages[0]
        assert (step.accepted_at, step.finished_at, step.agent_id, step.wait) == (
            None,
            None,
            None,
            None,
        )
        assert item.finished_at is None
        assert item.turnaround is None
        with pytest.raises(NotFound):
            simulation.router.item(item.id)
    assert [(e.item_id, e.at, e.stage) for e in announced if e.kind is SimEventKind.ABANDONED] == [
        ("CASE-2", at(15), "Work"),
        ("CASE-3", at(20), "Work"),
    ]
    assert [(e.item_id, e.at) for e in routed if e.kind is EventKind.RELEASED] == [
        ("CASE-2", at(15)),
        ("CASE-3", at(20)),
        ("CASE-1", at(60)),
    ]


def test_an_offered_unanswered_step_abandons_and_the_late_answer_does_nothing() -> None:
    slow = office(accept_delay=Fixed(timedelta(minutes=30)))
    _, result, _, routed = run(slow)
    assert [i.abandoned_at for i in result.items] == [at(10), at(15), at(20)]
    assert [i.stages[0].offers for i in result.items] == [1, 1, 1]  # each offered as A frees
    assert not any(e.kind is EventKind.ACCEPTED for e in routed)
    assert result.agents[0].accepts == 0
    assert result.agents[0].offers == 3


def test_a_step_accepted_before_its_patience_runs_out_never_abandons() -> None:
    _, result, _, _ = run(office(accept_delay=Fixed(timedelta(minutes=5))))
    first = result.items[0]
    assert first.abandoned_at is None
    assert first.stages[0].accepted_at == at(5)
    assert first.finished_at == at(65)  # worked well past its patience: accepted, so it stays


def test_an_acceptance_at_the_very_instant_patience_runs_out_is_in_time() -> None:
    _, result, _, _ = run(office(accept_delay=Fixed(timedelta(minutes=10))))
    first = result.items[0]
    assert first.stages[0].accepted_at == at(10)
    assert first.abandoned_at is None


def test_a_step_accepted_then_returned_to_the_queue_by_an_absence_does_not_abandon() -> None:
    book = AbsenceBook([Absence("A", at(20), at(120))])  # no delegate: back to the queue
    _, result, _, _ = run(office().evolve(absences=book))
    first = result.items[0]
    assert [m.outcome for m in result.absence_moves] == ["returned"]
    assert first.abandoned_at is None
    assert first.stages[0].accepted_at == at(0)  # its first acceptance
    assert first.finished_at == at(160)  # 40 minutes left, resumed when A is back at 02:00


def test_each_step_has_its_own_patience_counted_from_entering_it() -> None:
    review = Stage("Review", {"review": 1}, Fixed(HOUR))
    scenario = Scenario(
        agents=[
            AgentSpec("A", {"work": 1}, auto_accept=True),
            AgentSpec("R", {"review": 1}, accept_delay=Fixed(timedelta(minutes=30))),
        ],
        stages=[WORK, review],
        arrivals=Recorded([at(0)]),
        sample_every=None,
        push_timeout=None,
        patience=Fixed(timedelta(minutes=10)),
    )
    _, result, announced, _ = run(scenario)
    (item,) = result.items
    work, second = item.stages
    assert work.finished_at == at(60)
    assert work.abandoned_at is None
    assert second.entered_at == at(60)
    assert second.abandoned_at == item.abandoned_at == at(70)
    assert [(e.kind, e.stage) for e in announced][-1:] == [(SimEventKind.ABANDONED, "Review")]


def test_patience_counts_elapsed_time_not_business_hours() -> None:
    day = Shift(time(9), time(17), weekdays=range(5))
    calendar = BusinessCalendar("UTC", opens=time(9), closes=time(17))
    scenario = Scenario(
        agents=[AgentSpec("A", {"work": 1}, auto_accept=True, shifts=(day,))],
        stages=[Stage("Work", {"work": 1}, Fixed(HOUR), sla=HOUR)],
        arrivals=Recorded([at(0)]),  # Monday 00:00, nine hours before anyone is on shift
        sample_every=None,
        calendar=calendar,
        patience=Fixed(2 * HOUR),
    )
    _, result, _, _ = run(scenario, hours=12)
    (item,) = result.items
    assert item.abandoned_at == at(120)  # 02:00: the clients' clock, not the office's
    assert item.stages[0].sla_breached is False  # no working time had passed: within target


@pytest.mark.parametrize(("patience", "breached"), [(20, True), (3, False)])
def test_an_abandoned_step_is_judged_against_its_sla_at_its_abandonment(
    patience: int, breached: bool
) -> None:
    scenario = office(patience=Fixed(timedelta(minutes=patience))).evolve(
        stages=[Stage("Work", {"work": 1}, Fixed(HOUR), sla=timedelta(minutes=10))],
        sla=timedelta(minutes=10),
    )
    _, result, announced, _ = run(scenario, hours=6)  # long after: the verdict stays
    second = result.items[1]
    assert second.abandoned_at is not None
    assert second.stages[0].sla_breached is breached
    assert second.sla_breached is breached
    summary = result.summary()
    assert summary.stage("Work").sla_breaches == (2 if breached else 0)
    assert summary.sla_breaches == (3 if breached else 1)  # CASE-1 took an hour
    breaches = {e.item_id for e in announced if e.kind is SimEventKind.STEP_SLA_BREACHED}
    assert breaches == ({"CASE-2", "CASE-3"} if breached else set())
    assert summary.stage("Work").service_level == 1.0  # over the one case accepted


# ------------------------------------------------------------------ results


def test_summaries_count_abandonments_and_neither_accept_nor_finish_them() -> None:
    _, result, _, _ = run(office())
    summary = result.summary()
    assert (summary.arrived, summary.finished, summary.abandoned) == (3, 1, 2)
    work = summary.stage("Work")
    assert (work.entered, work.accepted, work.finished, work.abandoned) == (3, 1, 1, 2)
    assert work.mean_wait == timedelta(0)  # the abandoned waits are not waits
    later = result.summary(warmup=timedelta(minutes=7))
    assert (later.arrived, later.abandoned, later.stage("Work").abandoned) == (1, 1, 1)
    assert "2 abandoned" in result._repr_html_()


def test_tables_and_comparisons_carry_abandonment() -> None:
    _, result, _, _ = run(office())
    items = result.to_records("items")
    assert [row["abandoned_at"] for row in items] == [None, at(15), at(20)]
    stages = result.to_records("stages")
    assert [row["abandoned_at"] for row in stages] == [None, at(15), at(20)]
    assert [row["wait_s"] for row in stages] == [0.0, None, None]
    rows = compare(
        {"patient": office(patience=None), "impatient": office()}, timedelta(hours=4)
    ).to_records()
    assert [(row["scenario"], row["abandoned"]) for row in rows] == [
        ("patient", 0),
        ("impatient", 2),
    ]


def test_results_do_not_depend_on_listening() -> None:
    scenario = SPECIALISTS.evolve(patience=Exponential(timedelta(minutes=15)))
    listened = run(scenario, hours=6)[1]
    quiet = Simulation(scenario).run(timedelta(hours=6))
    # listening adds SLA watch events to the count, nothing else
    assert attrs.evolve(listened.summary(), events=0) == attrs.evolve(quiet.summary(), events=0)
    assert listened.to_records("items") == quiet.to_records("items")


# ------------------------------------------------------------------ common random numbers

SPECIALIST = Stage(
    "Case Manager",
    {"case_manager": 2},
    Exponential(timedelta(minutes=20)),
    sla=timedelta(minutes=30),
)
SPECIALISTS = Scenario(
    agents=[
        *(AgentSpec(f"S{i}", {"case_manager": 2}, auto_accept=True) for i in range(2)),
        *(AgentSpec(f"G{i}", {"case_manager": 1}, auto_accept=True) for i in range(3)),
    ],
    stages=[SPECIALIST],
    arrivals=Poisson(9.0),  # 3 Erlangs on two specialists: they cannot keep up alone
    seed=20,
    sample_every=None,
)
RELAX = Ladder("Case Manager", [Rung(timedelta(minutes=10), lower={"case_manager": 1})])
IMPATIENT = SPECIALISTS.evolve(patience=Exponential(timedelta(minutes=20)))


def test_a_ladder_that_relaxes_skills_loses_fewer_cases_on_the_same_patiences() -> None:
    runs = compare(
        {"as is": IMPATIENT, "with a ladder": IMPATIENT.evolve(ladders=[RELAX])},
        timedelta(hours=8),
    )
    before, after = runs.summaries["as is"], runs.summaries["with a ladder"]
    assert before.arrived == after.arrived
    assert after.abandoned < before.abandoned
    assert before.abandoned > 10
    # The same patiences: a case that gave up without the ladder gave up at the same instant
    # with it, unless it was accepted by then.
    with_ladder = {i.id: i for i in runs.results["with a ladder"].items}
    same = 0
    for item in runs.results["as is"].items:
        if item.abandoned_at is None:
            continue
        other = with_ladder[item.id]
        assert other.arrived_at == item.arrived_at
        if other.abandoned_at is not None:
            assert other.abandoned_at == item.abandoned_at
            same += 1
        else:
            accepted = other.stages[0].accepted_at
            assert accepted is not None
            assert accepted <= item.abandoned_at
    assert same > 5


def test_a_case_has_the_same_patience_at_a_later_step_whenever_it_gets_there() -> None:
    review = Stage("Review", {"review": 1}, Exponential(timedelta(minutes=25)))
    two_steps = IMPATIENT.evolve(
        agents=[*IMPATIENT.agents, AgentSpec("R", {"review": 1}, auto_accept=True)],
        stages=[SPECIALIST, review],
    )
    runs = compare(
        {"as is": two_steps, "with a ladder": two_steps.evolve(ladders=[RELAX])},
        timedelta(hours=8),
    )

    def patience_at_review(result: SimulationResult) -> dict[str, tuple[datetime, timedelta]]:
        return {
            i.id: (i.stages[1].entered_at, i.stages[1].abandoned_at - i.stages[1].entered_at)
            for i in result.items
            if len(i.stages) == 2 and i.stages[1].abandoned_at is not None
        }

    before = patience_at_review(runs.results["as is"])
    after = patience_at_review(runs.results["with a ladder"])
    both = before.keys() & after.keys()
    assert len(both) > 3
    assert any(before[i][0] != after[i][0] for i in both)  # reached Review at other times...
    assert all(before[i][1] == after[i][1] for i in both)  # ...with the same patience


def test_patience_shifts_no_other_random_stream() -> None:
    runs = compare({"patient": SPECIALISTS, "impatient": IMPATIENT}, timedelta(hours=8))
    patient, impatient = runs.results["patient"], runs.results["impatient"]
    assert [(i.id, i.arrived_at, i.priority) for i in patient.items] == [
        (i.id, i.arrived_at, i.priority) for i in impatient.items
    ]
    handled = {s.item_id: s.handling for i in patient.items for s in i.stages}
    compared = 0
    for item in impatient.items:
        step = item.stages[0]
        if step.handling is not None and handled.get(item.id) is not None:
            assert step.handling == handled[item.id]
            compared += 1
    assert compared > 20
    assert impatient.summary().abandoned > 0 == patient.summary().abandoned


def test_without_patience_nobody_abandons_and_no_event_is_added() -> None:
    _, result, announced, _ = run(office(patience=None))
    assert all(i.abandoned_at is None for i in result.items)
    assert result.summary().abandoned == 0
    assert not any(e.kind is SimEventKind.ABANDONED for e in announced)
    assert result.events == Simulation(office(patience=None)).run(timedelta(hours=4)).events


# ------------------------------------------------------------------ property


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 1000),
    patience=st.integers(0, 40),
    delay=st.integers(0, 15),
    auto=st.booleans(),
    ladder=st.booleans(),
    absent=st.booleans(),
    push_timeout=st.sampled_from([None, timedelta(minutes=5)]),
)
def test_an_abandoned_case_is_never_offered_or_accepted_again_and_patience_is_kept(
    *,
    seed: int,
    patience: int,
    delay: int,
    auto: bool,
    ladder: bool,
    absent: bool,
    push_timeout: timedelta | None,
) -> None:
    limit = timedelta(minutes=patience)
    agents = [
        AgentSpec(
            agent_id,
            {"case_manager": level},
            capacity=2,
            auto_accept=auto,
            accept_delay=Fixed(timedelta(minutes=0 if auto else delay)),
            decline_probability=0.0 if auto else 0.2,
        )
        for agent_id, level in (("S0", 2), ("S1", 2), ("G0", 1))
    ]
    review = Stage("Review", {"case_manager": 1}, Exponential(timedelta(minutes=10)))
    scenario = SPECIALISTS.evolve(
        agents=agents,
        stages=[SPECIALIST, review],
        seed=seed,
        patience=Fixed(limit),
        push_timeout=push_timeout,
        ladders=[RELAX] if ladder else [],
        absences=AbsenceBook([Absence("S0", at(60), at(180))]) if absent else None,
    )
    simulation = Simulation(scenario)
    gone: dict[str, datetime] = {}
    late: list[RoutingEvent] = []
    simulation.subscribe(
        lambda e: gone.setdefault(e.item_id, e.at) if e.kind is SimEventKind.ABANDONED else None
    )
    simulation.router.subscribe(
        lambda e: (
            late.append(e)
            if e.item_id in gone and e.kind in (EventKind.OFFERED, EventKind.ACCEPTED)
            else None
        )
    )
    done: Counter[tuple[str, str | None]] = Counter()
    simulation.subscribe(
        lambda e: done.update([(e.item_id, e.stage)]) if e.kind is SimEventKind.STEP_DONE else None
    )
    end = timedelta(hours=6)
    result = simulation.run(end)
    assert late == []
    assert all(count == 1 for count in done.values())
    abandoned = {i.id: i.abandoned_at for i in result.items if i.abandoned_at is not None}
    assert abandoned == gone
    for item in result.items:
        for step in item.stages:
            if step.abandoned_at is not None:
                assert step is item.stages[-1]  # it went no further
                assert step.accepted_at is None
                assert step.finished_at is None
                assert step.abandoned_at == step.entered_at + limit == item.abandoned_at
                assert (item.id, step.stage) not in done
                with pytest.raises(NotFound):
                    simulation.router.item(item.id)
            elif step.accepted_at is not None:
                assert step.accepted_at - step.entered_at <= limit  # accepted in time
            else:  # still waiting: within its patience
                assert result.end < step.entered_at + limit or (
                    result.end == step.entered_at + limit
                )
    summary = result.summary()
    assert summary.abandoned == len(abandoned)
    assert sum(s.abandoned for s in summary.stages) == len(abandoned)
    assert Simulation(scenario).run(end).to_records("items") == result.to_records("items")


# ------------------------------------------------------------------ queueing theory

RATE, SERVICE, ABANDON, SERVERS = 18.0, 6.0, 12.0, 3  # per hour: 3 Erlangs on 3 agents


def erlang_a() -> tuple[float, float]:
    """M/M/3+M's P(abandon) and P(wait), from its birth-death chain (truncated at 200)."""
    weights = [1.0]
    for k in range(1, 200):
        deaths = min(k, SERVERS) * SERVICE + max(k - SERVERS, 0) * ABANDON
        weights.append(weights[-1] * RATE / deaths)
    total = math.fsum(weights)
    queued = math.fsum(max(k - SERVERS, 0) * w for k, w in enumerate(weights)) / total
    return ABANDON * queued / RATE, math.fsum(weights[SERVERS:]) / total


def test_abandonment_and_waiting_agree_with_erlang_a() -> None:
    """Three agents at ρ = 1, patience exponential with a mean of 5 minutes: Erlang A.

    About 16,900 cases over 40 days (a day of warm-up left out); tolerance four standard
    errors from 20 batch means, as for Erlang C (test_erlang_validation).
    """
    scenario = Scenario(
        agents=[AgentSpec(f"A{i}", {"claims": 1}, auto_accept=True) for i in range(SERVERS)],
        stages=[Stage("Claims", {"claims": 1}, Exponential(timedelta(hours=1 / SERVICE)))],
        arrivals=Poisson(RATE),
        seed=2026,
        sample_every=None,
        patience=Exponential(timedelta(hours=1 / ABANDON)),
    )
    result = Simulation(scenario).run(timedelta(days=40))
    start = result.start + timedelta(days=1)
    decided = [
        (item.abandoned_at is not None, item.stages[0].wait)
        for item in result.items
        if item.arrived_at >= start
        and (item.abandoned_at is not None or item.stages[0].wait is not None)
    ]
    assert len(decided) > 16_000
    abandon, wait = erlang_a()
    assert abandon == pytest.approx(0.259, abs=0.001)
    for simulated, theory in (
        ([float(gone) for gone, _ in decided], abandon),
        ([float(gone or (w is not None and w > timedelta(0))) for gone, w in decided], wait),
    ):
        size = len(simulated) // 20
        means = [statistics.fmean(simulated[i * size : (i + 1) * size]) for i in range(20)]
        error = statistics.stdev(means) / math.sqrt(20)
        assert error < 0.01
        mean = statistics.fmean(simulated)
        assert abs(mean - theory) < 4 * error, (mean, theory, error)
