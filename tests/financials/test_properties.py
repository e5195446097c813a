"""Hypothesis properties of the money rules and of reassessment.

The due amounts are checked against a naive oracle that walks every day with Fractions and
rounds with Decimal's own half-even quantize: nothing shared with the engine's integer path.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from itertools import pairwise

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import assume, given

from casekit.cases import CorrectionOutcome
from casekit.errors import InvalidMoney
from casekit.financials import (
    Certified,
    Decision,
    Deduction,
    DeductionPolicy,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    Ledger,
    LineKey,
    Nominees,
    Period,
    ReassessmentRequest,
    WhenInsufficient,
    apply_deductions,
    build_schedule,
    merge_periods,
    reassess,
    reassess_many,
)
from casekit.money import Money, allocate

EUR = "EUR"
SPAN = Period(date(2026, 1, 1), date(2026, 6, 30))
COMPONENTS = ("basic", "housing")
NOMINEES = Nominees("c1")

patterns = st.one_of(
    st.integers(1, 28).map(DeliveryPattern.monthly),
    st.integers(0, 6).map(DeliveryPattern.weekly),
)


@st.composite
def determination_sets(draw: st.DrawFn) -> DeterminationSet:
    cuts = draw(st.lists(st.integers(1, SPAN.days - 1), max_size=5, unique=True))
    starts = [SPAN.start + timedelta(days=c) for c in sorted(cuts)]
    bounds = [SPAN.start, *starts]
    ends = [s - timedelta(days=1) for s in starts] + [SPAN.end]
    decisions = []
    for start, end in zip(bounds, ends, strict=True):
        rates = {
            name: Money.from_minor(draw(st.integers(0, 200_000)), EUR)
            for name in COMPONENTS
            if draw(st.booleans()) or name == "basic"
        }
        decisions.append(
            Decision(Period(start, end), draw(st.sampled_from([True, True, False])), rates)
        )
    return DeterminationSet(decisions, EUR)


@st.composite
def certifications(draw: st.DrawFn) -> Certified:
    if draw(st.booleans()):
        return None  # the product needs no certification
    spans = draw(st.lists(st.tuples(st.integers(0, SPAN.days - 1), st.integers(0, 60)), max_size=3))
    return merge_periods(
        Period(SPAN.start + timedelta(days=a), min(SPAN.start + timedelta(days=a + n), SPAN.end))
        for a, n in spans
    )


@st.composite
def nominee_histories(draw: st.DrawFn) -> Nominees:
    nominees = Nominees("c1")
    for component in COMPONENTS:
        days = draw(st.lists(st.integers(1, SPAN.days - 1), max_size=2, unique=True))
        for day in sorted(days):
            nominees.assign(
                component,
                draw(st.sampled_from(["c1", "landlord", "employer"])),
                SPAN.start + timedelta(days=day),
                actor="w",
                at=datetime(2026, 1, 1, tzinfo=UTC),
            )
    return nominees


def paid_ledger(
    ds: DeterminationSet,
    pattern: DeliveryPattern,
    certified: Certified = None,
    nominees: Nominees = NOMINEES,
) -> Ledger:
    ledger = Ledger(EUR)
    for line in build_schedule(ds, pattern, nominees, SPAN, certified=certified):
        ledger.record_paid(line, reference="P")
    return ledger


def oracle_due(
    ds: DeterminationSet, cover: Period, component: str, certified: Certified = None
) -> Decimal:
    total = Fraction(0)
    for day in cover.each_day():
        if certified is not None and not any(p.contains(day) for p in certified):
            continue
        total += Fraction(ds.rate_on(component, day).amount)
    exact = total / cover.days
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN
    )


def paid_plus_corrected(ledger: Ledger, key: LineKey) -> Money:
    return ledger.paid(key) + ledger.corrected(key)


@given(
    old=determination_sets(),
    new=determination_sets(),
    pattern=patterns,
    old_cert=certifications(),
    new_cert=certifications(),
    nominees=nominee_histories(),
)
def test_paid_plus_correction_equals_new_due_to_the_cent(
    *,
    old: DeterminationSet,
    new: DeterminationSet,
    pattern: DeliveryPattern,
    old_cert: Certified,
    new_cert: Certified,
    nominees: Nominees,
) -> None:
    ledger = paid_ledger(old, pattern, old_cert, nominees)
    result = reassess(
        "PDC-P",
        old=Entitlement(old, old_cert),
        new=Entitlement(new, new_cert),
        ledger=ledger,
        pattern=pattern,
        nominees=nominees,
        until=SPAN.end,
    )
    assert result.paid + result.earlier + result.net == result.due
    for line in result.lines:
        assert line.due.amount == oracle_due(new, line.cover, line.component, new_cert)
    ledger.record_corrections([(c.key, c.correction) for c in result.corrections], reference="R")
    for line in result.lines:
        assert paid_plus_corrected(ledger, line.key) == line.due
    # Outside the reassessment period nothing was due differently: over the whole span,
    # every line's paid + corrections is what the new entitlement says was due.
    new_due = {
        line.key: line.amount
        for line in build_schedule(new, pattern, nominees, SPAN, certified=new_cert)
    }
    ledger_keys = {(e.cover.start, e.cover.end, e.component, e.nominee) for e in ledger}
    for key in set(new_due) | ledger_keys:
        assert paid_plus_corrected(ledger, key) == new_due.get(key, Money.zero(EUR))
    # Reassessing again against the same change now finds nothing more to correct.
    again = reassess(
        "PDC-P",
        old=Entitlement(old, old_cert),
        new=Entitlement(new, new_cert),
        ledger=ledger,
        pattern=pattern,
        nominees=nominees,
        until=SPAN.end,
    )
    assert again.outcome is CorrectionOutcome.NO_CHANGE
    assert again.net.is_zero


@given(ds=determination_sets(), pattern=patterns)
def test_reassessing_against_what_was_due_gives_no_change(
    ds: DeterminationSet, pattern: DeliveryPattern
) -> None:
    result = reassess(
        "PDC-P",
        old=Entitlement(ds),
        new=Entitlement(ds),
        ledger=paid_ledger(ds, pattern),
        pattern=pattern,
        nominees=NOMINEES,
        since=SPAN.start,
        until=SPAN.end,
    )
    assert result.outcome is CorrectionOutcome.NO_CHANGE
    assert result.corrections == ()


@given(old=determination_sets(), new=determination_sets(), pattern=patterns)
def test_swapping_old_and_new_negates_the_correction(
    old: DeterminationSet, new: DeterminationSet, pattern: DeliveryPattern
) -> None:
    forward = reassess(
        "PDC-P",
        old=Entitlement(old),
        new=Entitlement(new),
        ledger=paid_ledger(old, pattern),
        pattern=pattern,
        nominees=NOMINEES,
        until=SPAN.end,
    )
    backward = reassess(
        "PDC-P",
        old=Entitlement(new),
        new=Entitlement(old),
        ledger=paid_ledger(new, pattern),
        pattern=pattern,
        nominees=NOMINEES,
        until=SPAN.end,
    )
    assert forward.net == -backward.net
    assert forward.period == backward.period
    assert {c.key: c.correction for c in forward.corrections} == {
        c.key: -c.correction for c in backward.corrections
    }


@given(
    total=st.integers(-(10**9), 10**9),
    weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=12),
)
def test_allocation_parts_always_sum_to_the_whole(total: int, weights: list[int]) -> None:
    assume(any(weights))
    whole = Money.from_minor(total, EUR)
    parts = allocate(whole, weights)
    assert sum(parts, Money.zero(EUR)) == whole
    assert len(parts) == len(weights)
    assert all(p.to_minor() * (1 if total >= 0 else -1) >= 0 for p in parts)


deductions = st.lists(
    st.one_of(
        st.builds(
            lambda n, cents, p, out: Deduction.fixed(
                f"f{n}",
                Money.from_minor(cents, EUR),
                priority=p,
                outstanding=None if out is None else Money.from_minor(out, EUR),
            ),
            st.integers(0, 99),
            st.integers(0, 10**6),
            st.integers(0, 5),
            st.none() | st.integers(0, 10**6),
        ),
        st.builds(
            lambda n, permille, p: Deduction.percentage(
                f"p{n}", Decimal(permille) / 1000, priority=p
            ),
            st.integers(0, 99),
            st.integers(0, 1000),
            st.integers(0, 5),
        ),
    ),
    max_size=6,
)


@given(
    gross=st.integers(0, 10**7),
    items=deductions,
    max_permille=st.integers(0, 1000),
    minimum=st.none() | st.integers(0, 10**7),
    mode=st.sampled_from(WhenInsufficient),
)
def test_deductions_never_exceed_the_max_rate_nor_make_a_payment_negative(
    gross: int,
    items: list[Deduction],
    max_permille: int,
    minimum: int | None,
    mode: WhenInsufficient,
) -> None:
    policy = DeductionPolicy(
        max_rate=Decimal(max_permille) / 1000,
        minimum_payment=None if minimum is None else Money.from_minor(minimum, EUR),
        when_insufficient=mode,
    )
    gross_money = Money.from_minor(gross, EUR)
    result = apply_deductions(gross_money, items, policy)
    cap = (gross_money.amount * policy.max_rate).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    assert result.deducted.amount <= cap
    assert not result.net.is_negative
    if minimum is not None and gross >= minimum:
        assert result.net.to_minor() >= minimum
    assert len(result.records) == len(items)
    assert sum((r.taken for r in result.records), Money.zero(EUR)) == result.deducted
    assert all(r.taken <= r.requested for r in result.records)


@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_reaches_a_money(value: float) -> None:
    with pytest.raises(InvalidMoney):
        Money(value, EUR)  # type: ignore[arg-type]
    with pytest.raises(InvalidMoney):
        Money("1.00", EUR) * value
    with pytest.raises(InvalidMoney):
        Deduction.percentage("p", value)  # type: ignore[arg-type]


@given(old=determination_sets(), new=determination_sets(), pattern=patterns)
def test_every_amount_reassessment_produces_is_a_decimal_at_the_cent(
    old: DeterminationSet, new: DeterminationSet, pattern: DeliveryPattern
) -> None:
    result = reassess(
        "PDC-P",
        old=Entitlement(old),
        new=Entitlement(new),
        ledger=paid_ledger(old, pattern),
        pattern=pattern,
        nominees=NOMINEES,
        until=SPAN.end,
    )
    amounts = [result.due, result.paid, result.earlier, result.net]
    for line in result.lines:
        amounts += [line.due, line.paid, line.earlier, line.correction]
    for amount in amounts:
        assert type(amount.amount) is Decimal
        assert amount == amount.rounded()


Plan = list[tuple[str, int, str]]


@st.composite
def nominee_plans(draw: st.DrawFn) -> tuple[Plan, Plan]:
    """Assignments the payments were made under, and the same plus one retroactive change."""
    plan: Plan = []
    for component in COMPONENTS:
        days = draw(st.lists(st.integers(1, SPAN.days - 40), max_size=2, unique=True))
        plan += [
            (component, day, draw(st.sampled_from(["c1", "landlord", "employer"])))
            for day in sorted(days)
        ]
    component = draw(st.sampled_from(COMPONENTS))
    latest = max((day for c, day, _ in plan if c == component), default=0)
    day = draw(st.integers(latest + 1, SPAN.days - 1))
    return plan, [*plan, (component, day, draw(st.sampled_from(["guardian", "c1"])))]


def _nominees(plan: Plan) -> Nominees:
    nominees = Nominees("c1")
    for component, day, nominee in plan:
        nominees.assign(
            component,
            nominee,
            SPAN.start + timedelta(days=day),
            actor="w",
            at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    return nominees


@given(ds=determination_sets(), pattern=patterns, plans=nominee_plans())
def test_a_retroactive_nominee_change_alone_is_found_and_settled_per_nominee(
    ds: DeterminationSet, pattern: DeliveryPattern, plans: tuple[Plan, Plan]
) -> None:
    """Without since=: afterwards every line's paid + corrections is what is due to whom."""
    paid_to, now_to = _nominees(plans[0]), _nominees(plans[1])
    ledger = paid_ledger(ds, pattern, nominees=paid_to)
    result = reassess(
        "PDC-P",
        old=Entitlement(ds),
        new=Entitlement(ds),
        ledger=ledger,
        pattern=pattern,
        nominees=now_to,
    )
    assert result.net.is_zero  # the money moves between nominees, the case's total stays
    ledger.record_corrections([(c.key, c.correction) for c in result.corrections], reference="R")
    due = {line.key: line.amount for line in build_schedule(ds, pattern, now_to, SPAN)}
    paid_keys = {(e.cover.start, e.cover.end, e.component, e.nominee) for e in ledger}
    for key in set(due) | paid_keys:
        if key[1] <= (ledger.latest_cover_end or SPAN.start):
            assert paid_plus_corrected(ledger, key) == due.get(key, Money.zero(EUR))
    # Settlement per nominee: each nominee's lines sum to what they are owed or owe.
    per_nominee: dict[str, Money] = {}
    for line in result.corrections:
        per_nominee[line.nominee] = per_nominee.get(line.nominee, Money.zero(EUR)) + line.correction
    assert {line.nominee: line.amount for line in result.by_nominee()} == {
        nominee: amount for nominee, amount in per_nominee.items() if not amount.is_zero
    }
    again = reassess(
        "PDC-P",
        old=Entitlement(ds),
        new=Entitlement(ds),
        ledger=ledger,
        pattern=pattern,
        nominees=now_to,
    )
    assert again.outcome is CorrectionOutcome.NO_CHANGE


ELSE = "someone-else"
"""A nominee no history names: corrections recorded on their lines were paid to no one."""


@given(
    old=determination_sets(),
    new=determination_sets(),
    paid_pattern=patterns,
    pattern=patterns,
    old_cert=certifications(),
    new_cert=certifications(),
    nominees=nominee_histories(),
    earlier=st.lists(
        st.tuples(st.integers(0, 10**6), st.booleans(), st.integers(-50_000, 50_000)), max_size=4
    ),
)
def test_reassessment_lines_are_the_decimal_reference_exactly(
    *,
    old: DeterminationSet,
    new: DeterminationSet,
    paid_pattern: DeliveryPattern,
    pattern: DeliveryPattern,
    old_cert: Certified,
    new_cert: Certified,
    nominees: Nominees,
    earlier: list[tuple[int, bool, int]],
) -> None:
    """The integer computation equals the Decimal reference, line by line and in total.

    Paid under one pattern and reassessed under another (or the same), with corrections
    already recorded on some paid lines (or on a line of a nominee paid nothing): every
    line's due is the day-by-day Decimal oracle, its paid and earlier amounts the ledger's,
    its correction due − paid − earlier in Decimal; the net and totals are the Decimal sums
    and the outcome follows from them; every ledger line meeting the period with something
    paid or corrected is compared, once, in key order; no day is counted twice. The result
    is the one its constructor builds from its fields.
    """
    ledger = paid_ledger(old, paid_pattern, old_cert, nominees)
    paid_keys = [(e.cover.start, e.cover.end, e.component, e.nominee) for e in ledger]
    if paid_keys and earlier:
        ledger.record_corrections(
            [
                (
                    key if on_paid else (*key[:3], ELSE),
                    Money.from_minor(cents, EUR),
                )
                for key, on_paid, cents in (
                    (paid_keys[n % len(paid_keys)], on_paid, cents) for n, on_paid, cents in earlier
                )
            ],
            reference="R0",
        )
    result = reassess(
        "PDC-P",
        old=Entitlement(old, old_cert),
        new=Entitlement(new, new_cert),
        ledger=ledger,
        pattern=pattern,
        nominees=nominees,
        until=SPAN.end,
    )
    keys = [row[0] for row in result.rows]
    assert keys == sorted(set(keys))  # sorted by key, each line once
    net = Decimal(0)
    for line in result.lines:
        if line.nominee == ELSE:  # corrected only: nothing is due to them
            assert line.due.is_zero
        else:
            assert line.due.amount == oracle_due(new, line.cover, line.component, new_cert)
        assert line.paid == ledger.paid(line.key)
        assert line.earlier == ledger.corrected(line.key)
        assert line.correction.amount == line.due.amount - line.paid.amount - line.earlier.amount
        assert line.correction.amount.as_tuple().exponent == -2
        net += line.correction.amount
    assert result.net.amount == net
    assert result.due.amount == sum((line.due.amount for line in result.lines), Decimal(0))
    assert result.paid.amount == sum((line.paid.amount for line in result.lines), Decimal(0))
    assert result.earlier.amount == sum((line.earlier.amount for line in result.lines), Decimal(0))
    if net:
        expected = CorrectionOutcome.OVERPAYMENT if net < 0 else CorrectionOutcome.UNDERPAYMENT
    elif result.corrections:
        expected = CorrectionOutcome.NET_ZERO
    else:
        expected = CorrectionOutcome.NO_CHANGE
    assert result.outcome is expected
    assert attrs.evolve(result) == result  # every field set, as the constructor sets them
    if result.period is None:
        assert result.lines == ()
        return
    compared = {line.key for line in result.lines}
    for key in ledger.keys_meeting(result.period):
        if ledger.paid_units(key) or ledger.corrected_units(key):
            assert key in compared
    by_component: dict[str, list[Period]] = {}
    for line in result.lines:
        by_component.setdefault(line.component, []).append(line.cover)
    for covers in by_component.values():
        distinct = sorted(set(covers))
        assert all(a.end < b.start for a, b in pairwise(distinct))


@given(
    cases=st.lists(
        st.tuples(determination_sets(), determination_sets(), certifications(), patterns),
        max_size=4,
    ),
    nominees=nominee_histories(),
)
def test_reassess_many_gives_what_reassess_gives(
    cases: list[tuple[DeterminationSet, DeterminationSet, Certified, DeliveryPattern]],
    nominees: Nominees,
) -> None:
    requests = [
        ReassessmentRequest(
            f"PDC-{n}",
            old=Entitlement(old),
            new=Entitlement(new, cert),
            ledger=paid_ledger(old, pattern, None, nominees),
            pattern=pattern,
            nominees=nominees,
            until=SPAN.end,
        )
        for n, (old, new, cert, pattern) in enumerate(cases)
    ]
    results = reassess_many(requests)
    assert len(results) == len(requests)
    for request, result in zip(requests, results, strict=True):
        one = reassess(
            request.case_id,
            old=request.old,
            new=request.new,
            ledger=request.ledger,
            pattern=request.pattern,
            nominees=request.nominees,
            until=request.until,
        )
        assert result == one
