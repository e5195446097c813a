"""The Awaiting Assignment queue, grouped by the skills items need.

Items are kept in one sorted list per set of required skill names, ordered by the service
order: effective priority (Urgent first), then original age, then submission order. When an
agent gains room the router looks only at the groups whose skills the agent holds, and at the
head of each; that is what makes work-conserving routing cheap when the queue is long.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime

from sortedcontainers import SortedList  # type: ignore[import-untyped]  # ships no stubs

__all__ = ["AwaitingQueue", "QueueKey"]

QueueKey = tuple[int, datetime, int, str]
"""``(-priority rank, original age, submission seq, item id)``: smaller is served first."""


class AwaitingQueue:
    """Queued items by group of required skill names.

    `add` and `remove` cost O(log q) for ``q`` items in the item's group;
    `ordered` merges the groups lazily, O(q log g) for the whole walk.
    """

    __slots__ = ("_groups", "_size")

    def __init__(self) -> None:
        self._groups: dict[frozenset[str], SortedList] = {}
        self._size = 0

    def add(self, group: frozenset[str], key: QueueKey) -> None:
        """Queue an item. O(log q)."""
        entries = self._groups.get(group)
        if entries is None:
            entries = self._groups[group] = SortedList()
        entries.add(key)
        self._size += 1

    def remove(self, group: frozenset[str], key: QueueKey) -> None:
        """Take an item off the queue. O(log q)."""
        entries = self._groups[group]
        entries.remove(key)
        self._size -= 1
        if not entries:
            del self._groups[group]

    def groups_within(self, skills: frozenset[str]) -> Iterator[SortedList]:
        """Yield the groups whose required skill names are all in ``skills``. O(g)."""
        for group, entries in self._groups.items():
            if group <= skills:
                yield entries

    def ordered(self) -> Iterator[QueueKey]:
        """Every queued item's key, in service order."""
        return heapq.merge(*self._groups.values())

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0
