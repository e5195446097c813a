"""Shared fixtures: the worked example of domain.md §3 and a product delivery case."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs
import pytest

from casekit.cases import Owner, ProductDeliveryCase
from casekit.clock import ManualClock
from casekit.financials import (
    Decision,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    Ledger,
    Nominees,
    Period,
    build_schedule,
)
from casekit.money import Money

EUR = "EUR"


def eur(amount: str) -> Money:
    return Money(amount, EUR)


def d(start: date, end: date, **rates: str) -> Decision:
    return Decision(Period(start, end), True, {k: eur(v) for k, v in rates.items()})


@attrs.frozen
class WorkedExample:
    """domain.md §3: Jan–Apr 2026, basic 600/month and housing 200/month, all paid."""

    pattern: DeliveryPattern
    nominees: Nominees
    paid_under: Entitlement
    step1: Entitlement
    step2: Entitlement

    def paid_ledger(self) -> Ledger:
        ledger = Ledger(EUR)
        for line in build_schedule(
            self.paid_under.determinations,
            self.pattern,
            self.nominees,
            Period(date(2026, 1, 1), date(2026, 4, 30)),
        ):
            ledger.record_paid(line, reference=f"PAY-{line.cover.start:%m}-{line.component}")
        return ledger


@pytest.fixture
def worked() -> WorkedExample:
    jan, mar15, mar16 = date(2026, 1, 1), date(2026, 3, 15), date(2026, 3, 16)
    mar31, apr1, apr15, apr16, apr30 = (
        date(2026, 3, 31),
        date(2026, 4, 1),
        date(2026, 4, 15),
        date(2026, 4, 16),
        date(2026, 4, 30),
    )
    paid_under = DeterminationSet([d(jan, apr30, basic="600.00", housing="200.00")], EUR)
    # New evidence: from 16 March basic is 450.00/month, and housing stops from 1 April.
    step1 = DeterminationSet(
        [
            d(jan, mar15, basic="600.00", housing="200.00"),
            d(mar16, mar31, basic="450.00", housing="200.00"),
            d(apr1, apr30, basic="450.00"),
        ],
        EUR,
    )
    # Later evidence: housing stopped on 16 April instead.
    step2 = DeterminationSet(
        [
            d(jan, mar15, basic="600.00", housing="200.00"),
            d(mar16, apr15, basic="450.00", housing="200.00"),
            d(apr16, apr30, basic="450.00"),
        ],
        EUR,
    )
    return WorkedExample(
        DeliveryPattern.monthly(1),
        Nominees("client-1"),
        Entitlement(paid_under),
        Entitlement(step1),
        Entitlement(step2),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 5, 4, 9, tzinfo=UTC))


@pytest.fixture
def pdc(clock: ManualClock) -> ProductDeliveryCase:
    case = ProductDeliveryCase.create(
        id="PDC-7",
        product="Basic Allowance",
        primary_client="client-1",
        owner=Owner.user("worker"),
        supervisor=Owner.user("boss"),
        clock=clock,
    )
    case.submit(actor="worker")
    case.approve(actor="boss")
    case.activate(actor="worker")
    return case
