"""Deadlines the router keeps: offer timeouts, offline grace, decline cool-downs, aging."""

from __future__ import annotations

import enum
import heapq
from collections.abc import Iterator
from datetime import datetime

__all__ = ["TimerKind", "Timers"]


class TimerKind(enum.IntEnum):
    """What a deadline is for."""

    OFFER_TIMEOUT = 0
    OFFLINE_GRACE = 1
    COOLDOWN_END = 2
    AGING = 3


Timer = tuple[datetime, int, TimerKind, str, int, str]
"""``(at, seq, kind, subject id, token, other id)``."""


class Timers:
    """A heap of deadlines with lazy cancellation.

    A timer carries a token; the router ignores a timer whose token no longer matches the
    subject's (an offer accepted before its deadline, an agent back before its grace ends), so
    nothing is ever removed from the middle of the heap. :meth:`push` and each step of
    :meth:`due` cost O(log t) for ``t`` pending timers.
    """

    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._seq = 0

    def push(
        self, at: datetime, kind: TimerKind, subject: str, token: int, other: str = ""
    ) -> None:
        """Schedule a deadline."""
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, subject, token, other))

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
