"""The audit log's contracts ([`AuditLog`][casekit.storage.ports.AuditLog]).

`AuditLogContract`: entries come back in order and chained, their trail verifies, and
bad entries are refused; subclass it and provide a ``storage`` fixture (class- or
session-scoped), as for `StorageContract`, which
includes it.

`AuditTrustContract`, what every storage adapter must do for keys, checkpoints and
records: subclass it in a test module and provide a ``keyed_storage`` fixture, a storage of
your adapter opened with ``audit_key=CONTRACT_KEY`` (it may be shared by the tests, which
use fresh ids). It checks what an adapter contributes beyond
[`ChainedAuditLog`][casekit.storage.audit.ChainedAuditLog]: that it hashes with the key it
was given,
lists every head ([`heads`][casekit.storage.ports.AuditLog.heads]) for checkpoints, reads a
trail under its append lock, and keeps case records so their ``record_hash`` verifies.
Tampering cannot be written generically (it needs the adapter's tables); see casekit's
``tests/storage/test_audit_trust.py`` for the attacks on the built-in adapters.

Example::

    class TestMyAudit(AuditTrustContract):
        @pytest.fixture(scope="class")
        @classmethod
        def keyed_storage(cls):
            return MyStorage(audit_key=CONTRACT_KEY)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.errors import ValidationError
from casekit.storage.audit import GENESIS_HASH, RECORD_HASH, entry_hash, record_digest
from casekit.storage.cases import CASES, record_json
from casekit.storage.checkpoint import Checkpoint
from casekit.storage.unit_of_work import Storage
from casekit.testing.contract_support import T0, unique

__all__ = ["CONTRACT_KEY", "AuditLogContract", "AuditTrustContract"]

CONTRACT_KEY = b"casekit audit contract key, 32 b"
"""The audit key the ``keyed_storage`` fixture must be opened with."""


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


class AuditLogContract:
    """The tests every [`AuditLog`][casekit.storage.ports.AuditLog] must pass."""

    def test_audit_is_ordered_and_chained(self, storage: Storage) -> None:
        """Entries come back in order, chained, and verify."""
        case_id = unique("CASE")
        with storage.unit_of_work() as uow:
            first = uow.audit.append(case_id, actor="u1", action="open", at=T0, after="Open")
            uow.commit()
        with storage.unit_of_work() as uow:
            second = uow.audit.append(
                case_id,
                actor="u2",
                action="submit",
                at=T0 + timedelta(minutes=1),
                before="Open",
                after="Submitted",
                detail={"reason": "ready", "n": 2},
            )
            uow.commit()
        assert (first.seq, second.seq, second.prev_hash) == (1, 2, first.hash)
        with storage.unit_of_work() as uow:
            assert uow.audit.entries(case_id) == [first, second]
            assert uow.audit.head(case_id) == (2, second.hash)
        assert storage.verify_audit(case_id) == 2
        assert storage.verify_audit(unique("NONE")) == 0

    def test_audit_refuses_bad_entries(self, storage: Storage) -> None:
        """An entry without actor or with a naive time is refused."""
        case_id = unique("CASE")
        with storage.unit_of_work() as uow:
            with pytest.raises(ValidationError, match="actor"):
                uow.audit.append(case_id, actor="", action="x", at=T0)
            with pytest.raises(ValidationError, match="naive"):
                uow.audit.append(case_id, actor="u", action="x", at=datetime(2026, 1, 1))
            assert uow.audit.entries(case_id) == []


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
            entry = uow.audit.append(trail_id, actor="ana", action="note", at=T0)
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
                    uow.audit.append(trail_id, actor="ana", action=f"step {step}", at=T0)
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
