"""PostgreSQL plans that must stay index searches however large the tables grow.

psycopg prepares a statement after a few executions, and PostgreSQL may then use a generic
plan (one that ignores the parameters' values). The existence check of a batch of new
documents once was an ``IN`` list of 500 parameters whose generic plan read every row of
the collection and filtered them ("Rows Removed by Filter: 25000", 293 ms for a check that
now takes 0.4 ms): saves fell from ~10,000/s to ~600/s as the table grew to 60,000 cases.
This test builds that situation, forces the generic plan and reads what the plan did
(EXPLAIN ANALYZE: rows, not time).
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from casekit.storage import PostgresStorage, Storage
from casekit.storage.postgres import EXISTING_KEYS
from casekit.testing.postgres_server import PostgresServer
from casekit.testing.storage_contract import rich_case

STORED = 3_000
KEYS = [f"new-{n:04d}" for n in range(500)]


def _generic_plan(conninfo: str, name: str, sql: str, types: str, args: str) -> str:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(f"PREPARE {name} ({types}) AS {sql}")
        rows = conn.execute(f"EXPLAIN (ANALYZE, COSTS OFF) EXECUTE {name} ({args})").fetchall()
    return "\n".join(str(row[0]) for row in rows)


def test_the_existence_check_of_new_documents_never_filters_the_collection(
    storage_factory: Callable[[str], Storage], pg_server: PostgresServer
) -> None:
    storage = storage_factory("postgres")
    assert isinstance(storage, PostgresStorage)
    storage.add_all([rich_case(storage) for _ in range(STORED)], actor="intake")
    new = EXISTING_KEYS.replace("?", "${}").format(1, 2)
    array = "ARRAY[" + ", ".join(f"'{key}'" for key in KEYS) + "]"
    plan = _generic_plan(storage.conninfo, "new", new, "text, text[]", f"'cases', {array}")
    assert "Index Cond: ((collection = $1) AND (key = ANY ($2)))" in plan, plan
    assert "Rows Removed by Filter" not in plan, plan
    # The statement it replaced, in the same database: its generic plan filters every
    # stored case (this checks that the test builds the situation the fix is about).
    listed = ", ".join(f"${n}" for n in range(2, len(KEYS) + 2))
    old = f"SELECT key FROM documents WHERE collection = $1 AND key IN ({listed})"
    args = "'cases', " + ", ".join(f"'{key}'" for key in KEYS)
    types = ", ".join(["text"] * (len(KEYS) + 1))
    plan_old = _generic_plan(storage.conninfo, "old", old, types, args)
    assert f"Rows Removed by Filter: {STORED}" in plan_old, plan_old


def test_a_batch_of_new_documents_is_checked_with_that_statement(
    storage_factory: Callable[[str], Storage], pg_server: PostgresServer
) -> None:
    storage = storage_factory("postgres")
    executed: list[str] = []
    with storage.unit_of_work() as uow:
        dialect = uow.dialect  # type: ignore[attr-defined]
        execute = dialect.execute

        def spy(sql: str, params: object = ()) -> object:
            executed.append(sql)
            return execute(sql, params)

        dialect.execute = spy
        uow.documents.put_new("things", [(key, {"n": 1}, {}, storage.clock.now()) for key in KEYS])
        uow.commit()
    assert EXISTING_KEYS in executed
    assert not [sql for sql in executed if " IN (" in sql]
