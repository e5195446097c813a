"""The [`Router`][], durable and shared by many processes.

There is one routing engine, [`Router`][]. It is deterministic given its
commands and the clock's readings, so it is made durable the way an event-sourced aggregate
is: every command it applies is appended to its **routing domain**'s journal in storage
([`RoutingJournal`][]), and every process keeps a **replica** of
the router, rebuilt from the latest snapshot and the journal's tail.

To act, a process binds its replica to a unit of work ([`DurableRouter.bind`][]): that
takes the domain's write lock in the transaction (SQLite's write lock, a PostgreSQL advisory
lock on the domain), reads the journal entries the replica has not applied yet and applies
them, then each command is applied to the replica and appended with the next sequence
number. The caller commits. A unit of work that rolls back leaves the journal as it was,
and the replica is rebuilt before its next use, so it is as if the command never ran.

Events of a command reach [`DurableRouter.subscribe`][] subscribers once, from the process
that committed it, after the commit — never when another replica replays it.

Threads: a [`DurableRouter`][] may be shared by any number of threads; one lock per
replica serializes them from [`bind`][DurableRouter.bind] to the end of the unit of work.
Bind at most one domain per unit of work, or bind domains in one order everywhere.

Every process must build a domain's router with the same options and a deterministic policy;
the replicas would otherwise disagree.

Complexity: a command costs the router's own cost plus one journal append (one index probe
and one insert); catching up costs one [`Router`][] command per journal
entry not yet applied; a cold start reads the snapshot (O(size of the router)) and the tail.
"""

from __future__ import annotations

import gc
import io
import logging
import pickle
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import casekit
from casekit.checks import check_callable, check_id, check_int
from casekit.clock import Clock, as_utc
from casekit.errors import (
    CasekitError,
    ConcurrencyConflict,
    CorruptRecord,
    NotFound,
    ValidationError,
)
from casekit.priority import Priority
from casekit.routing.events import RoutingEvent, Subscriber
from casekit.routing.explain import Decision, ExplainDetail
from casekit.routing.ladder import Ladder, check_ladders
from casekit.routing.ladder_runner import (
    LadderExplanation,
    LadderRunner,
    RungApplied,
    apply_rung_effect,
)
from casekit.routing.live import LiveSnapshot, LiveStats, _thresholds
from casekit.routing.metrics import RoutingMetrics
from casekit.routing.model import (
    Agent,
    CapacityModel,
    ItemState,
    Presence,
    TabBased,
    WorkItem,
)
from casekit.routing.policy import RoutingModel, RoutingPolicy
from casekit.routing.router import (
    AgentStatus,
    Aging,
    ItemStatus,
    Offer,
    QueueEntry,
    Router,
)
from casekit.storage.ports import JournalEntry, JournalSnapshot
from casekit.storage.unit_of_work import Storage, UnitOfWork

if TYPE_CHECKING:
    from casekit.worklists.calendar import BusinessCalendar

__all__ = ["BoundRouter", "DurableRouter", "serve_timers"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

SNAPSHOT_FORMAT = f"casekit-router/{casekit.__version__}/pickle-5"
"""Snapshots are read only by the casekit version that wrote them; any other replays the
journal (a snapshot is a cache, the journal is the truth)."""

# The router's configuration, which a snapshot never carries: every replica has its own.
_CONFIG = frozenset(
    {
        "policy",
        "push_timeout",
        "clock",
        "cooldown",
        "offline_grace",
        "count_pins",
        "capacity_model",
        "_counted",
        "_initial",
        "aging",
        "explain_detail",
        "_fast_score",
        "_subscribers",
        "_pending",
    }
)


class _ReplayClock:
    """The replica's clock: reads what the durable router set (the time a command ran)."""

    __slots__ = ("moment",)

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


# ---------------------------------------------------------------------- commands as JSON


def _agent_args(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "skills": dict(agent.skills),
        "capacity": agent.capacity,
        "auto_accept": agent.auto_accept,
        "channels": dict(agent.channels),
    }


def _item_args(item: WorkItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "skills": dict(item.skills),
        "priority": item.priority.value,
        "weight": item.weight,
        "stage": item.stage,
        "created_at": None if item.created_at is None else item.created_at.isoformat(),
        "channel": item.channel,
    }


def _fingerprint(router: Router) -> tuple[int, ...]:
    """Counters every change of a router moves (items, offers, timers, agents, events)."""
    return (
        router._seq,
        router._offer_seq,
        router._tokens,
        len(router._items),
        len(router._agents),
        len(router._pending),
        len(router._timers),
        len(router._queue),
    )


def _plain(value: object) -> object:
    """A mapping argument as a plain dict for the journal.

    Anything else is kept as it is: the router refuses it before an entry is made.
    """
    return dict(value) if isinstance(value, Mapping) else value


def _presence(value: object) -> object:
    return value.value if isinstance(value, Presence) else value


def _priority(value: object) -> object:
    return value.value if isinstance(value, Priority) else value


def _item_form(item: object) -> object:
    return _item_args(item) if isinstance(item, WorkItem) else None


def _agent(args: Mapping[str, Any]) -> Agent:
    return Agent(
        id=args["id"],
        skills=args["skills"],
        capacity=args["capacity"],
        auto_accept=args["auto_accept"],
        channels=args.get("channels", {}),  # entries older than channels have none
    )


def _item(args: Mapping[str, Any]) -> WorkItem:
    created = args["created_at"]
    return WorkItem(
        id=args["id"],
        skills=args["skills"],
        priority=Priority(args["priority"]),
        weight=args["weight"],
        stage=args["stage"],
        created_at=None if created is None else datetime.fromisoformat(created),
        channel=args.get("channel"),  # entries older than channels have none
    )


def _assign(router: Router, a: Mapping[str, Any]) -> object:
    item = a["item"]
    target: str | WorkItem = item if isinstance(item, str) else _item(item)
    router.assign(target, a["agent_id"], override=a["override"])
    return None


def _advance(router: Router, a: Mapping[str, Any]) -> object:
    priority = a["priority"]
    return router.advance(
        a["item_id"],
        stage=a["stage"],
        skills=a["skills"],
        priority=None if priority is None else Priority(priority),
        weight=a["weight"],
        keep_declines=a.get("keep_declines", False),  # absent from entries written before it
    )


_LADDER_COMMAND = "ladder"
"""The journal command of a ladder tick: ``{"rungs": [[item_id, index, due, skills after,
priority after], ...]}`` — what each rung did, so it replays the same everywhere."""

_REPLAY: dict[str, Callable[[Router, Mapping[str, Any]], object]] = {
    "add_agent": lambda r, a: r.add_agent(_agent(a["agent"]), Presence(a["presence"])),
    "remove_agent": lambda r, a: r.remove_agent(a["agent_id"]),
    "set_presence": lambda r, a: r.set_presence(a["agent_id"], Presence(a["presence"])),
    "set_skills": lambda r, a: r.set_skills(a["agent_id"], a["skills"]),
    "set_capacity": lambda r, a: r.set_capacity(a["agent_id"], a["capacity"]),
    "set_channels": lambda r, a: r.set_channels(a["agent_id"], a["channels"]),
    "submit": lambda r, a: r.submit(_item(a["item"])),
    "accept": lambda r, a: r.accept(a["item_id"], a["agent_id"]),
    "decline": lambda r, a: r.decline(a["item_id"], a["agent_id"]),
    "release": lambda r, a: r.release(a["item_id"]),
    "advance": _advance,
    "requeue": lambda r, a: r.requeue(a["item_id"]),
    "assign": _assign,
    "unpin": lambda r, a: r.unpin(a["item_id"], override=a["override"]),
    "tick": lambda r, a: r.tick(),
    "set_priority": lambda r, a: r.set_priority(a["item_id"], Priority(a["priority"])),
    "set_work_status": lambda r, a: r.set_work_status(a["item_id"], a["status"]),
}
"""How each journalled command is applied again: one entry per mutating Router method."""


# ---------------------------------------------------------------------- snapshots


def _proxy(mapping: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(mapping)


_set = object.__setattr__
_ITEM_FIELDS = ("id", "skills", "priority", "weight", "stage", "created_at", "channel")
_AGENT_FIELDS = ("id", "skills", "capacity", "auto_accept", "channels")


def _work_item(*values: Any) -> WorkItem:
    """A WorkItem from a snapshot, its fields set as they were (validated when first made)."""
    item = object.__new__(WorkItem)
    for name, value in zip(_ITEM_FIELDS, values, strict=True):
        _set(item, name, value)
    return item


def _agent_value(*values: Any) -> Agent:
    """An Agent from a snapshot, its fields set as they were."""
    agent = object.__new__(Agent)
    for name, value in zip(_AGENT_FIELDS, values, strict=True):
        _set(agent, name, value)
    return agent


class _Pickler(pickle.Pickler):
    """Pickles a router's state.

    attrs values go as their fields, restored without attrs' per-object ``__setstate__``
    (otherwise the slowest part of a restore).
    """

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is MappingProxyType:
            return _proxy, (dict(obj),)
        if kind is WorkItem:
            return _work_item, tuple(getattr(obj, name) for name in _ITEM_FIELDS)
        if kind is Agent:
            return _agent_value, tuple(getattr(obj, name) for name in _AGENT_FIELDS)
        return NotImplemented


_ALLOWED_GLOBALS = frozenset(
    {
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("datetime", "datetime"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("sortedcontainers.sortedlist", "SortedList"),
        ("casekit.storage.durable_router", "_proxy"),
        ("casekit.storage.durable_router", "_work_item"),
        ("casekit.storage.durable_router", "_agent_value"),
        ("casekit.priority", "Priority"),
    }
)
_ALLOWED_MODULES = (
    "casekit.routing.router",
    "casekit.routing._records",
    "casekit.routing.model",
    "casekit.routing.explain",
    "casekit.routing.index",
    "casekit.routing.queue",
    "casekit.routing.timers",
    "casekit.routing.events",
)


class _Unpickler(pickle.Unpickler):
    """Reads only the types a router's state is made of; never imports what the data names."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        # Only a class defined in one of the router's own modules, by its plain name: a
        # dotted name would let pickle walk to anything those modules import
        # ("logging.os.system").
        if module in _ALLOWED_MODULES and name.isidentifier() and not name.startswith("__"):
            found = super().find_class(module, name)
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise CorruptRecord(f"router snapshot names {module}.{name}, which a router never holds")


_LADDERS = "_ladder_state"  # the snapshot key of the ladder runner's state, when there is one


def snapshot_bytes(router: Router, runner: LadderRunner | None = None) -> bytes:
    """A router's state, without its configuration, as snapshot data. O(size of the router).

    With a ladder ``runner``, what it knows of each item (when it entered its stage, the
    rungs applied) goes in the same snapshot.
    """
    state = {k: v for k, v in router.__dict__.items() if k not in _CONFIG}
    if runner is not None:
        state[_LADDERS] = runner.state()
    buffer = io.BytesIO()
    collecting = gc.isenabled()
    gc.disable()
    try:
        _Pickler(buffer, protocol=5).dump(state)
    finally:
        if collecting:
            gc.enable()
    return buffer.getvalue()


def restore_into(router: Router, data: bytes, runner: LadderRunner | None = None) -> None:
    """Give a freshly configured ``router`` (and its ladder ``runner``) the state in ``data``.

    O(size of the state). A snapshot taken without ladders restored into a runner leaves
    the runner following every item as entering its stage at the restore (it cannot know
    better); a snapshot's ladder state without a runner is ignored.

    Raises:
        CorruptRecord: The data is not a router state this casekit wrote, or its ladder
            state names rungs the runner's ladders do not have.
    """
    collecting = gc.isenabled()
    gc.disable()  # a restore makes many objects and no garbage: no collections meanwhile
    try:
        state = _Unpickler(io.BytesIO(data)).load()
    except CorruptRecord:
        raise
    except Exception as error:
        raise CorruptRecord(f"router snapshot cannot be read: {error}") from error
    finally:
        if collecting:
            gc.enable()
    if not isinstance(state, dict) or "_agents" not in state:
        raise CorruptRecord("router snapshot does not hold a router's state")
    ladder_state = state.pop(_LADDERS, None)
    router.__dict__.update(state)
    if runner is not None and ladder_state is None:
        runner.adopt()
    elif runner is not None:
        try:
            runner.restore(ladder_state)
        except (ValidationError, TypeError, ValueError) as error:
            raise CorruptRecord(
                f"router snapshot's ladder state cannot be read: {error}"
            ) from error


# ---------------------------------------------------------------------- the durable router


class DurableRouter:
    """A routing domain's [`Router`][], kept in storage, shared by processes.

    Every process that routes a domain builds one ``DurableRouter`` for it with the same
    options. Commands go through [`bind`][] inside a unit of work (several commands, one
    commit), or through the one-shot methods ([`submit`][], [`accept`][], ...), each its
    own unit of work, retried on a conflict.

    Args:
        storage: Where the journal and snapshots are kept.
        domain: The routing domain (a team, a queue, a tenant); domains never contend.
        model: The routing policy, as for [`Router`][]; a custom policy
            must be deterministic.
        push_timeout: As for [`Router`][].
        cooldown: As for [`Router`][].
        offline_grace: As for [`Router`][].
        count_pins: As for [`Router`][].
        aging: As for [`Router`][].
        explain: As for [`Router`][].
        capacity_model: As for [`Router`][] (configuration: every process builds the
            same one).
        clock: Where "now" comes from for each command (default: the storage's clock).
        snapshot_every: Take a snapshot, in the process that commits, after this many
            journal entries since its last one (``None``, the default: only when
            [`take_snapshot`][] is called — [`serve_timers`][] does, off the request
            path). A snapshot costs O(size of the router) — about a second for 100,000
            items — while the replica is locked, so in a service leave it to the timer
            worker.
        attempts: How often the one-shot methods try a unit of work that conflicted.
        ladders: Escalation ladders of the domain's stages
            ([`Ladder`][casekit.routing.Ladder], one per stage), applied by a
            [`LadderRunner`][casekit.routing.LadderRunner] on the replica each time the
            router ticks ([`tick`][], [`serve_timers`][]). The rungs a tick applies are
            journalled (command ``ladder``) and replayed as such by every other replica;
            what the runner knows of each item is kept in snapshots. Every process that
            ticks should build the domain with the same ladders and calendar; one built
            without ladders applies none but replays the effect of those others applied.
        ladder_calendar: A ``casekit.worklists.BusinessCalendar``: rung delays count
            business time; ``None`` counts elapsed time.
        at_risk_after: For [`live`][]: how long an item may wait before it counts as at
            risk (one ``timedelta``, or one per `Priority`), as for
            [`LiveStats`][casekit.routing.LiveStats].

    Raises:
        ValidationError: A bad domain, option, ``snapshot_every``, ``attempts``, ladders
            or calendar.
    """

    def __init__(
        self,
        storage: Storage,
        domain: str = "default",
        *,
        model: RoutingModel | RoutingPolicy = RoutingModel.LEAST_ACTIVE,
        push_timeout: timedelta | None = timedelta(minutes=10),
        cooldown: timedelta | None = None,
        offline_grace: timedelta = timedelta(0),
        count_pins: bool = True,
        aging: Aging | None = None,
        explain: ExplainDetail = ExplainDetail.SUMMARY,
        capacity_model: CapacityModel = TabBased(),  # noqa: B008  a frozen value, shared
        clock: Clock | None = None,
        snapshot_every: int | None = None,
        attempts: int = 5,
        ladders: tuple[Ladder, ...] = (),
        ladder_calendar: BusinessCalendar | None = None,
        at_risk_after: Mapping[Priority, timedelta] | timedelta | None = None,
    ) -> None:
        if not isinstance(storage, Storage):
            raise ValidationError(f"DurableRouter needs a Storage, got {storage!r}")
        if clock is not None and not callable(getattr(clock, "now", None)):
            raise ValidationError(
                f"clock of routing domain {domain!r} must be a Clock (with now()), got {clock!r}"
            )
        self.storage = storage
        self.domain = check_id(domain, what="routing domain")
        if snapshot_every is not None:
            check_int(snapshot_every, what="snapshot_every", minimum=1)
        self.snapshot_every = snapshot_every
        self.attempts = check_int(attempts, what="attempts", minimum=1)
        self.clock: Clock = storage.clock if clock is None else clock
        self._options: dict[str, Any] = {
            "model": model,
            "push_timeout": push_timeout,
            "cooldown": cooldown,
            "offline_grace": offline_grace,
            "count_pins": count_pins,
            "aging": aging,
            "explain": explain,
            "capacity_model": capacity_model,
        }
        self._replay_clock = _ReplayClock(self.clock.now())
        self.ladders: tuple[Ladder, ...] = tuple(check_ladders(ladders).values())
        if ladder_calendar is not None and not callable(
            getattr(ladder_calendar, "add_business_hours", None)
        ):
            raise ValidationError(
                f"ladder_calendar of routing domain {self.domain} must be a BusinessCalendar "
                f"(with add_business_hours) or None, got {ladder_calendar!r}"
            )
        self.ladder_calendar = ladder_calendar
        self._runner: LadderRunner | None = None
        self._at_risk_after = _thresholds(at_risk_after)
        self._live: LiveStats | None = None  # attached on the first read of live()
        self._applied: list[RungApplied] = []  # rungs the replica's last ladder tick applied
        self._replica = self._fresh()  # validates the options (and the calendar)
        self._seq = 0  # the last journal entry the replica has applied
        self._snapshot_seq = 0
        self._stale = True  # the first bind starts from the latest snapshot
        self._lock = threading.RLock()
        self._subscribers: list[Subscriber] = []
        self._captured: list[RoutingEvent] = []

    def _fresh(self) -> Router:
        """A new replica (with a new ladder runner following it, when there are ladders)."""
        router = Router(clock=self._replay_clock, **self._options)
        self._live = None  # a new replica: live statistics are recounted when next read
        self._runner = (
            LadderRunner(router, self.ladders, calendar=self.ladder_calendar)
            if self.ladders
            else None
        )
        return router

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback(event)`` for every event this process commits. O(1)."""
        check_callable(callback, what=f"a subscriber of routing domain {self.domain}")
        with self._lock:
            if not self._subscribers:  # the replica makes events only when someone listens
                self._replica.subscribe(self._captured.append)
            self._subscribers.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        """Stop calling ``callback``.

        Raises:
            NotFound: It was not subscribed.
        """
        with self._lock:
            try:
                self._subscribers.remove(callback)
                if not self._subscribers:
                    self._replica.unsubscribe(self._captured.append)
            except ValueError:
                raise NotFound(
                    f"{callback!r} is not subscribed to routing domain {self.domain}"
                ) from None

    # ------------------------------------------------------------------ binding

    def bind(self, uow: UnitOfWork) -> BoundRouter:
        """The router inside ``uow``: its commands are journalled there and durable on commit.

        Takes the domain's lock (held until ``uow`` ends) and catches the replica up with
        the journal. Binding the same unit of work again returns the same router.

        Raises:
            ValidationError: ``uow`` is not a unit of work of this router's storage.
            StorageError: The journal cannot be read.
        """
        if not isinstance(uow, UnitOfWork) or uow.storage is not self.storage:
            raise ValidationError(
                f"routing domain {self.domain} binds units of work of its own storage, got {uow!r}"
            )
        existing = uow.bound.get(id(self))
        if isinstance(existing, BoundRouter):
            return existing
        uow._require_active()
        self._lock.acquire()
        try:
            uow.journal.lock(self.domain)
            self._catch_up(uow)
        except BaseException:
            self._lock.release()
            raise
        binding = BoundRouter(self, uow)
        uow.bound[id(self)] = binding
        uow.on_end(binding._end)
        return binding

    def _catch_up(self, uow: UnitOfWork) -> None:
        """Apply the journal entries the replica has not seen (the lock is held)."""
        journal = uow.journal
        if self._stale:
            self._rebuild(uow)
        entries = journal.read(self.domain, after=self._seq)
        self._apply_entries(entries)

    def _rebuild(self, uow: UnitOfWork) -> None:
        replica = self._fresh()
        seq = 0
        snapshot = uow.journal.snapshot(self.domain)
        if snapshot is not None and snapshot.format == SNAPSHOT_FORMAT:
            try:
                restore_into(replica, snapshot.data, self._runner)
                seq = snapshot.seq
            except CorruptRecord:  # a cache: the journal is the truth, replay all of it
                logger.warning(
                    "routing domain %s: the snapshot at %d cannot be read; replaying the journal",
                    self.domain,
                    snapshot.seq,
                    exc_info=True,
                )
                replica = self._fresh()
        self._replica = replica
        self._captured.clear()
        if self._subscribers:
            replica.subscribe(self._captured.append)
        self._seq = seq
        self._snapshot_seq = seq
        self._stale = False

    def _apply_entries(self, entries: list[JournalEntry]) -> None:
        replica = self._replica
        for entry in entries:
            if entry.seq != self._seq + 1:
                self._stale = True
                raise CorruptRecord(
                    f"routing journal {self.domain} skips from {self._seq} to {entry.seq}"
                )
            replay = _REPLAY.get(entry.command)
            if entry.command == _LADDER_COMMAND:
                replay = self._replay_ladder
            if replay is None:
                self._stale = True
                raise CorruptRecord(
                    f"routing journal {self.domain} entry {entry.seq} has unknown command "
                    f"{entry.command!r}"
                )
            self._replay_clock.moment = entry.at
            try:
                replay(replica, entry.args)
            except Exception as error:
                self._stale = True
                raise CorruptRecord(
                    f"routing journal {self.domain} entry {entry.seq} ({entry.command}) "
                    f"does not replay: {error}"
                ) from error
            self._seq = entry.seq
        self._captured.clear()  # events of replayed commands were published where they ran

    def _replay_ladder(self, router: Router, args: Mapping[str, Any]) -> object:
        """Apply again the rungs a ladder tick applied (journal command ``ladder``).

        Each rung's recorded effect is made again: through the runner, which also keeps
        its own state, or — in a process built without ladders, which applies no rung of
        its own — straight on the router, so its replica still agrees with the others.
        """
        runner = self._runner
        # Rungs keep the item's declines; entries journalled before they did say nothing.
        keep = args.get("keeps_declines", False)
        for item_id, index, due, skills, priority in args["rungs"]:
            effect = (skills, Priority(priority))
            if runner is not None:
                runner.replay(
                    item_id, index, datetime.fromisoformat(due), effect, keep_declines=keep
                )
            else:
                status = router.item(item_id)
                apply_rung_effect(
                    router,
                    item_id,
                    status.item.skills,
                    skills,
                    status.priority,
                    effect[1],
                    keep_declines=keep,
                )
        return None

    def _ladder_tick(self, router: Router, args: dict[str, Any]) -> list[RungApplied]:
        """Run the ladder runner's tick on the replica; record the rungs in ``args``."""
        assert self._runner is not None
        applied = self._runner.tick()
        args["keeps_declines"] = True  # as the runner's rungs do (replayed the same way)
        args["rungs"] = [
            [r.item_id, r.index, r.due.isoformat(), dict(r.skills_after), r.priority_after.value]
            for r in applied
        ]
        return applied

    def refresh(self) -> None:
        """Catch the replica up with the journal, in a unit of work of its own."""
        with self.storage.unit_of_work() as uow:
            self.bind(uow)
            uow.commit()

    def take_snapshot(self) -> int:
        """Snapshot the replica (caught up first) in storage; return its journal position.

        Cost: O(size of the router) for the state, one row written.
        """
        with self.storage.unit_of_work() as uow:
            self.bind(uow)
            data = snapshot_bytes(self._replica, self._runner)
            seq = self._seq
            uow.journal.save_snapshot(
                JournalSnapshot(self.domain, seq, SNAPSHOT_FORMAT, data, as_utc(self.clock.now()))
            )
            uow.commit()
        self._snapshot_seq = seq
        return seq

    def rebuild(self) -> None:
        """Drop the replica and rebuild it from the latest snapshot and the journal."""
        with self._lock:
            self._stale = True
        self.refresh()

    @property
    def position(self) -> int:
        """The last journal entry the replica has applied."""
        return self._seq

    @property
    def snapshot_position(self) -> int:
        """The journal position of the latest snapshot this replica read or took."""
        return self._snapshot_seq

    @contextmanager
    def _unit(self) -> Iterator[BoundRouter]:
        with self.storage.unit_of_work() as uow:
            yield self.bind(uow)
            uow.commit()

    def _once(self, action: Callable[[BoundRouter], T]) -> T:
        """Run ``action`` in a unit of work of its own, retried on a conflict."""
        for attempt in range(1, self.attempts + 1):
            try:
                with self._unit() as bound:
                    return action(bound)
            except ConcurrencyConflict:
                if attempt == self.attempts:
                    raise
                logger.info("routing domain %s: conflict, retrying (%d)", self.domain, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ one-shot commands

    def add_agent(self, agent: Agent, presence: Presence = Presence.OFFLINE) -> None:
        """[`Router.add_agent`][], durable."""
        self._once(lambda r: r.add_agent(agent, presence))

    def remove_agent(self, agent_id: str) -> None:
        """[`Router.remove_agent`][], durable."""
        self._once(lambda r: r.remove_agent(agent_id))

    def set_presence(self, agent_id: str, presence: Presence) -> None:
        """[`Router.set_presence`][], durable."""
        self._once(lambda r: r.set_presence(agent_id, presence))

    def set_skills(self, agent_id: str, skills: Mapping[str, int]) -> None:
        """[`Router.set_skills`][], durable."""
        self._once(lambda r: r.set_skills(agent_id, skills))

    def set_capacity(self, agent_id: str, capacity: int) -> None:
        """[`Router.set_capacity`][], durable."""
        self._once(lambda r: r.set_capacity(agent_id, capacity))

    def set_channels(self, agent_id: str, channels: Mapping[str, int]) -> None:
        """[`Router.set_channels`][], durable."""
        self._once(lambda r: r.set_channels(agent_id, channels))

    def set_work_status(self, item_id: str, status: str) -> None:
        """[`Router.set_work_status`][], durable."""
        self._once(lambda r: r.set_work_status(item_id, status))

    def submit(self, item: WorkItem) -> Offer | None:
        """[`Router.submit`][], durable."""
        return self._once(lambda r: r.submit(item))

    def accept(self, item_id: str, agent_id: str) -> None:
        """[`Router.accept`][], durable."""
        self._once(lambda r: r.accept(item_id, agent_id))

    def decline(self, item_id: str, agent_id: str) -> Offer | None:
        """[`Router.decline`][], durable."""
        return self._once(lambda r: r.decline(item_id, agent_id))

    def release(self, item_id: str) -> WorkItem:
        """[`Router.release`][], durable."""
        return self._once(lambda r: r.release(item_id))

    def advance(
        self,
        item_id: str,
        *,
        stage: str,
        skills: Mapping[str, int],
        priority: Priority | None = None,
        weight: int | None = None,
        keep_declines: bool = False,
    ) -> Offer | None:
        """[`Router.advance`][], durable."""
        return self._once(
            lambda r: r.advance(
                item_id,
                stage=stage,
                skills=skills,
                priority=priority,
                weight=weight,
                keep_declines=keep_declines,
            )
        )

    def requeue(self, item_id: str) -> Offer | None:
        """[`Router.requeue`][], durable."""
        return self._once(lambda r: r.requeue(item_id))

    def assign(self, item: str | WorkItem, agent_id: str, *, override: bool = False) -> None:
        """[`Router.assign`][], durable."""
        self._once(lambda r: r.assign(item, agent_id, override=override))

    def unpin(self, item_id: str, *, override: bool = False) -> None:
        """[`Router.unpin`][], durable."""
        self._once(lambda r: r.unpin(item_id, override=override))

    def set_priority(self, item_id: str, priority: Priority) -> None:
        """[`Router.set_priority`][], durable."""
        self._once(lambda r: r.set_priority(item_id, priority))

    def tick(self) -> int:
        """[`Router.tick`][], durable.

        Nothing is journalled when nothing is due (it returns 0).
        """
        return self._once(lambda r: r.tick())

    # ------------------------------------------------------------------ reads

    def read(self, query: Callable[[Router], T]) -> T:
        """Run ``query`` on the replica, caught up with the journal, at the clock's now.

        Example: ``durable.read(lambda r: r.explain("case-17"))``.
        """
        with self.storage.unit_of_work() as uow:
            bound = self.bind(uow)
            return bound.query(query)

    def load(self, agent_id: str) -> int:
        """[`Router.load`][] from the caught-up replica."""
        return self.read(lambda r: r.load(agent_id))

    def state_of(self, item_id: str) -> ItemState:
        """[`Router.state_of`][]."""
        return self.read(lambda r: r.state_of(item_id))

    def item(self, item_id: str) -> ItemStatus:
        """[`Router.item`][]."""
        return self.read(lambda r: r.item(item_id))

    def items(self) -> list[ItemStatus]:
        """[`Router.items`][]."""
        return self.read(lambda r: r.items())

    def agent(self, agent_id: str) -> AgentStatus:
        """[`Router.agent`][]."""
        return self.read(lambda r: r.agent(agent_id))

    def agents(self) -> list[AgentStatus]:
        """[`Router.agents`][]."""
        return self.read(lambda r: r.agents())

    def queue(self) -> list[QueueEntry]:
        """[`Router.queue`][]."""
        return self.read(lambda r: r.queue())

    def explain(self, item_id: str) -> Decision:
        """[`Router.explain`][]."""
        return self.read(lambda r: r.explain(item_id))

    def metrics(self) -> RoutingMetrics:
        """[`Router.metrics`][]."""
        return self.read(lambda r: r.metrics())

    def next_deadline(self) -> datetime | None:
        """[`Router.next_deadline`][], or an escalation rung's due time when sooner.

        A rung's time is a lower bound (see [`LadderRunner.next_due`][casekit.routing.
        LadderRunner.next_due]): a tick then may apply nothing.
        """
        return self.read(self._next_deadline)

    def _next_deadline(self, router: Router) -> datetime | None:
        deadline = router.next_deadline()
        runner = self._runner
        if runner is not None:
            due = runner.next_due()
            if due is not None and (deadline is None or due < deadline):
                return due
        return deadline

    def live(self, now: datetime | None = None) -> LiveSnapshot:
        """The domain's live statistics (TaskRouter's real-time figures), all processes'.

        Kept by a [`LiveStats`][casekit.routing.LiveStats] on the replica, which follows
        every command the replica applies — this process's and, as it catches up with the
        journal, every other process's — so the figures are the domain's, not one
        process's. Counted from the replica's state on the first read and whenever the
        replica is rebuilt (O(n log n)); after that each event costs O(log q) and a read
        O(priorities + stages) once the replica has caught up.

        Args:
            now: The moment for waits and at-risk counts (default: the clock's now).
        """
        at = as_utc(self.clock.now() if now is None else now, what="now of live statistics")
        return self.read(lambda r: self._live_stats(r).snapshot(at))

    def _live_stats(self, router: Router) -> LiveStats:
        live = self._live
        if live is None:
            live = LiveStats(router, at_risk_after=self._at_risk_after)
            self._live = live
        return live

    def ladder_history(self, item_id: str) -> tuple[RungApplied, ...]:
        """[`LadderRunner.history`][casekit.routing.LadderRunner.history] of the replica.

        Raises:
            ValidationError: The domain has no ladders.
            NotFound: The router does not hold the item.
        """
        return self.read(lambda r: self._ladder_runner().history(item_id))

    def ladder_explain(self, item_id: str) -> LadderExplanation:
        """The router's decision about the item and the rungs applied at its stage.

        [`LadderRunner.explain`][casekit.routing.LadderRunner.explain] of the replica.

        Raises:
            ValidationError: The domain has no ladders.
            NotFound: The router does not hold the item.
        """
        return self.read(lambda r: self._ladder_runner().explain(item_id))

    def _ladder_runner(self) -> LadderRunner:
        if self._runner is None:
            raise ValidationError(
                f"routing domain {self.domain} has no escalation ladders; build it with "
                "ladders=(Ladder(...), ...)"
            )
        return self._runner

    def __repr__(self) -> str:
        return f"DurableRouter(domain={self.domain!r}, position={self._seq})"


def serve_timers(
    router: DurableRouter,
    *,
    stop: threading.Event | None = None,
    poll: float = 1.0,
    snapshot_every: int | None = 10_000,
    sleep: Callable[[float], object] | None = None,
) -> int:
    """Tick ``router`` whenever a deadline falls due, until ``stop`` is set; return the ticks.

    Offer timeouts, offline grace periods, cool-downs and aging act only when the router
    ticks. Run this loop in one or more processes (or threads) per routing domain: it reads
    [`DurableRouter.next_deadline`][] (which also catches up with the journal), sleeps
    until then (at most ``poll`` seconds, so deadlines created by other processes are seen)
    and ticks. Two workers ticking at once is harmless: the second finds no deadline passed
    and journals nothing.

    Args:
        router: The domain's durable router.
        stop: Set it to end the loop (checked at least every ``poll`` seconds).
        poll: The longest sleep, in seconds.
        snapshot_every: Take a snapshot whenever the journal has grown by this many
            entries since the domain's latest snapshot (``None``: never), so a cold start
            reads a snapshot and a short tail.
        sleep: How to wait (default: ``stop.wait``); tests pass a fake.

    Raises:
        ValidationError: ``poll`` is not a positive number, or ``snapshot_every`` not a
            positive int or None.
    """
    if isinstance(poll, bool) or not isinstance(poll, int | float) or not poll > 0:
        raise ValidationError(f"poll must be a positive number of seconds, got {poll!r}")
    if snapshot_every is not None:
        check_int(snapshot_every, what="snapshot_every", minimum=1)
    stop = threading.Event() if stop is None else stop
    wait = stop.wait if sleep is None else sleep
    ticks = 0
    while not stop.is_set():
        deadline = router.next_deadline()
        if snapshot_every is not None and router.position - router.snapshot_position >= (
            snapshot_every
        ):
            router.take_snapshot()
        now = router.clock.now()
        if deadline is not None and deadline <= now:
            router.tick()
            ticks += 1
            continue
        delay = poll if deadline is None else min(poll, (deadline - now).total_seconds())
        wait(max(delay, 0.001))
    return ticks


class BoundRouter:
    """A durable router inside one unit of work (from [`DurableRouter.bind`][]).

    Its methods are [`Router`][]'s: each applies the command to the
    replica at the clock's now and appends it to the journal in the unit of work. A refused
    command raises before anything changes and is not journalled.
    """

    def __init__(self, durable: DurableRouter, uow: UnitOfWork) -> None:
        self._durable = durable
        self._uow = uow
        self._entries = 0
        self._events: list[RoutingEvent] = []
        self._pending: list[JournalEntry] = []
        self._rungs: list[RungApplied] = []
        self._active = True

    @property
    def events(self) -> tuple[RoutingEvent, ...]:
        """The events of the commands applied in this unit of work so far, in order.

        They reach subscribers after the commit; the application layer reads them before,
        to handle them in the same unit of work and write them to its outbox. Events are
        recorded only while the durable router has at least one subscriber. O(n).
        """
        return tuple(self._events)

    @property
    def ladders(self) -> LadderRunner | None:
        """The replica's ladder runner, for reads (``history``, ``explain``), or ``None``.

        ``None`` when the domain has no ladders. Do not tick it: [`tick`][] does, and
        journals what it applies.
        """
        self._require_bound()
        return self._durable._runner

    @property
    def rungs(self) -> tuple[RungApplied, ...]:
        """The escalation rungs applied by ticks in this unit of work so far, in order.

        The application layer records them in the cases' audit trails before the commit.
        O(n).
        """
        return tuple(self._rungs)

    def _flush(self) -> None:
        """Append the buffered entries, in one statement, just before the commit."""
        pending, self._pending = self._pending, []
        self._uow.journal.append(pending)

    def _run(
        self,
        command: str,
        args: dict[str, Any],
        method: Callable[..., T],
        *call: Any,
        **keywords: Any,
    ) -> T:
        """Apply ``method(replica, *call, **keywords)`` at the clock's now; journal it.

        ``args`` is the command's journal form (built before the call: a refused command
        wastes it, which is rare, and no closure is made per command).
        """
        if not self._active:
            raise ValidationError(
                f"routing domain {self._durable.domain}: this binding's unit of work has ended"
            )
        durable = self._durable
        now = durable.clock.now()
        if type(now) is not datetime or now.tzinfo is not UTC:
            now = as_utc(now, what="the routing clock's now")
        durable._replay_clock.moment = now
        replica = durable._replica
        before = _fingerprint(replica)
        try:
            result = method(replica, *call, **keywords)
        except BaseException as error:
            if isinstance(error, CasekitError) and _fingerprint(replica) == before:
                raise  # refused before anything changed (the Router's contract)
            # It may have half-changed the replica, which the journal will never hold: the
            # replica is rebuilt before its next use, its events are dropped, and this unit
            # of work cannot commit.
            durable._stale = True
            durable._captured.clear()
            self._uow.fail(
                f"routing domain {durable.domain}: {command} failed after it began changing "
                f"the router ({type(error).__name__}: {error})"
            )
            raise
        self._record(command, args, now)
        return result

    def _record(self, command: str, args: dict[str, Any], now: datetime) -> None:
        """Journal a command the replica has applied, and keep its events."""
        durable = self._durable
        durable._seq += 1
        pending = self._pending
        pending.append(JournalEntry(durable.domain, durable._seq, now, command, args))
        if len(pending) == 1:
            self._uow.before_commit(self._flush)
        self._entries += 1
        if durable._captured:
            self._events.extend(durable._captured)
            durable._captured.clear()

    def _require_bound(self) -> None:
        if not self._active:
            raise ValidationError(
                f"routing domain {self._durable.domain}: this binding's unit of work has ended"
            )

    def query(self, query: Callable[[Router], T]) -> T:
        """Run a read-only ``query`` on the replica at the clock's now."""
        self._require_bound()
        durable = self._durable
        durable._replay_clock.moment = as_utc(durable.clock.now())
        return query(durable._replica)

    @property
    def router(self) -> Router:
        """The replica itself, for reads (do not call its mutating methods)."""
        self._require_bound()
        return self._durable._replica

    def _end(self, committed: bool) -> None:
        durable = self._durable
        self._active = False
        snapshot: JournalSnapshot | None = None
        try:
            if not committed:
                if self._entries:
                    durable._stale = True
                return
            every = durable.snapshot_every
            if (
                every is not None
                and not durable._stale
                and durable._seq - durable._snapshot_seq >= every
            ):
                snapshot = JournalSnapshot(
                    durable.domain,
                    durable._seq,
                    SNAPSHOT_FORMAT,
                    snapshot_bytes(durable._replica, durable._runner),
                    as_utc(durable.clock.now()),
                )
                durable._snapshot_seq = durable._seq
            subscribers = tuple(durable._subscribers)
        finally:
            durable._lock.release()
        for event in self._events:
            for callback in subscribers:
                try:
                    callback(event)
                except Exception:  # one subscriber's failure is not the commit's
                    logger.exception(
                        "routing domain %s: subscriber %r failed on %s",
                        durable.domain,
                        callback,
                        event,
                    )
        if snapshot is not None:
            try:
                with durable.storage.unit_of_work() as uow:
                    uow.journal.save_snapshot(snapshot)
                    uow.commit()
            except Exception:  # a snapshot is a cache: the journal stays the truth
                logger.warning(
                    "routing domain %s: snapshot at %d not saved",
                    durable.domain,
                    snapshot.seq,
                    exc_info=True,
                )

    # ------------------------------------------------------------------ commands

    def add_agent(self, agent: Agent, presence: Presence = Presence.OFFLINE) -> None:
        """[`Router.add_agent`][]."""
        self._run(
            "add_agent",
            {
                "agent": _agent_args(agent) if isinstance(agent, Agent) else None,
                "presence": _presence(presence),
            },
            Router.add_agent,
            agent,
            presence,
        )

    def remove_agent(self, agent_id: str) -> None:
        """[`Router.remove_agent`][]."""
        self._run("remove_agent", {"agent_id": agent_id}, Router.remove_agent, agent_id)

    def set_presence(self, agent_id: str, presence: Presence) -> None:
        """[`Router.set_presence`][]."""
        self._run(
            "set_presence",
            {"agent_id": agent_id, "presence": _presence(presence)},
            Router.set_presence,
            agent_id,
            presence,
        )

    def set_skills(self, agent_id: str, skills: Mapping[str, int]) -> None:
        """[`Router.set_skills`][]."""
        self._run(
            "set_skills",
            {"agent_id": agent_id, "skills": _plain(skills)},
            Router.set_skills,
            agent_id,
            skills,
        )

    def set_capacity(self, agent_id: str, capacity: int) -> None:
        """[`Router.set_capacity`][]."""
        self._run(
            "set_capacity",
            {"agent_id": agent_id, "capacity": capacity},
            Router.set_capacity,
            agent_id,
            capacity,
        )

    def set_channels(self, agent_id: str, channels: Mapping[str, int]) -> None:
        """[`Router.set_channels`][]."""
        self._run(
            "set_channels",
            {"agent_id": agent_id, "channels": _plain(channels)},
            Router.set_channels,
            agent_id,
            channels,
        )

    def set_work_status(self, item_id: str, status: str) -> None:
        """[`Router.set_work_status`][]."""
        self._run(
            "set_work_status",
            {"item_id": item_id, "status": status},
            Router.set_work_status,
            item_id,
            status,
        )

    def submit(self, item: WorkItem) -> Offer | None:
        """[`Router.submit`][]."""
        return self._run("submit", {"item": _item_form(item)}, Router.submit, item)

    def accept(self, item_id: str, agent_id: str) -> None:
        """[`Router.accept`][]."""
        self._run(
            "accept", {"item_id": item_id, "agent_id": agent_id}, Router.accept, item_id, agent_id
        )

    def decline(self, item_id: str, agent_id: str) -> Offer | None:
        """[`Router.decline`][]."""
        return self._run(
            "decline", {"item_id": item_id, "agent_id": agent_id}, Router.decline, item_id, agent_id
        )

    def release(self, item_id: str) -> WorkItem:
        """[`Router.release`][]."""
        return self._run("release", {"item_id": item_id}, Router.release, item_id)

    def advance(
        self,
        item_id: str,
        *,
        stage: str,
        skills: Mapping[str, int],
        priority: Priority | None = None,
        weight: int | None = None,
        keep_declines: bool = False,
    ) -> Offer | None:
        """[`Router.advance`][]."""
        args: dict[str, Any] = {
            "item_id": item_id,
            "stage": stage,
            "skills": _plain(skills),
            "priority": None if priority is None else _priority(priority),
            "weight": weight,
        }
        if keep_declines is not False:  # journalled only when asked for, as before otherwise
            args["keep_declines"] = keep_declines
        return self._run(
            "advance",
            args,
            Router.advance,
            item_id,
            stage=stage,
            skills=skills,
            priority=priority,
            weight=weight,
            keep_declines=keep_declines,
        )

    def requeue(self, item_id: str) -> Offer | None:
        """[`Router.requeue`][]."""
        return self._run("requeue", {"item_id": item_id}, Router.requeue, item_id)

    def assign(self, item: str | WorkItem, agent_id: str, *, override: bool = False) -> None:
        """[`Router.assign`][]."""
        self._run(
            "assign",
            {
                "item": item if isinstance(item, str) else _item_form(item),
                "agent_id": agent_id,
                "override": override,
            },
            Router.assign,
            item,
            agent_id,
            override=override,
        )

    def unpin(self, item_id: str, *, override: bool = False) -> None:
        """[`Router.unpin`][]."""
        self._run(
            "unpin",
            {"item_id": item_id, "override": override},
            Router.unpin,
            item_id,
            override=override,
        )

    def set_priority(self, item_id: str, priority: Priority) -> None:
        """[`Router.set_priority`][]."""
        self._run(
            "set_priority",
            {"item_id": item_id, "priority": _priority(priority)},
            Router.set_priority,
            item_id,
            priority,
        )

    def tick(self) -> int:
        """[`Router.tick`][]; journalled only when some deadline has passed.

        A deadline made pointless (an offer answered in time) still counts: the tick that
        pops it is journalled, so every replica's timers stay the same. O(1) when nothing
        has passed.
        """
        self._require_bound()
        durable = self._durable
        now = as_utc(durable.clock.now())
        acted = 0
        deadline = durable._replica.next_deadline()
        if deadline is not None and deadline <= now:
            acted = self._run("tick", {}, Router.tick)
        runner = durable._runner
        if runner is not None:
            due = runner.next_due()
            if (due is not None and due <= now) or runner.blocked:
                acted += len(self._tick_ladders(runner, now))
        return acted

    def _tick_ladders(self, runner: LadderRunner, now: datetime) -> list[RungApplied]:
        """Apply the rungs due; journal them (command ``ladder``) when there are any.

        A tick that applies no rung changes only the runner's own bookkeeping (which items
        it has looked up, which are held), not the router, and is not journalled.
        """
        durable = self._durable
        durable._replay_clock.moment = now
        args: dict[str, Any] = {}
        try:
            applied = durable._ladder_tick(durable._replica, args)
        except BaseException as error:
            durable._stale = True
            durable._captured.clear()
            self._uow.fail(
                f"routing domain {durable.domain}: a ladder tick failed after it began "
                f"changing the router ({type(error).__name__}: {error})"
            )
            raise
        if applied:
            self._record(_LADDER_COMMAND, args, now)
            self._rungs.extend(applied)
        return applied

    # ------------------------------------------------------------------ reads

    def load(self, agent_id: str) -> int:
        """[`Router.load`][]."""
        return self.query(lambda r: r.load(agent_id))

    def state_of(self, item_id: str) -> ItemState:
        """[`Router.state_of`][]."""
        return self.query(lambda r: r.state_of(item_id))

    def explain(self, item_id: str) -> Decision:
        """[`Router.explain`][]."""
        return self.query(lambda r: r.explain(item_id))

    def next_deadline(self) -> datetime | None:
        """[`Router.next_deadline`][], or an escalation rung's due time when sooner."""
        return self.query(self._durable._next_deadline)
