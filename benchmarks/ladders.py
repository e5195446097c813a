"""Ladder benchmark: routing decisions per second with escalation ladders on, against off.

The workload (seeded, identical for every configuration): A agents (default 1,000) holding
3–6 of 20 skills at levels 1–3, capacity 4, auto-accepting, all Available; I items (default
40,000) at three stages, each needing 1–3 skills at levels 1–3 (so a share of them waits: no
agent with room holds the skills at the levels asked), priority Normal. Items arrive 40 a
minute; every minute the clock moves on, the router and the runner tick, and the oldest
accepted items are released (about as many as arrive), so the queue neither empties nor
grows without bound.

Four configurations run the same workload:

* **floor**: a bare router, nobody subscribed — the cost of a routing decision alone;
* **no-op subscriber**: the router with one subscriber that does nothing — what any
  follower of its events pays (the router builds a `RoutingEvent` for every change only
  when someone listens);
* **runner, no ladders**: a `LadderRunner` attached whose ladders name none of the stages
  (the cost of following the router's events);
* **ladders on**: ladders on two of the three stages — lower every level to 1 after 5
  minutes, drop the two rarest skills after 15, raise to High and notify after 30; widen to
  a common skill after 10 on the second stage. Every rung that changes skills re-routes its
  item through ``Router.advance``; those re-routes are part of the cost measured.

A *decision* here is one item of the workload routed (its submit); the figure is workload
decisions per second of everything the workload calls (submits, ticks, releases, the
runner's ticks). The runner learns of stage entries from the router's events, and a router
builds its events only when someone subscribes: the no-op subscriber line separates that
cost (the router's, paid by any follower: an audit, live statistics, a journal) from the
runner's own. Rounds are interleaved, the order rotating every round, so load on the
machine falls on all alike; the median round counts. The target of issue 20 is ladders on
at most 1.3× the cost of the floor.

Usage: ``python benchmarks/ladders.py [--quick] [--agents A] [--items I] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import deque
from datetime import UTC, datetime, timedelta

from casekit.clock import ManualClock
from casekit.priority import Priority
from casekit.routing import (
    Agent,
    ItemState,
    Ladder,
    LadderRunner,
    Presence,
    Router,
    Rung,
    WorkItem,
)

SKILLS = [f"s{n:02d}" for n in range(20)]
STAGES = ["Intake", "Assessment", "Review"]
PER_MINUTE = 40
TARGET = 1.3
MIN = timedelta(minutes=1)
LADDERS = [
    Ladder(
        "Intake",
        [
            Rung(5 * MIN, lower=dict.fromkeys(SKILLS, 1)),
            Rung(15 * MIN, drop={SKILLS[-1], SKILLS[-2]}),
            Rung(30 * MIN, raise_to=Priority.HIGH, notify=True),
        ],
    ),
    Ladder("Assessment", [Rung(10 * MIN, skills={SKILLS[0]: 1})]),
]
IDLE = [Ladder("Nowhere", [Rung(5 * MIN, notify=True)])]  # names none of the stages


def workload(
    agents: int, items: int, seed: int, *, flowing: bool
) -> tuple[list[Agent], list[WorkItem]]:
    """The agents and items, drawn once from ``seed``.

    ``flowing``: every agent holds every skill it has at level 3 with capacity 10 and items
    need one of the three commonest skills at level 1, so nearly every item is placed at
    once and no rung falls due (the runner's overhead alone). Otherwise a share waits.
    """
    rng = random.Random(seed)
    weights = [1 / (n + 1) for n in range(len(SKILLS))]  # a few common skills, many rare

    def pick(count: int, among: list[str] = SKILLS) -> list[str]:
        chosen: set[str] = set()
        while len(chosen) < count:
            chosen.add(rng.choices(among, weights[: len(among)])[0])
        return sorted(chosen)

    staff = [
        Agent(
            f"a{n}",
            {s: 3 if flowing else rng.randint(1, 3) for s in pick(rng.randint(3, 6))}
            | (dict.fromkeys(SKILLS[:3], 3) if flowing else {}),
            capacity=10 if flowing else 4,
            auto_accept=True,
        )
        for n in range(agents)
    ]
    work = [
        WorkItem(
            f"c{n}",
            dict.fromkeys(pick(1, SKILLS[:3]), 1)
            if flowing
            else {s: rng.choice((1, 1, 2, 3)) for s in pick(rng.randint(1, 3))},
            stage=rng.choice(STAGES),
        )
        for n in range(items)
    ]
    return staff, work


def run(config: str, staff: list[Agent], work: list[WorkItem]) -> tuple[float, int, float]:
    """Seconds the workload takes under ``config``, the rungs applied, the mean queue."""
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    router = Router(clock=clock, push_timeout=None)
    for agent in staff:
        router.add_agent(agent, Presence.AVAILABLE)
    runner = None
    if config == "no-op subscriber":
        router.subscribe(lambda event: None)
    elif config != "floor":
        runner = LadderRunner(router, LADDERS if config == "ladders on" else IDLE)
    rungs = waiting = 0
    held: deque[str] = deque()
    submit, tick, release, state_of = router.submit, router.tick, router.release, router.state_of
    started = time.perf_counter()
    for n, item in enumerate(work, 1):
        submit(item)
        held.append(item.id)
        if n % PER_MINUTE == 0:
            clock.advance(MIN)
            tick()
            if runner is not None:
                rungs += len(runner.tick())
            # Release up to as many accepted items as arrived, oldest first; the others
            # (waiting) go round again.
            released = scanned = 0
            limit = len(held)
            while released < PER_MINUTE and scanned < limit:
                item_id = held.popleft()
                scanned += 1
                if state_of(item_id) is ItemState.ACCEPTED:
                    release(item_id)
                    released += 1
                else:
                    held.append(item_id)
            waiting += router.queue_length()
    return time.perf_counter() - started, rungs, waiting * PER_MINUTE / len(work)


def main() -> None:
    """Run the configurations interleaved and print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=1_000)
    parser.add_argument("--items", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="a small run, to check it works")
    args = parser.parse_args()
    if args.quick:
        args.agents, args.items, args.rounds = 200, 4_000, 3
    for flowing in (False, True):
        staff, work = workload(args.agents, args.items, args.seed, flowing=flowing)
        scenario(
            "items wait (a queue builds, rungs fire)"
            if not flowing
            else "items flow (no rung due)",
            staff,
            work,
            args.rounds,
        )


def scenario(title: str, staff: list[Agent], work: list[WorkItem], rounds: int) -> None:
    """Run one workload under the three configurations, interleaved, and print the figures."""
    configs = ["floor", "no-op subscriber", "runner, no ladders", "ladders on"]
    times: dict[str, list[float]] = {c: [] for c in configs}
    rungs, queued = 0, dict.fromkeys(configs, 0.0)
    for round_ in range(rounds):
        order = configs[round_ % len(configs) :] + configs[: round_ % len(configs)]
        for config in order:
            seconds, applied, queued[config] = run(config, staff, work)
            times[config].append(seconds)
            if config == "ladders on":
                rungs = applied
    floor = statistics.median(times["floor"])
    items = len(work)
    print(
        f"{title}: {len(staff):,} agents, {items:,} items ({PER_MINUTE} a minute), "
        f"{rounds} interleaved rounds, median round; rungs applied with ladders on: {rungs:,}"
    )
    for config in configs:
        median = statistics.median(times[config])
        print(
            f"  {config:<20} {items / median:>10,.0f} decisions/s  "
            f"{median / items * 1e6:7.2f} µs/decision  {median / floor:5.2f}× the floor  "
            f"mean queue {queued[config]:,.0f}"
        )
    ratio = statistics.median(times["ladders on"]) / floor
    verdict = "within" if ratio <= TARGET else "ABOVE"
    print(
        f"  ladders on cost {ratio:.2f}× a bare router's decision: {verdict} the {TARGET}× target"
    )
    own = statistics.median(times["ladders on"]) / statistics.median(times["no-op subscriber"])
    print(f"  ladders on cost {own:.2f}× the router with a no-op subscriber (the runner's share)")


if __name__ == "__main__":
    main()
