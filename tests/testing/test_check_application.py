"""`casekit.testing.app.check_application` reads an outbox longer than one pending read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from casekit.app import Application, Session
from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.storage import MemoryStorage, SQLiteStorage, Storage
from casekit.testing.app import check_application


def _open_many(session: Session, count: int) -> None:
    for number in range(count):
        pdc = ProductDeliveryCase.create(
            id=f"PDC-{number:05d}",
            product="Basic Allowance",
            primary_client=f"client-{number}",
            owner=Owner.user("ana"),
            supervisor=Owner.user("sam"),
            clock=session.clock,
        )
        pdc.perform("submit", actor="ana")  # an opened and a status-changed record each
        session.add(pdc, actor="ana")


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_every_record_of_an_outbox_beyond_one_pending_read_is_compared(
    backend: str, tmp_path: Path
) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    storage: Storage = (
        MemoryStorage(clock=clock)
        if backend == "memory"
        else SQLiteStorage(tmp_path / "casekit.db", clock=clock)
    )
    try:
        app = Application(storage, clock=clock)
        app.execute("ana", lambda session: _open_many(session, 5_001))
        with app.storage.unit_of_work() as uow:
            assert uow.outbox.count() == 10_002  # one more than a pending read returns
        check_application(app)
        with app.storage.unit_of_work() as uow:  # the check's claims were rolled back
            claimed = uow.outbox.claim(
                10_000, owner="relay", lease=timedelta(minutes=1), now=clock.now()
            )
            assert len(claimed) == 10_000

        with app.storage.unit_of_work() as uow:  # a record lost from the outbox is noticed
            (first,) = uow.outbox.pending(limit=1)
            uow.outbox.ack([first.id], owner="relay")
            uow.commit()
        with pytest.raises(AssertionError, match="PDC-00000"):
            check_application(app)
    finally:
        storage.close()
