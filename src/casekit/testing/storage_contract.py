"""The storage contract suite: what every adapter must do, as reusable pytest tests.

One contract module per port, as eventsourcing ships them, so an adapter runs the ones for
the ports it implements:

- `casekit.testing.contract_documents`: `DocumentStoreContract`;
- `casekit.testing.contract_unit_of_work`: `UnitOfWorkContract`;
- `casekit.testing.contract_audit`: `AuditLogContract` (and the audit-trust
  contract, `AuditTrustContract`, with a key);
- `casekit.testing.contract_cases`: `CaseRepositoryContract` and
  `repository_machine`;
- `casekit.testing.contract_readable`: `ReadableCasesContract` (filtered case queries
  return exactly what the policy lets a principal read);
- `casekit.testing.contract_ledger`: `LedgerContract`;
- `casekit.testing.contract_outbox`: `OutboxContract` and `outbox_machine` (these
  tests drain the outbox: it is one queue per storage);
- `casekit.testing.contract_routing`: the routing journal's
  (`JournalContract`);
- `casekit.testing.contract_validation`: arguments checked at the door.

`StorageContract` combines the first seven, for an adapter that implements every port
(casekit runs it against its in-memory, SQLite and PostgreSQL adapters). Subclass it in a
test module and provide a ``storage`` fixture (session- or class-scoped, so Hypothesis may
use it)::

    import pytest
    from casekit.testing.storage_contract import StorageContract

    class TestMyStorage(StorageContract):
        @pytest.fixture(scope="class")
        @classmethod
        def storage(cls):
            return MyStorage()

The tests share one storage and never need it empty: every test uses fresh ids, collection
names and owners (`casekit.testing.contract_support`, whose helpers are importable
from here too, as before).

Needs ``pip install casekit[testing]`` (pytest and Hypothesis).
"""

from __future__ import annotations

from casekit.testing.contract_audit import AuditLogContract
from casekit.testing.contract_cases import CaseRepositoryContract, repository_machine
from casekit.testing.contract_documents import DocumentStoreContract
from casekit.testing.contract_ledger import LedgerContract
from casekit.testing.contract_outbox import OutboxContract, outbox_machine
from casekit.testing.contract_readable import ReadableCasesContract
from casekit.testing.contract_support import (
    assert_same_case,
    correction_case,
    open_storage,
    rich_case,
    unique,
)
from casekit.testing.contract_unit_of_work import UnitOfWorkContract

__all__ = [
    "AuditLogContract",
    "CaseRepositoryContract",
    "DocumentStoreContract",
    "LedgerContract",
    "OutboxContract",
    "ReadableCasesContract",
    "StorageContract",
    "UnitOfWorkContract",
    "assert_same_case",
    "correction_case",
    "open_storage",
    "outbox_machine",
    "repository_machine",
    "rich_case",
    "unique",
]


class StorageContract(
    DocumentStoreContract,
    UnitOfWorkContract,
    AuditLogContract,
    CaseRepositoryContract,
    ReadableCasesContract,
    LedgerContract,
    OutboxContract,
):
    """The tests every [`Storage`][casekit.storage.unit_of_work.Storage] must pass: every port's.

    Subclass it as ``Test...`` and provide a ``storage`` fixture.
    """
