"""Nominees: who receives each component's payments, over time.

The primary client is every component's nominee until someone else is assigned. Each
assignment runs from its effective date until the component's next one, so the history has
no gaps; it is kept, never edited.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime

import attrs

from casekit.checks import check_actor, check_aware, check_date, check_id, check_text
from casekit.errors import ValidationError

__all__ = ["NomineeAssignment", "Nominees"]


@attrs.frozen(slots=True)
class NomineeAssignment:
    """One entry of a component's assignment history.

    Attributes:
        component: The component.
        nominee: The participant id who receives its payments from ``effective_from``.
        effective_from: The first day of the assignment; it lasts until the next one.
        assigned_by: Who assigned it.
        at: When it was recorded (UTC).
    """

    component: str
    nominee: str
    effective_from: date
    assigned_by: str
    at: datetime


@attrs.define(slots=True)
class Nominees:
    """Per-component nominee assignments with history; the primary client by default.

    Args:
        primary_client: The default nominee of every component.

    Complexity: [`nominee_on`][] is O(log a) for a assignments of the component;
    [`assign`][] is O(1).
    """

    primary_client: str
    _history: dict[str, list[NomineeAssignment]] = attrs.field(factory=dict, init=False)
    _starts: dict[str, list[date]] = attrs.field(factory=dict, init=False)

    def __attrs_post_init__(self) -> None:
        check_id(self.primary_client, what="the default nominee (primary client)")

    def assign(
        self, component: str, nominee: str, effective_from: date, *, actor: str, at: datetime
    ) -> NomineeAssignment:
        """Make ``nominee`` receive ``component``'s payments from ``effective_from`` on.

        Every argument is checked before anything is recorded.

        Raises:
            ValidationError: A blank component, nominee or actor, an ``effective_from``
                that is not a date, a naive time, or a date not after the component's
                latest assignment (history is appended, never rewritten).
        """
        component = check_text(component, what="the component of a nominee assignment")
        nominee = check_id(nominee, what=f"the nominee of {component!r}")
        effective_from = check_date(
            effective_from, what=f"effective_from of the assignment of {nominee!r} to {component!r}"
        )
        actor = check_actor(actor, what=f"the actor assigning {nominee!r} to {component!r}")
        at = check_aware(at, what=f"the time of the assignment of {nominee!r} to {component!r}")
        starts = self._starts.get(component, [])
        if starts and effective_from <= starts[-1]:
            raise ValidationError(
                f"cannot assign {nominee!r} to {component!r} from {effective_from}: the "
                f"latest assignment starts {starts[-1]}; assign from a later date"
            )
        entry = NomineeAssignment(component, nominee, effective_from, actor, at)
        self._history.setdefault(component, []).append(entry)
        self._starts.setdefault(component, []).append(effective_from)
        return entry

    def nominee_on(self, component: str, day: date) -> str:
        """Who receives ``component``'s payment for ``day``. O(log a).

        Raises:
            ValidationError: ``day`` is not a date.
        """
        if type(day) is not date:
            check_date(day, what=f"the day to find the nominee of {component!r} on")
        starts = self._starts.get(component)
        if not starts:
            return self.primary_client
        index = bisect.bisect_right(starts, day) - 1
        if index < 0:
            return self.primary_client
        return self._history[component][index].nominee

    def fixed_nominee(self, component: str) -> str | None:
        """The primary client when ``component`` was never reassigned, else None. O(1)."""
        return None if self._starts.get(component) else self.primary_client

    def sole_nominee(self) -> str | None:
        """The primary client when no component was ever reassigned, else None. O(1)."""
        return None if self._starts else self.primary_client

    def first_assignments(self) -> dict[str, date]:
        """Each reassigned component → the first day of its first assignment. O(c).

        Before that day the component's nominee is the primary client; from it on, the
        assignments decide (a retroactive assignment changes who should have been paid).
        """
        return {component: starts[0] for component, starts in self._starts.items() if starts}

    def history(self, component: str) -> tuple[NomineeAssignment, ...]:
        """The component's assignments, oldest first (empty: the primary client throughout)."""
        return tuple(self._history.get(component, ()))
