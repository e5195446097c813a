"""Discrete-event simulation of a routed office, and the queueing theory to check it against.

Build a [`Scenario`][] (agents with skills, shifts and answering behaviour; the stages every
case goes through; an arrival process), run it with [`Simulation`][] on a
[`ManualClock`][] driving a real [`Router`][casekit.routing.Router], and read
the [`SimulationResult`][]. [`compare`][] runs what-if variants on the same arrivals;
[`staffing_for`][] and [`staffing_estimate`][] size an office from Erlang C. See
``docs/sim.md``.
"""

from __future__ import annotations

from casekit.sim.distributions import Distribution, Empirical, Exponential, Fixed, LogNormal
from casekit.sim.engine import Simulation
from casekit.sim.events import SimEvent, SimEventKind, SimSubscriber
from casekit.sim.queueing import (
    erlang_b,
    erlang_c,
    mean_wait,
    offered_load,
    service_level,
    staffing_for,
)
from casekit.sim.results import (
    AbsenceMove,
    AgentRecord,
    Fairness,
    ItemRecord,
    LoadSample,
    QueueSample,
    SimulationResult,
    StageRecord,
    StageSummary,
    Summary,
    Table,
)
from casekit.sim.scenario import DEFAULT_START, Scenario
from casekit.sim.specs import (
    EVERY_DAY,
    WEEKDAYS,
    AgentSpec,
    ArrivalFunction,
    ArrivalProcess,
    Break,
    Poisson,
    Recorded,
    Shift,
    Stage,
)
from casekit.sim.whatif import (
    Comparison,
    StaffingEstimate,
    compare,
    staffing_estimate,
    staffing_levels,
)

__all__ = [
    "DEFAULT_START",
    "EVERY_DAY",
    "WEEKDAYS",
    "AbsenceMove",
    "AgentRecord",
    "AgentSpec",
    "ArrivalFunction",
    "ArrivalProcess",
    "Break",
    "Comparison",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fairness",
    "Fixed",
    "ItemRecord",
    "LoadSample",
    "LogNormal",
    "Poisson",
    "QueueSample",
    "Recorded",
    "Scenario",
    "Shift",
    "SimEvent",
    "SimEventKind",
    "SimSubscriber",
    "Simulation",
    "SimulationResult",
    "StaffingEstimate",
    "Stage",
    "StageRecord",
    "StageSummary",
    "Summary",
    "Table",
    "compare",
    "erlang_b",
    "erlang_c",
    "mean_wait",
    "offered_load",
    "service_level",
    "staffing_estimate",
    "staffing_for",
    "staffing_levels",
]
