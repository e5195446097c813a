"""The atomicity fuzz over the financials: validate at the door, refuse cleanly.

Money (its constructors and arithmetic), payments (created and through their statuses), the
ledger, nominees, deductions, delivery patterns, schedules, simulation, reassessment,
``CaseFinancials`` and the ``ReassessmentEngine``: one :class:`~casekit.testing.FuzzTarget` per
object kind, each method with one valid call, one argument probed at a time. The counts appear
in pytest's terminal summary under "casekit atomicity fuzz".
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from casekit.cases import EvidenceLog, Owner, ProductDeliveryCase
from casekit.cases.codec import case_to_record
from casekit.clock import ManualClock
from casekit.financials import (
    CaseFinancials,
    Decision,
    Deduction,
    DeductionKind,
    DeductionPolicy,
    DeliveryMethod,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    FinancialProduct,
    Frequency,
    InstructionLine,
    Ledger,
    Nominees,
    Payment,
    Period,
    ReassessmentEngine,
    ReassessmentTrigger,
    apply_deductions,
    build_schedule,
    determine,
    entitlement_from_body,
    entitlement_to_body,
    entry_from_body,
    entry_to_body,
    evidence_segments,
    merge_periods,
    month_of,
    nominees_from_body,
    nominees_to_body,
    pattern_from_body,
    pattern_to_body,
    reassess,
    simulate,
)
from casekit.money import Money, allocate, total_of
from casekit.testing import Call, FuzzReport, FuzzTarget
from casekit.testing.fuzz import Operation, constructor

EUR = "EUR"
T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)
JAN_APR = Period(date(2026, 1, 1), date(2026, 4, 30))
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def eur(amount: str) -> Money:
    return Money(amount, EUR)


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
    span=Period(date(2026, 1, 1), date(2026, 12, 31)),
)
PATTERN = DeliveryPattern.monthly(1)
PAID_UNDER = DeterminationSet(
    [Decision(JAN_APR, True, {"basic": eur("600.00"), "housing": eur("200.00")})], EUR
)
CHANGED = DeterminationSet(
    [Decision(JAN_APR, True, {"basic": eur("450.00"), "housing": eur("200.00")})], EUR
)
LINES = build_schedule(PAID_UNDER, PATTERN, Nominees("client-1"), JAN_APR)
LINE = LINES[0]
POLICY = DeductionPolicy(Decimal("0.3"), eur("10.00"))
RENT = Deduction.fixed("rent arrears", eur("25.00"), priority=1, outstanding=eur("100.00"))


def paid_ledger() -> Ledger:
    ledger = Ledger(EUR)
    for line in LINES:
        ledger.record_paid(line, reference=f"PAY-{line.cover.start:%m}-{line.component}")
    return ledger


def payment() -> Payment:
    return Payment.create(
        case_id="PDC-7",
        payee="client-1",
        cover=MARCH,
        amount=eur("800.00"),
        due_date=date(2026, 3, 1),
        lines=[line for line in LINES if line.cover == MARCH],
        clock=ManualClock(T0),
        id="PAY-1",
    )


def submitted() -> Payment:
    paid = payment()
    paid.verify(actor="worker")
    paid.submit(actor="payments")
    return paid


def successful() -> Payment:
    paid = submitted()
    paid.confirm(actor="bank")
    return paid


def failed() -> Payment:
    paid = submitted()
    paid.fail(actor="bank", reason="account closed")
    return paid


def pdc() -> ProductDeliveryCase:
    case = ProductDeliveryCase.create(
        id="PDC-7",
        product="Basic Allowance",
        primary_client="client-1",
        owner=Owner.user("worker"),
        supervisor=Owner.user("boss"),
        clock=ManualClock(T0),
    )
    case.submit(actor="worker")
    case.approve(actor="boss")
    case.activate(actor="worker")
    return case


@attrs.define
class Books:
    """A paid case's financials; its state is the case as stored, the ledger and the engine."""

    financials: CaseFinancials
    event: object
    old: Entitlement

    def state(self) -> object:
        fin = self.financials
        return (case_to_record(fin.pdc), fin.pdc.pending_events, fin)


def books() -> Books:
    case = pdc()
    basic = case.add_evidence(
        "allowance", {"component": "basic", "monthly": "600.00"}, date(2026, 1, 1), actor="w"
    )
    case.add_evidence(
        "allowance", {"component": "housing", "monthly": "200.00"}, date(2026, 1, 1), actor="w"
    )
    fin = CaseFinancials(case, PRODUCT, pattern=PATTERN)
    for line in fin.schedule(JAN_APR):
        paid = Payment.create(
            case_id=case.id,
            payee=line.nominee,
            cover=line.cover,
            amount=line.amount,
            due_date=line.due_date,
            lines=[line],
            clock=ManualClock(T0),
        )
        paid.verify(actor="w")
        paid.submit(actor="payments")
        fin.record_paid(paid)
    old = fin.entitlement
    case.end_evidence(basic.evidence_id, date(2026, 3, 15), actor="w")
    event = case.collect_events()[-1]
    return Books(fin, event, old)


def a_payment_of(fin: CaseFinancials) -> Payment:
    paid = Payment.create(
        case_id=fin.pdc.id,
        payee="client-1",
        cover=Period(date(2026, 5, 1), date(2026, 5, 31)),
        amount=eur("600.00"),
        due_date=date(2026, 5, 1),
        clock=ManualClock(T0),
    )
    paid.verify(actor="w")
    paid.submit(actor="payments")
    return paid


def with_nominee() -> Nominees:
    nominees = Nominees("client-1")
    nominees.assign("housing", "landlord-1", date(2026, 2, 1), actor="w", at=T0)
    return nominees


FINANCIALS: list[FuzzTarget[Any]] = [
    FuzzTarget(
        "Money",
        lambda: eur("600.00"),
        methods={
            "Money": constructor(Money),
            "Money.unrounded": Operation(Money.unrounded),
            "Money.zero": Operation(Money.zero),
            "Money.from_minor": Operation(Money.from_minor),
            "+": Operation(operator.add, prefix=lambda m: (m,)),
            "-": Operation(operator.sub, prefix=lambda m: (m,)),
            "*": Operation(operator.mul, prefix=lambda m: (m,)),
            "/": Operation(operator.truediv, prefix=lambda m: (m,)),
            "<": Operation(operator.lt, prefix=lambda m: (m,)),
            "ratio": Operation(Money.ratio, prefix=lambda m: (m,)),
            "allocate": Operation(allocate, prefix=lambda m: (m,)),
            "total_of": Operation(total_of),
        },
        good_args={
            "Money": Call("12.30", EUR),
            "Money.unrounded": Call(Decimal("290.3225806"), EUR),
            "Money.zero": Call(EUR),
            "Money.from_minor": Call(1230, EUR),
            "+": Call(eur("0.01")),
            "-": Call(eur("0.01")),
            "*": Call(Decimal("1.5")),
            "/": Call(Decimal(31)),
            "<": Call(eur("0.01")),
            "ratio": Call(eur("200.00")),
            "allocate": Call([Decimal(1), 2]),
            "total_of": Call([eur("1.00"), eur("2.00")], EUR),
        },
    ),
    FuzzTarget(
        "Payment (Not Verified)",
        payment,
        methods=["change", "perform", "verify", "reject"],
        good_args={
            "change": Call(actor="worker", amount=eur("700.00"), payee="client-1", cover=MARCH),
            "perform": Call("reject", actor="worker", reason="duplicate"),
            "verify": Call(actor="worker"),
            "reject": Call(actor="worker", reason="duplicate"),
        },
    ),
    FuzzTarget(
        "Payment (Submitted for Payment)",
        submitted,
        methods=["perform", "confirm", "fail", "void"],
        good_args={
            "perform": Call("fail", actor="bank", reason="account closed"),
            "confirm": Call(actor="bank"),
            "fail": Call(actor="bank", reason="account closed"),
            "void": Call(actor="worker", reason="paid twice"),
        },
    ),
    FuzzTarget(
        "Payment (Payment Successful)",
        successful,
        methods=["mark_returned", "refund_or_cancel", "recoup"],
        good_args={
            "mark_returned": Call(actor="bank", reason="returned by the bank"),
            "refund_or_cancel": Call(actor="worker", reason="refunded"),
            "recoup": Call(actor="worker"),
        },
    ),
    FuzzTarget(
        "Payment (Payment Failed)",
        failed,
        methods=["reissue", "void"],
        good_args={"reissue": Call(actor="payments"), "void": Call(actor="worker", reason="gone")},
    ),
    FuzzTarget(
        "Ledger",
        paid_ledger,
        methods=["record_paid", "record_paid_lines", "record_corrections"],
        good_args={
            "record_paid": Call(LINE, reference="PAY-99"),
            "record_paid_lines": Call(list(LINES[:2]), reference="PAY-98"),
            "record_corrections": Call(
                [(LINE.key, eur("-10.00")), (LINES[1].key, eur("5.00"))], reference="PCC-1"
            ),
        },
    ),
    FuzzTarget(
        "Nominees",
        with_nominee,
        methods=["assign"],
        good_args={"assign": Call("housing", "landlord-2", date(2026, 4, 1), actor="w", at=T0)},
    ),
    FuzzTarget(
        "CaseFinancials",
        books,
        state=Books.state,
        methods={
            "record_paid": Operation(
                lambda b, payment: b.financials.record_paid(payment), prefix=lambda b: (b,)
            ),
            "reassess": Operation(CaseFinancials.reassess, prefix=lambda b: (b.financials,)),
            "handle": Operation(CaseFinancials.handle, prefix=lambda b: (b.financials,)),
            "schedule": Operation(CaseFinancials.schedule, prefix=lambda b: (b.financials,)),
            "simulate": Operation(CaseFinancials.simulate, prefix=lambda b: (b.financials,)),
        },
        good_args={
            "record_paid": lambda b: Call(a_payment_of(b.financials)),
            "reassess": Call(
                trigger=ReassessmentTrigger.EVIDENCE_CHANGE,
                actor="worker",
                since=date(2026, 1, 1),
                recover_per_payment=eur("50.00"),
            ),
            "handle": lambda b: Call(b.event, actor="w"),
            "schedule": Call(JAN_APR),
            "simulate": Call(date(2026, 5, 1)),
        },
    ),
    FuzzTarget(
        "ReassessmentEngine",
        books,
        state=Books.state,
        methods={
            "ReassessmentEngine.reassess": Operation(
                ReassessmentEngine.reassess, prefix=lambda b: (b.financials.engine,)
            ),
        },
        good_args={
            "ReassessmentEngine.reassess": lambda b: Call(
                b.financials.pdc,
                old=b.old,
                new=b.financials.determine(),
                ledger=b.financials.ledger,
                pattern=PATTERN,
                nominees=b.financials.nominees,
                actor="worker",
                trigger=ReassessmentTrigger.EVIDENCE_CHANGE,
                since=date(2026, 1, 1),
                recover_per_payment=eur("50.00"),
            )
        },
    ),
    FuzzTarget(
        "financials constructors and functions",
        lambda: None,
        methods={
            "Payment.create": Operation(Payment.create),
            "Ledger": constructor(Ledger),
            "Nominees": constructor(Nominees),
            "Deduction": constructor(Deduction),
            "Deduction.fixed": Operation(Deduction.fixed),
            "Deduction.percentage": Operation(Deduction.percentage),
            "DeductionPolicy": constructor(DeductionPolicy),
            "apply_deductions": Operation(apply_deductions),
            "DeliveryPattern": constructor(DeliveryPattern),
            "DeliveryPattern.weekly": Operation(DeliveryPattern.weekly),
            "DeliveryPattern.fortnightly": Operation(DeliveryPattern.fortnightly),
            "DeliveryPattern.monthly": Operation(DeliveryPattern.monthly),
            "Period": constructor(Period),
            "month_of": Operation(month_of),
            "merge_periods": Operation(merge_periods),
            "Decision": constructor(Decision),
            "DeterminationSet": constructor(DeterminationSet),
            "Entitlement": constructor(Entitlement),
            "InstructionLine": constructor(InstructionLine),
            "FinancialProduct": constructor(FinancialProduct),
            "build_schedule": Operation(build_schedule),
            "simulate": Operation(simulate),
            "reassess": Operation(reassess),
            "determine": Operation(determine),
            "CaseFinancials": Operation(CaseFinancials, prefix=lambda _: (pdc(),)),
            "CaseFinancials.restore": Operation(CaseFinancials.restore, prefix=lambda _: (pdc(),)),
            "Ledger.restore": Operation(Ledger.restore),
            "ReassessmentEngine": constructor(ReassessmentEngine),
            "nominees_from_body": Operation(nominees_from_body),
            "pattern_from_body": Operation(pattern_from_body),
            "entitlement_from_body": Operation(entitlement_from_body),
            "entry_from_body": Operation(entry_from_body),
        },
        good_args={
            "Payment.create": Call(
                case_id="PDC-7",
                payee="client-1",
                cover=MARCH,
                amount=eur("800.00"),
                due_date=date(2026, 3, 1),
                method=DeliveryMethod.CHEQUE,
                lines=[line for line in LINES if line.cover == MARCH],
                clock=ManualClock(T0),
                id="PAY-2",
            ),
            "Ledger": Call(EUR),
            "Nominees": Call("client-1"),
            "Deduction": Call("rent", 1, DeductionKind.FIXED, amount=eur("25.00")),
            "Deduction.fixed": Call("rent", eur("25.00"), priority=1, outstanding=eur("100.00")),
            "Deduction.percentage": Call(
                "recovery", Decimal("0.1"), priority=2, outstanding=eur("100.00")
            ),
            "DeductionPolicy": Call(Decimal("0.3"), eur("10.00")),
            "apply_deductions": Call(eur("600.00"), [RENT], POLICY),
            "DeliveryPattern": Call(DeliveryMethod.EFT, Frequency.MONTHLY, day_of_month=1),
            "DeliveryPattern.weekly": Call(0, method=DeliveryMethod.CASH),
            "DeliveryPattern.fortnightly": Call(date(2026, 3, 2)),
            "DeliveryPattern.monthly": Call(15),
            "Period": Call(date(2026, 3, 1), date(2026, 3, 31)),
            "month_of": Call(date(2026, 3, 16)),
            "merge_periods": Call([MARCH, Period(date(2026, 4, 1), date(2026, 4, 30))]),
            "Decision": Call(MARCH, True, {"basic": eur("600.00")}),
            "DeterminationSet": Call([Decision(MARCH, True, {"basic": eur("600.00")})], EUR),
            "Entitlement": Call(PAID_UNDER),
            "InstructionLine": Call(MARCH, date(2026, 3, 1), "basic", "client-1", eur("600.00")),
            "FinancialProduct": Call(
                "Basic",
                EUR,
                allowance_rules,
                ("basic",),
                Period(date(2026, 1, 1), date(2026, 12, 31)),
            ),
            "build_schedule": Call(PAID_UNDER, PATTERN, Nominees("client-1"), JAN_APR),
            "simulate": Call(
                date(2026, 3, 1),
                entitlement=Entitlement(PAID_UNDER),
                pattern=PATTERN,
                nominees=Nominees("client-1"),
                deductions={"client-1": [RENT]},
                policy=POLICY,
            ),
            "reassess": lambda _: Call(
                "PDC-7",
                old=Entitlement(PAID_UNDER),
                new=Entitlement(CHANGED),
                ledger=paid_ledger(),
                pattern=PATTERN,
                nominees=Nominees("client-1"),
                trigger=ReassessmentTrigger.MANUAL,
                since=date(2026, 1, 1),
                until=date(2026, 4, 30),
            ),
            "determine": Call(allowance_rules, EvidenceLog(), JAN_APR, currency=EUR),
            "CaseFinancials": Call(PRODUCT, pattern=PATTERN, nominees=Nominees("client-1")),
            "CaseFinancials.restore": lambda _: Call(
                PRODUCT,
                pattern=PATTERN,
                nominees=with_nominee(),
                ledger=paid_ledger(),
                entitlement=Entitlement(PAID_UNDER),
            ),
            "Ledger.restore": lambda _: Call(EUR, list(paid_ledger())),
            "ReassessmentEngine": Call(rolled_up=True),
            "nominees_from_body": lambda _: Call(nominees_to_body(with_nominee())),
            "pattern_from_body": Call(
                pattern_to_body(DeliveryPattern.fortnightly(date(2026, 3, 2)))
            ),
            "entitlement_from_body": Call(
                entitlement_to_body(Entitlement(PAID_UNDER, [MARCH, JAN_APR]))
            ),
            "entry_from_body": lambda _: Call(entry_to_body(next(iter(paid_ledger())))),
        },
    ),
]


@pytest.mark.parametrize("target", FINANCIALS, ids=lambda t: t.name)
def test_financials_validate_at_the_door(
    target: FuzzTarget[Any], fuzz_reports: list[FuzzReport]
) -> None:
    """Rule: every financial call succeeds or raises a CasekitError with nothing changed."""
    report = target.run(seed=0, max_calls=200)
    fuzz_reports.append(report)
    assert report.tried > 0, report
    report.assert_clean(allow_suspect=False)
