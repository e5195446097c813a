"""The shipped storage contract suite, run against every backend (see conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from casekit.storage import DocumentOutbox, Storage
from casekit.testing.contract_outbox import OutboxContract
from casekit.testing.contract_routing import JournalContract
from casekit.testing.storage_contract import StorageContract, outbox_machine, repository_machine


class TestStorageContract(StorageContract):
    """Every test of the contract, once per backend (the ``storage`` fixture)."""


class TestDocumentOutboxOnSqlContract(OutboxContract):
    """DocumentOutbox (the in-memory adapter's outbox, and any adapter's without an outbox
    table of its own) on SQLite and PostgreSQL documents."""

    @pytest.fixture(scope="class", params=["sqlite-document-outbox", "postgres-document-outbox"])
    @classmethod
    def storage(
        cls, request: pytest.FixtureRequest, storage_factory: Callable[[str], Storage]
    ) -> Storage:
        storage = storage_factory(request.param)
        with storage.unit_of_work() as uow:
            assert type(uow.outbox) is DocumentOutbox
        return storage

    def test_outbox_agrees_with_its_model(self, storage: Storage) -> None:
        run_state_machine_as_test(
            outbox_machine(storage), settings=settings(max_examples=10, stateful_step_count=15)
        )


class TestJournalContract(JournalContract):
    """The routing journal and the durable router on it, once per backend."""


def test_repository_agrees_with_the_in_memory_oracle(storage: Storage) -> None:
    run_state_machine_as_test(
        repository_machine(storage), settings=settings(max_examples=15, stateful_step_count=12)
    )


def test_outbox_agrees_with_its_model(storage: Storage) -> None:
    run_state_machine_as_test(
        outbox_machine(storage), settings=settings(max_examples=15, stateful_step_count=15)
    )
