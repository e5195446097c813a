from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))


@pytest.fixture
def pdc(clock: ManualClock) -> ProductDeliveryCase:
    return ProductDeliveryCase.create(
        id="PDC-17",
        product="Basic Allowance",
        primary_client="p1",
        owner=Owner.user("worker"),
        supervisor=Owner.user("boss"),
        clock=clock,
    )
