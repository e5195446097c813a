"""Application test fixtures: a benefits office configuration and a fresh storage per test.

Each test gets its own storage with its own manual clock (the application and the cases it
reads back share it), on every backend; PostgreSQL databases are made on the run's one
server (tests/conftest.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

from casekit.app import Application
from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.demo.config import office_application
from casekit.security import CaseResource
from casekit.storage import MemoryStorage, PostgresStorage, SQLiteStorage, Storage
from casekit.testing.postgres_server import PostgresServer

BACKENDS = ["memory", "sqlite", "postgres"]
_databases = itertools.count()

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
"""A Monday."""

StorageMaker = Callable[[str, ManualClock], Storage]


@pytest.fixture(scope="session")
def make_storage(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StorageMaker]:
    """Make a new, empty storage of a backend bound to a clock; all closed at the end."""
    made: list[Storage] = []

    def make(backend: str, clock: ManualClock) -> Storage:
        storage: Storage
        if backend == "memory":
            storage = MemoryStorage(clock=clock)
        elif backend == "sqlite":
            storage = SQLiteStorage(tmp_path_factory.mktemp("app") / "casekit.db", clock=clock)
        elif backend == "postgres":
            server: PostgresServer = request.getfixturevalue("pg_server")
            conninfo = server.create_database(f"app_{next(_databases)}")
            PostgresStorage.migrate(conninfo)
            storage = PostgresStorage(conninfo, clock=clock)
        else:  # pragma: no cover
            raise ValueError(backend)
        made.append(storage)
        return storage

    yield make
    for storage in made:
        storage.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def storage(backend: str, clock: ManualClock, make_storage: StorageMaker) -> Iterator[Storage]:
    made = make_storage(backend, clock)
    yield made
    made.close()  # each PostgreSQL storage holds a pool of connections


@pytest.fixture
def app(storage: Storage, clock: ManualClock) -> Application:
    return office_application(storage, clock=clock)


OpenPdc = Callable[..., str]


@pytest.fixture
def open_pdc() -> OpenPdc:
    """``open_pdc(app, case_id, income=...)``: see `_open_pdc`."""
    return _open_pdc


def _open_pdc(app: Application, case_id: str, *, income: str = "400.00") -> str:
    """Open a Basic Allowance PDC with income evidence from the start of the clock's month."""
    today = app.clock.now().date()
    app.open_case(
        ProductDeliveryCase,
        actor="intake",
        id=case_id,
        product="Basic Allowance",
        primary_client=f"client-{case_id}",
        owner=Owner.user("worker-1"),
        supervisor=Owner.user("boss"),
    )
    app.add_evidence(
        case_id, "income", {"monthly": income}, date(today.year, today.month, 1), actor="worker-1"
    )
    return case_id


@pytest.fixture
def sensitivity_levels(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Case id → the sensitivity level ``CaseResource.of`` reports for it (at least).

    The application reads a case's sensitivity through ``CaseResource.of(case)``; this sets
    it per case in a test, whether or not the case type keeps a level of its own.
    """
    levels: dict[str, int] = {}
    original = CaseResource.of.__func__  # type: ignore[attr-defined]

    def of(cls: type[CaseResource], case: Any, **kwargs: Any) -> CaseResource:
        resource: CaseResource = original(cls, case, **kwargs)
        level = levels.get(resource.case_id)
        if level is None or level <= resource.sensitivity:
            return resource
        return attrs.evolve(resource, sensitivity=level)

    monkeypatch.setattr(CaseResource, "of", classmethod(of))
    return levels
