"""The caseload: SLA policies run against client events, feeding per-worker worklists.

[`Caseload`][] is the entry point. Assign clients to workers, record what happens to them
([`Caseload.record`][], or [`Caseload.log_outreach`][] for calls), read a worker's list
([`Caseload.worklist`][]), and check for breaches ([`Caseload.check_breaches`][]), which
raises priorities and publishes [`Escalation`][] s.

Every operation is atomic: it computes every change first and applies them only if all are
valid, so a refused event leaves worklists, the outreach log and assignments as they were.

Complexity (``p`` policies the event kind may start, ``i`` open items of the client, ``n``
items of a worker, ``N`` open items, ``m`` calls logged for the worker): ``record``
O(p + i (log n + log N)); ``log_outreach`` the same plus O(log m); ``assign``
O(i (log n + log N)); ``check_breaches`` O((k + 1) log N) for ``k`` new breaches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta

import attrs

from casekit.checks import (
    attrs_check,
    check_aware,
    check_callable,
    check_enum,
    check_free_text,
    check_id,
    check_instance,
    check_int,
    check_optional_id,
)
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import NotFound, ValidationError
from casekit.worklists.calendar import BusinessCalendar
from casekit.worklists.calendars import CalendarRegistry, CaseParties
from casekit.worklists.defaults import DEFAULT_POLICIES
from casekit.worklists.escalation import Escalation, EscalationBus, Subscriber
from casekit.worklists.outreach import ATTEMPT, CONTACT, ContactRecord, Outcome, OutreachLog
from casekit.worklists.sla import PRIOR_OUTREACH_FLAG, PolicySet, SlaEvent, SlaPolicy
from casekit.worklists.worklist import OverdueItem, WorkItem, Worklists

__all__ = ["Caseload", "Changes", "WorklistView"]

logger = logging.getLogger(__name__)

_OUTREACH_KINDS = frozenset({ATTEMPT, CONTACT})


def _items(value: Iterable[WorkItem]) -> tuple[WorkItem, ...]:
    if type(value) is tuple and all(type(i) is WorkItem for i in value):
        return value  # the common case, checked in one pass
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(f"changes must be a collection of work items, got {value!r:.80}")
    return tuple(check_instance(i, WorkItem, what="a changed work item") for i in value)


@attrs.frozen
class Changes:
    """What one event did to the client's clocks."""

    started: tuple[WorkItem, ...] = attrs.field(default=(), converter=_items)
    renewed: tuple[WorkItem, ...] = attrs.field(default=(), converter=_items)
    satisfied: tuple[WorkItem, ...] = attrs.field(default=(), converter=_items)
    stopped: tuple[WorkItem, ...] = attrs.field(default=(), converter=_items)

    def __bool__(self) -> bool:
        return bool(self.started or self.renewed or self.satisfied or self.stopped)


def _now(value: datetime) -> datetime:
    return check_aware(value, what="the now of a worklist view")


@attrs.frozen
class WorklistView:
    """One worker's worklist as of the caseload clock's now.

    "Today" is the calendar-local day of now; views exclude nothing but what they say.
    """

    worklists: Worklists = attrs.field(validator=attrs_check(check_instance, kind=Worklists))
    worker_id: str = attrs.field(validator=attrs_check(check_id))
    calendar: BusinessCalendar = attrs.field(
        validator=attrs_check(check_instance, kind=BusinessCalendar)
    )
    now: datetime = attrs.field(converter=_now)

    def _end_of_today(self) -> datetime:
        local = self.now.astimezone(self.calendar.tz)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
        return midnight.replace(tzinfo=self.calendar.tz).astimezone(self.now.tzinfo)

    def ordered(self) -> list[WorkItem]:
        """Every item: category, then due time, then age."""
        return list(self.worklists.ordered(self.worker_id))

    def oldest_first(self) -> list[WorkItem]:
        """Every item, from the longest open to the newest."""
        return list(self.worklists.oldest_first(self.worker_id))

    def overdue(self) -> list[OverdueItem]:
        """Items past due, with how long overdue; category, then most overdue first."""
        return self.worklists.overdue(self.worker_id, self.now)

    def due_today(self) -> list[WorkItem]:
        """Items not yet overdue and due before the end of today (local), in order."""
        return list(self.worklists.due_between(self.worker_id, self.now, self._end_of_today()))

    def upcoming(self, days: int = 7) -> list[WorkItem]:
        """Items due after today and within ``days`` more days, in order.

        Raises:
            ValidationError: If ``days`` is not an integer from 0 to 3650.
        """
        days = check_int(days, what="upcoming days", minimum=0, maximum=3650)
        start = self._end_of_today()
        return list(self.worklists.due_between(self.worker_id, start, start + timedelta(days=days)))

    def __iter__(self) -> Iterator[WorkItem]:
        return iter(self.ordered())

    def __len__(self) -> int:
        return sum(1 for _ in self.worklists.oldest_first(self.worker_id))


class Caseload:
    """Clients assigned to workers, SLA clocks, worklists, the outreach log and escalation.

    Not thread-safe: serialise calls (one caseload per process, or a lock around it).

    Args:
        calendar: The business calendar due windows and "today" use.
        clock: The source of now; defaults to the system clock.
        policies: The SLA policies; defaults to the job aid's
            (`DEFAULT_POLICIES`).
        calendars: The calendars of teams, workers and clients (claimants); when given,
            each policy's due dates run on the calendar its ``calendar_of`` names, for the
            client's team, worker or the client (see [`Caseload.calendar_for`][]).
            ``None``: every due date runs on ``calendar``.

    Raises:
        ValidationError: If ``calendar`` is not a [`BusinessCalendar`][], ``clock`` has no
            ``now()``, ``policies`` is not a [`PolicySet`][] or ``calendars`` not a
            [`CalendarRegistry`][].
    """

    def __init__(
        self,
        *,
        calendar: BusinessCalendar,
        clock: Clock = SYSTEM_CLOCK,
        policies: PolicySet = DEFAULT_POLICIES,
        calendars: CalendarRegistry | None = None,
    ) -> None:
        check_instance(calendar, BusinessCalendar, what="a caseload's calendar")
        if calendars is not None:
            check_instance(calendars, CalendarRegistry, what="a caseload's calendars")
        if not callable(getattr(clock, "now", None)):
            raise ValidationError(f"a caseload's clock must have now(), got {clock!r:.80}")
        check_instance(policies, PolicySet, what="a caseload's policies")
        self.calendar = calendar
        self.clock = clock
        self.policies = policies
        self.calendars = calendars
        self.worklists = Worklists()
        self.log = OutreachLog()
        self._workers: dict[str, str] = {}
        self._teams: dict[str, str] = {}
        self._outreached: set[str] = set()
        self._bus = EscalationBus()

    # --------------------------------------------------------- assignment

    def assign(self, client_id: str, worker_id: str, *, team: str | None = None) -> None:
        """Put a client on a worker's caseload, moving the client's open items with them.

        Items moved keep their due dates (set on the calendar of when they started).

        Args:
            client_id: The client.
            worker_id: The worker.
            team: The team whose calendar the client's team-calendar policies use;
                ``None`` keeps the one given before (if any).

        Raises:
            ValidationError: If an id is not a usable id.
        """
        client_id = check_id(client_id, what="client id to assign")
        worker_id = check_id(worker_id, what=f"worker id to assign {client_id} to")
        team = check_optional_id(team, what=f"team of {client_id}")
        self._workers[client_id] = worker_id
        if team is not None:
            self._teams[client_id] = team
        for item in self.worklists.for_client(client_id):
            if item.worker_id != worker_id:
                self.worklists.replace(item.changed(worker_id=worker_id))

    def worker_of(self, client_id: str) -> str:
        """Return the worker the client is assigned to.

        Raises:
            ValidationError: If ``client_id`` is not an id.
            NotFound: If the client is on no caseload.
        """
        check_id(client_id, what="client id")
        return self._worker(client_id)

    def _worker(self, client_id: str) -> str:
        try:
            return self._workers[client_id]
        except KeyError:
            raise NotFound(
                f"client {client_id} is on no caseload; call assign({client_id!r}, worker) first"
            ) from None

    def calendar_for(self, policy: SlaPolicy, client_id: str) -> BusinessCalendar:
        """Return the calendar ``policy``'s due dates run on for ``client_id``. O(1).

        Without ``calendars`` that is the caseload's calendar; with them, the calendar of
        the client's team, worker or the client (as claimant) that ``policy.calendar_of``
        names, or the registry's default for a party without one.

        Raises:
            ValidationError: If ``policy`` is not an [`SlaPolicy`][] or ``client_id`` not
                an id.
            NotFound: If the client is on no caseload.
        """
        check_instance(policy, SlaPolicy, what="the policy whose calendar is asked")
        check_id(client_id, what="client id")
        return self._calendar_for(policy, client_id, self._worker(client_id))

    def _calendar_for(self, policy: SlaPolicy, client_id: str, worker: str) -> BusinessCalendar:
        if self.calendars is None:
            return self.calendar
        parties = CaseParties(team=self._teams.get(client_id), worker=worker, claimant=client_id)
        return self.calendars.for_policy(policy, parties)

    @property
    def clients(self) -> int:
        """How many clients are assigned."""
        return len(self._workers)

    # ------------------------------------------------------------- events

    def record(self, event: SlaEvent) -> Changes:
        """Apply an event to the client's clocks: satisfy, renew, stop, then start.

        A running clock is satisfied, renewed or stopped by the kinds its policy names; a
        satisfied policy's ``then`` starts; a policy whose trigger matches starts unless its
        clock is already running (the earlier due date stands).

        Raises:
            NotFound: If the client is not assigned to a worker.
            ValidationError: If ``event`` is not an [`SlaEvent`][],
                or a starting policy needs a reference date the event lacks.
            OutsideCalendar: If a due date falls outside the calendar's holiday years.
        """
        check_instance(event, SlaEvent, what="the event a caseload records")
        return self._apply(event, self._plan(event))

    def _apply(self, event: SlaEvent, changes: Changes) -> Changes:
        """Apply planned changes (nothing here can fail on valid state)."""
        # Everything is computed: apply (nothing below can fail on valid state).
        for item in (*changes.satisfied, *changes.stopped):
            self.worklists.remove(item.key)
        for item in changes.renewed:
            self.worklists.replace(item)
        for item in changes.started:
            self.worklists.add(item)
        if event.kind in _OUTREACH_KINDS:
            self._outreached.add(event.client_id)
        return changes

    def _plan(self, event: SlaEvent) -> Changes:
        """Compute what ``event`` does, changing nothing."""
        worker = self._worker(event.client_id)  # the event checked its client id
        prior = event.client_id in self._outreached or PRIOR_OUTREACH_FLAG in event.flags
        running = self.worklists.open_for(event.client_id)
        renewed: list[WorkItem] = []
        satisfied: list[WorkItem] = []
        stopped: list[WorkItem] = []
        to_start = [
            policy
            for policy in self.policies._starters.get(event.kind, ())
            if policy.name not in running and policy._starts(event.kind, prior_outreach=prior)
        ]
        for item in running.values():
            policy = item.policy
            if event.kind in policy.satisfied_by:
                satisfied.append(item)
                if policy.then is not None:
                    to_start.append(self.policies[policy.then])
            elif event.kind in policy.renewed_by:
                renewed.append(
                    item.changed(
                        opened_at=event.at,
                        due=policy.due(event, self._calendar_for(policy, event.client_id, worker)),
                        priority=event.item_priority(policy.category),
                        breached_at=None,
                    )
                )
            elif event.kind in policy.stopped_by:
                stopped.append(item)
        closed = {i.policy.name for i in (*satisfied, *stopped)}
        started: dict[str, WorkItem] = {}
        for policy in to_start:
            still_running = policy.name in running and policy.name not in closed
            if still_running or policy.name in started:
                continue
            # Every value is checked already (the event, the policy set, assign, the
            # calendar's UTC arithmetic): build without checking them again.
            started[policy.name] = WorkItem._trusted(
                event.client_id,
                event.case_id or event.client_id,
                policy,
                worker,
                event.at,
                policy.due(event, self._calendar_for(policy, event.client_id, worker)),
                event.item_priority(policy.category),
                None,
            )
        return Changes(tuple(started.values()), tuple(renewed), tuple(satisfied), tuple(stopped))

    def log_outreach(
        self,
        client_id: str,
        outcome: Outcome | str,
        *,
        at: datetime | None = None,
        worker_id: str | None = None,
        case_id: str | None = None,
        note: str = "",
    ) -> Changes:
        """Log an outreach call and apply it as a contact or attempt event.

        Args:
            client_id: The client called.
            outcome: How the call ended ([`Outcome`][]).
            at: When; defaults to the clock's now.
            worker_id: Who called; defaults to the client's worker.
            case_id: The case it was about.
            note: Free text.

        Returns:
            What the call did to the client's clocks.

        Raises:
            NotFound: If the client is on no caseload.
            ValidationError: On an unknown outcome, a time that is not an aware datetime, an
                id that is not an id or a note that is not a string. Nothing changes: the
                call is planned in full before the clocks or the log are touched.
        """
        client_id = check_id(client_id, what="client id called")
        result = check_enum(outcome, Outcome, what=f"outcome of the call to {client_id}")
        when = check_aware(at, what=f"time of the call to {client_id}") if at is not None else None
        caller = check_optional_id(worker_id, what=f"worker who called {client_id}")
        case_id = check_optional_id(case_id, what=f"case of the call to {client_id}")
        note = check_free_text(note, what=f"note on the call to {client_id}")
        assigned = self.worker_of(client_id)
        record = ContactRecord(
            client_id=client_id,
            worker_id=caller or assigned,
            at=when if when is not None else self.clock.now(),
            outcome=result,
            case_id=case_id,
            note=note,
        )
        event = SlaEvent(result.event_kind, client_id, record.at, case_id=case_id)
        changes = self._apply(event, self._plan(event))
        self.log.record(record)
        return changes

    # ------------------------------------------------------------- reading

    def worklist(self, worker_id: str) -> WorklistView:
        """Return the worker's worklist as of now (ordered, due today, upcoming, overdue).

        Raises:
            ValidationError: If ``worker_id`` is not an id.
        """
        check_id(worker_id, what="worker id")
        return WorklistView(self.worklists, worker_id, self.calendar, self.clock.now())

    def next_outreach(self, client_id: str) -> datetime | None:
        """Return the earliest due date among the client's open outreach clocks, or ``None``.

        Raises:
            ValidationError: If ``client_id`` is not an id.
        """
        check_id(client_id, what="client id")
        dues = [i.due for i in self.worklists.for_client(client_id) if i.policy.outreach]
        return min(dues, default=None)

    # ---------------------------------------------------------- escalation

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Receive every [`Escalation`][]; returns a function that unsubscribes.

        Raises:
            ValidationError: If ``callback`` is not callable.
        """
        check_callable(callback, what="an escalation subscriber")
        return self._bus.subscribe(callback)

    def check_breaches(self) -> tuple[Escalation, ...]:
        """Mark items now past due as breached, raise their priority and publish escalations.

        Each breach is reported once; renewing the clock clears it. Call it as often as
        breaches should be noticed (each morning, every few minutes). O(k log N).
        """
        now = self.clock.now()
        escalations: list[Escalation] = []
        for item in self.worklists.breached(now):
            raised = item.category.breached_priority(item.priority)
            self.worklists.replace(item.changed(priority=raised, breached_at=now))
            escalations.append(
                Escalation(
                    case_id=item.case_id,
                    client_id=item.client_id,
                    worker_id=item.worker_id,
                    policy=item.policy.name,
                    category=item.category.name,
                    due=item.due,
                    breached_at=now,
                    priority=raised,
                    previous_priority=item.priority,
                )
            )
        for escalation in escalations:
            logger.info(
                "SLA %s breached for client %s (due %s); priority %s -> %s",
                escalation.policy,
                escalation.client_id,
                escalation.due.isoformat(),
                escalation.previous_priority,
                escalation.priority,
            )
            self._bus.publish(escalation)
        return tuple(escalations)
