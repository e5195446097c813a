"""The financial ledger's contract ([`LedgerStore`][casekit.storage.ports.LedgerStore]).

Lines round-trip, change only over their version, and every change is audited in the same
transaction.

Subclass `LedgerContract` as ``Test...`` in a test module and provide a
``storage`` fixture (class- or session-scoped, so Hypothesis may use it), as for
`StorageContract`, which combines every port's
contract; an adapter that brings a ledger of its own
(``UnitOfWork.make_ledger``) runs only this one::

    class TestMyLedger(LedgerContract):
        @pytest.fixture(scope="class")
        @classmethod
        def storage(cls):
            return MyStorage()

Needs ``pip install casekit[testing]`` (pytest and Hypothesis).
"""

from __future__ import annotations

import pytest

from casekit.errors import AlreadyExists, ConcurrencyConflict
from casekit.storage.ports import LedgerKind
from casekit.storage.unit_of_work import Storage
from casekit.testing.contract_support import T0, T1, unique

__all__ = ["LedgerContract"]


class LedgerContract:
    """The tests every [`LedgerStore`][casekit.storage.ports.LedgerStore] must pass."""

    def test_ledger_lines_are_versioned_and_audited(self, storage: Storage) -> None:
        """Ledger lines round-trip, change only over their version, and are audited."""
        case_id = unique("PDC")
        amount = {"amount": "427.42", "currency": "EUR"}
        with storage.unit_of_work() as uow:
            ledger = uow.ledger
            ledger.record(
                case_id,
                LedgerKind.DETERMINATION,
                "d1",
                {"component": "basic", "rate": amount},
                actor="rules",
                at=T0,
            )
            paid = ledger.record(
                case_id,
                LedgerKind.PAYMENT,
                "p1",
                {"amount": amount},
                status="Not Verified",
                actor="w",
                at=T0,
            )
            uow.commit()
        assert (paid.version, paid.status, dict(paid.body)) == (
            1,
            "Not Verified",
            {"amount": amount},
        )
        with storage.unit_of_work() as uow:
            ledger = uow.ledger
            ledger.record(
                case_id,
                LedgerKind.PAYMENT,
                "p1",
                {"amount": amount},
                status="Submitted for Payment",
                expected_version=1,
                actor="boss",
                at=T1,
            )
            uow.commit()
        with storage.unit_of_work() as uow:
            with pytest.raises(ConcurrencyConflict, match="p1"):
                uow.ledger.record(
                    case_id,
                    LedgerKind.PAYMENT,
                    "p1",
                    {"amount": {"amount": "1.00", "currency": "EUR"}},
                    status="Payment Voided",
                    expected_version=1,
                    actor="x",
                    at=T1,
                )
            with pytest.raises(AlreadyExists):
                uow.ledger.record(case_id, LedgerKind.DETERMINATION, "d1", {}, actor="x", at=T1)
            uow.commit()
        with storage.unit_of_work() as uow:
            line = uow.ledger.line(case_id, LedgerKind.PAYMENT, "p1")
            assert line is not None
            assert (line.version, line.status, dict(line.body), line.updated_at) == (
                2,
                "Submitted for Payment",
                {"amount": amount},
                T1,
            )
            assert [ln.line_id for ln in uow.ledger.lines(case_id)] == ["d1", "p1"]
            assert [ln.line_id for ln in uow.ledger.lines(case_id, LedgerKind.PAYMENT)] == ["p1"]
            assert uow.ledger.lines(unique("NONE")) == []
            trail = [(e.action, e.before, e.after) for e in uow.audit.entries(case_id)]
        assert trail == [
            ("determination_recorded", None, None),
            ("payment_recorded", None, "Not Verified"),
            ("payment_changed", "Not Verified", "Submitted for Payment"),
        ]
        assert storage.verify_audit(case_id) == 3
