"""Case priority, shared by cases, routing and worklists."""

from __future__ import annotations

import enum

__all__ = ["Priority"]


class Priority(enum.StrEnum):
    """How urgent a case is; routing offers higher ranks first.

    The values are the display names. Compare priorities by [`rank`][]
    (Low 0 … Urgent 3), or with ``<``: ``Priority.LOW < Priority.URGENT``.
    """

    LOW = "Low"
    NORMAL = "Normal"
    HIGH = "High"
    URGENT = "Urgent"

    @property
    def rank(self) -> int:
        """0 for Low up to 3 for Urgent."""
        return _RANKS[self]

    def raised(self, steps: int = 1) -> Priority:
        """Return the priority ``steps`` ranks higher, capped at Urgent."""
        return _BY_RANK[min(self.rank + steps, 3)]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.rank >= other.rank


_RANKS = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}
_BY_RANK = {rank: priority for priority, rank in _RANKS.items()}
