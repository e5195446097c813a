"""Checking your own case type: lifecycle conformance and action-sequence strategies.

Run [`check_lifecycle_conformance`][] on a case type you declared (from a test) to learn
whether its lifecycle has the properties casekit promises for the built-in ones:

* every status is reachable from the initial status;
* no status is a dead end unless it is declared final;
* every action, from every status a random walk reaches, is either allowed — and lands on one
  of the action's declared targets, with one history entry — or refused atomically (the case's
  stored record and pending events are exactly as before);
* an action that requires a reason is refused without one, and an action whose guard says no
  is refused;
* where the lifecycle declares a [`Deferral`][casekit.lifecycle.Deferral], every path to a status
  runs the action's guards, reason rule and effects: the same step deferred and then resumed by
  the same actor is refused exactly when performing it directly is refused, and otherwise lands
  on the same status with the same effects ([`check_deferred_step`][], run on a copy of the
  case at every step of every walk).

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
from casekit.cases.codec import case_from_record, case_to_record
from casekit.errors import CasekitError
from casekit.lifecycle import ActionContext, ActionKind, Lifecycle

__all__ = [
    "ActionStep",
    "ConformanceReport",
    "action_sequences",
    "action_steps",
    "check_deferred_step",
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
        A strategy of [`ActionStep`][]; use ``st.lists(action_steps(...))`` for sequences.
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
    """What [`static_conformance`][] found; empty lists mean the lifecycle conforms."""

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


def _copy(case: Case[Any]) -> Case[Any]:
    """An independent copy of ``case`` (through its stored record), on the same clock."""
    return case_from_record(case_to_record(case), clock=case.clock)


_IGNORED_FIELDS = frozenset({"history", "updated_at", "deferred"})


def _effects_of(case: Case[Any]) -> object:
    """What a case holds apart from how it got there (its history and last-change time)."""
    record = case_to_record(case)
    fields = record["fields"]
    assert isinstance(fields, dict)
    return (
        record["status"],
        {key: value for key, value in fields.items() if key not in _IGNORED_FIELDS},
    )


def _attempt(action: Callable[[], object]) -> CasekitError | None:
    try:
        action()
    except CasekitError as refused:
        return refused
    return None


def check_deferred_step(
    case: Case[Any],
    action: str,
    *,
    actor: str,
    reason: str | None = None,
    params: Mapping[str, object] | None = None,
    deferred_by: str = "someone",
    same_effects: bool = True,
) -> None:
    """Assert that deferring ``action`` and resuming it behaves as performing it directly.

    Works on two copies of ``case`` (``case`` itself is not changed): on one, ``action`` is
    performed directly by ``actor``; on the other it is deferred by ``deferred_by`` and resumed
    by ``actor``. Every path to a status runs that action's guards, reason rule and effects, or
    is refused (domain.md §1), so:

    * if the direct action is refused (a guard, a missing reason, a bad parameter, a status
      that does not allow it), the deferred path is refused too, at ``defer`` or at
      ``resume``, and a refused ``resume`` leaves the case waiting exactly as it was;
    * if the direct action succeeds, the deferred path succeeds and lands on the same status
      with the same effects (everything but the history and the last-change time, unless
      ``same_effects`` is false, e.g. for effects that create cases with generated ids).

    Does nothing when the case's lifecycle declares no deferral or its status cannot defer.

    Args:
        case: The case, in the status to defer from.
        action: The step to compare.
        actor: Who performs the step directly, and who resumes it.
        reason: The step's reason.
        params: The step's parameters.
        deferred_by: Who hands the step to background processing.
        same_effects: Also compare what the two paths changed, beyond the landing status.

    Raises:
        AssertionError: The two paths disagree; the message says how.
    """
    lifecycle = type(case).lifecycle()
    if lifecycle.deferral is None or "defer" not in case.available_actions():
        return
    name = f"{lifecycle.name}: {action!r} from {case.status.value!r} by {actor!r}"
    params = dict(params or {})
    direct = _copy(case)
    refused = _attempt(lambda: direct.perform(action, actor=actor, reason=reason, **params))
    deferred = _copy(case)
    refused_at_defer = _attempt(
        lambda: deferred.perform("defer", actor=deferred_by, reason=reason, step=action, **params)
    )
    refused_at_resume: CasekitError | None = None
    if refused_at_defer is None:
        waiting = _snapshot(deferred)
        refused_at_resume = _attempt(lambda: deferred.perform("resume", actor=actor))
        if refused_at_resume is not None:
            assert _snapshot(deferred) == waiting, f"{name}: a refused resume changed the case"
    deferred_refused = refused_at_defer or refused_at_resume
    if refused is not None:
        assert deferred_refused is not None, (
            f"{name}: refused when performed directly ({refused}) but reached "
            f"{deferred.status.value!r} through defer and resume"
        )
        return
    assert deferred_refused is None, (
        f"{name}: allowed when performed directly but refused through defer and resume "
        f"({deferred_refused})"
    )
    assert deferred.status is direct.status, (
        f"{name}: landed on {direct.status.value!r} directly but on "
        f"{deferred.status.value!r} through defer and resume"
    )
    if same_effects:
        assert _effects_of(deferred) == _effects_of(direct), (
            f"{name}: defer and resume did not have the effects of the action itself"
        )


def _expected_refusal(case: Case[Any], step: ActionStep) -> str | None:
    """Why the engine must refuse ``step`` (a missing reason, a guard that says no), if so."""
    if step.action not in case.available_actions():
        return None
    act = next(
        a
        for a in type(case).lifecycle().actions
        if a.name == step.action and case.status in a.source
    )
    if act.kind is not ActionKind.STEP:
        return None
    if act.reason_required and not (isinstance(step.reason, str) and step.reason.strip()):
        return "it requires a reason and none was given"
    context = ActionContext(
        actor=step.actor, at=case.clock.now(), reason=step.reason, params=dict(step.params)
    )
    for guard in act.guards:
        try:
            allowed = guard.check(case, context)
        except CasekitError:
            return None  # the guard refuses by raising; the engine must refuse too
        if not allowed:
            return f"its guard says no ({guard.explain(case, context)})"
    return None


def check_lifecycle_conformance(
    case_type: type[Case[Any]],
    factory: Callable[[], Case[Any]],
    *,
    params: Mapping[str, st.SearchStrategy[dict[str, object]]] | None = None,
    max_examples: int = 100,
    max_steps: int = 40,
    same_effects: bool = True,
    actors: tuple[str, ...] = ("owner", "supervisor", "system", "someone"),
) -> None:
    """Assert that ``case_type``'s lifecycle conforms (see the module docstring).

    Args:
        case_type: Your case class (declared with ``@case_type``).
        factory: Makes a fresh case of that type in its initial status.
        params: Per action name, a strategy of the keyword parameters it needs.
        max_examples: How many random walks to try.
        max_steps: The longest walk.
        same_effects: Whether a deferred and resumed step must have exactly the effects of
            the step performed directly (see [`check_deferred_step`][]).
        actors: The actors walks draw from (include whoever your guards let through and
            someone they refuse).

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
    targets: dict[str, set[enum.Enum]] = {}
    steps_of: dict[enum.Enum, set[str]] = {}
    for act in lifecycle.actions:
        targets.setdefault(act.name, set()).update(act.possible_targets)
        if act.kind is ActionKind.STEP:
            for source in act.source:
                steps_of.setdefault(source, set()).add(act.name)
    deferrable = lifecycle.deferral is not None

    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
        report_multiple_bugs=False,  # one AssertionError, as documented
    )
    @given(st.lists(action_steps(lifecycle, actors=actors, params=params), max_size=max_steps))
    def walk(steps: list[ActionStep]) -> None:
        case = factory()
        if case.status is not lifecycle.initial or case.history:
            msg = f"the factory must return a new {lifecycle.name} in its initial status"
            raise AssertionError(msg)
        for step in steps:
            status = _status_of(case)
            if deferrable and step.action in steps_of.get(status, ()):
                check_deferred_step(
                    case,
                    step.action,
                    actor=step.actor,
                    reason=step.reason,
                    params=step.params,
                    same_effects=same_effects,
                )
            must_refuse = _expected_refusal(case, step)
            before, entries = _snapshot(case), len(case.history)
            try:
                case.perform(step.action, actor=step.actor, reason=step.reason, **step.params)
            except CasekitError:
                assert _snapshot(case) == before, (
                    f"{lifecycle.name}: refused {step.action!r} from {status.value!r} "
                    "changed the case"
                )
                continue
            assert must_refuse is None, (
                f"{lifecycle.name}: {step.action!r} from {status.value!r} by {step.actor!r} "
                f"was allowed, but {must_refuse}"
            )
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
    """A Hypothesis strategy of sequences of [`action_steps`][] for a lifecycle or case type.

    Args:
        lifecycle: The lifecycle, or a case class declared with ``@case_type``.
        min_size: The shortest sequence.
        max_size: The longest sequence.
        actors: Actors to draw from.
        params: Per action name, a strategy of keyword parameters (default: none).
        include_unknown: Also draw an action the lifecycle does not declare.

    Returns:
        A strategy of lists of [`ActionStep`][].
    """
    declared = lifecycle if isinstance(lifecycle, Lifecycle) else lifecycle.lifecycle()
    return st.lists(
        action_steps(declared, actors=actors, params=params, include_unknown=include_unknown),
        min_size=min_size,
        max_size=max_size,
    )
