"""Sorted load indexes: the agents who may be offered work, per skill, best first.

An agent is in the index while it is Available and has room (load below capacity). Its key is
``(rank, agent_id, grades)``. ``rank`` orders by the policy's score, then the agent offered
work longest ago: for integer scores (the built-in policies) it is one packed integer,
``score << 42 | last_offer_seq``, so most comparisons are a single integer compare; for other
scores it is the tuple ``(score, last_offer_seq)``. Then the id — exactly the router's order
of preference, so the first eligible agent met in a walk of an index is the best one. Ids are
unique, so comparisons never reach ``grades``: a bit mask of the agent's skills, one bit per
``(name, level)`` for every level up to the one held. An item's requirement is the mask of its
``(name, minimum level)`` bits, so "holds every required skill at its minimum level" is
``grades & need == need``, which :func:`holding` runs over the index in C, without a
Python-level loop (about 0.1 µs per agent passed over).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import compress
from operator import itemgetter
from typing import Any

from sortedcontainers import SortedList  # type: ignore[import-untyped]  # ships no stubs

__all__ = ["AgentIndex", "IndexKey", "holding"]

IndexKey = tuple[Any, str, int]
"""``(rank, agent_id, grades)``."""

_GRADES = itemgetter(2)
SEQ_BITS = 42
"""Offer sequence numbers below 2**42 pack under an integer score in one rank."""


def holding(entries: Iterable[IndexKey], need: int) -> Iterator[IndexKey]:
    """Yield, in order, the keys of agents whose grades cover the ``need`` mask.

    The filter runs in C (``compress`` over ``need.__eq__(need & grades)``).
    """
    if not need:
        return iter(entries)
    return compress(entries, map(need.__eq__, map(need.__and__, map(_GRADES, entries))))


_EMPTY: SortedList = SortedList()


class AgentIndex:
    """One sorted list of keys per skill, and one of every agent once an item needs no skill.

    With ``s`` skills per agent and ``n`` indexed agents, :meth:`insert` and :meth:`remove`
    cost O(s log n); :meth:`pool` is O(r) for an item needing ``r`` skills.
    """

    __slots__ = ("_bits", "_by_skill", "_everyone", "_keys")

    def __init__(self) -> None:
        self._by_skill: dict[str, SortedList] = {}
        self._keys: dict[str, IndexKey] = {}
        self._everyone: SortedList | None = None
        self._bits: dict[tuple[str, int], int] = {}

    def _bit(self, name: str, level: int) -> int:
        bit = self._bits.get((name, level))
        if bit is None:
            bit = self._bits[(name, level)] = 1 << len(self._bits)
        return bit

    def grades(self, skills: Mapping[str, int]) -> int:
        """An agent's skills as a mask: one bit per (name, level) up to each level held."""
        mask = 0
        for name, top in skills.items():
            for level in range(1, top + 1):
                mask |= self._bit(name, level)
        return mask

    def need(self, skills: Mapping[str, int]) -> int:
        """An item's requirement as a mask: one bit per (name, minimum level)."""
        mask = 0
        for name, level in skills.items():
            mask |= self._bit(name, level)
        return mask

    def insert(self, key: IndexKey, skills: Iterable[str]) -> None:
        """Index an agent under each of its skills. O(s log n)."""
        self._keys[key[1]] = key
        if self._everyone is not None:
            self._everyone.add(key)
        by_skill = self._by_skill
        for skill in skills:
            entries = by_skill.get(skill)
            if entries is None:
                entries = by_skill[skill] = SortedList()
            entries.add(key)

    def remove(self, key: IndexKey, skills: Iterable[str]) -> None:
        """Remove an indexed agent. O(s log n)."""
        del self._keys[key[1]]
        if self._everyone is not None:
            self._everyone.remove(key)
        by_skill = self._by_skill
        for skill in skills:
            by_skill[skill].remove(key)

    def pool(self, required: Mapping[str, int]) -> SortedList:
        """Return the smallest index that every agent eligible for ``required`` is in. O(r).

        The index of the item's rarest required skill (or of every agent when the item needs
        no skill). Walk it in order and test each agent's other skills.
        """
        if not required:
            if self._everyone is None:  # first item needing no skill: O(n log n), once
                self._everyone = SortedList(self._keys.values())
            return self._everyone
        best: SortedList | None = None
        by_skill = self._by_skill
        for skill in required:
            entries = by_skill.get(skill)
            if not entries:
                return _EMPTY
            if best is None or len(entries) < len(best):
                best = entries
        return best

    def __len__(self) -> int:
        return len(self._keys)
