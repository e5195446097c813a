"""Load indexes: the agents who may be offered work, per skill, best first.

An agent is in the index while it is Available and has room (load below capacity). Its key
orders by ``rank`` (the policy's score, then the agent offered work longest ago), then by id —
exactly the router's order of preference, so the first eligible agent met in a walk of an index
is the best one — and carries the agent's *grades*: a bit mask of its skills, one bit per
``(name, level)`` for every level up to the one held. An item's requirement is the mask of its
``(name, minimum level)`` bits, so "holds every required skill at its minimum level" is
``grades & need == need``, which a walk tests in C, without a Python-level loop.

For integer ranks (the built-in policies: ``score << 42 | last_offer_seq``) a key is one
integer, ``rank | id code | missing grades`` in bit fields from the top (the rank with one
bit added between score and offer number, set once the agent was offered work), the last
being the complement of the grades, so that "holds every required grade" is
``key & need == 0``, one C call per agent walked (``filterfalse``). The id code is the id's UTF-8
bytes, each plus one, in 9-bit fields padded with zeros, so integer order is id order (a
shorter id sorts before any longer one it begins). One object per entry is what keeps the walk
and the sorted-list upkeep cheap at 100,000 agents: each comparison or skill test touches one
integer instead of a tuple and the integers it points to. The fields are sized to the widest id
and the number of grade bits seen so far, doubling when outgrown; the index then re-keys
itself (O(n·s log n), a logarithmic number of times over its life).

Packed keys of one skill are kept in buckets (``_Pool``): a bucket holds the keys sharing a
score and a block of ``2**12`` offer numbers, as a plain sorted list, and the pool keeps its
bucket numbers sorted, so walking the buckets in order walks the keys in order (in C:
``chain.from_iterable``). Moving an agent (an offer, an answer, a release) takes its key out of
one short list and puts the new key in another, in one pass over its skills: a few C calls
per skill instead of a sorted-list method call per skill for the removal and another for the
insertion. An agent just offered work has the newest offer number, so its key is appended at
the end of its bucket (the O(1) move of a least-frequently-used cache's buckets); an agent
whose load went down keeps its last offer number, so its key is inserted by bisection in a
bucket of at most a few hundred keys (the agents of one skill offered work within one block of
offers, whatever the number of agents). The first block of a score holds exactly the agents
never offered work (the added bit keeps the agents offered among the first ``2**12`` offers
out of it, so it only ever loses them, at their first offer); it may hold every agent of the
skill, so it is cut into sorted chunks of a few hundred keys (``_Chunks``), each removal one
Python call. Empty buckets and chunks, and the pool of a skill nobody indexed holds, are
deleted.

For other ranks (a custom policy with tuple or float scores) a key is the tuple
``(rank, agent_id, grades)``; ids are unique, so comparisons never reach ``grades``; each
skill's keys are one ``SortedList``.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, compress, filterfalse, repeat
from operator import itemgetter, rshift
from typing import Any

from sortedcontainers import SortedList  # type: ignore[import-untyped]  # ships no stubs

from casekit.errors import ValidationError

__all__ = ["SEQ_BITS", "AgentIndex"]

SEQ_BITS = 42
"""Offer sequence numbers below 2**42 pack under an integer score in one rank."""

_BLOCK_BITS = 12
"""A bucket holds the keys of one score whose offer numbers share all but the low 12 bits."""

_FIRST = (1 << (SEQ_BITS + 1 - _BLOCK_BITS)) - 1
"""``bucket & _FIRST == 0``: the first block of a score, its agents never offered work (see
`_OFFERED`). Nothing bounds how many agents it holds (a new office's agents all start there),
so it is `_Chunks` rather than a plain list."""

_SEQ_MASK = (1 << SEQ_BITS) - 1
_OFFERED = 1 << SEQ_BITS
"""In a key, the bit above the offer number: set when the agent was offered work before
(its offer number is not 0), so the first block of each score holds only agents never
offered work."""

_CHUNK = 256
"""A first block's chunks hold ``_CHUNK`` to ``2·_CHUNK`` keys once split."""

_CHAR_BITS = 9  # one UTF-8 byte plus one, so that zero (padding) sorts before every byte
_GRADES = itemgetter(2)
_AGENT = itemgetter(1)
_EMPTY: SortedList = SortedList()


def _id_code(agent_id: str, width: int) -> int:
    """The id as an integer whose order is the id's order, for ids of up to ``width`` bytes."""
    code = 0
    data = agent_id.encode("utf-8", "surrogatepass")
    for byte in data:
        code = (code << _CHAR_BITS) | (byte + 1)
    return code << (_CHAR_BITS * (width - len(data)))


class _Chunks:
    """A first block's keys in order: sorted chunks of at most ``2·_CHUNK`` keys.

    What ``SortedList`` does for a block that may hold every agent of a skill, cut to the
    two operations the index needs, each one Python call: agents leave a first block once
    each (their first offer), so removal is the hot path. ``maxes[i]`` bounds ``lists[i]``:
    at least its largest key and below every key of the next chunk (a removal leaves it as
    it was, which keeps both). A chunk is split when it reaches twice ``_CHUNK`` keys and
    deleted when emptied; chunks are never merged (only a split makes one, so there are at
    most ``1 + adds / _CHUNK`` of them, and never more than keys). `add` and `remove` are
    O(log n + _CHUNK), in C; iteration O(1) per key, in C.
    """

    __slots__ = ("lists", "maxes", "size")

    def __init__(self, key: int) -> None:
        self.lists: list[list[int]] = [[key]]
        self.maxes: list[int] = [key]
        self.size = 1

    def add(self, key: int) -> None:
        """Insert a key not already present. O(log n + _CHUNK)."""
        maxes, lists = self.maxes, self.lists
        if not maxes:
            lists.append([key])
            maxes.append(key)
        else:
            pos = bisect_left(maxes, key)
            if pos == len(maxes):  # past every key: the end of the last chunk
                pos -= 1
                lists[pos].append(key)
                maxes[pos] = key
            else:
                insort(lists[pos], key)
            chunk = lists[pos]
            if len(chunk) >= 2 * _CHUNK:
                lists.insert(pos + 1, chunk[_CHUNK:])
                del chunk[_CHUNK:]
                maxes.insert(pos, chunk[-1])
        self.size += 1

    def remove(self, key: int) -> None:
        """Remove a present key; an emptied chunk goes. O(log n + _CHUNK)."""
        maxes = self.maxes
        pos = bisect_left(maxes, key)
        chunk = self.lists[pos]
        del chunk[bisect_left(chunk, key)]
        if not chunk:
            del self.lists[pos]
            del maxes[pos]
        self.size -= 1

    def __iter__(self) -> Iterator[int]:
        return chain.from_iterable(self.lists)

    def __len__(self) -> int:
        return self.size


class _Pool:
    """One skill's packed keys, in order: sorted buckets of keys sharing their high bits.

    A key's bucket is ``key >> shift``: its score and its offer number's block of
    ``2**12`` offers. Each bucket is a sorted list and ``order`` the sorted bucket numbers, so
    the keys in bucket order are the keys in order. A bucket holds the agents of one skill
    offered work within one block of offers, about ``2**12·s/S`` keys for ``s`` of ``S``
    skills per agent whatever the number of agents, so adding or removing a key costs
    two C calls on a short list (an agent just offered work has the newest offer number: its
    key goes at the end of its bucket). The first block of a score is the exception (it holds
    exactly the agents never offered work, possibly all of them): it is `_Chunks`, O(log n)
    per key, so that a new office's agents leaving it one by one do not each shift a list of
    all the skill's agents. Empty buckets are deleted.
    """

    __slots__ = ("buckets", "order", "size")

    def __init__(self) -> None:
        self.buckets: dict[int, Any] = {}  # a list, or _Chunks for a first block
        self.order: list[int] = []
        self.size = 0

    @classmethod
    def of(cls, keys: Iterable[int], shift: int) -> _Pool:
        """A pool of ``keys``. O(n log n)."""
        pool = cls()
        for key in sorted(keys):
            pool.add(key, key >> shift)
        return pool

    def add(self, key: int, bucket: int) -> None:
        """Add a key whose bucket is ``bucket``. O(log b + B), in C."""
        entries = self.buckets.get(bucket)
        if entries is None:
            self.buckets[bucket] = [key] if bucket & _FIRST else _Chunks(key)
            insort(self.order, bucket)
        elif not bucket & _FIRST:
            entries.add(key)
        elif key > entries[-1]:
            entries.append(key)
        else:
            insort(entries, key)
        self.size += 1

    def discard(self, key: int, bucket: int) -> None:
        """Remove a key whose bucket is ``bucket``; an emptied bucket goes. O(log b + B), in C."""
        entries = self.buckets[bucket]
        if len(entries) == 1:
            del self.buckets[bucket]
            del self.order[bisect_left(self.order, bucket)]
        elif not bucket & _FIRST:
            entries.remove(key)
        else:
            del entries[bisect_left(entries, key)]
        self.size -= 1

    def __iter__(self) -> Iterator[int]:
        """The keys in order, iterated in C. O(1) to start, O(1) per key."""
        return chain.from_iterable(map(self.buckets.__getitem__, self.order))

    def __len__(self) -> int:
        return self.size


class AgentIndex:
    """The agents of each skill in order, and of every agent once an item needs no skill.

    With ``s`` skills per agent and ``n`` indexed agents: for packed keys (the built-in
    policies) `insert`, `remove` and `move` cost O(s·(log b + B)) for a skill's ``b`` buckets
    of at most ``B`` keys (both bounded by the offers in flight, not by ``n``: in practice a
    few C calls on short lists per skill); for tuple keys O(s log n) in sorted lists. `pool`
    is O(r) for an item needing ``r`` skills; a walk costs O(1) per agent passed over, in C.
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
        "_shift",
        "_skills",
    )

    def __init__(self) -> None:
        # A _Pool per skill for packed keys, a SortedList for tuple keys.
        self._by_skill: dict[str, Any] = {}
        # The key and skills of every indexed agent. Keys are plain values (the collector
        # does not track them); rank and grades are read back from a key when re-keying.
        self._keys: dict[str, Any] = {}
        self._skills: dict[str, Iterable[str]] = {}
        self._everyone: Any = None
        self._bits: dict[tuple[str, int], int] = {}
        self._packed: bool | None = None  # decided by the first rank indexed
        self._grade_bits = 64
        self._id_bits = 16 * _CHAR_BITS  # ids of up to 16 bytes, to begin with
        self._id_mask = (1 << self._id_bits) - 1
        self._shift = self._id_bits + self._grade_bits + _BLOCK_BITS
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
        seq = rank & _SEQ_MASK
        # One bit between score and offer number, set once offered: the first block of a
        # score then holds only agents never offered work. Order-preserving for any int.
        rank += rank - seq + (_OFFERED if seq else 0)
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
        self._shift = id_bits + grade_bits + _BLOCK_BITS
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
            packed = key >> (old_id_bits + old_grade_bits)
            rank = ((packed >> (SEQ_BITS + 1)) << SEQ_BITS) | (packed & _SEQ_MASK)
            grades = (key & grade_mask) ^ grade_mask  # the field holds the missing grades
            self.insert(agent_id, rank, grades, self._skills[agent_id])

    def agent_of(self, key: Any) -> str:
        """The id of the agent a key belongs to. O(1)."""
        if self._packed:
            return self._ids[(key >> self._grade_bits) & self._id_mask]
        return str(key[1])

    # ----- upkeep ---------------------------------------------------------------------
    def insert(self, agent_id: str, rank: Any, grades: int, skills: Iterable[str]) -> None:
        """Index an agent under each of its skills. O(s·(log b + B)), O(s log n) for tuples."""
        key = self._key(agent_id, rank, grades)
        self._keys[agent_id] = key
        self._skills[agent_id] = skills
        by_skill = self._by_skill
        if not self._packed:
            if self._everyone is not None:
                self._everyone.add(key)
            for skill in skills:
                entries = by_skill.get(skill)
                if entries is None:
                    entries = by_skill[skill] = SortedList()
                entries.add(key)
            return
        bucket = key >> self._shift
        for skill in skills:
            pool = by_skill.get(skill)
            if pool is None:
                pool = by_skill[skill] = _Pool()
            pool.add(key, bucket)
        if self._everyone is not None:
            self._everyone.add(key, bucket)

    def remove(self, agent_id: str) -> None:
        """Remove an indexed agent. O(s·(log b + B)), O(s log n) for tuples."""
        key = self._keys.pop(agent_id)
        skills = self._skills.pop(agent_id)
        by_skill = self._by_skill
        if not self._packed:
            if self._everyone is not None:
                self._everyone.remove(key)
            for skill in skills:
                by_skill[skill].remove(key)
            return
        bucket = key >> self._shift
        for skill in skills:
            pool = by_skill[skill]
            pool.discard(key, bucket)
            if not pool.order:
                del by_skill[skill]  # the skill's last indexed agent left
        if self._everyone is not None:
            self._everyone.discard(key, bucket)

    def move(self, agent_id: str, rank: Any, grades: int, skills: Iterable[str]) -> None:
        """Re-key an indexed agent whose rank changed (its skills did not).

        One pass over its skills, O(s·(log b + B)); O(s log n) for tuple keys. After an offer
        the agent's key is the newest of its score, so it goes at the end of its bucket.
        """
        if not self._packed:
            self.remove(agent_id)
            self.insert(agent_id, rank, grades, skills)
            return
        old = self._keys[agent_id]
        key = self._keys[agent_id] = self._key(agent_id, rank, grades)
        shift = self._shift
        old_bucket, bucket = old >> shift, key >> shift
        by_skill = self._by_skill
        pools: Iterable[_Pool] = map(by_skill.__getitem__, skills)
        if self._everyone is not None:
            pools = chain(pools, (self._everyone,))
        if not bucket & _FIRST:  # rare: to a first block (a never-offered agent's score)
            for pool in pools:
                pool.discard(old, old_bucket)
                pool.add(key, bucket)
            return
        first = not old_bucket & _FIRST  # from a first block: once per agent, its first offer
        for pool in pools:
            buckets = pool.buckets
            entries = buckets[old_bucket]
            if (entries.size if first else len(entries)) == 1:
                del buckets[old_bucket]
                order = pool.order
                del order[bisect_left(order, old_bucket)]
            elif first:
                entries.remove(old)
            else:
                del entries[bisect_left(entries, old)]
            target = buckets.get(bucket)
            if target is None:
                buckets[bucket] = [key]
                insort(pool.order, bucket)
            elif key > target[-1]:
                target.append(key)
            else:
                insort(target, key)

    # ----- walks ----------------------------------------------------------------------
    def pool(self, required: Mapping[str, int]) -> Any:
        """Return the smallest index that every agent eligible for ``required`` is in. O(r).

        The index of the item's rarest required skill (or of every agent when the item needs
        no skill): an iterable of keys in order, with a length. Walk it with `holding` and
        test each agent met for room.
        """
        if not required:
            if self._packed is None:  # nobody indexed yet, and no key type chosen
                return _EMPTY
            if self._everyone is None:  # first item needing no skill: O(n log n), once
                if self._packed:
                    self._everyone = _Pool.of(self._keys.values(), self._shift)
                else:
                    self._everyone = SortedList(self._keys.values())
            return self._everyone
        best: Any = None
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

    def agents_holding(self, pool: Iterable[Any], need: int) -> Iterator[str]:
        """Yield, in order, the ids of the agents in ``pool`` whose grades cover ``need``.

        `holding`, with each key met turned into its agent's id in C too. O(1) per agent
        passed over.
        """
        keys = self.holding(pool, need)
        if self._packed:
            codes = map(self._id_mask.__and__, map(rshift, keys, repeat(self._grade_bits)))
            return map(self._ids.__getitem__, codes)
        return map(_AGENT, keys)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._keys

    def __len__(self) -> int:
        return len(self._keys)
