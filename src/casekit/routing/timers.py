"""Deadlines the router keeps: offer timeouts, offline grace, decline cool-downs, aging."""

from __future__ import annotations

import enum
import heapq
from collections.abc import Callable, Iterator
from datetime import datetime

__all__ = ["TimerKind", "Timers"]


class TimerKind(enum.IntEnum):
    """What a deadline is for."""

    OFFER_TIMEOUT = 0
    OFFLINE_GRACE = 1
    COOLDOWN_END = 2
    AGING = 3


Timer = tuple[datetime, int, int, str, int, str]
"""``(at, seq, kind, subject id, token, other id)``; ``kind`` is a `TimerKind` value.

Only plain values, so the garbage collector stops tracking a timer after its first pass
(a router holds one per pending offer)."""

_SWEEP_MIN = 64


class Timers:
    """A heap of deadlines with lazy cancellation.

    A timer carries a token; the router ignores a timer whose token no longer matches the
    subject's (an offer accepted before its deadline, an agent back before its grace ends), so
    nothing is removed from the middle of the heap one by one. Instead the router reports each
    timer it made pointless (`cancelled`), and once those are more than half the heap
    the dead ones are swept out in one pass, so the heap stays within twice the live timers
    however many offers are answered before their deadline. `push` and each step of
    `due` cost O(log t) for ``t`` timers in the heap; `cancelled` is amortized
    O(1).
    """

    __slots__ = ("_cancelled", "_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._seq = 0
        self._cancelled = 0

    def push(
        self, at: datetime, kind: TimerKind, subject: str, token: int, other: str = ""
    ) -> None:
        """Schedule a deadline."""
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, int(kind), subject, token, other))

    def cancelled(self, is_live: Callable[[Timer], bool]) -> None:
        """Note that a timer in the heap no longer matters; sweep when most are dead.

        A sweep keeps the timers ``is_live`` accepts and re-heapifies them: O(t), after at
        least ``t / 2`` calls, so amortized O(1) per call. Reporting a timer that was never
        pushed only brings a sweep forward.
        """
        self._cancelled += 1
        if self._cancelled > _SWEEP_MIN and 2 * self._cancelled > len(self._heap):
            self._heap = [timer for timer in self._heap if is_live(timer)]
            heapq.heapify(self._heap)
            self._cancelled = 0

    def due(self, now: datetime) -> Iterator[Timer]:
        """Pop and yield every timer due at or before ``now``, earliest first.

        Timers pushed while iterating are included if they are due.
        """
        heap = self._heap
        while heap and heap[0][0] <= now:
            yield heapq.heappop(heap)

    def next_at(self) -> datetime | None:
        """The earliest pending deadline (possibly a cancelled one), if any."""
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
