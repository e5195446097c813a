"""PostgreSQL through a connection pool: units of work of several threads run at once, each on
its own connection, and the locks they take (routing domains) are held on that connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from casekit.errors import StorageError, StorageUnavailable, ValidationError
from casekit.routing import Agent, Presence, WorkItem
from casekit.storage import DurableRouter, PostgresStorage
from casekit.storage.sql import SqlUnitOfWork
from casekit.testing.postgres_server import PostgresServer
from casekit.testing.storage_contract import unique

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
Open = Callable[..., PostgresStorage]


@pytest.fixture(scope="module")
def conninfo(pg_server: PostgresServer) -> str:
    """One migrated database for this module's storages."""
    conninfo = pg_server.create_database(unique("pool").lower().replace("-", "_"))
    PostgresStorage.migrate(conninfo)
    return conninfo


@pytest.fixture
def open_storage(conninfo: str) -> Iterator[Open]:
    """Open storages on the module's database; all closed after the test."""
    made: list[PostgresStorage] = []

    def make(**options: object) -> PostgresStorage:
        storage = PostgresStorage(conninfo, **options)  # type: ignore[arg-type]
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.close()


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # shown by the test that joins it
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def test_units_of_work_of_two_threads_run_at_once(open_storage: Open) -> None:
    """One thread's open unit of work does not hold up another's: each has a connection."""
    storage = open_storage(pool_size=2, pool_timeout=10)
    mine, theirs = unique(), unique()

    def other() -> None:
        with storage.unit_of_work() as uow:
            uow.documents.put("things", theirs, {}, expected_version=0, labels={}, updated_at=T0)
            uow.commit()

    with storage.unit_of_work() as uow:
        uow.documents.put("things", mine, {}, expected_version=0, labels={}, updated_at=T0)
        thread, errors = _in_thread(other)
        thread.join(timeout=5)
        assert not thread.is_alive(), "the second unit of work waited for the first"
        assert errors == []
        assert uow.documents.get("things", theirs) is not None  # committed, READ COMMITTED
        uow.commit()


def test_a_routing_domain_lock_is_held_on_the_unit_of_works_own_connection(
    open_storage: Open,
) -> None:
    """The domain lock a unit of work takes keeps another thread's out until it ends."""
    storage = open_storage(pool_size=2, pool_timeout=10)
    domain = unique("team")
    got_it = threading.Event()

    def other() -> None:
        with storage.unit_of_work() as uow:
            uow.journal.lock(domain)
            got_it.set()

    with storage.unit_of_work() as uow:
        uow.journal.lock(domain)
        assert isinstance(uow, SqlUnitOfWork)
        held = uow.dialect.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid = pg_backend_pid()"
        ).fetchone()
        assert held[0] >= 1  # on this unit of work's connection, not some other one
        thread, errors = _in_thread(other)
        assert not got_it.wait(0.5), "another unit of work took the domain while it was held"
        uow.commit()
    assert got_it.wait(5)
    thread.join(timeout=5)
    assert errors == []


def test_durable_routers_of_many_threads_share_a_domain_without_losing_a_decision(
    open_storage: Open,
) -> None:
    """Four threads, each with its replica of one domain, route through one pool."""
    storage = open_storage(pool_size=4, pool_timeout=10)
    domain = unique("shared")
    setup = DurableRouter(storage, domain, snapshot_every=None)
    for n in range(4):
        setup.add_agent(Agent(f"a{n}", {"b": 1}, capacity=20), Presence.AVAILABLE)
    start = threading.Barrier(4, timeout=10)

    def route(worker: int) -> Callable[[], None]:
        def run() -> None:
            router = DurableRouter(storage, domain, snapshot_every=None)
            start.wait()
            for n in range(10):
                router.submit(WorkItem(f"w{worker}-{n}", {"b": 1}))

        return run

    threads = [_in_thread(route(worker)) for worker in range(4)]
    for thread, _ in threads:
        thread.join(timeout=60)
    assert [error for _, errors in threads for error in errors] == []
    replica = DurableRouter(storage, domain, snapshot_every=None)
    replica.refresh()
    assert replica.position == 4 + 40
    offered = {status.item.id for status in replica.items() if status.agent_id is not None}
    assert len(offered) == 40


def test_a_full_pool_makes_a_unit_of_work_wait_then_fail_as_unavailable(
    open_storage: Open,
) -> None:
    storage = open_storage(pool_size=1, pool_timeout=0.2)
    failed: list[BaseException] = []

    def other() -> None:
        try:
            with storage.unit_of_work():
                pass  # pragma: no cover - the pool has no connection to give
        except StorageUnavailable as error:
            failed.append(error)

    with storage.unit_of_work():
        thread, errors = _in_thread(other)
        thread.join(timeout=5)
    assert errors == []
    assert len(failed) == 1
    assert "all 1 of the pool are in use" in str(failed[0])
    with storage.unit_of_work() as uow:  # the connection is back in the pool
        assert uow.documents.get("things", unique()) is None


def test_a_closed_storage_refuses_units_of_work(open_storage: Open) -> None:
    storage = open_storage()
    storage.close()
    with pytest.raises(StorageError, match="closed"), storage.unit_of_work():
        pass  # pragma: no cover


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"pool_size": 0}, "pool_size"),
        ({"pool_size": "4"}, "pool_size"),
        ({"pool_timeout": -1}, "pool_timeout"),
        ({"migrate": "yes"}, "migrate"),
    ],
)
def test_pool_options_are_checked_at_the_door(
    open_storage: Open, options: dict[str, object], words: str
) -> None:
    with pytest.raises(ValidationError, match=words):
        open_storage(**options)
