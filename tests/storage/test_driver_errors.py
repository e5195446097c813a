"""Driver errors are classified by one function, and retrying() reruns lost races."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
import pytest

from casekit.errors import (
    ConcurrencyConflict,
    CorruptRecord,
    StorageError,
    StorageUnavailable,
    ValidationError,
)
from casekit.storage import (
    MemoryStorage,
    PostgresStorage,
    SQLiteStorage,
    Storage,
    UnitOfWork,
    retrying,
)
from casekit.storage import retry as retry_module
from casekit.storage.sql import SqlUnitOfWork, translate_error
from casekit.testing.storage_contract import unique

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
StorageFactory = Callable[[str], Storage]


def _raise_sqlstate(uow: UnitOfWork, state: str) -> None:
    assert isinstance(uow, SqlUnitOfWork)
    uow.dialect.execute(  # a real error of that SQLSTATE, raised by the server
        f"DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '{state}'; END $$"
    )


@pytest.mark.parametrize(
    ("state", "error", "words"),
    [
        ("40P01", ConcurrencyConflict, "retrying the whole unit of work is safe"),
        ("40001", ConcurrencyConflict, "retrying the whole unit of work is safe"),
        ("23505", ConcurrencyConflict, "conflicted"),
        ("22021", ValidationError, "refused a value"),
        ("54000", ValidationError, "refused a value"),
        ("08006", StorageUnavailable, "failed"),
        ("57P01", StorageUnavailable, "failed"),
        ("42P01", StorageError, "failed"),
    ],
)
def test_rule_postgres_errors_are_classified_by_sqlstate(
    storage_factory: StorageFactory, state: str, error: type[Exception], words: str
) -> None:
    """Rule: deadlock/serialization -> ConcurrencyConflict, bad value -> ValidationError, ..."""
    storage = storage_factory("postgres")
    assert isinstance(storage, PostgresStorage)
    with storage.unit_of_work() as uow:
        with pytest.raises(error, match=words) as caught:
            _raise_sqlstate(uow, state)
        assert type(caught.value) is error  # a program error is not "unreachable"
        with pytest.raises(StorageError, match="cannot commit"):
            uow.commit()  # the failed statement aborted the transaction


def test_rule_a_failed_statement_makes_the_unit_of_work_refuse_to_commit(
    storage_factory: StorageFactory,
) -> None:
    """Rule: after a driver error the transaction is rolled back, never half-committed."""
    for backend in ("sqlite", "postgres"):
        storage = storage_factory(backend)
        key = unique()
        with storage.unit_of_work() as uow:
            uow.documents.put("things", key, {}, expected_version=0, labels={}, updated_at=T0)
            assert isinstance(uow, SqlUnitOfWork)
            with pytest.raises(ConcurrencyConflict):
                uow.dialect.execute(
                    "INSERT INTO casekit_schema (component, version) VALUES ('storage', 1)"
                )
            with pytest.raises(StorageError, match="cannot commit"):
                uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.documents.get("things", key) is None


def test_rule_translate_error_classifies_every_driver_the_same_way() -> None:
    """Rule: one translation for both SQL adapters, by SQLSTATE, SQLite name or DB-API class."""
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorname = "SQLITE_BUSY"
    cases: list[tuple[BaseException, type[Exception]]] = [
        (psycopg.errors.DeadlockDetected("deadlock detected"), ConcurrencyConflict),
        (psycopg.errors.SerializationFailure("could not serialize"), ConcurrencyConflict),
        (psycopg.errors.UniqueViolation("duplicate key"), ConcurrencyConflict),
        (psycopg.errors.StringDataRightTruncation("too long"), ValidationError),
        (psycopg.errors.ProgramLimitExceeded("index row size exceeds maximum"), ValidationError),
        (
            psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
            ValidationError,
        ),
        (psycopg.OperationalError("server closed the connection unexpectedly"), StorageUnavailable),
        (psycopg.errors.UndefinedTable("relation does not exist"), StorageError),
        (locked, ConcurrencyConflict),
        (sqlite3.OperationalError("database is locked"), ConcurrencyConflict),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), ConcurrencyConflict),
        (sqlite3.DataError("string or blob too big"), ValidationError),
        (sqlite3.OperationalError("unable to open database file"), StorageUnavailable),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), ValidationError),
    ]
    for driver_error, expected in cases:
        translated = translate_error(driver_error, database="db", what="INSERT INTO x")
        assert type(translated) is expected, (driver_error, translated)
        assert str(translated).startswith("db: insert ")


def test_rule_a_surrogate_never_reaches_the_sqlite_driver_as_unicode_error(
    storage_factory: StorageFactory,
) -> None:
    """Rule: a statement the door did not check turns UnicodeEncodeError into ValidationError."""
    storage = storage_factory("sqlite")
    with storage.unit_of_work() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        with pytest.raises(ValidationError, match="surrogate"):
            uow.dialect.execute("SELECT ?", ("\ud800",))


# ----- retrying ---------------------------------------------------------------------------
def test_rule_retrying_reruns_the_whole_unit_of_work_on_conflicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rule: ConcurrencyConflict is retryable; retrying() reruns fn in a fresh unit of work."""
    pauses: list[float] = []
    monkeypatch.setattr(retry_module, "_sleep", pauses.append)
    storage = MemoryStorage()
    key = unique()
    tries: list[UnitOfWork] = []

    def work(uow: UnitOfWork) -> int:
        tries.append(uow)
        uow.documents.put("things", key, {"try": len(tries)}, expected_version=0, labels={},
                          updated_at=T0)  # fmt: skip
        if len(tries) < 3:
            raise ConcurrencyConflict("simulated deadlock")
        return len(tries)

    assert retrying(storage, work) == 3
    assert len({id(uow) for uow in tries}) == 3  # a fresh unit of work each time
    assert len(pauses) == 2
    assert pauses[1] > 0
    with storage.unit_of_work() as uow:
        stored = uow.documents.get("things", key)
    assert stored is not None
    assert (stored.version, stored.body) == (1, {"try": 3})  # the failed tries rolled back


def test_retrying_gives_up_after_its_attempts_and_checks_its_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retry_module, "_sleep", lambda _: None)
    storage = MemoryStorage()
    calls: list[int] = []

    def always(uow: UnitOfWork) -> None:
        calls.append(1)
        raise ConcurrencyConflict("again")

    with pytest.raises(ConcurrencyConflict, match="again"):
        retrying(storage, always, attempts=4)
    assert len(calls) == 4
    with pytest.raises(ValidationError, match="attempts"):
        retrying(storage, always, attempts=0)
    with pytest.raises(ValidationError, match="function"):
        retrying(storage, "work", attempts=2)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):  # other errors are not retried
        retrying(storage, lambda uow: (_ for _ in ()).throw(RuntimeError("no")))
    assert len(calls) == 4


def test_rule_sqlite_locked_then_freed_is_retried_to_success(
    storage_factory: StorageFactory,
) -> None:
    """Rule: "database is locked" after the busy timeout is retried by retrying()."""
    storage = storage_factory("sqlite")
    assert isinstance(storage, SQLiteStorage)
    impatient = SQLiteStorage(storage.path, timeout=0.05)
    other = sqlite3.connect(storage.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock for a while
    release = threading.Timer(0.3, lambda: other.execute("ROLLBACK"))
    release.start()
    key = unique()
    try:
        version = retrying(
            impatient,
            lambda uow: uow.documents.put(
                "things", key, {}, expected_version=0, labels={}, updated_at=T0
            ),
            attempts=20,
        )
    finally:
        release.join()
        other.close()
        impatient.close()
    assert version == 1


def test_rule_a_postgres_deadlock_is_retried_to_success(
    storage_factory: StorageFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Rule: a real deadlock (40P01) is a ConcurrencyConflict that retrying() resolves."""
    caplog.set_level(logging.INFO, logger="casekit.storage.retry")
    first = storage_factory("postgres")
    assert isinstance(first, PostgresStorage)
    second = PostgresStorage(first.conninfo, clock=first.clock)
    a, b = unique("A"), unique("B")
    with first.unit_of_work() as uow:
        uow.documents.put_new("things", [(a, {"n": 0}, {}, T0), (b, {"n": 0}, {}, T0)])
        uow.commit()
    both_hold_one = threading.Barrier(2, timeout=10)
    conflicts: list[str] = []

    def bump(order: tuple[str, str]) -> Callable[[UnitOfWork], None]:
        def work(uow: UnitOfWork) -> None:
            for n, key in enumerate(order):
                doc = uow.documents.get("things", key)
                assert doc is not None
                body = {"n": doc.body["n"] + 1}
                version = doc.version
                uow.documents.put(
                    "things", key, body, expected_version=version, labels={}, updated_at=T0
                )
                if n == 0 and not both_hold_one.broken:
                    with contextlib.suppress(threading.BrokenBarrierError):
                        both_hold_one.wait()
            both_hold_one.abort()  # later tries never wait

        return work

    def run(storage: Storage, order: tuple[str, str]) -> None:
        try:
            retrying(storage, bump(order))
        except ConcurrencyConflict as error:  # pragma: no cover - shown if it fails
            conflicts.append(str(error))

    threads = [
        threading.Thread(target=run, args=(first, (a, b))),
        threading.Thread(target=run, args=(second, (b, a))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second.close()
    assert conflicts == []
    with first.unit_of_work() as uow:
        stored = [uow.documents.get("things", key) for key in (a, b)]
    assert [doc.body["n"] for doc in stored if doc is not None] == [2, 2]
    retried = [r.getMessage() for r in caplog.records if r.name == "casekit.storage.retry"]
    assert any("deadlock detected" in message for message in retried), retried


# ----- constructors and storage-level calls check their arguments -------------------------
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: SQLiteStorage("a\x00b.db"), "NUL"),
        (lambda: SQLiteStorage(5), "path"),  # type: ignore[arg-type]
        (lambda: SQLiteStorage(":memory:", timeout="3"), "timeout"),  # type: ignore[arg-type]
        (lambda: SQLiteStorage(":memory:", timeout=-1), "timeout"),
        (lambda: SQLiteStorage(":memory:", synchronous="OFF"), "synchronous"),
        (lambda: PostgresStorage(""), "connection string"),
        (lambda: PostgresStorage("host=x\x00"), "NUL"),
        (lambda: PostgresStorage("host=x", connect_timeout=0), "connect_timeout"),
    ],
)
def test_rule_storage_constructors_check_their_arguments(
    make: Callable[[], Storage], match: str
) -> None:
    """Rule: a bad path, timeout or connection string is a ValidationError, not a bare error."""
    with pytest.raises(ValidationError, match=match):
        make()


def test_rule_storage_add_all_refuses_what_is_not_a_batch() -> None:
    """Rule: ``Storage.add_all(5)`` is a ValidationError, not a bare TypeError."""
    with pytest.raises(ValidationError, match="iterable"):
        MemoryStorage().add_all(5, actor="intake")  # type: ignore[arg-type]


def test_an_unreadable_ledger_key_is_a_corrupt_record() -> None:
    storage = MemoryStorage()
    with storage.unit_of_work() as uow:
        uow.documents.put(
            "ledger", "C-1/bogus/l1", {"status": None, "body": {}},
            expected_version=0, labels={"case_id": "C-1"}, updated_at=T0,
        )  # fmt: skip
        with pytest.raises(CorruptRecord, match="bogus"):
            uow.ledger.lines("C-1")
