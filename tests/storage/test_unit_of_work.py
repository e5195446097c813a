"""The unit of work's module and its hooks: an adapter may bring its own repository, ledger and
outbox."""

from __future__ import annotations

from typing import Any

import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.storage import DocumentCaseRepository, MemoryStorage, Storage, UnitOfWork, ports
from casekit.storage.cases import CASES
from casekit.storage.ledger import DocumentLedger
from casekit.storage.memory import _MemoryUnitOfWork
from casekit.storage.outbox import DocumentOutbox
from casekit.storage.ports import CaseRepository, LedgerStore, Outbox
from casekit.testing.contract_audit import AuditLogContract
from casekit.testing.contract_cases import CaseRepositoryContract
from casekit.testing.contract_documents import DocumentStoreContract
from casekit.testing.contract_ledger import LedgerContract
from casekit.testing.contract_outbox import OutboxContract
from casekit.testing.contract_readable import ReadableCasesContract
from casekit.testing.contract_unit_of_work import UnitOfWorkContract
from casekit.testing.storage_contract import StorageContract


class _CountingCases(DocumentCaseRepository):
    """A case repository of the adapter's own (here: the default one, counting adds)."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self.added: list[str] = []

    def add(self, case: Any, *, actor: str) -> None:
        self.added.append(case.id)
        super().add(case, actor=actor)


class _OwnLedger(DocumentLedger):
    """A ledger of the adapter's own."""


class _OwnOutbox(DocumentOutbox):
    """An outbox of the adapter's own."""


class _OwnUnitOfWork(_MemoryUnitOfWork):
    def make_cases(self) -> CaseRepository:
        return _CountingCases(self)

    def make_ledger(self) -> LedgerStore:
        return _OwnLedger(self)

    def make_outbox(self) -> Outbox:
        return _OwnOutbox(self)


class _OwnStorage(MemoryStorage):
    def unit_of_work(self) -> _OwnUnitOfWork:
        return _OwnUnitOfWork(self)


def test_an_adapter_supplies_its_own_case_repository_ledger_and_outbox() -> None:
    storage = _OwnStorage()
    case = ProductDeliveryCase.create(
        id="PDC-own", product="B", primary_client="p", owner=Owner.user("w")
    )
    with storage.unit_of_work() as uow:
        cases = uow.cases
        assert isinstance(cases, _CountingCases)
        assert uow.cases is cases  # built once per unit of work
        assert isinstance(uow.ledger, _OwnLedger)
        assert isinstance(uow.outbox, _OwnOutbox)
        assert uow.outbox is uow.outbox
        uow.cases.add(case, actor="intake")
        uow.commit()
    assert cases.added == ["PDC-own"]
    with storage.unit_of_work() as uow:
        assert uow.documents.get(CASES, "PDC-own") is not None  # stored all the same


def test_the_default_repository_ledger_and_outbox_are_built_on_the_documents() -> None:
    with MemoryStorage().unit_of_work() as uow:
        assert type(uow.cases) is DocumentCaseRepository
        assert type(uow.ledger) is DocumentLedger
        assert type(uow.outbox) is DocumentOutbox


def test_unit_of_work_and_storage_are_still_importable_from_the_ports() -> None:
    from casekit.storage.ports import Storage as PortsStorage  # noqa: PLC0415
    from casekit.storage.ports import UnitOfWork as PortsUnitOfWork  # noqa: PLC0415

    assert (PortsStorage, PortsUnitOfWork) == (Storage, UnitOfWork)
    assert UnitOfWork.__module__ == "casekit.storage.unit_of_work"
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        ports.Nothing  # noqa: B018


class TestAnAdapterWithItsOwnRepositoryLedgerAndOutboxRunsOnlyTheirContracts(
    CaseRepositoryContract, LedgerContract, OutboxContract
):
    """A third-party adapter runs the contract modules of the ports it implements."""

    @pytest.fixture(scope="class")
    @classmethod
    def storage(cls) -> Storage:
        return _OwnStorage()


def test_the_storage_contract_combines_every_ports_contract() -> None:
    from casekit.testing import storage_contract  # noqa: PLC0415

    parts = (
        DocumentStoreContract,
        UnitOfWorkContract,
        AuditLogContract,
        CaseRepositoryContract,
        ReadableCasesContract,
        LedgerContract,
        OutboxContract,
    )
    assert all(issubclass(StorageContract, part) for part in parts)
    tests = {name for part in parts for name in vars(part) if name.startswith("test_")}
    assert {name for name in dir(StorageContract) if name.startswith("test_")} == tests
    for name in ("unique", "rich_case", "correction_case", "assert_same_case", "open_storage"):
        assert callable(getattr(storage_contract, name))
    assert storage_contract.repository_machine is not None
    assert storage_contract.outbox_machine is not None
