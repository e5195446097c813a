"""The discrete-event engine: a heap of events, a ManualClock, and a real Router.

The simulation owns a [`ManualClock`][] injected into a
[`Router`][casekit.routing.Router]. It keeps one heap of its own events — arrivals, agents'
answers to offers, ends of work, presence changes from shifts, load samples — and, between
them, the router's deadlines (push timeouts, offline grace, cool-downs, aging), read with
``router.next_deadline()`` and acted on with ``router.tick()``. At each step the clock jumps
to the earliest of the two.

The simulator never decides who gets what: it submits, accepts, declines, advances and
releases through the router's public API, and learns about offers (including those made
inside the router when capacity frees, an offer times out or an agent comes on shift) from the
router's events. Each step costs O(log e) for ``e`` pending events plus the router call.
It announces its own events ([`SimEvent`][]: arrivals, steps and cases
done, SLA breaches, absences, abandonments) to [`Simulation.subscribe`][] listeners.

Random streams, all seeded from the scenario's seed (never the global ``random``, never the
wall clock):

* ``arrivals``: the arrival instants;
* ``work``: each case's priority and its handling time at every stage, drawn when it arrives;
* one stream per agent: its answers (decline or not) and accept delays;
* ``patience`` (only with the scenario's ``patience``): each case's patience at every stage,
  drawn when it arrives.

Two scenarios with the same seed, arrivals and stages therefore see the same cases with the
same handling times (and patiences) whatever the routing does: common random numbers for
what-if comparisons.

Abandonment (the scenario's ``patience``, Erlang A's reneging): a step's patience runs from
the moment the case enters it, in elapsed time. If no agent has accepted the step when it
runs out — the case is queued, or offered and not yet answered — the case abandons: it is
released from the router (``Router.release``), its step and the case are marked abandoned
then, and `SimEventKind.ABANDONED` is announced. At the same instant, everything else
(an acceptance included) happens first. A step once accepted never abandons, even when an
absence puts it back in the queue.

Absences (the scenario's ``AbsenceBook``) are events of their own: when one begins the
agent goes Offline and the work they hold is placed by ``casekit.worklists.place_work`` —
pinned to the delegate (``Router.assign``), requeued keeping its age (``Router.requeue``), or
kept with its remaining handling paused; when it ends the agent takes the presence their
shifts give then. They draw no random numbers, so common random numbers hold with them too.

Decisions where reality is richer than the model: handling time is elapsed time from
acceptance and carries on through breaks and past the end of a shift; an agent answers an
offer after its accept delay even when Busy (the router's push timeout decides whether the
answer is too late).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import logging
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from casekit.clock import ManualClock, as_utc
from casekit.errors import ValidationError
from casekit.priority import Priority
from casekit.routing import EventKind, Presence, RoutingEvent, WorkItem
from casekit.routing.ladder_runner import LadderRunner
from casekit.sim._absences import absence_windows
from casekit.sim.events import SimEvent, SimEventKind, SimSubscriber
from casekit.sim.results import (
    AbsenceMove,
    AgentRecord,
    ItemRecord,
    LoadSample,
    QueueSample,
    SimulationResult,
    StageRecord,
)
from casekit.sim.scenario import Scenario
from casekit.sim.specs import AgentSpec
from casekit.worklists.absence import (
    AbsenceBook,
    AbsenceRule,
    DelegateKind,
    HeldWork,
    Placement,
    WorkKind,
    place_work,
)

__all__ = ["Simulation"]

logger = logging.getLogger(__name__)

# Event kinds, in the order they run when due at the same instant.
_ABSENCE = 0  # an absence starts (number 1) or ends (number 0); only with absences
_PRESENCE = 1
_FINISH = 2  # number: the item's finish serial (a moved item's old finish is stale)
_ANSWER = 3
_ARRIVAL = 4
_SAMPLE = 5
_ABANDON = 6  # a step's patience runs out (number: the stage index); only with patience
_WATCH = 7  # an SLA deadline, only scheduled while someone listens

_Event = tuple[datetime, int, int, str, int, str]
"""``(at, kind, seq, subject, number, other)``: heap order is time, then kind, then FIFO."""


class _Stage:
    __slots__ = (
        "abandoned_at",
        "accepted_at",
        "agent_id",
        "declines",
        "due",
        "entered_at",
        "finished_at",
        "index",
        "offers",
        "timeouts",
        "withdrawn",
        "worked_from",
    )

    def __init__(self, index: int, entered_at: datetime) -> None:
        self.index = index
        self.entered_at = entered_at
        self.accepted_at: datetime | None = None  # the first acceptance: ends the wait
        self.worked_from: datetime | None = None  # the current holder's work began
        self.due: datetime | None = None  # when the current holder finishes
        self.finished_at: datetime | None = None
        self.abandoned_at: datetime | None = None
        self.agent_id: str | None = None
        self.offers = 0
        self.declines = 0
        self.timeouts = 0
        self.withdrawn = 0


class _Item:
    __slots__ = (
        "abandoned_at",
        "arrived_at",
        "finish_serial",
        "finished_at",
        "handling",
        "id",
        "offer_serial",
        "offered_to",
        "patience",
        "priority",
        "stages",
    )

    def __init__(
        self,
        item_id: str,
        arrived_at: datetime,
        priority: Priority,
        handling: list[timedelta],
        patience: list[timedelta] | None,
    ) -> None:
        self.id = item_id
        self.arrived_at = arrived_at
        self.priority = priority
        self.handling = handling
        self.patience = patience  # per stage, from its entry; None: never abandons
        self.stages: list[_Stage] = [_Stage(0, arrived_at)]
        self.finished_at: datetime | None = None
        self.abandoned_at: datetime | None = None
        self.offer_serial = 0
        self.offered_to: str | None = None
        self.finish_serial = 0


class _Agent:
    __slots__ = (
        "accepts",
        "available",
        "available_since",
        "declines",
        "finished",
        "offers",
        "rng",
        "spec",
        "timeouts",
        "withdrawn",
    )

    def __init__(self, spec: AgentSpec, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng
        self.offers = 0
        self.accepts = 0
        self.declines = 0
        self.timeouts = 0
        self.withdrawn = 0
        self.finished = 0
        self.available = timedelta(0)
        self.available_since: datetime | None = None


class Simulation:
    """Runs a [`Scenario`][] through a real router on a manual clock.

    Call [`run`][] once or several times with a later ``until`` each time (e.g. a day at a
    time, inspecting `router` in between); each call returns the result so far.

    Args:
        scenario: The office to simulate.

    Attributes:
        scenario: The scenario.
        clock: The simulation's clock (also the router's).
        router: The router under simulation; subscribe to it to narrate the run.
    """

    def __init__(self, scenario: Scenario) -> None:
        if not isinstance(scenario, Scenario):
            raise ValidationError(f"Simulation needs a Scenario, got {scenario!r}")
        self.scenario = scenario
        self.clock = ManualClock(scenario.start)
        self.router = scenario.router(self.clock)
        seed = scenario.seed
        self._arrival_rng = random.Random(f"casekit.sim/{seed}/arrivals")
        self._work_rng = random.Random(f"casekit.sim/{seed}/work")
        self._patience_rng = random.Random(f"casekit.sim/{seed}/patience")
        self._stages = scenario.stages
        self._items: dict[str, _Item] = {}
        self._agents: dict[str, _Agent] = {
            spec.id: _Agent(spec, random.Random(f"casekit.sim/{seed}/agent/{spec.id}"))
            for spec in scenario.agents
        }
        self._heap: list[_Event] = []
        self._seq = itertools.count()
        self._events = 0
        self._routing_events = 0
        self._samples: list[LoadSample] = []
        self._queue_samples: list[QueueSample] = []
        self._count = 0
        self._listeners: list[SimSubscriber] = []
        self._priorities: list[Priority] = []
        self._cumulative: list[float] = []
        if scenario.priorities is not None:
            for priority, weight in scenario.priorities.items():
                if weight > 0:
                    self._priorities.append(priority)
                    self._cumulative.append((self._cumulative or [0.0])[-1] + float(weight))
        self.router.subscribe(self._on_routing_event)
        self.ladders: LadderRunner | None = None
        self._rungs = 0
        self._ladders_ticked_at: datetime | None = None
        if scenario.ladders:
            self.ladders = LadderRunner(self.router, scenario.ladders, calendar=scenario.calendar)
        self._shifted: dict[str, Presence] = {}  # the presence each agent's shifts give now
        self._away: set[str] = set()  # agents absent now
        self._kept: dict[str, list[str]] = {}  # items waiting for an absent agent
        self._moved_busy: dict[str, timedelta] = {}  # work done on items moved since
        self._moves: list[AbsenceMove] = []
        self._leaving: dict[datetime, list[str]] = {}  # who goes away at each instant
        self._absence_rule = scenario.absence_rule or AbsenceRule()
        if scenario.absences is not None:
            self._schedule_absences(scenario.absences)
        self._arrivals: Iterator[datetime] = iter(
            scenario.arrivals.times(scenario.start, self._arrival_rng)
        )
        self._schedule_next_arrival()
        self._presence_day = scenario.start.date()
        self._start_agents()
        if scenario.sample_every is not None:
            self._push(scenario.start, _SAMPLE, "", 0, "")

    # ------------------------------------------------------------------ public

    @property
    def now(self) -> datetime:
        """The simulated time."""
        return self.clock.now()

    @property
    def events(self) -> int:
        """Simulation events processed so far."""
        return self._events

    def subscribe(self, callback: SimSubscriber) -> None:
        """Call ``callback(event)`` for every [`SimEvent`][] from now on.

        While someone listens, the simulation also watches SLA deadlines (one more event per
        step with a target, and per case with the scenario's ``sla``), to announce breaches at
        the moment they happen. Results do not depend on listening. O(1).
        """
        self._listeners.append(callback)

    def _announce(
        self,
        kind: SimEventKind,
        at: datetime,
        item_id: str,
        stage: str | None = None,
        *,
        agent_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        event = SimEvent(kind, at, item_id, stage, agent_id, detail)
        for callback in tuple(self._listeners):
            callback(event)

    def run(self, until: datetime | timedelta) -> SimulationResult:
        """Simulate up to ``until`` and return the result so far.

        Args:
            until: An instant (timezone-aware), or a duration from the scenario's start.

        Cost: O(log e) per event for ``e`` pending events, plus the router call the event
        makes, plus [`result`][] at the end.

        Returns:
            The [`SimulationResult`][] at ``until``.

        Raises:
            ValidationError: If ``until`` is before the simulation's current time.
        """
        end = self._resolve(until)
        self._extend_presence(end)
        heap = self._heap
        router = self.router
        clock = self.clock
        pop = heapq.heappop
        dispatch = (
            self._absence,
            self._presence,
            self._finish,
            self._answer,
            self._arrival,
            self._sample,
            self._abandon,
            self._watch,
        )
        events = 0
        while True:
            deadline = router.next_deadline()
            rung = self._next_rung()
            if rung is not None and (deadline is None or rung < deadline):
                deadline = rung
            at = heap[0][0] if heap else None
            # The router's deadlines come first at an instant, but for an absence beginning
            # or ending: nobody is offered work at the instant they go away.
            if deadline is not None and (
                at is None or deadline < at or (deadline == at and heap[0][1] != _ABSENCE)
            ):
                if deadline > end:
                    break
                clock.set(deadline)
                events += router.tick()
                events += self._tick_ladders()
                continue
            if at is None or at > end:
                break
            event = pop(heap)
            clock.set(at)
            dispatch[event[1]](event)
            events += 1
        self._events += events
        clock.set(end)
        logger.debug("simulated to %s: %d events", end.isoformat(), events)
        return self.result()

    def _next_rung(self) -> datetime | None:
        """When ladders should next tick: their next due time, or now for one already past.

        A due time at or before the last ladder tick belongs to an item that was held (or
        blocked) then: it is ticked again once the clock has moved on, not at the same
        instant over and over.
        """
        ladders = self.ladders
        if ladders is None:
            return None
        due = ladders.next_due()
        ticked = self._ladders_ticked_at
        if due is None or ticked is None or due > ticked:
            return due
        now = self.clock.now()
        return now if now > ticked else None

    def _tick_ladders(self) -> int:
        ladders = self.ladders
        if ladders is None:
            return 0
        self._ladders_ticked_at = self.clock.now()
        applied = len(ladders.tick())
        self._rungs += applied
        return applied

    @property
    def rungs_applied(self) -> int:
        """Escalation ladder rungs applied so far (0 without ladders)."""
        return self._rungs

    def result(self) -> SimulationResult:
        """The result at the current simulated time. O(items × stages + agents + samples)."""
        now = self.clock.now()
        stage_names = tuple(s.name for s in self._stages)
        busy: dict[str, timedelta] = dict.fromkeys(self._agents, timedelta(0))
        items = []
        for agent_id, earlier in self._moved_busy.items():
            busy[agent_id] += earlier
        for item in self._items.values():
            records = []
            for stage in item.stages:
                spec = self._stages[stage.index]
                if stage.worked_from is not None and stage.agent_id is not None:
                    busy[stage.agent_id] += (stage.finished_at or now) - stage.worked_from
                records.append(
                    StageRecord(
                        item_id=item.id,
                        stage=spec.name,
                        entered_at=stage.entered_at,
                        accepted_at=stage.accepted_at,
                        finished_at=stage.finished_at,
                        agent_id=stage.agent_id,
                        offers=stage.offers,
                        declines=stage.declines,
                        timeouts=stage.timeouts,
                        withdrawn=stage.withdrawn,
                        sla_breached=self._breached(
                            spec.sla, stage.entered_at, stage.accepted_at or stage.abandoned_at, now
                        ),
                        abandoned_at=stage.abandoned_at,
                    )
                )
            items.append(
                ItemRecord(
                    id=item.id,
                    priority=item.priority,
                    arrived_at=item.arrived_at,
                    stages=tuple(records),
                    finished_at=item.finished_at,
                    sla_breached=self._breached(
                        self.scenario.sla,
                        item.arrived_at,
                        item.finished_at or item.abandoned_at,
                        now,
                    ),
                    abandoned_at=item.abandoned_at,
                )
            )
        agents = []
        for agent in self._agents.values():
            available = agent.available
            if agent.available_since is not None:
                available += now - agent.available_since
            who = agent.spec
            agents.append(
                AgentRecord(
                    id=who.id,
                    skills=who.skills,
                    capacity=who.capacity,
                    offers=agent.offers,
                    accepts=agent.accepts,
                    declines=agent.declines,
                    timeouts=agent.timeouts,
                    withdrawn=agent.withdrawn,
                    finished=agent.finished,
                    busy=busy[who.id],
                    available=available,
                )
            )
        return SimulationResult(
            start=self.scenario.start,
            end=now,
            stage_names=stage_names,
            items=tuple(items),
            agents=tuple(agents),
            load_samples=tuple(self._samples),
            queue_samples=tuple(self._queue_samples),
            events=self._events,
            routing_events=self._routing_events,
            rungs_applied=self._rungs,
            absence_moves=tuple(self._moves),
        )

    def __repr__(self) -> str:
        return (
            f"Simulation(at {self.clock.now().isoformat()}, agents={len(self._agents)}, "
            f"cases={len(self._items)}, events={self._events})"
        )

    # ------------------------------------------------------------------ setup

    def _resolve(self, until: datetime | timedelta) -> datetime:
        if isinstance(until, timedelta):
            end = self.scenario.start + until
        elif isinstance(until, datetime):
            end = as_utc(until, what="until")
        else:
            raise ValidationError(f"until must be a datetime or a timedelta, got {until!r}")
        if end < self.clock.now():
            raise ValidationError(
                f"cannot run until {end.isoformat()}: the simulation is already at "
                f"{self.clock.now().isoformat()}"
            )
        return end

    def _push(self, at: datetime, kind: int, subject: str, number: int, other: str) -> None:
        heapq.heappush(self._heap, (at, kind, next(self._seq), subject, number, other))

    def _start_agents(self) -> None:
        start = self.scenario.start
        for agent in self._agents.values():
            spec = agent.spec
            if not spec.shifts:
                self._shifted[spec.id] = Presence.AVAILABLE
                self.router.add_agent(spec.to_agent(), Presence.AVAILABLE)
                continue
            presence = Presence.OFFLINE
            changes = self._shift_changes(spec, start.date() - timedelta(days=1), start.date())
            for at, change in changes:
                if at <= start:
                    presence = change
                else:
                    self._push(at, _PRESENCE, spec.id, 0, change.value)
            self._shifted[spec.id] = presence
            self.router.add_agent(spec.to_agent(), presence)
        self._presence_day = start.date() + timedelta(days=1)

    @staticmethod
    def _shift_changes(spec: AgentSpec, first: date, last: date) -> list[tuple[datetime, Presence]]:
        changes: list[tuple[datetime, Presence]] = []
        day = first
        while day <= last:
            for shift in spec.shifts:
                changes.extend(shift.transitions(day))
            day += timedelta(days=1)
        changes.sort(key=lambda change: change[0])
        return changes

    def _extend_presence(self, end: datetime) -> None:
        last = end.date()
        if self._presence_day > last:
            return
        for agent in self._agents.values():
            spec = agent.spec
            if spec.shifts:
                for at, change in self._shift_changes(spec, self._presence_day, last):
                    self._push(at, _PRESENCE, spec.id, 0, change.value)
        self._presence_day = last + timedelta(days=1)

    def _schedule_next_arrival(self) -> None:
        nxt = next(self._arrivals, None)
        if nxt is not None:
            self._push(nxt, _ARRIVAL, "", 0, "")

    # ------------------------------------------------------------------ events

    def _presence(self, event: _Event) -> None:
        presence = Presence(event[5])
        self._shifted[event[3]] = presence
        if event[3] not in self._away:  # an absence keeps them Offline; its end restores this
            self.router.set_presence(event[3], presence)

    def _arrival(self, event: _Event) -> None:
        now = event[0]
        self._count += 1
        item_id = f"{self.scenario.id_prefix}{self._count}"
        rng = self._work_rng
        priority = Priority.NORMAL
        if self._priorities:
            u = rng.random() * self._cumulative[-1]
            index = bisect.bisect_right(self._cumulative, u)
            priority = self._priorities[min(index, len(self._priorities) - 1)]
        handling = [stage.handling.sample(rng) for stage in self._stages]
        patience = self.scenario.patience
        waits = None
        if patience is not None:  # its own stream: the other draws stay as without patience
            waits = [patience.sample(self._patience_rng) for _ in self._stages]
        item = _Item(item_id, now, priority, handling, waits)
        self._items[item_id] = item
        first = self._stages[0]
        if waits is not None:
            self._push(now + waits[0], _ABANDON, item_id, 0, "")
        if self._listeners:
            self._announce(SimEventKind.ARRIVED, now, item_id, first.name, detail=priority.value)
            if self.scenario.sla is not None:
                self._push(self._due(now, self.scenario.sla), _WATCH, item_id, -1, "")
            if first.sla is not None:
                self._push(self._due(now, first.sla), _WATCH, item_id, 0, "")
        self.router.submit(
            WorkItem(id=item_id, skills=first.skills, priority=priority, stage=first.name)
        )
        self._schedule_next_arrival()

    def _answer(self, event: _Event) -> None:
        item = self._items[event[3]]
        agent_id = event[5]
        if item.offered_to != agent_id or item.offer_serial != event[4] // 2:
            return  # the offer timed out or was withdrawn before the answer
        if agent_id in self._away:
            return  # away: the offer is withdrawn after the offline grace, or times out
        if event[4] % 2:
            self.router.decline(item.id, agent_id)
        else:
            self.router.accept(item.id, agent_id)

    def _finish(self, event: _Event) -> None:
        now = event[0]
        item = self._items[event[3]]
        if event[4] != item.finish_serial:
            return  # an absence moved or paused the work after this finish was scheduled
        stage = item.stages[-1]
        stage.finished_at = now
        stage.due = None
        self._agents[event[5]].finished += 1
        index = stage.index + 1
        listening = bool(self._listeners)
        if index < len(self._stages):
            nxt = self._stages[index]
            item.stages.append(_Stage(index, now))
            if item.patience is not None:
                self._push(now + item.patience[index], _ABANDON, item.id, index, "")
            if listening:
                done = self._stages[stage.index].name
                self._announce(
                    SimEventKind.STEP_DONE, now, item.id, done, agent_id=event[5], detail=nxt.name
                )
                if nxt.sla is not None:
                    self._push(self._due(now, nxt.sla), _WATCH, item.id, index, "")
            self.router.advance(item.id, stage=nxt.name, skills=nxt.skills)
        else:
            item.finished_at = now
            if listening:
                done = self._stages[stage.index].name
                self._announce(SimEventKind.STEP_DONE, now, item.id, done, agent_id=event[5])
                self._announce(SimEventKind.CASE_DONE, now, item.id)
            self.router.release(item.id)

    def _abandon(self, event: _Event) -> None:
        """A step's patience runs out: the case abandons unless the step was accepted."""
        now = event[0]
        item = self._items[event[3]]
        stage = item.stages[-1]
        if stage.index != event[4] or stage.accepted_at is not None:
            return  # accepted in time (perhaps done and moved on): patience no longer counts
        stage.abandoned_at = item.abandoned_at = now
        item.offered_to = None
        name = self._stages[stage.index].name
        if self._listeners:
            self._announce(SimEventKind.ABANDONED, now, item.id, name)
        self.router.release(item.id)

    def _sample(self, event: _Event) -> None:
        now = event[0]
        router = self.router
        samples = self._samples
        for agent_id in self._agents:
            samples.append(
                LoadSample(now, agent_id, router.load(agent_id), router.presence(agent_id))
            )
        self._queue_samples.append(QueueSample(now, router.queue_length()))
        every = self.scenario.sample_every
        assert every is not None
        self._push(now + every, _SAMPLE, "", 0, "")

    # ------------------------------------------------------------------ SLA clocks

    def _due(self, start: datetime, target: timedelta) -> datetime:
        """When an SLA clock started at ``start`` reaches ``target``. O(days spanned)."""
        calendar = self.scenario.calendar
        return start + target if calendar is None else calendar.add_business_hours(start, target)

    def _elapsed(self, start: datetime, end: datetime) -> timedelta:
        calendar = self.scenario.calendar
        return end - start if calendar is None else calendar.business_hours_between(start, end)

    def _breached(
        self, target: timedelta | None, since: datetime, done: datetime | None, now: datetime
    ) -> bool | None:
        """Over the target (``True``), within it (``False``) or not decided yet (``None``)."""
        if target is None:
            return None
        if done is not None:
            return self._elapsed(since, done) > target
        return True if self._elapsed(since, now) > target else None

    def _watch(self, event: _Event) -> None:
        if not self._listeners:
            return
        item = self._items[event[3]]
        index = event[4]
        if index < 0:
            target = self.scenario.sla
            if item.finished_at is None and item.abandoned_at is None and target is not None:
                self._announce(
                    SimEventKind.CASE_SLA_BREACHED, event[0], item.id, detail=str(target)
                )
            return
        stage = item.stages[-1]
        spec = self._stages[index]
        if stage.index == index and stage.accepted_at is None and stage.abandoned_at is None:
            self._announce(
                SimEventKind.STEP_SLA_BREACHED, event[0], item.id, spec.name, detail=str(spec.sla)
            )

    # ------------------------------------------------------------------ router events

    def _on_routing_event(self, event: RoutingEvent) -> None:
        self._routing_events += 1
        kind = event.kind
        if kind is EventKind.OFFERED:
            self._offered(event)
        elif kind is EventKind.ACCEPTED:
            self._accepted(event)
        elif kind is EventKind.PRESENCE_CHANGED:
            agent = self._agents[event.agent_id or ""]
            if event.detail == Presence.AVAILABLE.value:
                if agent.available_since is None:
                    agent.available_since = event.at
            elif agent.available_since is not None:
                agent.available += event.at - agent.available_since
                agent.available_since = None
        elif kind is EventKind.RELEASED:
            item = self._items.get(event.item_id or "")
            if item is not None:  # a step change or a ladder rung ends any pending offer
                item.offered_to = None
        elif kind in _REFUSALS:
            item = self._items[event.item_id or ""]
            agent = self._agents[event.agent_id or ""]
            item.offered_to = None
            stage = item.stages[-1]
            if kind is EventKind.DECLINED:
                stage.declines += 1
                agent.declines += 1
            elif kind is EventKind.OFFER_TIMED_OUT:
                stage.timeouts += 1
                agent.timeouts += 1
            else:
                stage.withdrawn += 1
                agent.withdrawn += 1

    def _offered(self, event: RoutingEvent) -> None:
        item = self._items[event.item_id or ""]
        agent = self._agents[event.agent_id or ""]
        item.stages[-1].offers += 1
        agent.offers += 1
        item.offer_serial += 1
        item.offered_to = agent.spec.id
        spec = agent.spec
        if spec.auto_accept:
            return
        rng = agent.rng
        decline = rng.random() < spec.decline_probability
        delay = spec.accept_delay.sample(rng)
        self._push(event.at + delay, _ANSWER, item.id, item.offer_serial * 2 + decline, spec.id)

    def _accepted(self, event: RoutingEvent) -> None:
        item = self._items[event.item_id or ""]
        agent = self._agents[event.agent_id or ""]
        agent.accepts += 1
        item.offered_to = None
        stage = item.stages[-1]
        if stage.accepted_at is None:  # accepted again after an absence returned it
            stage.accepted_at = event.at
        stage.agent_id = agent.spec.id
        stage.worked_from = event.at
        self._schedule_finish(item, agent.spec.id, event.at + item.handling[stage.index])

    def _schedule_finish(self, item: _Item, agent_id: str, at: datetime) -> None:
        item.finish_serial += 1
        item.stages[-1].due = at
        self._push(at, _FINISH, item.id, item.finish_serial, agent_id)

    # ------------------------------------------------------------------ absences

    def _schedule_absences(self, book: AbsenceBook) -> None:
        """Push the start and end of each agent's absences (see `absence_windows`)."""
        for agent_id, begins, ends, kind in absence_windows(book, self.scenario.start):
            self._leaving.setdefault(begins, []).append(agent_id)
            self._push(begins, _ABSENCE, agent_id, 1, kind)
            self._push(ends, _ABSENCE, agent_id, 0, kind)

    def _absence(self, event: _Event) -> None:
        if event[4]:
            self._leave(event[0], event[3], event[5])
        else:
            self._come_back(event[0], event[3], event[5])

    def _leave(self, now: datetime, agent_id: str, kind: str) -> None:
        """An absence begins: Offline, and the agent's work goes where `place_work` says.

        O(w · c · a) for the ``w`` items they hold (see `casekit.worklists.place_work`).
        """
        book = self.scenario.absences
        assert book is not None  # only scheduled with absences
        router = self.router
        # Everyone leaving now goes Offline before anyone's work moves, so none of it is
        # offered to someone away from this very instant; when several leave at once, Busy
        # first (no offers, none withdrawn), so one's withdrawn offers do not go to another.
        leaving = self._leaving.pop(now, [])
        self._away.update(leaving)
        if len(leaving) > 1:
            for who in leaving:
                router.set_presence(who, Presence.BUSY)
        for who in leaving:
            router.set_presence(who, Presence.OFFLINE)
        if self._listeners:
            self._announce(SimEventKind.ABSENCE_STARTED, now, "", agent_id=agent_id, detail=kind)
        status = router.agent(agent_id)
        held = [
            HeldWork(
                item_id, agent_id, work, self._stages[self._items[item_id].stages[-1].index].name
            )
            for work, ids in ((WorkKind.TASK, status.accepted), (WorkKind.PINNED, status.pinned))
            for item_id in ids
        ]
        for placement in place_work(held, book, self._absence_rule, now):
            self._place(placement, agent_id, now)

    def _place(self, placement: Placement, holder: str, now: datetime) -> None:
        item = self._items[placement.item_id]
        stage = item.stages[-1]
        remaining = max(stage.due - now, timedelta(0)) if stage.due is not None else timedelta(0)
        item.handling[stage.index] = remaining  # work done so far stays done
        if stage.worked_from is not None:
            done = self._moved_busy.get(holder, timedelta(0))
            self._moved_busy[holder] = done + (now - stage.worked_from)
        stage.worked_from = None
        stage.due = None
        item.finish_serial += 1  # the finish scheduled for the holder no longer falls
        to = placement.destination
        if not placement.moved:
            outcome, kind, where = "kept", SimEventKind.WORK_KEPT, holder
            self._kept.setdefault(holder, []).append(item.id)
        elif to.kind is DelegateKind.AGENT:
            outcome, kind, where = "delegated", SimEventKind.WORK_DELEGATED, str(to.id)
            stage.agent_id = where
            stage.worked_from = now
            self.router.assign(item.id, where, override=True)  # a person decided: no checks
            self._schedule_finish(item, where, now + remaining)
        else:
            outcome, kind, where = "returned", SimEventKind.WORK_RETURNED, str(to.id)
            stage.agent_id = None
            self.router.requeue(item.id)  # keeps its age; may be offered (even accepted) now
        name = self._stages[stage.index].name
        self._moves.append(
            AbsenceMove(now, item.id, name, holder, outcome, where, placement.reason)
        )
        if self._listeners:
            self._announce(kind, now, item.id, name, agent_id=holder, detail=where)

    def _come_back(self, now: datetime, agent_id: str, kind: str) -> None:
        """An absence ends: the shift's presence again, and kept work carries on. O(k)."""
        self._away.discard(agent_id)
        if self._listeners:
            self._announce(SimEventKind.ABSENCE_ENDED, now, "", agent_id=agent_id, detail=kind)
        self.router.set_presence(agent_id, self._shifted[agent_id])
        for item_id in self._kept.pop(agent_id, ()):
            item = self._items[item_id]
            stage = item.stages[-1]
            if stage.agent_id == agent_id and stage.due is None and stage.finished_at is None:
                stage.worked_from = now
                self._schedule_finish(item, agent_id, now + item.handling[stage.index])


_REFUSALS = frozenset({EventKind.DECLINED, EventKind.OFFER_TIMED_OUT, EventKind.WITHDRAWN})
