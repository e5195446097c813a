"""Migrating is a step of its own; opening only checks the schema's version.

PostgreSQL: ``PostgresStorage.migrate`` / ``casekit migrate --postgres`` create or migrate the
schema; opening a database without it, or with an older one, says to run it. SQLite migrates
on open by default (``migrate=True``) and checks only with ``migrate=False``.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

import psycopg
import pytest

from casekit.cli import main
from casekit.errors import SchemaNotMigrated, ValidationError
from casekit.storage import SCHEMA_VERSION, PostgresStorage, SQLiteStorage
from casekit.storage import postgres as pg_module
from casekit.storage import sqlite as sqlite_module
from casekit.storage.audit import key_fingerprint
from casekit.storage.sql import SchemaMigration
from casekit.testing.contract_outbox import new_record
from casekit.testing.postgres_server import PostgresServer
from casekit.testing.storage_contract import unique


def _database(server: PostgresServer) -> str:
    return server.create_database(unique("mig").lower().replace("-", "_"))


def _tables(conninfo: str) -> set[str]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {str(row[0]) for row in rows}


def _at_version_4_postgres(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for version in range(1, 5):
            for statement in pg_module._MIGRATIONS[version]:
                conn.execute(statement.replace("%%", "%"))  # type: ignore[arg-type]
        conn.execute(
            "CREATE TABLE casekit_schema (component text PRIMARY KEY, version integer NOT NULL)"
        )
        conn.execute("INSERT INTO casekit_schema VALUES ('storage', 4)")


def test_opening_a_new_postgres_database_says_to_migrate_and_creates_nothing(
    pg_server: PostgresServer,
) -> None:
    conninfo = _database(pg_server)
    with pytest.raises(SchemaNotMigrated, match="no casekit schema yet") as caught:
        PostgresStorage(conninfo)
    assert "casekit migrate --postgres CONNINFO" in str(caught.value)
    assert "PostgresStorage.migrate(conninfo)" in str(caught.value)
    assert _tables(conninfo) == set()
    done = PostgresStorage.migrate(conninfo)
    assert done == SchemaMigration("postgresql", 0, SCHEMA_VERSION)
    assert str(done) == f"postgresql: schema created at version {SCHEMA_VERSION}"
    assert str(PostgresStorage.migrate(conninfo)).endswith(
        f"already at version {SCHEMA_VERSION}; nothing to do"
    )
    with PostgresStorage(conninfo) as storage, storage.unit_of_work() as uow:
        assert uow.documents.get("things", "x") is None


def test_opening_an_older_postgres_schema_says_to_migrate_and_changes_nothing(
    pg_server: PostgresServer,
) -> None:
    conninfo = _database(pg_server)
    _at_version_4_postgres(conninfo)
    before = _tables(conninfo)
    with pytest.raises(SchemaNotMigrated, match="at schema version 4 and this casekit needs"):
        PostgresStorage(conninfo)
    assert _tables(conninfo) == before
    assert PostgresStorage.migrate(conninfo) == SchemaMigration("postgresql", 4, SCHEMA_VERSION)
    assert _tables(conninfo) == before | {"audit_key_check", "outbox", "document_labels"}
    PostgresStorage(conninfo).close()


def test_opening_does_not_take_the_migration_lock(pg_server: PostgresServer) -> None:
    """Opening a current database only reads its version: a migration in progress elsewhere
    (holding the migration lock) does not hold it up; ``migrate=True`` waits for it."""
    conninfo = _database(pg_server)
    PostgresStorage.migrate(conninfo)
    opened: list[str] = []

    def open_it(migrate: bool) -> None:
        PostgresStorage(conninfo, migrate=migrate).close()
        opened.append("migrate" if migrate else "check")

    with psycopg.connect(conninfo, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (pg_module._MIGRATION_LOCK,))
        checking = threading.Thread(target=open_it, args=(False,), daemon=True)
        checking.start()
        checking.join(timeout=5)
        assert opened == ["check"]
        migrating = threading.Thread(target=open_it, args=(True,), daemon=True)
        migrating.start()
        migrating.join(timeout=0.5)
        assert opened == ["check"]  # waits for the lock
        holder.execute("SELECT pg_advisory_unlock(%s)", (pg_module._MIGRATION_LOCK,))
    migrating.join(timeout=5)
    assert opened == ["check", "migrate"]


def test_casekit_migrate_postgres(pg_server: PostgresServer) -> None:
    conninfo = _database(pg_server)
    out, err = io.StringIO(), io.StringIO()
    assert main(["migrate", "--postgres", conninfo], out=out, err=err) == 0
    assert out.getvalue() == f"postgresql: schema created at version {SCHEMA_VERSION}\n"
    assert main(["migrate", "--postgres", conninfo], out=out, err=err) == 0
    assert err.getvalue() == ""
    PostgresStorage(conninfo).close()


def test_casekit_migrate_reports_what_went_wrong_without_the_password() -> None:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["migrate", "--postgres", "host=127.0.0.1 port=1 dbname=x password=s3cr3t"],
        out=out,
        err=err,
    )
    assert status == 1
    assert err.getvalue().startswith("casekit migrate: postgresql: cannot connect")
    assert "s3cr3t" not in err.getvalue()


def test_sqlite_migrates_on_open_by_default_and_checks_only_when_told(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    with pytest.raises(SchemaNotMigrated, match="no casekit schema yet") as caught:
        SQLiteStorage(fresh, migrate=False)
    assert f"casekit migrate --sqlite {fresh}" in str(caught.value)
    SQLiteStorage(fresh).close()  # the default: created on open
    SQLiteStorage(fresh, migrate=False).close()
    assert SQLiteStorage.migrate(fresh) == SchemaMigration(
        f"sqlite {fresh}", SCHEMA_VERSION, SCHEMA_VERSION
    )


def test_an_older_sqlite_schema_is_refused_by_a_check_and_migrated_by_migrate(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v4.db"
    import sqlite3  # noqa: PLC0415

    conn = sqlite3.connect(path, isolation_level=None)
    for version in range(1, 5):
        for statement in sqlite_module._MIGRATIONS[version]:
            conn.execute(statement)
    conn.execute("CREATE TABLE casekit_schema (component TEXT PRIMARY KEY, version INTEGER)")
    conn.execute("INSERT INTO casekit_schema VALUES ('storage', 4)")
    conn.close()
    with pytest.raises(
        SchemaNotMigrated, match=f"version 4 and this casekit needs version {SCHEMA_VERSION}"
    ):
        SQLiteStorage(path, migrate=False)
    out, err = io.StringIO(), io.StringIO()
    assert main(["migrate", "--sqlite", str(path)], out=out, err=err) == 0
    assert out.getvalue() == f"sqlite {path}: schema migrated from version 4 to {SCHEMA_VERSION}\n"
    SQLiteStorage(path, migrate=False).close()


def test_the_first_opener_records_the_audit_key_and_a_racing_one_is_checked_against_it(
    pg_server: PostgresServer,
) -> None:
    """Two processes opening a new database with different keys: the second waits for the
    first's fingerprint and is refused (not a key conflict from the database)."""
    conninfo = _database(pg_server)
    PostgresStorage.migrate(conninfo)  # records no fingerprint: it has no key
    first, second = b"k" * 32, b"j" * 32
    outcome: list[BaseException | None] = []

    def open_second() -> None:
        try:
            PostgresStorage(conninfo, audit_key=second).close()
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    with psycopg.connect(conninfo) as opener:  # the first, mid-open: its row not committed
        opener.execute(
            "INSERT INTO audit_key_check (id, fingerprint) VALUES (1, %s)",
            (key_fingerprint(first),),
        )
        racing = threading.Thread(target=open_second, daemon=True)
        racing.start()
        racing.join(timeout=0.5)
        assert outcome == []  # waits for the first's row
        opener.commit()
    racing.join(timeout=5)
    assert len(outcome) == 1
    assert isinstance(outcome[0], ValidationError)
    assert "is not the key the audit trails" in str(outcome[0])
    PostgresStorage(conninfo, audit_key=first).close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_version_5_database_gains_the_outbox_table_and_keeps_its_documents(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Schema version 6 adds the outbox table; what the database held stays; the outbox works."""
    import sqlite3  # noqa: PLC0415

    storage: SQLiteStorage | PostgresStorage
    if backend == "sqlite":
        path = tmp_path / "v5.db"
        conn = sqlite3.connect(path, isolation_level=None)
        for version in range(1, 6):
            for statement in sqlite_module._MIGRATIONS[version]:
                conn.execute(statement)
        conn.execute("CREATE TABLE casekit_schema (component TEXT PRIMARY KEY, version INTEGER)")
        conn.execute("INSERT INTO casekit_schema VALUES ('storage', 5)")
        conn.execute(
            "INSERT INTO documents VALUES ('things', 'k', 1, '{\"a\":1}', '{}',"
            " '2026-03-02T09:00:00.000000Z')"
        )
        conn.close()
        assert SQLiteStorage.migrate(path) == SchemaMigration(f"sqlite {path}", 5, SCHEMA_VERSION)
        storage = SQLiteStorage(path, migrate=False)
    else:
        conninfo = _database(request.getfixturevalue("pg_server"))
        with psycopg.connect(conninfo, autocommit=True) as pg:
            for version in range(1, 6):
                for statement in pg_module._MIGRATIONS[version]:
                    pg.execute(statement.replace("%%", "%"))  # type: ignore[arg-type]
            pg.execute(
                "CREATE TABLE casekit_schema (component text PRIMARY KEY, version integer NOT NULL)"
            )
            pg.execute("INSERT INTO casekit_schema VALUES ('storage', 5)")
            pg.execute(
                "INSERT INTO documents VALUES ('things', 'k', 1, '{\"a\":1}', '{}',"
                " '2026-03-02T09:00:00Z')"
            )
        assert "outbox" not in _tables(conninfo)
        assert PostgresStorage.migrate(conninfo) == SchemaMigration("postgresql", 5, SCHEMA_VERSION)
        assert "outbox" in _tables(conninfo)
        storage = PostgresStorage(conninfo)
    try:
        record = new_record()
        with storage.unit_of_work() as uow:
            document = uow.documents.get("things", "k")
            assert document is not None
            assert dict(document.body) == {"a": 1}
            uow.outbox.append([record])
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.outbox.pending() == [record]
    finally:
        storage.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_version_6_database_gains_the_label_index_of_its_documents(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Schema version 7 adds document_labels, filled from the stored labels and then kept
    by triggers: label queries find the documents written before it and after."""
    import sqlite3  # noqa: PLC0415

    from casekit.storage import AnyOf, Has  # noqa: PLC0415

    rows = [
        ("things", "k1", '{"owner":"User:ann","status":"Open"}'),
        ("things", "k2", '{"owner":"User:bob","status":"Open"}'),
        ("other", "k1", '{"owner":"User:ann"}'),
    ]
    storage: SQLiteStorage | PostgresStorage
    if backend == "sqlite":
        path = tmp_path / "v6.db"
        conn = sqlite3.connect(path, isolation_level=None)
        for version in range(1, 7):
            for statement in sqlite_module._MIGRATIONS[version]:
                conn.execute(statement)
        conn.execute("CREATE TABLE casekit_schema (component TEXT PRIMARY KEY, version INTEGER)")
        conn.execute("INSERT INTO casekit_schema VALUES ('storage', 6)")
        for collection, key, labels in rows:
            conn.execute(
                "INSERT INTO documents VALUES (?, ?, 1, '{}', ?, '2026-03-02T09:00:00.000000Z')",
                (collection, key, labels),
            )
        conn.close()
        assert SQLiteStorage.migrate(path) == SchemaMigration(f"sqlite {path}", 6, SCHEMA_VERSION)
        storage = SQLiteStorage(path, migrate=False)
    else:
        conninfo = _database(request.getfixturevalue("pg_server"))
        with psycopg.connect(conninfo, autocommit=True) as pg:
            for version in range(1, 7):
                for statement in pg_module._MIGRATIONS[version]:
                    pg.execute(statement.replace("%%", "%"))  # type: ignore[arg-type]
            pg.execute(
                "CREATE TABLE casekit_schema (component text PRIMARY KEY, version integer NOT NULL)"
            )
            pg.execute("INSERT INTO casekit_schema VALUES ('storage', 6)")
            for collection, key, labels in rows:
                pg.execute(
                    "INSERT INTO documents VALUES (%s, %s, 1, '{}', %s, '2026-03-02T09:00:00Z')",
                    (collection, key, labels),
                )
        assert "document_labels" not in _tables(conninfo)
        assert PostgresStorage.migrate(conninfo) == SchemaMigration("postgresql", 6, SCHEMA_VERSION)
        storage = PostgresStorage(conninfo)
    try:
        with storage.unit_of_work() as uow:
            assert [
                d.key for d in uow.documents.find("things", where=Has("owner", "User:ann"))
            ] == ["k1"]
            document = uow.documents.get("things", "k2")
            assert document is not None
            uow.documents.put(
                "things",
                "k2",
                {},
                expected_version=1,
                labels={"owner": "User:ann", "team": ("intake", "appeals")},
                updated_at=document.updated_at,
            )
            uow.documents.delete("things", "k1", expected_version=1)
            uow.commit()
        with storage.unit_of_work() as uow:
            ann = uow.documents.find("things", where=Has("owner", "User:ann"))
            assert [(d.key, dict(d.labels)) for d in ann] == [
                ("k2", {"owner": "User:ann", "team": ("appeals", "intake")})
            ]
            either = AnyOf([Has("owner", "User:bob"), Has("team", "intake")])
            assert [d.key for d in uow.documents.find("things", where=either)] == ["k2"]
            assert [d.key for d in uow.documents.find("other", where=Has("owner", "User:ann"))] == [
                "k1"
            ]
    finally:
        storage.close()
