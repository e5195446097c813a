"""Matching agents to items, and the index upkeep that keeps the best agent first.

Costs, for ``n`` agents indexed, ``s`` skills per agent, ``r`` skills per item, ``k`` agents
walked before an eligible one is met, ``g`` groups of queued skill sets and ``m`` queued items
looked at:

==============================  ==========================================================
operation                        cost
==============================  ==========================================================
_score, _eligible                O(1) (a channel's room: one dict look-up, only for an item
                                 with a channel and an agent with channels)
_counts, _held_weight            O(1)
_unindex, _reindex              O(s log n) worst case; a few C calls per skill with the
                                 built-in policies (see `AgentIndex`)
_rerank, _charge                 the same, in one pass over the agent's skills
_find, _find_in_channel          O(r + k·r) to the runner-up; the whole pool of the rarest
                                 skill when nobody eligible has room (or explain is FULL).
                                 Agents with total room but no room in the item's channel
                                 are among the ``k`` walked past
_first_eligible                  O(m)
_waiting_ahead                   O(g + m)
==============================  ==========================================================

Capacity per channel: an agent whose ``channels`` are empty (``limits`` is ``None``) has
no per-channel limits; otherwise it takes items of its channels only (and items without a
channel), each channel's counted load at most its units. An item without a channel is
walked by the loop it had before channels (``_find``); one with a channel by
``_find_in_channel``, one more test per agent walked (a dict look-up for an agent with
channels).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casekit.routing._core import _RouterCore
from casekit.routing._records import _FOREVER, _AgentState, _ItemState, _Search
from casekit.routing.explain import ExplainDetail
from casekit.routing.index import SEQ_BITS
from casekit.routing.model import ItemState, Presence
from casekit.routing.policy import AgentView

__all__: list[str] = []


class _Matching(_RouterCore):
    """Which agents may take an item, which is best, and the index that orders them."""

    def _score(self, agent: _AgentState) -> Any:
        fast = self._fast_score
        if fast == 1:
            return agent.load
        if fast == 2:
            return agent.load - agent.agent.capacity
        return self.policy.score(
            AgentView(agent.agent.id, agent.agent.skills, agent.agent.capacity, agent.load)
        )

    def _unindex(self, agent: _AgentState) -> None:
        if agent.indexed:
            self._index.remove(agent.agent.id)
            agent.indexed = False

    def _rank(self, agent: _AgentState) -> Any:
        score = agent.score = self._score(agent)
        if type(score) is int:
            return (score << SEQ_BITS) | agent.last_offer_seq
        return (score, agent.last_offer_seq)

    def _reindex(self, agent: _AgentState) -> None:
        if agent.presence is Presence.AVAILABLE and agent.load < agent.agent.capacity:
            self._index.insert(agent.agent.id, self._rank(agent), agent.grades, agent.names)
            agent.indexed = True

    def _rerank(self, agent: _AgentState) -> None:
        """Re-index an agent whose load or last offer changed (nothing else did)."""
        if not agent.indexed:
            self._reindex(agent)
        elif agent.load < agent.agent.capacity:
            self._index.move(agent.agent.id, self._rank(agent), agent.grades, agent.names)
        else:
            self._index.remove(agent.agent.id)
            agent.indexed = False

    def _charge(self, agent: _AgentState, channel: str | None, delta: int) -> None:
        """Add ``delta`` to the agent's load and to its ``channel``'s load; re-rank it."""
        agent.load += delta
        if channel is not None:
            loads = agent.channel_loads
            held = loads.get(channel, 0) + delta
            if held:
                loads[channel] = held
            else:
                loads.pop(channel, None)
        self._rerank(agent)

    # ------------------------------------------------------------------ internals: eligibility

    def _eligible(
        self, agent: _AgentState, state: _ItemState, now: datetime, extra_room: int = 0
    ) -> bool:
        item = state.item
        weight = item.weight - extra_room
        if agent.load + weight > agent.agent.capacity:
            return False
        if agent.grades & state.needs != state.needs:
            return False
        if agent.limits is not None and item.channel is not None:
            units = agent.limits.get(item.channel)
            if units is None or agent.channel_loads.get(item.channel, 0) + weight > units:
                return False
        if state.declined and agent.agent.id in state.declined:
            until = state.declined[agent.agent.id]
            if until is _FOREVER or until > now:
                return False
        return True

    def _counts(self, state: _ItemState) -> bool:
        """Whether a held item's weight is in its agent's load (and its channel's) now.

        Offered items always count; pinned ones only when the router counts pins; under a
        status-based capacity model an accepted or pinned item only while its work status
        is a counted one (``status`` is ``None`` otherwise). O(1).
        """
        if state.state is ItemState.PINNED and not self.count_pins:
            return False
        status = state.status
        return status is None or status in self._counted

    def _held_weight(self, agent: _AgentState, state: _ItemState) -> int:
        if state.agent_id != agent.agent.id or not self._counts(state):
            return 0
        return state.item.weight

    def _find(self, state: _ItemState, now: datetime) -> _Search:
        """Return the best two eligible agents, agents examined, pool size and eligible count.

        Walks the pool (the index of the item's rarest skill) in preference order, filtering
        on skills in C; only agents holding every required skill are looked at in Python
        (room for the weight, room in the item's channel, decline memory). Stops at the
        second eligible agent (the runner-up, for the tie-break) unless `ExplainDetail.FULL`
        asks for a count.
        """
        channel = state.item.channel
        if channel is not None:
            return self._find_in_channel(state, now, channel)
        index = self._index
        pool = index.pool(state.item.skills)
        found: list[_AgentState] = []
        examined = 0
        full = self.explain_detail is ExplainDetail.FULL
        eligible = 0
        weight = state.item.weight
        declined = state.declined
        for agent in map(self._agents.__getitem__, index.agents_holding(pool, state.needs)):
            examined += 1
            if agent.load + weight > agent.agent.capacity:
                continue
            if declined:
                agent_id = agent.agent.id
                if agent_id in declined:
                    until = declined[agent_id]
                    if until is _FOREVER or until > now:
                        continue
            eligible += 1
            if len(found) < 2:
                found.append(agent)
            if len(found) == 2 and not full:
                break
        return found, examined, len(pool), (eligible if full else None), 0

    def _find_in_channel(self, state: _ItemState, now: datetime, channel: str) -> _Search:
        """`_find` for an item with a channel: the same walk, checking the channel's room too.

        A loop of its own, so that items without a channel (every item of a router that
        uses no channels) walk exactly as they did before channels: no test per agent.
        """
        index = self._index
        pool = index.pool(state.item.skills)
        found: list[_AgentState] = []
        examined = 0
        full = self.explain_detail is ExplainDetail.FULL
        eligible = 0
        weight = state.item.weight
        declined = state.declined
        passed = 0
        for agent in map(self._agents.__getitem__, index.agents_holding(pool, state.needs)):
            examined += 1
            if agent.load + weight > agent.agent.capacity:
                continue
            limits = agent.limits
            if limits is not None:
                units = limits.get(channel)
                if units is None or agent.channel_loads.get(channel, 0) + weight > units:
                    passed += 1  # total room, but its channel is full or not taken
                    continue
            if declined:
                agent_id = agent.agent.id
                if agent_id in declined:
                    until = declined[agent_id]
                    if until is _FOREVER or until > now:
                        continue
            eligible += 1
            if len(found) < 2:
                found.append(agent)
            if len(found) == 2 and not full:
                break
        return found, examined, len(pool), (eligible if full else None), passed

    def _waiting_ahead(self, agent: _AgentState, state: _ItemState, now: datetime) -> bool:
        """Whether a queued item served before ``state`` is eligible for ``agent``. O(g + m)."""
        key = state.queue_key
        for entries in self._queue.groups_within(agent.names):
            head = self._first_eligible(agent, entries, 0, now)
            if head is not None and key is not None and entries[head] < key:
                return True
        return False

    def _first_eligible(
        self, agent: _AgentState, entries: Any, start: int, now: datetime
    ) -> int | None:
        items = self._items
        for position in range(start, len(entries)):
            if self._eligible(agent, items[entries[position][3]], now):
                return position
        return None
