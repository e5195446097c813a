"""What the contract cannot say generically: tampering in SQL, schema versions, bad rows, faults."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import attrs
import psycopg
import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.errors import AuditTampered, ConcurrencyConflict, CorruptRecord, StorageUnavailable
from casekit.storage import SCHEMA_VERSION, MemoryStorage, PostgresStorage, SQLiteStorage, Storage
from casekit.storage.sql import SqlUnitOfWork
from casekit.testing.postgres_server import PostgresServer
from casekit.testing.storage_contract import unique

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _case(storage: Storage) -> ProductDeliveryCase:
    case = ProductDeliveryCase.create(
        id=unique("PDC"),
        product="B",
        primary_client="p1",
        owner=Owner.user("w"),
        supervisor=Owner.user("boss"),
        clock=storage.clock,
    )
    storage.add_all([case], actor="intake")
    for action in ("submit", "approve", "activate"):
        case.perform(action, actor="boss" if action == "approve" else "w")
        with storage.unit_of_work() as uow:
            uow.cases.save(case)
            uow.commit()
    assert storage.verify_audit(case.id) == 4
    return case


Sql = Callable[[str, tuple[object, ...]], None]


def _sql_runner(storage: Storage) -> Sql:
    """Run one statement directly against the storage's database, outside casekit."""
    if isinstance(storage, SQLiteStorage):

        def run_sqlite(sql: str, params: tuple[object, ...]) -> None:
            conn = sqlite3.connect(storage.path, isolation_level=None)
            try:
                conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
                conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
                for trigger in ("no_delete", "insert_existing", "move_forward"):
                    conn.execute(f"DROP TRIGGER IF EXISTS audit_heads_{trigger}")
                conn.execute(sql, params)
            finally:
                conn.close()

        return run_sqlite
    assert isinstance(storage, PostgresStorage)

    def run_pg(sql: str, params: tuple[object, ...]) -> None:
        with psycopg.connect(storage.conninfo, autocommit=True) as conn:
            conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            conn.execute("ALTER TABLE audit_heads DISABLE TRIGGER audit_heads_move_forward")
            conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]

    return run_pg


@pytest.fixture(params=["sqlite", "postgres"])
def sql_storage(
    request: pytest.FixtureRequest, storage_factory: Callable[[str], Storage]
) -> Storage:
    return storage_factory(request.param)


def test_audit_rows_cannot_be_changed_through_sql(sql_storage: Storage) -> None:
    case = _case(sql_storage)
    if isinstance(sql_storage, SQLiteStorage):
        conn = sqlite3.connect(sql_storage.path)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET actor = 'x' WHERE case_id = ?", (case.id,))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE case_id = ?", (case.id,))
        conn.close()
    else:
        assert isinstance(sql_storage, PostgresStorage)
        with psycopg.connect(sql_storage.conninfo, autocommit=True) as conn:
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute("UPDATE audit_log SET actor = 'x' WHERE case_id = %s", (case.id,))
            with pytest.raises(psycopg.Error, match="append-only"):
                conn.execute("DELETE FROM audit_log WHERE case_id = %s", (case.id,))
    assert sql_storage.verify_audit(case.id) == 4


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "UPDATE audit_log SET actor = 'mallory' WHERE case_id = ? AND seq = 2",
            "entry 2 .* edited",
        ),
        (
            "UPDATE audit_log SET after = 'Closed' WHERE case_id = ? AND seq = 4",
            "entry 4 .* edited",
        ),
        ("DELETE FROM audit_log WHERE case_id = ? AND seq = 2", "entry 2 is missing"),
        ("DELETE FROM audit_log WHERE case_id = ? AND seq = 4", "head says 4 entries"),
        ("DELETE FROM audit_heads WHERE case_id = ?", "no head"),
    ],
)
def test_verify_audit_detects_tampering_in_sql(
    sql_storage: Storage, statement: str, message: str
) -> None:
    case = _case(sql_storage)
    other = _case(sql_storage)
    _sql_runner(sql_storage)(statement, (case.id,))
    with pytest.raises(AuditTampered, match=message):
        sql_storage.verify_audit(case.id)
    assert sql_storage.verify_audit(other.id) == 4


def test_verify_audit_detects_tampering_in_memory() -> None:
    storage = MemoryStorage()
    case = _case(storage)
    trail = storage._audit[case.id]
    trail[1] = attrs.evolve(trail[1], actor="mallory")
    with pytest.raises(AuditTampered, match=r"entry 2 .* edited"):
        storage.verify_audit(case.id)
    del trail[1]
    with pytest.raises(AuditTampered, match="entry 2"):
        storage.verify_audit(case.id)


def test_unreadable_rows_name_table_and_key(sql_storage: Storage) -> None:
    case = _case(sql_storage)
    run = _sql_runner(sql_storage)
    run("UPDATE documents SET body = '{not json' WHERE key = ?", (case.id,))
    with (
        sql_storage.unit_of_work() as uow,
        pytest.raises(CorruptRecord, match=f"table documents, key 'cases/{case.id}'"),
    ):
        uow.cases.get(case.id)
    run(
        "UPDATE documents SET body = ? WHERE key = ?",
        ('{"format": 1, "case_type": "Nope", "id": "x", "fields": {}}', case.id),
    )
    with (
        sql_storage.unit_of_work() as uow,
        pytest.raises(CorruptRecord, match=f"table cases, key '{case.id}'.*unknown case type"),
    ):
        uow.cases.get(case.id)
    run("UPDATE audit_log SET detail = 'nope' WHERE case_id = ? AND seq = 1", (case.id,))
    with pytest.raises(CorruptRecord, match=f"table audit_log, key '{case.id}#1'"):
        sql_storage.verify_audit(case.id)


def _reopen(storage: Storage) -> Storage:
    if isinstance(storage, SQLiteStorage):
        return SQLiteStorage(storage.path, clock=storage.clock)
    assert isinstance(storage, PostgresStorage)
    return PostgresStorage(storage.conninfo, clock=storage.clock)


def test_schema_is_created_once_and_unknown_versions_refused(sql_storage: Storage) -> None:
    case = _case(sql_storage)
    again = _reopen(sql_storage)
    with again.unit_of_work() as uow:
        assert uow.cases.get(case.id).version == 4
    again.close()
    _sql_runner(sql_storage)(
        "UPDATE casekit_schema SET version = ? WHERE component = 'storage'", (99,)
    )
    with pytest.raises(
        CorruptRecord,
        match=rf"table casekit_schema, key 'storage': schema version 99 .* 1\.\.{SCHEMA_VERSION}",
    ):
        _reopen(sql_storage)


def test_unreachable_databases_raise_storage_unavailable(tmp_path: object) -> None:
    with pytest.raises(StorageUnavailable, match="sqlite"):
        SQLiteStorage("/nonexistent-dir/x/casekit.db")
    with pytest.raises(StorageUnavailable, match="cannot connect"):
        PostgresStorage("host=127.0.0.1 port=1 dbname=x user=casekit", connect_timeout=2)


def test_connection_lost_mid_transaction_writes_nothing(
    storage_factory: Callable[[str], Storage], pg_server: PostgresServer
) -> None:
    storage = storage_factory("postgres")
    assert isinstance(storage, PostgresStorage)
    first = ProductDeliveryCase.create(
        id=unique("PDC"), product="B", primary_client="p", owner=Owner.user("w")
    )
    second = ProductDeliveryCase.create(
        id=unique("PDC"), product="B", primary_client="p", owner=Owner.user("w")
    )
    with storage.unit_of_work() as uow:
        uow.cases.add(first, actor="intake")
        assert isinstance(uow, SqlUnitOfWork)
        pid = uow.dialect.connection.info.backend_pid  # type: ignore[attr-defined]
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StorageUnavailable):
            uow.cases.add(second, actor="intake")
    assert (first.version, second.version) == (0, 0)
    with storage.unit_of_work() as uow:  # reconnects between transactions
        for case in (first, second):
            assert uow.documents.get("cases", case.id) is None
        assert uow.audit.entries(first.id) == []


def test_storage_imports_without_psycopg() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["psycopg"] = None  # as if not installed
        import casekit.storage
        from casekit.errors import MissingExtra
        try:
            casekit.storage.PostgresStorage("host=127.0.0.1")
        except MissingExtra as error:
            print("MissingExtra:", error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert (
        "MissingExtra: PostgresStorage needs psycopg 3: pip install 'casekit[postgres]'"
        in result.stdout
    )


def test_sqlite_locked_by_another_writer_is_a_retryable_conflict_and_writes_nothing(
    storage_factory: Callable[[str], Storage],
) -> None:
    """Rule: "database is locked" after the busy timeout is a ConcurrencyConflict (retry)."""
    storage = storage_factory("sqlite")
    assert isinstance(storage, SQLiteStorage)
    impatient = SQLiteStorage(storage.path, timeout=0.2)
    other = sqlite3.connect(storage.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with (
            pytest.raises(ConcurrencyConflict, match=r"locked.*retrying the whole unit of work"),
            impatient.unit_of_work() as uow,
        ):
            uow.documents.put("things", "k", {}, expected_version=0, labels={}, updated_at=T0)
    finally:
        other.execute("ROLLBACK")
        other.close()
    with impatient.unit_of_work() as uow:  # usable again once the lock is free
        assert uow.documents.get("things", "k") is None
    impatient.close()


def test_concurrent_writers_keep_one_chain_and_one_winner(sql_storage: Storage) -> None:
    """Two connections appending to one trail and saving one case at once, in threads."""
    case = _case(sql_storage)
    others = [_reopen(sql_storage) for _ in range(2)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(storage: Storage, name: str) -> None:
        for n in range(25):
            with storage.unit_of_work() as uow:
                uow.audit.append(case.id, actor=name, action=f"note {n}", at=T0)
                uow.commit()
            with storage.unit_of_work() as uow:
                copy = uow.cases.get(case.id)
            copy.set_priority(copy.priority.raised() if n % 2 else copy.priority, actor=name)
            with storage.unit_of_work() as uow:
                try:
                    uow.cases.save(copy)
                    uow.commit()
                    result = "saved"
                except ConcurrencyConflict:
                    result = "conflict"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=work, args=(s, f"t{i}")) for i, s in enumerate(others)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for storage in others:
        storage.close()
    with sql_storage.unit_of_work() as uow:
        stored = uow.cases.get(case.id)
    saved = outcomes.count("saved")
    assert stored.version == case.version + saved  # every successful save, and only those
    assert len(outcomes) == 50
    assert sql_storage.verify_audit(case.id) >= 4 + 50  # both threads' appends, one chain


def test_key_violations_become_concurrency_conflicts(sql_storage: Storage) -> None:
    with sql_storage.unit_of_work() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        with pytest.raises(ConcurrencyConflict, match="nothing was written"):
            uow.dialect.execute(
                "INSERT INTO casekit_schema (component, version) VALUES ('storage', 1)"
            )
    with sql_storage.unit_of_work() as uow:  # rolled back; the storage carries on
        assert uow.documents.get("things", unique()) is None
