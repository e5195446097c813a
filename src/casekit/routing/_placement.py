"""Placing items: offers, the Awaiting Assignment queue, answers, and the decisions recorded.

Costs, for ``n`` agents indexed, ``s`` skills per agent, ``r`` skills per item, ``k`` agents
walked before an eligible one is met, ``q`` queued items, ``g`` groups of queued skill sets,
``m`` queued items looked at and ``w`` pending offers of one agent:

==============================  ==========================================================
operation                        cost
==============================  ==========================================================
_route (offered)                 O(r + k + s·u), ``u`` a move in one skill's index: a few
                                 C calls on a short list (see `AgentIndex`)
_route (queued)                  O(r + pool + log q)
_offer, _detach                  O(s·u) (+ O(log q) off the queue)
_enqueue, _dequeue               O(log q) (+ O(log t) for an aging timer)
_accept, _record, _decision      O(1) (a timer cancelled is amortized O(1))
_materialize, _offer_of          O(1)
_refuse                          O(s·u) + a re-route + serving the freed agent
_serve                           O(g + m log q) + an offer per item placed
_withdraw_all                    O(w log w) + a re-route per offer
_change_presence                 O(s·u) + serving the agent or withdrawing its offers
==============================  ==========================================================
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Any

from casekit.routing._core import _RouterCore
from casekit.routing._records import _FOREVER, Offer, _AgentState, _ItemState, _Record, _Search
from casekit.routing.events import EventKind
from casekit.routing.explain import Decision, ExplainDetail, Outcome, TieBreak
from casekit.routing.model import ItemState, Presence
from casekit.routing.queue import QueueKey
from casekit.routing.timers import TimerKind

__all__: list[str] = []


class _Placement(_RouterCore):
    """Offers, the queue, answers and the decisions they record."""

    def _token(self) -> int:
        self._tokens += 1
        return self._tokens

    def _decision(
        self,
        state: _ItemState,
        now: datetime,
        chosen: _AgentState | None,
        search: _Search,
        reason: str | None = None,
    ) -> _Record:
        found, examined, pool, eligible, passed = search
        runner = found[1] if len(found) > 1 else None
        if chosen is None or runner is None:
            tie = TieBreak.NONE
        elif chosen.score != runner.score:
            tie = TieBreak.SCORE
        elif chosen.last_offer_seq != runner.last_offer_seq:
            tie = TieBreak.LONGEST_SINCE_OFFER
        else:
            tie = TieBreak.AGENT_ID
        if chosen is None:
            record: _Record = (now, Outcome.QUEUED.value, None, None, None, None, tie.value,
                               examined, pool, eligible, reason)  # fmt: skip
        else:
            record = (
                now, Outcome.OFFERED.value, chosen.agent.id, chosen.score,
                runner.agent.id if runner else None, runner.score if runner else None,
                tie.value, examined, pool, eligible, reason,
            )  # fmt: skip
        if passed:  # rare: the sentence is written now, while the channel's story is known
            why = reason if reason is not None else self._usual_reason(state.item.id, record)
            record = (*record[:-1], f"{why}; {passed} agent(s) with room passed over: channel "
                      f"{state.item.channel!r} full or not taken")  # fmt: skip
        return record

    def _usual_reason(self, item_id: str, record: _Record) -> str:
        """The sentence of a decision recorded without a reason of its own. O(1)."""
        _at, _outcome, agent_id, score, runner, _rs, tie, examined, pool, _eligible, _why = record
        if agent_id is None:
            return (
                f"no eligible agent has room for {item_id} "
                f"({examined} of {pool} candidates examined); it waits in Awaiting Assignment"
            )
        return f"offered to {agent_id} ({self.policy.name}, score {score})" + (
            f"; runner-up {runner} lost on {tie}" if runner else ""
        )

    def _materialize(self, item_id: str, record: _Record) -> Decision:
        """A recorded decision as a [`Decision`][], with its sentence for people. O(1)."""
        at, outcome, agent_id, score, runner, runner_score, tie, examined, pool, eligible, why = (
            record
        )
        if why is None:
            why = self._usual_reason(item_id, record)
        return Decision(
            item_id=item_id,
            at=at,
            outcome=Outcome(outcome),
            agent_id=agent_id,
            score=score,
            runner_up=runner,
            runner_up_score=runner_score,
            tie_break=TieBreak(tie),
            examined=examined,
            pool=pool,
            eligible=eligible,
            policy=self.policy.name,
            reason=why,
        )

    @staticmethod
    def _record(state: _ItemState, record: _Record) -> None:
        if state.decision is not None:
            if state.earlier is None:
                state.earlier = [state.decision]
            else:
                state.earlier.append(state.decision)
        state.decision = record

    def _route(self, state: _ItemState, now: datetime) -> Offer | None:
        search = self._find(state, now)
        found, examined, pool, _, passed = search
        if found:
            decision = self._decision(state, now, found[0], search)
            return self._offer(state, found[0], now, decision)
        decision = self._decision(state, now, None, (found, examined, pool, 0, passed))
        self._enqueue(state, now, decision)
        return None

    def _place_queued(
        self, state: _ItemState, now: datetime, search: _Search | None = None
    ) -> Offer | None:
        if search is None:
            search = self._find(state, now)
        if not search[0]:
            return None
        self._dequeue(state)
        return self._offer(
            state, search[0][0], now, self._decision(state, now, search[0][0], search)
        )

    def _enqueue(self, state: _ItemState, now: datetime, decision: _Record) -> None:
        state.state = ItemState.QUEUED
        state.agent_id = None
        state.offered_at = None
        state.deadline = None
        state.queued_at = now
        state.aged_at = now
        state.queue_token = self._token()
        state.queue_key = (-state.priority.rank, state.created_at, state.seq, state.item.id)
        self._queue.add(state.group, state.queue_key)
        self._record(state, decision)
        self._emit(EventKind.QUEUED, state.item.id, None, now, state.priority.value)
        if self.aging is not None and state.priority < self.aging.cap:
            self._timers.push(
                now + self.aging.every, TimerKind.AGING, state.item.id, state.queue_token
            )

    def _dequeue(self, state: _ItemState) -> None:
        assert state.queue_key is not None
        self._queue.remove(state.group, state.queue_key)
        state.queue_key = None
        state.queued_at = None
        if self.aging is not None:  # its aging timer no longer matters
            self._timers.cancelled(self._timer_live)

    def _offer(
        self, state: _ItemState, agent: _AgentState, now: datetime, decision: _Record
    ) -> Offer:
        self._record(state, decision)
        state.state = ItemState.OFFERED
        state.agent_id = agent.agent.id
        state.offered_at = now
        state.offer_token = self._token()
        state.deadline = None if self.push_timeout is None else now + self.push_timeout
        agent.offered.add(state.item.id)
        item = state.item
        agent.load += item.weight
        if item.channel is not None:  # an offered item always counts, in its channel too
            loads = agent.channel_loads
            loads[item.channel] = loads.get(item.channel, 0) + item.weight
        self._offer_seq += 1
        agent.last_offer_seq = self._offer_seq
        self._rerank(agent)
        self._emit(EventKind.OFFERED, state.item.id, agent.agent.id, now)
        if agent.agent.auto_accept:
            self._accept(state, now)
            return Offer(state.item.id, agent.agent.id, now, None, accepted=True)
        if state.deadline is not None:
            self._timers.push(
                state.deadline, TimerKind.OFFER_TIMEOUT, state.item.id, state.offer_token
            )
        return Offer(state.item.id, agent.agent.id, now, state.deadline)

    def _offer_of(self, state: _ItemState) -> Offer | None:
        if state.agent_id is None or state.offered_at is None:
            return None
        return Offer(
            state.item.id,
            state.agent_id,
            state.offered_at,
            state.deadline,
            accepted=state.state is ItemState.ACCEPTED,
        )

    def _accept(self, state: _ItemState, now: datetime) -> None:
        assert state.agent_id is not None
        agent = self._agents[state.agent_id]
        agent.offered.discard(state.item.id)
        agent.accepted.add(state.item.id)
        state.state = ItemState.ACCEPTED
        state.status = self._initial  # a counted status (or None): the load stays as it is
        if state.deadline is not None:
            state.deadline = None
            self._timers.cancelled(self._timer_live)  # its offer timeout
        self._emit(EventKind.ACCEPTED, state.item.id, agent.agent.id, now)

    def _detach(self, state: _ItemState) -> _AgentState | None:
        """Take the item off its queue or agent; return the agent whose load dropped."""
        if state.state is ItemState.QUEUED:
            if state.queue_key is not None:
                self._dequeue(state)
            return None
        assert state.agent_id is not None
        agent = self._agents[state.agent_id]
        item_id = state.item.id
        weight = state.item.weight if self._counts(state) else 0
        # A set never shrinks when members are discarded: an emptied one is replaced, so an
        # agent that once held many items does not keep their table.
        if state.state is ItemState.PINNED:
            agent.pinned.discard(item_id)
            if not agent.pinned:
                agent.pinned = set()
        else:
            if state.state is ItemState.ACCEPTED:
                agent.accepted.discard(item_id)
                if not agent.accepted:
                    agent.accepted = set()
            else:
                agent.offered.discard(item_id)
            if state.deadline is not None:  # the offer's timeout no longer matters
                self._timers.cancelled(self._timer_live)
        if weight:
            self._charge(agent, state.item.channel, -weight)
        state.state = ItemState.QUEUED
        state.agent_id = None
        state.offered_at = None
        state.deadline = None
        state.override = False
        state.status = None
        return agent

    def _refuse(self, state: _ItemState, agent: _AgentState, now: datetime) -> Offer | None:
        """A decline or a timeout: remember it, re-route the item, serve the freed agent."""
        self._detach(state)
        until = _FOREVER if self.cooldown is None else now + self.cooldown
        state.declined[agent.agent.id] = until
        if until is not None:
            self._timers.push(
                until, TimerKind.COOLDOWN_END, state.item.id, state.seq, agent.agent.id
            )
        offer = self._route(state, now)
        self._serve(agent, now)
        return offer

    def _withdraw_all(self, agent: _AgentState, now: datetime) -> None:
        for item_id in sorted(agent.offered, key=lambda i: self._items[i].seq):
            state = self._items[item_id]
            self._detach(state)
            self._emit(EventKind.WITHDRAWN, item_id, agent.agent.id, now)
            self._route(state, now)

    def _change_presence(self, agent: _AgentState, presence: Presence, now: datetime) -> None:
        self._unindex(agent)
        agent.presence = presence
        agent.offline_token = self._token()
        self._reindex(agent)
        self._emit(EventKind.PRESENCE_CHANGED, None, agent.agent.id, now, presence.value)
        if presence is Presence.AVAILABLE:
            self._serve(agent, now)
        elif presence is Presence.OFFLINE and agent.offered:
            if self.offline_grace:
                self._timers.push(
                    now + self.offline_grace,
                    TimerKind.OFFLINE_GRACE,
                    agent.agent.id,
                    agent.offline_token,
                )
            else:
                self._withdraw_all(agent, now)

    def _serve(self, agent: _AgentState, now: datetime) -> None:
        """Offer the agent waiting items it can take, best first, while it has room.

        Only this agent gained room, so by the work-conserving invariant no other agent is
        eligible for any waiting item: each item placed here goes to this agent.
        """
        if not agent.indexed or not self._queue:
            return
        heap: list[tuple[QueueKey, int, Any]] = []
        for order, entries in enumerate(self._queue.groups_within(agent.names)):
            head = self._first_eligible(agent, entries, 0, now)
            if head is not None:
                heap.append((entries[head], order, entries))
        heapq.heapify(heap)
        while heap and agent.indexed:
            key, order, entries = heapq.heappop(heap)
            state = self._items[key[3]]
            position = entries.index(key)
            if self._eligible(agent, state, now):
                self._dequeue(state)
                decision = self._decision(
                    state,
                    now,
                    agent,
                    ([agent], 1, 1, 1 if self.explain_detail is ExplainDetail.FULL else None, 0),
                    reason=f"{agent.agent.id} gained room; it is the only eligible agent with "
                    f"room for this waiting item",
                )
                self._offer(state, agent, now, decision)
                nxt = self._first_eligible(agent, entries, position, now) if entries else None
            else:
                nxt = self._first_eligible(agent, entries, position + 1, now)
            if nxt is not None and agent.indexed:
                heapq.heappush(heap, (entries[nxt], order, entries))
