"""What the storage contract modules share.

Fresh ids, sample cases, a field-by-field case comparison, and opening a storage by backend
name.

Every contract test uses fresh ids (`unique`), so the tests of all the contract modules
can share one storage and never need it empty.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from casekit.cases import (
    Case,
    CorrectionLine,
    CorrectionOutcome,
    LinkKind,
    Owner,
    Participant,
    ParticipantRole,
    PaymentCorrectionCase,
    ProductDeliveryCase,
)
from casekit.clock import SYSTEM_CLOCK, Clock
from casekit.errors import ValidationError
from casekit.money import Money
from casekit.priority import Priority
from casekit.storage.unit_of_work import Storage

__all__ = [
    "T0",
    "T1",
    "assert_same_case",
    "correction_case",
    "open_storage",
    "rich_case",
    "unique",
]

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
"""The time the contracts write (documents' ``updated_at``, audit entries' ``at``)."""
T1 = T0 + timedelta(hours=1)
"""An hour later."""


def unique(prefix: str = "K") -> str:
    """A fresh id, so tests sharing one storage never see each other's data."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def rich_case(storage: Storage, *, owner: Owner | None = None) -> ProductDeliveryCase:
    """A PDC holding a bit of everything: participants, history, evidence, tasks, notes, links."""
    case = ProductDeliveryCase.create(
        id=unique("PDC"),
        product="Basic Allowance",
        primary_client=Participant("p1", name="Ana Lima"),
        participants=[Participant("p2", ParticipantRole.MEMBER, "Rui")],
        owner=owner or Owner.user("worker"),
        supervisor=Owner.user("boss"),
        priority=Priority.HIGH,
        clock=storage.clock,
    )
    case.add_evidence(
        "income",
        {"amount": "1234.56", "n": 3, "ok": True, "none": None},
        date(2026, 1, 1),
        actor="worker",
        verified=True,
    )
    case.correct_evidence(
        case.evidence.all_versions()[0].evidence_id,
        attributes={"amount": "1300.00"},
        actor="worker",
    )
    case.add_task("call the client", "u2", actor="worker", due=T0 + timedelta(days=2))
    case.add_note("called, no answer — will retry", author="worker")
    case.send_communication("p1", "Your case", "Dear Ana, …")
    case.link(LinkKind.MEMBER_OF, "IC-1")
    case.perform("submit", actor="worker")
    return case


def correction_case(storage: Storage) -> PaymentCorrectionCase:
    """A payment correction case holding Money lines (exact decimals)."""
    pdc = ProductDeliveryCase.create(
        id=unique("PDC"),
        product="B",
        primary_client="p1",
        owner=Owner.user("w"),
        clock=storage.clock,
    )
    return PaymentCorrectionCase.open_for(
        pdc,
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money(Decimal("-427.42"), "EUR"),
        lines=[
            CorrectionLine(
                date(2026, 3, 1), date(2026, 3, 31), "basic", "p1", Money("-227.42", "EUR")
            ),
            CorrectionLine(
                date(2026, 4, 1), date(2026, 4, 30), "housing", "p1", Money("-200.00", "EUR")
            ),
        ],
        actor="system",
        clock=storage.clock,
        id=unique("PCC"),
    )


def assert_same_case(read: Case[Any], written: Case[Any]) -> None:
    """Assert ``read`` holds exactly what ``written`` held, field by field (not via the codec)."""
    assert type(read) is type(written)
    for field in attrs.fields(type(written)):
        if field.name in ("clock", "_pending", "_evidence"):
            continue
        assert getattr(read, field.name) == getattr(written, field.name), field.name
    assert read.evidence.all_versions() == written.evidence.all_versions()
    assert read.created_at.tzinfo is not None
    assert read.updated_at.utcoffset() == timedelta(0)


def open_storage(backend: str, target: str, *, clock: Clock = SYSTEM_CLOCK) -> Storage:
    """Open a storage by backend name (``sqlite`` or ``postgres``) and path or conninfo."""
    if backend == "sqlite":
        from casekit.storage.sqlite import SQLiteStorage  # noqa: PLC0415  by backend

        return SQLiteStorage(target, clock=clock)
    if backend == "postgres":
        from casekit.storage.postgres import PostgresStorage  # noqa: PLC0415  by backend

        return PostgresStorage(target, clock=clock)
    raise ValidationError(f"backend must be 'sqlite' or 'postgres', got {backend!r}")
