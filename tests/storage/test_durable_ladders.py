"""Escalation ladders on a durable router: rungs journalled, replayed, snapshotted.

A durable domain built with ladders applies due rungs when it ticks; the rungs a tick
applied are journalled (command ``ladder``) and every other replica applies exactly those;
what the runner knows of each item travels in snapshots.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from casekit.clock import ManualClock
from casekit.errors import CasekitError, ValidationError
from casekit.priority import Priority
from casekit.routing import (
    Agent,
    ItemState,
    Ladder,
    LadderRunner,
    Presence,
    Router,
    Rung,
    RungApplied,
    WorkItem,
)
from casekit.routing.live import snapshot_from_scratch
from casekit.storage import DurableRouter, MemoryStorage, Storage, serve_timers
from casekit.testing.contract_routing import observable
from casekit.worklists import BusinessCalendar

START = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
MIN = timedelta(minutes=1)
SKILL = st.sampled_from(["triage", "spanish", "review"])
_domains = itertools.count()
AT_RISK = 20 * MIN

LADDERS = (
    Ladder(
        "Triage",
        [
            Rung(10 * MIN, drop={"spanish"}),
            Rung(30 * MIN, raise_to=Priority.URGENT, notify=True),
        ],
    ),
)


def durable(storage: Storage, clock: ManualClock, domain: str, **options: object) -> DurableRouter:
    return DurableRouter(
        storage,
        domain,
        clock=clock,
        push_timeout=None,
        ladders=LADDERS,
        **options,  # type: ignore[arg-type]
    )


def test_a_rung_applied_in_one_process_is_replayed_in_another(storage: Storage) -> None:
    clock = ManualClock(START)
    domain = f"ladders-{id(clock)}"
    one, two = durable(storage, clock, domain), durable(storage, clock, domain)
    one.add_agent(Agent("ana", {"triage": 1}), Presence.AVAILABLE)
    one.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    assert two.state_of("C-1") is ItemState.QUEUED
    assert two.next_deadline() == START + 10 * MIN  # the rung is a deadline for timer workers
    clock.advance(10 * MIN)
    assert one.tick() == 1
    assert one.state_of("C-1") is ItemState.OFFERED  # relaxed and offered at once
    (first,) = two.ladder_history("C-1")  # the other replica replayed the journalled rung
    assert (first.index, first.due, dict(first.skills_after)) == (
        0,
        START + 10 * MIN,
        {"triage": 1},
    )
    assert two.item("C-1").agent_id == "ana"
    assert two.tick() == 0  # nothing due any more in either replica
    clock.advance(20 * MIN)
    assert two.tick() == 1  # the second rung, applied by the other process this time
    assert [r.index for r in one.ladder_history("C-1")] == [0, 1]
    assert one.item("C-1").priority is Priority.URGENT
    assert one.ladder_explain("C-1").rungs == two.ladder_explain("C-1").rungs


def test_ladder_state_travels_in_snapshots(storage: Storage) -> None:
    """A replica rebuilt from a snapshot knows when each item entered its stage."""
    clock = ManualClock(START)
    domain = f"snap-{id(clock)}"
    one = durable(storage, clock, domain)
    one.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    clock.advance(10 * MIN)
    one.tick()  # rung 1 applied (nobody to offer to): queued with the relaxed skills
    one.take_snapshot()
    clock.advance(5 * MIN)
    late = durable(storage, clock, domain)  # cold start: snapshot, then the journal's tail
    assert [r.index for r in late.ladder_history("C-1")] == [0]
    assert late.next_deadline() == START + 30 * MIN  # not 30 minutes after the restore
    clock.advance(15 * MIN)
    assert late.tick() == 1
    assert one.item("C-1").priority is Priority.URGENT


def test_a_ladder_tick_that_rolls_back_leaves_nothing(storage: Storage) -> None:
    clock = ManualClock(START)
    domain = f"rollback-{id(clock)}"
    one = durable(storage, clock, domain)
    one.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    position = one.position
    clock.advance(10 * MIN)
    with storage.unit_of_work() as uow:
        bound = one.bind(uow)
        assert bound.tick() == 1
        assert [r.index for r in bound.rungs] == [0]
        # no commit: rolled back
    assert one.ladder_history("C-1") == ()
    assert dict(one.item("C-1").item.skills) == {"triage": 1, "spanish": 1}
    assert one.position == position
    assert one.tick() == 1  # applied for real now
    assert one.position == position + 1


def test_an_empty_ladder_tick_journals_nothing() -> None:
    """A tick at the earliest-rung bound that finds the item held applies and journals nothing."""
    clock = ManualClock(START)
    one = durable(MemoryStorage(clock=clock), clock, "held")
    one.add_agent(Agent("ana", {"triage": 1, "spanish": 1}), Presence.AVAILABLE)
    one.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    one.accept("C-1", "ana")
    position = one.position
    clock.advance(10 * MIN)
    assert one.tick() == 0
    assert one.position == position


def test_timer_worker_applies_rungs_when_they_fall_due() -> None:
    clock = ManualClock(START)
    router = durable(MemoryStorage(clock=clock), clock, "timer")
    router.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        if clock.now() >= START + 31 * MIN:
            stop.set()

    stop = threading.Event()
    ticks = serve_timers(router, stop=stop, poll=60.0, sleep=sleep, snapshot_every=None)
    assert ticks == 2
    assert [r.index for r in router.ladder_history("C-1")] == [0, 1]


def test_business_time_ladders_on_a_durable_router() -> None:
    clock = ManualClock(datetime(2026, 3, 6, 16, 55, tzinfo=UTC))  # a Friday, 5 minutes to close
    calendar = BusinessCalendar("UTC")  # Mon-Fri 09:00-17:00
    router = durable(MemoryStorage(clock=clock), clock, "calendar", ladder_calendar=calendar)
    router.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    assert router.next_deadline() == datetime(2026, 3, 9, 9, 5, tzinfo=UTC)  # Monday


def test_bad_ladder_options_are_refused_at_the_door() -> None:
    storage = MemoryStorage()
    with pytest.raises(ValidationError, match="ladder"):
        DurableRouter(storage, "x", ladders=("not a ladder",))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ladder_calendar of routing domain x"):
        DurableRouter(storage, "x", ladders=LADDERS, ladder_calendar="9 to 5")  # type: ignore[arg-type]
    plain = DurableRouter(storage, "plain")
    with pytest.raises(CasekitError, match="no escalation ladders"):
        plain.ladder_history("C-1")


def test_a_process_without_the_ladders_replays_the_rungs_others_applied() -> None:
    """The journal records what each rung did, so a replica built without the domain's
    ladders (it applies none itself) still agrees with the others."""
    clock = ManualClock(START)
    storage = MemoryStorage(clock=clock)
    one = durable(storage, clock, "mismatch")
    one.submit(WorkItem("C-1", {"triage": 1, "spanish": 1}, stage="Triage"))
    clock.advance(30 * MIN)
    assert one.tick() == 2
    other = DurableRouter(storage, "mismatch", clock=clock, push_timeout=None)
    assert other.read(observable) == one.read(observable)
    assert dict(other.item("C-1").item.skills) == {"triage": 1}
    assert other.item("C-1").priority is Priority.URGENT
    assert other.tick() == 0  # it applies no rung of its own


# ---------------------------------------------------------------------- the oracle


MACHINE_LADDERS = (
    Ladder(
        "Triage",
        [
            Rung(5 * MIN, lower={"triage": 1}),
            Rung(15 * MIN, drop={"spanish"}, raise_to=Priority.HIGH),
            Rung(30 * MIN, skills={}, notify=True),
        ],
    ),
    Ladder("Review", [Rung(10 * MIN, raise_to=Priority.URGENT), Rung(20 * MIN, drop={"review"})]),
)


def _history(records: tuple[RungApplied, ...]) -> list[tuple[object, ...]]:
    return [
        (r.index, r.due, r.at, dict(r.skills_after), r.priority_after, r.stage) for r in records
    ]


@pytest.mark.parametrize("calendar", [None, "business"])
def test_durable_ladders_agree_with_an_in_memory_runner(
    storage: Storage, calendar: str | None
) -> None:
    """Random routing with ladders through a durable router, replicas rebuilt from the
    journal, from snapshots and as second processes, against Router + LadderRunner."""
    days = BusinessCalendar("UTC") if calendar else None

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.clock = ManualClock(START)
            self.domain = f"machine-{next(_domains)}"
            options: dict[str, Any] = {"push_timeout": 5 * MIN}
            self.durable = DurableRouter(
                storage,
                self.domain,
                clock=self.clock,
                ladders=MACHINE_LADDERS,
                ladder_calendar=days,
                at_risk_after=AT_RISK,
                **options,
            )
            self.router = Router(clock=self.clock, **options)
            self.runner = LadderRunner(self.router, MACHINE_LADDERS, calendar=days)
            self.agents: list[str] = []
            self.items = 0

        def both(self, command: Callable[[Any], object]) -> None:
            errors = []
            for target in (self.durable, self.router):
                try:
                    command(target)
                    errors.append(None)
                except CasekitError as error:
                    errors.append(type(error))
            assert errors[0] == errors[1]

        @rule(skills=st.dictionaries(SKILL, st.integers(1, 2), max_size=3))
        def add_agent(self, skills: dict[str, int]) -> None:
            agent = Agent(f"a{len(self.agents)}", skills)
            self.agents.append(agent.id)
            self.both(lambda r: r.add_agent(agent, Presence.AVAILABLE))

        @rule(
            stage=st.sampled_from(["Triage", "Review", "Other"]),
            skills=st.dictionaries(SKILL, st.integers(1, 2), max_size=3),
        )
        def submit(self, stage: str, skills: dict[str, int]) -> None:
            self.items += 1
            item = WorkItem(f"C-{self.items}", skills, stage=stage)
            self.both(lambda r: r.submit(item))

        @precondition(lambda self: self.items > 0)
        @rule(data=st.data())
        def answer(self, data: st.DataObject) -> None:
            """Accept, decline or finish an item the oracle shows offered or accepted."""
            statuses = self.router.items()
            if not statuses:
                return
            status = data.draw(st.sampled_from(statuses))
            item_id, agent_id = status.item.id, status.agent_id
            if status.state is ItemState.OFFERED and agent_id is not None:
                if data.draw(st.booleans()):
                    self.both(lambda r: r.accept(item_id, agent_id))
                else:
                    self.both(lambda r: r.decline(item_id, agent_id))
            elif status.state is ItemState.ACCEPTED:
                self.both(lambda r: r.release(item_id))

        @rule(minutes=st.integers(0, 40))
        def tick(self, minutes: int) -> None:
            self.clock.advance(timedelta(minutes=minutes))
            self.durable.tick()
            self.router.tick()
            self.runner.tick()

        @rule(how=st.sampled_from(["journal", "snapshot", "second replica"]))
        def rebuild(self, how: str) -> None:
            if how == "snapshot":
                self.durable.take_snapshot()
                self.durable.rebuild()
            elif how == "journal":
                self.durable.rebuild()
            else:
                self.durable = DurableRouter(
                    storage,
                    self.domain,
                    clock=self.clock,
                    push_timeout=5 * MIN,
                    ladders=MACHINE_LADDERS,
                    ladder_calendar=days,
                    at_risk_after=AT_RISK,
                )

        @invariant()
        def live_statistics_are_the_domains(self) -> None:
            """Kept from the replica's events (its own commands and replayed ones)."""
            now = self.clock.now()
            assert self.durable.live(now) == snapshot_from_scratch(self.router, now, AT_RISK)

        @invariant()
        def agrees(self) -> None:
            assert self.durable.read(observable) == observable(self.router)
            for status in self.router.items():
                item_id = status.item.id
                assert _history(self.durable.ladder_history(item_id)) == _history(
                    self.runner.history(item_id)
                )

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_live_statistics_of_a_domain_count_every_process_commands(storage: Storage) -> None:
    """Two processes route one domain: each one's live figures are the domain's."""
    clock = ManualClock(START)
    domain = f"live-{id(clock)}"
    one = DurableRouter(storage, domain, clock=clock, push_timeout=None, at_risk_after=MIN)
    two = DurableRouter(storage, domain, clock=clock, push_timeout=None, at_risk_after=MIN)
    assert two.live().total_waiting == 0  # attached before the other process acts
    one.add_agent(Agent("ana", {"triage": 1}, capacity=1), Presence.AVAILABLE)
    for n in range(3):
        one.submit(WorkItem(f"C-{n}", {"triage": 1}))
    clock.advance(2 * MIN)
    figures = two.live()
    assert (figures.total_waiting, figures.offers_pending, figures.at_risk) == (2, 1, 2)
    two.accept("C-0", "ana")
    with storage.unit_of_work() as uow:  # a command rolled back changes no figure
        one.bind(uow).release("C-0")
    assert one.live() == two.live()
    assert one.live().accepted == 1


def test_live_statistics_refuse_a_bad_threshold() -> None:
    with pytest.raises(ValidationError, match="at_risk_after"):
        DurableRouter(MemoryStorage(), "x", at_risk_after=-MIN)
