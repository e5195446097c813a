"""Separation of duties as lifecycle guards: whoever makes a change is not who checks it.

Domain.md §7: "whoever submits, resolves or verifies is not who approves, submits for payment
or confirms". A [`separated_from`][] guard reads who performed the maker actions from the
case's own status history, so the rule holds on every path the engine runs guards on:
the action performed directly, and a step deferred and resumed (the engine runs the step's
guards at ``resume``).

Who performed an action is read from the most recent history entry that performed it: its
actor when it was performed directly; both the person who deferred it and the person who
resumed it when it went through background processing (the ``defer`` and ``resume`` entries
name the step, ``StatusChange.step``). Who performs the action now is the actor and, at
``resume``, who deferred the step ([`ActionContext.deferred_by`][casekit.lifecycle.ActionContext]).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

from casekit.errors import LifecycleDeclarationError, SeparationOfDuties
from casekit.lifecycle.spec import ActionContext, Guard

__all__ = ["HistoryEntry", "Recorded", "acting", "performed_by", "separated_from"]


class HistoryEntry(Protocol):
    """What separation of duties reads from one status history entry."""

    @property
    def action(self) -> str:
        """The action performed (``"defer"`` and ``"resume"`` for a deferred step)."""
        ...

    @property
    def actor(self) -> str:
        """Who performed it."""
        ...

    @property
    def step(self) -> str | None:
        """The step a ``defer`` handed on or a ``resume`` performed; otherwise None."""
        ...


class Recorded(Protocol):
    """Something with an id and a status history: a case, or a payment."""

    @property
    def id(self) -> str:
        """Its id."""
        ...

    @property
    def history(self) -> Sequence[HistoryEntry]:
        """Its status history, oldest first."""
        ...


R = TypeVar("R", bound=Recorded)


def performed_by(history: Sequence[HistoryEntry], action: str) -> tuple[str, ...]:
    """Who performed the most recent ``action`` in ``history``. O(n) in its length.

    Args:
        history: A status history, oldest first.
        action: The action's name (``"submit"``).

    Returns:
        The actor of the most recent entry that performed ``action`` directly; or, when the
        most recent one was deferred and resumed, who deferred it and who resumed it (one
        name when that is the same person); or ``()`` when it was never performed.
    """
    for index in range(len(history) - 1, -1, -1):
        entry = history[index]
        if entry.action == action and entry.step is None:
            return (entry.actor,)
        if entry.action == "resume" and entry.step == action:
            for earlier in range(index - 1, -1, -1):
                handed = history[earlier]
                if handed.action == "defer" and handed.step == action:
                    return tuple(dict.fromkeys((handed.actor, entry.actor)))
            return (entry.actor,)
    return ()


def acting(context: ActionContext) -> tuple[str, ...]:
    """Who performs an action now: its actor and, for a resumed step, who deferred it."""
    deferred_by = context.deferred_by
    if deferred_by is None or deferred_by == context.actor:
        return (context.actor,)
    return (context.actor, deferred_by)


def separated_from(
    makers: Mapping[str, str],
    *,
    doing: str,
    instead: Callable[[R, ActionContext], str] | None = None,
) -> Guard[R]:
    """A guard: whoever performed the most recent of ``makers`` may not perform this action.

    Refuses with [`SeparationOfDuties`][casekit.errors.SeparationOfDuties], naming the
    case, the person and who may act instead: ``"PDC-17 was submitted by ana; approval must
    come from another person: its supervisor, User bob"``.

    Args:
        makers: The maker actions, each with the past participle for messages
            (``{"verify": "verified", "submit": "submitted"}``), in the order to name them.
        doing: The guarded action in words (``"approval"``).
        instead: Who may perform it instead, in words, for the message (default: anyone
            but the people named).

    Returns:
        A guard to declare on the checker action.

    Raises:
        LifecycleDeclarationError: No maker actions, or a name or word that is not text.
    """
    if (
        not isinstance(makers, Mapping)
        or not makers
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in makers.items())
        or not isinstance(doing, str)
        or not doing.strip()
        or (instead is not None and not callable(instead))
    ):
        raise LifecycleDeclarationError(
            "separated_from needs maker actions named with their past participles "
            f"({{'submit': 'submitted'}}) and doing= the action in words, got {makers!r}, "
            f"doing={doing!r}"
        )
    words = dict(makers)

    def conflicts(case: R, context: ActionContext) -> list[tuple[str, str]]:
        people = acting(context)
        history = case.history
        return [
            (participle, person)
            for action, participle in words.items()
            for person in performed_by(history, action)
            if person in people
        ]

    def check(case: R, context: ActionContext) -> bool:
        return not conflicts(case, context)

    def explain(case: R, context: ActionContext) -> str:
        found = conflicts(case, context)
        roles = " and ".join(
            f"{participle} by {person}"
            + ("" if person == context.actor else f", who deferred this {doing}")
            for participle, person in found
        )
        if instead is not None:
            valid = f"another person: {instead(case, context)}"
        else:
            valid = "someone other than " + ", ".join(dict.fromkeys(p for _, p in found))
        return f"{case.id} was {roles}; {doing} must come from {valid}"

    return Guard(check, explain, SeparationOfDuties)
