"""Compiling a lifecycle once into a class-level ``transitions`` machine, and firing actions.

This is the "static machine" pattern from the transitions FAQ: one
``transitions.Machine(model=None, auto_transitions=False)`` per case type, through which every
case of that type fires its actions with ``machine.events[name].trigger(case)``. No machine
per case (≈550 µs and ≈25 KB each) and no ``add_model`` (O(n) per call, and it keeps every
case alive).

Costs: compiling is O(S + A) once per case type; firing an action is O(G + E) for its G guards
and E effects plus one transitions trigger; ``allowed_actions`` is O(1) (precomputed per status).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs
from transitions import EventData, Machine, State

from casekit.checks import KNOWN_IDS, check_actor, check_bool, check_json_safe, check_text
from casekit.errors import GuardRejected, InvalidTransition, ValidationError, allowed_list
from casekit.lifecycle.spec import Action, ActionContext, ActionKind, DeferredStep, Lifecycle

__all__ = ["ActionResult", "CompiledLifecycle", "Fireable"]


class Fireable(Protocol):
    """What the engine needs of a case: an id, a status, and hooks to record a change.

    A model whose lifecycle declares a [`Deferral`][] also needs a
    ``deferred`` attribute (a [`DeferredStep`][] or None) that
    `_checkpoint` captures; [`Case`][] has one.
    """

    @property
    def id(self) -> str:
        """The case id."""
        ...

    status: enum.Enum

    def _checkpoint(self) -> object:
        """Capture what an action may change, cheaply, for `_rollback`."""
        ...

    def _rollback(self, checkpoint: object) -> None:
        """Put back what `_checkpoint` captured."""
        ...

    def _record_change(
        self, before: enum.Enum, after: enum.Enum, action: str, context: ActionContext
    ) -> None:
        """Append the status history entry and stamp the update time."""
        ...


C = TypeVar("C", bound=Fireable)


@attrs.frozen(slots=True)
class ActionResult:
    """What one performed action did.

    Attributes:
        case_id: The case.
        action: The action performed.
        from_status: The status before.
        to_status: The status after.
        context: The context it was performed with (actor, time, reason, created cases).
    """

    case_id: str
    action: str
    from_status: enum.Enum
    to_status: enum.Enum
    context: ActionContext

    @property
    def created(self) -> tuple[object, ...]:
        """Cases the action's effects created (e.g. by disposing an application)."""
        return tuple(self.context.created)


def _effect_callback(
    effect: Callable[[C, ActionContext], None],
) -> Callable[[object], None]:
    def run(event_data: object) -> None:
        effect(event_data.model, event_data.kwargs["context"])  # type: ignore[attr-defined]

    return run


def _run_effects(event_data: object) -> None:
    """Run the effects the engine passed to the trigger (the action's, or a resumed step's)."""
    kwargs = event_data.kwargs  # type: ignore[attr-defined]
    case, context = event_data.model, kwargs["context"]  # type: ignore[attr-defined]
    for effect in kwargs["effects"]:
        effect(case, context)


def _target_condition(target: enum.Enum) -> Callable[[object], bool]:
    def matches(event_data: object) -> bool:
        return bool(event_data.kwargs["target"] is target)  # type: ignore[attr-defined]

    return matches


_KEEP = object()


_TRANSITIONS_LOG = logging.getLogger("transitions.core")
"""The logger ``transitions`` writes state entries and exits to."""


class _State(State):
    """A transitions ``State`` whose name is read once, at compile time.

    The stock ``State.name`` is a property that reads ``Enum.name`` (itself a descriptor)
    on every call, and a trigger asks for it about six times, mostly for the arguments of
    disabled debug log calls. Same states, same names; only the lookup is cheaper. And a
    state with no enter (exit) callbacks skips the stock ``enter`` (``exit``), which would
    only log, unless the ``transitions`` logger is enabled for INFO.
    """

    name = ""  # shadows State.name (a property): set per instance below

    def __init__(self, name: str | enum.Enum, *args: Any, **kwargs: Any) -> None:
        super().__init__(name, *args, **kwargs)
        self.name = name.name if isinstance(name, enum.Enum) else name

    # A state without enter or exit callbacks does nothing on entry or exit but log at DEBUG
    # and INFO: skip the stock methods unless the transitions logger would write something.
    def enter(self, event_data: EventData) -> None:
        if self.on_enter or _TRANSITIONS_LOG.isEnabledFor(logging.INFO):
            super().enter(event_data)

    def exit(self, event_data: EventData) -> None:
        if self.on_exit or _TRANSITIONS_LOG.isEnabledFor(logging.INFO):
            super().exit(event_data)


class _Machine(Machine):
    """The class-level machine: ``get_state`` finds a state in one dict lookup.

    The stock ``get_state`` turns an enum status into its name (``Enum.name``, a
    descriptor) before looking it up; a trigger calls it five times. Here one dict holds
    each state under its name and under its status; anything else takes the stock path
    (and its error).
    """

    state_cls = _State

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lookup: dict[object, State] = {}
        self._lookup.update(self.states)
        self._lookup.update(
            (state.value, state)
            for state in self.states.values()
            if isinstance(state.value, enum.Enum)
        )

    def get_state(self, state: str | enum.Enum) -> State:
        try:
            return self._lookup[state]
        except (KeyError, TypeError):
            return super().get_state(state)


class CompiledLifecycle(Generic[C]):
    """A lifecycle compiled into one class-level transitions machine.

    Args:
        lifecycle: The validated declaration.
    """

    __slots__ = ("_actions", "_allowed", "_steps", "initial", "lifecycle", "machine")

    def __init__(self, lifecycle: Lifecycle[C]) -> None:
        self.lifecycle = lifecycle
        self.initial = lifecycle.initial
        self._actions: dict[tuple[str, enum.Enum], Action[C]] = {}
        allowed: dict[enum.Enum, list[str]] = {status: [] for status in lifecycle.statuses}
        steps: dict[enum.Enum, list[str]] = {status: [] for status in lifecycle.statuses}
        spec: list[dict[str, object]] = []
        for act in lifecycle.actions:
            for status in act.source:
                self._actions[(act.name, status)] = act
                allowed[status].append(act.name)
                if act.kind is ActionKind.STEP:
                    steps[status].append(act.name)
            for target in act.possible_targets:
                transition: dict[str, object] = {
                    "trigger": act.name,
                    "source": list(act.source),
                    "dest": target,
                    # Effects are passed to the trigger (an action's own, or a resumed step's);
                    # actions with none skip the callback, which costs a few microseconds.
                    "after": [_run_effects] if act.effects or act.kind is ActionKind.RESUME else [],
                }
                if act.target is None:
                    transition["conditions"] = [_target_condition(target)]
                spec.append(transition)
        self._allowed: dict[enum.Enum, tuple[str, ...]] = {
            status: tuple(sorted(set(names))) for status, names in allowed.items()
        }
        self._steps: dict[enum.Enum, tuple[str, ...]] = {
            status: tuple(sorted(set(names))) for status, names in steps.items()
        }
        states: list[dict[str, object]] = [
            {
                "name": status,
                "on_enter": [_effect_callback(e) for e in lifecycle.on_enter.get(status, ())],
            }
            for status in lifecycle.statuses
        ]
        self.machine = _Machine(
            model=None,
            states=states,
            transitions=spec,
            initial=lifecycle.initial,
            auto_transitions=False,
            send_event=True,
            model_attribute="status",
        )

    @property
    def name(self) -> str:
        """The lifecycle's (case type's) display name."""
        return self.lifecycle.name

    def allowed_actions(self, status: enum.Enum) -> tuple[str, ...]:
        """Return the actions ``status`` allows, sorted. O(1)."""
        return self._allowed.get(status, ())

    def deferrable_steps(self, status: enum.Enum) -> tuple[str, ...]:
        """Return the steps ``status`` allows that ``defer`` may hand on, sorted. O(1)."""
        return self._steps.get(status, ()) if "defer" in self.allowed_actions(status) else ()

    def is_final(self, status: enum.Enum) -> bool:
        """True when ``status`` is declared final."""
        return status in self.lifecycle.final

    def fire(self, case: C, action: str, context: ActionContext) -> ActionResult:
        """Perform ``action`` on ``case``, atomically.

        Checks, in order: the action exists and the current status allows it
        ([`InvalidTransition`][]), the actor, the reason (required or not, it must be
        text) and the parameters ([`ValidationError`][]), the guards
        ([`GuardRejected`][]). Then it fires the transitions event, appends the history
        entry and runs the effects. If anything raises, the case is exactly as it was before.

        ``defer`` and ``resume`` (generated by a [`Deferral`][]) go
        through the same checks: deferring runs the step's reason rule and parameter check;
        resuming runs the step's reason rule, parameter check and guards with the resuming
        actor (the context names who deferred it, ``deferred_by``), then the step's effects.

        Complexity: O(G + E) for the action's guards and effects, plus one transitions
        trigger.
        """
        status = case.status
        act = self._actions.get((action, status)) if type(action) is str else None
        if act is None:
            raise InvalidTransition(
                case.id, str(action), str(status.value), self.allowed_actions(status)
            )
        actor = context.actor
        if type(actor) is not str or actor not in KNOWN_IDS:  # else it passed the check before
            context.actor = check_actor(actor, what=f"actor of {action!r} on {case.id}")
        if act.kind is ActionKind.DEFER:
            return self._defer(case, act, context)
        if act.kind is ActionKind.RESUME:
            return self._resume(case, act, context)
        _admit(case, act, context)
        target = act.target if act.target is not None else _target(case, act, context)
        return self._change(case, act, target, context, act.effects)

    def _defer(self, case: C, act: Action[C], context: ActionContext) -> ActionResult:
        status = case.status
        params = dict(context.params)
        name = params.pop("step", None)
        steps = self.deferrable_steps(status)
        step = self._actions.get((name, status)) if type(name) is str else None
        if step is None or name not in steps:
            raise ValidationError(
                f"defer on {case.id} needs step=<an action allowed from {status.value!r}>; "
                f"got {name!r}, allowed: {allowed_list(steps)}"
            )
        step_context = ActionContext(
            actor=context.actor, at=context.at, reason=context.reason, params=params
        )
        _check_reason(case, step, step_context)
        _check_params(case, step, step_context)
        check_json_safe(params, what=f"the parameters of {name!r} deferred on {case.id}")
        context.reason = step_context.reason
        context.step = step.name
        deferred = DeferredStep(step.name, status, step_context.reason, params, context.actor)
        assert act.target is not None  # generated with one
        return self._change(case, act, act.target, context, act.effects, deferred=deferred)

    def _resume(self, case: C, act: Action[C], context: ActionContext) -> ActionResult:
        params = dict(context.params)
        succeeded = check_bool(
            params.pop("succeeded", True), what=f"succeeded (resume on {case.id})"
        )
        if params:
            raise ValidationError(
                f"resume on {case.id} takes only succeeded=; got {allowed_list(params)}"
            )
        deferred: DeferredStep | None = getattr(case, "deferred", None)
        if deferred is None:
            raise GuardRejected(case.id, act.name, "no deferred step to resume")
        if not succeeded:
            _check_reason(case, act, context)
            return self._change(
                case, act, deferred.from_status, context, act.effects, deferred=None
            )
        if context.reason is not None:
            raise ValidationError(
                f"resume on {case.id} takes no reason: the deferred {deferred.action!r} "
                f"carries the reason it was deferred with ({deferred.reason!r})"
            )
        step = self._actions.get((deferred.action, deferred.from_status))
        if step is None or step.kind is not ActionKind.STEP:
            raise ValidationError(
                f"{case.id} waits on {deferred.action!r} from {deferred.from_status.value!r}, "
                f"which {self.name} does not declare"
            )
        step_context = ActionContext(
            actor=context.actor,
            at=context.at,
            reason=deferred.reason,
            params=dict(deferred.params),
            created=context.created,
            step=step.name,
            deferred_by=deferred.by,
        )
        _admit(case, step, step_context)
        target = _target(case, step, step_context)
        return self._change(
            case, act, target, step_context, (*step.effects, *act.effects), deferred=None
        )

    def _change(
        self,
        case: C,
        act: Action[C],
        target: enum.Enum,
        context: ActionContext,
        effects: Sequence[Callable[[C, ActionContext], None]],
        *,
        deferred: object = _KEEP,
    ) -> ActionResult:
        """Move ``case`` to ``target`` with one history entry and ``effects``, atomically."""
        status = case.status
        checkpoint = case._checkpoint()
        try:
            if deferred is not _KEEP:
                case.deferred = deferred  # type: ignore[attr-defined]
            case._record_change(status, target, act.name, context)
            self.machine.events[act.name].trigger(
                case, context=context, target=target, effects=effects
            )
        except BaseException:
            case._rollback(checkpoint)
            raise
        return ActionResult(case.id, act.name, status, case.status, context)


def _check_reason(case: Fireable, act: Action[Any], context: ActionContext) -> None:
    """The reason rule: required where declared; when given, always non-blank text."""
    reason = context.reason
    if reason is None:
        if act.reason_required:
            raise ValidationError(f"cannot {act.name!r} {case.id}: a reason is required")
        return
    what = f"the reason to {act.name!r} {case.id}"
    if act.reason_required:
        what += " (a reason is required)"
    context.reason = check_text(reason, what=what)


def _check_params(case: Fireable, act: Action[Any], context: ActionContext) -> None:
    """The parameters: only the names the action declares, then its own check."""
    if act.params is not None and context.params:
        unknown = [name for name in context.params if name not in act.params]
        if unknown:
            takes = allowed_list(act.params) if act.params else "no parameters"
            raise ValidationError(
                f"{act.name!r} on {case.id} takes {takes}; got {allowed_list(unknown)}"
            )
    if act.check_params is not None:
        act.check_params(case, context)


def _admit(case: Fireable, act: Action[Any], context: ActionContext) -> None:
    """Everything before the change: reason rule, parameters, guards in order."""
    if context.reason is not None or act.reason_required:
        _check_reason(case, act, context)
    if act.check_params is not None or (act.params is not None and context.params):
        _check_params(case, act, context)
    for guard in act.guards:
        if not guard.check(case, context):
            raise guard.error(case.id, act.name, guard.explain(case, context))


def _target(case: Fireable, act: Action[Any], context: ActionContext) -> enum.Enum:
    """The action's target, resolved from the case where the action declares ``resolve``."""
    if act.target is not None:
        return act.target
    assert act.resolve is not None  # validated at declaration
    target = act.resolve(case, context)
    if target not in act.targets:
        raise ValidationError(
            f"cannot {act.name!r} {case.id}: resolved target {target!r} is not one of "
            + ", ".join(str(t.value) for t in act.targets)
        )
    return target
