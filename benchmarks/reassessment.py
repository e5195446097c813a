"""Reassessment benchmark: casekit's reassessment against a pandas merge/groupby reference.

Sets up N product delivery cases (default 10,000), each paid 24 monthly cover periods
(January 2024 – December 2025) × 3 components (basic, housing, child), then an evidence
change affecting the last 3 months of each: from 16 October 2025 the basic rate drops by a
tenth, and from 1 November 2025 the child component stops. Each case has its own rates.

Both implementations compute the same diff: the first day the old and new determinations
differ, the reassessment period from there to the last paid cover period, what the new
determinations say was due per cover period × component (rate × days ÷ days in the cover
period, rounded once, half-even, in integer cents), paid and earlier corrections, the
correction per line and the net per case. The results are compared case by case.

Printed:

* (a) the median time to reassess one case: casekit's pure ``reassess`` on one case's
  ledger, and the pandas reference on that one case's frames (sampled cases);
* (b) bulk cases per second: casekit case by case over every case; pandas once over the
  frames of every case (merge/groupby over all of them at once); the best of 3 runs each;
* the ratios (target: one case ≥ 20× faster than pandas; bulk at least as fast).

Times are process CPU time (``time.process_time``), so that other work on a shared machine
does not count against either implementation. Setup (building ledgers and frames) is not
timed. pandas is a benchmark-only dependency
(the ``bench`` extra).

Usage: ``python benchmarks/reassessment.py [--quick] [--cases N] [--samples S]``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from datetime import date
from decimal import Decimal

from casekit.errors import MissingExtra
from casekit.financials import (
    Decision,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    Ledger,
    Nominees,
    Period,
    Reassessment,
    build_schedule,
    reassess,
)
from casekit.money import Money

try:
    import numpy as np
    import pandas as pd
except ImportError as error:  # pragma: no cover - depends on the environment
    raise MissingExtra(
        "benchmarks/reassessment.py needs pandas: pip install 'casekit[bench]'"
    ) from error

CURRENCY = "EUR"
START = date(2024, 1, 1)
END = date(2025, 12, 31)
BASIC_CHANGE = date(2025, 10, 16)
CHILD_STOP = date(2025, 11, 1)
COMPONENTS = ("basic", "child", "housing")
PATTERN = DeliveryPattern.monthly(1)


def rates_for(i: int) -> dict[str, Decimal]:
    return {
        "basic": Decimal(60000 + (i % 97) * 37) / 100,
        "housing": Decimal(20000 + (i % 31) * 11) / 100,
        "child": Decimal(15037 + (i % 13) * 5) / 100,
    }


def money(rates: dict[str, Decimal]) -> dict[str, Money]:
    return {name: Money(rate, CURRENCY) for name, rate in rates.items()}


def determinations(i: int) -> tuple[DeterminationSet, DeterminationSet]:
    rates = rates_for(i)
    changed = dict(rates, basic=(rates["basic"] * Decimal("0.9")).quantize(Decimal("0.01")))
    old = DeterminationSet([Decision(Period(START, END), True, money(rates))], CURRENCY)
    without_child = {k: v for k, v in changed.items() if k != "child"}
    new = DeterminationSet(
        [
            Decision(Period(START, date(2025, 10, 15)), True, money(rates)),
            Decision(Period(BASIC_CHANGE, date(2025, 10, 31)), True, money(changed)),
            Decision(Period(CHILD_STOP, END), True, money(without_child)),
        ],
        CURRENCY,
    )
    return old, new


class CaseData:
    __slots__ = ("case_id", "ledger", "new", "nominees", "old")

    def __init__(self, i: int) -> None:
        self.case_id = f"PDC-{i}"
        old, new = determinations(i)
        self.old = Entitlement(old)
        self.new = Entitlement(new)
        self.nominees = Nominees(f"client-{i}")
        self.ledger = Ledger(CURRENCY)
        for line in build_schedule(old, PATTERN, self.nominees, Period(START, END)):
            self.ledger.record_paid(line, reference="issued")


def casekit_one(case: CaseData) -> Reassessment:
    return reassess(
        case.case_id,
        old=case.old,
        new=case.new,
        ledger=case.ledger,
        pattern=PATTERN,
        nominees=case.nominees,
    )


# ----- the pandas reference ----------------------------------------------------------------
def frames(cases: list[CaseData]) -> dict[str, pd.DataFrame]:
    """Paid lines and old/new rate segments of the cases, as integer-cent frames."""
    paid_rows = []
    for case in cases:
        for entry in case.ledger:
            paid_rows.append(
                (
                    case.case_id,
                    entry.cover.start.toordinal(),
                    entry.cover.end.toordinal(),
                    entry.component,
                    entry.nominee,
                    entry.amount.to_minor(),
                )
            )
    paid = pd.DataFrame(
        paid_rows, columns=["case", "cover_from", "cover_to", "component", "nominee", "paid"]
    )
    paid["earlier"] = 0

    def segments(which: str) -> pd.DataFrame:
        rows = []
        for case in cases:
            entitlement = getattr(case, which)
            for decision in entitlement.determinations.decisions:
                for component, rate in decision.rates:
                    rows.append(
                        (
                            case.case_id,
                            component,
                            decision.period.start.toordinal(),
                            decision.period.end.toordinal(),
                            rate.to_minor(),
                        )
                    )
        return pd.DataFrame(rows, columns=["case", "component", "start", "end", "rate"])

    return {"paid": paid, "old": segments("old"), "new": segments("new")}


def first_difference(old: pd.DataFrame, new: pd.DataFrame) -> pd.Series:
    """Per case: the first day (ordinal) the old and new rate segments differ.

    Segments are matched on their first day: a segment only one side has, or with another
    rate, differs from its first day; the same rate ending on different days differs from
    the day after the earlier end.
    """
    both = old.merge(new, on=["case", "component", "start"], how="outer", suffixes=("_o", "_n"))
    same_rate = both["rate_o"] == both["rate_n"]
    diff_day = np.where(same_rate, np.minimum(both["end_o"], both["end_n"]) + 1, both["start"])
    differs = ~same_rate | (both["end_o"] != both["end_n"])
    changed = both.assign(day=diff_day)[differs]
    return changed.groupby("case")["day"].min().rename("since")


def pandas_diff(f: dict[str, pd.DataFrame]) -> pd.Series:
    """The net correction per case (integer cents), by merge/groupby."""
    since = first_difference(f["old"], f["new"])
    paid = f["paid"].merge(since, left_on="case", right_index=True)
    until = paid.groupby("case")["cover_to"].transform("max")
    in_window = paid[(paid["cover_to"] >= paid["since"]) & (paid["cover_from"] <= until)]
    covers = in_window[["case", "cover_from", "cover_to", "nominee"]].drop_duplicates()
    pieces = covers.merge(f["new"], on="case")
    first = np.maximum(pieces["cover_from"], pieces["start"])
    last = np.minimum(pieces["cover_to"], pieces["end"])
    pieces = pieces.assign(days=(last - first + 1).clip(lower=0))
    pieces = pieces.assign(weighted=pieces["rate"] * pieces["days"])
    keys = ["case", "cover_from", "cover_to", "component", "nominee"]
    due = pieces.groupby(keys, as_index=False)["weighted"].sum()
    length = due["cover_to"] - due["cover_from"] + 1
    quotient, remainder = np.divmod(due["weighted"].to_numpy(), length.to_numpy())
    twice = 2 * remainder
    up = (twice > length.to_numpy()) | ((twice == length.to_numpy()) & (quotient % 2 == 1))
    due = due.assign(due=quotient + up.astype("int64"))[[*keys, "due"]]
    lines = due.merge(in_window[[*keys, "paid", "earlier"]], on=keys, how="outer").fillna(0)
    lines["correction"] = lines["due"] - lines["paid"] - lines["earlier"]
    return lines.groupby("case")["correction"].sum().astype("int64")


def timed(fn: object, *args: object) -> float:
    """CPU time of one call: on a shared machine, time spent descheduled is not counted."""
    started = time.process_time()
    fn(*args)  # type: ignore[operator]
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 cases, fewer samples")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--samples", type=int, default=None)
    args = parser.parse_args()
    n = args.cases or (1_000 if args.quick else 10_000)
    samples = args.samples or (30 if args.quick else 100)

    print(f"setting up {n:,} cases × 24 monthly cover periods × 3 components ...")
    started = time.perf_counter()
    cases = [CaseData(i) for i in range(n)]
    all_frames = frames(cases)
    step = max(n // samples, 1)
    sample = cases[::step][:samples]
    one_frames = [frames([case]) for case in sample]
    print(f"  set up in {time.perf_counter() - started:.1f} s (not timed below)")

    # Same diff: casekit's net per case equals the pandas reference's.
    reference = pandas_diff(all_frames)
    results = [casekit_one(case) for case in cases]
    mismatches = sum(1 for r in results if r.net.to_minor() != int(reference.get(r.case_id, 0)))
    if mismatches:
        raise SystemExit(f"casekit and pandas disagree on {mismatches} cases")
    print(
        f"  both agree on every case's net correction (e.g. {results[0].case_id}: "
        f"{results[0].outcome.value} {results[0].net})"
    )

    # The set-up data (720,000 ledger entries at full size) is long-lived: move it out of
    # the collector's generations, as a long-running service would after loading, so that
    # neither implementation pays for re-scanning it.
    gc.collect()
    gc.freeze()
    # (a) one case
    casekit_times = [timed(casekit_one, case) for case in sample for _ in range(5)]
    pandas_times = [timed(pandas_diff, f) for f in one_frames]
    one_casekit = statistics.median(casekit_times)
    one_pandas = statistics.median(pandas_times)
    # (b) bulk: the best of a few runs each, as timeit does, since the machine may be busy
    bulk_casekit = min(timed(lambda: [casekit_one(case) for case in cases]) for _ in range(3))
    bulk_pandas = min(timed(pandas_diff, all_frames) for _ in range(3))

    print()
    print("(a) median time to reassess one case")
    print(f"    casekit  {one_casekit * 1e6:10.1f} µs")
    print(f"    pandas   {one_pandas * 1e6:10.1f} µs")
    print(f"    ratio    {one_pandas / one_casekit:10.1f}× faster (target ≥ 20×)")
    print(f"(b) bulk, {n:,} cases")
    print(f"    casekit  {n / bulk_casekit:10,.0f} cases/s ({bulk_casekit:.2f} s)")
    print(f"    pandas   {n / bulk_pandas:10,.0f} cases/s ({bulk_pandas:.2f} s)")
    print(f"    ratio    {bulk_pandas / bulk_casekit:10.2f}× (target ≥ 1×)")


if __name__ == "__main__":
    main()
