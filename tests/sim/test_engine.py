"""The simulator: determinism, the pipeline, agent behaviour, shifts, records and bad input."""

from __future__ import annotations

import heapq
import itertools
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta

import pytest

from casekit.errors import MissingExtra, ValidationError
from casekit.priority import Priority
from casekit.routing import EventKind, Presence, RoutingEvent, RoutingModel
from casekit.sim import (
    DEFAULT_START,
    AgentSpec,
    ArrivalFunction,
    Break,
    Empirical,
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
    Stage,
)
from casekit.worklists import BusinessCalendar

PIPELINE = (
    Stage("Chaser", {"chaser": 1}, Exponential(timedelta(minutes=20)), sla=timedelta(hours=1)),
    Stage("Case Manager", {"case": 1}, LogNormal(timedelta(minutes=45), 0.6)),
    Stage("Reviewer", {"review": 1}, Fixed(timedelta(minutes=15)), sla=timedelta(hours=2)),
)


def office(n: int = 6, **behaviour: object) -> tuple[AgentSpec, ...]:
    skills = ({"chaser": 1}, {"case": 1}, {"case": 1, "review": 1})
    return tuple(
        AgentSpec(f"A{i}", skills[i % 3], capacity=2, **behaviour)  # type: ignore[arg-type]
        for i in range(n)
    )


def scenario(**changes: object) -> Scenario:
    base = Scenario(
        agents=office(accept_delay=Exponential(timedelta(minutes=3)), decline_probability=0.1),
        stages=PIPELINE,
        arrivals=Poisson(3.0),
        seed=7,
        push_timeout=timedelta(minutes=5),
        sla=timedelta(hours=6),
    )
    return base.evolve(**changes)


def test_a_case_goes_through_every_stage_in_order() -> None:
    result = Simulation(scenario()).run(timedelta(days=2))
    finished = [i for i in result.items if i.finished_at is not None]
    assert len(finished) > 100
    for item in finished:
        assert [s.stage for s in item.stages] == ["Chaser", "Case Manager", "Reviewer"]
        for before, after in zip(item.stages, item.stages[1:], strict=False):
            assert before.finished_at == after.entered_at
        for record in item.stages:
            assert record.entered_at <= record.accepted_at <= record.finished_at  # type: ignore[operator]
        assert item.stages[-1].finished_at == item.finished_at
        reviewer = item.stages[2]
        assert reviewer.handling == timedelta(minutes=15)
        assert reviewer.agent_id in {"A2", "A5"}  # only they hold "review"


def test_agents_decline_and_time_out_and_are_counted() -> None:
    result = Simulation(scenario()).run(timedelta(days=2))
    stages = [s for i in result.items for s in i.stages]
    declines = sum(s.declines for s in stages)
    timeouts = sum(s.timeouts for s in stages)
    assert declines > 10
    assert timeouts > 10  # Exponential(3 min) accept delays beat a 5 min timeout ~19 % of the time
    assert sum(a.declines for a in result.agents) == declines
    assert sum(a.timeouts for a in result.agents) == timeouts
    assert sum(a.offers for a in result.agents) == sum(s.offers for s in stages)
    accepted = sum(1 for s in stages if s.accepted_at is not None)
    assert sum(a.accepts for a in result.agents) == accepted
    for record in stages:
        assert record.offers >= record.declines + record.timeouts + record.withdrawn
    summary = result.summary()
    assert summary.stage("Chaser").declines == sum(
        s.declines for s in stages if s.stage == "Chaser"
    )


def test_the_same_seed_gives_the_same_run_and_another_seed_does_not() -> None:
    one = Simulation(scenario()).run(timedelta(days=1))
    two = Simulation(scenario()).run(timedelta(days=1))
    assert one.to_records("stages") == two.to_records("stages")
    assert one.to_records("agents") == two.to_records("agents")
    assert one.events == two.events
    other = Simulation(scenario(seed=8)).run(timedelta(days=1))
    assert other.to_records("stages") != one.to_records("stages")


def test_the_global_random_state_is_neither_used_nor_disturbed() -> None:
    random.seed(1)
    expected = random.random()
    random.seed(1)
    first = Simulation(scenario()).run(timedelta(hours=12))
    assert random.random() == expected
    random.seed(99)
    again = Simulation(scenario()).run(timedelta(hours=12))
    assert first.to_records("stages") == again.to_records("stages")


def test_running_in_steps_equals_running_at_once() -> None:
    whole = Simulation(scenario()).run(timedelta(days=2))
    sim = Simulation(scenario())
    sim.run(timedelta(hours=7))
    sim.run(DEFAULT_START + timedelta(days=1))
    stepped = sim.run(timedelta(days=2))
    assert stepped.to_records("stages") == whole.to_records("stages")
    assert stepped.end == whole.end == DEFAULT_START + timedelta(days=2)
    with pytest.raises(ValidationError, match="already at"):
        sim.run(timedelta(days=1))


def test_queue_is_first_come_first_served_exactly() -> None:
    """With one skill, capacity one and auto-accept, waits follow the FIFO M/M/N recursion.

    Kiefer–Wolfowitz: each arrival, in order, starts at max(arrival, earliest free agent).
    Any other queue discipline (LIFO, random, a non-work-conserving router) breaks equality.
    """
    agents = [AgentSpec(f"A{i}", {"s": 1}, auto_accept=True) for i in range(3)]
    sim = Simulation(
        Scenario(
            agents=agents,
            stages=[Stage("only", {"s": 1}, Exponential(timedelta(minutes=10)))],
            arrivals=Poisson(16.0),  # ρ = 0.89: long queues
            sample_every=None,
        )
    )
    result = sim.run(timedelta(days=5))
    free = [result.start] * 3
    checked = 0
    for item in result.items:
        record = item.stages[0]
        if record.finished_at is None:
            break
        start = max(heapq.heappop(free), item.arrived_at)
        assert record.accepted_at == start, item.id
        assert record.handling is not None
        heapq.heappush(free, start + record.handling)
        checked += 1
    assert checked > 1500
    assert sum(1 for i in result.items if i.stages[0].wait) > 500  # plenty of queueing


def test_shifts_and_breaks_drive_presence() -> None:
    day = Shift(time(8), time(16), breaks=(Break(time(12), time(12, 30)),))
    night = Shift(time(22), time(6), weekdays=range(7))
    agents = (
        AgentSpec("day", {"s": 1}, auto_accept=True, shifts=(day,)),
        AgentSpec("night", {"s": 1}, auto_accept=True, shifts=(night,)),
    )
    sim = Simulation(
        Scenario(
            agents=agents,
            stages=[Stage("only", {"s": 1}, Fixed(timedelta(minutes=5)))],
            arrivals=Poisson(2.0),
            start=datetime(2026, 1, 5, 3, tzinfo=UTC),  # Monday 03:00: night shift on
            sample_every=timedelta(minutes=30),
        )
    )
    assert sim.router.presence("night") is Presence.AVAILABLE
    assert sim.router.presence("day") is Presence.OFFLINE
    sim.run(datetime(2026, 1, 5, 12, 10, tzinfo=UTC))
    assert sim.router.presence("day") is Presence.BUSY
    assert sim.router.presence("night") is Presence.OFFLINE
    sim.run(datetime(2026, 1, 5, 13, tzinfo=UTC))
    assert sim.router.presence("day") is Presence.AVAILABLE
    result = sim.run(datetime(2026, 1, 10, 12, tzinfo=UTC))  # Saturday: no day shift
    assert sim.router.presence("day") is Presence.OFFLINE
    by_id = {a.id: a for a in result.agents}
    # Monday to Friday 8 h minus a 30 min break; nights: 3 h on Monday, then 8 h × 5.
    assert by_id["day"].available == timedelta(hours=7.5) * 5
    assert by_id["night"].available == timedelta(hours=3 + 8 * 5)
    saturday = [s for s in result.load_samples if s.at.weekday() == 5 and s.agent_id == "day"]
    assert saturday
    assert all(s.presence is Presence.OFFLINE for s in saturday)
    assert all(s.at.minute in (0, 30) for s in result.load_samples)


def test_offline_agents_lose_pending_offers() -> None:
    shift = Shift(time(9), time(10), weekdays=range(7))
    agents = (AgentSpec("slow", {"s": 1}, accept_delay=Fixed(timedelta(hours=2)), shifts=(shift,)),)
    result = Simulation(
        Scenario(
            agents=agents,
            stages=[Stage("only", {"s": 1}, Fixed(timedelta(minutes=5)))],
            arrivals=Recorded([datetime(2026, 1, 5, 9, 30, tzinfo=UTC)]),
            push_timeout=None,
        )
    ).run(timedelta(days=1, hours=12))
    record = result.items[0].stages[0]
    # Offered at 09:30, withdrawn at 10:00, offered again the next day at 09:00 and withdrawn.
    assert record.withdrawn == 2
    assert record.offers == 2
    assert record.accepted_at is None


def test_priorities_are_drawn_from_the_mix_and_urgent_goes_first() -> None:
    result = Simulation(scenario(priorities={Priority.URGENT: 1, Priority.LOW: 3})).run(
        timedelta(days=2)
    )
    priorities = [i.priority for i in result.items]
    assert set(priorities) == {Priority.URGENT, Priority.LOW}
    assert 0.15 < priorities.count(Priority.URGENT) / len(priorities) < 0.35


def test_sla_breaches_are_recorded_per_stage_and_per_case() -> None:
    slow = scenario(agents=office(3, auto_accept=True), sla=timedelta(hours=2))
    result = Simulation(slow).run(timedelta(days=1))
    summary = result.summary()
    assert summary.sla_breaches == sum(1 for i in result.items if i.sla_breached)
    assert summary.sla_breaches > 0
    for item in result.items:
        if item.finished_at is not None:
            assert item.sla_breached == (item.finished_at - item.arrived_at > timedelta(hours=2))
        for record in item.stages:
            if record.stage == "Case Manager":
                assert record.sla_breached is None  # no target on that stage
    chaser = summary.stage("Chaser")
    assert chaser.service_level is not None
    assert chaser.sla_breaches >= round(chaser.accepted * (1 - chaser.service_level))
    assert summary.stage("Case Manager").service_level is None
    with pytest.raises(ValidationError, match="no stage 'QC'"):
        summary.stage("QC")


def test_records_and_dataframes() -> None:
    result = Simulation(scenario()).run(timedelta(hours=10))
    stages = result.to_records()
    assert stages == result.to_records("stages")
    assert {"item_id", "stage", "wait_s", "offers", "declines", "timeouts", "sla_breached"} <= set(
        stages[0]
    )
    assert len(result.to_records("items")) == len(result.items)
    assert len(result.to_records("agents")) == 6
    assert len(result.to_records("load")) == 6 * 11  # hourly, 00:00 to 10:00
    queue = result.to_records("queue")
    assert [q["at"] for q in queue] == [DEFAULT_START + timedelta(hours=h) for h in range(11)]
    assert all(isinstance(q["waiting"], int) for q in queue)
    pd = pytest.importorskip("pandas")
    frame = result.to_dataframe("agents")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["agent_id"]) == [f"A{i}" for i in range(6)]
    with pytest.raises(ValidationError, match="unknown table"):
        result.to_records("cases")  # type: ignore[arg-type]
    html = result._repr_html_()
    assert "<table>" in html
    assert "Case Manager" in html
    assert "SimulationResult(" in repr(result)


def test_to_dataframe_without_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    result = Simulation(scenario()).run(timedelta(hours=1))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingExtra, match=r"pip install 'casekit\[pandas\]'"):
        result.to_dataframe()


def test_fairness_and_occupancy() -> None:
    agents = [AgentSpec(f"A{i}", {"s": 1}, auto_accept=True) for i in range(4)]
    result = Simulation(
        Scenario(
            agents=agents,
            stages=[Stage("only", {"s": 1}, Exponential(timedelta(minutes=10)))],
            arrivals=Poisson(12.0),  # 2 Erlangs over 4 agents: occupancy ≈ 0.5
        )
    ).run(timedelta(days=10))
    summary = result.summary(timedelta(days=1))
    assert 0.45 < summary.occupancy < 0.55
    assert summary.fairness.jain > 0.99
    assert summary.fairness.groups["s=1"][0] == 4
    assert summary.fairness.spread < 0.1


def test_router_events_can_be_observed() -> None:
    sim = Simulation(scenario())
    seen: list[RoutingEvent] = []
    sim.router.subscribe(seen.append)
    sim.run(timedelta(hours=6))
    kinds = {e.kind for e in seen}
    assert {EventKind.OFFERED, EventKind.ACCEPTED, EventKind.RELEASED} <= kinds
    assert all(e.at.tzinfo is not None for e in seen)


def test_arrival_processes() -> None:
    start = DEFAULT_START
    recorded = Recorded([start - timedelta(hours=1), start, start + timedelta(minutes=1)])
    assert list(recorded.times(start, random.Random(0))) == [start, start + timedelta(minutes=1)]

    def every_ten_minutes(previous: datetime, rng: random.Random) -> datetime | None:
        nxt = previous + timedelta(minutes=10)
        return nxt if nxt <= start + timedelta(hours=1) else None

    function = ArrivalFunction(every_ten_minutes)
    assert len(list(function.times(start, random.Random(0)))) == 6

    hours = Shift(time(9), time(17))
    open_only = Poisson(30.0, open_hours=hours)
    times = open_only.times(start, random.Random(1))
    sample = [next(times) for _ in range(2000)]
    assert all(t.weekday() < 5 and 9 <= t.hour < 17 for t in sample)
    assert sample == sorted(sample)

    backwards = ArrivalFunction(lambda previous, rng: previous - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="back in time"):
        next(backwards.times(start, random.Random(0)))


def test_distributions_are_seeded_and_have_the_stated_means() -> None:
    rng = random.Random(3)
    for distribution in (
        Exponential(timedelta(minutes=10)),
        LogNormal(timedelta(minutes=10), 0.8),
        Empirical([timedelta(minutes=5), timedelta(minutes=15)]),
        Empirical([timedelta(minutes=4), timedelta(minutes=16)], weights=[1, 1]),
    ):
        draws = [distribution.sample(rng).total_seconds() for _ in range(20_000)]
        assert sum(draws) / len(draws) == pytest.approx(600, rel=0.03)
        assert distribution.mean == timedelta(minutes=10)
    assert Fixed(timedelta(minutes=2)).sample(rng) == timedelta(minutes=2)
    first = [Exponential(timedelta(1)).sample(random.Random(5)) for _ in range(3)]
    assert len(set(first)) == 1


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Exponential(timedelta(0)), "must be positive"),
        (lambda: Exponential(10), "must be a timedelta"),  # type: ignore[arg-type]
        (lambda: LogNormal(timedelta(minutes=1), -1.0), "sigma"),
        (lambda: Empirical([]), "at least one value"),
        (lambda: Empirical([timedelta(1)], weights=[1, 2]), "1 values but 2 weights"),
        (lambda: Empirical([timedelta(1)], weights=[0]), "not all be zero"),
        (lambda: Fixed(timedelta(seconds=-1)), "zero or positive"),
        (lambda: Poisson(0), "positive number"),
        (lambda: Poisson(1.0, per=timedelta(0)), "positive timedelta"),
        (lambda: Recorded([DEFAULT_START, DEFAULT_START - timedelta(1)]), "time order"),
        (lambda: Recorded([datetime(2026, 1, 1)]), "naive"),
        (lambda: Shift(time(9), time(17), weekdays=[7]), "weekdays"),
        (lambda: Shift(time(9), time(17), breaks=(Break(time(18), time(19)),)), "not inside"),
        (lambda: Break(time(12), time(13), Presence.AVAILABLE), "Busy or Offline"),
        (lambda: AgentSpec("a", {"s": 1}, decline_probability=1.5), "probability"),
        (lambda: AgentSpec("a", {"s": 0}), "levels are integers"),
        (lambda: AgentSpec("", {"s": 1}), "non-empty string"),
        (lambda: AgentSpec("a", {"s": 1}, capacity=0), "positive integer"),
        (lambda: AgentSpec("a", {"s": 1}, accept_delay=5), "Distribution"),  # type: ignore[arg-type]
        (lambda: AgentSpec("a", {"s": 1}, auto_accept=True, decline_probability=0.1), "never"),
        (lambda: Stage("", {"s": 1}, Fixed(timedelta(0))), "non-empty"),
        (lambda: Stage("x", {"s": 1}, Fixed(timedelta(0)), sla=timedelta(-1)), "sla"),
        (lambda: scenario(agents=()), "at least one agent"),
        (lambda: scenario(stages=()), "at least one stage"),
        (lambda: scenario(agents=office(1)), "no agent has the skills of stage 'Case Manager'"),
        (lambda: scenario(stages=PIPELINE + PIPELINE[:1]), "appears twice"),
        (lambda: scenario(agents=office() + office()[:1]), "agent id A0 appears twice"),
        (lambda: scenario(arrivals=[DEFAULT_START]), "arrival process"),
        (lambda: scenario(seed="7"), "seed must be an integer"),
        (lambda: scenario(start=datetime(2026, 1, 1)), "naive"),
        (lambda: scenario(priorities={"Urgent": 1}), "not a Priority"),
        (lambda: scenario(priorities={Priority.LOW: 0}), "not all be zero"),
        (lambda: scenario(sample_every=timedelta(0)), "positive timedelta"),
        (lambda: scenario(id_prefix=7), "id_prefix"),
        (lambda: scenario(push_timeout=timedelta(0)), "push_timeout must be positive"),
        (lambda: scenario(model="fastest"), "model"),
        (lambda: Simulation(scenario()).run(timedelta(-1)), "already at"),
        (lambda: Simulation(scenario()).run(3), "datetime or a timedelta"),  # type: ignore[arg-type]
        (lambda: Simulation(scenario()).run(timedelta(1)).summary(timedelta(-1)), "warmup"),
        (lambda: Simulation("office"), "needs a Scenario"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_refused_with_a_message(build: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()  # type: ignore[operator]


def test_routing_model_is_passed_to_the_router() -> None:
    sim = Simulation(scenario(model=RoutingModel.MOST_AVAILABLE))
    assert sim.router.policy.name == "most available"


def test_simulation_events_announce_arrivals_steps_and_breaches_as_they_happen() -> None:
    slow = scenario(agents=office(3), sla=timedelta(hours=2))
    quiet = Simulation(slow).run(timedelta(days=1))
    sim = Simulation(slow)
    seen: list[SimEvent] = []
    sim.subscribe(seen.append)
    result = sim.run(timedelta(days=1))
    assert result.to_records("stages") == quiet.to_records("stages")  # listening changes nothing
    by_kind = {kind: [e for e in seen if e.kind is kind] for kind in SimEventKind}
    assert [e.item_id for e in by_kind[SimEventKind.ARRIVED]] == [i.id for i in result.items]
    done = {i.id for i in result.items if i.finished_at is not None}
    assert {e.item_id for e in by_kind[SimEventKind.CASE_DONE]} == done
    steps = [s for i in result.items for s in i.stages if s.finished_at is not None]
    assert len(by_kind[SimEventKind.STEP_DONE]) == len(steps)
    late_steps = {(s.item_id, s.stage) for i in result.items for s in i.stages if s.sla_breached}
    assert late_steps
    assert {(e.item_id, e.stage) for e in by_kind[SimEventKind.STEP_SLA_BREACHED]} == late_steps
    late_cases = {i.id for i in result.items if i.sla_breached}
    assert late_cases
    assert {e.item_id for e in by_kind[SimEventKind.CASE_SLA_BREACHED]} == late_cases
    assert [e.at for e in seen] == sorted(e.at for e in seen)
    for event in by_kind[SimEventKind.STEP_SLA_BREACHED]:
        record = next(
            s
            for i in result.items
            if i.id == event.item_id
            for s in i.stages
            if s.stage == event.stage
        )
        assert event.at - record.entered_at == timedelta(hours=1 if record.stage == "Chaser" else 2)


HASH_SEED_SCRIPT = """
import hashlib
from datetime import timedelta
from casekit.sim import AgentSpec, Exponential, Poisson, Scenario, Simulation, Stage
names = ["a", "b", "c", "d"]
agents = [
    AgentSpec(
        f"A{i}",
        {s: 1 + (i + j) % 2 for j, s in enumerate(names) if (i >> j) & 1 or j == i % 4},
        capacity=2,
        accept_delay=Exponential(timedelta(minutes=2)),
        decline_probability=0.2,
    )
    for i in range(16)
]
stages = [
    Stage("one", {"a": 1, "b": 1}, Exponential(timedelta(minutes=10))),
    Stage("two", {"c": 1, "d": 1}, Exponential(timedelta(minutes=10))),
]
scenario = Scenario(
    agents=agents,
    stages=stages,
    arrivals=Poisson(20),
    push_timeout=timedelta(minutes=3),
    cooldown=timedelta(minutes=30),
)
result = Simulation(scenario).run(timedelta(days=1))
print(hashlib.sha256(repr(result.to_records("stages")).encode()).hexdigest())
"""


def test_runs_do_not_depend_on_the_hash_seed() -> None:
    """Set iteration order varies with PYTHONHASHSEED; a run must not."""
    digests = set()
    for hash_seed in ("0", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", HASH_SEED_SCRIPT],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            timeout=120,
            check=True,
        )
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_answers_within_the_push_timeout_never_time_out() -> None:
    agents = office(6, accept_delay=Fixed(timedelta(minutes=1)))
    result = Simulation(scenario(agents=agents, push_timeout=timedelta(minutes=5))).run(
        timedelta(days=1)
    )
    timeouts = {s.name: 0 for s in PIPELINE}
    for item in result.items:
        for record in item.stages:
            timeouts[record.stage] += record.timeouts
    assert timeouts == {"Chaser": 0, "Case Manager": 0, "Reviewer": 0}


def test_poisson_rates_and_recorded_replays() -> None:
    rng = random.Random(4)
    times = Poisson(12.0).times(DEFAULT_START, rng)
    end = DEFAULT_START + timedelta(hours=1000)
    count = sum(1 for _ in itertools.takewhile(lambda t: t < end, times))
    assert abs(count - 12_000) < 4 * 12_000**0.5
    office_hours = Poisson(1.0, per=timedelta(minutes=5), open_hours=Shift(time(9), time(17)))
    week = DEFAULT_START + timedelta(days=7)
    opened = office_hours.times(DEFAULT_START, random.Random(5))
    count = sum(1 for _ in itertools.takewhile(lambda t: t < week, opened))
    assert abs(count - 12 * 8 * 5) < 4 * (12 * 8 * 5) ** 0.5
    assert office_hours.per_hour == 12.0

    stamps = [DEFAULT_START + timedelta(minutes=m) for m in (5, 5, 17, 90)]
    result = Simulation(scenario(arrivals=Recorded(stamps))).run(timedelta(hours=3))
    assert [i.arrived_at for i in result.items] == stamps
    assert [i.id for i in result.items] == ["CASE-1", "CASE-2", "CASE-3", "CASE-4"]


# ----- SLA clocks on a business calendar


def _friday_afternoon(case_sla: timedelta, calendar: BusinessCalendar | None) -> Simulation:
    """One case arrives on Friday at 16:00; the only agent works on Mondays from 09:00."""
    friday = DEFAULT_START + timedelta(days=4, hours=16)  # Friday 9 January 2026, 16:00 UTC
    mondays = (Shift(time(9), time(17), weekdays={0}),)
    return Simulation(
        Scenario(
            agents=[AgentSpec("mon", {"work": 1}, shifts=mondays)],
            stages=[
                Stage("Work", {"work": 1}, Fixed(timedelta(minutes=30)), sla=timedelta(hours=2))
            ],
            arrivals=Recorded([friday]),
            sla=case_sla,
            calendar=calendar,
        )
    )


def test_with_a_calendar_sla_clocks_stop_outside_working_hours() -> None:
    calendar = BusinessCalendar("UTC", opens=time(9), closes=time(17))
    events: list[SimEvent] = []
    sim = _friday_afternoon(timedelta(hours=2), calendar)
    sim.subscribe(events.append)
    (item,) = sim.run(timedelta(days=8)).items
    # Friday 16:00-17:00 and Monday 09:00-09:30: 1.5 working hours, 65.5 hours elapsed.
    assert item.finished_at == DEFAULT_START + timedelta(days=7, hours=9, minutes=30)
    assert item.sla_breached is False
    assert item.stages[0].sla_breached is False  # waited one working hour for Monday
    assert not [e for e in events if "breached" in e.kind.value]
    (same,) = _friday_afternoon(timedelta(hours=2), None).run(timedelta(days=8)).items
    assert same.sla_breached is True
    assert same.stages[0].sla_breached is True


def test_with_a_calendar_a_breach_is_announced_in_working_hours() -> None:
    announced = []
    for calendar in (BusinessCalendar("UTC", opens=time(9), closes=time(17)), None):
        events: list[SimEvent] = []
        sim = _friday_afternoon(timedelta(minutes=75), calendar)
        sim.subscribe(events.append)
        sim.run(timedelta(days=8))
        (breach,) = [e for e in events if e.kind is SimEventKind.CASE_SLA_BREACHED]
        announced.append(breach.at)
    friday = DEFAULT_START + timedelta(days=4)
    # One working hour on Friday, the last quarter of an hour on Monday from 09:00; without a
    # calendar, 75 minutes after arrival: Friday evening.
    assert announced == [
        friday + timedelta(days=3, hours=9, minutes=15),
        friday + timedelta(hours=17, minutes=15),
    ]


def test_a_scenario_calendar_must_be_a_business_calendar() -> None:
    with pytest.raises(ValidationError, match=r"calendar must be a casekit\.worklists"):
        scenario(calendar="Europe/Rome")
