"""The routing part of the storage contract: the journal port, and the durable router on it.

- `JournalContract`: pytest tests every adapter's
  [`RoutingJournal`][casekit.storage.ports.RoutingJournal] must pass (subclass it and provide a
  ``storage`` fixture, as for `StorageContract`).
- `durable_router_machine`: [`RouterStateMachine`][] run against
  a [`DurableRouter`][] on your storage, with every command also applied
  to an in-memory [`Router`][] (the oracle: same answers, same errors,
  same state and decisions) and a rule that rebuilds the replica from the journal, from a
  snapshot, and in a second replica (another process), each equal to the live one.
- `router_worker`: a routing process for crash and multi-process tests.

Needs ``pip install casekit[testing]`` (pytest and Hypothesis).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from casekit.clock import ManualClock
from casekit.errors import CasekitError, ConcurrencyConflict, ValidationError
from casekit.routing import Agent, Presence, Router, WorkItem
from casekit.routing.explain import ExplainDetail
from casekit.storage.durable_router import SNAPSHOT_FORMAT, DurableRouter
from casekit.storage.ports import JournalEntry, JournalSnapshot
from casekit.storage.unit_of_work import Storage
from casekit.testing.contract_support import open_storage
from casekit.testing.routing import RouterStateMachine

__all__ = [
    "JournalContract",
    "durable_router_machine",
    "observable",
    "router_worker",
]

_T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _domain() -> str:
    return f"d-{uuid.uuid4().hex[:12]}"


def observable(router: Router) -> object:
    """Everything a caller can see of a router: agents, items, queue, decisions, deadline."""
    return (
        router.agents(),
        router.items(),
        router.queue(),
        tuple(router.decisions(status.item.id) for status in router.items()),
        router.next_deadline(),
        router.queue_length(),
    )


class JournalContract:
    """The routing journal every adapter implements (``storage`` fixture, class-scoped)."""

    def _entry(self, domain: str, seq: int, command: str = "tick") -> JournalEntry:
        return JournalEntry(domain, seq, _T0 + timedelta(seconds=seq), command, {"n": seq})

    def test_append_read_and_head(self, storage: Storage) -> None:
        """Appended entries read back in order, per domain; the head is the last seq."""
        domain, other = _domain(), _domain()
        with storage.unit_of_work() as uow:
            uow.journal.lock(domain)
            assert uow.journal.head(domain) == 0
            uow.journal.append([self._entry(domain, 1), self._entry(domain, 2)])
            uow.journal.append([self._entry(other, 1)])
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.journal.head(domain) == 2
            assert uow.journal.read(domain) == [self._entry(domain, 1), self._entry(domain, 2)]
            assert uow.journal.read(domain, after=1) == [self._entry(domain, 2)]
            assert uow.journal.read(domain, after=0, limit=1) == [self._entry(domain, 1)]
            assert uow.journal.read(other) == [self._entry(other, 1)]
            assert {domain, other} <= set(uow.journal.domains())

    def test_a_taken_or_skipped_sequence_conflicts_and_writes_nothing(
        self, storage: Storage
    ) -> None:
        """A seq already taken, or one that leaves a gap, conflicts and writes nothing."""
        domain = _domain()
        with storage.unit_of_work() as uow:
            uow.journal.append([self._entry(domain, 1)])
            uow.commit()
        for seqs in ([1], [3], [2, 2], [2, 4]):
            with storage.unit_of_work() as uow:
                with pytest.raises(ConcurrencyConflict):
                    uow.journal.append([self._entry(domain, n) for n in seqs])
                assert uow.journal.head(domain) == 1
                uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.journal.head(domain) == 1

    def test_bad_entries_are_refused_before_anything_is_written(self, storage: Storage) -> None:
        """A bad entry anywhere in a batch refuses the whole batch."""
        domain = _domain()
        bad: list[object] = [
            "not an entry",
            JournalEntry("", 2, _T0, "tick", {}),
            JournalEntry(domain, 0, _T0, "tick", {}),
            JournalEntry(domain, 2, _T0.replace(tzinfo=None), "tick", {}),
            JournalEntry(domain, 2, _T0, " ", {}),
            JournalEntry(domain, 2, _T0, "tick", {"x": float("nan")}),
            JournalEntry(domain, 2, _T0, "tick", {"x": b"bytes"}),
        ]
        for entry in bad:
            with storage.unit_of_work() as uow:
                with pytest.raises(ValidationError):
                    uow.journal.append([self._entry(domain, 1), entry])  # type: ignore[list-item]
                uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.journal.head(domain) == 0

    def test_appends_roll_back(self, storage: Storage) -> None:
        """An append not committed is gone."""
        domain = _domain()
        with storage.unit_of_work() as uow:
            uow.journal.append([self._entry(domain, 1)])
        with storage.unit_of_work() as uow:
            assert uow.journal.head(domain) == 0
            assert uow.journal.read(domain) == []

    def test_snapshots_keep_the_latest(self, storage: Storage) -> None:
        """A later snapshot replaces an earlier one, never the other way round."""
        domain = _domain()
        first = JournalSnapshot(domain, 5, "f", b"\x00five", _T0)
        later = JournalSnapshot(domain, 9, "f", b"nine", _T0 + timedelta(hours=1))
        with storage.unit_of_work() as uow:
            assert uow.journal.snapshot(domain) is None
            uow.journal.save_snapshot(first)
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.journal.save_snapshot(later)
            uow.journal.save_snapshot(first)  # older: kept is the later one
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.journal.snapshot(domain) == later
            with pytest.raises(ValidationError):
                uow.journal.save_snapshot(JournalSnapshot(domain, 10, "f", "text", _T0))  # type: ignore[arg-type]
            uow.journal.save_snapshot(JournalSnapshot(domain, 12, "f", b"twelve", _T0))
        with storage.unit_of_work() as uow:
            assert uow.journal.snapshot(domain) == later

    def test_durable_router_is_shared_and_rebuilt(self, storage: Storage) -> None:
        """Two replicas share a domain; a rollback is as if nothing ran; a cold start agrees."""
        domain = _domain()
        clock = ManualClock(_T0)
        one = DurableRouter(storage, domain, clock=clock, snapshot_every=3)
        two = DurableRouter(storage, domain, clock=clock, snapshot_every=None)
        one.add_agent(Agent("ana", {"a": 1}, capacity=2), Presence.AVAILABLE)
        offer = two.submit(WorkItem("c1", {"a": 1}))
        assert offer is not None
        assert offer.agent_id == "ana"
        one.accept("c1", "ana")
        assert two.load("ana") == 1
        with storage.unit_of_work() as uow:
            bound = one.bind(uow)
            bound.submit(WorkItem("c2", {"a": 1}))
            bound.submit(WorkItem("c3", {"a": 1}))
            assert bound.load("ana") == 2
            # not committed: as if it never ran
        assert one.load("ana") == 1
        assert two.read(lambda r: r.queue_length()) == 0
        one.submit(WorkItem("c2", {"a": 1}))
        one.submit(WorkItem("c3", {"a": 1}))
        cold = DurableRouter(storage, domain, clock=clock)
        assert cold.read(observable) == one.read(observable) == two.read(observable)
        with storage.unit_of_work() as uow:
            snapshot = uow.journal.snapshot(domain)
        assert snapshot is not None
        assert snapshot.format == SNAPSHOT_FORMAT

    def test_offer_batch_reproduction_offers_each_item_once(self, storage: Storage) -> None:
        """Regression: offer_batch offered ``ok0`` twice and charged the agent twice.

        The removed engine did so behind unroutable items. One agent (skill a, capacity 5);
        seven items nobody can take ahead of ok0..ok2; routed in one unit of work.
        """
        domain = _domain()
        clock = ManualClock(_T0)
        router = DurableRouter(storage, domain, clock=clock)
        router.add_agent(Agent("agent", {"a": 1}, capacity=5), Presence.AVAILABLE)
        with storage.unit_of_work() as uow:
            bound = router.bind(uow)
            offers = [bound.submit(WorkItem(f"b{n}", {"b": 1})) for n in range(7)]
            offers += [bound.submit(WorkItem(f"ok{n}", {"a": 1})) for n in range(3)]
            uow.commit()
        made = [o.item_id for o in offers if o is not None]
        assert made == ["ok0", "ok1", "ok2"]
        assert router.load("agent") == 3
        for item_id in made:
            router.accept(item_id, "agent")
            router.release(item_id)
        assert router.load("agent") == 0
        for n in range(7):
            router.release(f"b{n}")
        assert router.read(len) == 0


class _DurableFacade:
    """A Router-shaped object for [`RouterStateMachine`][].

    Every mutating command goes through a durable router (a unit of work each) and through
    an in-memory oracle; the answers, errors and states must agree. Reads come from the
    durable replica.
    """

    _MUTATING: ClassVar[frozenset[str]] = frozenset(
        {
            "add_agent",
            "remove_agent",
            "set_presence",
            "set_skills",
            "set_capacity",
            "submit",
            "accept",
            "decline",
            "release",
            "advance",
            "requeue",
            "assign",
            "unpin",
            "tick",
        }
    )

    def __init__(self, durable: DurableRouter, oracle: Router) -> None:
        self.durable = durable
        self.oracle = oracle

    def subscribe(self, callback: Callable[[Any], None]) -> None:
        self.durable.subscribe(callback)

    def __len__(self) -> int:
        return len(self.durable._replica)

    def __getattr__(self, name: str) -> Any:
        durable = self.durable
        if name in self._MUTATING:

            def command(*args: Any, **kwargs: Any) -> Any:
                return self._both(name, args, kwargs)

            return command
        attribute = getattr(durable._replica, name)
        if not callable(attribute):
            return attribute

        def read(*args: Any, **kwargs: Any) -> Any:
            durable._replay_clock.moment = durable.clock.now()
            return getattr(durable._replica, name)(*args, **kwargs)

        return read

    def _both(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        expected: Any = None
        expected_error: BaseException | None = None
        try:
            expected = getattr(self.oracle, name)(*args, **kwargs)
        except CasekitError as error:
            expected_error = error
        try:
            result = getattr(self.durable, name)(*args, **kwargs)
        except CasekitError as error:
            refused: CasekitError = error
            if expected_error is None or type(refused) is not type(expected_error):
                raise AssertionError(
                    f"durable {name} refused ({refused!r}); oracle: {expected_error!r}"
                ) from error
            raise
        assert expected_error is None, f"oracle {name} refused ({expected_error}); durable did not"
        assert result == expected, f"{name}: durable {result!r} != oracle {expected!r}"
        self.durable._replay_clock.moment = self.durable.clock.now()
        assert observable(self.durable._replica) == observable(self.oracle), name
        return result


def durable_router_machine(storage: Storage, **options: Any) -> type[RouterStateMachine]:
    """[`RouterStateMachine`][] against a [`DurableRouter`][] on ``storage``.

    Every command goes through the durable router (one unit of work each) and through an
    in-memory [`Router`][] built with the same ``options`` (the oracle): answers, errors,
    states and ``explain()`` decisions must agree after every step. The extra rule
    ``rebuild_replica`` drops the replica and rebuilds it from the journal, from a snapshot
    and as a second replica (another process would), each equal to the live router.
    Run it with ``run_state_machine_as_test(durable_router_machine(storage, ...))``.
    """
    options.setdefault("explain", ExplainDetail.FULL)

    class DurableRouterMachine(RouterStateMachine):
        def make_router(self, clock: ManualClock) -> Router:
            self.domain = _domain()
            self.durable = DurableRouter(
                storage, self.domain, clock=clock, snapshot_every=None, **options
            )
            oracle = Router(clock=clock, **options)
            return _DurableFacade(self.durable, oracle)  # type: ignore[return-value]

        @precondition(lambda self: True)
        @rule(how=st.sampled_from(["journal", "snapshot", "second replica"]))
        def rebuild_replica(self, how: str) -> None:
            """Drop the replica and rebuild it; the rebuilt router equals the live one."""
            live = self.durable.read(observable)
            if how == "snapshot":
                self.durable.take_snapshot()
                self.durable.rebuild()
            elif how == "journal":
                with storage.unit_of_work() as uow:
                    snapshot = uow.journal.snapshot(self.domain)
                self.durable._stale = True
                self.durable._lock.acquire()
                try:
                    self.durable._replica = self.durable._fresh()
                    if self.durable._subscribers:
                        self.durable._replica.subscribe(self.durable._captured.append)
                    self.durable._seq = 0
                    self.durable._stale = False
                finally:
                    self.durable._lock.release()
                self.durable.refresh()
                assert snapshot is None or snapshot.seq <= self.durable.position
            else:
                other = DurableRouter(
                    storage, self.domain, clock=self.clock, snapshot_every=None, **options
                )
                assert other.read(observable) == live
            assert self.durable.read(observable) == live

    DurableRouterMachine.__name__ = "DurableRouterMachine"
    return DurableRouterMachine


# ---------------------------------------------------------------------- a routing process


def router_worker(argv: Sequence[str]) -> None:
    """A routing process: ``BACKEND TARGET DOMAIN SEED COUNT [BATCH]``.

    It routes ``COUNT`` operations on ``DOMAIN`` of the storage (``sqlite`` path or
    ``postgres`` conninfo): submits items ``SEED-n`` needing skill ``s``, accepts, declines,
    finishes (releases) items it sees offered, changes presence of agents ``agent-*`` and
    ticks, drawn from a generator seeded by ``SEED``. After each commit it writes one line
    ``C <journal position> <op>`` to standard output and flushes, so whoever kills it knows
    what was committed. ``BATCH`` commands go in one unit of work. Conflicts are retried.
    """
    import random  # noqa: PLC0415  only the worker needs it

    backend, target, domain, seed, count, *rest = argv
    batch = int(rest[0]) if rest else 1
    rng = random.Random(seed)
    clock = ManualClock(_T0 + timedelta(seconds=rng.random()))
    storage = open_storage(backend, target, clock=clock)
    router = DurableRouter(storage, domain, clock=clock, push_timeout=timedelta(seconds=30))
    made = 0
    serial = 0
    began = time.perf_counter()
    while made < int(count):
        clock.advance(timedelta(milliseconds=rng.randint(1, 50)))
        ops: list[str] = []
        for attempt in range(20):
            try:
                with storage.unit_of_work() as uow:
                    bound = router.bind(uow)
                    ops = []
                    for _ in range(batch):
                        ops.append(_one_operation(bound, rng, seed, serial))
                        serial += 1
                    uow.commit()
                break
            except ConcurrencyConflict:
                time.sleep(0.001 * (attempt + 1))
        else:  # never committed: report nothing as committed
            raise ConcurrencyConflict(f"{domain}: 20 conflicts in a row; giving up")
        made += batch
        sys.stdout.write(f"C {router.position} {json.dumps(ops)}\n")
        sys.stdout.flush()
    sys.stdout.write(f"T {time.perf_counter() - began:.6f} {made}\n")
    sys.stdout.flush()
    storage.close()


def _one_operation(bound: Any, rng: Any, seed: str, serial: int) -> str:
    replica: Router = bound.router
    states = replica._items  # the worker's own cheap look at the replica (a test tool)
    roll = rng.random()
    if roll < 0.35:
        item_id = f"{seed}-{serial}"
        bound.submit(WorkItem(item_id, {"s": 1}, weight=rng.choice((1, 1, 2))))
        return f"submit {item_id}"
    offered = [(i, s.agent_id) for i, s in states.items() if s.state.value == "Offered"]
    if offered and roll < 0.75:
        item_id, agent_id = rng.choice(offered)
        if roll < 0.65:
            bound.accept(item_id, agent_id)
            return f"accept {item_id}"
        bound.decline(item_id, agent_id)
        return f"decline {item_id}"
    held = [i for i, s in states.items() if s.state.value == "Accepted"]
    if held and roll < 0.9:
        item_id = rng.choice(held)
        bound.release(item_id)
        return f"release {item_id}"
    agent_ids = sorted(replica._agents)
    if agent_ids and roll < 0.96:
        agent_id = rng.choice(agent_ids)
        presence = rng.choice((Presence.AVAILABLE, Presence.AVAILABLE, Presence.BUSY))
        bound.set_presence(agent_id, presence)
        return f"presence {agent_id} {presence.value}"
    return f"tick {bound.tick()}"


if __name__ == "__main__":
    router_worker(sys.argv[1:])
