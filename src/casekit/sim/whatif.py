"""What-if analysis: compare routing models or staffing levels on the same work.

[`compare`][] runs several scenarios that share a seed, a start and an arrival process, so
every variant sees the same cases at the same instants with the same handling times (common
random numbers, see `casekit.sim.engine`): the differences in the results come from the
change, not from luck. [`staffing_estimate`][] gives the Erlang C answer to start from, and
[`staffing_levels`][] builds the variants to check it by simulation.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from casekit.errors import ValidationError
from casekit.notebook import to_dataframe
from casekit.sim.engine import Simulation
from casekit.sim.queueing import erlang_c, mean_wait, offered_load, service_level, staffing_for
from casekit.sim.results import SimulationResult, Summary
from casekit.sim.scenario import Scenario
from casekit.sim.specs import AgentSpec, Poisson, Stage

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Comparison", "StaffingEstimate", "compare", "staffing_estimate", "staffing_levels"]


@attrs.frozen(eq=False)
class Comparison:
    """The results of several scenarios run on the same arrivals.

    Attributes:
        results: Scenario name → its result, in the order given.
        summaries: Scenario name → its summary (after the warm-up).
    """

    results: Mapping[str, SimulationResult]
    summaries: Mapping[str, Summary]

    def to_records(self) -> list[dict[str, object]]:
        """One row per scenario and stage: waits, breaches, abandonments, occupancy, fairness."""
        rows: list[dict[str, object]] = []
        for name, summary in self.summaries.items():
            for stage in summary.stages:
                rows.append(
                    {
                        "scenario": name,
                        "stage": stage.stage,
                        "entered": stage.entered,
                        "accepted": stage.accepted,
                        "waited": stage.waited,
                        "mean_wait_s": stage.mean_wait.total_seconds(),
                        "p90_wait_s": stage.p90_wait.total_seconds(),
                        "service_level": stage.service_level,
                        "sla_breaches": stage.sla_breaches,
                        "abandoned": stage.abandoned,
                        "offers": stage.offers,
                        "declines": stage.declines,
                        "timeouts": stage.timeouts,
                        "occupancy": summary.occupancy,
                        "jain": summary.fairness.jain,
                    }
                )
        return rows

    def to_dataframe(self) -> pd.DataFrame:
        """[`to_records`][] as a pandas DataFrame.

        Raises:
            MissingExtra: pandas is not installed.
        """
        return to_dataframe(self.to_records(), what="scenario comparison")

    def _repr_html_(self) -> str:
        records = self.to_records()
        if not records:
            return "<div>No scenarios.</div>"
        columns = list(records[0])
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(f'{v:.3f}' if isinstance(v, float) else str(v))}</td>"
                for v in row.values()
            )
            + "</tr>"
            for row in records
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def compare(
    scenarios: Mapping[str, Scenario],
    until: datetime | timedelta,
    *,
    warmup: timedelta = timedelta(0),
) -> Comparison:
    """Run every scenario to ``until`` on common random numbers and summarise them.

    Cost: the sum of the runs.

    Args:
        scenarios: Name → scenario; they must share seed, start and arrival process.
        until: End of the runs (an instant, or a duration from the common start).
        warmup: Cases arriving during the warm-up are left out of the summaries.

    Returns:
        The [`Comparison`][].

    Raises:
        ValidationError: If there are no scenarios, or they differ in seed, start or arrivals
            (the comparison would then mix the change with different luck).
    """
    if not isinstance(scenarios, Mapping) or not scenarios:
        raise ValidationError("compare needs a non-empty mapping of name to Scenario")
    items = list(scenarios.items())
    for name, scenario in items:
        if not isinstance(scenario, Scenario):
            raise ValidationError(f"scenario {name!r} is not a Scenario: {scenario!r}")
    first_name, first = items[0]
    for name, scenario in items[1:]:
        for field in ("seed", "start", "arrivals"):
            if getattr(scenario, field) != getattr(first, field):
                raise ValidationError(
                    f"scenario {name!r} has a different {field} from {first_name!r} "
                    f"({getattr(scenario, field)!r} vs {getattr(first, field)!r}); compared "
                    "scenarios must share seed, start and arrivals"
                )
    results = {name: Simulation(scenario).run(until) for name, scenario in items}
    return Comparison(
        results=results,
        summaries={name: result.summary(warmup) for name, result in results.items()},
    )


def staffing_levels(
    base: Scenario, levels: Iterable[int], agent: Callable[[int], AgentSpec]
) -> dict[str, Scenario]:
    """Variants of ``base`` with ``n`` agents built by ``agent(i)`` for ``i < n``, per level.

    Returns:
        ``"<n> agents"`` → scenario, ready for [`compare`][].

    Raises:
        ValidationError: For a level below 1.
    """
    variants: dict[str, Scenario] = {}
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ValidationError(f"staffing levels must be integers >= 1, got {level!r}")
        variants[f"{level} agents"] = base.evolve(agents=tuple(agent(i) for i in range(level)))
    return variants


@attrs.frozen
class StaffingEstimate:
    """Erlang C's answer for one stage.

    Attributes:
        agents: The fewest agents meeting the target.
        offered_load: Offered load in Erlangs (how many agents are busy on average).
        occupancy: Offered load ÷ agents.
        probability_of_waiting: Erlang C at that staffing.
        mean_wait: Mean wait at that staffing.
        service_level: ``P(wait <= within)`` at that staffing.
        within: The threshold used.
    """

    agents: int
    offered_load: float
    occupancy: float
    probability_of_waiting: float
    mean_wait: timedelta
    service_level: float
    within: timedelta


def staffing_estimate(
    arrivals: Poisson | float,
    stage: Stage,
    target_service_level: float,
    within: timedelta | None = None,
) -> StaffingEstimate:
    """The Erlang C staffing for a stage: a starting point to check by simulation.

    It assumes what Erlang C assumes — Poisson arrivals, exponential handling with the
    stage's mean, agents of capacity one who accept at once and never decline, always on
    shift — so treat it as a lower bound for a real office. O(agents).

    Args:
        arrivals: A [`Poisson`][] process (its rate while open) or arrivals per hour.
        stage: The stage; its handling distribution's mean is used.
        target_service_level: Fraction of cases to accept within ``within``, in (0, 1).
        within: The threshold; defaults to the stage's SLA target.

    Returns:
        The [`StaffingEstimate`][].

    Raises:
        ValidationError: If there is no threshold, or for bad arguments.
    """
    rate = arrivals.per_hour if isinstance(arrivals, Poisson) else arrivals
    threshold = stage.sla if within is None else within
    if threshold is None:
        raise ValidationError(
            f"stage {stage.name!r} has no SLA target; pass within= for the service level"
        )
    handling = stage.handling.mean
    agents = staffing_for(rate, handling, target_service_level, threshold)
    load = offered_load(rate, handling)
    return StaffingEstimate(
        agents=agents,
        offered_load=load,
        occupancy=load / agents,
        probability_of_waiting=erlang_c(agents, load),
        mean_wait=mean_wait(agents, rate, handling),
        service_level=service_level(agents, rate, handling, threshold),
        within=threshold,
    )
