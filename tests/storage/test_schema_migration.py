"""A schema version 2 database (cases, audit trails, the removed engine's routing rows)
migrates to the current version.

The version 2 database is built with the version 1 and 2 statements each adapter keeps and
filled with a case and its audit trail copied from a current database, plus rows in the
routing tables of the removed second routing engine. Opening it migrates it step by step:
the case and its trail read back the same, the old routing tables are gone (their state is
not carried over: the durable router starts from an empty journal), the durable router works
on it, and running the latest statements again changes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.routing import Agent, Presence, WorkItem
from casekit.storage import SCHEMA_VERSION, DurableRouter, PostgresStorage, SQLiteStorage, Storage
from casekit.storage import postgres as pg_module
from casekit.storage import sqlite as sqlite_module
from casekit.testing.postgres_server import PostgresServer
from casekit.testing.storage_contract import unique

_TABLES = {
    "documents": "collection, key, version, body, labels, updated_at",
    "audit_log": "case_id, seq, at, actor, action, before, after, detail, prev_hash, hash",
    "audit_heads": "case_id, seq, hash",
}

Run = Callable[[str, Sequence[object]], list[Any]]


def _story(storage: Storage) -> str:
    """A case with an audit trail of two entries."""
    case = ProductDeliveryCase.create(
        id=unique("PDC"),
        product="B",
        primary_client="p1",
        owner=Owner.user("w"),
        supervisor=Owner.user("boss"),
        clock=storage.clock,
    )
    storage.add_all([case], actor="intake")
    case.perform("submit", actor="w")
    with storage.unit_of_work() as uow:
        uow.cases.save(case)
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
        return SQLiteStorage, tmp_path / "new.db", tmp_path / "v2.db"
    server: PostgresServer = request.getfixturevalue("pg_server")
    new, old = (server.create_database(unique("m").lower().replace("-", "_")) for _ in "ab")
    return (lambda t: PostgresStorage(str(t), migrate=True)), new, old


def test_version_2_database_migrates_to_the_current_version(
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
        _make_version_2_copy(run_new, run_old, migrations, labels, is_pg=is_pg)
        old = open_storage(old_target)  # migrates
        try:
            assert run_old("SELECT version FROM casekit_schema", ()) == [(SCHEMA_VERSION,)]
            for table, columns in _TABLES.items():
                key = columns.split(", ")[0]
                selected = columns.replace("labels", labels) if table == "documents" else columns
                query = f"SELECT {selected} FROM {table} ORDER BY {key}, 2"
                assert run_old(query, ()) == run_new(query, ()), table
            assert old.verify_audit(case_id) == 2
            with old.unit_of_work() as uow:
                assert uow.cases.get(case_id).status.value == "Submitted"
            for table in ("routing_agents", "routing_items", "routing_offers"):
                with pytest.raises((sqlite3.Error, psycopg.Error)):
                    run_old(f"SELECT count(*) FROM {table}", ())
            router = DurableRouter(old, "after-migration")
            router.add_agent(Agent("a0", {"b": 1}), Presence.AVAILABLE)
            offer = router.submit(WorkItem("i0", {"b": 1}))
            assert offer is not None
            assert offer.agent_id == "a0"
            run_old("BEGIN", ())
            for statement in migrations[SCHEMA_VERSION]:  # idempotent
                run_old(statement, ())
            run_old("COMMIT", ())
            assert router.load("a0") == 1
        finally:
            old.close()


def _make_version_2_copy(
    run_new: Run, run_old: Run, migrations: dict[int, tuple[str, ...]], labels: str, *, is_pg: bool
) -> None:
    """Make the old database a version 2 copy of the new one, with old routing rows."""
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
            run_old(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row))
    run_old(
        "INSERT INTO routing_agents (agent_id, skills, capacity, available, load, last_offer_at)"
        " VALUES ('a0', '[\"b\"]', 2, 1, 0, NULL)",
        (),
    )
