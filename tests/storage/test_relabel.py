"""Cases stored before schema version 7 fail closed, and Storage.relabel_cases labels them.

A case document written before the labels filtered reads use (sensitivity, supervisor,
participants ...) matches no read filter; ``relabel_cases`` saves it again (a
``record_saved`` audit entry, the version up by one), after which the filtered query finds
it, the audit trail still verifies, and a second run writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.errors import ValidationError
from casekit.security import AccessPolicy, Grant, Permission, Principal, Relationship
from casekit.storage import PostgresStorage, SQLiteStorage, Storage
from casekit.testing.postgres_server import PostgresServer
from casekit.testing.storage_contract import unique

POLICY = AccessPolicy(
    [Grant(roles="caseworker", permissions=Permission.READ, relationship=Relationship.OWNER)]
)


def _old_labels(storage: Storage, key: str, labels: dict[str, str]) -> None:
    """Write ``labels`` over the stored ones behind casekit's back, as a version 6 store had."""
    text = json.dumps(labels, separators=(",", ":"))
    if isinstance(storage, SQLiteStorage):
        conn = sqlite3.connect(storage.path, isolation_level=None)
        conn.execute(
            "UPDATE documents SET labels = ? WHERE collection = 'cases' AND key = ?", (text, key)
        )
        conn.close()
    else:
        assert isinstance(storage, PostgresStorage)
        with psycopg.connect(storage.conninfo, autocommit=True) as pg:
            pg.execute(
                "UPDATE documents SET labels = CAST(%s AS jsonb)"
                " WHERE collection = 'cases' AND key = %s",
                (text, key),
            )


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """A new storage of each SQL backend, closed after the test."""
    opened: Storage
    if request.param == "sqlite":
        opened = SQLiteStorage(tmp_path / "cases.db")
    else:
        server: PostgresServer = request.getfixturevalue("pg_server")
        conninfo = server.create_database(unique("relabel").lower().replace("-", "_"))
        opened = PostgresStorage(conninfo, migrate=True, pool_size=1)
    try:
        yield opened
    finally:
        opened.close()


def test_old_cases_fail_closed_until_relabelled(storage: Storage) -> None:
    owner = unique("ann")
    cases = [
        ProductDeliveryCase.create(
            id=f"{owner}-{n}",
            product="SNAP",
            primary_client="client-1",
            owner=Owner.user(owner),
            clock=storage.clock,
        )
        for n in range(3)
    ]
    storage.add_all(cases, actor="intake")
    old = {"case_type": "Product Delivery Case", "status": "Open", "priority": "Normal"}
    for case in cases[:2]:
        _old_labels(storage, case.id, {**old, "owner": f"User:{owner}"})
    readable = POLICY.read_filter(Principal(owner, {"caseworker"}))

    def found() -> list[str]:
        with storage.unit_of_work() as uow:
            return [
                c.id for c in uow.cases.query(readable_by=readable, owner=Owner.user(owner)).items
            ]

    assert found() == [cases[2].id]  # the old ones fail closed
    with storage.unit_of_work() as uow:  # unfiltered, they are all there
        assert len(uow.cases.query(owner=Owner.user(owner)).items) == 3
    assert storage.relabel_cases(batch=2) == 2
    assert found() == [case.id for case in cases]
    for case in cases[:2]:
        assert storage.verify_audit(case.id) == 2  # opened, then record_saved
        with storage.unit_of_work() as uow:
            assert uow.audit.entries(case.id)[-1].action == "record_saved"
            assert uow.cases.get(case.id).version == 2
    assert storage.relabel_cases() == 0
    with pytest.raises(ValidationError, match="batch of relabel_cases must be >= 1"):
        storage.relabel_cases(batch=0)
