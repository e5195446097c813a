"""The unit of work's contract ([`UnitOfWork`][casekit.storage.unit_of_work.UnitOfWork]).

All or nothing, rolled back unless committed, never nested in one thread, used once.

Subclass `UnitOfWorkContract` as ``Test...`` in a test module and provide a
``storage`` fixture (class- or session-scoped, so Hypothesis may use it), as for
`StorageContract`, which combines every port's
contract; every adapter runs it for its unit of work::

    class TestMyUnitOfWork(UnitOfWorkContract):
        @pytest.fixture(scope="class")
        @classmethod
        def storage(cls):
            return MyStorage()

Needs ``pip install casekit[testing]`` (pytest and Hypothesis).
"""

from __future__ import annotations

import pytest

from casekit.errors import StorageError
from casekit.storage.unit_of_work import Storage
from casekit.testing.contract_support import T0, unique

__all__ = ["UnitOfWorkContract"]


def _put_then_fail(storage: Storage, key: str) -> None:
    with storage.unit_of_work() as uow:
        uow.documents.put("things", key, {}, expected_version=0, labels={}, updated_at=T0)
        raise RuntimeError("boom")


class UnitOfWorkContract:
    """The tests every [`UnitOfWork`][casekit.storage.unit_of_work.UnitOfWork] must pass."""

    def test_unit_of_work_rolls_back_unless_committed(self, storage: Storage) -> None:
        """Leaving a unit of work without commit (or by an exception) undoes it."""
        key, other = unique(), unique()
        with storage.unit_of_work() as uow:
            uow.documents.put("things", key, {}, expected_version=0, labels={}, updated_at=T0)
            uow.audit.append(key, actor="a", action="x", at=T0)
        with pytest.raises(RuntimeError, match="boom"):
            _put_then_fail(storage, other)
        with storage.unit_of_work() as uow:
            assert uow.documents.get("things", key) is None
            assert uow.documents.get("things", other) is None
            assert uow.audit.entries(key) == []
            assert uow.audit.head(key) is None

    def test_units_of_work_do_not_nest(self, storage: Storage) -> None:
        """A second unit of work in the same thread is refused, not a deadlock."""
        key = unique()
        with storage.unit_of_work() as outer:
            with pytest.raises(StorageError, match="do not nest"), storage.unit_of_work():
                pass  # pragma: no cover
            outer.documents.put("things", key, {}, expected_version=0, labels={}, updated_at=T0)
            outer.commit()
        with storage.unit_of_work() as uow:
            assert uow.documents.get("things", key) is not None

    def test_unit_of_work_is_used_once(self, storage: Storage) -> None:
        """A unit of work refuses use before enter and after commit."""
        with storage.unit_of_work() as uow:
            uow.commit()
            with pytest.raises(StorageError, match="not active"):
                uow.commit()
            with pytest.raises(StorageError, match="not active"):
                uow.documents.get("things", "x")
        outside = storage.unit_of_work()
        with pytest.raises(StorageError, match="not active"):
            outside.cases.get("x")
