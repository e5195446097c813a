"""SLA clocks that pause: a ledger of holds, and due dates recomputed from it in business time.

An [`SlaClock`][] is one policy's clock on one case: when it started, and every [`Pause`][]
it has had. A [`PauseRule`][] says which statuses or classifications (e.g. "Awaiting client")
stop it. The due date is never stored: it is recomputed from the policy's window, the
calendar and the ledger, so

* while a pause is open the clock does not tick and there is no due date (``due`` is
  ``None``; ``remaining`` stays put);
* a hold extends the due date by the *business* time it covered: a hold over a weekend or a
  night costs nothing, and each instant is counted once (pauses never overlap);
* the start is never moved; holds push the end;
* changing the policy ([`SlaClock.with_policy`][]) keeps the ledger, so time already on hold
  stays on hold.

The rule: with ``D0`` the policy's due date counted from ``started`` and ``E`` the business
time on hold within ``[started, D0]``, the clock is due at the earliest instant after ``D0``
by which ``E`` more business time *not on hold* has passed (``D0`` itself when ``E`` is
zero).

Clocks are frozen values: ``pause``, ``resume``, ``observe`` and ``with_policy`` return new
clocks, so a refused call changes nothing.

Complexity (``p`` pauses, ``d`` calendar days from the start to the due date, ``s`` shifts a
day): ``due`` and ``remaining`` O(d · s + p); ``pause``, ``resume``, ``observe`` O(p) (the
ledger is copied; the new entry is checked, the rest is not checked again). A clock
remembers, per calendar, ``D0`` and the business time its closed pauses hold before it, and
shares that with the clocks ``pause``, ``resume`` and ``observe`` derive from it: the due
date of a clock that has paused and resumed many times walks the calendar only for the new
pauses and the time after ``D0`` (a status change through a caseload with pauses went from
about 450 to 155 µs in ``benchmarks/worklists.py --status-only``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import attrs

from casekit.checks import (
    attrs_check,
    check_aware,
    check_id,
    check_instance,
    check_optional_text,
    check_text,
)
from casekit.errors import ValidationError
from casekit.worklists.calendar import MAX_SPAN, BusinessCalendar
from casekit.worklists.sla import SlaPolicy

__all__ = ["Pause", "PauseRule", "SlaClock"]

_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_set = object.__setattr__


def _instant(value: datetime) -> datetime:
    return check_aware(value, what="pause start")


def _optional_end(value: datetime | None) -> datetime | None:
    return None if value is None else check_aware(value, what="pause end")


@attrs.frozen
class Pause:
    """One hold on an SLA clock: when it began, why, and when it ended (``None``: still on).

    Args:
        started: When the clock stopped (aware; stored in UTC).
        reason: The status or classification that stopped it, e.g. ``"Awaiting client"``.
        ended: When it started again; after ``started``; ``None`` while the hold is on.

    Raises:
        ValidationError: On a naive instant, a blank reason, or ``ended <= started``.
    """

    started: datetime = attrs.field(converter=_instant)
    reason: str = attrs.field(validator=attrs_check(check_text))
    ended: datetime | None = attrs.field(default=None, converter=_optional_end)

    def __attrs_post_init__(self) -> None:
        if self.ended is not None and self.ended <= self.started:
            raise ValidationError(
                f"pause {self.reason!r} from {self.started.isoformat()} cannot end at "
                f"{self.ended.isoformat()}; give an end after its start"
            )

    @property
    def is_open(self) -> bool:
        """Whether the hold is still on."""
        return self.ended is None

    @classmethod
    def _trusted(cls, started: datetime, reason: str, ended: datetime | None) -> Pause:
        """A pause from values already checked (aware UTC instants, a checked reason)."""
        pause = object.__new__(cls)
        _set(pause, "started", started)
        _set(pause, "reason", reason)
        _set(pause, "ended", ended)
        return pause


def _texts(values: Iterable[str] | str, what: str) -> frozenset[str]:
    if isinstance(values, str):
        values = (values,)
    if not isinstance(values, Iterable):
        raise ValidationError(f"{what} must be a collection of names, got {values!r:.80}")
    return frozenset(check_text(v, what=f"one of the {what}") for v in values)


def _statuses(values: Iterable[str] | str) -> frozenset[str]:
    return _texts(values, "PauseRule.statuses")


def _classifications(values: Iterable[str] | str) -> frozenset[str]:
    return _texts(values, "PauseRule.classifications")


@attrs.frozen
class PauseRule:
    """The statuses and classifications during which an SLA clock stands still.

    Args:
        statuses: Case statuses that pause it, e.g. ``{"Awaiting client"}``.
        classifications: Classifications (a sub-category or disposition) that pause it.
    """

    statuses: frozenset[str] = attrs.field(default=frozenset(), converter=_statuses)
    classifications: frozenset[str] = attrs.field(default=frozenset(), converter=_classifications)

    def reason(self, status: str, classification: str | None = None) -> str | None:
        """Return what pauses a clock in this state (the status first), or ``None``. O(1).

        Raises:
            ValidationError: If ``status`` is blank or ``classification`` neither text nor
                ``None``.
        """
        check_text(status, what="status asked of a pause rule")
        check_optional_text(classification, what="classification asked of a pause rule")
        if status in self.statuses:
            return status
        if classification is not None and classification in self.classifications:
            return classification
        return None


def _started(value: datetime) -> datetime:
    return check_aware(value, what="SLA clock start")


def _pauses(values: Iterable[Pause]) -> tuple[Pause, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError(f"SLA clock pauses must be a collection of Pause, got {values!r:.80}")
    return tuple(check_instance(p, Pause, what="an SLA clock pause") for p in values)


@attrs.frozen
class SlaClock:
    """One SLA policy's clock on one case, with its ledger of pauses.

    Args:
        case_id: The case (or client) the clock runs for; for messages and keys.
        policy: The [`SlaPolicy`][] whose window sets the due date.
        started: When the clock started (its window's anchor).
        rule: What pauses it (used by [`observe`][SlaClock.observe]).
        pauses: The ledger, oldest first: each starts at or after ``started`` and after the
            previous one ended; only the last may be open.

    Raises:
        ValidationError: On an invalid argument or a ledger out of order.
    """

    case_id: str = attrs.field(validator=attrs_check(check_id))
    policy: SlaPolicy = attrs.field(validator=attrs_check(check_instance, kind=SlaPolicy))
    started: datetime = attrs.field(converter=_started)
    rule: PauseRule = attrs.field(
        factory=PauseRule, validator=attrs_check(check_instance, kind=PauseRule)
    )
    pauses: tuple[Pause, ...] = attrs.field(default=(), converter=_pauses)
    # What the due date of this clock and of the clocks pause/resume/observe derive from it
    # have in common (same start, policy and ledger prefix), per calendar: see _owed.
    _memo: dict[int, _Memo] = attrs.field(
        factory=dict, init=False, eq=False, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        last_end = self.started
        for i, pause in enumerate(self.pauses):
            if pause.started < last_end:
                raise ValidationError(
                    f"{self}: pause {pause.reason!r} at {pause.started.isoformat()} starts "
                    f"before {last_end.isoformat()} (the clock's start or the previous pause's "
                    "end); pauses must be in order and may not overlap"
                )
            if pause.ended is None and i != len(self.pauses) - 1:
                raise ValidationError(
                    f"{self}: pause {pause.reason!r} from {pause.started.isoformat()} is open "
                    "but is not the last; only the last pause may be open"
                )
            last_end = pause.ended or pause.started

    def __str__(self) -> str:
        return f"SLA clock {self.policy.name!r} of {self.case_id}"

    def _with_pauses(self, pauses: tuple[Pause, ...]) -> SlaClock:
        """This clock with ``pauses`` (this ledger plus one checked entry), unchecked.

        The new clock shares the memo: its start and policy are the same, and its ledger
        extends this one's (the memo checks the prefix it counted is still there).
        """
        clock = object.__new__(SlaClock)
        _set(clock, "case_id", self.case_id)
        _set(clock, "policy", self.policy)
        _set(clock, "started", self.started)
        _set(clock, "rule", self.rule)
        _set(clock, "pauses", pauses)
        _set(clock, "_memo", self._memo)
        return clock

    # ------------------------------------------------------------- the ledger

    @property
    def is_paused(self) -> bool:
        """Whether the clock stands still now (its last pause is open)."""
        return bool(self.pauses) and self.pauses[-1].ended is None

    def pause(self, at: datetime, reason: str) -> SlaClock:
        """Return this clock paused from ``at``. O(p).

        Raises:
            ValidationError: If ``at`` is naive or before the start or the last pause's end,
                ``reason`` is blank, or the clock is already paused.
        """
        moment = check_aware(at, what=f"when {self} pauses")
        check_text(reason, what=f"why {self} pauses")
        if self.is_paused:
            raise ValidationError(
                f"{self} is already paused ({self.pauses[-1].reason!r} since "
                f"{self.pauses[-1].started.isoformat()}); resume it before pausing again"
            )
        if moment < self._latest():
            raise ValidationError(
                f"{self}: pause {reason!r} at {moment.isoformat()} starts before "
                f"{self._latest().isoformat()} (the clock's start or the previous pause's "
                "end); pauses must be in order and may not overlap"
            )
        return self._with_pauses((*self.pauses, Pause._trusted(moment, reason, None)))

    def resume(self, at: datetime) -> SlaClock:
        """Return this clock running again from ``at``. O(p).

        Raises:
            ValidationError: If ``at`` is naive or not after the pause began, or the clock
                is not paused.
        """
        moment = check_aware(at, what=f"when {self} resumes")
        if not self.is_paused:
            raise ValidationError(f"{self} is not paused; only a paused clock can resume")
        last = self.pauses[-1]
        if moment <= last.started:
            raise ValidationError(
                f"pause {last.reason!r} from {last.started.isoformat()} cannot end at "
                f"{moment.isoformat()}; give an end after its start"
            )
        ended = Pause._trusted(last.started, last.reason, moment)
        return self._with_pauses((*self.pauses[:-1], ended))

    def observe(self, at: datetime, status: str, classification: str | None = None) -> SlaClock:
        """Return the clock after the case entered ``status`` (and ``classification``) at ``at``.

        Pauses if the rule names the status or classification and the clock runs; resumes if
        it names neither and the clock is paused; otherwise returns ``self`` (a move from one
        pausing status to another keeps the one pause: time is never held twice). O(p).

        Raises:
            ValidationError: On an invalid argument, or ``at`` earlier than the ledger's last
                entry.
        """
        moment = check_aware(at, what=f"when {self} saw a status change")
        reason = self.rule.reason(status, classification)
        latest = self._latest()
        if moment < latest:
            raise ValidationError(
                f"{self}: a status change at {moment.isoformat()} is earlier than its ledger's "
                f"last entry at {latest.isoformat()}; give status changes in order"
            )
        if reason is not None and not self.is_paused:
            return self.pause(moment, reason)
        if reason is None and self.is_paused:
            return self.resume(moment)
        return self

    def _latest(self) -> datetime:
        if not self.pauses:
            return self.started
        last = self.pauses[-1]
        return last.ended or last.started

    def with_policy(self, policy: SlaPolicy) -> SlaClock:
        """Return the clock under another policy, keeping its start and every pause. O(p).

        Raises:
            ValidationError: If ``policy`` is not an [`SlaPolicy`][].
        """
        check_instance(policy, SlaPolicy, what=f"the new policy of {self}")
        return attrs.evolve(self, policy=policy)

    # -------------------------------------------------------------- due dates

    def unpaused_due(self, calendar: BusinessCalendar) -> datetime:
        """Return when the clock would fall due had it never paused (``D0``). O(log n · log H).

        Raises:
            ValidationError: If ``calendar`` is not a [`BusinessCalendar`][].
            OutsideCalendar: If the window leaves the calendar's holiday years.
        """
        check_instance(calendar, BusinessCalendar, what=f"calendar of {self}")
        return self.policy.window.due(self.started, calendar)

    def held(self, calendar: BusinessCalendar, now: datetime | None = None) -> timedelta:
        """Return the business time the clock has been on hold (an open pause up to ``now``).

        O(days held · s).

        Raises:
            ValidationError: If ``calendar`` is not a [`BusinessCalendar`][], or ``now`` is
                missing while paused, naive, or before the open pause began.
        """
        check_instance(calendar, BusinessCalendar, what=f"calendar of {self}")
        if now is not None:
            check_aware(now, what=f"'now' asked of {self}")
        spans = self._closed(now)
        return sum((calendar.business_hours_between(a, b) for a, b in spans), _ZERO)

    def due(self, calendar: BusinessCalendar) -> datetime | None:
        """Return the due date (UTC) from the policy, the calendar and the ledger.

        ``None`` while paused: a stopped clock has no due date (see [`due_if_resumed`][]).
        O(d · s + p).

        Raises:
            ValidationError: If ``calendar`` is not a [`BusinessCalendar`][].
            OutsideCalendar: If the walk leaves the calendar's holiday years.
        """
        check_instance(calendar, BusinessCalendar, what=f"calendar of {self}")
        if self.is_paused:
            return None
        return self._due(calendar, self._closed(None))

    def due_if_resumed(self, calendar: BusinessCalendar, now: datetime) -> datetime:
        """Return the due date were the clock to run again at ``now`` (its due if running).

        Raises:
            ValidationError: If an argument is invalid, or ``now`` is before the open pause.
            OutsideCalendar: If the walk leaves the calendar's holiday years.
        """
        check_instance(calendar, BusinessCalendar, what=f"calendar of {self}")
        moment = check_aware(now, what=f"'now' asked of {self}")
        return self._due(calendar, self._closed(moment))

    def is_breached(self, calendar: BusinessCalendar, now: datetime) -> bool:
        """Return whether the clock ran past its due date by ``now``.

        A clock paused before its due date is not breached however long the pause lasts; one
        paused after it stays breached.

        Raises:
            ValidationError: If an argument is invalid, or ``now`` is before the open pause.
        """
        moment = check_aware(now, what=f"'now' asked of {self}")
        return self.due_if_resumed(calendar, moment) < moment

    def remaining(self, calendar: BusinessCalendar, now: datetime) -> timedelta:
        """Return the business time left before the due date (negative once overdue).

        While paused it does not change as ``now`` moves on; before the start it is the whole
        window's business time. O(d · s + p).

        Raises:
            ValidationError: If an argument is invalid, or ``now`` is before the open pause
                or more than `MAX_SPAN` from the start.
        """
        moment = max(check_aware(now, what=f"'now' asked of {self}"), self.started)
        due = self.due_if_resumed(calendar, moment)
        # Business time not on hold between now and the due date: while paused, the due
        # date moves on with now and this stays put.
        return calendar.business_hours_between(moment, due) - self._held_between(
            calendar, self._closed(moment), moment, due
        )

    # ------------------------------------------------------------- internals

    def _closed(self, now: datetime | None) -> list[tuple[datetime, datetime]]:
        """The ledger as closed spans, an open pause closed at ``now``."""
        spans = [(p.started, p.ended) for p in self.pauses if p.ended is not None]
        if self.is_paused:
            last = self.pauses[-1]
            if now is None:
                raise ValidationError(
                    f"{self} is paused ({last.reason!r} since {last.started.isoformat()}); "
                    "give now= to count the open pause"
                )
            moment = check_aware(now, what=f"'now' asked of {self}")
            if moment < last.started:
                raise ValidationError(
                    f"{self}: now={moment.isoformat()} is before its open pause began at "
                    f"{last.started.isoformat()}; give a later instant"
                )
            spans.append((last.started, moment))
        return spans

    def _owed(
        self, calendar: BusinessCalendar, spans: list[tuple[datetime, datetime]]
    ) -> tuple[datetime, timedelta]:
        return _memo_owed(self, calendar, spans)

    @staticmethod
    def _held_between(
        calendar: BusinessCalendar,
        spans: Sequence[tuple[datetime, datetime]],
        lo: datetime,
        hi: datetime,
    ) -> timedelta:
        if hi <= lo:
            return -SlaClock._held_between(calendar, spans, hi, lo) if hi < lo else _ZERO
        total = _ZERO
        for begun, ended in spans:
            a, b = max(begun, lo), min(ended, hi)
            if b > a:
                total += calendar.business_hours_between(a, b)
        return total

    def _due(self, calendar: BusinessCalendar, spans: list[tuple[datetime, datetime]]) -> datetime:
        base, owed = self._owed(calendar, spans)
        if owed <= _ZERO:
            return base
        return _add_unpaused(calendar, base, owed, [s for s in spans if s[1] > base], self)


_Memo = tuple[BusinessCalendar, datetime, int, "Pause | None", timedelta]
"""``(calendar, D0, closed pauses counted, the last of them, business time they hold before
D0)``: replaced whole, never changed in place, so clocks shared between threads only ever
lose an update, never read half of one."""


def _memo_owed(
    clock: SlaClock, calendar: BusinessCalendar, spans: list[tuple[datetime, datetime]]
) -> tuple[datetime, timedelta]:
    """``D0`` and the business time ``spans`` hold within ``[started, D0]``.

    Remembered per calendar and shared by the clocks derived from one another, so a clock
    that pauses and resumes many times counts each closed pause once: O(new pauses) rather
    than O(p) business-time walks. ``spans`` are the ledger's closed pauses, in order,
    possibly followed by the open one closed at some instant (never remembered).
    """
    memos = clock._memo
    memo = memos.get(id(calendar))
    if memo is None or memo[0] is not calendar:
        memo = (calendar, clock.policy.window.due(clock.started, calendar), 0, None, _ZERO)
    _, base, counted, last, held = memo
    pauses = clock.pauses
    closed = len(pauses) if not pauses or pauses[-1].ended is not None else len(pauses) - 1
    if counted > closed or (counted and pauses[counted - 1] is not last):
        # a ledger that is not this one's prefix (a sibling clock's): count from the start
        counted, last, held = 0, None, _ZERO
    if counted < closed:
        held += SlaClock._held_between(calendar, spans[counted:closed], clock.started, base)
        counted, last = closed, pauses[closed - 1]
    if memo[2:] != (counted, last, held) or memos.get(id(calendar)) is not memo:
        memos[id(calendar)] = (calendar, base, counted, last, held)
    owed = held
    if len(spans) > closed:  # the open pause, closed at an instant: counted, not kept
        owed += SlaClock._held_between(calendar, spans[closed:], clock.started, base)
    return base, owed


def _add_unpaused(
    calendar: BusinessCalendar,
    start: datetime,
    owed: timedelta,
    spans: list[tuple[datetime, datetime]],
    clock: SlaClock,
) -> datetime:
    """The instant ``owed`` (> 0) business time not inside ``spans`` has passed after ``start``."""
    day = first = calendar.local_date(start)
    j = 0
    while True:
        for opens, hi in calendar.working_intervals(day):
            lo = max(opens, start)
            while lo < hi:
                while j < len(spans) and spans[j][1] <= lo:
                    j += 1
                # The free stretch from lo: up to the next pause's start (or the shift's end).
                free_end = hi if j == len(spans) else min(hi, max(spans[j][0], lo))
                if free_end > lo:
                    if owed <= free_end - lo:
                        return lo + owed
                    owed -= free_end - lo
                    lo = free_end
                else:  # lo is inside pause j: skip to its end
                    lo = min(hi, spans[j][1])
        day += _DAY
        if day - first > MAX_SPAN:
            raise ValidationError(
                f"{clock}: the due date is more than {MAX_SPAN.days} days after "
                f"{start.isoformat()}; its pauses cover too much"
            )
