"""Calendars per team, worker and claimant, and the resolver that picks one per case.

An SLA rule names whose calendar its clock runs on (`SlaPolicy.calendar_of`: the team, the
worker or the claimant); a [`CalendarRegistry`][] holds each party's [`BusinessCalendar`][]
(time zone, split shifts, regional holidays) and resolves the one to use for a case from
its [`CaseParties`][]. Escalation waits use the same resolution
([`CalendarRegistry.escalate_at`][]).

A party with no calendar of its own works on the registry's ``default``; with
``strict=True`` that is refused instead ([`NotFound`][]).

Complexity: every lookup is O(1); ``with_calendar`` copies one mapping, O(parties of that
kind).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

import attrs

from casekit.checks import (
    attrs_check,
    check_bool,
    check_enum,
    check_id,
    check_instance,
    check_optional_id,
)
from casekit.errors import NotFound, ValidationError, allowed_list
from casekit.worklists.calendar import BusinessCalendar
from casekit.worklists.sla import CalendarOwner, SlaPolicy

__all__ = ["CalendarRegistry", "CaseParties"]


@attrs.frozen
class CaseParties:
    """Who a case's calendars belong to.

    Args:
        team: The owning team's id.
        worker: The assigned worker's id.
        claimant: The claimant's id.
    """

    team: str | None = attrs.field(default=None, validator=attrs_check(check_optional_id))
    worker: str | None = attrs.field(default=None, validator=attrs_check(check_optional_id))
    claimant: str | None = attrs.field(default=None, validator=attrs_check(check_optional_id))

    def of(self, owner: CalendarOwner | str) -> str | None:
        """Return the id of the party ``owner`` names, or ``None`` if the case has none.

        Raises:
            ValidationError: If ``owner`` is not a [`CalendarOwner`][].
        """
        which = check_enum(owner, CalendarOwner, what="calendar owner")
        return {
            CalendarOwner.TEAM: self.team,
            CalendarOwner.WORKER: self.worker,
            CalendarOwner.CLAIMANT: self.claimant,
        }[which]


def _calendars(values: Mapping[str, BusinessCalendar], what: str) -> Mapping[str, BusinessCalendar]:
    if not isinstance(values, Mapping):
        raise ValidationError(f"{what} must map ids to BusinessCalendar, got {values!r:.80}")
    return MappingProxyType(
        {
            check_id(k, what=f"an id in {what}"): check_instance(
                v, BusinessCalendar, what=f"the calendar of {k!r} in {what}"
            )
            for k, v in values.items()
        }
    )


def _teams(values: Mapping[str, BusinessCalendar]) -> Mapping[str, BusinessCalendar]:
    return _calendars(values, "CalendarRegistry.teams")


def _workers(values: Mapping[str, BusinessCalendar]) -> Mapping[str, BusinessCalendar]:
    return _calendars(values, "CalendarRegistry.workers")


def _claimants(values: Mapping[str, BusinessCalendar]) -> Mapping[str, BusinessCalendar]:
    return _calendars(values, "CalendarRegistry.claimants")


@attrs.frozen(eq=False)
class CalendarRegistry:
    """The business calendars of teams, workers and claimants, with a default.

    Args:
        default: The calendar of a party with none of its own.
        teams: Team id to calendar.
        workers: Worker id to calendar.
        claimants: Claimant id to calendar.
    """

    default: BusinessCalendar = attrs.field(
        validator=attrs_check(check_instance, kind=BusinessCalendar)
    )
    teams: Mapping[str, BusinessCalendar] = attrs.field(factory=dict, converter=_teams)
    workers: Mapping[str, BusinessCalendar] = attrs.field(factory=dict, converter=_workers)
    claimants: Mapping[str, BusinessCalendar] = attrs.field(factory=dict, converter=_claimants)

    def _table(self, owner: CalendarOwner) -> Mapping[str, BusinessCalendar]:
        return {
            CalendarOwner.TEAM: self.teams,
            CalendarOwner.WORKER: self.workers,
            CalendarOwner.CLAIMANT: self.claimants,
        }[owner]

    def with_calendar(
        self, owner: CalendarOwner | str, party: str, calendar: BusinessCalendar
    ) -> CalendarRegistry:
        """Return a registry where ``party`` (a team, worker or claimant) has ``calendar``.

        Raises:
            ValidationError: On an unknown owner kind, a bad id or a non-calendar.
        """
        which = check_enum(owner, CalendarOwner, what="calendar owner")
        check_id(party, what=f"the {which.value} given a calendar")
        check_instance(calendar, BusinessCalendar, what=f"the calendar of {which.value} {party}")
        table = {**self._table(which), party: calendar}
        if which is CalendarOwner.TEAM:
            return attrs.evolve(self, teams=table)
        if which is CalendarOwner.WORKER:
            return attrs.evolve(self, workers=table)
        return attrs.evolve(self, claimants=table)

    def calendar_for(
        self, owner: CalendarOwner | str, parties: CaseParties, *, strict: bool = False
    ) -> BusinessCalendar:
        """Return the calendar of the party ``owner`` names on a case. O(1).

        Args:
            owner: Whose calendar: team, worker or claimant.
            parties: The case's parties.
            strict: Refuse a party without a calendar of its own instead of using the
                default.

        Raises:
            ValidationError: On an invalid argument.
            NotFound: With ``strict``, if the case has no such party or it has no calendar.
        """
        which = check_enum(owner, CalendarOwner, what="calendar owner")
        check_instance(parties, CaseParties, what="the case's parties")
        check_bool(strict, what="strict")
        party = parties.of(which)
        table = self._table(which)
        if party is not None and party in table:
            return table[party]
        if strict:
            raise NotFound(
                f"no business calendar for the {which.value} {party!r} of this case; "
                f"{which.value}s with one: {allowed_list(table)}"
            )
        return self.default

    def for_policy(
        self, policy: SlaPolicy, parties: CaseParties, *, strict: bool = False
    ) -> BusinessCalendar:
        """Return the calendar ``policy``'s clock runs on for a case (its ``calendar_of``).

        Raises:
            ValidationError: On an invalid argument.
            NotFound: As [`calendar_for`][CalendarRegistry.calendar_for].
        """
        check_instance(policy, SlaPolicy, what="the policy whose calendar is asked")
        return self.calendar_for(policy.calendar_of, parties, strict=strict)

    def escalate_at(
        self,
        owner: CalendarOwner | str,
        parties: CaseParties,
        since: datetime,
        wait: timedelta,
    ) -> datetime:
        """Return when an escalation step waiting ``wait`` of business time fires.

        The wait runs on the calendar of the party ``owner`` names, as SLA clocks do.
        O(days waited).

        Raises:
            ValidationError: On an invalid argument (``wait`` must be from zero to the
                calendar's `MAX_SPAN`).
        """
        calendar = self.calendar_for(owner, parties)
        return calendar.add_business_hours(since, wait)
