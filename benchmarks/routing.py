"""Routing benchmark: casekit's Router against a linear-scan router with the same policy.

The workload (seeded, identical for both routers): A agents (default 10,000) holding 3–8 of
50 skills at levels 1–3, capacity 100, all Available, with light presence churn (an agent
goes Busy and comes back every 500 operations); I items (default 200,000) each needing 1–3
skills that some agent template holds (80 % at level 1, 20 % at level 2), priority mostly
Normal, weight 1. Each item is submitted; the agent it is offered to accepts (90 %) or
declines (10 %, and the item is routed again); the oldest accepted items are released so
that about 3 items per agent are held. A *decision* is one routing of one item (a submit or
the re-route after a decline).

The linear-scan router walks every agent for every decision and picks the minimum of
``(load, last offer, id)`` among the eligible, exactly casekit's Least Active order, so both
make the same decisions; the benchmark checks that they do on the prefix they both run. The
scan costs O(A) per decision, so it runs a prefix of the workload (default 4,000 items) and
its rate is compared with casekit's rate on the same prefix and on the whole workload.

Then the same Router made durable (a DurableRouter journalling to a SQLite file) on the
first ``--durable-items`` items, with 1, 10 and 100 items' routing calls per committed unit
of work, against the in-memory Router on the same items in the same run (the floor: a
durable decision is an in-memory one plus its journal entry and its share of a commit); it
must make the same decisions.

Then casekit against the numpy vectorised scan (``NumpyRouter``: a skills × agents level
matrix and arrays of spare capacity, presence and rank; a decision is one boolean mask and one
``argmin``, O(A) in C) and the linear scan at 1,000, 10,000 and 100,000 agents, with the same
workload per agent at every size (4 items per agent, 2 held each, so half the items are also
released). casekit runs the whole workload; the scans run a prefix (their cost per decision does
not depend on the state) and casekit's time on the same prefix is measured too, for the ratio.
The three must make the same decisions on the prefix. The cost is the time of every routing
call (submits, answers, releases, presence changes) divided by the decisions; each size runs in
a fresh process, ``--repeat`` rounds (3) with the routers interleaved in each round, and the
fastest round of each router counts, as ``timeit`` does. Beside the figures are the physical
floors: a bare dict update, a SortedList add + remove among one skill's agents, and one numpy
comparison over every agent.

The cyclic GC runs as in production.

Usage: ``python benchmarks/routing.py [--quick] [--agents A] [--items I] [--prefix P]
[--durable-items D] [--repeat R] [--sizes 1000,10000,100000] [--compare-only]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import numpy as np
from sortedcontainers import SortedList  # type: ignore[import-untyped]

from casekit.clock import ManualClock
from casekit.priority import Priority
from casekit.routing import Agent, Presence, Router, RoutingModel, WorkItem
from casekit.routing.index import AgentIndex
from casekit.storage import BoundRouter, DurableRouter, SQLiteStorage, UnitOfWork

SKILLS = [f"skill{n:02d}" for n in range(50)]
HELD_PER_AGENT = 3
SCALING_ITEMS = 4
SCALING_HELD = 2
CHURN_EVERY = 500


def make_agents(count: int, rng: random.Random) -> list[Agent]:
    agents = []
    for n in range(count):
        names = rng.sample(SKILLS, rng.randint(3, 8))
        agents.append(
            Agent(id=f"a{n:06d}", skills={s: rng.randint(1, 3) for s in names}, capacity=100)
        )
    return agents


def make_items(count: int, agents: list[Agent], rng: random.Random) -> Iterator[WorkItem]:
    priorities = [Priority.NORMAL] * 7 + [Priority.HIGH] * 2 + [Priority.URGENT]
    for n in range(count):
        template = agents[rng.randrange(len(agents))]
        names = rng.sample(sorted(template.skills), rng.randint(1, 3))
        skills = {s: (2 if rng.random() < 0.2 and template.skills[s] >= 2 else 1) for s in names}
        yield WorkItem(id=f"i{n:07d}", skills=skills, priority=rng.choice(priorities))


class LinearRouter:
    """The straightforward router: every decision scans every agent. O(A) per decision."""

    def __init__(self) -> None:
        self.agents: dict[str, Agent] = {}
        self.available: dict[str, bool] = {}
        self.load: dict[str, int] = {}
        self.last_offer: dict[str, int] = {}
        self.owner: dict[str, str | None] = {}
        self.items: dict[str, WorkItem] = {}
        self.declined: dict[str, set[str]] = {}
        self.arrival: dict[str, int] = {}  # submission order, kept when an item is re-routed
        self.queue: list[tuple[int, int, str]] = []
        self.seq = 0
        self.offer_seq = 0

    def add_agent(self, agent: Agent) -> None:
        self.agents[agent.id] = agent
        self.available[agent.id] = True
        self.load[agent.id] = 0
        self.last_offer[agent.id] = 0

    def _eligible(self, agent: Agent, item: WorkItem) -> bool:
        if not self.available[agent.id] or self.load[agent.id] + item.weight > agent.capacity:
            return False
        if agent.id in self.declined[item.id]:
            return False
        return all(agent.skills.get(s, 0) >= level for s, level in item.skills.items())

    def _best(self, item: WorkItem) -> str | None:
        best: tuple[int, int, str] | None = None
        for agent in self.agents.values():
            if self._eligible(agent, item):
                key = (self.load[agent.id], self.last_offer[agent.id], agent.id)
                if best is None or key < best:
                    best = key
        return None if best is None else best[2]

    def _route(self, item: WorkItem) -> str | None:
        best = self._best(item)
        if best is None:
            # casekit serves by priority, then original submission order: an item re-routed
            # after a decline keeps its place (its submission number), not a new one.
            self.queue.append((-item.priority.rank, self.arrival[item.id], item.id))
            self.queue.sort()
            self.owner[item.id] = None
            return None
        self._give(item, best)
        return best

    def _give(self, item: WorkItem, agent_id: str) -> None:
        self.offer_seq += 1
        self.load[agent_id] += item.weight
        self.last_offer[agent_id] = self.offer_seq
        self.owner[item.id] = agent_id

    def _serve(self, agent_id: str) -> None:
        agent = self.agents[agent_id]
        for entry in list(self.queue):
            item = self.items[entry[2]]
            if self._eligible(agent, item):
                self.queue.remove(entry)
                self._give(item, agent_id)

    def submit(self, item: WorkItem) -> str | None:
        self.seq += 1
        self.items[item.id] = item
        self.declined[item.id] = set()
        self.arrival[item.id] = self.seq
        return self._route(item)

    def accept(self, item_id: str, agent_id: str) -> None:
        pass

    def decline(self, item_id: str, agent_id: str) -> str | None:
        item = self.items[item_id]
        self.load[agent_id] -= item.weight
        self.declined[item_id].add(agent_id)
        owner = self._route(item)
        self._serve(agent_id)
        return owner

    def release(self, item_id: str) -> None:
        item = self.items.pop(item_id)
        agent_id = self.owner.pop(item_id)
        del self.declined[item_id]
        del self.arrival[item_id]
        if agent_id is None:  # a queued item leaves the queue and frees nobody
            self.queue = [entry for entry in self.queue if entry[2] != item_id]
        else:
            self.load[agent_id] -= item.weight
            self._serve(agent_id)

    def set_available(self, agent_id: str, available: bool) -> None:
        self.available[agent_id] = available
        if available:
            self._serve(agent_id)


class NumpyRouter(LinearRouter):
    """The vectorised scan a developer with numpy would write: O(A) per decision, in C.

    A skill-level matrix (skills × agents, int8, one contiguous row per skill), and arrays of
    spare capacity, Available and the rank ``load << 42 | last offer``; agents sit in id order, so
    ``argmin``'s first minimum is the lowest id: exactly casekit's Least Active order
    ``(load, last offer, id)``. A decision is a boolean mask (Available, room, every required
    skill at its level, not declined) and one ``argmin`` over the masked ranks. The queue is
    the linear router's (rarely used: capacity is ample).
    """

    SEQ_SHIFT = 42

    def __init__(self) -> None:
        super().__init__()
        self.column = {name: n for n, name in enumerate(SKILLS)}
        self.position: dict[str, int] = {}
        self.ids: list[str] = []
        self.levels = np.zeros((len(SKILLS), 0), dtype=np.int8)
        self.spare = np.zeros(0, dtype=np.int64)  # capacity - load
        self.free = np.zeros(0, dtype=bool)  # Available
        self.rank = np.zeros(0, dtype=np.int64)
        self.never = np.iinfo(np.int64).max

    def add_agent(self, agent: Agent) -> None:
        super().add_agent(agent)
        self.ids = []  # the arrays are built at the next decision

    def _build(self) -> None:
        self.ids = sorted(self.agents)
        self.position = {agent_id: n for n, agent_id in enumerate(self.ids)}
        self.levels = np.zeros((len(SKILLS), len(self.ids)), dtype=np.int8)
        for agent_id, n in self.position.items():
            for name, level in self.agents[agent_id].skills.items():
                self.levels[self.column[name], n] = level
        self.spare = np.array(
            [self.agents[a].capacity - self.load[a] for a in self.ids], dtype=np.int64
        )
        self.free = np.array([self.available[a] for a in self.ids], dtype=bool)
        self.rank = np.array(
            [(self.load[a] << self.SEQ_SHIFT) | self.last_offer[a] for a in self.ids],
            dtype=np.int64,
        )

    def _best(self, item: WorkItem) -> str | None:
        if len(self.ids) != len(self.agents):
            self._build()
        mask = self.free & (self.spare >= item.weight)
        for name, level in item.skills.items():
            mask &= self.levels[self.column[name]] >= level
        declined = self.declined[item.id]
        if declined:
            mask[[self.position[a] for a in declined]] = False
        best = int(np.where(mask, self.rank, self.never).argmin())
        return self.ids[best] if mask[best] else None

    def _set(self, agent_id: str) -> None:
        n, load = self.position[agent_id], self.load[agent_id]
        self.rank[n] = (load << self.SEQ_SHIFT) | self.last_offer[agent_id]
        self.spare[n] = self.agents[agent_id].capacity - load

    def _give(self, item: WorkItem, agent_id: str) -> None:
        super()._give(item, agent_id)
        self._set(agent_id)

    def decline(self, item_id: str, agent_id: str) -> str | None:
        item = self.items[item_id]
        self.load[agent_id] -= item.weight
        self._set(agent_id)
        self.declined[item_id].add(agent_id)
        owner = self._route(item)
        self._serve(agent_id)
        return owner

    def release(self, item_id: str) -> None:
        agent_id = self.owner.get(item_id)
        super().release(item_id)
        if agent_id is not None:
            self._set(agent_id)

    def set_available(self, agent_id: str, available: bool) -> None:
        if len(self.ids) != len(self.agents):
            self._build()
        self.free[self.position[agent_id]] = available
        super().set_available(agent_id, available)


class CasekitAdapter:
    """casekit's Router behind the same small interface."""

    def __init__(self) -> None:
        self.clock = ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
        self.router = Router(
            model=RoutingModel.LEAST_ACTIVE, push_timeout=timedelta(minutes=10), clock=self.clock
        )

    def add_agent(self, agent: Agent) -> None:
        self.router.add_agent(agent, Presence.AVAILABLE)

    def submit(self, item: WorkItem) -> str | None:
        offer = self.router.submit(item)
        return offer.agent_id if offer else None

    def accept(self, item_id: str, agent_id: str) -> None:
        self.router.accept(item_id, agent_id)

    def decline(self, item_id: str, agent_id: str) -> str | None:
        offer = self.router.decline(item_id, agent_id)
        return offer.agent_id if offer else None

    def release(self, item_id: str) -> None:
        self.router.release(item_id)

    def set_available(self, agent_id: str, available: bool) -> None:
        self.router.set_presence(agent_id, Presence.AVAILABLE if available else Presence.BUSY)


class DurableAdapter(CasekitAdapter):
    """casekit's Router made durable: a DurableRouter on a SQLite file, ``batch`` items'
    routing calls per committed unit of work (1: every call its own commit)."""

    def __init__(self, path: str, batch: int) -> None:
        super().__init__()
        self.storage = SQLiteStorage(path, clock=self.clock)
        self.durable = DurableRouter(
            self.storage, "bench", push_timeout=timedelta(minutes=10), clock=self.clock
        )
        self.batch = batch
        self.items = 0
        self.uow: UnitOfWork | None = None
        self.router = self._bound()  # type: ignore[assignment]

    def _bound(self) -> BoundRouter:
        self.uow = self.storage.unit_of_work().__enter__()
        return self.durable.bind(self.uow)

    def commit(self) -> None:
        assert self.uow is not None
        self.uow.commit()
        self.router = self._bound()  # type: ignore[assignment]

    def submit(self, item: WorkItem) -> str | None:
        self.items += 1
        if self.items % self.batch == 0:
            self.commit()
        return super().submit(item)

    def close(self) -> None:
        self.commit()
        assert self.uow is not None
        self.uow.rollback()
        self.storage.close()


def run(
    router: LinearRouter | CasekitAdapter,
    agents: list[Agent],
    items: Iterable[WorkItem],
    seed: int,
    held_per_agent: int = HELD_PER_AGENT,
) -> tuple[int, float, list[str | None]]:
    """Drive the workload; return decisions, seconds spent in routing calls, the owners chosen."""
    for agent in agents:
        router.add_agent(agent)
    rng = random.Random(seed)
    held: deque[str] = deque()
    target = held_per_agent * len(agents)
    decisions = 0
    chosen: list[str | None] = []
    busy: str | None = None
    clock = time.perf_counter
    spent = 0.0
    for n, item in enumerate(items):
        accept = rng.random() < 0.9
        start = clock()
        owner = router.submit(item)
        decisions += 1
        chosen.append(owner)
        if owner is not None:
            if accept:
                router.accept(item.id, owner)
            else:
                again = router.decline(item.id, owner)
                decisions += 1
                chosen.append(again)
                if again is not None:
                    router.accept(item.id, again)
        held.append(item.id)
        if len(held) > target:
            router.release(held.popleft())
        if n % CHURN_EVERY == 0:
            if busy is not None:
                router.set_available(busy, True)
            busy = agents[rng.randrange(len(agents))].id
            router.set_available(busy, False)
        spent += clock() - start
    return decisions, spent, chosen


def soak(agents: int, items: int, seed: int) -> tuple[int, int]:
    """Bytes a router holds with its agents only, and after ``items`` passed through.

    Every item is submitted, accepted, and released once three per agent are held; at the end
    all are released. Measured with tracemalloc (the router's own allocations, not the
    process's).
    """
    rng = random.Random(seed)
    roster = make_agents(agents, rng)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        router = CasekitAdapter()
        for agent in roster:
            router.add_agent(agent)
        gc.collect()
        agents_only = tracemalloc.get_traced_memory()[0] - before
        held: deque[str] = deque()
        for item in make_items(items, roster, rng):
            owner = router.submit(item)
            if owner is not None:
                router.accept(item.id, owner)
            held.append(item.id)
            if len(held) > 3 * agents:
                router.release(held.popleft())
        while held:
            router.release(held.popleft())
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return agents_only, after


def workload(agents: int, items: int, seed: int) -> tuple[list[Agent], list[WorkItem]]:
    rng = random.Random(seed)
    roster = make_agents(agents, rng)
    return roster, list(make_items(items, roster, rng))


class RecordingIndex(AgentIndex):
    """casekit's own index, writing down every call the router makes on it.

    Calls made while agents are added go to ``setup``, the rest (the routing calls') to
    ``log``: a requirement's mask, a pool, a walk (and how many agents the router took from
    it), an insert, a removal, a move. `replay_index` makes exactly those calls again on a
    fresh index, without the router: the index's share of a decision, a floor under any
    router built on it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setup: list[tuple[Any, ...]] = []
        self.log: list[Any] = []
        self.recording = True
        self.rekeying = False

    def _write(self, entry: Any) -> None:
        if not self.rekeying:  # a re-keying index re-inserts its agents itself
            (self.log if self.recording else self.setup).append(entry)

    def _rekey(self, id_bits: int, grade_bits: int) -> None:
        self.rekeying = True
        try:
            super()._rekey(id_bits, grade_bits)
        finally:
            self.rekeying = False

    def grades(self, skills: Mapping[str, int]) -> int:
        self._write(("grades", skills))
        return super().grades(skills)

    def need(self, skills: Mapping[str, int]) -> int:
        self._write(("need", skills))
        return super().need(skills)

    def pool(self, required: Mapping[str, int]) -> Any:
        self._write(("pool", required))
        return super().pool(required)

    def agents_holding(self, pool: Iterable[Any], need: int) -> Iterator[str]:
        entry: list[Any] = ["walk", need, 0, None]  # the agents taken, the last one
        self._write(entry)

        def counted() -> Iterator[str]:
            for agent_id in super(RecordingIndex, self).agents_holding(pool, need):
                entry[2] += 1
                entry[3] = agent_id
                yield agent_id

        return counted()

    def insert(self, agent_id: str, rank: Any, grades: int, skills: Iterable[str]) -> None:
        self._write(("insert", agent_id, rank, grades, skills))
        super().insert(agent_id, rank, grades, skills)

    def remove(self, agent_id: str) -> None:
        self._write(("remove", agent_id))
        super().remove(agent_id)

    def move(self, agent_id: str, rank: Any, grades: int, skills: Iterable[str]) -> None:
        self._write(("move", agent_id, rank, grades, skills))
        super().move(agent_id, rank, grades, skills)


class RecordingAdapter(CasekitAdapter):
    """casekit's Router on a `RecordingIndex` (agents' additions go to its ``setup``)."""

    def __init__(self) -> None:
        super().__init__()
        self.index = self.router._index = RecordingIndex()  # measurement only

    def add_agent(self, agent: Agent) -> None:
        self.index.recording = False
        super().add_agent(agent)
        self.index.recording = True


def replay_index(setup: list[tuple[Any, ...]], log: list[Any]) -> float:
    """Replay a `RecordingIndex`'s calls on a fresh index; seconds spent on ``log``'s.

    ``setup`` (the agents' additions) is not timed. A walk takes exactly as many agents as
    the router took (in C), checked to end at the same agent. The loop dispatching the calls
    is timed too, so this is a little above the index's own cost.
    """
    index = AgentIndex()
    _call(index, setup)  # in order, so that grade bits are numbered as they were
    start = time.perf_counter()
    _call(index, log)
    return time.perf_counter() - start


def _call(index: AgentIndex, entries: list[Any]) -> None:
    pool: Any = None
    for entry in entries:
        kind = entry[0]
        if kind == "move":
            index.move(entry[1], entry[2], entry[3], entry[4])
        elif kind == "walk":  # the same agents taken: the same last one
            last = deque(islice(index.agents_holding(pool, entry[1]), entry[2]), maxlen=1)
            if (last[0] if last else None) != entry[3]:
                raise AssertionError(f"the replayed walk ended at {last}, not at {entry[3]}")
        elif kind == "pool":
            pool = index.pool(entry[1])
        elif kind == "need":
            index.need(entry[1])
        elif kind == "grades":
            index.grades(entry[1])
        elif kind == "insert":
            index.insert(entry[1], entry[2], entry[3], entry[4])
        else:
            index.remove(entry[1])


def floors(count: int) -> dict[str, float]:
    """The physical floors, in seconds per operation, at ``count`` agents.

    A bare dict update (the least any router does to record a load change), a SortedList
    add + remove among one skill's agents (what a sorted per-skill index pays per move), and
    one numpy comparison over every agent's level of one skill (the least a vectorised scan
    pays per required skill).
    """
    import timeit  # noqa: PLC0415  # only this section needs it

    per_skill = max(1, count * 11 // 2 // len(SKILLS))  # 5.5 skills per agent on average
    keys = [f"a{n:06d}" for n in range(count)]
    loads = dict.fromkeys(keys, 0)
    ranked = SortedList(range(0, 2 * per_skill, 2))
    middle = per_skill | 1
    levels = np.random.default_rng(0).integers(0, 4, size=count, dtype=np.int8)

    def dict_update() -> None:
        loads["a000000"] += 1

    def sorted_move() -> None:
        ranked.add(middle)
        ranked.remove(middle)

    def numpy_compare() -> None:
        levels >= 1  # noqa: B015  # the comparison is the point

    found = {}
    for name, call in (
        ("dict", dict_update),
        ("sortedlist", sorted_move),
        ("numpy", numpy_compare),
    ):
        number = 20_000 if name != "numpy" or count < 50_000 else 2_000
        found[name] = min(timeit.repeat(call, number=number, repeat=5)) / number
    return found


def compare_size(count: int, seed: int, rounds: int) -> dict[str, object]:
    """casekit, the numpy scan and the linear scan on one workload, rounds interleaved.

    The workload has ``SCALING_ITEMS`` items per agent, ``SCALING_HELD`` held each. casekit
    runs it whole; the numpy scan (O(A) a decision, whatever the state) its first
    ``numpy_items`` items and the linear scan its first ``linear_items``, each followed by
    casekit on the same prefix. Each round runs casekit, numpy, linear in turn (sizes below
    10,000 agents get proportionally more rounds, the linear scan only the first ``rounds``);
    the fastest round of each counts. Decisions must be identical on the prefixes.
    """
    total = SCALING_ITEMS * count
    numpy_items = min(total, 40_000)  # the whole workload up to 10,000 agents
    linear_items = min(total, max(20, 4_000_000 // count))
    best: dict[str, tuple[int, float]] = {}
    same = True

    def keep(name: str, decisions: int, seconds: float) -> None:
        if name not in best or seconds / decisions < best[name][1] / best[name][0]:
            best[name] = (decisions, seconds)

    # A small office's run is short, so a burst of load on the machine weighs on it more:
    # it gets more rounds (the linear scan, slow, runs in the first ``rounds`` only).
    # casekit's own index calls on numpy's prefix, written down once (not timed) and
    # replayed without the router in every round: the index's share of a decision.
    rng = random.Random(seed)
    roster = make_agents(count, rng)
    recorder = RecordingAdapter()
    index_decisions, _, recorded = run(
        recorder, roster, make_items(numpy_items, roster, rng), seed, SCALING_HELD
    )
    for round_ in range(rounds * max(1, 10_000 // count)):
        keep("index alone", index_decisions, replay_index(recorder.index.setup, recorder.index.log))
        rng = random.Random(seed)
        roster = make_agents(count, rng)
        decisions, seconds, owners = run(
            CasekitAdapter(), roster, make_items(total, roster, rng), seed, SCALING_HELD
        )
        keep("casekit", decisions, seconds)
        same = same and recorded == owners[: len(recorded)]
        scans: list[tuple[str, LinearRouter, int]] = [("numpy", NumpyRouter(), numpy_items)]
        if round_ < rounds:
            scans.append(("linear", LinearRouter(), linear_items))
        for name, router, prefix in scans:
            rng = random.Random(seed)
            roster = make_agents(count, rng)
            prefix_items = make_items(prefix, roster, rng)
            decisions, seconds, chosen = run(router, roster, prefix_items, seed, SCALING_HELD)
            keep(name, decisions, seconds)
            same = same and chosen == owners[: len(chosen)]
            rng = random.Random(seed)
            roster = make_agents(count, rng)
            prefix_items = make_items(prefix, roster, rng)
            decisions, seconds, _ = run(CasekitAdapter(), roster, prefix_items, seed, SCALING_HELD)
            keep(f"casekit on {name}'s prefix", decisions, seconds)
        gc.collect()
    return {
        "count": count,
        "items": (total, numpy_items, linear_items),
        "per_decision": {name: seconds / d for name, (d, seconds) in best.items()},
        "decisions": best["casekit"][0],
        "same": same,
        "floors": floors(count),
    }


def print_comparison(results: list[dict[str, Any]]) -> None:
    """Print casekit against the numpy and linear scans and the floors, size by size."""
    targets = {10_000: 2.0, 100_000: 5.0}
    for result in results:
        count = result["count"]
        total, numpy_items, linear_items = result["items"]
        per = result["per_decision"]
        floor = result["floors"]
        casekit = per["casekit"]
        on_numpy = per["casekit on numpy's prefix"]
        on_linear = per["casekit on linear's prefix"]
        numpy_ratio = per["numpy"] / on_numpy
        linear_ratio = per["linear"] / on_linear
        target = targets.get(count)
        verdict = (
            ""
            if target is None
            else f" (target >= {target:.0f}x: {'met' if numpy_ratio >= target else 'NOT met'})"
        )
        print(f"  {count:>7,} agents ({total:,} items, {result['decisions']:,} decisions):")
        print(
            f"    casekit  {1e6 * casekit:8.2f} us/decision (whole workload); "
            f"{1e6 * on_numpy:.2f} on the first {numpy_items:,} items, "
            f"{1e6 * on_linear:.2f} on the first {linear_items:,}"
        )
        print(
            f"    numpy    {1e6 * per['numpy']:8.2f} us/decision (first {numpy_items:,} items)"
            f"  numpy / casekit on the same items: {numpy_ratio:.2f}x{verdict}"
        )
        print(
            f"    linear   {1e6 * per['linear']:8.2f} us/decision (first {linear_items:,} items)"
            f"  linear / casekit on the same items: {linear_ratio:,.0f}x"
        )
        print(
            f"    floors   dict update {1e6 * floor['dict']:.3f} us, SortedList add+remove "
            f"{1e6 * floor['sortedlist']:.3f} us (one skill's agents), numpy compare over "
            f"{count:,} agents {1e6 * floor['numpy']:.2f} us; casekit = "
            f"{casekit / floor['dict']:,.0f} dict updates = "
            f"{casekit / floor['sortedlist']:.1f} SortedList moves = "
            f"{casekit / floor['numpy']:.1f} numpy compares"
        )
        alone = per["index alone"]
        budget = (
            ""
            if target is None
            else f"; the {target:.0f}x target leaves {1e6 * per['numpy'] / target:.2f} us for "
            "all of a decision"
        )
        print(
            f"    index    {1e6 * alone:8.2f} us/decision: casekit's own index calls on the first "
            f"{numpy_items:,} items replayed without the router ({alone / on_numpy:.0%} of "
            f"casekit there){budget}"
        )
        print(f"    same decisions (casekit, numpy, linear): {'yes' if result['same'] else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run for CI and laptops")
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--prefix", type=int, default=4_000, help="items the linear scan runs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each size (fastest kept)")
    parser.add_argument(
        "--durable-items", type=int, default=40_000, help="items the durable runs route"
    )
    parser.add_argument(
        "--sizes",
        type=str,
        help="comma-separated agent counts of the comparison (1000,10000,100000)",
    )
    parser.add_argument(
        "--compare-only", action="store_true", help="only the casekit / numpy / linear comparison"
    )
    parser.add_argument("--compare-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compare_size:
        print(json.dumps(compare_size(args.compare_size, args.seed, args.repeat)))
        return
    if args.quick:
        args.items, args.prefix, args.durable_items = 40_000, 1_000, 10_000
    sizes = [1_000, 10_000, 100_000] if not args.quick else [1_000, 10_000, 30_000]
    if args.sizes:
        sizes = [int(size) for size in args.sizes.split(",")]
    if not args.compare_only:
        others(args)
    print(
        "casekit against the numpy vectorised scan and the linear scan as the office grows "
        f"(the same workload per agent at every size: {SCALING_ITEMS} items per agent, "
        f"{SCALING_HELD} held each, so about half the items are also released; every routing "
        f"call timed; each size in a fresh process, {args.repeat} interleaved rounds, the "
        "fastest of each router kept):"
    )
    results = []
    for count in sizes:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--compare-size",
                str(count),
                "--seed",
                str(args.seed),
                "--repeat",
                str(args.repeat),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout))
        print_comparison(results[-1:])
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = last["per_decision"]["casekit"] / first["per_decision"]["casekit"]
        print(
            f"growth of casekit's cost per decision {first['count']:,} -> {last['count']:,} "
            f"agents: {growth:.2f}x (target <= 1.5x: {'met' if growth <= 1.5 else 'NOT met'})"
        )


def others(args: argparse.Namespace) -> None:
    """The linear-scan, durable and memory sections."""
    roster, items = workload(args.agents, args.items, args.seed)
    print(f"workload: {len(roster):,} agents, {len(SKILLS)} skills, {len(items):,} items")

    linear_d, linear_s, linear_owners = run(LinearRouter(), roster, items[: args.prefix], args.seed)
    prefix_d, prefix_s, prefix_owners = run(
        CasekitAdapter(), roster, items[: args.prefix], args.seed
    )
    same = linear_owners == prefix_owners
    full_d, full_s, _ = run(CasekitAdapter(), roster, items, args.seed)

    linear_rate = linear_d / linear_s
    prefix_rate = prefix_d / prefix_s
    full_rate = full_d / full_s
    print(
        f"linear scan   {linear_d:>9,} decisions  {linear_rate:>12,.0f} /s  "
        f"(first {args.prefix:,} items)"
    )
    print(f"casekit       {prefix_d:>9,} decisions  {prefix_rate:>12,.0f} /s  (same prefix)")
    print(f"casekit       {full_d:>9,} decisions  {full_rate:>12,.0f} /s  (whole workload)")
    print(f"same decisions as the linear scan on the prefix: {'yes' if same else 'NO'}")
    print(
        f"ratio casekit / linear scan: {prefix_rate / linear_rate:,.1f}x on the prefix, "
        f"{full_rate / linear_rate:,.1f}x whole workload vs prefix scan (target >= 50x)"
    )

    durable_items = items[: args.durable_items]
    memory_d, memory_s, memory_owners = run(CasekitAdapter(), roster, durable_items, args.seed)
    memory_rate = memory_d / memory_s
    print(
        f"durable, SQLite (the same Router, journalled; first {len(durable_items):,} items, "
        f"in-memory {memory_rate:,.0f} decisions/s in the same run):"
    )
    for batch in (1, 10, 100):
        with tempfile.TemporaryDirectory() as tmp:
            durable = DurableAdapter(f"{tmp}/routing.db", batch)
            durable_d, durable_s, durable_owners = run(durable, roster, durable_items, args.seed)
            durable.close()
        rate = durable_d / durable_s
        target = "; target >= 3,000/s" if batch == 1 else "; target >= x0.50 grouped"
        print(
            f"  {batch:>3} item(s) per commit  {rate:>9,.0f} decisions/s  "
            f"x{rate / memory_rate:.2f} of in-memory{target}; same decisions: "
            f"{'yes' if durable_owners == memory_owners else 'NO'}"
        )

    soak_agents, soak_items = (2_000, 100_000) if args.quick else (10_000, 1_000_000)
    agents_only, after = soak(soak_agents, soak_items, args.seed)
    print(
        f"memory: {soak_items:,} items through {soak_agents:,} agents, all released: "
        f"{after / 1e6:.2f} MB against {agents_only / 1e6:.2f} MB with the agents only "
        f"(x{after / agents_only:.3f}; target <= x1.05)"
    )


if __name__ == "__main__":
    main()
