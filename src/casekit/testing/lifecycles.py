"""Checking your own case type: lifecycle conformance and action-sequence strategies.

Run :func:`check_lifecycle_conformance` on a case type you declared (from a test) to learn
whether its lifecycle has the properties casekit promises for the built-in ones:

* every status is reachable from the initial status;
* no status is a dead end unless it is declared final;
* every action, from every status a random walk reaches, is either allowed — and lands on one
  of the action's declared targets, with one history entry — or refused atomically (the case's
  stored record and pending events are exactly as before).

Needs Hypothesis (``pip install casekit[testing]``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from casekit.cases.base import Case
from casekit.cases.codec import case_to_record
from casekit.errors import CasekitError
from casekit.lifecycle import Lifecycle

__all__ = [
    "ActionStep",
    "ConformanceReport",
    "action_sequences",
    "action_steps",
    "check_lifecycle_conformance",
    "static_conformance",
]


@attrs.frozen
class ActionStep:
    """One drawn step: an action (declared or not), an actor, a reason and parameters."""

    action: str
    actor: str
    reason: str | None
    params: Mapping[str, object]


def action_steps(
    lifecycle: Lifecycle[Any],
    *,
    actors: tuple[str, ...] = ("owner", "supervisor", "system", "someone"),
    params: Mapping[str, st.SearchStrategy[dict[str, object]]] | None = None,
    include_unknown: bool = True,
) -> st.SearchStrategy[ActionStep]:
    """A Hypothesis strategy of action steps for ``lifecycle``.

    Args:
        lifecycle: The lifecycle whose actions to draw.
        actors: Actors to draw from.
        params: Per action name, a strategy of keyword parameters (default: none).
        include_unknown: Also draw an action the lifecycle does not declare, which must be
            refused.

    Returns:
        A strategy of :class:`ActionStep`; use ``st.lists(action_steps(...))`` for sequences.
    """
    names = sorted({a.name for a in lifecycle.actions})
    if include_unknown:
        names.append("__undeclared__")
    per_action = dict(params or {})

    @st.composite
    def step(draw: st.DrawFn) -> ActionStep:
        name = draw(st.sampled_from(names))
        strategy = per_action.get(name, st.just({}))
        return ActionStep(
            name,
            draw(st.sampled_from(actors)),
            draw(st.sampled_from([None, "", "a reason"])),
            draw(strategy),
        )

    return step()


@attrs.frozen
class ConformanceReport:
    """What :func:`static_conformance` found; empty lists mean the lifecycle conforms."""

    unreachable: tuple[str, ...]
    dead_ends: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not (self.unreachable or self.dead_ends)


def static_conformance(lifecycle: Lifecycle[Any]) -> ConformanceReport:
    """Check reachability and dead ends from the declaration alone. O(A·S)."""
    reachable = lifecycle.reachable()
    with_exit = {status for act in lifecycle.actions for status in act.source}
    return ConformanceReport(
        unreachable=tuple(str(s.value) for s in lifecycle.statuses if s not in reachable),
        dead_ends=tuple(
            str(s.value)
            for s in lifecycle.statuses
            if s not in with_exit and s not in lifecycle.final
        ),
    )


def _status_of(case: Case[Any]) -> enum.Enum:
    status: enum.Enum = case.status
    return status


def _snapshot(case: Case[Any]) -> object:
    return (case_to_record(case), case.pending_events)


def check_lifecycle_conformance(
    case_type: type[Case[Any]],
    factory: Callable[[], Case[Any]],
    *,
    params: Mapping[str, st.SearchStrategy[dict[str, object]]] | None = None,
    max_examples: int = 100,
    max_steps: int = 40,
) -> None:
    """Assert that ``case_type``'s lifecycle conforms (see the module docstring).

    Args:
        case_type: Your case class (declared with ``@case_type``).
        factory: Makes a fresh case of that type in its initial status.
        params: Per action name, a strategy of the keyword parameters it needs.
        max_examples: How many random walks to try.
        max_steps: The longest walk.

    Raises:
        AssertionError: Naming the unreachable statuses, the dead ends, or the falsifying
            walk (Hypothesis shrinks it to a minimal one).
    """
    lifecycle = case_type.lifecycle()
    report = static_conformance(lifecycle)
    assert report.ok, (
        f"{lifecycle.name}: unreachable statuses {list(report.unreachable)}, "
        f"dead ends not declared final {list(report.dead_ends)}"
    )
    targets = {a.name: set(a.possible_targets) for a in lifecycle.actions}

    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(st.lists(action_steps(lifecycle, params=params), max_size=max_steps))
    def walk(steps: list[ActionStep]) -> None:
        case = factory()
        if case.status is not lifecycle.initial or case.history:
            msg = f"the factory must return a new {lifecycle.name} in its initial status"
            raise AssertionError(msg)
        for step in steps:
            status = _status_of(case)
            before, entries = _snapshot(case), len(case.history)
            try:
                case.perform(step.action, actor=step.actor, reason=step.reason, **step.params)
            except CasekitError:
                assert _snapshot(case) == before, (
                    f"{lifecycle.name}: refused {step.action!r} from {status.value!r} "
                    "changed the case"
                )
                continue
            assert step.action in targets, f"undeclared action {step.action!r} was allowed"
            landed = _status_of(case)
            assert landed in targets[step.action], (
                f"{step.action!r} from {status.value!r} landed on {landed.value!r}, "
                f"not a declared target"
            )
            assert len(case.history) == entries + 1
            assert isinstance(case.status, enum.Enum)

    walk()


def action_sequences(
    lifecycle: Lifecycle[Any] | type[Case[Any]],
    *,
    min_size: int = 0,
    max_size: int = 40,
    actors: tuple[str, ...] = ("owner", "supervisor", "system", "someone"),
    params: Mapping[str, st.SearchStrategy[dict[str, object]]] | None = None,
    include_unknown: bool = True,
) -> st.SearchStrategy[list[ActionStep]]:
    """A Hypothesis strategy of sequences of :func:`action_steps` for a lifecycle or case type.

    Args:
        lifecycle: The lifecycle, or a case class declared with ``@case_type``.
        min_size: The shortest sequence.
        max_size: The longest sequence.
        actors: Actors to draw from.
        params: Per action name, a strategy of keyword parameters (default: none).
        include_unknown: Also draw an action the lifecycle does not declare.

    Returns:
        A strategy of lists of :class:`ActionStep`.
    """
    declared = lifecycle if isinstance(lifecycle, Lifecycle) else lifecycle.lifecycle()
    return st.lists(
        action_steps(declared, actors=actors, params=params, include_unknown=include_unknown),
        min_size=min_size,
        max_size=max_size,
    )
