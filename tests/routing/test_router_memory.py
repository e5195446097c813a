"""What the router keeps per item and deadline: bounded, plain values, read back whole."""

from __future__ import annotations

import gc
import sys
from datetime import UTC, datetime, timedelta

from casekit.clock import ManualClock
from casekit.routing import Agent, Aging, Presence, Priority, Router, WorkItem
from casekit.routing.timers import Timer, TimerKind, Timers

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_sweep_keeps_only_live_timers_and_their_order() -> None:
    timers = Timers()
    for n in range(200):
        timers.push(START + timedelta(seconds=n), TimerKind.OFFER_TIMEOUT, f"i{n}", n)
    live = {n for n in range(200) if n % 3 == 0}

    def is_live(timer: Timer) -> bool:
        return timer[4] in live

    for _ in range(200 - len(live)):
        timers.cancelled(is_live)
    assert len(timers) < 200  # swept at least once
    due = [timer[4] for timer in timers.due(START + timedelta(days=1)) if is_live(timer)]
    assert due == sorted(live)


def test_timers_hold_plain_values_so_the_collector_stops_tracking_them() -> None:
    timers = Timers()
    timers.push(START, TimerKind.AGING, "i1", 1)
    gc.collect()
    (timer,) = timers.due(START)
    assert timer[2] == TimerKind.AGING
    assert not gc.is_tracked(timer)


def test_answered_offers_do_not_pile_up_in_the_deadline_heap() -> None:
    """A router whose offers are accepted before their deadline keeps a bounded heap."""
    clock = ManualClock(START)
    router = Router(clock=clock, push_timeout=timedelta(minutes=10))
    router.add_agent(Agent(id="a1", skills={"benefits": 1}, capacity=5), Presence.AVAILABLE)
    for n in range(5_000):
        item = f"i{n}"
        offer = router.submit(WorkItem(id=item, skills={"benefits": 1}))
        assert offer is not None
        if n % 2:
            router.accept(item, "a1")
        else:
            router.decline(item, "a1")
        router.release(item)
    assert len(router._timers) <= 2 * 64 + 2  # the heap itself is the point


def test_a_sweep_never_loses_a_live_deadline() -> None:
    """Offers left unanswered among thousands answered still time out on the tick."""
    clock = ManualClock(START)
    router = Router(clock=clock, push_timeout=timedelta(minutes=10))
    router.add_agent(Agent(id="a1", skills={"benefits": 1}, capacity=50), Presence.AVAILABLE)
    router.add_agent(Agent(id="a2", skills={"benefits": 1}, capacity=50), Presence.AVAILABLE)
    waiting = []
    for n in range(3_000):
        item = f"i{n}"
        offer = router.submit(WorkItem(id=item, skills={"benefits": 1}))
        assert offer is not None
        if n % 300 == 0:
            waiting.append((item, offer.agent_id))  # never answered
        else:
            router.accept(item, offer.agent_id)
            router.release(item)
    clock.advance(timedelta(minutes=10))
    assert router.tick() == len(waiting)
    for item, first in waiting:
        assert router.owner_of(item) not in (None, first)


def test_aging_timers_of_placed_items_are_swept_and_live_ones_still_fire() -> None:
    clock = ManualClock(START)
    router = Router(clock=clock, push_timeout=None, aging=Aging(every=timedelta(minutes=5)))
    router.add_agent(Agent(id="a1", skills={"benefits": 1}, capacity=1), Presence.AVAILABLE)
    router.submit(WorkItem(id="holder", skills={"benefits": 1}))
    for n in range(500):  # queued, then placed in turn: each leaves a dead aging timer
        router.submit(WorkItem(id=f"q{n}", skills={"benefits": 1}))
    for n in range(499):
        router.release("holder" if n == 0 else f"q{n - 1}")
    assert len(router._timers) <= 2 * 64 + 2
    assert router.queue_length() == 1  # q499 still waits
    clock.advance(timedelta(minutes=5))
    router.tick()
    assert router.item("q499").priority is Priority.HIGH


def test_decisions_are_kept_as_plain_values_and_read_back_whole() -> None:
    """Routing records plain values (untracked by the collector); explain() builds them up."""
    clock = ManualClock(START)
    router = Router(clock=clock, push_timeout=timedelta(minutes=10))
    for agent_id in ("a1", "a2"):
        router.add_agent(Agent(id=agent_id, skills={"benefits": 1}), Presence.AVAILABLE)
    router.submit(WorkItem(id="i1", skills={"benefits": 1}))
    router.decline("i1", "a1")
    router.decline("i1", "a2")
    first, second, third = router.decisions("i1")
    assert first.agent_id == "a1"
    assert first.runner_up == "a2"
    assert first.reason == "offered to a1 (least active, score 0); runner-up a2 lost on agent id"
    assert second.agent_id == "a2"
    assert second.runner_up is None
    assert third.outcome.value == "queued"
    assert third.eligible == 0
    assert third.reason.startswith("no eligible agent has room for i1 (")
    assert router.explain("i1") == third
    gc.collect()
    state = router._items["i1"]  # the stored form itself is the point
    assert state.decision is not None
    assert not gc.is_tracked(state.decision)


def test_a_router_that_held_thousands_of_items_and_holds_none_is_back_to_its_agents() -> None:
    """Memory comes back: after 6,000 items with hundreds of distinct skill sets pass through 50
    agents and are all released, the item table, the interned skill sets, the queue and the
    agents' sets are empty (compacted, not merely cleared of keys), and once the clock passes
    every deadline the heap is too."""
    clock = ManualClock(START)
    router = Router(clock=clock, push_timeout=timedelta(minutes=10))
    skills = [f"s{n}" for n in range(30)]
    for n in range(50):
        mine = dict.fromkeys(skills[n % 10 :: 3], 1)
        router.add_agent(Agent(f"a{n}", mine, capacity=40), Presence.AVAILABLE)
    held: list[str] = []
    for n in range(6_000):
        need = {skills[(n * 7) % 30]: 1, skills[(n * 11) % 30]: 1} if n % 3 else {}
        item = WorkItem(f"i{n}", need, stage=f"stage {n % 600}")
        offer = router.submit(item)
        if offer is not None and n % 4:
            router.accept(item.id, offer.agent_id)
        held.append(item.id)
        if len(held) > 1_500:
            router.release(held.pop(0))
    peak_table = sys.getsizeof(router._items)
    for item_id in held:
        router.release(item_id)
    clock.advance(timedelta(hours=1))
    router.tick()
    assert router._items == {}
    assert sys.getsizeof(router._items) == sys.getsizeof({}) < peak_table
    assert router._groups == {}
    assert len(router._queue) == 0
    assert router._queue._groups == {}
    assert len(router._timers) == 0
    for agent in router._agents.values():
        assert (agent.load, agent.offered, agent.accepted, agent.pinned) == (0, set(), set(), set())
        assert sys.getsizeof(agent.accepted) == sys.getsizeof(set())
