"""Routing state in SQL, shared by the SQLite and PostgreSQL adapters.

Tables (schema version 3): ``routing_agents`` (a CHECK keeps ``0 <= load <= capacity``;
``last_offer_at`` is ``''`` until the first offer), ``routing_items`` and
``routing_offers`` (every offer ever made). Indexes: ``routing_queued`` (partial: queued
items in queue order), ``routing_offered`` (partial: offered items by deadline),
``routing_candidates`` (agents in candidate order: available, load, last offer, id) and
``routing_offers_item``. Every decision is a few statements in the caller's transaction:

- SQLite: the unit of work holds the database's write lock (``BEGIN IMMEDIATE``), so
  routers in several processes simply take turns, and what a batch reads stays current.
- PostgreSQL: :meth:`SqlRouting.offer_batch` (and ``offer_next``, a batch of one) locks
  the first queued items with ``FOR UPDATE SKIP LOCKED`` (two routers never pick the same
  item; each skips what the other holds) and reads the candidate agents a page at a time
  with ``FOR UPDATE SKIP LOCKED`` too: an agent another router holds is passed over for
  the next best, not waited for (balancing is then approximate, and a batch may come back
  empty while every qualified agent is held by another router: call it again). The rows
  it holds cannot change under it, so it counts the loads it gives itself and writes them
  once (``load = load + n``; the CHECK backs capacity up): an agent is never over capacity
  and an item is never offered twice.

A batch gives offers to up to ``limit`` different agents and holds each until it commits;
on PostgreSQL, keep ``limit`` at most the number of agents divided by the number of
routers, or routers wait for one another's agents (their batches come back short).

Complexity, per call: ``offer_batch`` reads the queue ``limit`` items at a time (at least
8 on SQLite) from the ``routing_queued`` index, past items no agent can take (one read
when the head of the queue is routable), and the candidates a page at a time from the
``routing_candidates`` index (first page 4..16 agents, then doubling; all of them only when
no agent read so far qualifies), moves a chosen agent in O(log a) comparisons (plus the
list insert), and writes with 3 statements per 500 offers: O(limit + pages) statements,
independent of how many items and agents there are. ``expire`` reads offers due from the
``routing_offered`` index; ``set_presence(False)`` reads the agent's offers; the other
operations touch one item and at most one agent.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from casekit.clock import as_utc
from casekit.errors import (
    AlreadyExists,
    CapacityExceeded,
    CorruptRecord,
    NotFound,
    OfferNotPending,
    ValidationError,
)
from casekit.priority import Priority
from casekit.storage.ports import AgentState, AuditLog, ItemState, RoutingItem, RoutingStore
from casekit.storage.sql import Cursor, SqlDialect

__all__ = [
    "ROUTING_INDEXES_V3",
    "ROUTING_TABLES",
    "SqlRouting",
    "check_agent",
    "parse_time",
    "time_text",
]

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width: text order is time order
_TIME_WIDTH = 27
_BATCH = 8
_FIRST_PAGE = 16  # most candidate agents read at first; each further page twice as long
_MIN_PAGE = 4  # candidate agents read at first for a single offer
_WRITE_CHUNK = 500  # rows per batched write (under SQLite's parameter limit)
_MAX_PAGE = 512
_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}
_BY_RANK = {rank: priority for priority, rank in _RANK.items()}

ROUTING_TABLES = (
    "CREATE TABLE IF NOT EXISTS routing_agents ("
    " agent_id text PRIMARY KEY, skills text NOT NULL, capacity integer NOT NULL,"
    " available integer NOT NULL, load integer NOT NULL, last_offer_at text,"
    " CHECK (load >= 0 AND load <= capacity))",
    "CREATE TABLE IF NOT EXISTS routing_items ("
    " item_id text PRIMARY KEY, state text NOT NULL, rank integer NOT NULL,"
    " skills text NOT NULL, enqueued_at text NOT NULL, agent_id text, deadline text,"
    " declined_by text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS routing_queue"
    " ON routing_items (state, rank DESC, enqueued_at, item_id)",
    "CREATE INDEX IF NOT EXISTS routing_deadlines ON routing_items (state, deadline)",
    "CREATE TABLE IF NOT EXISTS routing_offers ("
    " item_id text NOT NULL, agent_id text NOT NULL, offered_at text NOT NULL,"
    " deadline text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS routing_offers_item ON routing_offers (item_id)",
)
"""The statements of schema version 2 (the same for SQLite and PostgreSQL)."""

_QUEUED = "'Awaiting Assignment'"  # ItemState.QUEUED as an SQL literal (partial indexes)
_OFFERED = "'Offered'"  # ItemState.OFFERED as an SQL literal

ROUTING_INDEXES_V3 = (
    # Partial indexes: an offer removes the item from the queue index and adds it to the
    # offers index, instead of moving entries inside two indexes that hold every item.
    "DROP INDEX IF EXISTS routing_queue",
    "DROP INDEX IF EXISTS routing_deadlines",
    "CREATE INDEX IF NOT EXISTS routing_queued ON routing_items (rank DESC, enqueued_at, item_id)"
    f" WHERE state = {_QUEUED}",
    "CREATE INDEX IF NOT EXISTS routing_offered ON routing_items (deadline, item_id)"
    f" WHERE state = {_OFFERED}",
    # Never offered is '' (not NULL): it sorts first in both databases, so one index serves
    # the candidate order (least loaded, offered work longest ago, id).
    "UPDATE routing_agents SET last_offer_at = '' WHERE last_offer_at IS NULL",
    "CREATE INDEX IF NOT EXISTS routing_candidates"
    " ON routing_agents (available, load, last_offer_at, agent_id)",
)
"""What schema version 3 changes in the routing tables (SQLite and PostgreSQL)."""


def time_text(moment: datetime) -> str:
    """A time as fixed-width UTC text: ``2026-03-02T09:00:00.000000Z``."""
    text = as_utc(moment).isoformat(timespec="microseconds")  # ...+00:00, years 0001-9999
    return text[:26] + "Z"


def parse_time(text: str) -> datetime:
    """Text written by :func:`time_text` back as a UTC datetime.

    Raises:
        ValueError: ``text`` is not in that exact format.
    """
    if len(text) != _TIME_WIDTH or text[-1] != "Z" or text[10] != "T":
        raise ValueError(f"time {text!r} is not in the format {_TIME_FORMAT}")
    return datetime.fromisoformat(text)  # UTC from the Z; far faster than strptime


def check_agent(agent_id: str, skills: Iterable[str], capacity: int) -> frozenset[str]:
    """Validate an agent's definition and return its skills as a set.

    Raises:
        ValidationError: An empty id, a non-string skill or a capacity below 1.
    """
    if not isinstance(agent_id, str) or not agent_id.strip():
        raise ValidationError(f"agent id must be a non-empty string, got {agent_id!r}")
    if type(capacity) is not int or capacity < 1:
        raise ValidationError(f"capacity of agent {agent_id} must be an int >= 1, got {capacity!r}")
    return _skills(f"agent {agent_id}", skills)


def _skills(what: str, skills: Iterable[str]) -> frozenset[str]:
    if isinstance(skills, str):
        raise ValidationError(f"skills of {what} must be a collection of strings, not one string")
    result = frozenset(skills)
    if any(not isinstance(s, str) or not s for s in result):
        raise ValidationError(f"skills of {what} must be non-empty strings, got {sorted(result)!r}")
    return result


@functools.lru_cache(maxsize=4096)
def _skill_set(text: str) -> frozenset[str]:
    """A stored skill list (JSON text) as a set; cached, agents' skills rarely change."""
    return frozenset(json.loads(text))


class _Guarded:
    """A dialect whose statements first check the unit of work is active."""

    def __init__(self, dialect: SqlDialect, guard: Callable[[], None]) -> None:
        self._dialect = dialect
        self._guard = guard

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        self._guard()
        return self._dialect.execute(sql, params)


class _Agent:
    """A candidate agent as one batch of offers sees it; ``key`` is its place in the order."""

    __slots__ = ("agent_id", "capacity", "key", "load", "skills")

    def __init__(self, agent_id: str, skills: frozenset[str], load: int, capacity: int, last: str):
        self.agent_id = agent_id
        self.skills = skills
        self.load = load
        self.capacity = capacity
        self.key = (load, last, agent_id)


class _Candidates:
    """The available agents with room, best first, read a page at a time, for one batch.

    Best first is least loaded, then offered work longest ago, then id: the order of the
    ``routing_candidates`` index. Pages are read by key (after the last agent read), so
    agents already read are not read again. The rows read are current and held until the
    transaction ends: SQLite's unit of work holds the write lock, and on PostgreSQL each
    page is locked ``FOR UPDATE SKIP LOCKED`` (agents another router holds are passed
    over, not waited for). So the batch keeps their loads itself, moving an agent given an
    offer to its new place, and writes them once, at the end (:meth:`write`).
    """

    def __init__(self, db: _Guarded, lock: str, first_page: int) -> None:
        self._db = db
        self._lock = lock
        self._read: list[_Agent] = []
        self._ids: set[str] = set()
        self._after: tuple[int, str, str] | None = None
        self._page = first_page
        self._more = True
        self._given: dict[str, int] = {}

    def __iter__(self) -> Iterator[_Agent]:
        position = 0
        while True:
            if position < len(self._read) and not (
                # an agent moved past the last one read: unread ones may come before it
                self._more and self._after is not None and self._read[position].key > self._after
            ):
                yield self._read[position]
                position += 1
            elif self._more:
                self._next_page()
            else:
                return

    def _next_page(self) -> None:
        sql = "SELECT agent_id, skills, load, capacity, last_offer_at FROM routing_agents "
        sql += "WHERE available = 1 AND load < capacity"
        params: list[object] = []
        if self._after is not None:
            sql += " AND (load, last_offer_at, agent_id) > (?, ?, ?)"
            params.extend(self._after)
        sql += " ORDER BY available, load, last_offer_at, agent_id LIMIT ?" + self._lock
        params.append(self._page)
        rows = self._db.execute(sql, params).fetchall()
        for agent_id, skills, load, capacity, last in rows:
            try:
                agent = _Agent(str(agent_id), _skill_set(skills), int(load), int(capacity), last)
            except (TypeError, ValueError) as error:
                raise CorruptRecord(f"table routing_agents, key {agent_id!r}: {error}") from error
            if self._after is None or agent.key > self._after:
                self._after = agent.key
            if agent.agent_id not in self._ids:
                self._ids.add(agent.agent_id)
                if self._read and self._read[-1].key > agent.key:
                    bisect.insort(self._read, agent, key=_by_key)  # after one given offers
                else:
                    self._read.append(agent)  # pages come in order
        self._more = len(rows) == self._page
        self._page = min(2 * self._page, _MAX_PAGE)

    def give(self, agent: _Agent, stamp: str) -> None:
        """Give ``agent`` one more item, offered at ``stamp``; it moves to its new place."""
        self._read.remove(agent)
        agent.load += 1
        agent.key = (agent.load, stamp, agent.agent_id)
        self._given[agent.agent_id] = self._given.get(agent.agent_id, 0) + 1
        if agent.load < agent.capacity:
            bisect.insort(self._read, agent, key=_by_key)

    def write(self, stamp: str) -> None:
        """Store the loads given and the time of the last offer (``CHECK`` backs capacity).

        One statement per 500 agents.
        """
        given = sorted(self._given.items())
        for start in range(0, len(given), _WRITE_CHUNK):
            chunk = given[start : start + _WRITE_CHUNK]
            params: list[object] = [stamp]
            for agent_id, count in chunk:
                params.extend((agent_id, count))
            params.extend(agent_id for agent_id, _ in chunk)
            self._db.execute(
                "UPDATE routing_agents SET last_offer_at = ?, load = load + CASE agent_id"
                + " WHEN ? THEN ?" * len(chunk)
                + " END WHERE agent_id IN ("
                + ", ".join("?" for _ in chunk)
                + ")",
                params,
            )


def _by_key(agent: _Agent) -> tuple[int, str, str]:
    return agent.key


def _first_qualified(
    candidates: _Candidates, needed: frozenset[str], declined: frozenset[str]
) -> _Agent | None:
    """The best candidate holding every skill ``needed`` who has not declined, if any."""
    for agent in candidates:
        if agent.agent_id not in declined and needed <= agent.skills:
            return agent
    return None


class SqlRouting(RoutingStore):
    """The routing store over a :class:`~casekit.storage.sql.SqlDialect`, in its transaction."""

    def __init__(
        self, dialect: SqlDialect, audit: AuditLog, guard: Callable[[], None], *, skip_locked: bool
    ) -> None:
        self._db = _Guarded(dialect, guard)
        self._audit = audit
        self._lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
        self._lock_row = " FOR UPDATE" if skip_locked else ""

    # ----- rows ---------------------------------------------------------------------
    def _item_row(self, row: Sequence[Any]) -> RoutingItem:
        item_id, state, rank, skills, enqueued_at, agent_id, deadline, declined = row
        try:
            return RoutingItem(
                item_id,
                ItemState(state),
                _BY_RANK[int(rank)],
                frozenset(json.loads(skills)),
                parse_time(enqueued_at),
                agent_id,
                parse_time(deadline) if deadline else None,
                frozenset(json.loads(declined)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CorruptRecord(f"table routing_items, key {item_id!r}: {error}") from error

    def _offered_row(
        self,
        row: Sequence[Any],
        needed: frozenset[str],
        declined: frozenset[str],
        agent_id: str,
        deadline: datetime,
    ) -> RoutingItem:
        """A queued item's row (its skills and declines already read) as now offered."""
        try:
            return RoutingItem(
                row[0], ItemState.OFFERED, _BY_RANK[int(row[2])], needed, parse_time(row[4]),
                agent_id, deadline, declined,
            )  # fmt: skip
        except (KeyError, TypeError, ValueError) as error:
            raise CorruptRecord(f"table routing_items, key {row[0]!r}: {error}") from error

    def _agent_row(self, row: Sequence[Any]) -> AgentState:
        agent_id, skills, capacity, available, load, last = row
        try:
            return AgentState(
                agent_id,
                frozenset(json.loads(skills)),
                int(capacity),
                bool(available),
                int(load),
                parse_time(last) if last else None,
            )
        except (TypeError, ValueError) as error:
            raise CorruptRecord(f"table routing_agents, key {agent_id!r}: {error}") from error

    _ITEM = (
        "SELECT item_id, state, rank, skills, enqueued_at, agent_id, deadline, declined_by "
        "FROM routing_items"
    )
    _AGENT = "SELECT agent_id, skills, capacity, available, load, last_offer_at FROM routing_agents"

    def _locked_item(self, item_id: str) -> RoutingItem:
        row = self._db.execute(
            self._ITEM + " WHERE item_id = ?" + self._lock_row, (item_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no routed item {item_id!r}")
        return self._item_row(row)

    def _free(self, agent_id: str | None) -> None:
        if agent_id is not None:
            self._db.execute(
                "UPDATE routing_agents SET load = load - 1 WHERE agent_id = ?", (agent_id,)
            )

    def _requeue(self, item: RoutingItem, declined: frozenset[str]) -> RoutingItem:
        self._db.execute(
            "UPDATE routing_items SET state = ?, agent_id = NULL, deadline = NULL, "
            "declined_by = ? WHERE item_id = ?",
            (ItemState.QUEUED.value, json.dumps(sorted(declined)), item.item_id),
        )
        self._free(item.agent_id)
        return RoutingItem(
            item.item_id, ItemState.QUEUED, item.priority, item.skills, item.enqueued_at,
            declined_by=declined,
        )  # fmt: skip

    # ----- agents ---------------------------------------------------------------------
    def put_agent(
        self, agent_id: str, *, skills: Iterable[str], capacity: int = 100, available: bool = True
    ) -> AgentState:
        """See :meth:`RoutingStore.put_agent`."""
        held = check_agent(agent_id, skills, capacity)
        current = self.agent(agent_id)
        if current is not None and current.load > capacity:
            raise CapacityExceeded(
                f"agent {agent_id} holds {current.load} items; capacity {capacity} is too low"
            )
        self._db.execute(
            "INSERT INTO routing_agents (agent_id, skills, capacity, available, load, "
            "last_offer_at) VALUES (?, ?, ?, ?, 0, '') ON CONFLICT (agent_id) DO UPDATE SET "
            "skills = excluded.skills, capacity = excluded.capacity",
            (agent_id, json.dumps(sorted(held)), capacity, int(available)),
        )
        if current is not None and current.available != available:
            self.set_presence(agent_id, available)
        agent = self.agent(agent_id)
        assert agent is not None  # written just above
        return agent

    def set_presence(self, agent_id: str, available: bool) -> list[str]:
        """See :meth:`RoutingStore.set_presence`."""
        if (
            self._db.execute(
                "UPDATE routing_agents SET available = ? WHERE agent_id = ?",
                (int(available), agent_id),
            ).rowcount
            != 1
        ):
            raise NotFound(f"no agent {agent_id!r}")
        if available:
            return []
        rows = self._db.execute(
            self._ITEM
            + f" WHERE state = {_OFFERED} AND agent_id = ? ORDER BY item_id"
            + self._lock_row,
            (agent_id,),
        ).fetchall()
        withdrawn = [self._item_row(row) for row in rows]
        for item in withdrawn:
            self._requeue(item, item.declined_by)
        return [item.item_id for item in withdrawn]

    def agent(self, agent_id: str) -> AgentState | None:
        """See :meth:`RoutingStore.agent`."""
        row = self._db.execute(self._AGENT + " WHERE agent_id = ?", (agent_id,)).fetchone()
        return None if row is None else self._agent_row(row)

    def agents(self) -> list[AgentState]:
        """See :meth:`RoutingStore.agents`."""
        rows = self._db.execute(self._AGENT + " ORDER BY agent_id").fetchall()
        return [self._agent_row(row) for row in rows]

    # ----- items ----------------------------------------------------------------------
    def enqueue(
        self, item_id: str, *, priority: Priority, skills: Iterable[str], at: datetime
    ) -> RoutingItem:
        """See :meth:`RoutingStore.enqueue`."""
        if not isinstance(item_id, str) or not item_id.strip():
            raise ValidationError(f"item id must be a non-empty string, got {item_id!r}")
        if not isinstance(priority, Priority):
            raise ValidationError(f"priority of {item_id} must be a Priority, got {priority!r}")
        needed = _skills(f"item {item_id}", skills)
        at = as_utc(at, what=f"enqueue time of {item_id}")
        cursor = self._db.execute(
            "INSERT INTO routing_items (item_id, state, rank, skills, enqueued_at, declined_by) "
            "VALUES (?, ?, ?, ?, ?, '[]') ON CONFLICT DO NOTHING",
            (item_id, ItemState.QUEUED.value, _RANK[priority], json.dumps(sorted(needed)),
             time_text(at)),
        )  # fmt: skip
        if cursor.rowcount != 1:
            raise AlreadyExists(f"item {item_id} is already routed; nothing changed")
        return RoutingItem(item_id, ItemState.QUEUED, priority, needed, parse_time(time_text(at)))

    def offer_next(self, *, now: datetime, timeout: timedelta) -> RoutingItem | None:
        """See :meth:`RoutingStore.offer_next`."""
        offers = self.offer_batch(now=now, timeout=timeout, limit=1)
        return offers[0] if offers else None

    def offer_batch(self, *, now: datetime, timeout: timedelta, limit: int) -> list[RoutingItem]:
        """See :meth:`RoutingStore.offer_batch`.

        Reads the queue ``limit`` items at a time (at least 8 on SQLite; on PostgreSQL
        locked with ``SKIP LOCKED``, so at first no more than may be offered) and the
        candidate agents a page at a time, best first, once per batch; takes room on each
        chosen agent with one conditional ``UPDATE``; writes the offered items and the offer
        log with one batched statement each.
        """
        now = as_utc(now, what="routing time")
        if timeout <= timedelta(0):
            raise ValidationError(f"offer timeout must be positive, got {timeout}")
        if type(limit) is not int or limit < 1:
            raise ValidationError(f"offer batch limit must be an int >= 1, got {limit!r}")
        stamp = time_text(now)
        deadline = time_text(now + timeout)
        expires = parse_time(deadline)
        offered: list[RoutingItem] = []
        candidates: _Candidates | None = None
        size = limit if self._lock else max(limit, _BATCH)
        offset = 0  # queued items passed over (they stay queued, so reads skip them)
        while len(offered) < limit:
            rows = self._db.execute(
                self._ITEM + f" WHERE state = {_QUEUED} ORDER BY rank DESC, enqueued_at, item_id "
                "LIMIT ? OFFSET ?" + self._lock,
                (size, offset),
            ).fetchall()
            if candidates is None:
                if not rows:
                    break
                # A first page about as long as the batch (PostgreSQL locks what it reads).
                first_page = min(max(limit, _MIN_PAGE), _FIRST_PAGE)
                candidates = _Candidates(self._db, self._lock, first_page)
            for row in rows:
                # Only skills and declines decide; the full row is read for the chosen one.
                try:
                    needed, declined = _skill_set(row[3]), _skill_set(row[7])
                except (TypeError, ValueError) as error:
                    raise CorruptRecord(f"table routing_items, key {row[0]!r}: {error}") from error
                agent = _first_qualified(candidates, needed, declined)
                if agent is None:
                    offset += 1
                    continue
                candidates.give(agent, stamp)
                offered.append(self._offered_row(row, needed, declined, agent.agent_id, expires))
                if len(offered) == limit:
                    break
            if len(rows) < size:
                break
            size = max(limit - len(offered), _BATCH)
        if candidates is not None and offered:
            candidates.write(stamp)
            self._record_offers(offered, stamp, deadline)
        return offered

    def _record_offers(self, offered: Sequence[RoutingItem], stamp: str, deadline: str) -> None:
        """Mark the items offered and log the offers: two statements per 500 offers."""
        for start in range(0, len(offered), _WRITE_CHUNK):
            chunk = offered[start : start + _WRITE_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            params: list[object] = [ItemState.OFFERED.value, deadline]
            for item in chunk:
                params.extend((item.item_id, item.agent_id))
            params.extend(item.item_id for item in chunk)
            self._db.execute(
                "UPDATE routing_items SET state = ?, deadline = ?, agent_id = CASE item_id"
                + " WHEN ? THEN ?" * len(chunk)
                + f" END WHERE item_id IN ({marks})",
                params,
            )
            self._db.execute(
                "INSERT INTO routing_offers (item_id, agent_id, offered_at, deadline) VALUES "
                + ", ".join("(?, ?, ?, ?)" for _ in chunk),
                [v for item in chunk for v in (item.item_id, item.agent_id, stamp, deadline)],
            )

    def _pending(self, item_id: str, agent_id: str) -> RoutingItem:
        try:
            item = self._locked_item(item_id)
        except NotFound:
            raise OfferNotPending(f"{item_id} has no pending offer (it is not routed)") from None
        if item.state is not ItemState.OFFERED or item.agent_id != agent_id:
            raise OfferNotPending(
                f"{item_id} is not offered to {agent_id} (state {item.state.value}, "
                f"agent {item.agent_id})"
            )
        return item

    def accept(self, item_id: str, agent_id: str, *, at: datetime) -> RoutingItem:
        """See :meth:`RoutingStore.accept`."""
        item = self._pending(item_id, agent_id)
        self._db.execute(
            "UPDATE routing_items SET state = ?, deadline = NULL WHERE item_id = ?",
            (ItemState.ACCEPTED.value, item_id),
        )
        self._audit.append(item_id, actor=agent_id, action="accept_offer", at=at, after=agent_id)
        return RoutingItem(
            item_id, ItemState.ACCEPTED, item.priority, item.skills, item.enqueued_at,
            agent_id, None, item.declined_by,
        )  # fmt: skip

    def decline(self, item_id: str, agent_id: str) -> RoutingItem:
        """See :meth:`RoutingStore.decline`."""
        item = self._pending(item_id, agent_id)
        return self._requeue(item, item.declined_by | {agent_id})

    def expire(self, *, now: datetime) -> list[str]:
        """See :meth:`RoutingStore.expire`."""
        rows = self._db.execute(
            self._ITEM
            + f" WHERE state = {_OFFERED} AND deadline <= ? ORDER BY item_id"
            + self._lock,
            (time_text(now),),
        ).fetchall()
        expired = [self._item_row(row) for row in rows]
        for item in expired:
            assert item.agent_id is not None  # an offer always names its agent
            self._requeue(item, item.declined_by | {item.agent_id})
        return [item.item_id for item in expired]

    def pin(self, item_id: str, agent_id: str, *, actor: str, at: datetime) -> RoutingItem:
        """See :meth:`RoutingStore.pin`."""
        item = self._locked_item(item_id)
        if self.agent(agent_id) is None:
            raise NotFound(f"no agent {agent_id!r}")
        if item.agent_id != agent_id:
            taken = self._db.execute(
                "UPDATE routing_agents SET load = load + 1 WHERE agent_id = ? AND load < capacity",
                (agent_id,),
            ).rowcount
            if taken != 1:
                raise CapacityExceeded(f"cannot pin {item_id} to {agent_id}: the agent is full")
            self._free(item.agent_id)
        self._db.execute(
            "UPDATE routing_items SET state = ?, agent_id = ?, deadline = NULL WHERE item_id = ?",
            (ItemState.PINNED.value, agent_id, item_id),
        )
        self._audit.append(
            item_id, actor=actor, action="pin", at=at, before=item.agent_id, after=agent_id
        )
        return RoutingItem(
            item_id, ItemState.PINNED, item.priority, item.skills, item.enqueued_at, agent_id,
            None, item.declined_by,
        )  # fmt: skip

    def release(self, item_id: str, *, actor: str, at: datetime) -> RoutingItem:
        """See :meth:`RoutingStore.release`."""
        item = self._locked_item(item_id)
        if item.state is ItemState.QUEUED:
            return item
        self._audit.append(item_id, actor=actor, action="release", at=at, before=item.agent_id)
        return self._requeue(item, item.declined_by)

    def finish(self, item_id: str, *, actor: str, at: datetime) -> None:
        """See :meth:`RoutingStore.finish`."""
        item = self._locked_item(item_id)
        self._db.execute("DELETE FROM routing_items WHERE item_id = ?", (item_id,))
        self._free(item.agent_id)
        self._audit.append(item_id, actor=actor, action="finish", at=at, before=item.agent_id)

    def item(self, item_id: str) -> RoutingItem | None:
        """See :meth:`RoutingStore.item`."""
        row = self._db.execute(self._ITEM + " WHERE item_id = ?", (item_id,)).fetchone()
        return None if row is None else self._item_row(row)

    def items(self) -> list[RoutingItem]:
        """See :meth:`RoutingStore.items`."""
        return [
            self._item_row(row)
            for row in self._db.execute(self._ITEM + " ORDER BY item_id").fetchall()
        ]

    def queue_length(self) -> int:
        """See :meth:`RoutingStore.queue_length`. One indexed count."""
        row = self._db.execute(
            f"SELECT count(*) FROM routing_items WHERE state = {_QUEUED}"
        ).fetchone()
        return int(row[0])

    def offers(self, item_id: str) -> list[tuple[str, datetime]]:
        """See :meth:`RoutingStore.offers`."""
        rows = self._db.execute(
            "SELECT agent_id, deadline FROM routing_offers WHERE item_id = ? ORDER BY offered_at",
            (item_id,),
        ).fetchall()
        return [(str(agent), parse_time(deadline)) for agent, deadline in rows]
