"""Retrying a unit of work that lost a race with another transaction.

A [`ConcurrencyConflict`][] means nothing was written: a deadlock or a
serialization failure on PostgreSQL, SQLite still locked by another writer after its busy
timeout, or a case saved over a newer version. Running the whole unit of work again (reading
afresh what it changes) is safe; [`retrying`][] does that a few times, waiting a little
longer, with jitter, after each conflict.

Example::

    from casekit.storage import retrying

    def approve(uow):
        case = uow.cases.get("PDC-17")  # read inside the unit of work: fresh on each try
        case.perform("approve", actor="boss")
        uow.cases.save(case)
        return case

    case = retrying(storage, approve)
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from casekit.checks import check_int
from casekit.errors import ConcurrencyConflict, ValidationError

if TYPE_CHECKING:
    from casekit.storage.unit_of_work import Storage, UnitOfWork

__all__ = ["retrying"]

T = TypeVar("T")

_log = logging.getLogger(__name__)
_BASE_DELAY = 0.005  # seconds before the second try; doubled before each later one
_MAX_DELAY = 0.5
_sleep = time.sleep  # replaced in tests
_random = random.Random()  # jitter, not security


def retrying(storage: Storage, fn: Callable[[UnitOfWork], T], *, attempts: int = 5) -> T:
    """Run ``fn(uow)`` in a fresh unit of work and commit, retrying on conflicts.

    Each try opens a new unit of work, calls ``fn`` with it and commits. If the try raises
    [`ConcurrencyConflict`][] (from ``fn`` or from the commit), the unit
    of work is rolled back (nothing of it was written), and after a short, jittered,
    growing pause (up to 0.5 s) ``fn`` runs again in a new one, up to ``attempts`` tries in
    all. ``fn`` must therefore read what it changes through ``uow``, not reuse objects read
    before, and must not have effects outside the unit of work.

    Args:
        storage: The storage to open units of work on.
        fn: The work; its return value is returned after the commit.
        attempts: How many tries at most (>= 1).

    Returns:
        What ``fn`` returned in the try that committed.

    Raises:
        ValidationError: ``attempts`` is not an int >= 1 or ``fn`` is not callable.
        ConcurrencyConflict: Every try conflicted; the last conflict is raised.
    """
    attempts = check_int(attempts, what="retrying attempts", minimum=1)
    if not callable(fn):
        raise ValidationError(f"retrying needs a function of a unit of work, got {fn!r:.80}")
    for attempt in range(1, attempts + 1):
        try:
            with storage.unit_of_work() as uow:
                result = fn(uow)
                uow.commit()
                return result
        except ConcurrencyConflict as conflict:
            if attempt == attempts:
                raise
            delay = min(_MAX_DELAY, _BASE_DELAY * 2 ** (attempt - 1))
            delay *= 0.5 + _random.random()
            _log.info(
                "unit of work conflicted (try %d of %d), retrying in %.3f s: %s",
                attempt,
                attempts,
                delay,
                conflict,
            )
            _sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
