"""SLA policies: categories, due windows, and the events that start, renew, satisfy or stop a clock.

A [`SlaPolicy`][] is one rule of a caseload: "a high-risk event notification starts a
72-hour clock, satisfied by the first outreach attempt". Policies are declarative values;
[`Caseload`][] runs them against [`SlaEvent`][] s.

Each running clock (one per client and policy) is satisfied (done, and the policy's ``then``
starts, if any), renewed (this round is done; the next is due one window after the event:
recurring outreach such as "every 60 days"), or stopped (no longer applies, e.g. the client
was disenrolled) by the event kinds the policy names.
"""

from __future__ import annotations

import calendar as _gregorian
import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

import attrs

from casekit.checks import (
    attrs_check,
    check_aware,
    check_bool,
    check_enum,
    check_free_text,
    check_id,
    check_instance,
    check_int,
    check_optional_id,
    check_text,
)
from casekit.errors import NotFound, ValidationError, allowed_list
from casekit.priority import Priority
from casekit.worklists.calendar import BusinessCalendar

__all__ = [
    "Anchor",
    "CalendarOwner",
    "CaseLike",
    "Category",
    "Condition",
    "DueWindow",
    "PolicySet",
    "SlaEvent",
    "SlaPolicy",
    "Trigger",
    "WindowUnit",
]


MAX_WINDOW = 100_000
"""The largest due window, in any unit (100,000 hours is 11 years; days, 270 years)."""


class WindowUnit(enum.StrEnum):
    """The unit a due window is measured in."""

    CALENDAR_HOURS = "calendar hours"
    """Elapsed real time: 72 hours is 72 × 3600 s, whatever the clocks or the weekday."""
    CALENDAR_DAYS = "calendar days"
    """Local days: the same wall-clock time ``n`` days later (a week is 7 days)."""
    BUSINESS_DAYS = "business days"
    """The close of the ``n``-th business day after the start's local date."""
    CALENDAR_MONTHS = "calendar months"
    """The same wall-clock time and day ``n`` months later (clamped to the month's end)."""


def _unit(value: WindowUnit | str) -> WindowUnit:
    return check_enum(value, WindowUnit, what="due window unit")


def _priority(value: Priority | str) -> Priority:
    return check_enum(value, Priority, what="priority")


def _optional_priority(value: Priority | str | None) -> Priority | None:
    return None if value is None else check_enum(value, Priority, what="priority")


@attrs.frozen
class DueWindow:
    """How long after (or, when negative, before) its anchor an SLA falls due.

    Args:
        amount: The number of units; may be negative for windows before a reference date
            (e.g. the discharge workflow 2 months before the discharge).
        unit: The [`WindowUnit`][].
    """

    amount: int = attrs.field(
        validator=attrs_check(check_int, minimum=-MAX_WINDOW, maximum=MAX_WINDOW)
    )
    unit: WindowUnit = attrs.field(converter=_unit)

    @classmethod
    def hours(cls, n: int) -> DueWindow:
        """A window of ``n`` calendar hours."""
        return cls(n, WindowUnit.CALENDAR_HOURS)

    @classmethod
    def days(cls, n: int) -> DueWindow:
        """A window of ``n`` calendar days."""
        return cls(n, WindowUnit.CALENDAR_DAYS)

    @classmethod
    def weeks(cls, n: int) -> DueWindow:
        """A window of ``n`` weeks: ``7 × n`` calendar days."""
        return cls(7 * n, WindowUnit.CALENDAR_DAYS)

    @classmethod
    def business_days(cls, n: int) -> DueWindow:
        """A window of ``n`` business days of the caseload's calendar."""
        return cls(n, WindowUnit.BUSINESS_DAYS)

    @classmethod
    def months(cls, n: int) -> DueWindow:
        """A window of ``n`` calendar months."""
        return cls(n, WindowUnit.CALENDAR_MONTHS)

    def due(self, anchor: datetime, calendar: BusinessCalendar) -> datetime:
        """Return the UTC instant the window ends, counted from ``anchor``.

        Calendar days and months move the local wall-clock time in the calendar's time zone,
        so a 7-day window over a DST change ends at the same local time. O(1), or O(log n ·
        log H) for business days.

        Raises:
            ValidationError: If ``anchor`` is not an aware datetime, ``calendar`` is not a
                [`BusinessCalendar`][], or the due date is beyond the years 1–9999.
            OutsideCalendar: If business days leave the calendar's holiday years.
        """
        start = check_aware(anchor, what=f"anchor of the {self} window")
        check_instance(calendar, BusinessCalendar, what=f"calendar of the {self} window")
        try:
            return self._due(start, calendar)
        except OverflowError:
            raise ValidationError(
                f"a {self} window from {start.isoformat()} ends outside the years 1–9999"
            ) from None

    def _due(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        if self.unit is WindowUnit.CALENDAR_HOURS:
            return start + timedelta(hours=self.amount)
        local = start.astimezone(calendar.tz)
        if self.unit is WindowUnit.BUSINESS_DAYS:
            day = calendar.add_business_days(local.date(), self.amount)
            return calendar.end_of_business_day(day)
        wall = local.replace(tzinfo=None)
        if self.unit is WindowUnit.CALENDAR_DAYS:
            wall += timedelta(days=self.amount)
        else:
            years, month0 = divmod(wall.month - 1 + self.amount, 12)
            year = wall.year + years
            last = _gregorian.monthrange(year, month0 + 1)[1]
            wall = wall.replace(year=year, month=month0 + 1, day=min(wall.day, last))
        return wall.replace(tzinfo=calendar.tz).astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}"


@attrs.frozen(order=False)
class Category:
    """A priority category of a worklist: worklists are ordered by ``rank`` first.

    Args:
        name: Display name, e.g. ``"High #1"``.
        rank: Order in worklists; 1 comes first.
        priority: The priority its items carry while on time.
        escalate_to: The priority a breached item is raised to; ``None`` raises it one rank.
        description: What belongs in it, for people.
    """

    name: str = attrs.field(validator=attrs_check(check_text))
    rank: int = attrs.field(validator=attrs_check(check_int, minimum=0, maximum=10**6))
    priority: Priority = attrs.field(converter=_priority)
    escalate_to: Priority | None = attrs.field(default=None, converter=_optional_priority)
    description: str = attrs.field(default="", validator=attrs_check(check_free_text))

    def breached_priority(self, current: Priority) -> Priority:
        """Return the priority an item of this category gets when its SLA is breached.

        Raises:
            ValidationError: If ``current`` is not a [`Priority`][].
        """
        current = _priority(current)
        if self.escalate_to is not None:
            return max(self.escalate_to, current)
        return current.raised()

    def __str__(self) -> str:
        return self.name


class Condition(enum.StrEnum):
    """When a trigger applies, judged from the client's outreach before the event."""

    ALWAYS = "always"
    NO_PRIOR_OUTREACH = "no prior outreach"
    PRIOR_OUTREACH = "prior outreach"


PRIOR_OUTREACH_FLAG = "prior_outreach"
"""An [`SlaEvent`][] flag saying the client was reached out to outside this caseload
(e.g. by the previous case manager of a transferred client)."""


def _condition(value: Condition | str) -> Condition:
    return check_enum(value, Condition, what="trigger condition")


@attrs.frozen
class Trigger:
    """An event kind that starts a policy's clock, under a condition.

    Args:
        kind: The `SlaEvent.kind` that starts it.
        when: The [`Condition`][] under which it does.
    """

    kind: str = attrs.field(validator=attrs_check(check_text))
    when: Condition = attrs.field(default=Condition.ALWAYS, converter=_condition)

    def applies(self, *, prior_outreach: bool) -> bool:
        """Return whether the trigger fires, given whether the client had outreach before.

        Raises:
            ValidationError: If ``prior_outreach`` is not a bool.
        """
        check_bool(prior_outreach, what="prior_outreach")
        return self._applies(prior_outreach=prior_outreach)

    def _applies(self, *, prior_outreach: bool) -> bool:
        if self.when is Condition.NO_PRIOR_OUTREACH:
            return not prior_outreach
        if self.when is Condition.PRIOR_OUTREACH:
            return prior_outreach
        return True


class Anchor(enum.StrEnum):
    """What a due window counts from."""

    EVENT = "event"
    """The time of the starting (or renewing) event."""
    REFERENCE = "reference"
    """The event's ``reference`` instant, e.g. a discharge date or a coverage lapse."""


def _event_time(value: datetime) -> datetime:
    return check_aware(value, what="SLA event time")


def _reference(value: datetime | None) -> datetime | None:
    return None if value is None else check_aware(value, what="SLA event reference")


def _items(values: object, what: str) -> tuple[object, ...]:
    """The members of a collection argument; one string is one member, not its characters."""
    if isinstance(values, str | Trigger):
        return (values,)
    if isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise ValidationError(f"{what} must be a collection of event kinds, got {values!r:.80}")
    return tuple(values)


def _kinds(values: Iterable[str] | str) -> frozenset[str]:
    return frozenset(check_text(v, what="an SLA event kind") for v in _items(values, "event kinds"))


def _triggers(values: Iterable[Trigger | str] | str) -> tuple[Trigger, ...]:
    return tuple(
        v if isinstance(v, Trigger) else Trigger(check_text(v, what="an SLA trigger kind"))
        for v in _items(values, "starts_on")
    )


def _anchor(value: Anchor | str) -> Anchor:
    return check_enum(value, Anchor, what="SLA policy anchor")


class CalendarOwner(enum.StrEnum):
    """Whose business calendar a rule's clock runs on, resolved per case."""

    TEAM = "team"
    """The owning team's (its office hours and region)."""
    WORKER = "worker"
    """The assigned worker's (their shifts, time zone and region)."""
    CLAIMANT = "claimant"
    """The claimant's (their time zone and public holidays)."""


def _calendar_owner(value: CalendarOwner | str) -> CalendarOwner:
    return check_enum(value, CalendarOwner, what="SLA policy calendar_of")


@attrs.frozen
class SlaPolicy:
    """One SLA rule: a category, a due window, and what starts and ends its clock.

    Args:
        name: Unique within its [`PolicySet`][].
        category: The worklist [`Category`][] its items go in.
        window: The [`DueWindow`][], counted from ``anchor``.
        starts_on: Event kinds (or [`Trigger`][] s) that start the clock when it is not
            running.
        satisfied_by: Event kinds that complete it.
        renewed_by: Event kinds that complete this round and restart the clock from the event
            (a recurring rule); a renewing event also starts the clock when it is not running
            only if it is in ``starts_on`` too.
        stopped_by: Event kinds that end it unsatisfied (no longer applies).
        anchor: [`Anchor`][] the window counts from.
        then: Name of the policy whose clock starts when this one is satisfied.
        outreach: Whether its items are outreach to the client (they set the client's next
            outreach date).
        rule: The rule in words, as the source states it.
        calendar_of: Whose calendar its business time runs on ([`CalendarOwner`][]), looked
            up per case in a [`CalendarRegistry`][]; default the team's.

    Raises:
        ValidationError: On an empty name, no way to start, or an event that both satisfies
            and renews.
    """

    name: str = attrs.field(validator=attrs_check(check_id))
    category: Category = attrs.field(validator=attrs_check(check_instance, kind=Category))
    window: DueWindow = attrs.field(validator=attrs_check(check_instance, kind=DueWindow))
    starts_on: tuple[Trigger, ...] = attrs.field(converter=_triggers)
    satisfied_by: frozenset[str] = attrs.field(default=frozenset(), converter=_kinds)
    renewed_by: frozenset[str] = attrs.field(default=frozenset(), converter=_kinds)
    stopped_by: frozenset[str] = attrs.field(default=frozenset(), converter=_kinds)
    anchor: Anchor = attrs.field(default=Anchor.EVENT, converter=_anchor)
    then: str | None = attrs.field(default=None, validator=attrs_check(check_optional_id))
    outreach: bool = attrs.field(default=True, validator=attrs_check(check_bool))
    rule: str = attrs.field(default="", validator=attrs_check(check_free_text))
    calendar_of: CalendarOwner = attrs.field(default=CalendarOwner.TEAM, converter=_calendar_owner)

    def __attrs_post_init__(self) -> None:
        overlap = (self.satisfied_by & self.renewed_by) | (self.satisfied_by & self.stopped_by)
        overlap |= self.renewed_by & self.stopped_by
        if overlap:
            raise ValidationError(
                f"SLA policy {self.name!r}: event kinds {allowed_list(overlap)} appear in more "
                "than one of satisfied_by, renewed_by and stopped_by; each kind may do one thing"
            )

    def starts(self, kind: str, *, prior_outreach: bool) -> bool:
        """Return whether an event of ``kind`` starts this policy's clock.

        Raises:
            ValidationError: If ``kind`` is not a non-blank string or ``prior_outreach`` not
                a bool.
        """
        check_text(kind, what="an SLA event kind")
        check_bool(prior_outreach, what="prior_outreach")
        return self._starts(kind, prior_outreach=prior_outreach)

    def _starts(self, kind: str, *, prior_outreach: bool) -> bool:
        return any(
            t.kind == kind and t._applies(prior_outreach=prior_outreach) for t in self.starts_on
        )

    def due(self, event: SlaEvent, calendar: BusinessCalendar) -> datetime:
        """Return when a clock started or renewed by ``event`` falls due.

        Raises:
            ValidationError: If ``event`` is not an [`SlaEvent`][], ``calendar`` not a
                [`BusinessCalendar`][], or the policy counts from a reference the event
                lacks.
        """
        check_instance(event, SlaEvent, what=f"the event SLA policy {self.name!r} runs on")
        if self.anchor is Anchor.REFERENCE:
            if event.reference is None:
                raise ValidationError(
                    f"SLA policy {self.name!r} counts from the event's reference date, but the "
                    f"{event.kind!r} event for client {event.client_id} has reference=None; "
                    "give reference=<the date it counts from>"
                )
            return self.window.due(event.reference, calendar)
        return self.window.due(event.at, calendar)


class CaseLike(Protocol):
    """Anything with an ``id`` and a ``priority``, such as a ``casekit.cases`` case."""

    @property
    def id(self) -> str:
        """The case id."""
        ...

    @property
    def priority(self) -> Priority:
        """The case's current priority."""
        ...


@attrs.frozen
class SlaEvent:
    """Something that happened to a client that may start, renew, satisfy or stop SLA clocks.

    Args:
        kind: The event kind, e.g. ``"high_risk_event"`` (see
            [`Signal`][] for the default set's kinds).
        client_id: The client it concerns.
        at: When it happened; timezone-aware (stored in UTC).
        case_id: The case it belongs to; defaults to the client id.
        reference: The instant a reference-anchored policy counts from (a discharge date, a
            coverage lapse).
        flags: Extra facts, e.g. ``{"prior_outreach"}`` on a transfer.
        priority: The case's own priority; items it starts or renews carry the higher of it
            and their category's.
    """

    kind: str = attrs.field(validator=attrs_check(check_text))
    client_id: str = attrs.field(validator=attrs_check(check_id))
    at: datetime = attrs.field(converter=_event_time)
    case_id: str | None = attrs.field(default=None, validator=attrs_check(check_optional_id))
    reference: datetime | None = attrs.field(default=None, converter=_reference)
    flags: frozenset[str] = attrs.field(default=frozenset(), converter=_kinds)
    priority: Priority | None = attrs.field(default=None, converter=_optional_priority)

    @classmethod
    def for_case(
        cls,
        kind: str,
        case: CaseLike,
        *,
        client_id: str,
        at: datetime,
        reference: datetime | None = None,
        flags: Iterable[str] = (),
    ) -> SlaEvent:
        """Return an event about ``case``: its id and priority are taken from the case.

        Raises:
            ValidationError: If ``case`` has no string ``id`` and [`Priority`][]
                ``priority``, or any other argument is invalid (as the constructor).
        """
        case_id = getattr(case, "id", None)
        priority = getattr(case, "priority", None)
        if not isinstance(case_id, str) or not isinstance(priority, Priority):
            raise ValidationError(
                f"an SLA event's case must have an id and a Priority, got {case!r:.80}"
            )
        return cls(
            kind,
            client_id,
            at,
            case_id=case_id,
            reference=reference,
            flags=_kinds(flags),
            priority=priority,
        )

    def item_priority(self, category: Category) -> Priority:
        """The priority an item of ``category`` started or renewed by this event carries."""
        if self.priority is None:
            return category.priority
        return max(self.priority, category.priority)


class PolicySet(Mapping[str, SlaPolicy]):
    """A validated, immutable set of SLA policies, by name, with an index by event kind.

    Args:
        policies: The policies; names must be unique and every ``then`` must name one of them.

    Raises:
        ValidationError: On a duplicate name or a ``then`` naming no policy in the set.
    """

    __slots__ = ("_by_kind", "_policies", "_starters")

    def __init__(self, policies: Iterable[SlaPolicy]) -> None:
        if not isinstance(policies, Iterable) or isinstance(policies, str | Mapping):
            raise ValidationError(
                f"a PolicySet takes a collection of SlaPolicy, got {policies!r:.80}"
            )
        by_name: dict[str, SlaPolicy] = {}
        for policy in policies:
            check_instance(policy, SlaPolicy, what="a member of a PolicySet")
            if policy.name in by_name:
                raise ValidationError(f"SLA policy name {policy.name!r} is used twice")
            by_name[policy.name] = policy
        for policy in by_name.values():
            if policy.then is not None and policy.then not in by_name:
                raise ValidationError(
                    f"SLA policy {policy.name!r} has then={policy.then!r}, which names no "
                    f"policy in the set; known: {allowed_list(by_name)}"
                )
        self._policies = by_name
        by_kind: dict[str, list[SlaPolicy]] = {}
        for policy in by_name.values():
            kinds = {t.kind for t in policy.starts_on}
            kinds |= policy.satisfied_by | policy.renewed_by | policy.stopped_by
            for kind in kinds:
                by_kind.setdefault(kind, []).append(policy)
        self._by_kind = {k: tuple(v) for k, v in by_kind.items()}
        starters: dict[str, list[SlaPolicy]] = {}
        for policy in by_name.values():
            for kind in dict.fromkeys(t.kind for t in policy.starts_on):
                starters.setdefault(kind, []).append(policy)
        self._starters = {k: tuple(v) for k, v in starters.items()}

    def __getitem__(self, name: str) -> SlaPolicy:
        check_text(name, what="an SLA policy name")
        try:
            return self._policies[name]
        except KeyError:
            raise NotFound(
                f"no SLA policy named {name!r}; known: {allowed_list(self._policies)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._policies)

    def __len__(self) -> int:
        return len(self._policies)

    def __repr__(self) -> str:
        return f"PolicySet({', '.join(self._policies)})"

    @property
    def kinds(self) -> frozenset[str]:
        """Every event kind some policy reacts to."""
        return frozenset(self._by_kind)

    def reacting_to(self, kind: str) -> tuple[SlaPolicy, ...]:
        """Return the policies an event of ``kind`` may affect. O(1).

        Raises:
            ValidationError: If ``kind`` is not a non-blank string.
        """
        check_text(kind, what="an SLA event kind")
        return self._by_kind.get(kind, ())

    def started_by(self, kind: str) -> tuple[SlaPolicy, ...]:
        """Return the policies with a trigger for ``kind`` (whatever its condition). O(1).

        Raises:
            ValidationError: If ``kind`` is not a non-blank string.
        """
        check_text(kind, what="an SLA event kind")
        return self._starters.get(kind, ())

    def with_policies(self, *policies: SlaPolicy) -> PolicySet:
        """Return a new set with ``policies`` added, replacing same-named ones.

        Raises:
            ValidationError: If one of ``policies`` is not an [`SlaPolicy`][], or a
                ``then`` names no policy of the new set.
        """
        for policy in policies:
            check_instance(policy, SlaPolicy, what="a policy to add")
        merged = dict(self._policies)
        merged.update((p.name, p) for p in policies)
        return PolicySet(merged.values())

    def without(self, *names: str) -> PolicySet:
        """Return a new set without the named policies.

        Raises:
            NotFound: If a name is not in the set.
        """
        for name in names:
            self[name]
        return PolicySet(p for n, p in self._policies.items() if n not in names)
