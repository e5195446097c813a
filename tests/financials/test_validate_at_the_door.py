"""Validate at the door: financials refuse bad arguments before changing anything.

Rule: every public constructor and mutating method checks all of its arguments, in order,
before the first change; a refused call changes nothing and raises a
:class:`~casekit.errors.CasekitError` (normally ``ValidationError``) naming the object,
the bad value and what would be valid — never a bare TypeError or AttributeError, and
never an accepted value that breaks a later call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from casekit.cases import EvidenceLog, ProductDeliveryCase
from casekit.errors import CasekitError, ValidationError
from casekit.financials import (
    CaseFinancials,
    ClosedCaseStrategy,
    Decision,
    Deduction,
    DeductionPolicy,
    DeductionRecord,
    DeductionStatus,
    DeliveryMethod,
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
    Timing,
    apply_deductions,
    build_schedule,
    determine,
    merge_periods,
    month_of,
    reassess,
    simulate,
)
from casekit.money import Money, allocate, total_of

from .conftest import EUR, WorkedExample, eur

JAN = Period(date(2026, 1, 1), date(2026, 1, 31))
AT = datetime(2026, 1, 1, tzinfo=UTC)


# ----- Nominees -------------------------------------------------------------------------
def test_nominee_assign_refuses_a_string_date_so_later_lookups_keep_working() -> None:
    """Reproduction 2: a first assign with a string date made every nominee_on raise."""
    nominees = Nominees("c1")
    with pytest.raises(ValidationError, match=r"effective_from .* must be a date"):
        nominees.assign("basic", "landlord", "2026-03-01", actor="w", at=AT)  # type: ignore[arg-type]
    assert nominees.history("basic") == ()
    assert nominees.nominee_on("basic", date(2026, 3, 5)) == "c1"
    nominees.assign("basic", "landlord", date(2026, 3, 1), actor="w", at=AT)
    assert nominees.nominee_on("basic", date(2026, 3, 5)) == "landlord"


@pytest.mark.parametrize(
    ("component", "nominee", "effective_from", "actor", "at"),
    [
        ("", "n", date(2026, 1, 1), "w", AT),
        ("basic", None, date(2026, 1, 1), "w", AT),
        ("basic", "n", datetime(2026, 1, 1, tzinfo=UTC), "w", AT),
        ("basic", "n", date(2026, 1, 1), " ", AT),
        ("basic", "n", date(2026, 1, 1), "w", datetime(2026, 1, 1)),
        ("basic", "n", date(2026, 1, 1), "w", "2026-01-01T00:00Z"),
    ],
)
def test_nominee_assign_checks_every_argument_and_records_nothing(
    component: object, nominee: object, effective_from: object, actor: object, at: object
) -> None:
    nominees = Nominees("c1")
    with pytest.raises(ValidationError):
        nominees.assign(component, nominee, effective_from, actor=actor, at=at)  # type: ignore[arg-type]
    assert nominees.history("basic") == ()
    assert nominees.first_assignments() == {}


@pytest.mark.parametrize("client", [None, "", "  ", 3])
def test_nominees_need_a_primary_client(client: object) -> None:
    with pytest.raises(ValidationError, match="primary client"):
        Nominees(client)  # type: ignore[arg-type]


# ----- Payment ----------------------------------------------------------------------------
def _create(**changes: object) -> Payment:
    kw: dict[str, Any] = {
        "case_id": "PDC-1",
        "payee": "c1",
        "cover": JAN,
        "amount": eur("800.00"),
        "due_date": JAN.start,
    }
    kw.update(changes)
    return Payment.create(**kw)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("case_id", None, "case_id"),
        ("case_id", " ", "case_id"),
        ("due_date", "tomorrow", "due_date .* must be a date"),
        ("due_date", datetime(2026, 1, 1, tzinfo=UTC), "due_date .* must be a date"),
        ("method", "carrier pigeon", "method .* must be one of Cash, Cheque, EFT"),
        ("payee", "", "payee"),
        ("cover", (JAN.start, JAN.end), "cover period .* must be a Period"),
        ("amount", Decimal("800.00"), "non-negative Money"),
        ("lines", None, "lines .* sequence of InstructionLines"),
        ("lines", [object()], r"lines .*\[0\] must be a InstructionLine"),
        ("deductions", "none", "deductions .* sequence of DeductionRecords"),
        ("clock", "now", "clock"),
        ("id", "", "id of a new payment"),
    ],
)
def test_payment_create_refuses_each_bad_argument(field: str, value: object, message: str) -> None:
    """Reproduction 2: case_id=None, due_date="tomorrow", method="carrier pigeon" were accepted."""
    with pytest.raises(ValidationError, match=message):
        _create(**{field: value})


def test_payment_create_refuses_the_reproduction_all_at_once() -> None:
    with pytest.raises(ValidationError, match="case_id"):
        _create(case_id=None, due_date="tomorrow", method="carrier pigeon")


def test_payment_method_may_be_given_by_value() -> None:
    assert _create(method="Cheque").method is DeliveryMethod.CHEQUE


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"actor": None}, "actor"),
        ({"actor": "w", "payee": ""}, "payee"),
        ({"actor": "w", "amount": "5.00"}, "amount .* must be a Money"),
        ({"actor": "w", "cover": "January"}, "cover period .* must be a Period"),
    ],
)
def test_payment_change_checks_before_changing(changes: dict[str, Any], message: str) -> None:
    payment = _create()
    before = (payment.amount, payment.payee, payment.cover, payment.updated_at)
    with pytest.raises(ValidationError, match=message):
        payment.change(**changes)
    assert (payment.amount, payment.payee, payment.cover, payment.updated_at) == before


@pytest.mark.parametrize(("actor", "reason"), [(None, None), ("", None), ("w", 5), ("w", " ")])
def test_payment_action_checks_actor_and_reason(actor: object, reason: object) -> None:
    payment = _create()
    with pytest.raises(ValidationError):
        payment.reject(actor=actor, reason=reason)  # type: ignore[arg-type]
    assert payment.history == ()
    assert payment.status.value == "Not Verified"


# ----- CaseFinancials -----------------------------------------------------------------------
def _no_rules(evidence: EvidenceLog, span: Period) -> list[Decision]:
    return []


PRODUCT = FinancialProduct(
    name="Basic Allowance",
    currency=EUR,
    rule_set=_no_rules,
    components=("basic",),
    span=Period(date(2026, 1, 1), date(2026, 12, 31)),
)


def test_record_paid_refuses_another_kind_of_object(pdc: ProductDeliveryCase) -> None:
    """Reproduction 2: record_paid given a line instead of a Payment raised AttributeError."""
    fin = CaseFinancials(pdc, PRODUCT, pattern=DeliveryPattern.monthly(1))
    line = InstructionLine(JAN, JAN.start, "basic", "client-1", eur("1.00"))
    with pytest.raises(ValidationError, match="must be a Payment"):
        fin.record_paid(line)  # type: ignore[arg-type]
    assert len(fin.ledger) == 0


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"pdc": "PDC-7"}, "must be a ProductDeliveryCase"),
        ({"product": "Basic"}, "must be a FinancialProduct"),
        ({"pattern": "monthly"}, "must be a DeliveryPattern"),
        ({"nominees": "client-1"}, "must be a Nominees"),
        ({"ledger": Ledger("USD")}, "ledger .* is in USD"),
        ({"engine": object()}, "must be a ReassessmentEngine"),
    ],
)
def test_case_financials_checks_its_arguments(
    pdc: ProductDeliveryCase, kw: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {"pdc": pdc, "product": PRODUCT, "pattern": DeliveryPattern.monthly(1)}
    args.update(kw)
    with pytest.raises(CasekitError, match=message):
        CaseFinancials(args.pop("pdc"), args.pop("product"), **args)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"trigger": "whim"}, "trigger"),
        ({"actor": ""}, "actor"),
        ({"since": "2026-01-01"}, "since must be a date"),
        ({"recover_per_payment": 10}, "positive Money"),
    ],
)
def test_case_financials_reassess_checks_before_anything_changes(
    pdc: ProductDeliveryCase, kw: dict[str, Any], message: str
) -> None:
    fin = CaseFinancials(pdc, PRODUCT, pattern=DeliveryPattern.monthly(1))
    with pytest.raises(ValidationError, match=message):
        fin.reassess(**{"actor": "w", **kw})
    assert fin.reassessments == []
    assert not fin.engine.in_progress(pdc.id)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"name": " "}, "name"),
        ({"currency": "XYZ"}, "ISO 4217"),
        ({"rule_set": "rules"}, "callable"),
        ({"components": "basic"}, "list of component names"),
        ({"components": ()}, "at least one"),
        ({"components": ("basic", None)}, "component"),
        ({"span": (date(2026, 1, 1), date(2026, 2, 1))}, "must be a Period"),
        ({"deduction_policy": 0.25}, "must be a DeductionPolicy"),
    ],
)
def test_financial_product_checks_its_fields(kw: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "name": "Basic",
        "currency": EUR,
        "rule_set": _no_rules,
        "components": ("basic",),
        "span": JAN,
    }
    fields.update(kw)
    with pytest.raises(ValidationError, match=message):
        FinancialProduct(**fields)


# ----- Engine, reassess, booleans --------------------------------------------------------
@pytest.mark.parametrize("rolled_up", ["yes", "False", 1, None])
def test_engine_refuses_truthy_strings_as_booleans(rolled_up: object) -> None:
    """Reproduction 2: rolled_up="False" was taken as True."""
    with pytest.raises(ValidationError, match=r"rolled_up .* must be True or False"):
        ReassessmentEngine(rolled_up=rolled_up)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="closed_cases"):
        ReassessmentEngine(closed_cases="sometimes")  # type: ignore[arg-type]
    assert ReassessmentEngine(closed_cases="Reassessed").closed_cases is (  # type: ignore[arg-type]
        ClosedCaseStrategy.REASSESSED
    )


def test_decision_refuses_a_truthy_string_as_eligible() -> None:
    with pytest.raises(ValidationError, match="eligible must be True or False"):
        Decision(JAN, "False", {"basic": eur("1.00")})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be a Period"):
        Decision("January", True, {})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kw",
    [
        {"old": None},
        {"ledger": "ledger"},
        {"pattern": None},
        {"nominees": "c1"},
        {"trigger": "whim"},
        {"until": "2026-04-30"},
    ],
)
def test_reassess_refuses_arguments_of_the_wrong_kind(
    worked: WorkedExample, kw: dict[str, Any]
) -> None:
    args: dict[str, Any] = {
        "old": worked.paid_under,
        "new": worked.step1,
        "ledger": worked.paid_ledger(),
        "pattern": worked.pattern,
        "nominees": worked.nominees,
    }
    args.update(kw)
    with pytest.raises(ValidationError):
        reassess("PDC-7", **args)


def test_engine_reassess_refuses_a_non_case_and_changes_nothing(worked: WorkedExample) -> None:
    ledger = worked.paid_ledger()
    with pytest.raises(ValidationError, match="must be a ProductDeliveryCase"):
        ReassessmentEngine().reassess(
            "PDC-7",  # type: ignore[arg-type]
            old=worked.paid_under,
            new=worked.step1,
            ledger=ledger,
            pattern=worked.pattern,
            nominees=worked.nominees,
            actor="w",
        )
    assert ledger.total_corrected() == eur("0.00")


# ----- Non-dates and other kinds anywhere in financials --------------------------------
BAD_CALLS: list[tuple[str, Callable[[], object]]] = [
    ("fortnightly anchor", lambda: DeliveryPattern.fortnightly("2026-01-05")),  # type: ignore[arg-type]
    ("weekly weekday bool", lambda: DeliveryPattern.weekly(True)),
    ("weekly weekday 9", lambda: DeliveryPattern.weekly(9)),
    ("monthly day string", lambda: DeliveryPattern.monthly("1")),  # type: ignore[arg-type]
    ("pattern method", lambda: DeliveryPattern.monthly(1, method="pigeon")),  # type: ignore[arg-type]
    ("simulate on string", lambda: simulate("2026-01-01", entitlement=None, pattern=None, nominees=None)),  # type: ignore[arg-type]  # noqa: E501
    ("line due date", lambda: InstructionLine(JAN, "2026-01-01", "basic", "c1", eur("1.00"))),  # type: ignore[arg-type]
    ("line amount", lambda: InstructionLine(JAN, JAN.start, "basic", "c1", Decimal("1.00"))),  # type: ignore[arg-type]
    ("line nominee", lambda: InstructionLine(JAN, JAN.start, "basic", "", eur("1.00"))),
    ("entitlement", lambda: Entitlement("decisions")),  # type: ignore[arg-type]
    ("certified", lambda: Entitlement(DeterminationSet([], EUR), ["2026-01"])),  # type: ignore[list-item]
    ("determination currency", lambda: DeterminationSet([], "XYZ")),
    ("determination decisions", lambda: DeterminationSet(None, EUR)),  # type: ignore[arg-type]
    ("determine span", lambda: determine(_no_rules, EvidenceLog(), "2026", currency=EUR)),  # type: ignore[arg-type]
    ("determine rules", lambda: determine("rules", EvidenceLog(), JAN, currency=EUR)),  # type: ignore[arg-type]
    ("schedule window", lambda: build_schedule(DeterminationSet([], EUR), DeliveryPattern.monthly(1), Nominees("c"), "2026")),  # type: ignore[arg-type]  # noqa: E501
    ("deduction priority", lambda: Deduction.fixed("rent", eur("1.00"), priority="1")),  # type: ignore[arg-type]
    ("deduction outstanding", lambda: Deduction.fixed("rent", eur("1.00"), outstanding=5)),  # type: ignore[arg-type]
    ("policy minimum", lambda: DeductionPolicy(max_rate=1, minimum_payment=100)),  # type: ignore[arg-type]
    ("policy mode", lambda: DeductionPolicy(max_rate=1, when_insufficient="maybe")),  # type: ignore[arg-type]
    ("apply gross", lambda: apply_deductions(None, [], DeductionPolicy(max_rate=1))),  # type: ignore[arg-type]
    ("apply deductions", lambda: apply_deductions(eur("1.00"), [None], DeductionPolicy(max_rate=1))),  # type: ignore[list-item]  # noqa: E501
    ("apply policy", lambda: apply_deductions(eur("1.00"), [], None)),  # type: ignore[arg-type]
    ("payment built directly", lambda: Payment(id="P", case_id="C", payee="c", cover=JAN, amount=eur("1.00"), due_date="soon")),  # type: ignore[arg-type]  # noqa: E501
    ("payment status", lambda: Payment(id="P", case_id="C", payee="c", cover=JAN, amount=eur("1.00"), due_date=JAN.start, status="Paid")),  # type: ignore[arg-type]  # noqa: E501
    ("ledger entry kind", lambda: LedgerEntry("Refund", JAN, "basic", "c", eur("1.00"), "R")),  # type: ignore[arg-type]
    ("ledger entry nominee", lambda: LedgerEntry(EntryKind.PAID, JAN, "basic", None, eur("1.00"), "R")),  # type: ignore[arg-type]  # noqa: E501
    ("deduction record", lambda: DeductionRecord("rent", 1, eur("1"), 1, DeductionStatus.APPLIED)),  # type: ignore[arg-type]
    ("nominee_on string day", lambda: Nominees("c").nominee_on("basic", "2026-01-01")),  # type: ignore[arg-type]
    ("covers_due_on string", lambda: DeliveryPattern.monthly(1).covers_due_on("2026-01-01")),  # type: ignore[arg-type]
    ("cover_periods window", lambda: DeliveryPattern.monthly(1).cover_periods("2026")),  # type: ignore[arg-type]
    ("month_of string", lambda: month_of("2026-02-14")),  # type: ignore[arg-type]
    ("rate_on string", lambda: DeterminationSet([], EUR).rate_on("basic", "2026-01-01")),  # type: ignore[arg-type]
    ("keys_meeting", lambda: Ledger(EUR).keys_meeting(None)),  # type: ignore[arg-type]
]  # fmt: skip


@pytest.mark.parametrize(("name", "call"), BAD_CALLS, ids=[name for name, _ in BAD_CALLS])
def test_bad_arguments_anywhere_in_financials_are_clean_validation_errors(
    name: str, call: Callable[[], object]
) -> None:
    """Non-dates, wrong kinds, truthy values: a ValidationError, never a bare builtin error."""
    with pytest.raises(ValidationError):
        call()


def test_simulate_checks_deductions_per_nominee(worked: WorkedExample) -> None:
    with pytest.raises(ValidationError, match="deduction of 'client-1'"):
        simulate(
            date(2026, 4, 1),
            entitlement=worked.step2,
            pattern=worked.pattern,
            nominees=worked.nominees,
            deductions={"client-1": ["rent"]},  # type: ignore[list-item]
        )


# ----- found by the atomicity fuzz over the financials (test_fuzz_financials.py) -------------


@pytest.mark.parametrize("bad", [None, 0, 1.5, object()])
def test_total_of_refuses_what_is_not_an_iterable_of_money(bad: object) -> None:
    """Rule: validate at the door. total_of(None) raised a bare TypeError."""
    with pytest.raises(ValidationError, match=r"total_of needs an iterable of Money amounts"):
        total_of(bad, "EUR")  # type: ignore[arg-type]


def test_allocate_refuses_a_weight_too_large_to_divide_by() -> None:
    """Rule: validate at the door. A weight of 1e999999 raised a bare decimal.Overflow."""
    with pytest.raises(CasekitError, match=r"cannot allocate 600.00 EUR over weights"):
        allocate(Money("600.00", "EUR"), [Decimal("1e999999")])


@pytest.mark.parametrize("bad", [None, 0, "abc", [object()]])
def test_merge_periods_refuses_what_is_not_periods(bad: object) -> None:
    """Rule: validate at the door. merge_periods(0) raised TypeError, ["abc"] AttributeError."""
    with pytest.raises(ValidationError, match=r"merge_periods needs|a period to merge must be"):
        merge_periods(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["x", 0, 1.5])
def test_a_fixed_deduction_amount_must_be_money(bad: object) -> None:
    """Rule: validate at the door. Deduction.fixed("rent", "x", outstanding=...) raised a bare
    AttributeError comparing currencies before the amount was checked."""
    with pytest.raises(ValidationError, match=r"amount of deduction 'rent' must be a Money"):
        Deduction.fixed("rent", bad, outstanding=Money("100.00", "EUR"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "pattern", [DeliveryPattern.monthly(1), DeliveryPattern.weekly(0)], ids=["monthly", "weekly"]
)
def test_cover_periods_at_the_end_of_the_calendar_are_refused(pattern: DeliveryPattern) -> None:
    """Rule: validate at the door. simulate(on=date.max) raised a bare ValueError ("year 10000
    is out of range") from the delivery pattern."""
    with pytest.raises(ValidationError, match=r"falls outside the calendar"):
        pattern.covers_due_on(date.max)
    arrears = DeliveryPattern.monthly(1, timing=Timing.IN_ARREARS)
    with pytest.raises(ValidationError, match=r"falls outside the calendar"):
        arrears.covers_due_on(date.min)
    with pytest.raises(ValidationError, match=r"falls outside the calendar"):
        arrears.due_date(Period(date(9999, 12, 1), date.max))


def test_a_payments_lines_name_its_payee_and_a_payee_change_keeps_them_right() -> None:
    """Review regression: a payment could carry lines owed to another nominee, and
    ``change(payee=)`` kept the old nominee on the lines, so a redirected payment was booked
    against the wrong person and recovered from someone who received nothing."""
    line = InstructionLine(JAN, JAN.start, "basic", "c1", eur("800.00"))
    with pytest.raises(ValidationError, match="lines are owed to c1"):
        _create(payee="zz", lines=[line])
    payment = _create(lines=[line])
    with pytest.raises(ValidationError, match="wrong nominee"):
        payment.change(actor="worker", payee="g1")
    assert (payment.payee, payment.lines[0].nominee) == ("c1", "c1")
    unlined = _create()
    unlined.change(actor="worker", payee="g1")
    assert unlined.payee == "g1"
