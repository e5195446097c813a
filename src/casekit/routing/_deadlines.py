"""The router's deadlines: offer timeouts, offline grace, decline cool-downs and aging.

[`Router.tick`][] pops the due timers and hands each to its handler here. A timer carries a
token; it still matters only while its subject's token matches (the ``_timed_offer``,
``_graced_agent``, ``_cooling_item`` and ``_aging_item`` look-ups), so nothing is ever removed
from the middle of the timer heap.

Costs, for ``t`` timers, ``q`` queued items and ``w`` pending offers of one agent:

==============================  ==========================================================
operation                        cost
==============================  ==========================================================
_timer_live and the look-ups     O(1)
_on_offer_timeout                a decline: O(s·u) + a re-route + serving the agent
_on_grace_end                    O(w log w) + a re-route per pending offer
_on_cooldown_end                 O(1) (the item is placed by tick, in queue order)
_on_aging                        O(log q + log t)
==============================  ==========================================================
"""

from __future__ import annotations

from datetime import datetime

from casekit.routing._core import _RouterCore
from casekit.routing._records import _AgentState, _ItemState
from casekit.routing.events import EventKind
from casekit.routing.model import ItemState, Presence
from casekit.routing.timers import Timer, TimerKind

__all__: list[str] = []


class _Deadlines(_RouterCore):
    """What happens when a deadline passes, and whether a pending one still matters."""

    def _timer_live(self, timer: Timer) -> bool:
        """Whether a timer still matters (its handler would act on it). O(1)."""
        _at, _seq, kind, subject, token, other = timer
        if kind == TimerKind.OFFER_TIMEOUT:
            return self._timed_offer(subject, token) is not None
        if kind == TimerKind.OFFLINE_GRACE:
            return self._graced_agent(subject, token) is not None
        if kind == TimerKind.COOLDOWN_END:
            return self._cooling_item(subject, token, other) is not None
        return self._aging_item(subject, token) is not None

    def _timed_offer(self, item_id: str, token: int) -> _ItemState | None:
        state = self._items.get(item_id)
        if state is None or state.state is not ItemState.OFFERED or state.offer_token != token:
            return None
        return state

    def _graced_agent(self, agent_id: str, token: int) -> _AgentState | None:
        agent = self._agents.get(agent_id)
        if agent is None or agent.offline_token != token or agent.presence is not Presence.OFFLINE:
            return None
        return agent

    def _cooling_item(self, item_id: str, seq: int, agent_id: str) -> _ItemState | None:
        state = self._items.get(item_id)
        if state is None or state.seq != seq or agent_id not in state.declined:
            return None
        return state

    def _aging_item(self, item_id: str, token: int) -> _ItemState | None:
        state = self._items.get(item_id)
        if (
            self.aging is None
            or state is None
            or state.queue_token != token
            or state.queue_key is None
            or state.aged_at is None
        ):
            return None
        return state

    def _on_offer_timeout(self, item_id: str, token: int, now: datetime) -> int:
        state = self._timed_offer(item_id, token)
        if state is None:
            return 0
        assert state.agent_id is not None
        agent = self._agents[state.agent_id]
        self._emit(EventKind.OFFER_TIMED_OUT, item_id, agent.agent.id, now)
        self._refuse(state, agent, now)
        return 1

    def _on_grace_end(self, agent_id: str, token: int, now: datetime) -> int:
        agent = self._graced_agent(agent_id, token)
        if agent is None:
            return 0
        self._withdraw_all(agent, now)
        return 1

    def _on_cooldown_end(
        self,
        item_id: str,
        seq: int,
        agent_id: str,
        now: datetime,
        cooled: dict[str, _ItemState],
    ) -> int:
        state = self._cooling_item(item_id, seq, agent_id)
        if state is None:
            return 0
        until = state.declined[agent_id]
        if until is None or until > now:
            return 0
        del state.declined[agent_id]
        if state.state is ItemState.QUEUED and state.queue_key is not None:
            cooled[item_id] = state
        return 1

    def _on_aging(self, item_id: str, token: int, now: datetime) -> int:
        state = self._aging_item(item_id, token)
        aging = self.aging
        if state is None or aging is None or state.aged_at is None or state.queue_key is None:
            return 0
        steps = (now - state.aged_at) // aging.every
        state.aged_at += aging.every * steps
        target = min(state.priority.raised(steps), aging.cap)
        if target > state.priority:
            self._queue.remove(state.group, state.queue_key)
            state.priority = target
            state.queue_key = (-target.rank, state.created_at, state.seq, item_id)
            self._queue.add(state.group, state.queue_key)
            self._emit(EventKind.PRIORITY_RAISED, item_id, None, now, target.value)
        if state.priority < aging.cap:
            self._timers.push(state.aged_at + aging.every, TimerKind.AGING, item_id, token)
        return 1
