"""Declaring a lifecycle as data: statuses, actions, guards and effects.

A :class:`Lifecycle` is a plain, immutable declaration. It is validated when it is built
(:class:`~casekit.errors.LifecycleDeclarationError` for an unknown or unreachable status, two
actions of one name from one status, or no initial status) and compiled once per case type
by :mod:`casekit.lifecycle.engine`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Generic, TypeVar

import attrs

from casekit.errors import LifecycleDeclarationError

__all__ = ["Action", "ActionContext", "Effect", "Guard", "Lifecycle"]

C = TypeVar("C")
S = TypeVar("S", bound=enum.Enum)


@attrs.define(slots=True)
class ActionContext:
    """What an action is performed with: who, when, why, and its parameters.

    Attributes:
        actor: Who performs the action (a user id, or ``"system"``).
        at: When, from the case's clock.
        reason: Why, where the action asks for one.
        params: Action-specific parameters (e.g. ``findings`` for closing an investigation).
        created: Cases an effect created (e.g. the PDCs a disposed application creates).
    """

    actor: str
    at: datetime
    reason: str | None = None
    params: Mapping[str, object] = attrs.field(factory=dict)
    created: list[object] = attrs.field(factory=list)


@attrs.frozen(slots=True)
class Guard(Generic[C]):
    """A condition an action needs, with the reason given when it does not hold.

    Attributes:
        check: ``check(case, context) -> bool``; True lets the action through.
        reason: What is missing, in words a caseworker can act on
            (e.g. ``"the case is not certified"``), or a function of the case and context
            that says it.
    """

    check: Callable[[C, ActionContext], bool]
    reason: str | Callable[[C, ActionContext], str]

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
        resolve: For actions whose target depends on the case (e.g. ``resume``): returns
            one of ``targets``.
        targets: The statuses ``resolve`` may return (for validation and diagrams).
        label: A short description for diagrams and docs.
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

    def __attrs_post_init__(self) -> None:
        _validate(self)

    def action(self, name: str) -> Action[C]:
        """Return the action called ``name``.

        Raises:
            KeyError: If there is no such action.
        """
        for act in self.actions:
            if act.name == name:
                return act
        raise KeyError(name)

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


def _validate(lc: Lifecycle[C]) -> None:
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


def _validate_actions(lc: Lifecycle[C], name: str, known: Callable[[object, str], None]) -> None:
    seen: dict[tuple[str, enum.Enum], Action[C]] = {}
    for act in lc.actions:
        if not act.name.isidentifier():
            raise LifecycleDeclarationError(
                f"{name}: action name {act.name!r} is not a Python identifier"
            )
        if not act.source:
            raise LifecycleDeclarationError(f"{name}: action {act.name!r} has no source status")
        if act.target is None and (act.resolve is None or not act.targets):
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
