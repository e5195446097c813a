"""Worklist benchmark: build all worklists, then keep them current incrementally vs rebuilding.

Sets up W workers × 350 clients (default 100 × 350 = 35,000 clients) on a US-CA business
calendar with the default SLA policies, and replays a year of outreach: every client enters
the caseload, is called every 20–60 days (40 % successful contacts), a few get high-risk
events or go unengaged, and breaches are checked every morning. Then it prints:

* the time to build every worklist from scratch (``Worklists.build`` over all open items);
* the time to process E contact events (default 10,000) through ``Caseload.log_outreach``
  (policy evaluation, outreach log, O(log n) sorted-list upkeep), and the upkeep alone
  (the same changes applied to a mirror ``Worklists``);
* the same events with a rebuild after each instead, two ways: **all** worklists rebuilt
  (``Worklists.build``; what the issue's target refers to; timed on a sample of events, as
  10,000 full rebuilds would take minutes) and only **the affected worker's** list re-sorted
  (the cheapest rebuild a non-incremental design could do, timed on every event).

Ratios are given against the upkeep alone and, conservatively, against the whole event
processing.

The cyclic GC runs as in production; ``--gc-paused`` times with it paused, as ``timeit``
does (the year's replay, untimed by the comparison, always runs with it).

Then (or alone, with ``--pauses-only``) it times **due dates with pauses**: ``SlaClock.due``
over C clocks (default 2,000: business-day windows of 1–20 days on a split-shift London
calendar, 0–6 holds from minutes to days each) against a reference that walks the calendar day
by day (the window's business days, then each day's shifts minus the holds, until the
window's business time is used). Both run in the same process in interleaved rounds
(alternating which goes first); every due date is checked equal; it prints due dates per
second, the baseline's, the ratio and a floor (a figure to notice falling below, not an
assertion).

Then (or alone, with ``--status-only``) it times **a status change through a caseload with
pauses on vs off**: ``Caseload.record`` of S status-change events (default 10,000: 500
clients with two event-anchored clocks each, business-day and hour windows on the same
calendar, their case moving between "Awaiting client" and "In progress" every 15 minutes to 2
days) on a caseload with ``pause_rule`` and on one without (which ignores the statuses). Each
round replays the same events on two fresh caseloads, alternating which goes first; it prints
µs per event both ways and the ratio. No target: the ratio is what pausing costs.

Usage: ``python benchmarks/worklists.py [--quick] [--gc-paused] [--workers W] [--events E]
[--pauses-only] [--clocks C] [--rounds R] [--status-only] [--status-events S]``.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time

from casekit.clock import ManualClock
from casekit.errors import MissingExtra
from casekit.worklists import (
    CATEGORY_1,
    BusinessCalendar,
    Caseload,
    DueWindow,
    Outcome,
    Pause,
    PauseRule,
    PolicySet,
    Signal,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    WorkItem,
    Worklists,
)

CLIENTS_PER_WORKER = 350
YEAR_START = datetime(2026, 1, 5, 16, tzinfo=UTC)  # a Monday, 08:00 in California
ATTEMPTS = [o for o in Outcome if not o.successful]


def order_key(item: WorkItem) -> tuple[int, datetime, datetime, str, str]:
    return (item.category.rank, item.due, item.opened_at, item.client_id, item.policy.name)


def age_key(item: WorkItem) -> tuple[datetime, str, str]:
    return (item.opened_at, item.client_id, item.policy.name)


def rebuild_worker(items: list[WorkItem]) -> tuple[list[WorkItem], list[WorkItem]]:
    """A worker's list rebuilt from scratch: both orders, re-sorted."""
    return sorted(items, key=order_key), sorted(items, key=age_key)


def year_of_events(clients: list[str], rng: random.Random) -> list[tuple[datetime, int, str, str]]:
    """(at, seq, what, client): entries, calls, a few high-risk events and disengagements."""
    events: list[tuple[datetime, int, str, str]] = []
    seq = 0
    for client in clients:
        at = YEAR_START + timedelta(minutes=rng.randrange(60 * 24 * 60))
        events.append((at, seq, Signal.ENTERED_CASELOAD, client))
        seq += 1
        if rng.random() < 0.05:
            hre = at + timedelta(days=rng.randrange(300))
            events.append((hre, seq, Signal.HIGH_RISK_EVENT, client))
            seq += 1
        if rng.random() < 0.1:
            events.append((at + timedelta(days=rng.randrange(100, 300)), seq, "unengaged", client))
            seq += 1
        while True:
            at += timedelta(days=rng.randrange(20, 60), minutes=rng.randrange(480))
            if at >= YEAR_START + timedelta(days=365):
                break
            events.append((at, seq, "call", client))
            seq += 1
    events.sort()
    return events


def setup(workers: int, rng: random.Random) -> tuple[Caseload, ManualClock, float, int]:
    try:
        calendar = BusinessCalendar.from_holidays_package(
            "US", subdiv="CA", tz="America/Los_Angeles", years=range(2025, 2029)
        )
    except MissingExtra:
        print("(the holidays package is not installed: a calendar without holidays is used)")
        calendar = BusinessCalendar("America/Los_Angeles")
    clock = ManualClock(YEAR_START - timedelta(days=1))
    load = Caseload(calendar=calendar, clock=clock)
    clients = [f"C{w:03d}-{c:03d}" for w in range(workers) for c in range(CLIENTS_PER_WORKER)]
    for client in clients:
        load.assign(client, f"W{client[1:4]}")
    events = year_of_events(clients, rng)
    next_check = YEAR_START
    started = time.perf_counter()
    for at, _, what, client in events:
        while next_check <= at:
            clock.set(next_check)
            load.check_breaches()
            next_check += timedelta(days=1)
        clock.set(at)
        if what == "call":
            successful = rng.random() < 0.4
            load.log_outreach(
                client, Outcome.SUCCESSFUL_CONTACT if successful else rng.choice(ATTEMPTS)
            )
        elif what == "unengaged":
            load.record(SlaEvent(Signal.MARKED_UNENGAGED, client, at))
        else:
            load.record(SlaEvent(what, client, at))
    return load, clock, time.perf_counter() - started, len(events)


# --------------------------------------------------------- due dates with pauses

PAUSES_FLOOR = 5_000
"""Due dates with pauses per second below which something regressed (measured ≈ 14,000/s:
a third of it leaves room for slower machines)."""
SPLIT = {d: [(dt_time(9), dt_time(12)), (dt_time(13), dt_time(17))] for d in range(4)} | {
    4: [(dt_time(9), dt_time(13))]
}


def pause_calendar() -> BusinessCalendar:
    try:
        return BusinessCalendar.from_holidays_package(
            "GB", subdiv="ENG", tz="Europe/London", years=range(2025, 2029), shifts=SPLIT
        )
    except MissingExtra:
        print("(the holidays package is not installed: a calendar without holidays is used)")
        return BusinessCalendar.with_shifts("Europe/London", SPLIT)


def paused_clocks(n: int, rng: random.Random) -> list[SlaClock]:
    rule = PauseRule(statuses={"Awaiting client"})
    policies = [
        SlaPolicy(f"reply-{d}", CATEGORY_1, DueWindow.business_days(d), starts_on="request")
        for d in range(1, 21)
    ]
    clocks = []
    for i in range(n):
        started = YEAR_START + timedelta(minutes=rng.randrange(60 * 24 * 365))
        cursor, pauses = started, []
        for _ in range(rng.randrange(7)):
            begin = cursor + timedelta(minutes=rng.randrange(60 * 24 * 3))
            cursor = begin + timedelta(minutes=rng.randrange(5, 60 * 24 * 4))
            pauses.append(Pause(begin, "Awaiting client", cursor))
        clocks.append(SlaClock(f"C-{i}", rng.choice(policies), started, rule, pauses))
    return clocks


def reference_due(calendar: BusinessCalendar, clock: SlaClock) -> datetime:
    """The baseline: walk the calendar day by day, each day's shifts minus the holds."""
    tz = calendar.tz
    shifts = calendar.shifts or ()
    start = clock.started
    day = start.astimezone(tz).date()
    # The window's end: the close of the n-th business day after the start's date.
    count, last = 0, day
    while count < clock.policy.window.amount:
        last += timedelta(days=1)
        count += calendar.is_business_day(last)
    budget = timedelta(0)  # business time from the start to that close, day by day
    walk = day
    while walk <= last:
        if calendar.is_business_day(walk):
            for shift in shifts[walk.weekday()]:
                lo = datetime.combine(walk, shift.opens, tzinfo=tz).astimezone(UTC)
                hi = datetime.combine(walk, shift.closes, tzinfo=tz).astimezone(UTC)
                budget += max(hi - max(lo, start), ZERO)
        walk += timedelta(days=1)
    holds = [(p.started, p.ended) for p in clock.pauses if p.ended is not None]
    used = timedelta(0)
    while True:  # spend the budget on business time not on hold, day by day
        if calendar.is_business_day(day):
            for shift in shifts[day.weekday()]:
                lo = max(datetime.combine(day, shift.opens, tzinfo=tz).astimezone(UTC), start)
                hi = datetime.combine(day, shift.closes, tzinfo=tz).astimezone(UTC)
                cuts = sorted((max(a, lo), min(b, hi)) for a, b in holds if a < hi and b > lo)
                for a, b in [*cuts, (hi, hi)]:
                    if a > lo:
                        if used + (a - lo) >= budget:
                            return lo + (budget - used)
                        used += a - lo
                    lo = max(lo, b)
        day += timedelta(days=1)


ZERO = timedelta(0)


def bench_pauses(clocks: int, rounds: int, seed: int) -> None:
    calendar = pause_calendar()
    sample = paused_clocks(clocks, random.Random(seed))
    ours = [c.due(calendar) for c in sample]
    assert ours == [reference_due(calendar, c) for c in sample], "the two disagree"
    held = sum(len(c.pauses) for c in sample)
    mine_s = base_s = 0.0
    for r in range(rounds):  # interleaved: alternate which goes first
        order = ("mine", "base") if r % 2 == 0 else ("base", "mine")
        # Fresh clocks every round: a clock remembers what its due date took (D0 and the
        # time held before it), so timing the same objects again would time the memo.
        cold = [SlaClock(c.case_id, c.policy, c.started, c.rule, c.pauses) for c in sample]
        for which in order:
            t0 = time.perf_counter()
            if which == "mine":
                for c in cold:
                    c.due(calendar)
                mine_s += time.perf_counter() - t0
            else:
                for c in sample:
                    reference_due(calendar, c)
                base_s += time.perf_counter() - t0
    done = clocks * rounds
    mine_rate, base_rate = done / mine_s, done / base_s
    print(
        f"due dates with pauses: {clocks:,} clocks ({held:,} holds, 1-20 business days, "
        f"split shifts, England holidays) x {rounds} interleaved rounds"
    )
    print(f"  SlaClock.due: {mine_rate:,.0f} due dates/s ({1e6 / mine_rate:.1f} µs each)")
    print(
        f"  baseline, day-by-day walk: {base_rate:,.0f} due dates/s "
        f"({1e6 / base_rate:.1f} µs each) -> {mine_rate / base_rate:.1f}x"
    )
    verdict = "ok" if mine_rate >= PAUSES_FLOOR else "BELOW THE FLOOR"
    print(f"  floor: {PAUSES_FLOOR:,} due dates/s ({verdict})")


def status_events(
    n: int, clients: int, rng: random.Random
) -> tuple[list[SlaEvent], list[SlaEvent]]:
    """The requests opening two clocks per client, then ``n`` status changes in time order."""
    opened = [
        SlaEvent("request", f"c{i}", YEAR_START + timedelta(minutes=i)) for i in range(clients)
    ]
    cursors = {e.client_id: e.at for e in opened}
    waiting = dict.fromkeys(cursors, False)
    changes = []
    for _ in range(n):
        client = rng.choice(sorted(cursors)) if len(cursors) < 64 else f"c{rng.randrange(clients)}"
        cursors[client] += timedelta(minutes=rng.randrange(15, 60 * 24 * 2))
        waiting[client] = not waiting[client]
        status = "Awaiting client" if waiting[client] else "In progress"
        changes.append(SlaEvent("status_changed", client, cursors[client], status=status))
    return opened, changes


def bench_status_changes(n: int, rounds: int, seed: int) -> None:
    calendar = pause_calendar()
    policies = PolicySet(
        [
            SlaPolicy("reply", CATEGORY_1, DueWindow.business_days(5), starts_on="request"),
            SlaPolicy("callback", CATEGORY_1, DueWindow.hours(48), starts_on="request"),
        ]
    )
    clients = 500
    opened, changes = status_events(n, clients, random.Random(seed))
    rule = PauseRule(statuses={"Awaiting client"})

    def fresh(pause_rule: PauseRule | None) -> Caseload:
        load = Caseload(
            calendar=calendar,
            clock=ManualClock(YEAR_START),
            policies=policies,
            pause_rule=pause_rule,
        )
        for i in range(clients):
            load.assign(f"c{i}", f"w{i % 20}")
        for event in opened:
            load.record(event)
        return load

    spent = {"on": 0.0, "off": 0.0}
    paused = 0
    for r in range(rounds):  # interleaved: alternate which goes first
        for which in ("on", "off") if r % 2 == 0 else ("off", "on"):
            load = fresh(rule if which == "on" else None)
            record = load.record
            t0 = time.perf_counter()
            for event in changes:
                record(event)
            spent[which] += time.perf_counter() - t0
            if which == "on":
                paused = sum(1 for i in load.worklists if i.is_paused)
                holds = sum(len(i.pauses) for i in load.worklists)
    on, off = (spent[k] / (n * rounds) * 1e6 for k in ("on", "off"))
    print(
        f"status changes through Caseload.record: {n:,} events, {clients} clients x 2 clocks, "
        f"{rounds} interleaved rounds; at the end {paused} clocks paused, {holds:,} holds kept"
    )
    print(f"  pauses off (statuses ignored): {off:.1f} µs/event")
    print(f"  pauses on (every clock of the case observes it): {on:.1f} µs/event")
    print(f"  -> pauses on / off: {on / off:.1f}x")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 workers, 1,000 events")
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--full-rebuild-sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--gc-paused", action="store_true", help="pause the cyclic GC while timing (as timeit)"
    )
    parser.add_argument("--pauses-only", action="store_true", help="only due dates with pauses")
    parser.add_argument("--clocks", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--status-only", action="store_true", help="only status changes, pauses on vs off"
    )
    parser.add_argument("--status-events", type=int, default=10_000)
    args = parser.parse_args()
    if args.quick:
        args.workers, args.events, args.full_rebuild_sample = 10, 1_000, 100
        args.clocks, args.rounds, args.status_events = 300, 4, 2_000
    return args


def main() -> None:
    args = parse_args()
    if args.pauses_only:
        bench_pauses(args.clocks, args.rounds, args.seed)
        return
    if args.status_only:
        bench_status_changes(args.status_events, args.rounds, args.seed)
        return
    rng = random.Random(args.seed)

    load, clock, replay_s, replayed = setup(args.workers, rng)
    items = list(load.worklists)
    print(
        f"caseload: {args.workers} workers x {CLIENTS_PER_WORKER} clients = {load.clients:,}; "
        f"a year of {replayed:,} events replayed in {replay_s:.1f} s "
        f"({replay_s / replayed * 1e6:.1f} µs/event); {len(items):,} open items"
    )

    gc.collect()
    if args.gc_paused:
        gc.disable()
    started = time.perf_counter()
    rebuilt = Worklists.build(items)
    build_s = time.perf_counter() - started
    assert len(rebuilt) == len(items)
    print(f"build all worklists from scratch: {build_s * 1e3:.1f} ms")

    # The contact events: random clients called over the following weeks.
    clients = sorted({i.client_id for i in items})
    plan = [
        (rng.choice(clients), rng.random() < 0.4, rng.choice(ATTEMPTS)) for _ in range(args.events)
    ]
    step = timedelta(seconds=20)

    # The upkeep alone, both ways, on mirrors fed the same changes: sorted lists updated in
    # place (what Caseload does) vs the affected worker's list re-sorted from its items.
    mirror = Worklists.build(items)
    by_worker: dict[str, dict[tuple[str, str], WorkItem]] = {}
    for item in items:
        by_worker.setdefault(item.worker_id, {})[item.key] = item
    processing = upkeep = resort = full_rebuild = 0.0
    for n, (client, successful, attempt) in enumerate(plan):
        clock.advance(step)
        outcome = Outcome.SUCCESSFUL_CONTACT if successful else attempt
        t0 = time.perf_counter()
        changes = load.log_outreach(client, outcome)
        t1 = time.perf_counter()
        processing += t1 - t0
        for gone in (*changes.satisfied, *changes.stopped):
            mirror.remove(gone.key)
        for renewed in changes.renewed:
            mirror.replace(renewed)
        for new in changes.started:
            mirror.add(new)
        t2 = time.perf_counter()
        upkeep += t2 - t1
        mine = by_worker.setdefault(load.worker_of(client), {})
        for gone in (*changes.satisfied, *changes.stopped):
            del mine[gone.key]
        for new in (*changes.renewed, *changes.started):
            mine[new.key] = new
        t3 = time.perf_counter()
        rebuild_worker(list(mine.values()))
        resort += time.perf_counter() - t3
        if n < args.full_rebuild_sample:
            t4 = time.perf_counter()
            Worklists.build(list(load.worklists))
            full_rebuild += time.perf_counter() - t4

    # The incremental lists must equal a rebuild at the end.
    final = Worklists.build(list(load.worklists))
    for worker in load.worklists.workers():
        assert list(final.ordered(worker)) == list(load.worklists.ordered(worker))
        assert list(mirror.ordered(worker)) == list(load.worklists.ordered(worker))

    events = args.events
    sample = min(args.full_rebuild_sample, events)
    per = 1e6 / events
    full_us = full_rebuild / sample * 1e6
    print(
        f"{events:,} contact events through Caseload.log_outreach (policies + log + "
        f"incremental upkeep): {processing:.2f} s, {processing * per:.1f} µs/event"
    )
    print(f"  of which worklist upkeep alone (sorted-list updates): {upkeep * per:.1f} µs/event")
    print(
        f"rebuild all worklists after each event: {full_us / 1e3:.1f} ms/event "
        f"(timed on {sample} events; ~{full_us * events / 1e6:.0f} s for {events:,})"
    )
    print(
        f"  -> incremental upkeep is {full_us / (upkeep * per):,.0f}x cheaper "
        f"(whole event processing: {full_us / (processing * per):,.0f}x; target >= 50x)"
    )
    print(f"re-sort only the affected worker's list after each event: {resort * per:.1f} µs/event")
    print(
        f"  -> incremental upkeep is {resort / upkeep:.1f}x cheaper "
        f"(whole event processing: {resort / processing:.1f}x)"
    )
    gc.enable()
    bench_pauses(args.clocks, args.rounds, args.seed)
    bench_status_changes(args.status_events, args.rounds, args.seed)


if __name__ == "__main__":
    main()
