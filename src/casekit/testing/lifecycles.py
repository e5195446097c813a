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
  case at every step of every walk);
* every guard runs on every path to its action: wherever a walk meets a guard that says no to
  one of the actors, performing the action directly and deferring then resuming it are both
  refused with that guard's error, and change nothing
  ([`check_guards_on_every_path`][], run for every actor at every step of every walk); and
  every guard of every action was met saying no at least once, so the proof covers them all
  (a guard no walk could make say no is reported by name).

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
from casekit.lifecycle import Action, ActionContext, ActionKind, Guard, Lifecycle

BACKGROUND = "casekit-conformance-background"
"""Who defers steps in the checks' copies: nobody a walk draws, so it holds no other role."""

_MORE_ROUNDS = 4
"""How many more rounds of walks `check_lifecycle_conformance` runs while a guard is unmet."""

__all__ = [
    "ActionStep",
    "ConformanceReport",
    "action_sequences",
    "action_steps",
    "check_deferred_step",
    "check_guards_on_every_path",
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
    return _steps(tuple(names), (), actors, dict(params or {}))


def _lengths(max_steps: int) -> st.SearchStrategy[int]:
    """Walk lengths: half the walks as long as allowed, so they reach the late statuses."""
    return st.one_of(st.integers(0, max_steps), st.just(max_steps))


@st.composite
def _steps(
    draw: st.DrawFn,
    names: tuple[str, ...],
    allowed: tuple[str, ...],
    actors: tuple[str, ...],
    params: Mapping[str, st.SearchStrategy[dict[str, object]]],
) -> ActionStep:
    """One step: three times in four an ``allowed`` action (when there are any), else any."""
    pool = draw(st.sampled_from((allowed, allowed, allowed, names))) if allowed else names
    name = draw(st.sampled_from(pool))
    return ActionStep(
        name,
        draw(st.sampled_from(actors)),
        draw(st.sampled_from([None, "", "a reason"])),
        draw(params.get(name, st.just({}))),
    )


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
    deferred_by: str = BACKGROUND,
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
        deferred_by: Who hands the step to background processing (by default someone with
            no other role on the case: whoever defers a step takes part in it, so a
            separation-of-duties guard would refuse a deferrer who submitted the case).
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


def _step_action(case: Case[Any], action: str) -> Action[Any] | None:
    """The declared step ``action`` from the case's status, or None (not allowed, generated)."""
    if action not in case.available_actions():
        return None
    act = next(
        a for a in type(case).lifecycle().actions if a.name == action and case.status in a.source
    )
    return act if act.kind is ActionKind.STEP else None


def _refused_at_the_door(case: Case[Any], act: Action[Any], context: ActionContext) -> str | None:
    """Why the declaration refuses ``context`` before any guard runs, or None.

    The checker's own reading of the declaration (not the engine's code, which it checks): a
    reason that is required and missing, or not text; a parameter the action does not
    declare; a value its ``check_params`` refuses.
    """
    reason = context.reason
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        if act.reason_required:
            return "it requires a reason and none was given"
        if reason is not None:
            return "its reason is blank"
    elif not isinstance(reason, str):
        return "its reason is not text"
    if act.params is not None and any(name not in act.params for name in context.params):
        return "it was given a parameter it does not declare"
    if act.check_params is not None:
        try:
            act.check_params(case, context)
        except CasekitError as refused:
            return f"its parameters are refused ({refused})"
    return None


def _first_refusing_guard(
    case: Case[Any], act: Action[Any], context: ActionContext
) -> Guard[Any] | None:
    """The first guard of ``act`` that says no, once its reason rule and parameters pass."""
    if _refused_at_the_door(case, act, context) is not None:
        return None  # refused before its guards: this proves nothing about them
    for guard in act.guards:
        try:
            allowed = guard.check(case, context)
        except CasekitError:
            return None  # a guard that refuses by raising is not a guard saying no
        if not allowed:
            return guard
    return None


def check_guards_on_every_path(
    case: Case[Any],
    action: str,
    *,
    actor: str,
    reason: str | None = None,
    params: Mapping[str, object] | None = None,
    deferred_by: str = BACKGROUND,
) -> Guard[Any] | None:
    """Assert that a guard of ``action`` saying no to ``actor`` refuses it on every path.

    Works on copies of ``case`` (``case`` itself is not changed). When ``action`` is a step
    allowed from the case's status, its reason rule and parameters pass, and one of its
    guards says no to ``actor``, this asserts that

    * performing ``action`` directly is refused with that guard's error
      ([`GuardRejected`][casekit.errors.GuardRejected] or the subclass the guard declares,
      e.g. [`SeparationOfDuties`][casekit.errors.SeparationOfDuties]) and changes nothing
      (the stored record and pending events are as before); and
    * where the lifecycle declares a deferral the status allows, handing the step to
      background processing (by ``deferred_by``) and resuming it as ``actor`` is refused at
      ``resume`` with that guard's error, and the waiting case is exactly as it was.

    Args:
        case: The case, in the status to act from.
        action: The step.
        actor: Who performs it directly, and who resumes it.
        reason: The step's reason.
        params: The step's parameters.
        deferred_by: Who defers it (by default someone with no other role on the case).

    Returns:
        The guard that said no, or None when every guard lets ``actor`` through, or the
        action is not a step allowed now, or its reason or parameters refuse it first.

    Raises:
        AssertionError: A path let the action through, or refused it otherwise, or a
            refusal changed the case; the message says which.
    """
    act = _step_action(case, action)
    if act is None:
        return None
    params = dict(params or {})
    context = ActionContext(actor=actor, at=case.clock.now(), reason=reason, params=dict(params))
    guard = _first_refusing_guard(case, act, context)  # guards read the case, never change it
    if guard is None:
        return None
    lifecycle = type(case).lifecycle()
    name = (
        f"{lifecycle.name}: {action!r} from {case.status.value!r} by {actor!r} "
        f"(its guard {guard.explain(case, context)!r} says no)"
    )
    direct = _copy(case)
    before = _snapshot(direct)
    refused = _attempt(lambda: direct.perform(action, actor=actor, reason=reason, **params))
    assert refused is not None, f"{name}: performed directly, it was allowed"
    assert type(refused) is guard.error, (
        f"{name}: performed directly, it was refused with {type(refused).__name__} "
        f"({refused}), not the guard's {guard.error.__name__}"
    )
    assert _snapshot(direct) == before, f"{name}: the refusal changed the case"
    if lifecycle.deferral is None or "defer" not in case.available_actions():
        return guard
    deferred = _copy(case)
    handed = _attempt(
        lambda: deferred.perform("defer", actor=deferred_by, reason=reason, step=action, **params)
    )
    if handed is not None:
        return guard  # refused at defer (e.g. parameters that cannot be kept): not performed
    waiting = _snapshot(deferred)
    refused = _attempt(lambda: deferred.perform("resume", actor=actor))
    assert refused is not None, (
        f"{name}: deferred by {deferred_by!r} and resumed, it reached "
        f"{deferred.status.value!r}: resume skipped the guard"
    )
    assert type(refused) is guard.error, (
        f"{name}: deferred and resumed, it was refused with {type(refused).__name__} "
        f"({refused}), not the guard's {guard.error.__name__}"
    )
    assert _snapshot(deferred) == waiting, f"{name}: a refused resume changed the case"
    return guard


def _draw_step(
    data: st.DataObject,
    case: Case[Any],
    names: tuple[str, ...],
    actors: tuple[str, ...],
    params: Mapping[str, st.SearchStrategy[dict[str, object]]],
) -> ActionStep:
    """The walk's next step, drawn from where ``case`` stands (see `_steps`)."""
    step = data.draw(_steps(names, case.available_actions(), actors, params), label="step")
    admitted = _admitted(case, step, actors)
    # Half the time, someone the step's guards let through, so walks get past the guards
    # (every refusal those guards would give is checked by `_check_every_guard` anyway).
    if admitted:
        chosen: bool = data.draw(st.booleans(), label="an actor its guards admit")
        if chosen:
            step = attrs.evolve(step, actor=data.draw(st.sampled_from(admitted), label="actor"))
    return step


def _check_every_guard(
    data: st.DataObject,
    case: Case[Any],
    step: ActionStep,
    actors: tuple[str, ...],
    params: Mapping[str, st.SearchStrategy[dict[str, object]]],
) -> set[int]:
    """Every step allowed now, by every actor: a guard saying no refuses on every path.

    Runs [`check_guards_on_every_path`][]; returns the ids of the guards met saying no.
    """
    refusing: set[int] = set()
    for name in case.available_actions():
        act = _step_action(case, name)
        if act is None or not act.guards:
            continue
        if name == step.action:
            reason, step_params = step.reason, step.params
        else:
            reason = "a reason" if act.reason_required else None
            step_params = data.draw(params.get(name, st.just({})), label=name)
        for actor in dict.fromkeys((step.actor, *actors)):
            guard = check_guards_on_every_path(
                case, name, actor=actor, reason=reason, params=step_params
            )
            if guard is not None:
                refusing.add(id(guard))
    return refusing


def _admitted(case: Case[Any], step: ActionStep, actors: tuple[str, ...]) -> list[str]:
    """The ``actors`` whose ``step`` passes the declaration's checks and every guard."""
    act = _step_action(case, step.action)
    if act is None:
        return []
    admitted = []
    for actor in actors:
        context = ActionContext(
            actor=actor, at=case.clock.now(), reason=step.reason, params=dict(step.params)
        )
        if _refused_at_the_door(case, act, context) is not None:
            return []
        try:
            if all(guard.check(case, context) for guard in act.guards):
                admitted.append(actor)
        except CasekitError:
            continue
    return admitted


def _describe_guard(act: Action[Any], index: int) -> str:
    guard = act.guards[index]
    said = guard.reason if isinstance(guard.reason, str) else getattr(guard.check, "__name__", "")
    sources = ", ".join(str(s.value) for s in act.source)
    return f"{act.name!r} (from {sources}) guard {index + 1} ({said})"


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
    context = ActionContext(
        actor=step.actor, at=case.clock.now(), reason=step.reason, params=dict(step.params)
    )
    door = _refused_at_the_door(case, act, context)
    if door is not None:
        return door
    guard = _first_refusing_guard(case, act, context)
    if guard is not None:
        return f"its guard says no ({guard.explain(case, context)})"
    return None


def check_lifecycle_conformance(
    case_type: type[Case[Any]],
    factory: Callable[[], Case[Any]] | st.SearchStrategy[Case[Any]],
    *,
    params: Mapping[str, st.SearchStrategy[dict[str, object]]] | None = None,
    max_examples: int = 100,
    max_steps: int = 40,
    same_effects: bool = True,
    actors: tuple[str, ...] = ("owner", "supervisor", "system", "someone"),
    guards_must_refuse: bool = True,
) -> None:
    """Assert that ``case_type``'s lifecycle conforms (see the module docstring).

    Args:
        case_type: Your case class (declared with ``@case_type``).
        factory: Makes a fresh case of that type in its initial status, the same every
            time; or a Hypothesis strategy of fresh cases, so walks start from cases that
            differ (``st.builds(new_case, certified=st.booleans())``: a guard that only
            says no on some cases is then met saying no).
        params: Per action name, a strategy of the keyword parameters it needs.
        max_examples: How many random walks to try.
        max_steps: The longest walk.
        same_effects: Whether a deferred and resumed step must have exactly the effects of
            the step performed directly (see [`check_deferred_step`][]).
        actors: The actors walks draw from (include whoever your guards let through and
            someone they refuse).
        guards_must_refuse: Require every guard of every action to have been met saying
            no (so the check proved that it runs on every path). Turn it off only for a
            guard your factory and parameters cannot make say no, and test that guard
            with [`check_guards_on_every_path`][] on a case you build.

    Raises:
        AssertionError: Naming the unreachable statuses, the dead ends, the falsifying
            walk (Hypothesis shrinks it to a minimal one), or the guards no walk met
            saying no.
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
    refusing: set[int] = set()  # ids of the guards met saying no, proved on every path
    names = (*sorted({a.name for a in lifecycle.actions}), "__undeclared__")
    per_action = dict(params or {})

    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
        report_multiple_bugs=False,  # one AssertionError, as documented
        # Walks again while a guard was not met saying no: each round must walk anew, also
        # where Hypothesis derandomizes (it does when CI is set), or every round repeats
        # the first and the check fails for the one fixed seed.
        derandomize=False,
    )
    @given(st.data())
    def walk(data: st.DataObject) -> None:
        case = (
            data.draw(factory, label="case")
            if isinstance(factory, st.SearchStrategy)
            else factory()
        )
        if case.status is not lifecycle.initial or case.history:
            msg = f"the factory must return a new {lifecycle.name} in its initial status"
            raise AssertionError(msg)
        # Each step is drawn from where the walk stands, mostly among the actions allowed
        # there, so walks reach every status instead of stopping at the first refusal.
        for _ in range(data.draw(_lengths(max_steps), label="length")):
            status = _status_of(case)
            step = _draw_step(data, case, names, actors, per_action)
            refusing.update(_check_every_guard(data, case, step, actors, per_action))
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

    def unmet() -> list[str]:
        return [
            _describe_guard(act, index)
            for act in lifecycle.actions
            if act.kind is ActionKind.STEP
            for index, guard in enumerate(act.guards)
            if id(guard) not in refusing
        ]

    walk()
    if guards_must_refuse:
        # Walks are random: while a guard was not met saying no, walk again, a few times.
        for _ in range(_MORE_ROUNDS):
            if not unmet():
                break
            walk()
        never = unmet()
        assert not never, (
            f"{lifecycle.name}: no walk met these guards saying no, so nothing proved that "
            f"every path to their action runs them: {'; '.join(never)}. Make the factory, "
            "params or actors reach a case where each says no (or pass "
            "guards_must_refuse=False and test it with check_guards_on_every_path)"
        )


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
