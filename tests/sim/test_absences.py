"""Absences in the simulator (issue 20): absent agents get no offers, their work follows the rule.

The rules are `casekit.worklists`' (`AbsenceBook.resolve`, `AbsenceRule`, `place_work`); these
tests check that the simulator applies them through the router, records every move, brings
the agent back when the absence ends, refuses a book that names strangers, and keeps common
random numbers: a run with an absence sees the same cases as one without.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casekit.errors import CasekitError, ValidationError
from casekit.routing import EventKind, Presence, RoutingEvent
from casekit.sim import (
    AgentSpec,
    Exponential,
    Fixed,
    Poisson,
    Recorded,
    Scenario,
    Shift,
    SimEvent,
    SimEventKind,
    Simulation,
    Stage,
    compare,
)
from casekit.sim.scenario import DEFAULT_START
from casekit.worklists import (
    Absence,
    AbsenceBook,
    AbsenceKind,
    AbsenceRule,
    Delegate,
    Disposition,
)

T0 = DEFAULT_START
WORK = Stage("Work", {"work": 1}, Fixed(timedelta(hours=1)))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def office(*, book: AbsenceBook | None = None, rule: AbsenceRule | None = None) -> Scenario:
    """A, B and C answer at once, one case at a time; cases arrive at 00:00, 00:05, 00:10."""
    return Scenario(
        agents=[AgentSpec(name, {"work": 1}, auto_accept=True) for name in "ABC"],
        stages=[WORK],
        arrivals=Recorded([at(0), at(5), at(10)]),
        sample_every=None,
        absences=book,
        absence_rule=rule,
    )


def run(scenario: Scenario, hours: float = 4) -> tuple[Simulation, list[RoutingEvent]]:
    simulation = Simulation(scenario)
    events: list[RoutingEvent] = []
    simulation.router.subscribe(events.append)
    simulation.run(timedelta(hours=hours))
    return simulation, events


def holder_of_first_case() -> str:
    simulation, _ = run(office(), hours=0.5)
    agent = simulation.router.owner_of("CASE-1")
    assert agent is not None
    return agent


def away(agent: str, start: float, end: float, kind: AbsenceKind = AbsenceKind.SICK) -> Absence:
    return Absence(agent, at(start), at(end), kind)


# ------------------------------------------------------------------ eligibility


def test_an_absent_agent_gets_no_offers_during_the_window() -> None:
    book = AbsenceBook([away("A", 0, 120)])
    _, events = run(office(book=book))
    offers_to_a = [e.at for e in events if e.kind is EventKind.OFFERED and e.agent_id == "A"]
    assert all(not book.is_absent("A", moment) for moment in offers_to_a)
    assert all(e.agent_id != "A" for e in events if e.kind is EventKind.ACCEPTED and e.at < at(120))


def test_the_absence_ending_restores_the_agent_and_they_get_work_again() -> None:
    scenario = office(book=AbsenceBook([away("A", 0, 30)])).evolve(
        arrivals=Recorded([at(m) for m in range(0, 240, 4)])
    )
    simulation, events = run(scenario)
    changes = [(e.at, e.detail) for e in events if e.kind is EventKind.PRESENCE_CHANGED]
    assert (at(0), Presence.OFFLINE.value) in changes
    assert (at(30), Presence.AVAILABLE.value) in changes
    assert any(
        e.kind is EventKind.ACCEPTED and e.agent_id == "A" and e.at >= at(30) for e in events
    )
    assert simulation.router.presence("A") is Presence.AVAILABLE


def test_shifts_resume_after_the_absence_and_not_during_it() -> None:
    day = Shift(time(8), time(17), weekdays=range(7))
    agents = [AgentSpec(n, {"work": 1}, auto_accept=True, shifts=(day,)) for n in "AB"]
    book = AbsenceBook(
        [
            Absence("A", at(9 * 60), at(20 * 60)),  # 09:00 to 20:00, past the shift's end
            Absence("A", at(30 * 60), at(34 * 60)),  # the next day, 06:00 to 10:00
        ]
    )
    simulation = Simulation(
        office(book=book).evolve(agents=agents, arrivals=Poisson(2.0), sample_every=None)
    )
    presence: list[tuple[datetime, str | None]] = []
    simulation.router.subscribe(
        lambda e: (
            presence.append((e.at, e.detail))
            if e.kind is EventKind.PRESENCE_CHANGED and e.agent_id == "A"
            else None
        )
    )
    simulation.run(timedelta(days=1, hours=12))
    assert presence == [
        (at(8 * 60), Presence.AVAILABLE.value),  # the shift
        (at(9 * 60), Presence.OFFLINE.value),  # the absence; it ends at 20:00, off shift
        (at(34 * 60), Presence.AVAILABLE.value),  # back at 10:00, not at the shift's 08:00
    ]


# ------------------------------------------------------------------ where work goes


def test_held_work_follows_the_delegation_to_the_delegate() -> None:
    holder = holder_of_first_case()
    delegate = next(n for n in "ABC" if n != holder)
    book = AbsenceBook([away(holder, 20, 600)], {holder: Delegate.agent(delegate)})
    simulation, events = run(office(book=book))
    result = simulation.result()
    (move,) = [m for m in result.absence_moves if m.item_id == "CASE-1"]
    assert (move.outcome, move.holder, move.to, move.at) == ("delegated", holder, delegate, at(20))
    assert (EventKind.PINNED, "CASE-1", delegate) in [
        (e.kind, e.item_id, e.agent_id) for e in events
    ]
    step = result.items[0].stages[0]
    assert step.agent_id == delegate
    assert step.finished_at == at(60)  # the remaining 40 minutes, done by the delegate
    assert result.moved()["delegated"] == len(result.absence_moves) >= 1


def test_a_delegate_chain_is_resolved_past_delegates_who_are_away_too() -> None:
    holder = holder_of_first_case()
    second, third = (n for n in "ABC" if n != holder)
    book = AbsenceBook(
        [away(holder, 20, 600), away(second, 0, 600)],
        {holder: Delegate.agent(second), second: Delegate.agent(third)},
    )
    simulation, _ = run(office(book=book))
    moves = {m.item_id: m for m in simulation.result().absence_moves}
    assert moves["CASE-1"].to == third
    assert simulation.result().items[0].stages[0].agent_id == third


def test_without_a_delegate_work_returns_to_the_queue_keeping_its_age() -> None:
    holder = holder_of_first_case()
    book = AbsenceBook([away(holder, 20, 600)])  # sick, nobody named
    simulation, events = run(office(book=book), hours=0.5)
    (move,) = [m for m in simulation.result().absence_moves if m.item_id == "CASE-1"]
    assert (move.outcome, move.to) == ("returned", "Work")
    assert (EventKind.REQUEUED, "CASE-1") in [(e.kind, e.item_id) for e in events]
    assert simulation.router.item("CASE-1").created_at == at(0)  # its age kept
    simulation.run(timedelta(hours=4))
    step = simulation.result().items[0].stages[0]
    assert step.agent_id != holder
    assert step.finished_at is not None
    assert step.accepted_at == at(0)  # the step's wait ended when it was first accepted


def test_a_queue_delegate_returns_the_work_to_the_queue() -> None:
    holder = holder_of_first_case()
    book = AbsenceBook([away(holder, 20, 600)], {holder: Delegate.queue("overflow")})
    simulation, _ = run(office(book=book))
    (move,) = [m for m in simulation.result().absence_moves if m.item_id == "CASE-1"]
    assert (move.outcome, move.to) == ("returned", "overflow")


def test_kept_work_waits_for_the_holder_and_carries_on_when_they_are_back() -> None:
    holder = holder_of_first_case()
    book = AbsenceBook([away(holder, 20, 120)], {holder: Delegate.return_to_queue()})
    rule = AbsenceRule(tasks=Disposition.KEEP)
    simulation, _ = run(office(book=book, rule=rule))
    (move,) = [m for m in simulation.result().absence_moves if m.item_id == "CASE-1"]
    assert (move.outcome, move.to) == ("kept", holder)
    step = simulation.result().items[0].stages[0]
    assert step.agent_id == holder
    assert step.finished_at == at(120 + 40)  # 20 minutes done, 40 left after coming back
    busy = {a.id: a.busy for a in simulation.result().agents}
    assert busy[holder] >= timedelta(hours=1)  # 20 + 40 minutes on CASE-1 (and later work)


def test_moves_are_announced_as_simulation_events() -> None:
    holder = holder_of_first_case()
    book = AbsenceBook([away(holder, 20, 90, AbsenceKind.PLANNED_LEAVE)])
    simulation = Simulation(office(book=book))
    heard: list[SimEvent] = []
    simulation.subscribe(heard.append)
    simulation.run(timedelta(hours=3))
    kinds = [(e.kind, e.agent_id, e.detail) for e in heard if e.item_id in ("", "CASE-1")]
    assert (SimEventKind.ABSENCE_STARTED, holder, "planned leave") in kinds
    assert (SimEventKind.WORK_RETURNED, holder, "Work") in kinds
    assert (SimEventKind.ABSENCE_ENDED, holder, "planned leave") in kinds


def test_overlapping_absences_are_one_time_away() -> None:
    book = AbsenceBook([away("A", 0, 60), away("A", 30, 90), away("A", 90, 100)])
    _, events = run(office(book=book))
    changes = [(e.at, e.detail) for e in events if e.kind is EventKind.PRESENCE_CHANGED]
    assert changes == [(at(0), Presence.OFFLINE.value), (at(100), Presence.AVAILABLE.value)]


def test_moves_are_repeatable_and_listed_as_records() -> None:
    holder = holder_of_first_case()
    book = AbsenceBook(
        [away(holder, 20, 600)], {holder: Delegate.agent("C" if holder != "C" else "A")}
    )
    first = Simulation(office(book=book)).run(timedelta(hours=4))
    second = Simulation(office(book=book)).run(timedelta(hours=4))
    assert first.absence_moves == second.absence_moves
    assert first.to_records("moves") == second.to_records("moves")
    assert first.to_records("moves")[0]["outcome"] == "delegated"


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("book", "message"),
    [
        (AbsenceBook([Absence("Z", at(0), at(60))]), "agent 'Z', who is not in the scenario"),
        (AbsenceBook([], {"A": Delegate.agent("Z")}), "delegates to agent 'Z'"),
        (AbsenceBook([], {"Z": Delegate.agent("A")}), "from agent 'Z'"),
    ],
)
def test_an_absence_book_naming_a_stranger_is_refused(book: AbsenceBook, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        office(book=book)
    assert "agents: A, B, C" in str(refused.value)
    assert isinstance(refused.value, CasekitError)


def test_absences_and_rules_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(ValidationError, match="AbsenceBook or None"):
        office().evolve(absences=[Absence("A", at(0), at(60))])
    with pytest.raises(ValidationError, match="AbsenceRule or None"):
        office().evolve(absence_rule="keep")


# ------------------------------------------------------------------ common random numbers

BUSY = Scenario(
    agents=[AgentSpec(f"S{i}", {"work": 1}, capacity=2) for i in range(6)],
    stages=[
        Stage("Work", {"work": 1}, Exponential(timedelta(minutes=40))),
        Stage("Check", {"work": 1}, Exponential(timedelta(minutes=10))),
    ],
    arrivals=Poisson(9.0),
    seed=5,
    sample_every=None,
)
LEAVE = AbsenceBook(
    [
        Absence("S0", at(90), at(300), AbsenceKind.PLANNED_LEAVE),
        Absence("S1", at(120), at(200), AbsenceKind.SICK),
    ],
    {"S0": Delegate.agent("S2")},
)


def test_a_run_with_an_absence_sees_the_same_cases_as_one_without() -> None:
    runs = compare({"as is": BUSY, "with leave": BUSY.evolve(absences=LEAVE)}, timedelta(hours=8))
    before, after = runs.results["as is"], runs.results["with leave"]
    assert [(i.id, i.arrived_at, i.priority) for i in before.items] == [
        (i.id, i.arrived_at, i.priority) for i in after.items
    ]
    assert after.moved()["delegated"] + after.moved()["returned"] > 0
    assert before.absence_moves == ()
    # the same handling time per case and step, whoever worked it and whenever
    moved = {m.item_id for m in after.absence_moves}
    handled = {(s.item_id, s.stage): s.handling for i in before.items for s in i.stages}
    compared = 0
    for item in after.items:
        for step in item.stages:
            earlier = handled.get((step.item_id, step.stage))
            if item.id not in moved and step.handling is not None and earlier is not None:
                assert step.handling == earlier
                compared += 1
    assert compared > 50


# ------------------------------------------------------------------ property


@st.composite
def absences(draw: st.DrawFn) -> AbsenceBook:
    names = [f"S{i}" for i in range(6)]
    windows = [
        Absence(
            draw(st.sampled_from(names)),
            at(start := draw(st.integers(0, 400))),
            at(start + draw(st.integers(1, 300))),
            draw(st.sampled_from(list(AbsenceKind))),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    delegations = {}
    for i, name in enumerate(names[:-1]):
        choice = draw(st.sampled_from(["none", "next", "queue"]))
        if choice == "next":
            delegations[name] = Delegate.agent(names[i + 1])  # a chain: never a loop
        elif choice == "queue":
            delegations[name] = Delegate.queue("pool")
    return AbsenceBook(windows, delegations)


@settings(max_examples=30, deadline=None)
@given(
    book=absences(),
    rule=st.builds(
        AbsenceRule, st.sampled_from(list(Disposition)), st.sampled_from(list(Disposition))
    ),
    seed=st.integers(0, 1000),
    auto=st.booleans(),
)
def test_no_absent_agent_is_offered_or_accepts_work_and_every_step_is_done_once(
    book: AbsenceBook, rule: AbsenceRule, seed: int, auto: bool
) -> None:
    agents = [
        AgentSpec(f"S{i}", {"work": 1}, capacity=2, auto_accept=auto)
        if auto
        else AgentSpec(f"S{i}", {"work": 1}, capacity=2, accept_delay=Fixed(timedelta(minutes=2)))
        for i in range(6)
    ]
    scenario = BUSY.evolve(agents=agents, seed=seed, absences=book, absence_rule=rule)
    simulation = Simulation(scenario)
    wrong: list[RoutingEvent] = []
    simulation.router.subscribe(
        lambda e: (
            wrong.append(e)
            if e.kind in (EventKind.OFFERED, EventKind.ACCEPTED)
            and e.agent_id is not None
            and book.is_absent(e.agent_id, e.at)
            else None
        )
    )
    done: Counter[tuple[str, str | None]] = Counter()
    simulation.subscribe(
        lambda e: done.update([(e.item_id, e.stage)]) if e.kind is SimEventKind.STEP_DONE else None
    )
    result = simulation.run(timedelta(hours=10))
    assert wrong == []
    assert all(count == 1 for count in done.values())
    moved = result.moved()
    assert sum(moved.values()) == len(result.absence_moves)
    for move in result.absence_moves:
        assert book.is_absent(move.holder, move.at)
        assert move.outcome in ("delegated", "returned", "kept")
        if move.outcome == "delegated":
            assert not book.is_absent(move.to, move.at)
    for item in result.items:
        for step in item.stages:
            if step.finished_at is not None:
                assert step.accepted_at is not None
                assert step.agent_id is not None
                assert step.accepted_at <= step.finished_at
    assert Simulation(scenario).run(timedelta(hours=10)).to_records("moves") == result.to_records(
        "moves"
    )
