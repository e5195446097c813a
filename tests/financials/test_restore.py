"""Financials rebuilt from stored parts reassess exactly as the financials that stored them.

An application keeps a case's financials in storage and rebuilds them per command, in a
fresh process: the pattern, the nominees, the ledger's entries and the entitlement payments
are made under, each through its codec. Rule: encode everything after the payments and
before a reassessment, restore, reassess → the same result, the same correction entries,
the same correction case and the same settlement payments as the original.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from casekit.cases import EvidenceLog, Owner, ProductDeliveryCase
from casekit.cases.codec import case_from_record, case_to_record
from casekit.clock import ManualClock
from casekit.errors import CurrencyMismatch, InvalidMoney, ValidationError
from casekit.financials import (
    AppliedReassessment,
    CaseFinancials,
    Decision,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    EntryKind,
    FinancialProduct,
    InstructionLine,
    Ledger,
    LedgerEntry,
    Nominees,
    Payment,
    Period,
    ReassessmentEngine,
    entitlement_from_body,
    entitlement_to_body,
    entry_from_body,
    entry_to_body,
    evidence_segments,
    nominees_from_body,
    nominees_to_body,
    pattern_from_body,
    pattern_to_body,
)
from casekit.money import Money

from .conftest import EUR, WorkedExample, eur
from .strategies import ledger_entries

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))


def allowance_rules(evidence: EvidenceLog, span: Period) -> Iterator[Decision]:
    for segment in evidence_segments(evidence.current("allowance"), span):
        rates = {
            str(e.attributes["component"]): Money(str(e.attributes["monthly"]), EUR)
            for e in evidence.in_force("allowance", on=segment.start)
        }
        yield Decision(segment, bool(rates), rates)


PRODUCT = FinancialProduct(
    name="Basic Allowance",
    currency=EUR,
    rule_set=allowance_rules,
    components=("basic", "housing"),
    span=YEAR,
)


# ----- Ledger.restore -------------------------------------------------------------------
def _same_ledger(a: Ledger, b: Ledger) -> None:
    assert list(a) == list(b)
    assert a.currency == b.currency
    assert (a.earliest_cover_start, a.latest_cover_end) == (
        b.earliest_cover_start,
        b.latest_cover_end,
    )
    assert a._paid == b._paid
    assert a._corrected == b._corrected
    assert a._ends == b._ends
    assert a._by_end == b._by_end
    assert (a.total_paid(), a.total_corrected()) == (b.total_paid(), b.total_corrected())


@given(st.lists(ledger_entries(), max_size=30))
def test_a_restored_ledger_is_the_ledger_its_entries_were_recorded_in(
    entries: list[LedgerEntry],
) -> None:
    recorded = Ledger(EUR)
    for entry in entries:  # recorded one by one, as payments and reassessments record them
        if entry.kind is EntryKind.PAID:
            line = InstructionLine(
                entry.cover, entry.cover.start, entry.component, entry.nominee, entry.amount
            )
            recorded.record_paid(line, reference=entry.reference)
        else:
            key = (entry.cover.start, entry.cover.end, entry.component, entry.nominee)
            recorded.record_corrections([(key, entry.amount)], reference=entry.reference)
    restored = Ledger.restore(EUR, entries)
    _same_ledger(restored, recorded)
    window = Period(date(2026, 1, 1), date(2026, 12, 31))
    assert restored.keys_meeting(window) == recorded.keys_meeting(window)


def test_ledger_restore_round_trips_the_worked_example_through_its_bodies(
    worked: WorkedExample,
) -> None:
    ledger = worked.paid_ledger()
    ledger.record_corrections(
        [((date(2026, 3, 1), date(2026, 3, 31), "basic", "client-1"), eur("-77.42"))],
        reference="PDC-7/R1",
    )
    bodies = json.loads(json.dumps([entry_to_body(e) for e in ledger]))
    _same_ledger(Ledger.restore(EUR, (entry_from_body(b) for b in bodies)), ledger)


MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


@pytest.mark.parametrize(
    ("currency", "entries", "error", "message"),
    [
        ("XYZ", [], ValidationError, "ISO 4217"),
        (EUR, "entries", ValidationError, "iterable of LedgerEntry"),
        (EUR, [object()], ValidationError, "entry 0 of a restored ledger must be a LedgerEntry"),
        (
            EUR,
            [
                LedgerEntry(EntryKind.PAID, MARCH, "basic", "c1", eur("600.00"), "PAY-1"),
                LedgerEntry(EntryKind.PAID, MARCH, "basic", "c1", Money("1", "USD"), "PAY-2"),
            ],
            CurrencyMismatch,
            "entry 1 of a restored ledger.*USD",
        ),
        (
            EUR,
            [LedgerEntry(EntryKind.CORRECTION, MARCH, "basic", "*", eur("-1.00"), "R1")],
            ValidationError,
            r"'\*' \(all nominees\)",
        ),
        ("JPY", [], None, ""),
    ],
)
def test_ledger_restore_checks_every_entry_first(
    currency: str, entries: Any, error: type[Exception] | None, message: str
) -> None:
    if error is None:
        assert len(Ledger.restore(currency, entries)) == 0
        return
    with pytest.raises(error, match=message):
        Ledger.restore(currency, entries)


def test_ledger_restore_refuses_fractions_of_a_cent() -> None:
    entry = LedgerEntry(EntryKind.PAID, MARCH, "basic", "c1", Money("1", "EUR"), "PAY-1")
    object.__setattr__(entry, "amount", Money.unrounded("0.001", "EUR"))  # bypass the door
    with pytest.raises(InvalidMoney, match="whole number of minor units"):
        Ledger.restore(EUR, [entry])


# ----- CaseFinancials.restore -----------------------------------------------------------
def _pdc(*, certified_to: date | None) -> ProductDeliveryCase:
    case = ProductDeliveryCase.create(
        id="PDC-7",
        product="Basic Allowance",
        primary_client="client-1",
        owner=Owner.user("worker"),
        supervisor=Owner.user("boss"),
        clock=ManualClock(T0),
        requires_certification=certified_to is not None,
    )
    if certified_to is not None:
        case.certify(date(2026, 1, 1), certified_to, actor="worker")
    case.submit(actor="worker")
    case.approve(actor="boss")
    case.activate(actor="worker")
    return case


def _pay(fin: CaseFinancials, window: Period) -> None:
    for line in fin.schedule(window):
        payment = Payment.create(
            case_id=fin.pdc.id,
            payee=line.nominee,
            cover=line.cover,
            amount=line.amount,
            due_date=line.due_date,
            lines=[line],
            clock=fin.pdc.clock,
        )
        payment.verify(actor="w")
        payment.submit(actor="payment-run")
        fin.record_paid(payment)


def _change(pdc: ProductDeliveryCase, component: str, monthly: str, start: date) -> None:
    """From ``start`` on, ``component`` is ``monthly`` (``"0"``: it stops)."""
    for record in pdc.evidence.current("allowance"):
        if record.attributes["component"] == component and (
            record.effective_to is None or record.effective_to >= start
        ):
            if record.effective_from >= start:
                pdc.remove_evidence(record.evidence_id, actor="w")
            else:
                pdc.end_evidence(record.evidence_id, start - timedelta(days=1), actor="w")
    if monthly != "0":
        pdc.add_evidence(
            "allowance", {"component": component, "monthly": monthly}, start, actor="w"
        )


def _stored(fin: CaseFinancials) -> dict[str, Any]:
    """Everything an application stores of a case, as JSON (what a fresh process reads)."""
    return json.loads(
        json.dumps(
            {
                "case": case_to_record(fin.pdc),
                "pattern": pattern_to_body(fin.pattern),
                "nominees": nominees_to_body(fin.nominees),
                "entitlement": entitlement_to_body(fin.entitlement),
                "ledger": [entry_to_body(entry) for entry in fin.ledger],
            },
            default=str,
        )
    )


def _restored(stored: dict[str, Any]) -> CaseFinancials:
    pdc = case_from_record(stored["case"], clock=ManualClock(T0))
    assert isinstance(pdc, ProductDeliveryCase)
    return CaseFinancials.restore(
        pdc,
        PRODUCT,
        pattern=pattern_from_body(stored["pattern"]),
        nominees=nominees_from_body(stored["nominees"]),
        ledger=Ledger.restore(EUR, map(entry_from_body, stored["ledger"])),
        entitlement=entitlement_from_body(stored["entitlement"]),
    )


def _same_outcome(a: AppliedReassessment, b: AppliedReassessment) -> None:
    assert a.reassessment_id == b.reassessment_id
    assert a.result == b.result  # rows, totals, period, outcome
    assert (a.result.net, a.result.outcome) == (b.result.net, b.result.outcome)
    assert a.entries == b.entries
    assert a.skipped == b.skipped
    assert a.recoveries == b.recoveries
    assert [(p.id, p.payee, p.cover, p.amount) for p in a.payments] == [
        (p.id, p.payee, p.cover, p.amount) for p in b.payments
    ]
    if a.correction_case is None:
        assert b.correction_case is None
    else:
        assert b.correction_case is not None
        assert (a.correction_case.id, a.correction_case.net, a.correction_case.lines) == (
            b.correction_case.id,
            b.correction_case.net,
            b.correction_case.lines,
        )


amounts = st.sampled_from(["0", "100.00", "200.00", "450.00", "600.00", "333.33"])
days_2026 = st.dates(min_value=date(2026, 1, 2), max_value=date(2026, 6, 30))
patterns_2026 = st.one_of(
    st.integers(1, 28).map(DeliveryPattern.monthly),
    st.integers(0, 6).map(DeliveryPattern.weekly),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 1, 14)).map(
        DeliveryPattern.fortnightly
    ),
)
changes = st.lists(
    st.tuples(st.sampled_from(["basic", "housing"]), amounts, days_2026), min_size=1, max_size=3
)


@given(
    pattern=patterns_2026,
    certified_to=st.none() | st.dates(min_value=date(2026, 5, 4), max_value=date(2026, 12, 31)),
    landlord_from=st.none() | days_2026,
    earlier=st.lists(
        st.tuples(st.sampled_from(["basic", "housing"]), amounts, days_2026), max_size=2
    ),
    later=changes,
    retroactive_nominee=st.none() | days_2026,
    recover=st.booleans(),
)
def test_restored_financials_reassess_exactly_as_the_originals(
    *,
    pattern: DeliveryPattern,
    certified_to: date | None,
    landlord_from: date | None,
    earlier: list[tuple[str, str, date]],
    later: list[tuple[str, str, date]],
    retroactive_nominee: date | None,
    recover: bool,
) -> None:
    pdc = _pdc(certified_to=certified_to)
    for component, monthly in (("basic", "600.00"), ("housing", "200.00")):
        pdc.add_evidence(
            "allowance", {"component": component, "monthly": monthly}, date(2026, 1, 1), actor="w"
        )
    nominees = Nominees("client-1")
    if landlord_from is not None:
        nominees.assign("housing", "landlord-1", landlord_from, actor="w", at=T0)
    fin = CaseFinancials(pdc, PRODUCT, pattern=pattern, nominees=nominees)
    _pay(fin, Period(date(2026, 1, 1), date(2026, 4, 30)))
    for change in earlier:  # reassessed before the snapshot: corrections in the ledger
        _change(pdc, *change)
        fin.reassess(actor="w")
    for change in later:  # in the evidence, not yet reassessed
        _change(pdc, *change)
    if retroactive_nominee is not None and (
        landlord_from is None or retroactive_nominee > landlord_from
    ):
        fin.nominees.assign("housing", "landlord-2", retroactive_nominee, actor="w", at=T0)
    stored = _stored(fin)
    number = len(fin.reassessments) + 1
    recovery = eur("50.00") if recover else None

    original = fin.reassess(actor="w", recover_per_payment=recovery)
    restored = _restored(stored)
    again = restored.reassess(actor="w", recover_per_payment=recovery, number=number)

    event(f"outcome: {original.result.outcome.value}")
    stored_kinds = {entry["kind"] for entry in stored["ledger"]}
    event(f"stored ledger holds corrections: {'Correction' in stored_kinds}")
    _same_outcome(original, again)
    assert again.reassessment_id == f"PDC-7/R{number}"
    _same_ledger(restored.ledger, fin.ledger)
    assert restored.entitlement == fin.entitlement
    assert list(restored.ledger)[len(stored["ledger"]) :] == list(again.entries)


def test_restore_keeps_the_stored_entitlement_not_the_evidence(worked: WorkedExample) -> None:
    """The evidence changed after the payments; a constructor would determine the new
    entitlement and find nothing to correct — restore compares against the stored one."""
    pdc = _pdc(certified_to=None)
    basic = pdc.add_evidence(
        "allowance", {"component": "basic", "monthly": "600.00"}, date(2026, 1, 1), actor="w"
    )
    fin = CaseFinancials(pdc, PRODUCT, pattern=DeliveryPattern.monthly(1))
    _pay(fin, Period(date(2026, 1, 1), date(2026, 4, 30)))
    paid_under = fin.entitlement
    pdc.end_evidence(basic.evidence_id, date(2026, 3, 15), actor="w")

    fresh = CaseFinancials(pdc, PRODUCT, pattern=fin.pattern, ledger=fin.ledger)
    assert fresh.entitlement != paid_under
    restored = CaseFinancials.restore(
        pdc,
        PRODUCT,
        pattern=fin.pattern,
        nominees=fin.nominees,
        ledger=fin.ledger,
        entitlement=paid_under,
    )
    assert restored.entitlement is paid_under
    assert restored.reassessments == []
    applied = restored.reassess(actor="w", number=4)
    assert applied.result.net == eur("-909.68")  # 600 × 16/31 of March, all of April
    assert applied.reassessment_id == "PDC-7/R4"
    assert restored.entitlement == restored.determine()


def _restore_kwargs(worked: WorkedExample) -> dict[str, Any]:
    return {
        "pattern": worked.pattern,
        "nominees": worked.nominees,
        "ledger": worked.paid_ledger(),
        "entitlement": worked.paid_under,
    }


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"pattern": None}, ValidationError, "pattern of restored CaseFinancials of PDC-7"),
        ({"nominees": None}, ValidationError, "nominees of restored CaseFinancials"),
        ({"ledger": None}, ValidationError, "ledger of restored CaseFinancials"),
        ({"ledger": Ledger("USD")}, CurrencyMismatch, "ledger of restored.*USD"),
        ({"entitlement": None}, ValidationError, "entitlement of restored CaseFinancials"),
        (
            {"entitlement": Entitlement(DeterminationSet([], "USD"))},
            CurrencyMismatch,
            "the entitlement of restored CaseFinancials of PDC-7 is in USD",
        ),
        (
            {
                "entitlement": Entitlement(
                    DeterminationSet([Decision(MARCH, True, {"fuel": eur("1.00")})], EUR)
                )
            },
            ValidationError,
            r"names components \['fuel'\]; the product 'Basic Allowance' pays basic, housing",
        ),
        ({"engine": "engine"}, ValidationError, "engine of restored CaseFinancials"),
    ],
)
def test_restore_checks_its_arguments_like_the_constructor(
    worked: WorkedExample, change: dict[str, Any], error: type[Exception], message: str
) -> None:
    pdc = _pdc(certified_to=None)
    with pytest.raises(error, match=message):
        CaseFinancials.restore(pdc, PRODUCT, **{**_restore_kwargs(worked), **change})


def test_restore_takes_a_shared_engine(worked: WorkedExample) -> None:
    engine = ReassessmentEngine(rolled_up=True)
    restored = CaseFinancials.restore(
        _pdc(certified_to=None), PRODUCT, engine=engine, **_restore_kwargs(worked)
    )
    assert restored.engine is engine
