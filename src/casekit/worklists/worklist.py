"""Per-worker worklists, kept in order incrementally.

A [`WorkItem`][] is one running SLA clock: a client, a policy, a due instant (``None``
while its [`SlaClock`][] is paused: a paused item has no due date). A
[`Worklists`][] store holds every open item and, per worker, one sorted list per category
(keyed by due time, then age) plus an oldest-to-newest index, so a change to one item costs
O(log n) instead of a re-sort of the worker's list.

Order of a worklist: category rank, then due time (earliest first; paused items, with no
due time, after every dated item of their category), then age (opened earliest first), then
client id and policy name (a stable tie-break). Paused items are never overdue, due in a
range or pending a breach.

Complexity (``n`` items of the worker, ``N`` open items, ``k`` returned, ``C`` categories):

========================================  ====================
operation                                 cost
========================================  ====================
``add`` / ``remove`` / ``replace``        O(log n + log N)
``ordered`` / ``oldest_first``            O(C + k)
``overdue`` / ``due_between``             O(C log n + k)
``breached`` (scan for new breaches)      O(log N + k)
``build`` (from scratch)                  O(N log N)
========================================  ====================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import attrs
from sortedcontainers import SortedList  # type: ignore[import-untyped]  # ships no stubs

from casekit.checks import (
    attrs_check,
    check_aware,
    check_enum,
    check_id,
    check_instance,
    check_timedelta,
)
from casekit.errors import AlreadyExists, NotFound, ValidationError
from casekit.priority import Priority
from casekit.worklists.pauses import Pause, SlaClock
from casekit.worklists.sla import Category, SlaPolicy

__all__ = ["OverdueItem", "WorkItem", "Worklists"]

ItemKey = tuple[str, str]
"""``(client_id, policy name)``: at most one open clock per client and policy."""


class _Keep:
    """Sentinel type: leave the field as it is."""


_KEEP = _Keep()


def _instant(value: datetime) -> datetime:
    return check_aware(value, what="work item time")


def _optional_instant(value: datetime | None) -> datetime | None:
    return None if value is None else check_aware(value, what="work item breached_at")


def _due(value: datetime | None) -> datetime | None:
    return None if value is None else check_aware(value, what="work item due")


def _clock(value: SlaClock | None) -> SlaClock | None:
    return None if value is None else check_instance(value, SlaClock, what="work item clock")


def _priority(value: Priority | str) -> Priority:
    return check_enum(value, Priority, what="work item priority")


def _key(key: object) -> ItemKey:
    if not isinstance(key, tuple) or len(key) != 2:
        raise ValidationError(f"a work item key is (client id, policy name), got {key!r:.80}")
    return (
        check_id(key[0], what="client id of a work item key"),
        check_id(key[1], what="policy name of a work item key"),
    )


@attrs.frozen
class WorkItem:
    """One running SLA clock on a worker's worklist.

    Args:
        client_id: The client.
        case_id: The case it belongs to (the id escalations name).
        policy: The [`SlaPolicy`][] whose clock this is.
        worker_id: The worker whose list it is on.
        opened_at: When this round of the clock started (UTC); the item's age counts from it.
        due: When it falls due (UTC); ``None`` exactly while ``clock`` is paused.
        priority: Its current priority (the category's, raised on breach).
        breached_at: When a breach was detected, or ``None``.
        clock: The item's [`SlaClock`][] with its ledger of pauses, when its caseload
            pauses clocks; ``None``: the clock never pauses. Its policy and start are the
            item's, and ``due`` is what it computes on the item's calendar.

    Raises:
        ValidationError: On an invalid argument, a clock whose policy, case or start is not
            the item's, or a ``due`` of ``None`` on an item whose clock runs (or a due date on
            a paused one).
    """

    client_id: str = attrs.field(validator=attrs_check(check_id))
    case_id: str = attrs.field(validator=attrs_check(check_id))
    policy: SlaPolicy = attrs.field(
        repr=lambda p: repr(p.name), validator=attrs_check(check_instance, kind=SlaPolicy)
    )
    worker_id: str = attrs.field(validator=attrs_check(check_id))
    opened_at: datetime = attrs.field(converter=_instant)
    due: datetime | None = attrs.field(converter=_due)
    priority: Priority = attrs.field(converter=_priority)
    breached_at: datetime | None = attrs.field(default=None, converter=_optional_instant)
    clock: SlaClock | None = attrs.field(default=None, converter=_clock, repr=False)

    def __attrs_post_init__(self) -> None:
        _check_clock(self)

    @property
    def is_paused(self) -> bool:
        """Whether the item's clock stands still (it then has no due date). O(1)."""
        return self.due is None

    @property
    def pauses(self) -> tuple[Pause, ...]:
        """The ledger of the item's clock, oldest first (empty without a clock). O(1)."""
        return () if self.clock is None else self.clock.pauses

    @property
    def paused_since(self) -> datetime | None:
        """When the open pause began, or ``None`` while the clock runs. O(1)."""
        return self.clock.pauses[-1].started if self.clock is not None and self.is_paused else None

    @property
    def key(self) -> ItemKey:
        """``(client_id, policy name)``."""
        return (self.client_id, self.policy.name)

    @property
    def category(self) -> Category:
        """The policy's category."""
        return self.policy.category

    @property
    def id(self) -> str:
        """A readable id, ``client/policy``."""
        return f"{self.client_id}/{self.policy.name}"

    def changed(
        self,
        *,
        worker_id: str | None = None,
        opened_at: datetime | None = None,
        due: datetime | _Keep | None = _KEEP,
        priority: Priority | None = None,
        breached_at: datetime | _Keep | None = _KEEP,
        clock: SlaClock | _Keep | None = _KEEP,
        policy: SlaPolicy | None = None,
    ) -> WorkItem:
        """Return a copy with the given fields changed (a faster ``attrs.evolve``).

        Only the new values are checked (and the clock against the item): the others come
        from a valid item. ``due=None`` marks the item paused (its clock must be).

        Raises:
            ValidationError: If a new value is not valid (as the constructor).
        """
        item = WorkItem._trusted(
            self.client_id,
            self.case_id,
            self.policy if policy is None else check_instance(policy, SlaPolicy, what="policy"),
            self.worker_id if worker_id is None else check_id(worker_id, what="worker id"),
            self.opened_at if opened_at is None else _instant(opened_at),
            self.due if isinstance(due, _Keep) else _due(due),
            self.priority if priority is None else _priority(priority),
            (
                self.breached_at
                if isinstance(breached_at, _Keep)
                else _optional_instant(breached_at)
            ),
            self.clock if isinstance(clock, _Keep) else _clock(clock),
        )
        if not (isinstance(due, _Keep) and isinstance(clock, _Keep) and policy is None):
            _check_clock(item)
        return item

    @classmethod
    def _trusted(  # noqa: PLR0917  one argument per field, in field order
        cls,
        client_id: str,
        case_id: str,
        policy: SlaPolicy,
        worker_id: str,
        opened_at: datetime,
        due: datetime | None,
        priority: Priority,
        breached_at: datetime | None,
        clock: SlaClock | None = None,
    ) -> WorkItem:
        """Build an item from values already checked (the caseload's own), skipping checks.

        Every value must be what the constructor would have returned for it: ids checked,
        instants aware and in UTC, a [`Priority`][].
        """
        item = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(item, "client_id", client_id)
        setattr_(item, "case_id", case_id)
        setattr_(item, "policy", policy)
        setattr_(item, "worker_id", worker_id)
        setattr_(item, "opened_at", opened_at)
        setattr_(item, "due", due)
        setattr_(item, "priority", priority)
        setattr_(item, "breached_at", breached_at)
        setattr_(item, "clock", clock)
        return item

    def overdue_by(self, now: datetime) -> timedelta:
        """Return how long past due the item is at ``now`` (zero when not yet due or paused).

        Raises:
            ValidationError: If ``now`` is not an aware datetime.
        """
        moment = check_aware(now, what="now")
        if self.due is None:
            return timedelta(0)
        return max(moment - self.due, timedelta(0))

    def age(self, now: datetime) -> timedelta:
        """Return how long the item has been open at ``now``.

        Raises:
            ValidationError: If ``now`` is not an aware datetime.
        """
        return check_aware(now, what="now") - self.opened_at


def _check_clock(item: WorkItem) -> None:
    clock = item.clock
    if clock is None:
        if item.due is None:
            raise ValidationError(
                f"work item {item.id} has due=None but no clock; only an item whose SLA clock "
                "is paused has no due date"
            )
        return
    if clock.policy != item.policy or clock.case_id != item.case_id:
        raise ValidationError(
            f"work item {item.id} (case {item.case_id}) has the clock of policy "
            f"{clock.policy.name!r} on case {clock.case_id}; give its own policy's clock"
        )
    if clock.started != item.opened_at:
        raise ValidationError(
            f"work item {item.id} opened at {item.opened_at.isoformat()} has a clock started "
            f"at {clock.started.isoformat()}; the two must be the same instant"
        )
    if (item.due is None) != clock.is_paused:
        state = "paused" if clock.is_paused else "running"
        raise ValidationError(
            f"work item {item.id} has due={item.due!r} but its clock is {state}; a paused "
            "clock's item has due=None, a running one's a due date"
        )


@attrs.frozen
class OverdueItem:
    """An overdue item and by how long."""

    item: WorkItem = attrs.field(validator=attrs_check(check_instance, kind=WorkItem))
    overdue_by: timedelta = attrs.field(validator=attrs_check(check_timedelta))


# Sort keys hold POSIX timestamps rather than datetimes: float comparisons are several times
# cheaper than aware-datetime ones inside the sorted lists' bisections. A float keeps every
# microsecond distinct (and in order) up to the year 2242; ties fall through to the next field.
_BEGINNING = datetime.min.replace(tzinfo=UTC)
_SortKey = tuple[float, float, str, str]
_AgeKey = tuple[float, str, str]
_DueKey = tuple[float, str, str]


_UNDATED = float("inf")  # a paused item's due key: after every dated item


def _sort_key(item: WorkItem) -> _SortKey:
    due = _UNDATED if item.due is None else item.due.timestamp()
    return (due, item.opened_at.timestamp(), item.client_id, item.policy.name)


def _age_key(item: WorkItem) -> _AgeKey:
    return (item.opened_at.timestamp(), item.client_id, item.policy.name)


def _due_key(item: WorkItem) -> _DueKey:
    due = _UNDATED if item.due is None else item.due.timestamp()
    return (due, item.client_id, item.policy.name)


def _due_text(item: WorkItem) -> str:
    return "paused" if item.due is None else f"due {item.due.isoformat()}"


def _pending(item: WorkItem) -> bool:
    """Whether a breach scan should watch the item: dated and not yet breached."""
    return item.breached_at is None and item.due is not None


@attrs.define
class _WorkerList:
    by_rank: dict[int, SortedList] = attrs.Factory(dict)
    by_age: SortedList = attrs.Factory(SortedList)

    def ranks(self) -> list[int]:
        return sorted(r for r, items in self.by_rank.items() if items)


class Worklists:
    """Every open [`WorkItem`][], indexed per worker, per client and by due time.

    Not thread-safe: guard it with a lock if several threads record events.
    """

    __slots__ = ("_by_client", "_items", "_pending_breach", "_workers")

    def __init__(self) -> None:
        self._items: dict[ItemKey, WorkItem] = {}
        self._by_client: dict[str, dict[str, WorkItem]] = {}
        self._workers: dict[str, _WorkerList] = {}
        # Open, not yet breached items by due time: the breach scan reads its head.
        self._pending_breach: SortedList = SortedList()

    @classmethod
    def build(cls, items: Iterable[WorkItem]) -> Worklists:
        """Build worklists from scratch, sorting each list once. O(N log N).

        Raises:
            ValidationError: If an item is not a [`WorkItem`][].
            AlreadyExists: If two items share a client and policy.
        """
        self = cls()
        per_rank: dict[tuple[str, int], list[_SortKey]] = {}
        per_age: dict[str, list[_AgeKey]] = {}
        pending: list[_DueKey] = []
        for item in items:
            check_instance(item, WorkItem, what="a work item to build worklists from")
            if item.key in self._items:
                raise AlreadyExists(f"work item {item.id} is listed twice")
            self._items[item.key] = item
            self._by_client.setdefault(item.client_id, {})[item.policy.name] = item
            per_rank.setdefault((item.worker_id, item.category.rank), []).append(_sort_key(item))
            per_age.setdefault(item.worker_id, []).append(_age_key(item))
            if _pending(item):
                pending.append(_due_key(item))
        for (worker, rank), keys in per_rank.items():
            self._worker(worker).by_rank[rank] = SortedList(keys)
        for worker, ages in per_age.items():
            self._workers[worker].by_age = SortedList(ages)
        self._pending_breach = SortedList(pending)
        return self

    def _worker(self, worker_id: str) -> _WorkerList:
        lists = self._workers.get(worker_id)
        if lists is None:
            lists = self._workers[worker_id] = _WorkerList()
        return lists

    # ------------------------------------------------------------ updates

    def add(self, item: WorkItem) -> None:
        """Add an open item. O(log n + log N).

        Raises:
            ValidationError: If ``item`` is not a [`WorkItem`][].
            AlreadyExists: If the client already has an open item for that policy.
        """
        check_instance(item, WorkItem, what="a work item to add")
        if item.key in self._items:
            raise AlreadyExists(
                f"client {item.client_id} already has an open {item.policy.name!r} item "
                f"({_due_text(self._items[item.key])}); replace it instead"
            )
        self._insert(item)

    def remove(self, key: ItemKey) -> WorkItem:
        """Remove the open item of ``(client_id, policy name)`` and return it. O(log n + log N).

        Raises:
            ValidationError: If ``key`` is not a (client id, policy name) pair.
            NotFound: If there is no such open item.
        """
        item = self.get(key)
        self._delete(item)
        return item

    def replace(self, item: WorkItem) -> WorkItem:
        """Replace the open item with the same key (new due, worker, priority...). O(log n).

        Returns:
            The item replaced.

        Raises:
            ValidationError: If ``item`` is not a [`WorkItem`][].
            NotFound: If there is no open item with that key.
        """
        check_instance(item, WorkItem, what="a replacement work item")
        old = self.get(item.key)
        self._delete(old)
        self._insert(item)
        return old

    def _insert(self, item: WorkItem) -> None:
        self._items[item.key] = item
        self._by_client.setdefault(item.client_id, {})[item.policy.name] = item
        lists = self._worker(item.worker_id)
        ranked = lists.by_rank.get(item.category.rank)
        if ranked is None:
            ranked = lists.by_rank[item.category.rank] = SortedList()
        ranked.add(_sort_key(item))
        lists.by_age.add(_age_key(item))
        if _pending(item):
            self._pending_breach.add(_due_key(item))

    def _delete(self, item: WorkItem) -> None:
        del self._items[item.key]
        client = self._by_client[item.client_id]
        del client[item.policy.name]
        if not client:
            del self._by_client[item.client_id]
        lists = self._workers[item.worker_id]
        lists.by_rank[item.category.rank].remove(_sort_key(item))
        lists.by_age.remove(_age_key(item))
        if _pending(item):
            self._pending_breach.remove(_due_key(item))

    # ------------------------------------------------------------ queries

    def get(self, key: ItemKey) -> WorkItem:
        """Return the open item of ``(client_id, policy name)``. O(1).

        Raises:
            ValidationError: If ``key`` is not a (client id, policy name) pair.
            NotFound: If there is none.
        """
        key = _key(key)
        try:
            return self._items[key]
        except KeyError:
            open_for_client = self._by_client.get(key[0], {})
            raise NotFound(
                f"client {key[0]} has no open {key[1]!r} item; open: "
                f"{', '.join(sorted(open_for_client)) or 'none'}"
            ) from None

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[WorkItem]:
        return iter(list(self._items.values()))

    def open_for(self, client_id: str) -> dict[str, WorkItem]:
        """Return the client's open items by policy name (a copy). O(m).

        Raises:
            ValidationError: If ``client_id`` is not an id.
        """
        check_id(client_id, what="client id")
        return dict(self._by_client.get(client_id, {}))

    def for_client(self, client_id: str) -> tuple[WorkItem, ...]:
        """Return the client's open items, in worklist order. O(m log m) for m items.

        Raises:
            ValidationError: If ``client_id`` is not an id.
        """
        check_id(client_id, what="client id")
        items = self._by_client.get(client_id, {}).values()
        return tuple(
            sorted(
                items,
                key=lambda i: (
                    i.category.rank,
                    _UNDATED if i.due is None else i.due.timestamp(),
                    i.opened_at,
                    i.client_id,
                    i.policy.name,
                ),
            )
        )

    def workers(self) -> tuple[str, ...]:
        """Return the ids of workers with open items, sorted."""
        return tuple(sorted(w for w, lists in self._workers.items() if lists.by_age))

    def _lookup(self, key: _SortKey | _AgeKey) -> WorkItem:
        return self._items[(key[-2], key[-1])]

    def ordered(self, worker_id: str) -> Iterator[WorkItem]:
        """Yield the worker's items by category, due time, then age. O(C + k).

        Raises:
            ValidationError: If ``worker_id`` is not an id (when iteration starts).
        """
        check_id(worker_id, what="worker id")
        lists = self._workers.get(worker_id)
        if lists is None:
            return
        for rank in lists.ranks():
            for key in lists.by_rank[rank]:
                yield self._lookup(key)

    def oldest_first(self, worker_id: str) -> Iterator[WorkItem]:
        """Yield the worker's items from the longest open to the newest. O(k).

        Raises:
            ValidationError: If ``worker_id`` is not an id (when iteration starts).
        """
        check_id(worker_id, what="worker id")
        lists = self._workers.get(worker_id)
        if lists is None:
            return
        for key in lists.by_age:
            yield self._lookup(key)

    def due_between(self, worker_id: str, start: datetime, end: datetime) -> Iterator[WorkItem]:
        """Yield the worker's items due in ``[start, end)``, in worklist order. O(C log n + k).

        Raises:
            ValidationError: If ``worker_id`` is not an id or a bound not an aware datetime
                (when iteration starts).
        """
        check_id(worker_id, what="worker id")
        check_aware(start, what="start of a due range")
        check_aware(end, what="end of a due range")
        lists = self._workers.get(worker_id)
        if lists is None:
            return
        for rank in lists.ranks():
            ranked = lists.by_rank[rank]
            bounds = ((start.timestamp(),), (end.timestamp(),))
            for key in ranked.irange(*bounds, inclusive=(True, False)):
                yield self._lookup(key)

    def overdue(self, worker_id: str, now: datetime) -> list[OverdueItem]:
        """Return the worker's items due before ``now``, with how long overdue.

        In worklist order (category, then most overdue first). O(C log n + k).

        Raises:
            ValidationError: If ``worker_id`` is not an id or ``now`` not an aware datetime.
        """
        check_aware(now, what="now")
        return [
            OverdueItem(item, item.overdue_by(now))
            for item in self.due_between(worker_id, _BEGINNING, now)
        ]

    def breached(self, now: datetime) -> list[WorkItem]:
        """Return the open items due before ``now`` not yet marked breached, earliest first.

        O(log N + k): reads the head of the due-time index.

        Raises:
            ValidationError: If ``now`` is not an aware datetime.
        """
        check_aware(now, what="now")
        keys = self._pending_breach.irange(maximum=(now.timestamp(),), inclusive=(True, False))
        return [self._items[(client, policy)] for _, client, policy in keys]
