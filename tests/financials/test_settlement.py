"""Settlement is per nominee; a retroactive nominee change alone is reassessed (domain.md §3).

Rules: each nominee is paid what they are owed and each nominee's overpayment is recovered
from that nominee; one person's debt is never set against another person's entitlement;
every correction and settlement line names its nominee. A retroactive change of nominee
is a change of circumstance and is found without the caller passing ``since=``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casekit.cases import CorrectionOutcome, ProductDeliveryCase
from casekit.errors import ValidationError
from casekit.financials import (
    ALL_COMPONENTS,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    Ledger,
    Nominees,
    Period,
    ReassessmentEngine,
    build_schedule,
    reassess,
)

from .conftest import EUR, d, eur

MONTHLY = DeliveryPattern.monthly(1)
Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _guardian_case() -> tuple[Nominees, Entitlement, Entitlement, Ledger]:
    """basic → client c1, care → guardian g1; March: c1 owed +80.00, g1 owes −120.00."""
    nominees = Nominees("c1")
    nominees.assign("care", "g1", date(2026, 1, 1), actor="w", at=AT)
    paid = DeterminationSet(
        [d(date(2026, 1, 1), date(2026, 3, 31), basic="100.00", care="200.00")], EUR
    )
    new = DeterminationSet(
        [
            d(date(2026, 1, 1), date(2026, 2, 28), basic="100.00", care="200.00"),
            d(date(2026, 3, 1), date(2026, 3, 31), basic="180.00", care="80.00"),
        ],
        EUR,
    )
    ledger = Ledger(EUR)
    for line in build_schedule(paid, MONTHLY, nominees, Q1):
        ledger.record_paid(line, reference=f"PAY-{line.cover.start:%m}-{line.component}")
    return nominees, Entitlement(paid), Entitlement(new), ledger


def _engine_run(
    engine: ReassessmentEngine, pdc: ProductDeliveryCase, **kw: object
) -> tuple[object, Ledger]:
    nominees, old, new, ledger = _guardian_case()
    applied = engine.reassess(
        pdc,
        old=old,
        new=new,
        ledger=ledger,
        pattern=MONTHLY,
        nominees=nominees,
        actor="worker",
        **kw,  # type: ignore[arg-type]
    )
    return applied, ledger


def test_settlement_is_per_nominee_client_paid_guardian_recovered(
    pdc: ProductDeliveryCase,
) -> None:
    """Reproduction 4: +80.00 owed to the client is paid although the case nets to −40.00,
    and the guardian's −120.00 is recovered from the guardian, not netted to 40.00."""
    applied, ledger = _engine_run(ReassessmentEngine(), pdc, recover_per_payment=eur("50.00"))
    result = applied.result  # type: ignore[attr-defined]
    assert result.outcome is CorrectionOutcome.OVERPAYMENT
    assert result.net == eur("-40.00")
    payments = applied.payments  # type: ignore[attr-defined]
    assert [(p.payee, p.amount) for p in payments] == [("c1", eur("80.00"))]
    recoveries = applied.recoveries  # type: ignore[attr-defined]
    assert set(recoveries) == {"g1"}
    assert recoveries["g1"].outstanding == eur("120.00")
    assert "g1" in recoveries["g1"].name
    assert applied.recovery is recoveries["g1"]  # type: ignore[attr-defined]
    pcc = applied.correction_case  # type: ignore[attr-defined]
    assert {(line.component, line.nominee, line.amount) for line in pcc.lines} == {
        ("basic", "c1", eur("80.00")),
        ("care", "g1", eur("-120.00")),
    }
    assert ledger.total_corrected() == eur("-40.00")


def test_settlement_pays_the_client_even_without_a_recovery_amount(
    pdc: ProductDeliveryCase,
) -> None:
    applied, _ = _engine_run(ReassessmentEngine(), pdc)
    assert [(p.payee, p.amount) for p in applied.payments] == [("c1", eur("80.00"))]  # type: ignore[attr-defined]
    assert applied.recoveries == {}  # type: ignore[attr-defined]
    assert applied.recovery is None  # type: ignore[attr-defined]


def test_rolled_up_correction_has_one_line_per_nominee_each_naming_it(
    pdc: ProductDeliveryCase,
) -> None:
    """A correction line always names its nominee, rolled up too."""
    applied, _ = _engine_run(ReassessmentEngine(rolled_up=True), pdc)
    lines = applied.correction_case.lines  # type: ignore[attr-defined]
    assert {(line.component, line.nominee, line.amount) for line in lines} == {
        (ALL_COMPONENTS, "c1", eur("80.00")),
        (ALL_COMPONENTS, "g1", eur("-120.00")),
    }
    assert all(line.nominee != ALL_COMPONENTS for line in lines)


def test_recovery_property_refuses_to_pick_one_of_several_nominees(
    pdc: ProductDeliveryCase,
) -> None:
    nominees = Nominees("c1")
    nominees.assign("care", "g1", date(2026, 1, 1), actor="w", at=AT)
    paid = DeterminationSet(
        [d(date(2026, 1, 1), date(2026, 3, 31), basic="100.00", care="200.00")], EUR
    )
    less = DeterminationSet(
        [d(date(2026, 1, 1), date(2026, 3, 31), basic="50.00", care="150.00")], EUR
    )
    ledger = Ledger(EUR)
    for line in build_schedule(paid, MONTHLY, nominees, Q1):
        ledger.record_paid(line, reference="P")
    applied = ReassessmentEngine().reassess(
        pdc,
        old=Entitlement(paid),
        new=Entitlement(less),
        ledger=ledger,
        pattern=MONTHLY,
        nominees=nominees,
        actor="worker",
        recover_per_payment=eur("10.00"),
    )
    assert {n: r.outstanding for n, r in applied.recoveries.items()} == {
        "c1": eur("150.00"),
        "g1": eur("150.00"),
    }
    with pytest.raises(ValidationError, match="several nominees"):
        _ = applied.recovery


def _landlord_case() -> tuple[DeterminationSet, Ledger, Nominees]:
    ds = DeterminationSet([d(date(2026, 1, 1), date(2026, 3, 31), basic="100.00")], EUR)
    ledger = Ledger(EUR)
    for line in build_schedule(ds, MONTHLY, Nominees("c1"), Q1):
        ledger.record_paid(line, reference="P")
    nominees = Nominees("c1")  # the same history, then a retroactive change from 1 March
    nominees.assign("basic", "landlord", date(2026, 3, 1), actor="w", at=AT)
    return ds, ledger, nominees


def test_retroactive_nominee_change_alone_is_reassessed_without_since() -> None:
    """Reproduction 5: same entitlement, nominee changed from 1 March: found with no since=."""
    ds, ledger, nominees = _landlord_case()
    result = reassess(
        "PDC-1",
        old=Entitlement(ds),
        new=Entitlement(ds),
        ledger=ledger,
        pattern=MONTHLY,
        nominees=nominees,
    )
    assert result.period == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert result.outcome is CorrectionOutcome.NET_ZERO
    assert {(line.nominee, line.amount) for line in result.by_component()} == {
        ("c1", eur("-100.00")),
        ("landlord", eur("100.00")),
    }


def test_retroactive_nominee_change_is_settled_per_nominee_and_then_settled_for_good(
    pdc: ProductDeliveryCase,
) -> None:
    ds, ledger, nominees = _landlord_case()
    engine = ReassessmentEngine()
    kw = {"ledger": ledger, "pattern": MONTHLY, "nominees": nominees, "actor": "worker"}
    applied = engine.reassess(
        pdc,
        old=Entitlement(ds),
        new=Entitlement(ds),
        recover_per_payment=eur("25.00"),
        **kw,  # type: ignore[arg-type]
    )
    assert applied.result.outcome is CorrectionOutcome.NET_ZERO
    assert [(p.payee, p.amount) for p in applied.payments] == [("landlord", eur("100.00"))]
    assert {n: r.outstanding for n, r in applied.recoveries.items()} == {"c1": eur("100.00")}
    # Recorded: the next reassessment finds nothing more to do.
    again = engine.reassess(pdc, old=Entitlement(ds), new=Entitlement(ds), **kw)  # type: ignore[arg-type]
    assert again.result.outcome is CorrectionOutcome.NO_CHANGE
    assert again.correction_case is None


def test_a_prospective_nominee_change_is_no_change() -> None:
    ds, ledger, _ = _landlord_case()
    nominees = Nominees("c1")
    nominees.assign("basic", "landlord", date(2026, 4, 1), actor="w", at=AT)
    result = reassess(
        "PDC-1",
        old=Entitlement(ds),
        new=Entitlement(ds),
        ledger=ledger,
        pattern=MONTHLY,
        nominees=nominees,
    )
    assert result.outcome is CorrectionOutcome.NO_CHANGE
    assert result.period is None


def test_nominee_change_reassessment_starts_at_the_first_line_paid_to_the_wrong_nominee() -> None:
    """Lines already paid to the right nominee (an earlier assignment) are left alone."""
    ds = DeterminationSet([d(date(2026, 1, 1), date(2026, 3, 31), basic="100.00")], EUR)
    paid_to = Nominees("c1")
    paid_to.assign("basic", "landlord", date(2026, 2, 1), actor="w", at=AT)
    ledger = Ledger(EUR)
    for line in build_schedule(ds, MONTHLY, paid_to, Q1):
        ledger.record_paid(line, reference="P")
    now_to = Nominees("c1")
    now_to.assign("basic", "landlord", date(2026, 2, 1), actor="w", at=AT)
    now_to.assign("basic", "employer", date(2026, 3, 1), actor="w", at=AT)
    result = reassess(
        "PDC-1",
        old=Entitlement(ds),
        new=Entitlement(ds),
        ledger=ledger,
        pattern=MONTHLY,
        nominees=now_to,
    )
    assert result.period == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert {line.nominee: line.amount for line in result.by_nominee()} == {
        "employer": eur("100.00"),
        "landlord": eur("-100.00"),
    }
