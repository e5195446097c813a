"""Absence and delegation: who is away, whose work goes where, and chains that never loop.

An [`AbsenceBook`][] holds [`Absence`][] windows (planned leave, sickness) and each agent's
standing delegation (to another agent or to a queue). It answers:

* ``is_absent(agent, at)`` and ``absent_at(now)`` (the set the router leaves out of offers);
* ``resolve(agent, now)``: where work meant for ``agent`` goes now, following the chain of
  redirects past delegates who are away themselves, as a [`Delegate`][].

A delegation that would close a loop (``A -> B -> A``, or an agent delegating to itself) is
refused when declared with [`DelegationCycle`][], which names the loop; so resolution always
ends.

What happens to an absent agent's own tasks and pinned work is data, an [`AbsenceRule`][]
(keep, redirect, return to queue per kind of work), and [`place_work`][] is the pure function
that says where each item goes.

Complexity (``a`` absences of one agent, ``A`` absences in the book, ``c`` the chain's
length, ``N`` agents with delegations): ``is_absent`` O(a); ``absent_at`` O(A);
``resolve`` O(c · a); ``with_delegation`` O(N) (the cycle check walks one chain);
``place_work`` O(items · c · a).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

from casekit.checks import attrs_check, check_aware, check_enum, check_id, check_instance
from casekit.errors import DelegationCycle, ValidationError

__all__ = [
    "Absence",
    "AbsenceBook",
    "AbsenceKind",
    "AbsenceRule",
    "Delegate",
    "DelegateKind",
    "Disposition",
    "HeldWork",
    "Placement",
    "WorkKind",
    "place_work",
]


class AbsenceKind(enum.StrEnum):
    """Why an agent is away."""

    PLANNED_LEAVE = "planned leave"
    SICK = "sick"
    OTHER = "other"


def _kind(value: AbsenceKind | str) -> AbsenceKind:
    return check_enum(value, AbsenceKind, what="absence kind")


def _absence_start(value: datetime) -> datetime:
    return check_aware(value, what="absence start")


def _absence_end(value: datetime) -> datetime:
    return check_aware(value, what="absence end")


@attrs.frozen
class Absence:
    """An agent away from ``starts`` (inclusive) to ``ends`` (exclusive).

    Args:
        agent: The agent's id.
        starts: When the absence begins (aware; stored in UTC).
        ends: When the agent is back; after ``starts``.
        kind: The [`AbsenceKind`][].

    Raises:
        ValidationError: On a bad id or instant, or ``ends <= starts``.
    """

    agent: str = attrs.field(validator=attrs_check(check_id))
    starts: datetime = attrs.field(converter=_absence_start)
    ends: datetime = attrs.field(converter=_absence_end)
    kind: AbsenceKind = attrs.field(default=AbsenceKind.PLANNED_LEAVE, converter=_kind)

    def __attrs_post_init__(self) -> None:
        if self.ends <= self.starts:
            raise ValidationError(
                f"{self.kind.value} absence of {self.agent} from {self.starts.isoformat()} "
                f"cannot end at {self.ends.isoformat()}; give an end after its start"
            )

    def covers(self, at: datetime) -> bool:
        """Return whether the agent is away at ``at``. O(1).

        Raises:
            ValidationError: If ``at`` is not an aware datetime.
        """
        moment = check_aware(at, what=f"instant asked of {self.agent}'s absence")
        return self.starts <= moment < self.ends


class DelegateKind(enum.StrEnum):
    """Where redirected work goes."""

    AGENT = "agent"
    """To a named agent."""
    QUEUE = "queue"
    """To a named queue."""
    RETURN_TO_QUEUE = "return to queue"
    """Back to the queue each item came from (no one to redirect it to)."""


def _delegate_kind(value: DelegateKind | str) -> DelegateKind:
    return check_enum(value, DelegateKind, what="delegate kind")


@attrs.frozen
class Delegate:
    """A destination for work: an agent, a queue, or back to each item's own queue.

    Build one with [`Delegate.agent`][], [`Delegate.queue`][] or
    [`Delegate.return_to_queue`][].

    Raises:
        ValidationError: If an agent or queue has no id, or ``RETURN_TO_QUEUE`` has one.
    """

    kind: DelegateKind = attrs.field(converter=_delegate_kind)
    id: str | None = attrs.field(default=None)

    def __attrs_post_init__(self) -> None:
        if self.kind is DelegateKind.RETURN_TO_QUEUE:
            if self.id is not None:
                raise ValidationError(
                    f"a 'return to queue' delegate names no id, got {self.id!r}; use "
                    "Delegate.queue(id) to send work to a named queue"
                )
        else:
            check_id(self.id, what=f"the {self.kind.value} id of a delegate")

    @classmethod
    def agent(cls, agent_id: str) -> Delegate:
        """Work goes to the agent ``agent_id``."""
        return cls(DelegateKind.AGENT, agent_id)

    @classmethod
    def queue(cls, queue_id: str) -> Delegate:
        """Work goes to the queue ``queue_id``."""
        return cls(DelegateKind.QUEUE, queue_id)

    @classmethod
    def return_to_queue(cls) -> Delegate:
        """Work goes back to the queue each item came from."""
        return cls(DelegateKind.RETURN_TO_QUEUE)

    def __str__(self) -> str:
        return self.kind.value if self.id is None else f"{self.kind.value} {self.id}"


def _absences(values: Iterable[Absence]) -> tuple[Absence, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError(f"absences must be a collection of Absence, got {values!r:.80}")
    return tuple(check_instance(a, Absence, what="an absence in an AbsenceBook") for a in values)


def _delegations(values: Mapping[str, Delegate]) -> Mapping[str, Delegate]:
    if not isinstance(values, Mapping):
        raise ValidationError(f"delegations must map agent ids to Delegate, got {values!r:.80}")
    return MappingProxyType(
        {
            check_id(agent, what="a delegating agent"): check_instance(
                to, Delegate, what=f"the delegate of {agent!r}"
            )
            for agent, to in values.items()
        }
    )


def _find_cycle(delegations: Mapping[str, Delegate], start: str) -> tuple[str, ...] | None:
    """The loop reached following agent-to-agent delegations from ``start``, if any."""
    path = [start]
    seen = {start: 0}
    current = start
    while (to := delegations.get(current)) is not None and to.kind is DelegateKind.AGENT:
        assert to.id is not None  # an AGENT delegate always has an id
        if to.id in seen:
            return (*path[seen[to.id] :], to.id)
        seen[to.id] = len(path)
        path.append(to.id)
        current = to.id
    return None


@attrs.frozen(eq=False)
class AbsenceBook:
    """Absences and standing delegations; a frozen value (changes return a new book).

    Args:
        absences: The absence windows; an agent's may overlap (away if any covers).
        delegations: Each agent's delegate while away; agent-to-agent chains may not loop.

    Raises:
        ValidationError: On an invalid absence or delegation.
        DelegationCycle: If the delegations contain a loop; the message names it.
    """

    absences: tuple[Absence, ...] = attrs.field(default=(), converter=_absences)
    delegations: Mapping[str, Delegate] = attrs.field(factory=dict, converter=_delegations)
    _by_agent: dict[str, tuple[Absence, ...]] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        for agent in sorted(self.delegations):
            cycle = _find_cycle(self.delegations, agent)
            if cycle is not None:
                raise DelegationCycle(
                    f"delegations loop: {' -> '.join(cycle)}; work redirected along it would "
                    "never land. Delegate one of them to someone outside the loop or a queue",
                    cycle=cycle,
                )
        by_agent: dict[str, list[Absence]] = {}
        for absence in self.absences:
            by_agent.setdefault(absence.agent, []).append(absence)
        object.__setattr__(self, "_by_agent", {a: tuple(v) for a, v in by_agent.items()})

    # ------------------------------------------------------------- changes

    def with_absence(self, absence: Absence) -> AbsenceBook:
        """Return a book with ``absence`` added. O(A).

        Raises:
            ValidationError: If ``absence`` is not an [`Absence`][].
        """
        check_instance(absence, Absence, what="an absence to record")
        return attrs.evolve(self, absences=(*self.absences, absence))

    def without_absence(self, absence: Absence) -> AbsenceBook:
        """Return a book with ``absence`` cancelled. O(A).

        Raises:
            ValidationError: If ``absence`` is not in the book.
        """
        check_instance(absence, Absence, what="an absence to cancel")
        if absence not in self.absences:
            raise ValidationError(
                f"{absence.agent} has no {absence.kind.value} absence from "
                f"{absence.starts.isoformat()} to {absence.ends.isoformat()} to cancel; "
                f"they have {len(self._by_agent.get(absence.agent, ()))} recorded"
            )
        rest = list(self.absences)
        rest.remove(absence)
        return attrs.evolve(self, absences=rest)

    def with_delegation(self, agent: str, to: Delegate) -> AbsenceBook:
        """Return a book where ``agent``'s work goes to ``to`` while they are away. O(N).

        Replaces the agent's previous delegation.

        Raises:
            ValidationError: On a bad id or delegate.
            DelegationCycle: If it would close a loop (including delegating to oneself).
        """
        check_id(agent, what="a delegating agent")
        check_instance(to, Delegate, what=f"the delegate of {agent!r}")
        return attrs.evolve(self, delegations={**self.delegations, agent: to})

    def without_delegation(self, agent: str) -> AbsenceBook:
        """Return a book where ``agent`` delegates to no one (their work returns to queue).

        Raises:
            ValidationError: If ``agent`` has no delegation.
        """
        check_id(agent, what="a delegating agent")
        if agent not in self.delegations:
            raise ValidationError(f"{agent} has no delegation to remove")
        return attrs.evolve(
            self, delegations={a: d for a, d in self.delegations.items() if a != agent}
        )

    # ------------------------------------------------------------- queries

    def is_absent(self, agent: str, at: datetime) -> bool:
        """Return whether ``agent`` is away at ``at``. O(a).

        Raises:
            ValidationError: On a bad id or a naive instant.
        """
        check_id(agent, what="an agent asked about")
        moment = check_aware(at, what=f"instant asked of {agent}'s absence")
        return any(a.starts <= moment < a.ends for a in self._by_agent.get(agent, ()))

    def absent_at(self, now: datetime) -> frozenset[str]:
        """Return every agent away at ``now`` (the router leaves them out of offers). O(A).

        Raises:
            ValidationError: If ``now`` is not an aware datetime.
        """
        moment = check_aware(now, what="instant asked of an absence book")
        return frozenset(a.agent for a in self.absences if a.starts <= moment < a.ends)

    def resolve(self, agent: str, now: datetime) -> Delegate:
        """Return where work for ``agent`` goes at ``now``. O(c · a).

        The agent themselves if present; otherwise their delegate, following redirects past
        delegates who are away too; a queue ends the chain; an absent agent with no
        delegation ends it with [`Delegate.return_to_queue`][].

        Raises:
            ValidationError: On a bad id or a naive instant.
        """
        current = check_id(agent, what="an agent to resolve")
        moment = check_aware(now, what=f"instant {agent} is resolved at")
        while self.is_absent(current, moment):
            to = self.delegations.get(current)
            if to is None:
                return Delegate.return_to_queue()
            if to.kind is not DelegateKind.AGENT:
                return to
            assert to.id is not None  # an AGENT delegate always has an id
            current = to.id  # ends: the chains were checked for loops when declared
        return Delegate.agent(current)


class WorkKind(enum.StrEnum):
    """The kinds of work an absence rule treats apart."""

    TASK = "task"
    """A task assigned to the agent (a kickback, an appeals review)."""
    PINNED = "pinned"
    """Work pinned to the agent (a case they own, an item routed to them only)."""


class Disposition(enum.StrEnum):
    """What happens to an absent agent's work."""

    KEEP = "keep"
    """It waits for them."""
    REDIRECT = "redirect"
    """It follows their delegation ([`AbsenceBook.resolve`][])."""
    RETURN_TO_QUEUE = "return to queue"
    """It goes back to the queue it came from."""


def _disposition(value: Disposition | str) -> Disposition:
    return check_enum(value, Disposition, what="absence rule disposition")


@attrs.frozen
class AbsenceRule:
    """What happens to an absent agent's work, per kind of work.

    Args:
        tasks: For their tasks; default redirect.
        pinned: For work pinned to them; default keep.
    """

    tasks: Disposition = attrs.field(default=Disposition.REDIRECT, converter=_disposition)
    pinned: Disposition = attrs.field(default=Disposition.KEEP, converter=_disposition)

    def for_kind(self, kind: WorkKind | str) -> Disposition:
        """Return the disposition of one kind of work.

        Raises:
            ValidationError: If ``kind`` is not a [`WorkKind`][].
        """
        work = check_enum(kind, WorkKind, what="kind of work")
        return self.tasks if work is WorkKind.TASK else self.pinned


def _work_kind(value: WorkKind | str) -> WorkKind:
    return check_enum(value, WorkKind, what="kind of held work")


@attrs.frozen
class HeldWork:
    """An item an agent holds.

    Args:
        item_id: The item (task or case) id.
        holder: The agent holding it.
        kind: A [`WorkKind`][].
        queue: The queue it came from (where "return to queue" sends it).
    """

    item_id: str = attrs.field(validator=attrs_check(check_id))
    holder: str = attrs.field(validator=attrs_check(check_id))
    kind: WorkKind = attrs.field(converter=_work_kind)
    queue: str = attrs.field(validator=attrs_check(check_id))


@attrs.frozen
class Placement:
    """Where one held item goes: an agent or a queue (never "return to queue" unresolved).

    Args:
        item_id: The item.
        destination: An ``AGENT`` or ``QUEUE`` [`Delegate`][].
        moved: Whether it leaves its holder.
        reason: Why, in words.
    """

    item_id: str
    destination: Delegate
    moved: bool
    reason: str


def place_work(
    items: Iterable[HeldWork], book: AbsenceBook, rule: AbsenceRule, now: datetime
) -> tuple[Placement, ...]:
    """Say where each held item goes at ``now``; pure: nothing is changed. O(items · c · a).

    Items of present holders stay. An absent holder's items follow ``rule``: kept, sent
    along the holder's delegation (an unresolved chain returns the item to its queue), or
    returned to their queue.

    Args:
        items: The held work.
        book: Absences and delegations.
        rule: The [`AbsenceRule`][].
        now: The instant to decide at (from the injected clock).

    Returns:
        One [`Placement`][] per item, in the order given.

    Raises:
        ValidationError: On an argument of the wrong type or a naive ``now``.
    """
    if isinstance(items, str) or not isinstance(items, Iterable):
        raise ValidationError(f"items must be a collection of HeldWork, got {items!r:.80}")
    held = tuple(check_instance(i, HeldWork, what="an item to place") for i in items)
    check_instance(book, AbsenceBook, what="the absence book")
    check_instance(rule, AbsenceRule, what="the absence rule")
    moment = check_aware(now, what="instant work is placed at")
    placements = []
    for item in held:
        holder = Delegate.agent(item.holder)
        if not book.is_absent(item.holder, moment):
            placements.append(Placement(item.item_id, holder, False, "holder present"))
            continue
        disposition = rule.for_kind(item.kind)
        away = f"{item.holder} absent; {item.kind.value}s {disposition.value}"
        if disposition is Disposition.KEEP:
            placements.append(Placement(item.item_id, holder, False, away))
            continue
        to = Delegate.return_to_queue()
        if disposition is Disposition.REDIRECT:
            to = book.resolve(item.holder, moment)
        if to.kind is DelegateKind.RETURN_TO_QUEUE:
            to = Delegate.queue(item.queue)
        placements.append(Placement(item.item_id, to, True, f"{away} -> {to}"))
    return tuple(placements)
