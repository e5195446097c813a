"""Storage test fixtures: one storage per backend (the PostgreSQL server is tests/conftest.py's).

The ``storage`` fixture is session-scoped and parametrized over the backends, so the contract
suite (``casekit.testing.storage_contract``) runs once per backend and Hypothesis may use it
under ``@given``. ``fresh_storage`` makes a new, empty storage of a backend for tests that
need one of their own (schema, tampering).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from casekit.clock import ManualClock
from casekit.storage import (
    DocumentOutbox,
    MemoryStorage,
    Outbox,
    PostgresStorage,
    SQLiteStorage,
    Storage,
)
from casekit.storage.sql import SqlUnitOfWork
from casekit.testing.postgres_server import PostgresServer

BACKENDS = ["memory", "sqlite", "postgres"]
_databases = itertools.count()


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))


StorageFactory = Callable[[str], Storage]


class _DocumentOutboxUnitOfWork(SqlUnitOfWork):
    """A SQL unit of work keeping its outbox in documents, as an adapter without a table would."""

    def make_outbox(self) -> Outbox:
        return DocumentOutbox(self)


class DocumentOutboxSQLite(SQLiteStorage):
    """SQLite with the outbox in documents (DocumentOutbox), not in its outbox table."""

    def unit_of_work(self) -> SqlUnitOfWork:
        return _DocumentOutboxUnitOfWork(self, super().unit_of_work().dialect)


class DocumentOutboxPostgres(PostgresStorage):
    """PostgreSQL with the outbox in documents (DocumentOutbox), not in its outbox table."""

    def unit_of_work(self) -> SqlUnitOfWork:
        return _DocumentOutboxUnitOfWork(self, super().unit_of_work().dialect)


@pytest.fixture(scope="session")
def storage_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, clock: ManualClock
) -> Iterator[StorageFactory]:
    """Make a new, empty storage of a backend; all are closed at the end of the session.

    Besides ``memory``, ``sqlite`` and ``postgres``: ``sqlite-document-outbox`` and
    ``postgres-document-outbox``, whose outbox is a `DocumentOutbox` (the in-memory
    adapter's) instead of their outbox table.
    """
    made: list[Storage] = []

    def make(backend: str) -> Storage:
        storage: Storage
        if backend == "memory":
            storage = MemoryStorage(clock=clock)
        elif backend in ("sqlite", "sqlite-document-outbox"):
            path = tmp_path_factory.mktemp("sqlite") / "casekit.db"
            sqlite = SQLiteStorage if backend == "sqlite" else DocumentOutboxSQLite
            storage = sqlite(path, clock=clock)
        elif backend in ("postgres", "postgres-document-outbox"):
            server: PostgresServer = request.getfixturevalue("pg_server")
            conninfo = server.create_database(f"casekit_{next(_databases)}")
            PostgresStorage.migrate(conninfo)  # the deployment step, then open
            postgres = PostgresStorage if backend == "postgres" else DocumentOutboxPostgres
            storage = postgres(conninfo, clock=clock)
        else:  # pragma: no cover
            raise ValueError(backend)
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.close()


@pytest.fixture(scope="session", params=BACKENDS)
def storage(request: pytest.FixtureRequest, storage_factory: StorageFactory) -> Storage:
    """One shared storage per backend for the whole session (tests use unique ids)."""
    backend: str = request.param
    return storage_factory(backend)


@pytest.fixture(scope="session")
def oracle(clock: ManualClock) -> MemoryStorage:
    """The in-memory adapter the others are compared with."""
    return MemoryStorage(clock=clock)
