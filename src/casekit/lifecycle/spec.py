"""Declaring a lifecycle as data: statuses, actions, guards and effects.

A [`Lifecycle`][] is a plain, immutable declaration. It is validated when it is built
([`LifecycleDeclarationError`][] for an unknown or unreachable status, two
actions of one name from one status, or no initial status) and compiled once per case type
by `casekit.lifecycle.engine`.

A lifecycle may declare a [`Deferral`][]: from its source statuses any step may be handed
to background processing (``defer``) and finished later (``resume``). The two actions are
generated from the declaration, and the engine performs a resumed step through the same checks
and effects as the step performed directly (domain.md §1: every path to a status runs that
action's guards, reason rule and effects, or is refused).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Generic, TypeVar

import attrs

from casekit.errors import GuardRejected, LifecycleDeclarationError, NotFound, allowed_list

__all__ = [
    "Action",
    "ActionContext",
    "ActionKind",
    "Deferral",
    "DeferredStep",
    "Effect",
    "Guard",
    "Lifecycle",
    "ParamsCheck",
]

C = TypeVar("C")
S = TypeVar("S", bound=enum.Enum)


@attrs.define(slots=True)
class ActionContext:
    """What an action is performed with: who, when, why, and its parameters.

    Attributes:
        actor: Who performs the action (a user id, or the ``"check:<name>"`` of a declared
            automatic check).
        at: When, from the case's clock.
        reason: Why, where the action asks for one.
        params: Action-specific parameters (e.g. ``findings`` for closing an investigation).
        created: Cases an effect created (e.g. the PDCs a disposed application creates).
        step: For ``defer``, the step handed to background processing; for a ``resume``
            that performs it, that step. Recorded in the status history entry.
        deferred_by: For a resumed step, who deferred it: they take part in the step as
            well as ``actor``, who resumes it (separation-of-duties guards check both).
    """

    actor: str
    at: datetime
    reason: str | None = None
    params: Mapping[str, object] = attrs.field(factory=dict)
    created: list[object] = attrs.field(factory=list)
    step: str | None = None
    deferred_by: str | None = None


@attrs.frozen(slots=True)
class Guard(Generic[C]):
    """A condition an action needs, with the reason given when it does not hold.

    Attributes:
        check: ``check(case, context) -> bool``; True lets the action through.
        reason: What is missing, in words a caseworker can act on
            (e.g. ``"the case is not certified"``), or a function of the case and context
            that says it.
        error: The error the engine raises when the check says no: [`GuardRejected`][] or
            a subclass of it (a separation-of-duties guard raises
            [`SeparationOfDuties`][casekit.errors.SeparationOfDuties]).
    """

    check: Callable[[C, ActionContext], bool]
    reason: str | Callable[[C, ActionContext], str]
    error: type[GuardRejected] = GuardRejected

    def explain(self, case: C, context: ActionContext) -> str:
        """The reason to give when the check fails (computed when ``reason`` is callable)."""
        return self.reason if isinstance(self.reason, str) else self.reason(case, context)


Effect = Callable[[C, ActionContext], None]
"""Something an action does once the status has changed: ``effect(case, context)``.

An effect should check what it needs before it mutates anything. If it raises, the engine
puts the status, history and timestamps back and truncates what was appended to the case's
logs, and the error propagates.
"""


def _as_tuple(value: object) -> tuple[object, ...]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, enum.Enum | str):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(value)
    return (value,)


ParamsCheck = Callable[[C, ActionContext], None]
"""Checks an action's parameters (``context.params``): ``check(case, context)`` raises
[`ValidationError`][] for a missing or malformed one.

It runs before the guards, when the action is performed and when it is deferred, so a step
handed to background processing is refused at once if its parameters are wrong.
"""


class ActionKind(enum.Enum):
    """What the engine does for an action: an ordinary step, or the deferral pair."""

    STEP = "step"
    DEFER = "defer"
    RESUME = "resume"


@attrs.frozen(slots=True)
class DeferredStep:
    """A step handed to background processing, kept on the case until it is resumed.

    Attributes:
        action: The deferred action's name.
        from_status: The status it was deferred from (where a failed step goes back to).
        reason: The step's reason, checked by its reason rule when it was deferred.
        params: The step's parameters, checked by its parameter check when it was deferred.
        by: Who deferred it (``None`` in records written before casekit kept it). They
            take part in the step: its separation-of-duties guards check them at resume.
    """

    action: str
    from_status: enum.Enum
    reason: str | None = None
    params: Mapping[str, object] = attrs.field(factory=dict)
    by: str | None = None


@attrs.frozen(slots=True)
class Deferral:
    """Declares that steps may be handed to background processing and resumed later.

    A lifecycle with a deferral gets two generated actions:

    * ``defer`` (from ``source`` to ``waiting``), performed as
      ``perform("defer", actor=..., reason=..., step="approve", **step_params)``: the step must
      be allowed from the current status, and its reason rule and parameter check run now;
    * ``resume`` (from ``waiting``), performed as ``perform("resume", actor=...,
      succeeded=True)``: the step's reason rule, parameter check and guards run with the
      resuming actor, then the case lands on the step's target and the step's effects run.
      A refused step leaves the case waiting. ``succeeded=False`` goes back to the status the
      step was deferred from.

    A deferred step is performed by both people: who deferred it and who resumed it. The
    ``defer`` history entry and the ``resume`` entry that performs the step name the step
    (``StatusChange.step``), and separation-of-duties guards check both people (see
    `casekit.lifecycle.duties`).

    Attributes:
        waiting: The status a case waits in (``"Delayed Process Pending"``).
        source: The statuses a step may be deferred from.
    """

    waiting: enum.Enum
    source: tuple[enum.Enum, ...] = attrs.field(converter=_as_tuple)


def _as_names(value: object) -> tuple[str, ...] | None:
    return None if value is None else _as_tuple(value)  # type: ignore[return-value]


@attrs.frozen(slots=True)
class Action(Generic[C]):
    """One named action: from which statuses, to which status, under which guards.

    Attributes:
        name: The action's name, a Python identifier (``"schedule_closure"``).
        source: The statuses it may be performed from.
        target: The status it leads to. ``None`` when ``resolve`` picks the target.
        guards: Conditions checked in order; the first that fails refuses the action.
        effects: Run after the status changed, in order.
        reason_required: Whether the actor must give a reason.
        resolve: For actions whose target depends on the case (e.g. an issue's ``resolve``,
            Closed with automatic approval, else Pending Approval): returns one of
            ``targets``.
        targets: The statuses ``resolve`` may return (for validation and diagrams).
        label: A short description for diagrams and docs.
        check_params: Checks the action's parameters before its guards (and when it is
            deferred); see [`ParamsCheck`][].
        params: The names of the keyword parameters the action takes; any other is refused
            with a [`ValidationError`][] naming these. ``()`` takes none;
            ``None`` (the default) does not check the names.
        kind: ``STEP`` for every declared action; ``DEFER`` and ``RESUME`` mark the pair a
            [`Deferral`][] generates (not for declaring by hand).
    """

    name: str
    source: tuple[enum.Enum, ...] = attrs.field(converter=_as_tuple)
    target: enum.Enum | None = None
    guards: Sequence[Guard[C]] = ()
    effects: Sequence[Callable[[C, ActionContext], None]] = ()
    reason_required: bool = False
    resolve: Callable[[C, ActionContext], enum.Enum] | None = None
    targets: tuple[enum.Enum, ...] = attrs.field(default=(), converter=_as_tuple)
    label: str = ""
    check_params: ParamsCheck[C] | None = None
    params: tuple[str, ...] | None = attrs.field(default=None, converter=_as_names)
    kind: ActionKind = ActionKind.STEP

    @property
    def possible_targets(self) -> tuple[enum.Enum, ...]:
        """Every status this action can lead to."""
        return (self.target,) if self.target is not None else self.targets


@attrs.frozen(slots=True)
class Lifecycle(Generic[C]):
    """A case type's lifecycle, declared as data and validated at construction.

    Attributes:
        name: The case type's display name (``"Product Delivery Case"``).
        statuses: The status enum; its values are the display names.
        initial: The status a new case starts in.
        actions: The actions.
        final: Statuses allowed to be dead ends (no way out).
        on_enter: Effects run whenever a status is entered, after the action's own effects.
        deferral: Where steps may be deferred from and wait in; adds the generated
            ``defer`` and ``resume`` actions to ``actions`` (see [`Deferral`][]).

    Raises:
        LifecycleDeclarationError: If the declaration is malformed.
    """

    name: str
    statuses: type[enum.Enum]
    initial: enum.Enum | None
    actions: Sequence[Action[C]]
    final: frozenset[enum.Enum] = frozenset()
    on_enter: Mapping[enum.Enum, Sequence[Callable[[C, ActionContext], None]]] = attrs.field(
        factory=dict
    )
    deferral: Deferral | None = None

    def __attrs_post_init__(self) -> None:
        if self.deferral is not None:
            object.__setattr__(self, "actions", (*self.actions, *_deferral_actions(self)))
        _validate(self)

    def action(self, name: str) -> Action[C]:
        """Return the (first declared) action called ``name``.

        Raises:
            NotFound: If there is no such action; the message lists the declared ones (a
                ``KeyError`` too).
        """
        for act in self.actions:
            if act.name == name:
                return act
        names = allowed_list({act.name for act in self.actions})
        raise NotFound(f"{self.name} has no action {name!r}; declared: {names}")

    def reachable(self) -> frozenset[enum.Enum]:
        """Return the statuses reachable from the initial status (breadth-first, O(A·S))."""
        assert self.initial is not None  # validated
        seen = {self.initial}
        frontier = [self.initial]
        while frontier:
            status = frontier.pop()
            for act in self.actions:
                if status in act.source:
                    for target in act.possible_targets:
                        if target not in seen:
                            seen.add(target)
                            frontier.append(target)
        return frozenset(seen)


def _deferral_actions(lc: Lifecycle[C]) -> tuple[Action[C], ...]:
    """The generated ``defer`` and ``resume`` actions of ``lc.deferral``."""
    deferral = lc.deferral
    assert deferral is not None
    members = list(lc.statuses) if isinstance(lc.statuses, type) else []
    if (
        deferral.waiting not in members
        or not deferral.source
        or deferral.waiting in deferral.source
        or any(status not in members for status in deferral.source)
    ):
        raise LifecycleDeclarationError(
            f"{lc.name or '<unnamed lifecycle>'}: deferral needs a declared waiting status and "
            f"declared source statuses other than it, got {deferral!r}"
        )
    reached = set(deferral.source)
    for act in lc.actions:
        if act.kind is ActionKind.STEP and any(s in deferral.source for s in act.source):
            reached.update(act.possible_targets)
    targets = tuple(s for s in members if s in reached)
    return (
        Action(
            "defer",
            deferral.source,
            deferral.waiting,
            kind=ActionKind.DEFER,
            label="hand a step to background processing",
        ),
        Action(
            "resume",
            deferral.waiting,
            None,
            targets=targets,
            kind=ActionKind.RESUME,
            label="finish the deferred step",
        ),
    )


def _validate(lc: Lifecycle[C]) -> None:
    if not isinstance(lc.name, str):
        raise LifecycleDeclarationError(f"a lifecycle's name must be a string, got {lc.name!r}")
    name = lc.name or "<unnamed lifecycle>"
    if not (isinstance(lc.statuses, type) and issubclass(lc.statuses, enum.Enum)):
        raise LifecycleDeclarationError(f"{name}: statuses must be an Enum class")
    members = set(lc.statuses)
    if not members:
        raise LifecycleDeclarationError(f"{name}: declares no statuses")

    def known(status: object, where: str) -> None:
        if status not in members:
            raise LifecycleDeclarationError(
                f"{name}: {where} names unknown status {status!r}; declared: "
                + ", ".join(str(m.value) for m in lc.statuses)
            )

    if lc.initial is None:
        raise LifecycleDeclarationError(f"{name}: has no initial status")
    known(lc.initial, "initial")
    for status in lc.final:
        known(status, "final")
    for status in lc.on_enter:
        known(status, "on_enter")
    _validate_actions(lc, name, known)
    unreachable = members - lc.reachable()
    if unreachable:
        raise LifecycleDeclarationError(
            f"{name}: unreachable from {lc.initial.value!r}: "
            + ", ".join(sorted(str(s.value) for s in unreachable))
        )


def _validate_action_parts(name: str, act: Action[C]) -> None:
    """The types of one action's parts, so a mistake is refused at declaration, not at use."""
    if not isinstance(act.name, str):
        raise LifecycleDeclarationError(f"{name}: action name {act.name!r} is not a string")
    if act.params is not None and not all(isinstance(p, str) for p in act.params):
        raise LifecycleDeclarationError(
            f"{name}: action {act.name!r} params must be parameter names, got {act.params!r}"
        )
    if type(act.reason_required) is not bool:
        raise LifecycleDeclarationError(
            f"{name}: action {act.name!r} reason_required must be True or False, "
            f"got {act.reason_required!r}"
        )
    for guard in act.guards:
        if not (
            isinstance(guard, Guard)
            and callable(guard.check)
            and (isinstance(guard.reason, str) or callable(guard.reason))
            and isinstance(guard.error, type)
            and issubclass(guard.error, GuardRejected)
        ):
            raise LifecycleDeclarationError(
                f"{name}: action {act.name!r} guards must be Guard(check, reason) with a "
                f"function, a reason and a GuardRejected error class, got {guard!r}"
            )
    for hook in (*act.effects, act.check_params, act.resolve):
        if hook is not None and not callable(hook):
            raise LifecycleDeclarationError(
                f"{name}: action {act.name!r} has {hook!r} where a function is expected"
            )


def _validate_actions(lc: Lifecycle[C], name: str, known: Callable[[object, str], None]) -> None:
    seen: dict[tuple[str, enum.Enum], Action[C]] = {}
    for act in lc.actions:
        if not isinstance(act, Action):
            raise LifecycleDeclarationError(f"{name}: actions must be Action, got {act!r}")
        _validate_action_parts(name, act)
        if not act.name.isidentifier():
            raise LifecycleDeclarationError(
                f"{name}: action name {act.name!r} is not a Python identifier"
            )
        if not act.source:
            raise LifecycleDeclarationError(f"{name}: action {act.name!r} has no source status")
        if act.kind is not ActionKind.STEP and lc.deferral is None:
            raise LifecycleDeclarationError(
                f"{name}: action {act.name!r} is of kind {act.kind.value!r}; declare "
                "deferral=Deferral(...) instead of declaring defer and resume by hand"
            )
        resolved = act.resolve is not None or act.kind is ActionKind.RESUME
        if act.target is None and (not resolved or not act.targets):
            raise LifecycleDeclarationError(
                f"{name}: action {act.name!r} needs a target, or resolve= with targets="
            )
        for status in act.source:
            known(status, f"action {act.name!r} source")
            if (act.name, status) in seen:
                raise LifecycleDeclarationError(
                    f"{name}: two actions named {act.name!r} from status {status.value!r}"
                )
            seen[(act.name, status)] = act
        for target in act.possible_targets:
            known(target, f"action {act.name!r} target")
