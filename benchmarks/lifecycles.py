"""Lifecycle engine benchmark: casekit's static machine vs a machine per case vs the floor.

Creates N product delivery cases and drives each through
submit → approve → activate → suspend → unsuspend, three ways, in the same run:

* **casekit** — ``ProductDeliveryCase.create`` and the typed actions: validation, guards,
  history, domain events, through the one class-level ``transitions`` machine.
* **naive** — one ``transitions.Machine(model=case)`` per case (no guards, no history: the
  naive side does strictly less work per action). Same N: it needs ~2.5 GB and ~1 minute at
  100,000 cases, and the garbage collector's cost grows with the number of live objects, so
  a smaller sample would flatter it.
* **bare static** — a bare ``Machine(model=None)`` fired as ``machine.events[name].trigger``
  on a one-slot object: the floor for one transition.

The three are timed interleaved, in rounds of 1,000 objects of each kind (creation, then the
path), the order rotating every round, so load on the machine falls on all three alike.
Prints µs per creation, µs per action and bytes per case (tracemalloc, at creation), and the
ratios against the targets of issue #2: creation ≥ 100× cheaper and memory ≥ 50× smaller
than naive; and of issue #18: an action at most 1.3× the bare static trigger (a stock
``transitions`` machine; casekit's own machine looks states up faster, see
``casekit.lifecycle.engine``). The cyclic GC runs as in
production; ``--gc-paused`` times with it paused, as ``timeit`` does.

Usage: ``python benchmarks/lifecycles.py [--quick] [--gc-paused]``.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from transitions import Machine

from casekit.cases import Owner, ProductDeliveryCase
from casekit.cases.product_delivery import PDC_LIFECYCLE, PDCStatus
from casekit.clock import ManualClock

PATH = ("submit", "approve", "activate", "suspend", "unsuspend")
STATES = list(PDCStatus)
TRANSITIONS = [
    {"trigger": a.name, "source": list(a.source), "dest": t}
    for a in PDC_LIFECYCLE.actions
    for t in a.possible_targets
    if a.target is not None
]


class NaiveCase:
    """A case that owns its own transitions machine: the pattern casekit avoids."""

    def __init__(self, case_id: str, client: str, clock: ManualClock) -> None:
        self.id = case_id
        self.product = "Basic Allowance"
        self.primary_client = client
        self.created_at = clock.now()
        self.machine = Machine(
            model=self,
            states=STATES,
            transitions=TRANSITIONS,
            initial=PDCStatus.OPEN,
            auto_transitions=False,
            model_attribute="status",
        )


class BareModel:
    """The floor: one slot for the status."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status = PDCStatus.OPEN


BARE_MACHINE = Machine(
    model=None,
    states=STATES,
    transitions=TRANSITIONS,
    initial=PDCStatus.OPEN,
    auto_transitions=False,
    model_attribute="status",
)


GC_PAUSED = False
ROUND = 1_000
"""Objects per kind per round of the interleaved timing."""


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Time ``fn`` once; the cyclic GC is paused while it runs (as ``timeit`` does)."""
    gc.collect()
    if GC_PAUSED:
        gc.disable()
    try:
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def bytes_per_case(make: Callable[[int], Any], n: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [make(i) for i in range(n)]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / n


def run(n: int, naive_n: int) -> dict[str, dict[str, float]]:
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    owner, supervisor = Owner.user("worker"), Owner.user("boss")
    ids = [f"PDC-{i}" for i in range(n)]
    clients = [f"client-{i}" for i in range(n)]

    def make_case(i: int) -> ProductDeliveryCase:
        return ProductDeliveryCase.create(
            id=ids[i],
            product="Basic Allowance",
            primary_client=clients[i],
            owner=owner,
            supervisor=supervisor,
            clock=clock,
        )

    def drive_casekit(cases: list[ProductDeliveryCase]) -> None:
        for case in cases:
            case.submit(actor="worker")
            case.approve(actor="boss")
            case.activate(actor="worker")
            case.suspend(actor="worker", reason="client abroad")
            case.unsuspend(actor="worker")

    def drive_naive(cases: list[Any]) -> None:
        for case in cases:
            for action in PATH:
                getattr(case, action)()

    def drive_bare(models: list[BareModel]) -> None:
        events = BARE_MACHINE.events
        for model in models:
            for action in PATH:
                events[action].trigger(model)

    makers: dict[str, Callable[[int], Any]] = {
        "casekit": make_case,
        "naive": lambda i: NaiveCase(ids[i], clients[i], clock),
        "bare static": lambda i: BareModel(),
    }
    drivers: dict[str, Callable[[list[Any]], None]] = {
        "casekit": drive_casekit,
        "naive": drive_naive,
        "bare static": drive_bare,
    }
    # Interleaved: rounds of ROUND objects, each kind in turn (the order rotating every round),
    # so a swing in the machine's load falls on all three alike instead of on whichever ran
    # during it.
    spent = {name: [0.0, 0.0] for name in makers}
    counts = dict.fromkeys(makers, 0)
    kinds = list(makers)
    for number, start in enumerate(range(0, n, ROUND)):
        order = kinds[number % 3 :] + kinds[: number % 3]
        for name in order:
            stop = min(start + ROUND, n if name != "naive" else naive_n)
            if stop <= start:
                continue
            make = makers[name]
            t_create, made = timed(
                lambda make=make, start=start, stop=stop: [make(i) for i in range(start, stop)]
            )
            t_act, _ = timed(lambda made=made, name=name: drivers[name](made))
            assert all(c.status is PDCStatus.OPEN for c in made)
            spent[name][0] += t_create
            spent[name][1] += t_act
            counts[name] += stop - start
    sizes = {"casekit": min(n, 20_000), "naive": min(naive_n, 2_000), "bare static": 20_000}
    return {
        name: {
            "create_us": spent[name][0] / counts[name] * 1e6,
            "action_us": spent[name][1] / (counts[name] * len(PATH)) * 1e6,
            "bytes": bytes_per_case(makers[name], min(sizes[name], n)),
        }
        for name in makers
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 cases instead of 100,000")
    parser.add_argument(
        "--gc-paused", action="store_true", help="pause the cyclic GC while timing (as timeit)"
    )
    args = parser.parse_args()
    global GC_PAUSED  # noqa: PLW0603  a script-level switch
    GC_PAUSED = args.gc_paused
    n, naive_n = (10_000, 10_000) if args.quick else (100_000, 100_000)

    results = run(n, naive_n)
    print(f"lifecycles: {n:,} PDCs each way, path {' → '.join(PATH)}")
    print(f"cyclic GC {'paused while timing (as timeit does)' if GC_PAUSED else 'running'}")
    print(f"{'':14}{'µs/creation':>14}{'µs/action':>12}{'bytes/case':>12}")
    for name, r in results.items():
        print(f"{name:14}{r['create_us']:14.2f}{r['action_us']:12.2f}{r['bytes']:12.0f}")
    ck, naive, bare = results["casekit"], results["naive"], results["bare static"]
    creation = naive["create_us"] / ck["create_us"]
    memory = naive["bytes"] / ck["bytes"]
    action = ck["action_us"] / bare["action_us"]
    print()
    print(
        f"creation: casekit is {creation:,.0f}× cheaper than naive (target ≥ 100×) "
        f"{'met' if creation >= 100 else 'MISSED'}"
    )
    print(
        f"memory:   casekit is {memory:,.0f}× smaller than naive (target ≥ 50×) "
        f"{'met' if memory >= 50 else 'MISSED'}"
    )
    print(
        f"action:   casekit costs {action:.2f}× the bare static trigger (target ≤ 1.3×) "
        f"{'met' if action <= 1.3 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
