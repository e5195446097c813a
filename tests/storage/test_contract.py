"""The shipped storage contract suite, run against every backend (see conftest.py)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from casekit.storage import Storage
from casekit.testing.contract_routing import JournalContract
from casekit.testing.storage_contract import StorageContract, outbox_machine, repository_machine


class TestStorageContract(StorageContract):
    """Every test of the contract, once per backend (the ``storage`` fixture)."""


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
