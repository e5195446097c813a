"""The audit-trust contract: what every storage adapter must do for keys, checkpoints and records.

Subclass :class:`AuditTrustContract` in a test module and provide a ``keyed_storage``
fixture: a storage of your adapter opened with ``audit_key=CONTRACT_KEY`` (it may be shared
by the tests, which use fresh ids). It checks what an adapter contributes beyond
:class:`~casekit.storage.audit.ChainedAuditLog`: that it hashes with the key it was given,
lists every head (:meth:`~casekit.storage.ports.AuditLog.heads`) for checkpoints, reads a
trail under its append lock, and keeps case records so their ``record_hash`` verifies.
Tampering cannot be written generically (it needs the adapter's tables); see casekit's
``tests/storage/test_audit_trust.py`` for the attacks on the built-in adapters.

Example::

    class TestMyAudit(AuditTrustContract):
        @pytest.fixture(scope="class")
        def keyed_storage(self):
            return MyStorage(audit_key=CONTRACT_KEY)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.storage.audit import GENESIS_HASH, RECORD_HASH, entry_hash, record_digest
from casekit.storage.cases import CASES, record_json
from casekit.storage.checkpoint import Checkpoint
from casekit.storage.unit_of_work import Storage
from casekit.testing.storage_contract import unique

__all__ = ["CONTRACT_KEY", "AuditTrustContract"]

CONTRACT_KEY = b"casekit audit contract key, 32 b"
"""The audit key the ``keyed_storage`` fixture must be opened with."""

_T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _saved_case(storage: Storage) -> ProductDeliveryCase:
    case = ProductDeliveryCase.create(
        id=unique("PDC"),
        product="B",
        primary_client="p1",
        owner=Owner.user("w"),
        supervisor=Owner.user("boss"),
        clock=storage.clock,
    )
    storage.add_all([case], actor="intake")
    case.perform("submit", actor="w")
    with storage.unit_of_work() as uow:
        uow.cases.save(case)
        uow.commit()
    return case


class AuditTrustContract:
    """Tests every adapter passes with an audit key; subclass and provide ``keyed_storage``."""

    @pytest.fixture
    def keyed_storage(self) -> Storage:
        """A storage of the adapter under test, opened with ``audit_key=CONTRACT_KEY``."""
        raise NotImplementedError("provide a keyed_storage fixture (audit_key=CONTRACT_KEY)")

    def test_entries_are_hashed_with_the_key(self, keyed_storage: Storage) -> None:
        """An entry's hash is HMAC-SHA256 under the key, not the SHA-256 anyone computes."""
        trail_id = unique("ITEM")
        with keyed_storage.unit_of_work() as uow:
            entry = uow.audit.append(trail_id, actor="ana", action="note", at=_T0)
            uow.commit()
        fields: dict[str, Any] = {
            "at": entry.at,
            "actor": entry.actor,
            "action": entry.action,
            "before": entry.before,
            "after": entry.after,
            "detail": entry.detail,
            "prev_hash": GENESIS_HASH,
        }
        assert entry.hash == entry_hash(trail_id, 1, key=CONTRACT_KEY, **fields)
        assert entry.hash != entry_hash(trail_id, 1, **fields)
        assert keyed_storage.has_audit_key
        assert keyed_storage.verify_audit(trail_id) == 1

    def test_heads_and_locked_trail_agree_with_each_trail(self, keyed_storage: Storage) -> None:
        """``heads()`` holds every trail's head; ``locked_trail`` its entries and head."""
        ids = [unique("ITEM") for _ in range(3)]
        with keyed_storage.unit_of_work() as uow:
            for n, trail_id in enumerate(ids):
                for step in range(n + 1):
                    uow.audit.append(trail_id, actor="ana", action=f"step {step}", at=_T0)
            uow.commit()
        with keyed_storage.unit_of_work() as uow:
            heads = uow.audit.heads()
            for trail_id in ids:
                entries, head = uow.audit.locked_trail(trail_id)
                assert entries == uow.audit.entries(trail_id)
                assert head == heads[trail_id] == (entries[-1].seq, entries[-1].hash)
            assert uow.audit.locked_trail(unique("NONE")) == ([], None)

    def test_saves_carry_the_hash_of_the_stored_record(self, keyed_storage: Storage) -> None:
        """The entry of each save holds ``record_hash`` of the record as stored."""
        case = _saved_case(keyed_storage)
        with keyed_storage.unit_of_work() as uow:
            entries = uow.audit.entries(case.id)
            document = uow.documents.get(CASES, case.id)
        assert document is not None
        assert [e.action for e in entries] == ["open", "submit"]
        assert entries[-1].detail[RECORD_HASH] == record_digest(record_json(document.body))
        assert RECORD_HASH in entries[0].detail
        assert keyed_storage.verify_audit(case.id) == 2

    def test_checkpoints_are_signed_and_verify(self, keyed_storage: Storage) -> None:
        """A checkpoint names every trail, is signed, survives JSON and verifies."""
        case = _saved_case(keyed_storage)
        checkpoint = keyed_storage.audit_checkpoint()
        assert checkpoint.mac is not None
        assert checkpoint.heads[case.id][0] == 2
        again = Checkpoint.from_json(checkpoint.to_json())
        assert again == checkpoint
        assert keyed_storage.verify_audit(case.id, checkpoint=again) == 2
        assert keyed_storage.verify_all(checkpoint=again) >= len(checkpoint.heads)
