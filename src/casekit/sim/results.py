"""What a simulation run produced: per-case, per-step and per-agent records, and their summary.

Records are frozen values. [`SimulationResult.to_records`][] flattens any table into plain
dicts (``pandas.DataFrame(result.to_records("stages"))``); `to_dataframe` does it for
you when pandas is installed.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import attrs

from casekit.errors import ValidationError
from casekit.notebook import to_dataframe
from casekit.priority import Priority
from casekit.routing import Presence, jain_index

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AbsenceMove",
    "AgentRecord",
    "Fairness",
    "ItemRecord",
    "LoadSample",
    "QueueSample",
    "SimulationResult",
    "StageRecord",
    "StageSummary",
    "Summary",
    "Table",
]

Table = Literal["items", "stages", "agents", "load", "queue", "moves"]
"""The tables a result flattens into records."""

_TABLES = ("items", "stages", "agents", "load", "queue", "moves")
_ZERO = timedelta(0)


@attrs.frozen
class StageRecord:
    """One case at one step.

    Attributes:
        item_id: The case.
        stage: The step's name.
        entered_at: When the case entered the step (arrival, or the previous step's end).
        accepted_at: When an agent accepted it (``None``: not yet).
        finished_at: When the step's work was done (``None``: not yet).
        agent_id: Who accepted it.
        offers: Offers made at this step.
        declines: Offers declined.
        timeouts: Offers not answered within the push timeout.
        withdrawn: Offers withdrawn because the agent went Offline.
        sla_breached: The wait exceeded the step's SLA target; ``None`` without a target, or
            while still within it. An abandoned step is judged at its abandonment.
        abandoned_at: When the case gave up waiting at this step (``None``: it did not; see
            the scenario's ``patience``). An abandoned step is never accepted.
    """

    item_id: str
    stage: str
    entered_at: datetime
    accepted_at: datetime | None
    finished_at: datetime | None
    agent_id: str | None
    offers: int
    declines: int
    timeouts: int
    withdrawn: int
    sla_breached: bool | None
    abandoned_at: datetime | None = None

    @property
    def wait(self) -> timedelta | None:
        """Entering the step to acceptance (``None`` while not accepted, and if abandoned)."""
        return None if self.accepted_at is None else self.accepted_at - self.entered_at

    @property
    def handling(self) -> timedelta | None:
        """Acceptance to the end of the step's work (``None`` while not done)."""
        if self.accepted_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.accepted_at


@attrs.frozen
class ItemRecord:
    """One case's journey through the pipeline.

    Attributes:
        id: The case id.
        priority: Its priority.
        arrived_at: When it arrived.
        stages: Its steps so far, in order.
        finished_at: When its last step was done (``None``: still in progress, or abandoned).
        sla_breached: Its end-to-end SLA was exceeded; ``None`` without a target, or while
            still within it. An abandoned case is judged at its abandonment.
        abandoned_at: When it gave up waiting (``None``: it did not); it then left the
            office unfinished, at its last step.
    """

    id: str
    priority: Priority
    arrived_at: datetime
    stages: tuple[StageRecord, ...]
    finished_at: datetime | None
    sla_breached: bool | None
    abandoned_at: datetime | None = None

    @property
    def total_wait(self) -> timedelta:
        """Time spent waiting for acceptance over the steps accepted so far."""
        return sum((s.wait for s in self.stages if s.wait is not None), _ZERO)

    @property
    def turnaround(self) -> timedelta | None:
        """Arrival to last step done (``None`` while in progress)."""
        return None if self.finished_at is None else self.finished_at - self.arrived_at


@attrs.frozen
class AgentRecord:
    """One agent over the run.

    Attributes:
        id: The agent.
        skills: Its skills.
        capacity: Items it works at once.
        offers: Offers it received.
        accepts: Offers it accepted.
        declines: Offers it declined.
        timeouts: Offers it let time out.
        withdrawn: Offers withdrawn when it went Offline.
        finished: Steps it finished.
        busy: Total handling time of its accepted work (summed over parallel items).
        available: Time it was Available.
    """

    id: str
    skills: Mapping[str, int]
    capacity: int
    offers: int
    accepts: int
    declines: int
    timeouts: int
    withdrawn: int
    finished: int
    busy: timedelta
    available: timedelta

    @property
    def occupancy(self) -> float:
        """Busy time ÷ (capacity × Available time); 0 when never Available.

        Work in progress carries on through breaks and past the end of a shift, so this can
        exceed 1 for agents who often finish late.
        """
        if self.available <= _ZERO:
            return 0.0
        return self.busy / (self.available * self.capacity)


@attrs.frozen
class LoadSample:
    """An agent's load and presence at one sampling instant."""

    at: datetime
    agent_id: str
    load: int
    presence: Presence


@attrs.frozen
class QueueSample:
    """Cases Awaiting Assignment (all steps) at one sampling instant."""

    at: datetime
    waiting: int


@attrs.frozen
class AbsenceMove:
    """What an absence did with one item its agent held when it began (or, when kept, ended).

    Attributes:
        at: When (the absence's start).
        item_id: The case.
        stage: The step it was at.
        holder: The absent agent who held it.
        outcome: ``"delegated"`` (pinned to ``to``, an agent), ``"returned"`` (back in the
            queue, keeping its age) or ``"kept"`` (it waits for the holder, its remaining
            handling time paused until they are back).
        to: The delegate's id for ``"delegated"``; the queue named by the delegation (or the
            step's name) for ``"returned"``; the holder for ``"kept"``.
        reason: Why, in words (from ``casekit.worklists.place_work``).
    """

    at: datetime
    item_id: str
    stage: str
    holder: str
    outcome: str
    to: str
    reason: str


@attrs.frozen
class StageSummary:
    """Figures for one step over the cases that entered it (after the warm-up).

    Attributes:
        stage: The step.
        entered: Cases that entered it.
        accepted: Of those, accepted.
        finished: Of those, finished.
        waited: Fraction of accepted cases that waited at all (Erlang C's probability of
            waiting, when each step is a M/M/N queue).
        mean_wait: Mean wait of accepted cases.
        p90_wait: 90th percentile of the waits.
        service_level: Fraction of accepted cases accepted within the SLA target (``None``
            without one).
        sla_breaches: Cases whose wait exceeded the target (including those still waiting,
            and those that abandoned after waiting longer than the target).
        offers: Offers made.
        declines: Offers declined.
        timeouts: Offers timed out.
        abandoned: Cases that gave up waiting at this step (neither accepted nor finished).
    """

    stage: str
    entered: int
    accepted: int
    finished: int
    waited: float
    mean_wait: timedelta
    p90_wait: timedelta
    service_level: float | None
    sla_breaches: int
    offers: int
    declines: int
    timeouts: int
    abandoned: int = 0


@attrs.frozen
class Fairness:
    """How evenly work was spread, over occupancy, among agents with the same skills.

    Attributes:
        jain: Jain's index of occupancy over every agent that was Available (1 = even).
        spread: Largest minus smallest occupancy among them.
        groups: Skill set (``"Chaser=1"``) → (agents, Jain's index, spread) within the group.
    """

    jain: float
    spread: float
    groups: Mapping[str, tuple[int, float, float]]


@attrs.frozen
class Summary:
    """The headline figures of a run.

    Attributes:
        start: Start of the simulated period.
        end: End of the simulated period.
        arrived: Cases arrived (after the warm-up).
        finished: Of those, cases through the whole pipeline.
        mean_turnaround: Mean arrival-to-finish of the finished cases.
        sla_breaches: Cases over the end-to-end SLA (``0`` without one).
        stages: One summary per step.
        occupancy: Mean occupancy of the agents who were Available.
        fairness: Workload balance.
        events: Simulation events processed (arrivals, answers, ends of work, presence
            changes, samples, patiences run out, router deadlines acted on).
        abandoned: Of the cases arrived, those that gave up waiting (at any step).
    """

    start: datetime
    end: datetime
    arrived: int
    finished: int
    mean_turnaround: timedelta | None
    sla_breaches: int
    stages: tuple[StageSummary, ...]
    occupancy: float
    fairness: Fairness
    events: int
    abandoned: int = 0

    def stage(self, name: str) -> StageSummary:
        """The summary of one step.

        Raises:
            ValidationError: If there is no such step.
        """
        for summary in self.stages:
            if summary.stage == name:
                return summary
        raise ValidationError(
            f"no stage {name!r}; stages: {', '.join(s.stage for s in self.stages)}"
        )


def _skill_key(skills: Mapping[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(skills.items())) or "(no skills)"


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


@attrs.frozen(eq=False)
class SimulationResult:
    """Everything one run produced.

    Attributes:
        start: Start of the simulated period.
        end: End of the simulated period (the run's ``until``).
        stage_names: The pipeline's steps, in order.
        items: One record per case that arrived, in arrival order.
        agents: One record per agent, in scenario order.
        load_samples: Agents' loads and presence at each sampling instant.
        queue_samples: Cases Awaiting Assignment at each sampling instant.
        events: Simulation events processed.
        routing_events: Router events observed (offers, accepts, releases, ...).
        rungs_applied: Escalation ladder rungs applied (0 without ladders).
        absence_moves: What absences did with the work their agents held, in order.
    """

    start: datetime
    end: datetime
    stage_names: tuple[str, ...]
    items: tuple[ItemRecord, ...]
    agents: tuple[AgentRecord, ...]
    load_samples: tuple[LoadSample, ...]
    queue_samples: tuple[QueueSample, ...]
    events: int
    routing_events: int
    rungs_applied: int = 0
    absence_moves: tuple[AbsenceMove, ...] = ()

    def moved(self) -> dict[str, int]:
        """How many held items absences delegated, returned to the queue and kept. O(moves)."""
        counts = dict.fromkeys(("delegated", "returned", "kept"), 0)
        for move in self.absence_moves:
            counts[move.outcome] += 1
        return counts

    def summary(self, warmup: timedelta = _ZERO) -> Summary:
        """Headline figures, leaving out cases that arrived during ``warmup``. O(items log items).

        Raises:
            ValidationError: If ``warmup`` is negative.
        """
        if not isinstance(warmup, timedelta) or warmup < _ZERO:
            raise ValidationError(f"warmup must be a timedelta >= 0, got {warmup!r}")
        since = self.start + warmup
        items = [i for i in self.items if i.arrived_at >= since]
        finished = [i for i in items if i.finished_at is not None]
        turnarounds = [t.total_seconds() for i in finished if (t := i.turnaround) is not None]
        by_stage: dict[str, list[StageRecord]] = defaultdict(list)
        for item in items:
            for record in item.stages:
                by_stage[record.stage].append(record)
        available = [a for a in self.agents if a.available > _ZERO]
        return Summary(
            start=self.start,
            end=self.end,
            arrived=len(items),
            finished=len(finished),
            mean_turnaround=timedelta(seconds=_mean(turnarounds)) if turnarounds else None,
            sla_breaches=sum(1 for i in items if i.sla_breached),
            stages=tuple(self._stage_summary(n, by_stage.get(n, [])) for n in self.stage_names),
            occupancy=_mean([a.occupancy for a in available]),
            fairness=self.fairness(),
            events=self.events,
            abandoned=sum(1 for i in items if i.abandoned_at is not None),
        )

    @staticmethod
    def _stage_summary(name: str, records: list[StageRecord]) -> StageSummary:
        waits = sorted(w.total_seconds() for r in records if (w := r.wait) is not None)
        judged = [r for r in records if r.wait is not None and r.sla_breached is not None]
        return StageSummary(
            stage=name,
            entered=len(records),
            accepted=len(waits),
            finished=sum(1 for r in records if r.finished_at is not None),
            waited=(sum(1 for w in waits if w > 0) / len(waits)) if waits else 0.0,
            mean_wait=timedelta(seconds=_mean(waits)),
            p90_wait=timedelta(seconds=_percentile(waits, 0.9)),
            service_level=(
                sum(1 for r in judged if not r.sla_breached) / len(judged) if judged else None
            ),
            sla_breaches=sum(1 for r in records if r.sla_breached),
            offers=sum(r.offers for r in records),
            declines=sum(r.declines for r in records),
            timeouts=sum(r.timeouts for r in records),
            abandoned=sum(1 for r in records if r.abandoned_at is not None),
        )

    def fairness(self) -> Fairness:
        """Jain's index and spread of occupancy, overall and per skill set. O(agents)."""
        available = [a for a in self.agents if a.available > _ZERO]
        groups: dict[str, list[float]] = defaultdict(list)
        for agent in available:
            groups[_skill_key(agent.skills)].append(agent.occupancy)
        occupancies = [a.occupancy for a in available]
        return Fairness(
            jain=jain_index(occupancies),
            spread=max(occupancies) - min(occupancies) if len(occupancies) > 1 else 0.0,
            groups={
                key: (len(values), jain_index(values), max(values) - min(values))
                for key, values in sorted(groups.items())
            },
        )

    def to_records(self, table: Table = "stages") -> list[dict[str, object]]:
        """One flat dict per row of a table.

        Tables: ``items``, ``stages`` (the default), ``agents``, ``load``, ``queue`` and
        ``moves`` (what absences did with held work).
        Durations are in seconds (floats), timestamps timezone-aware datetimes.

        Raises:
            ValidationError: For an unknown table.
        """
        if table == "items":
            return [
                {
                    "item_id": i.id,
                    "priority": i.priority.value,
                    "arrived_at": i.arrived_at,
                    "finished_at": i.finished_at,
                    "abandoned_at": i.abandoned_at,
                    "stages_done": sum(1 for s in i.stages if s.finished_at is not None),
                    "total_wait_s": i.total_wait.total_seconds(),
                    "turnaround_s": None if i.turnaround is None else i.turnaround.total_seconds(),
                    "offers": sum(s.offers for s in i.stages),
                    "declines": sum(s.declines for s in i.stages),
                    "timeouts": sum(s.timeouts for s in i.stages),
                    "sla_breached": i.sla_breached,
                }
                for i in self.items
            ]
        if table == "stages":
            return [
                {
                    "item_id": s.item_id,
                    "stage": s.stage,
                    "entered_at": s.entered_at,
                    "accepted_at": s.accepted_at,
                    "finished_at": s.finished_at,
                    "agent_id": s.agent_id,
                    "wait_s": None if s.wait is None else s.wait.total_seconds(),
                    "handling_s": None if s.handling is None else s.handling.total_seconds(),
                    "offers": s.offers,
                    "declines": s.declines,
                    "timeouts": s.timeouts,
                    "withdrawn": s.withdrawn,
                    "sla_breached": s.sla_breached,
                    "abandoned_at": s.abandoned_at,
                }
                for i in self.items
                for s in i.stages
            ]
        if table == "agents":
            return [
                {
                    "agent_id": a.id,
                    "skills": _skill_key(a.skills),
                    "capacity": a.capacity,
                    "offers": a.offers,
                    "accepts": a.accepts,
                    "declines": a.declines,
                    "timeouts": a.timeouts,
                    "withdrawn": a.withdrawn,
                    "finished": a.finished,
                    "busy_s": a.busy.total_seconds(),
                    "available_s": a.available.total_seconds(),
                    "occupancy": a.occupancy,
                }
                for a in self.agents
            ]
        if table == "load":
            return [
                {
                    "at": s.at,
                    "agent_id": s.agent_id,
                    "load": s.load,
                    "presence": s.presence.value,
                }
                for s in self.load_samples
            ]
        if table == "queue":
            return [{"at": q.at, "waiting": q.waiting} for q in self.queue_samples]
        if table == "moves":
            return [attrs.asdict(move) for move in self.absence_moves]
        raise ValidationError(f"unknown table {table!r}; allowed: {', '.join(_TABLES)}")

    def to_dataframe(self, table: Table = "stages") -> pd.DataFrame:
        """``table`` as a pandas DataFrame (see [`to_records`][]).

        Raises:
            MissingExtra: pandas is not installed.
            ValidationError: For an unknown table.
        """
        return to_dataframe(self.to_records(table), what=f"simulation {table}")

    def __repr__(self) -> str:
        return (
            f"SimulationResult({self.start.isoformat()} → {self.end.isoformat()}, "
            f"items={len(self.items)}, agents={len(self.agents)}, events={self.events})"
        )

    def _repr_html_(self) -> str:
        summary = self.summary()
        rows = "".join(
            "<tr>"
            f"<td>{html.escape(s.stage)}</td><td>{s.entered}</td><td>{s.accepted}</td>"
            f"<td>{s.waited:.1%}</td><td>{s.mean_wait}</td><td>{s.p90_wait}</td>"
            f"<td>{'' if s.service_level is None else f'{s.service_level:.1%}'}</td>"
            f"<td>{s.sla_breaches}</td><td>{s.offers}</td><td>{s.declines}</td>"
            f"<td>{s.timeouts}</td><td>{s.abandoned}</td></tr>"
            for s in summary.stages
        )
        return (
            f"<div><strong>Simulation {html.escape(self.start.isoformat())} → "
            f"{html.escape(self.end.isoformat())}</strong>: {summary.arrived} cases arrived, "
            f"{summary.finished} finished, {summary.abandoned} abandoned, "
            f"{summary.sla_breaches} over SLA; occupancy "
            f"{summary.occupancy:.1%}, Jain {summary.fairness.jain:.3f}; "
            f"{summary.events} events</div>"
            "<table><thead><tr><th>stage</th><th>entered</th><th>accepted</th><th>waited</th>"
            "<th>mean wait</th><th>p90 wait</th><th>within SLA</th><th>breaches</th>"
            "<th>offers</th><th>declines</th><th>timeouts</th><th>abandoned</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
