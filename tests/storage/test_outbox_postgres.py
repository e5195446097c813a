"""Concurrent claims on PostgreSQL (READ COMMITTED), by the two outboxes it may run.

The contract (tests/storage/test_contract.py) checks the outcome on every adapter; these
tests check the mechanism each outbox relies on:

- its own ``outbox`` table (the default): a second claim skips the rows the first one holds
  (``FOR UPDATE SKIP LOCKED``) and returns at once, while the first is still open;
- ``DocumentOutbox`` (documents): a conditional ``UPDATE ... WHERE version = v`` over a row
  another transaction changed and has not committed waits on that row's lock (seen in
  ``pg_stat_activity``), then matches no row once the other commits — a
  ``ConcurrencyConflict`` — and the waiting transaction is still usable: it reads, writes
  and commits afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from casekit.errors import ConcurrencyConflict
from casekit.storage import DocumentOutbox, OutboxRecord, PostgresStorage, Storage
from casekit.testing.contract_outbox import drain, new_record
from casekit.testing.contract_support import unique

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture(scope="module")
def pg(storage_factory: Callable[[str], Storage]) -> PostgresStorage:
    storage = storage_factory("postgres")
    assert isinstance(storage, PostgresStorage)
    return storage


@pytest.fixture(scope="module")
def pg_documents(storage_factory: Callable[[str], Storage]) -> PostgresStorage:
    storage = storage_factory("postgres-document-outbox")
    assert isinstance(storage, PostgresStorage)
    with storage.unit_of_work() as uow:
        assert isinstance(uow.outbox, DocumentOutbox)
    return storage


def _waiting_on_a_lock(storage: PostgresStorage) -> bool:
    """Whether a session of this database is waiting for a lock, within 10 seconds."""
    import psycopg  # noqa: PLC0415  only when PostgreSQL runs

    with psycopg.connect(storage.conninfo, autocommit=True) as conn:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if row is not None and row[0] > 0:
                return True
            time.sleep(0.01)
    return False


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


def test_a_conditional_put_waits_then_conflicts_and_the_transaction_goes_on(
    pg: PostgresStorage,
) -> None:
    key = unique("doc")
    with pg.unit_of_work() as uow:
        uow.documents.put("things", key, {"n": 0}, expected_version=0, labels={}, updated_at=T0)
        uow.commit()
    seen: dict[str, object] = {}

    def second() -> None:
        with pg.unit_of_work() as uow:
            try:
                uow.documents.put(
                    "things", key, {"n": 2}, expected_version=1, labels={}, updated_at=T0
                )
            except ConcurrencyConflict as conflict:
                seen["conflict"] = str(conflict)
            document = uow.documents.get("things", key)  # the transaction is still usable
            assert document is not None
            seen["read"] = (document.version, dict(document.body))
            uow.documents.put(
                "things", key, {"n": 3}, expected_version=document.version, labels={}, updated_at=T0
            )
            uow.commit()

    with pg.unit_of_work() as uow:
        uow.documents.put("things", key, {"n": 1}, expected_version=1, labels={}, updated_at=T0)
        thread, errors = _in_thread(second)
        assert _waiting_on_a_lock(pg)
        uow.commit()
    thread.join(timeout=30)
    assert errors == []
    assert "is at version 2, not 1" in str(seen["conflict"])
    assert seen["read"] == (2, {"n": 1})
    with pg.unit_of_work() as uow:
        document = uow.documents.get("things", key)
    assert document is not None
    assert (document.version, dict(document.body)) == (3, {"n": 3})


def _records(storage: PostgresStorage, count: int) -> list[OutboxRecord]:
    drain(storage)
    records = [new_record(n) for n in range(count)]
    with storage.unit_of_work() as uow:
        uow.outbox.append(records)
        uow.commit()
    return records


def test_a_second_claim_skips_the_rows_the_first_holds_without_waiting(
    pg: PostgresStorage,
) -> None:
    records = _records(pg, 6)
    got: dict[str, list[str]] = {}

    def second() -> None:
        with pg.unit_of_work() as uow:
            got["b"] = [r.id for r in uow.outbox.claim(10, owner="b", lease=LEASE, now=T0)]
            uow.commit()

    with pg.unit_of_work() as uow:
        got["a"] = [r.id for r in uow.outbox.claim(3, owner="a", lease=LEASE, now=T0)]
        thread, errors = _in_thread(second)
        thread.join(timeout=30)
        assert not thread.is_alive()  # done while the first claim is still open
        uow.commit()
    assert errors == []
    ids = [r.id for r in records]
    assert (got["a"], got["b"]) == (ids[:3], ids[3:])


def test_a_second_document_claim_waits_skips_what_the_first_leased_and_commits(
    pg_documents: PostgresStorage,
) -> None:
    pg = pg_documents
    drain(pg)
    records = [new_record(n) for n in range(6)]
    with pg.unit_of_work() as uow:
        uow.outbox.append(records)
        uow.commit()
    late = new_record(99)
    got: dict[str, list[str]] = {}

    def second() -> None:
        with pg.unit_of_work() as uow:
            got["b"] = [r.id for r in uow.outbox.claim(10, owner="b", lease=LEASE, now=T0)]
            uow.outbox.append([late])
            uow.commit()

    with pg.unit_of_work() as uow:
        got["a"] = [r.id for r in uow.outbox.claim(3, owner="a", lease=LEASE, now=T0)]
        thread, errors = _in_thread(second)
        assert _waiting_on_a_lock(pg)  # b read the six and waits on the first row
        uow.commit()
    thread.join(timeout=30)
    assert errors == []
    ids = [r.id for r in records]
    assert (got["a"], got["b"]) == (ids[:3], ids[3:])
    with pg.unit_of_work() as uow:
        pending = uow.outbox.pending()
    assert [r.id for r in pending] == [*ids, late.id]
    assert [r.lease_owner for r in pending] == ["a"] * 3 + ["b"] * 3 + [None]
