"""A scenario: everything a simulation run needs, as one frozen, comparable value.

What-if analysis changes one field with [`Scenario.evolve`][] (more agents, another routing
model, a shorter push timeout) and runs both on the same seed, so both see the same arrivals
and handling times (see `casekit.sim.whatif`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from casekit.clock import ManualClock, as_utc
from casekit.errors import ValidationError, allowed_list
from casekit.priority import Priority
from casekit.routing import Aging, ExplainDetail, Router, RoutingModel, RoutingPolicy
from casekit.routing.ladder import Ladder, check_ladders
from casekit.sim.distributions import Distribution
from casekit.sim.specs import AgentSpec, ArrivalProcess, Stage
from casekit.worklists.absence import AbsenceBook, AbsenceRule, DelegateKind
from casekit.worklists.calendar import BusinessCalendar

__all__ = ["DEFAULT_START", "Scenario"]

DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
"""Monday 5 January 2026, 00:00 UTC."""


def _ladders(values: Iterable[Ladder]) -> tuple[Ladder, ...]:
    return tuple(check_ladders(values).values())


def _agents(values: Iterable[AgentSpec]) -> tuple[AgentSpec, ...]:
    return tuple(values)


def _stages(values: Iterable[Stage]) -> tuple[Stage, ...]:
    return tuple(values)


@attrs.frozen
class Scenario:
    """An office to simulate: who works, what they work on, how work arrives, how it is routed.

    Attributes:
        agents: The staff.
        stages: The routed steps every case goes through, in order (e.g. Chaser, Case Manager,
            Reviewer); a case moves on with ``Router.advance`` and leaves with ``release``.
        arrivals: How cases arrive ([`Poisson`][],
            [`Recorded`][] or [`ArrivalFunction`][]).
        seed: The seed of every random stream of the run.
        start: When the simulation starts (timezone-aware).
        model: The routing model or a custom policy.
        push_timeout: How long an agent has to answer an offer (``None``: no timeout).
        cooldown: How long a decline or timeout keeps a case from that agent (``None``: for the
            rest of the step).
        offline_grace: How long after going Offline an agent's pending offers are withdrawn.
        aging: Optional priority aging of waiting cases.
        sla: Target for a case's whole journey, arrival to last step done (``None``: none).
        calendar: The business calendar SLA clocks run on: with one, every SLA target (the
            scenario's and each stage's) is working time on it, so a clock stops overnight and
            at weekends and a breach falls in working hours; ``None``: elapsed time.
        priorities: Optional priority mix (priority → relative weight); default all Normal.
        sample_every: How often agents' loads and presence are sampled (``None``: never).
        id_prefix: Prefix of the case ids (``CASE-1``, ``CASE-2``, ...).
        ladders: Escalation ladders for the stages (``casekit.routing.Ladder``, at most one
            per stage, each naming a stage of the scenario), applied by a
            ``LadderRunner`` on the simulation's router: run a scenario with and without
            them on the same seed to forecast their effect (`casekit.sim.whatif.compare`).
            With a ``calendar``, a rung's delay is working time on it.
        absences: Who is away when (``casekit.worklists.AbsenceBook``: planned leave,
            sickness, and each agent's delegate), or ``None``. During an absence the agent
            is Offline on the simulation's router (no offers), and their shifts resume after
            it; the work they hold when it begins goes where ``casekit.worklists.place_work``
            says under ``absence_rule``. Every absence and delegate must name an agent of
            the scenario.
        absence_rule: What happens to an absent agent's work
            (``casekit.worklists.AbsenceRule``; ``None``: its default, accepted work
            follows the delegation and pinned work is kept). Ignored without ``absences``.
        patience: How long a client waits for a step to be accepted before giving up
            (a [`Distribution`][]: [`Fixed`][], [`Exponential`][] for Erlang A, ...), or
            ``None``: nobody abandons. Each case draws one patience per step when it arrives,
            from a stream of its own; a step's patience counts elapsed time (not the
            calendar's working hours) from the moment the case enters the step. A step not
            accepted when it runs out (waiting, or offered and unanswered) abandons: the case
            is released from the router and goes no further. A step once accepted never
            abandons, even if an absence returns it to the queue.
    """

    agents: tuple[AgentSpec, ...] = attrs.field(converter=_agents)
    stages: tuple[Stage, ...] = attrs.field(converter=_stages)
    arrivals: ArrivalProcess
    seed: int = 0
    start: datetime = DEFAULT_START
    model: RoutingModel | RoutingPolicy = RoutingModel.LEAST_ACTIVE
    push_timeout: timedelta | None = timedelta(minutes=10)
    cooldown: timedelta | None = None
    offline_grace: timedelta = timedelta(0)
    aging: Aging | None = None
    sla: timedelta | None = None
    calendar: BusinessCalendar | None = None
    priorities: Mapping[Priority, float] | None = None
    sample_every: timedelta | None = timedelta(hours=1)
    id_prefix: str = "CASE-"
    explain: ExplainDetail = ExplainDetail.SUMMARY
    ladders: tuple[Ladder, ...] = attrs.field(default=(), converter=_ladders)
    absences: AbsenceBook | None = None
    absence_rule: AbsenceRule | None = None
    patience: Distribution | None = None

    def __attrs_post_init__(self) -> None:
        patience = self.patience
        if patience is not None and (
            isinstance(patience, type) or not isinstance(patience, Distribution)
        ):
            raise ValidationError(
                f"patience of a scenario must be a Distribution (Fixed, Exponential, "
                f"LogNormal, Empirical) or None, got {self.patience!r:.80}"
            )
        self._check_agents()
        self._check_stages()
        self._check_ladders()
        self._check_absences()
        if not isinstance(self.arrivals, ArrivalProcess):
            raise ValidationError(
                f"arrivals must be an arrival process (Poisson, Recorded, ArrivalFunction), "
                f"got {self.arrivals!r}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValidationError(f"seed must be an integer, got {self.seed!r}")
        object.__setattr__(self, "start", as_utc(self.start, what="scenario start"))
        for name in ("sla", "sample_every"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, timedelta) or value <= timedelta(0)):
                raise ValidationError(f"{name} must be a positive timedelta or None, got {value!r}")
        if self.calendar is not None and not isinstance(self.calendar, BusinessCalendar):
            raise ValidationError(
                f"calendar must be a casekit.worklists.BusinessCalendar or None, "
                f"got {self.calendar!r:.80}"
            )
        if not isinstance(self.id_prefix, str):
            raise ValidationError(f"id_prefix must be a string, got {self.id_prefix!r}")
        if self.priorities is not None:
            self._check_priorities(self.priorities)
        self.router()  # the router validates its own settings, with its own messages

    def router(self, clock: ManualClock | None = None) -> Router:
        """A fresh router with this scenario's settings.

        Args:
            clock: The clock to inject; by default a new manual clock at the start.

        Raises:
            ValidationError: For a bad routing model, timeout, cool-down, grace or aging.
        """
        try:
            return Router(
                model=self.model,
                push_timeout=self.push_timeout,
                clock=ManualClock(self.start) if clock is None else clock,
                cooldown=self.cooldown,
                offline_grace=self.offline_grace,
                aging=self.aging,
                explain=self.explain,
            )
        except TypeError as error:
            raise ValidationError(f"bad routing model for the scenario: {error}") from error

    def _check_ladders(self) -> None:
        names = [stage.name for stage in self.stages]
        for ladder in self.ladders:
            if ladder.stage not in names:
                raise ValidationError(
                    f"a ladder of the scenario names stage {ladder.stage!r}, which it does not "
                    f"have; {allowed_list(names)}"
                )

    def _check_absences(self) -> None:
        book, rule = self.absences, self.absence_rule
        if book is not None and not isinstance(book, AbsenceBook):
            raise ValidationError(
                f"absences of a scenario must be a casekit.worklists.AbsenceBook or None, "
                f"got {book!r:.80}"
            )
        if rule is not None and not isinstance(rule, AbsenceRule):
            raise ValidationError(
                f"absence_rule of a scenario must be a casekit.worklists.AbsenceRule or None, "
                f"got {rule!r:.80}"
            )
        if book is None:
            return
        ids = [spec.id for spec in self.agents]
        known = set(ids)
        for absence in book.absences:
            if absence.agent not in known:
                raise ValidationError(
                    f"the {absence.kind.value} absence from {absence.starts.isoformat()} names "
                    f"agent {absence.agent!r}, who is not in the scenario; "
                    f"agents: {allowed_list(ids)}"
                )
        for agent, to in sorted(book.delegations.items()):
            if agent not in known:
                raise ValidationError(
                    f"a delegation of the scenario's absences is from agent {agent!r}, who is "
                    f"not in the scenario; agents: {allowed_list(ids)}"
                )
            if to.kind is DelegateKind.AGENT and to.id not in known:
                raise ValidationError(
                    f"{agent} delegates to agent {to.id!r}, who is not in the scenario; "
                    f"delegate to one of them or to a queue; agents: {allowed_list(ids)}"
                )

    def _check_agents(self) -> None:
        if not self.agents:
            raise ValidationError("a scenario needs at least one agent")
        seen: set[str] = set()
        for spec in self.agents:
            if not isinstance(spec, AgentSpec):
                raise ValidationError(f"agents must be AgentSpec values, got {spec!r}")
            if spec.id in seen:
                raise ValidationError(f"agent id {spec.id} appears twice in the scenario")
            seen.add(spec.id)

    def _check_stages(self) -> None:
        if not self.stages:
            raise ValidationError("a scenario needs at least one stage")
        names: set[str] = set()
        for stage in self.stages:
            if not isinstance(stage, Stage):
                raise ValidationError(f"stages must be Stage values, got {stage!r}")
            if stage.name in names:
                raise ValidationError(f"stage {stage.name!r} appears twice in the pipeline")
            names.add(stage.name)
            if not any(
                all(spec.skills.get(k, 0) >= v for k, v in stage.skills.items())
                for spec in self.agents
            ):
                raise ValidationError(
                    f"no agent has the skills of stage {stage.name!r} "
                    f"({', '.join(f'{k}>={v}' for k, v in sorted(stage.skills.items()))}); "
                    f"its cases would wait forever"
                )

    @staticmethod
    def _check_priorities(priorities: Mapping[Priority, float]) -> None:
        if not isinstance(priorities, Mapping) or not priorities:
            raise ValidationError(
                f"priorities must be a non-empty mapping of Priority to weight, got {priorities!r}"
            )
        for priority, weight in priorities.items():
            if not isinstance(priority, Priority):
                raise ValidationError(
                    f"priority mix key {priority!r} is not a Priority; allowed: "
                    f"{allowed_list(Priority)}"
                )
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not (math.isfinite(weight) and weight >= 0)
            ):
                raise ValidationError(f"weight of {priority} must be a number >= 0, got {weight!r}")
        if sum(priorities.values()) <= 0:
            raise ValidationError("priority mix weights must not all be zero")

    def evolve(self, **changes: Any) -> Scenario:  # field types vary, as in attrs.evolve
        """A copy with some fields changed (validated again), e.g. ``evolve(agents=more)``."""
        return attrs.evolve(self, **changes)
