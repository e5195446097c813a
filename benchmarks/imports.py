"""Import-time benchmark: what ``import casekit.routing`` costs against a bare interpreter.

Starts a fresh interpreter per run (``python -c ...``) and takes the wall time of the whole
process, for: the bare interpreter (``pass``, the floor), ``import attrs`` (the one
third-party library the routing and storage modules build on), ``import casekit``,
``import casekit.routing`` and ``import casekit.storage``; and for scale two that load real
work: ``from casekit.storage import SQLiteStorage`` (an adapter, which stores cases and so
loads the case types) and ``from casekit import ProductDeliveryCase`` (the case and
lifecycle stack). Runs are interleaved, the order rotating every round, so load on the
machine falls on all alike.
Prints the median milliseconds and the ratio to the bare interpreter; the target of
issue #18 is at most 3× for ``casekit.routing`` and ``casekit.storage``.

Usage: ``python benchmarks/imports.py [--rounds 40]`` (with ``src`` on ``PYTHONPATH`` or
casekit installed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

SUBJECTS = {
    "bare interpreter (floor)": "pass",
    "import attrs": "import attrs",
    "import casekit": "import casekit",
    "import casekit.routing": "import casekit.routing",
    "import casekit.storage": "import casekit.storage",
    "from casekit.storage import SQLiteStorage": "from casekit.storage import SQLiteStorage",
    "from casekit import ProductDeliveryCase": "from casekit import ProductDeliveryCase",
}
TARGET = 3.0


def run_once(code: str) -> float:
    """Seconds of wall time for one fresh interpreter running ``code``."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="runs of each subject")
    args = parser.parse_args()

    names = list(SUBJECTS)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm the file system cache and the bytecode caches
        run_once(SUBJECTS[name])
    for round_ in range(args.rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(run_once(SUBJECTS[name]))

    floor = statistics.median(times[names[0]])
    print(f"{args.rounds} interleaved runs each, median wall time of a fresh interpreter")
    for name in names:
        median = statistics.median(times[name])
        print(f"  {name:<42} {median * 1000:7.1f} ms  {median / floor:5.2f}× bare")
    for name in ("import casekit.routing", "import casekit.storage"):
        ratio = statistics.median(times[name]) / floor
        verdict = "meets" if ratio <= TARGET else "misses"
        print(f"{name}: {ratio:.2f}× the bare interpreter ({verdict} the {TARGET:g}× target)")


if __name__ == "__main__":
    main()
