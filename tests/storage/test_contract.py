"""The shipped storage contract suite, run against every backend (see conftest.py)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from casekit.storage import Storage
from casekit.testing.storage_contract import (
    StorageContract,
    repository_machine,
    routing_machine,
)


class TestStorageContract(StorageContract):
    """Every test of the contract, once per backend (the ``storage`` fixture)."""


def test_repository_agrees_with_the_in_memory_oracle(storage: Storage) -> None:
    run_state_machine_as_test(
        repository_machine(storage), settings=settings(max_examples=15, stateful_step_count=12)
    )


def test_routing_agrees_with_the_in_memory_oracle(storage: Storage) -> None:
    run_state_machine_as_test(
        routing_machine(storage), settings=settings(max_examples=15, stateful_step_count=20)
    )
