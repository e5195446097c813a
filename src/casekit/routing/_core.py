"""The shape every part of the router shares: its attributes, and the calls across parts.

[`Router`][] is one class made of mixins, each a module named for
its job (``_matching``, ``_placement``, ``_deadlines``, ``_views``). ``_RouterCore`` is their
common base. It only declares: the attributes ``Router.__init__`` sets, with their types, and
the methods one part calls on another, as abstract stubs that the part owning each method
overrides. It adds no state and no behaviour, so the router's ``__dict__`` and its hot path
are what they were; ``mypy --strict`` checks each mixin against these declarations and
refuses a ``Router`` that leaves one unimplemented. Costs: none (declarations only).
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime, timedelta
from typing import Any

from casekit.clock import Clock
from casekit.routing._records import Aging, Offer, _AgentState, _ItemState, _Record, _Search
from casekit.routing.events import EventKind, RoutingEvent, Subscriber
from casekit.routing.explain import Decision, ExplainDetail
from casekit.routing.index import AgentIndex
from casekit.routing.model import CapacityModel
from casekit.routing.policy import RoutingPolicy
from casekit.routing.queue import AwaitingQueue
from casekit.routing.timers import Timer, Timers

__all__: list[str] = []


class _RouterCore:
    """The router's attributes and cross-part calls, declared for the type checker."""

    # Configuration (a durable router's snapshot leaves these out).
    policy: RoutingPolicy
    push_timeout: timedelta | None
    clock: Clock
    cooldown: timedelta | None
    offline_grace: timedelta
    count_pins: bool
    capacity_model: CapacityModel
    _counted: frozenset[str]  # the counted work statuses (empty: tab-based)
    _initial: str | None  # the work status on accept or pin (None: tab-based)
    aging: Aging | None
    explain_detail: ExplainDetail
    _fast_score: int
    _subscribers: list[Subscriber]
    _pending: list[RoutingEvent]

    # State.
    _agents: dict[str, _AgentState]
    _items: dict[str, _ItemState]
    _index: AgentIndex
    _groups: dict[frozenset[str], frozenset[str]]
    _removed: int
    _queue: AwaitingQueue
    _timers: Timers
    _seq: int
    _offer_seq: int
    _tokens: int
    _max_capacity: int

    # Defined by Router (router.py).

    @abstractmethod
    def _emit(
        self,
        kind: EventKind,
        item_id: str | None,
        agent_id: str | None,
        at: datetime,
        detail: str | None = None,
    ) -> None: ...

    # Defined by _Matching (_matching.py).

    @abstractmethod
    def _unindex(self, agent: _AgentState) -> None: ...

    @abstractmethod
    def _reindex(self, agent: _AgentState) -> None: ...

    @abstractmethod
    def _rerank(self, agent: _AgentState) -> None: ...

    @abstractmethod
    def _charge(self, agent: _AgentState, channel: str | None, delta: int) -> None: ...

    @abstractmethod
    def _counts(self, state: _ItemState) -> bool: ...

    @abstractmethod
    def _eligible(
        self, agent: _AgentState, state: _ItemState, now: datetime, extra_room: int = 0
    ) -> bool: ...

    @abstractmethod
    def _held_weight(self, agent: _AgentState, state: _ItemState) -> int: ...

    @abstractmethod
    def _find(self, state: _ItemState, now: datetime) -> _Search: ...

    @abstractmethod
    def _first_eligible(
        self, agent: _AgentState, entries: Any, start: int, now: datetime
    ) -> int | None: ...

    # Defined by _Placement (_placement.py).

    @abstractmethod
    def _materialize(self, item_id: str, record: _Record) -> Decision: ...

    @abstractmethod
    def _refuse(self, state: _ItemState, agent: _AgentState, now: datetime) -> Offer | None: ...

    @abstractmethod
    def _withdraw_all(self, agent: _AgentState, now: datetime) -> None: ...

    # Defined by _Deadlines (_deadlines.py).

    @abstractmethod
    def _timer_live(self, timer: Timer) -> bool: ...
