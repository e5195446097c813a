"""A schema version 2 database, with cases, audit trails and routing state, migrates to version 3.

The version 2 database is built with the version 1 and 2 statements each adapter keeps, and
filled with the rows a version 3 database holds for the same story (never-offered agents
with ``NULL``, as version 2 wrote them). Opening it migrates it; everything reads back the
same, routing carries on the same, and running the version 3 statements again changes
nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.priority import Priority
from casekit.storage import SCHEMA_VERSION, PostgresStorage, SQLiteStorage, Storage
from casekit.storage import postgres as pg_module
from casekit.storage import sqlite as sqlite_module
from casekit.testing.postgres_server import PostgresServer
from casekit.testing.storage_contract import unique

_TABLES = {
    "documents": "collection, key, version, body, labels, updated_at",
    "audit_log": "case_id, seq, at, actor, action, before, after, detail, prev_hash, hash",
    "audit_heads": "case_id, seq, hash",
    "routing_agents": "agent_id, skills, capacity, available, load, last_offer_at",
    "routing_items": "item_id, state, rank, skills, enqueued_at, agent_id, deadline, declined_by",
    "routing_offers": "item_id, agent_id, offered_at, deadline",
}

Run = Callable[[str, Sequence[object]], list[Any]]


def _story(storage: Storage) -> str:
    """A case with an audit trail, three agents, three items, one of them offered."""
    case = ProductDeliveryCase.create(
        id=unique("PDC"),
        product="B",
        primary_client="p1",
        owner=Owner.user("w"),
        supervisor=Owner.user("boss"),
        clock=storage.clock,
    )
    storage.add_all([case])
    case.perform("submit", actor="w")
    now = storage.clock.now()
    with storage.unit_of_work() as uow:
        uow.cases.save(case)
        for n in range(3):
            uow.routing.put_agent(f"a{n}", skills={"b"}, capacity=2)
            uow.routing.enqueue(f"i{n}", priority=Priority.HIGH, skills={"b"}, at=now)
        assert uow.routing.offer_next(now=now, timeout=timedelta(minutes=5)) is not None
        uow.commit()
    return case.id


@contextmanager
def _runner(target: str | Path) -> Iterator[Run]:
    """Run statements on a database directly, outside casekit (autocommit)."""
    if isinstance(target, Path):
        conn = sqlite3.connect(target, isolation_level=None)
        try:
            yield lambda sql, params: conn.execute(sql, params).fetchall()
        finally:
            conn.close()
        return
    with psycopg.connect(target, autocommit=True) as pg:

        def run(sql: str, params: Sequence[object]) -> list[Any]:
            """One statement; its rows, if it returns any."""
            cursor = pg.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

        yield run


@pytest.fixture(params=["sqlite", "postgres"])
def targets(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[Callable[[str | Path], Storage], str | Path, str | Path]:
    """How to open a storage, and two empty databases of one backend."""
    if request.param == "sqlite":
        return SQLiteStorage, tmp_path / "v3.db", tmp_path / "v2.db"
    server: PostgresServer = request.getfixturevalue("pg_server")
    new, old = (server.create_database(unique("m").lower().replace("-", "_")) for _ in "ab")
    return (lambda t: PostgresStorage(str(t))), new, old


def test_version_2_database_migrates_to_version_3(
    targets: tuple[Callable[[str | Path], Storage], str | Path, str | Path],
) -> None:
    open_storage, new_target, old_target = targets
    is_pg = not isinstance(old_target, Path)
    migrations = pg_module._MIGRATIONS if is_pg else sqlite_module._MIGRATIONS
    new = open_storage(new_target)
    case_id = _story(new)
    new.close()
    labels = "CAST(labels AS text)" if is_pg else "labels"
    with _runner(new_target) as run_new, _runner(old_target) as run_old:
        _migrate_a_copy(run_new, run_old, migrations, labels, is_pg=is_pg)
        old = open_storage(old_target)  # migrates
        try:
            _check(run_new, run_old, labels, old, case_id)
            _run_version_3_again(run_old, migrations)
            _carry_on(open_storage, old_target, new_target)
        finally:
            old.close()


def _migrate_a_copy(
    run_new: Run, run_old: Run, migrations: dict[int, tuple[str, ...]], labels: str, *, is_pg: bool
) -> None:
    """Make the old database a version 2 copy of the new one."""
    run_old(
        "CREATE TABLE casekit_schema (component text PRIMARY KEY, version integer NOT NULL)", ()
    )
    for statement in (*migrations[1], *migrations[2]):
        run_old(statement, ())
    run_old("INSERT INTO casekit_schema VALUES ('storage', 2)", ())
    for table, columns in _TABLES.items():
        selected = columns.replace("labels", labels) if table == "documents" else columns
        marks = ", ".join("?" for _ in columns.split(", "))
        if is_pg and table == "documents":
            marks = "?, ?, ?, ?, CAST(? AS jsonb), ?"
        for row in run_new(f"SELECT {selected} FROM {table}", ()):
            values = tuple(row)
            if table == "routing_agents" and values[5] == "":
                values = (*values[:5], None)  # version 2 wrote NULL for never offered
            run_old(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)


def _check(run_new: Run, run_old: Run, labels: str, old: Storage, case_id: str) -> None:
    """The migrated database holds the same rows as the new one, and reads back."""
    assert run_old("SELECT version FROM casekit_schema", ()) == [(SCHEMA_VERSION,)]
    never = "SELECT count(*) FROM routing_agents WHERE last_offer_at IS NULL"
    assert run_old(never, ()) == [(0,)]
    for table, columns in _TABLES.items():
        key = columns.split(", ")[0]
        selected = columns.replace("labels", labels) if table == "documents" else columns
        query = f"SELECT {selected} FROM {table} ORDER BY {key}, 2"
        assert run_old(query, ()) == run_new(query, ()), table
    assert old.verify_audit(case_id) == 2
    with old.unit_of_work() as uow:
        assert uow.cases.get(case_id).status.value == "Submitted"


def _run_version_3_again(run_old: Run, migrations: dict[int, tuple[str, ...]]) -> None:
    """The version 3 statements are idempotent: running them again is harmless."""
    run_old("BEGIN", ())
    for statement in migrations[3]:
        run_old(statement, ())
    run_old("COMMIT", ())


def _carry_on(
    open_storage: Callable[[str | Path], Storage], old_target: str | Path, new_target: str | Path
) -> None:
    """Routing on the migrated database decides as on one created at version 3."""
    again = open_storage(old_target)
    reopened = open_storage(new_target)
    try:
        with again.unit_of_work() as uow:
            state = (uow.routing.items(), uow.routing.agents())
            now = again.clock.now()
            offers = uow.routing.offer_batch(now=now, timeout=timedelta(minutes=1), limit=5)
            uow.commit()
        with reopened.unit_of_work() as uow:
            assert (uow.routing.items(), uow.routing.agents()) == state
            expected = uow.routing.offer_batch(now=now, timeout=timedelta(minutes=1), limit=5)
        assert [(o.item_id, o.agent_id) for o in offers] == [
            (o.item_id, o.agent_id) for o in expected
        ]
        assert len(offers) == 2
    finally:
        again.close()
        reopened.close()
