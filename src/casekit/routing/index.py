"""Sorted load indexes: the agents who may be offered work, per skill, best first.

An agent is in the index while it is Available and has room (load below capacity). Its key
orders by ``rank`` (the policy's score, then the agent offered work longest ago), then by id —
exactly the router's order of preference, so the first eligible agent met in a walk of an index
is the best one — and carries the agent's *grades*: a bit mask of its skills, one bit per
``(name, level)`` for every level up to the one held. An item's requirement is the mask of its
``(name, minimum level)`` bits, so "holds every required skill at its minimum level" is
``grades & need == need``, which a walk tests in C, without a Python-level loop.

For integer ranks (the built-in policies: ``score << 42 | last_offer_seq``) a key is one
integer, ``rank | id code | missing grades`` in bit fields from the top, the last being the
complement of the grades, so that "holds every required grade" is ``key & need == 0``, one C
call per agent walked (``filterfalse``). The id code is the id's UTF-8
bytes, each plus one, in 9-bit fields padded with zeros, so integer order is id order (a
shorter id sorts before any longer one it begins). One object per entry is what keeps the walk
and the sorted-list upkeep cheap at 100,000 agents: each comparison or skill test touches one
integer instead of a tuple and the integers it points to. The fields are sized to the widest id
and the number of grade bits seen so far, doubling when outgrown; the index then re-keys
itself (O(n·s log n), a logarithmic number of times over its life).

For other ranks (a custom policy with tuple or float scores) a key is the tuple
``(rank, agent_id, grades)``; ids are unique, so comparisons never reach ``grades``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import compress, filterfalse
from operator import itemgetter
from typing import Any

from sortedcontainers import SortedList  # type: ignore[import-untyped]  # ships no stubs

from casekit.errors import ValidationError

__all__ = ["SEQ_BITS", "AgentIndex"]

SEQ_BITS = 42
"""Offer sequence numbers below 2**42 pack under an integer score in one rank."""

_CHAR_BITS = 9  # one UTF-8 byte plus one, so that zero (padding) sorts before every byte
_GRADES = itemgetter(2)
_EMPTY: SortedList = SortedList()


def _id_code(agent_id: str, width: int) -> int:
    """The id as an integer whose order is the id's order, for ids of up to ``width`` bytes."""
    code = 0
    data = agent_id.encode("utf-8", "surrogatepass")
    for byte in data:
        code = (code << _CHAR_BITS) | (byte + 1)
    return code << (_CHAR_BITS * (width - len(data)))


class AgentIndex:
    """One sorted list of keys per skill, and one of every agent once an item needs no skill.

    With ``s`` skills per agent and ``n`` indexed agents, `insert` and `remove`
    cost O(s log n); `pool` is O(r) for an item needing ``r`` skills; a walk costs
    O(1) per agent passed over, in C.
    """

    __slots__ = (
        "_bits",
        "_by_skill",
        "_codes",
        "_everyone",
        "_grade_bits",
        "_id_bits",
        "_id_mask",
        "_ids",
        "_keys",
        "_packed",
        "_skills",
    )

    def __init__(self) -> None:
        self._by_skill: dict[str, SortedList] = {}
        # The key and skills of every indexed agent. Keys are plain values (the collector
        # does not track them); rank and grades are read back from a key when re-keying.
        self._keys: dict[str, Any] = {}
        self._skills: dict[str, Iterable[str]] = {}
        self._everyone: SortedList | None = None
        self._bits: dict[tuple[str, int], int] = {}
        self._packed: bool | None = None  # decided by the first rank indexed
        self._grade_bits = 64
        self._id_bits = 16 * _CHAR_BITS  # ids of up to 16 bytes, to begin with
        self._id_mask = (1 << self._id_bits) - 1
        self._codes: dict[str, int] = {}  # agent id -> id code (packed keys)
        self._ids: dict[int, str] = {}  # id code -> agent id

    # ----- grades ---------------------------------------------------------------------
    def _bit(self, name: str, level: int) -> int:
        bit = self._bits.get((name, level))
        if bit is None:
            bit = self._bits[(name, level)] = 1 << len(self._bits)
            if len(self._bits) > self._grade_bits:
                self._rekey(self._id_bits, self._grade_bits * 2)
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

    # ----- keys -----------------------------------------------------------------------
    def _key(self, agent_id: str, rank: Any, grades: int) -> Any:
        if self._packed is None:
            self._packed = type(rank) is int
        if not self._packed:
            return (rank, agent_id, grades)
        if type(rank) is not int:
            raise ValidationError(
                f"a routing policy's scores must all be integers or none of them, got {rank!r} "
                "after integer scores; make score() return one type"
            )
        code = self._codes.get(agent_id)
        if code is None:
            code = self._code(agent_id)
        missing = ~grades & ((1 << self._grade_bits) - 1)
        return (((rank << self._id_bits) | code) << self._grade_bits) | missing

    def _code(self, agent_id: str) -> int:
        """Compute and remember an id's code, widening the id field if the id needs it."""
        size = len(agent_id.encode("utf-8", "surrogatepass")) * _CHAR_BITS
        if size > self._id_bits:
            id_bits = self._id_bits
            while size > id_bits:
                id_bits *= 2
            self._rekey(id_bits, self._grade_bits)
        code = _id_code(agent_id, self._id_bits // _CHAR_BITS)
        self._codes[agent_id] = code
        self._ids[code] = agent_id
        return code

    def forget(self, agent_id: str) -> None:
        """Drop what the index remembers of an agent that left the router. O(1)."""
        code = self._codes.pop(agent_id, None)
        if code is not None:
            del self._ids[code]

    def _rekey(self, id_bits: int, grade_bits: int) -> None:
        """Widen the id and grade fields and rebuild every key. O(n·s log n)."""
        old_id_bits, old_grade_bits = self._id_bits, self._grade_bits
        self._id_bits, self._grade_bits = id_bits, grade_bits
        self._id_mask = (1 << id_bits) - 1
        if not self._packed:
            return
        keys = list(self._keys.items())
        self._keys.clear()
        self._codes.clear()
        self._ids.clear()
        self._by_skill.clear()
        self._everyone = None
        grade_mask = (1 << old_grade_bits) - 1
        for agent_id, key in keys:
            rank = key >> (old_id_bits + old_grade_bits)
            grades = (key & grade_mask) ^ grade_mask  # the field holds the missing grades
            self.insert(agent_id, rank, grades, self._skills[agent_id])

    def agent_of(self, key: Any) -> str:
        """The id of the agent a key belongs to. O(1)."""
        if self._packed:
            return self._ids[(key >> self._grade_bits) & self._id_mask]
        return str(key[1])

    # ----- upkeep ---------------------------------------------------------------------
    def insert(self, agent_id: str, rank: Any, grades: int, skills: Iterable[str]) -> None:
        """Index an agent under each of its skills. O(s log n)."""
        key = self._key(agent_id, rank, grades)
        self._keys[agent_id] = key
        self._skills[agent_id] = skills
        if self._everyone is not None:
            self._everyone.add(key)
        by_skill = self._by_skill
        for skill in skills:
            entries = by_skill.get(skill)
            if entries is None:
                entries = by_skill[skill] = SortedList()
            entries.add(key)

    def remove(self, agent_id: str) -> None:
        """Remove an indexed agent. O(s log n)."""
        key = self._keys.pop(agent_id)
        if self._everyone is not None:
            self._everyone.remove(key)
        by_skill = self._by_skill
        for skill in self._skills.pop(agent_id):
            by_skill[skill].remove(key)

    # ----- walks ----------------------------------------------------------------------
    def pool(self, required: Mapping[str, int]) -> SortedList:
        """Return the smallest index that every agent eligible for ``required`` is in. O(r).

        The index of the item's rarest required skill (or of every agent when the item needs
        no skill). Walk it with `holding` and test each agent met for room.
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

    def holding(self, pool: Iterable[Any], need: int) -> Iterator[Any]:
        """Yield, in order, the keys in ``pool`` of agents whose grades cover ``need``.

        The filter runs in C (``filterfalse`` over ``need & missing grades`` for packed keys,
        ``compress`` over ``need == need & grades`` for tuples), about 0.1 µs per
        agent passed over.
        """
        if not need:
            return iter(pool)
        if self._packed:
            return filterfalse(need.__and__, pool)
        return compress(pool, map(need.__eq__, map(need.__and__, map(_GRADES, pool))))

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._keys

    def __len__(self) -> int:
        return len(self._keys)
