"""Sorted load indexes: the agents who may be offered work, per skill, best first.

An agent is in the index while it is Available and has room (load below capacity). Its key is
``(score, last_offer_seq, agent_id, grades)``: the policy's score, then the agent offered work
longest ago, then the id — exactly the router's order of preference, so the first eligible
agent met in a walk of an index is the best one. Ids are unique, so comparisons never reach
``grades``: the agent's skills as ``(name, level)`` pairs for every level up to the one held,
which turns "holds every required skill at its minimum level" into one C-level subset test
(:func:`holding`), run over the index without a Python-level loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import compress
from operator import itemgetter
from typing import Any

from sortedcontainers import SortedList  # type: ignore[import-untyped]  # ships no stubs

__all__ = ["AgentIndex", "IndexKey", "grades", "holding", "needs"]

Grades = frozenset[tuple[str, int]]

IndexKey = tuple[Any, int, str, Grades]
"""``(score, last_offer_seq, agent_id, grades)``."""

_GRADES = itemgetter(3)


def grades(skills: Mapping[str, int]) -> Grades:
    """An agent's skills as ``(name, level)`` for every level from 1 to the level held."""
    return frozenset((name, level) for name, top in skills.items() for level in range(1, top + 1))


def needs(skills: Mapping[str, int]) -> Grades:
    """An item's requirements as ``(name, minimum level)`` pairs."""
    return frozenset(skills.items())


def holding(entries: Iterable[IndexKey], required: Grades) -> Iterator[IndexKey]:
    """Yield, in order, the keys of agents holding every required grade.

    The filter runs in C (``compress`` over ``required.issubset``), about 50 ns per agent
    passed over.
    """
    if not required:
        return iter(entries)
    return compress(entries, map(required.issubset, map(_GRADES, entries)))


_EMPTY: SortedList = SortedList()


class AgentIndex:
    """One sorted list of keys per skill, plus one of every indexed agent.

    With ``s`` skills per agent and ``n`` indexed agents, :meth:`insert` and :meth:`remove`
    cost O(s log n); :meth:`pool` is O(r) for an item needing ``r`` skills.
    """

    __slots__ = ("_by_skill", "_everyone")

    def __init__(self) -> None:
        self._by_skill: dict[str, SortedList] = {}
        self._everyone: SortedList = SortedList()

    def insert(self, key: IndexKey, skills: Iterable[str]) -> None:
        """Index an agent under each of its skills. O(s log n)."""
        self._everyone.add(key)
        by_skill = self._by_skill
        for skill in skills:
            entries = by_skill.get(skill)
            if entries is None:
                entries = by_skill[skill] = SortedList()
            entries.add(key)

    def remove(self, key: IndexKey, skills: Iterable[str]) -> None:
        """Remove an indexed agent. O(s log n)."""
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
        return len(self._everyone)

    def __iter__(self) -> Any:
        return iter(self._everyone)
