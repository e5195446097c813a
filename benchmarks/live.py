"""Live statistics benchmark: read cost flat from 1,000 to 1,000,000 items (issue #20).

For each size, a router holds 200 agents (capacity 5, so 1,000 items are offered) and the
rest of the items wait, at every priority and four stages, spread over the last eight
hours. [`LiveStats`][casekit.routing.live.LiveStats] watches it from the start. Timed reads,
interleaved in rounds (medians):

* ``snapshot(now)``: every figure (waiting by priority and stage, longest waits, offers,
  agents, at risk);
* ``waiting()`` and ``longest_wait(now)``: single figures;
* the floor: a bare dict lookup;
* the baselines: a full recount (``snapshot_from_scratch``, walking every item and agent)
  and ``Router.metrics()`` (walks every agent and the queue), at the sizes where they take
  under a few seconds.

Also printed: what watching costs a submit (LiveStats subscribed vs not, same items).

Usage: ``python benchmarks/live.py [--quick]`` (``--quick``: up to 100,000 items).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from casekit.clock import ManualClock
from casekit.routing import Agent, Presence, Priority, Router, WorkItem
from casekit.routing.live import LiveStats, snapshot_from_scratch

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
STAGES = ("Intake", "Approval", "Review", "Payment")
RISK = timedelta(hours=4)
PRIORITIES = tuple(Priority)


def build(size: int, *, watch: bool) -> tuple[Router, LiveStats | None, ManualClock, float]:
    """A router with 200 agents and ``size`` items; the seconds the submits took."""
    clock = ManualClock(T0)
    router = Router(clock=clock, push_timeout=None)
    live = LiveStats(router, at_risk_after=RISK) if watch else None
    for n in range(200):
        router.add_agent(Agent(f"a{n}", {"intake": 1}, capacity=5), Presence.AVAILABLE)
    step = timedelta(hours=8) / size
    items = [
        WorkItem(
            f"c{n}",
            {"intake": 1},
            priority=PRIORITIES[n % len(PRIORITIES)],
            stage=STAGES[n % 4],
            created_at=T0 + step * n,
        )
        for n in range(size)
    ]
    clock.set(T0 + timedelta(hours=8))
    gc.disable()
    started = time.perf_counter()
    for item in items:
        router.submit(item)
    took = time.perf_counter() - started
    gc.enable()
    return router, live, clock, took


def per_call(call: Callable[[], object], repeat: int) -> float:
    """Median microseconds per call over a few batches of ``repeat`` calls."""
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeat):
            call()
        samples.append((time.perf_counter() - started) / repeat * 1e6)
    return statistics.median(samples)


def measure(size: int) -> dict[str, float]:
    """Print one size's line; return its read figures (microseconds)."""
    router, live, clock, watched = build(size, watch=True)
    assert live is not None
    now = clock.now()
    assert live.snapshot(now) == snapshot_from_scratch(router, now, RISK)  # same figures
    _, _, _, plain = build(size, watch=False)
    floor_map = {"waiting": 1}
    figures = {"snapshot": 0.0, "waiting": 0.0, "longest": 0.0, "floor": 0.0}
    for _ in range(3):  # interleaved rounds
        figures["snapshot"] += per_call(lambda: live.snapshot(now), 2_000) / 3
        figures["waiting"] += per_call(live.waiting, 20_000) / 3
        figures["longest"] += per_call(lambda: live.longest_wait(now), 20_000) / 3
        figures["floor"] += per_call(lambda: floor_map["waiting"], 20_000) / 3
    baselines = f"{'-':>12} {'-':>12}"
    if size <= 100_000:  # a full walk of a million items takes seconds a read
        recount = per_call(lambda: snapshot_from_scratch(router, now, RISK), 1)
        metrics = per_call(router.metrics, 1)
        baselines = f"{recount:>12,.0f} {metrics:>12,.0f}"
    print(
        f"{size:>10,} {figures['snapshot']:>9.2f} {figures['waiting']:>8.3f} "
        f"{figures['longest']:>8.2f} {figures['floor']:>10.3f} {baselines} "
        f"{watched / plain:>12.2f}x"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="up to 100,000 items")
    args = parser.parse_args()
    sizes = [1_000, 10_000, 100_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    print("live statistics: microseconds per read (median), 200 agents, the rest waiting")
    header = (
        f"{'items':>10} {'snapshot':>9} {'waiting':>8} {'longest':>8} {'dict floor':>10} "
        f"{'recount':>12} {'metrics()':>12} {'submit +live':>13}"
    )
    print(header)
    first: dict[str, float] = {}
    figures: dict[str, float] = {}
    for size in sizes:
        figures = measure(size)
        first = first or figures
    last = figures
    print(
        f"growth from {sizes[0]:,} to {sizes[-1]:,} items: snapshot x"
        f"{last['snapshot'] / first['snapshot']:.2f}, waiting() x"
        f"{last['waiting'] / first['waiting']:.2f}, longest_wait() x"
        f"{last['longest'] / first['longest']:.2f} (target: flat)"
    )


if __name__ == "__main__":
    main()
