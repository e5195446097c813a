"""The router's read side: snapshots, the queue, explanations, metrics and notebook views.

Nothing here changes the router. Costs, for ``n`` agents, ``q`` queued items, ``g`` groups of
queued skill sets and ``i`` items:

==============================  ==========================================================
operation                        cost
==============================  ==========================================================
load, presence, state_of         O(1)
owner_of, explain, queue_length  O(1)
is_eligible, next_deadline       O(1)
agent / item                     O(w) for ``w`` items held / O(d) for ``d`` who declined
agents / items                   O(n log n) / O(i log i) + a snapshot each
decisions                        O(decisions made about the item)
queue()                          O(q log g)
metrics()                        O(n + q)
to_records, to_dataframe         as agents(), items() or queue()
==============================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, cast

from casekit.errors import NotFound, allowed_list
from casekit.notebook import to_dataframe
from casekit.priority import Priority
from casekit.routing._core import _RouterCore
from casekit.routing._records import AgentStatus, ItemStatus, QueueEntry, _AgentState, _ItemState
from casekit.routing.explain import Decision
from casekit.routing.metrics import QueueStats, RoutingMetrics, jain_index
from casekit.routing.model import ItemState, Presence

if TYPE_CHECKING:
    import pandas as pd

    from casekit.routing.router import Router

__all__: list[str] = []


class _Views(_RouterCore):
    """Read-only queries on the router's state."""

    def load(self, agent_id: str) -> int:
        """The agent's load: offered + accepted (+ pinned when counted) weights. O(1).

        Raises:
            NotFound: If the agent is unknown.
        """
        return self._agent(agent_id).load

    def presence(self, agent_id: str) -> Presence:
        """The agent's presence. O(1)."""
        return self._agent(agent_id).presence

    def agent(self, agent_id: str) -> AgentStatus:
        """A snapshot of one agent. O(w) for ``w`` items it holds."""
        state = self._agent(agent_id)
        return AgentStatus(
            agent=state.agent,
            presence=state.presence,
            load=state.load,
            offered=tuple(sorted(state.offered)),
            accepted=tuple(sorted(state.accepted)),
            pinned=tuple(sorted(state.pinned)),
            channel_loads=dict(sorted(state.channel_loads.items())),
        )

    def agents(self) -> list[AgentStatus]:
        """Snapshots of every agent, by id."""
        return [self.agent(agent_id) for agent_id in sorted(self._agents)]

    def state_of(self, item_id: str) -> ItemState:
        """Where the item is: queued, offered, accepted or pinned. O(1).

        Raises:
            NotFound: If the item is unknown (never submitted, or released).
        """
        return self._item(item_id).state

    def owner_of(self, item_id: str) -> str | None:
        """The agent the item is offered, accepted or pinned to, or ``None`` when queued."""
        return self._item(item_id).agent_id

    def item(self, item_id: str) -> ItemStatus:
        """A snapshot of one item. O(d) for ``d`` agents who declined it."""
        state = self._item(item_id)
        return ItemStatus(
            item=state.item,
            state=state.state,
            agent_id=state.agent_id,
            priority=state.priority,
            created_at=state.created_at,
            offered_at=state.offered_at,
            deadline=state.deadline,
            declined_by=tuple(sorted(state.declined)),
            override=state.override,
            work_status=state.status,
        )

    def items(self) -> list[ItemStatus]:
        """Snapshots of every item in the router, by id."""
        return [self.item(item_id) for item_id in sorted(self._items)]

    def queue(self) -> list[QueueEntry]:
        """Awaiting Assignment, in service order (priority, then original age). O(q log g)."""
        entries = []
        for key in self._queue.ordered():
            state = self._items[key[3]]
            assert state.queued_at is not None
            entries.append(
                QueueEntry(
                    item_id=state.item.id,
                    priority=state.priority,
                    created_at=state.created_at,
                    queued_at=state.queued_at,
                    stage=state.item.stage,
                    skills=state.item.skills,
                    weight=state.item.weight,
                )
            )
        return entries

    def queue_length(self) -> int:
        """Items Awaiting Assignment. O(1)."""
        return len(self._queue)

    def explain(self, item_id: str) -> Decision:
        """The latest routing decision about an item. O(1).

        Raises:
            NotFound: If the item is unknown.
        """
        state = self._item(item_id)
        assert state.decision is not None  # every item in the router was routed once
        return self._materialize(item_id, state.decision)

    def decisions(self, item_id: str) -> tuple[Decision, ...]:
        """Every routing decision about an item since it was submitted at this step."""
        state = self._item(item_id)
        records = [*(state.earlier or ()), state.decision]
        return tuple(self._materialize(item_id, r) for r in records if r is not None)

    def metrics(self, agent_ids: Iterable[str] | None = None) -> RoutingMetrics:
        """Load balance among comparable agents, and the queue per priority. O(n + q).

        Args:
            agent_ids: The agents to compare; by default every Available agent.

        Raises:
            NotFound: If an agent id is unknown.
        """
        if agent_ids is None:
            states = [s for s in self._agents.values() if s.presence is Presence.AVAILABLE]
        else:
            states = [self._agent(agent_id) for agent_id in agent_ids]
        loads = {s.agent.id: s.load for s in states}
        ratios = {s.agent.id: s.load / s.agent.capacity for s in states}
        spread = max(ratios.values()) - min(ratios.values()) if len(ratios) > 1 else 0.0
        now = self.clock.now()
        lengths = dict.fromkeys(Priority, 0)
        oldest: dict[Priority, datetime] = {}
        for key in self._queue.ordered():
            state = self._items[key[3]]
            lengths[state.priority] += 1
            if state.priority not in oldest or state.created_at < oldest[state.priority]:
                oldest[state.priority] = state.created_at
        queue = {
            p: QueueStats(lengths[p], now - oldest[p] if p in oldest else None) for p in Priority
        }
        return RoutingMetrics(
            loads=loads,
            load_ratios=ratios,
            spread=spread,
            jain=jain_index(ratios.values()),
            queue=queue,
        )

    def next_deadline(self) -> datetime | None:
        """The earliest pending deadline, for simulations deciding when to `tick`.

        It may belong to an offer already answered; ticking then does nothing.
        """
        return self._timers.next_at()

    def is_eligible(self, item_id: str, agent_id: str) -> bool:
        """Whether the agent could be offered the item now (ignoring whether it already is).

        Available, holds every required skill at its minimum level, has room for the item's
        weight (in its capacity and, for an item with a channel and an agent with channels,
        in that channel's units), and has not declined or timed out on it within the
        cool-down.
        """
        state = self._item(item_id)
        agent = self._agent(agent_id)
        held = self._held_weight(agent, state)
        return agent.presence is Presence.AVAILABLE and self._eligible(
            agent, state, self.clock.now(), extra_room=held
        )

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return (
            f"Router(policy={self.policy.name!r}, agents={len(self._agents)}, "
            f"items={len(self._items)}, queued={len(self._queue)})"
        )

    def to_records(self, table: str = "agents") -> list[dict[str, object]]:
        """Flat records of ``"agents"``, ``"items"`` or ``"queue"``, e.g. for a DataFrame.

        Raises:
            ValidationError: For another table name.
        """
        from casekit.routing.notebook import router_records  # noqa: PLC0415  presentation, on use

        return router_records(cast("Router", self), table)

    def to_dataframe(self, table: str = "agents") -> pd.DataFrame:
        """[`to_records`][] as a pandas DataFrame.

        Raises:
            MissingExtra: pandas is not installed.
            ValidationError: For an unknown table.
        """
        return to_dataframe(self.to_records(table), what=f"router {table}")

    def _repr_html_(self) -> str:
        from casekit.routing.notebook import router_html  # noqa: PLC0415  presentation, on use

        return router_html(cast("Router", self))

    # ------------------------------------------------------------------ lookup

    def _agent(self, agent_id: str) -> _AgentState:
        try:
            return self._agents[agent_id]
        except (KeyError, TypeError):
            raise NotFound(
                f"no agent {agent_id!r}; registered: {allowed_list(list(self._agents)[:10])}"
                + (" ..." if len(self._agents) > 10 else "")
            ) from None

    def _item(self, item_id: str) -> _ItemState:
        try:
            return self._items[item_id]
        except (KeyError, TypeError):
            raise NotFound(
                f"no work item {item_id!r} in the router (never submitted, or released)"
            ) from None
