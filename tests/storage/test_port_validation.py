"""Validate at the door: what the atomicity fuzz over the storage ports found (test_fuzz_ports.py).

Rule: a port method checks every argument before it writes anything, and refuses a bad one
with a ValidationError naming the object, the value and what is valid; a refused call leaves
nothing to commit (0 half-written stores). Run on every adapter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from casekit.errors import ValidationError
from casekit.storage import MemoryStorage, Storage

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("actor", b"x", "actor of the audit entry for AUD-V-1"),
        ("action", "\ud800", "action of the audit entry for AUD-V-1"),
        ("before", 7, "'before' of the audit entry for AUD-V-1 must be a string"),
        ("after", "\ud800", "'after' of the audit entry for AUD-V-1"),
        ("detail", "x", "detail of the audit entry for AUD-V-1 must be a mapping"),
        ("detail", {"k": "\ud800"}, "detail of the audit entry for AUD-V-1"),
    ],
)
def test_audit_append_checks_every_field(
    storage: Storage, field: str, bad: object, message: str
) -> None:
    """The audit port's append raised bare TypeError / UnicodeEncodeError for these (the
    checks existed, in _checks.check_audit_fields, but append did not call them)."""
    fields: dict[str, Any] = {"actor": "ana", "action": "approve", "at": T0, field: bad}
    with storage.unit_of_work() as uow:
        with pytest.raises(ValidationError, match=message):
            uow.audit.append("AUD-V-1", **fields)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.audit.entries("AUD-V-1") == []


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (None, "audit entries to append must be a list of mappings"),
        ("abc", "audit entries to append must be a list of mappings"),
        ([None], "audit entry 1 to append must be a mapping"),
        ([{"case_id": "AUD-V-2", "actor": "a", "action": "x", "at": T0, "who": 1}], "unknown"),
        ([{"actor": "a", "action": "x", "at": T0}], "audit entry case id"),
    ],
)
def test_audit_append_many_checks_every_entry_before_the_first(
    storage: Storage, entries: object, message: str
) -> None:
    """append_many(None) raised TypeError, [{}] KeyError: now each entry is checked first."""
    good = {"case_id": "AUD-V-2", "actor": "ana", "action": "open", "at": T0}
    with storage.unit_of_work() as uow:
        with pytest.raises(ValidationError, match=message):
            uow.audit.append_many(
                [good, *entries] if isinstance(entries, list) else entries  # type: ignore[arg-type]
            )
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.audit.entries("AUD-V-2") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"domain": None}, "routing domain"),
        ({"after": "3"}, "after .* must be an integer"),
        ({"after": 10**100}, "after .* must be <="),
        ({"limit": "3"}, "limit of a read of the team-v routing journal"),
    ],
)
def test_memory_journal_read_checks_its_arguments(kwargs: dict[str, Any], message: str) -> None:
    """read(after="3") raised a bare TypeError; read(domain=None) was accepted."""
    storage = MemoryStorage()
    with storage.unit_of_work() as uow, pytest.raises(ValidationError, match=message):
        uow.journal.read(**{"domain": "team-v", **kwargs})


def test_memory_journal_append_needs_a_list() -> None:
    """append(None) raised a bare TypeError."""
    storage = MemoryStorage()
    with (
        storage.unit_of_work() as uow,
        pytest.raises(ValidationError, match="must be a list of JournalEntry"),
    ):
        uow.journal.append(None)  # type: ignore[arg-type]
