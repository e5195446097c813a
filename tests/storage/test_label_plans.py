"""Plans of filtered reads and of the label index's upkeep, read from the databases.

A filtered page must be read from the label index, merging the entry terms' ranges in key
order and stopping at the page (SQLite: a MERGE of the compound's branches; PostgreSQL: a
Merge Append, also in the generic plan psycopg's prepared statements may get), never by
reading the collection or hashing whole branches. A save must rewrite the label index by
its primary key, however many documents are stored. These read what the plans did (rows,
VM steps), not times.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from casekit.cases import Case, Owner, ProductDeliveryCase
from casekit.security import AccessPolicy, Grant, LocationMode, Permission, Principal, Relationship
from casekit.storage import CASES, PostgresStorage, SQLiteStorage, Storage, readable_query
from casekit.storage.sql import SqlUnitOfWork
from casekit.storage.sql_labels import find_statement
from casekit.testing.postgres_server import PostgresServer
from casekit.testing.storage_contract import unique

POLICY = AccessPolicy(
    [
        Grant(
            roles="caseworker",
            permissions=Permission.READ,
            relationship=Relationship.OWNER | Relationship.MEMBER,
        )
    ],
    location_mode=LocationMode.ON,
)
ANN = Principal("u7", {"caseworker"}, teams={"queue-7"}, location="north", clearance=3)
PAGE = 50


def _cases(n: int, storage: Storage) -> list[Case[Any]]:
    rng = random.Random(7)
    made: list[Case[Any]] = []
    for i in range(n):
        worker = rng.randrange(100)
        owner = (
            Owner.user(f"u{worker}")
            if rng.random() < 0.7
            else Owner.work_queue(f"queue-{worker % 10}")
        )
        made.append(
            ProductDeliveryCase.create(
                id=f"C-{i:05d}",
                product="SNAP",
                primary_client=f"client-{i}",
                owner=owner,
                location=rng.choice(["north", "south", "east"]),
                work_queue=f"queue-{worker % 10}" if rng.random() < 0.3 else None,
                clock=storage.clock,
            )
        )
    return made


def _statement(storage: Storage) -> tuple[str, list[object]]:
    with storage.unit_of_work() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        statement = find_statement(
            uow.dialect,
            CASES,
            readable_query(POLICY.read_filter(ANN)),
            after="C-01000",
            limit=PAGE + 1,
        )
    assert statement is not None
    return statement


def test_sqlite_merges_the_index_ranges_of_a_filtered_page(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "cases.db")
    storage.add_all(_cases(3_000, storage), actor="intake")
    sql, params = _statement(storage)
    conn = sqlite3.connect(storage.path)
    plan = "\n".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "MERGE (UNION)" in plan, plan
    assert "SEARCH l USING PRIMARY KEY (collection=? AND name=? AND value=? AND key>?)" in plan
    assert not re.search(r"SCAN (d|documents)\b", plan), plan
    assert "USE TEMP B-TREE" not in plan, plan
    conn.close()
    storage.close()


def test_sqlite_label_triggers_delete_by_the_whole_primary_key(tmp_path: Path) -> None:
    """Each DELETE of the label index's triggers searches its rows by the whole primary key
    (it once searched by collection alone, reading every label row of the collection at
    every save)."""
    storage = SQLiteStorage(tmp_path / "cases.db")
    storage.add_all(_cases(300, storage), actor="intake")
    storage.close()
    conn = sqlite3.connect(tmp_path / "cases.db")
    triggers = [
        row[0] for row in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
    ]
    deletes = [
        statement.strip()
        for trigger in triggers
        if "document_labels" in trigger
        for statement in trigger.split(" BEGIN ", 1)[1].rsplit(" END", 1)[0].split(";")
        if statement.strip().startswith("DELETE")
    ]
    assert len(deletes) == 3, triggers  # on delete, on update, on a key's move
    labels = """'{"owner":"User:u1","participants":["c1","c2"]}'"""
    whole_key = "(collection=? AND name=? AND value=? AND key=?)"
    for delete in deletes:
        statement = delete
        for row in ("OLD", "NEW"):
            statement = statement.replace(f"{row}.labels", labels)
            statement = statement.replace(f"{row}.collection", "'cases'")
            statement = statement.replace(f"{row}.key", "'C-1'")
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement)]
        assert plan[0] == f"SEARCH document_labels USING PRIMARY KEY {whole_key}", (delete, plan)
    conn.close()


def _pg_plan(conninfo: str, sql: str, params: list[object], *, generic: bool) -> str:
    numbers = iter(range(1, len(params) + 1))
    numbered = re.sub(r"\?", lambda _: f"${next(numbers)}", sql)
    # Client-side binding: EXECUTE's arguments are written into it as literals.
    with psycopg.connect(conninfo, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        if generic:
            conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(f"PREPARE page AS {numbered}")  # type: ignore[arg-type]
        values = ", ".join(["%s"] * len(params))
        rows = conn.execute(
            f"EXPLAIN (ANALYZE, COSTS OFF) EXECUTE page ({values})",  # type: ignore[arg-type]
            params,
        ).fetchall()
    return "\n".join(str(row[0]) for row in rows)


@pytest.fixture(scope="module")
def pg_cases(pg_server: PostgresServer) -> Iterator[PostgresStorage]:
    """A PostgreSQL database holding 3,000 cases, analyzed (closed after the module)."""
    conninfo = pg_server.create_database(unique("plans").lower().replace("-", "_"))
    PostgresStorage.migrate(conninfo)
    storage = PostgresStorage(conninfo, pool_size=1)
    try:
        storage.add_all(_cases(3_000, storage), actor="intake")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("ANALYZE")
        yield storage
    finally:
        storage.close()


@pytest.mark.parametrize("generic", [False, True])
def test_postgres_merges_the_index_ranges_of_a_filtered_page(
    generic: bool, pg_cases: PostgresStorage
) -> None:
    storage = pg_cases
    sql, params = _statement(storage)
    plan = _pg_plan(storage.conninfo, sql, params, generic=generic)
    assert "Merge Append" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert "HashAggregate" not in plan, plan
    # Each branch reads its own index range (as far as the page needs, on a large table).
    read = [
        int(n)
        for n in re.findall(r"Scan \S* ?(?:using|on) document_labels_pkey .*? rows=(\d+)", plan)
    ]
    assert read, plan
    assert sum(read) < 3_000 // 4, plan
