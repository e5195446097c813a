"""Payments: the ten statuses as a lifecycle; amount, payee and cover locked once submitted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from casekit.clock import ManualClock
from casekit.errors import InvalidTransition, PaymentLocked, ValidationError
from casekit.financials import PAYMENT_LIFECYCLE, Payment, PaymentStatus, Period
from casekit.money import Money

from .conftest import eur

JAN = Period(date(2026, 1, 1), date(2026, 1, 31))
FEB = Period(date(2026, 2, 1), date(2026, 2, 28))
SEED_STATUSES = [
    "Not Verified",
    "Verified By Worker",
    "Submitted for Payment",
    "Payment Successful",
    "Refund or Cancelled",
    "Payment Recouped",
    "Payment Returned",
    "Payment Failed",
    "Rejected By Worker",
    "Payment Voided",
]


def _payment() -> Payment:
    return Payment.create(
        case_id="PDC-1",
        payee="c1",
        cover=JAN,
        amount=eur("800.00"),
        due_date=JAN.start,
        clock=ManualClock(datetime(2026, 1, 1, tzinfo=UTC)),
        id="PAY-T",
    )


def test_payment_statuses_are_the_seeds_ten() -> None:
    assert [s.value for s in PaymentStatus] == SEED_STATUSES
    assert PAYMENT_LIFECYCLE.reachable() == frozenset(PaymentStatus)


def test_payment_can_change_before_submission() -> None:
    payment = _payment()
    payment.change(actor="w", amount=eur("750.00"), payee="landlord", cover=FEB)
    payment.verify(actor="w")
    payment.change(actor="w", amount=eur("700.00"))
    assert (payment.amount, payment.payee, payment.cover) == (eur("700.00"), "landlord", FEB)


@pytest.mark.parametrize("field", ["amount", "payee", "cover"])
def test_submitted_payment_refuses_changes_and_nothing_changes(field: str) -> None:
    payment = _payment()
    payment.verify(actor="w")
    payment.submit(actor="payments")
    values = {"amount": eur("1.00"), "payee": "x", "cover": FEB}
    with pytest.raises(PaymentLocked, match=r"PAY-T.*Submitted for Payment"):
        payment.change(actor="w", **{field: values[field]})  # type: ignore[arg-type]
    assert (payment.amount, payment.payee, payment.cover) == (eur("800.00"), "c1", JAN)


def test_successful_payment_is_locked() -> None:
    payment = _payment()
    payment.verify(actor="w")
    payment.submit(actor="payments")
    payment.confirm(actor="bank")
    assert payment.status is PaymentStatus.SUCCESSFUL
    assert payment.counts_as_paid
    with pytest.raises(PaymentLocked):
        payment.change(actor="w", amount=eur("1.00"))


def test_failed_payment_is_reissued_unchanged() -> None:
    payment = _payment()
    payment.verify(actor="w")
    payment.submit(actor="payments")
    payment.fail(actor="bank", reason="account closed")
    assert not payment.counts_as_paid
    with pytest.raises(PaymentLocked):
        payment.change(actor="w", payee="other")
    payment.reissue(actor="payments")
    assert payment.status is PaymentStatus.SUBMITTED


def test_invalid_transition_names_the_payment_and_allowed_actions() -> None:
    payment = _payment()
    with pytest.raises(InvalidTransition, match=r"'confirm' PAY-T in status 'Not Verified'"):
        payment.confirm(actor="w")
    assert payment.history == ()


def test_reject_needs_a_reason_and_changes_nothing_without_one() -> None:
    payment = _payment()
    with pytest.raises(ValidationError, match="reason"):
        payment.reject(actor="w", reason="")
    assert payment.status is PaymentStatus.NOT_VERIFIED


def test_status_history_records_each_change() -> None:
    payment = _payment()
    payment.verify(actor="w")
    payment.submit(actor="payments")
    assert [(h.from_status, h.to_status) for h in payment.history] == [
        ("Not Verified", "Verified By Worker"),
        ("Verified By Worker", "Submitted for Payment"),
    ]


def test_payment_refuses_a_negative_or_sub_cent_amount() -> None:
    with pytest.raises(ValidationError, match="non-negative"):
        Payment.create(case_id="P", payee="c", cover=JAN, amount=eur("-1"), due_date=JAN.start)
    with pytest.raises(ValidationError, match="minor units"):
        Payment.create(case_id="P", payee="c", cover=JAN, amount=eur("1.005"), due_date=JAN.start)


ACTIONS_WITH_REASON = {"reject", "fail", "void", "mark_returned", "refund_or_cancel"}
# Three people, so separation of duties lets every action through (verifier ≠ submitter,
# confirmer ≠ both); tests/financials/test_payment_duties.py draws actors at random.
ACTORS = {"submit": "payments", "reissue": "payments", "confirm": "bank"}


class PaymentLifecycleMachine(RuleBasedStateMachine):
    """Any sequence of actions and change attempts: once submitted, the fields never change."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        self.payment = Payment.create(
            case_id="PDC-1",
            payee="c1",
            cover=JAN,
            amount=eur("800.00"),
            due_date=JAN.start,
            clock=self.clock,
            id="PAY-S",
        )
        self.locked_fields: tuple[object, ...] | None = None
        self.history_length = 0

    def _fields(self) -> tuple[object, ...]:
        return (self.payment.amount, self.payment.payee, self.payment.cover)

    @rule(action=st.sampled_from([a.name for a in PAYMENT_LIFECYCLE.actions]))
    def perform(self, action: str) -> None:
        self.clock.advance(timedelta(minutes=1))
        before = self.payment.status
        allowed = action in self.payment.available_actions()
        reason = "because" if action in ACTIONS_WITH_REASON else None
        if allowed:
            self.payment.perform(action, actor=ACTORS.get(action, "w"), reason=reason)
            self.history_length += 1
            assert self.payment.history[-1].from_status == before.value
        else:
            with pytest.raises(InvalidTransition):
                self.payment.perform(action, actor="w", reason=reason)
            assert self.payment.status is before
        if self.payment.locked and self.locked_fields is None:
            self.locked_fields = self._fields()

    @rule(
        amount=st.integers(min_value=0, max_value=10**7),
        payee=st.sampled_from(["c1", "c2", "landlord"]),
        cover=st.sampled_from([JAN, FEB]),
    )
    def change(self, amount: int, payee: str, cover: Period) -> None:
        new = Money.from_minor(amount, "EUR")
        if self.payment.locked:
            before = self._fields()
            with pytest.raises(PaymentLocked):
                self.payment.change(actor="w", amount=new, payee=payee, cover=cover)
            assert self._fields() == before
        else:
            self.payment.change(actor="w", amount=new, payee=payee, cover=cover)
            assert self._fields() == (new, payee, cover)

    @precondition(lambda self: not self.payment.locked)
    @rule()
    def invalid_change_changes_nothing(self) -> None:
        before = self._fields()
        with pytest.raises(ValidationError):
            self.payment.change(actor="w", payee="")
        assert self._fields() == before

    @invariant()
    def locked_fields_never_change(self) -> None:
        if self.locked_fields is not None:
            assert self.payment.locked
            assert self._fields() == self.locked_fields

    @invariant()
    def history_is_append_only_and_matches_the_status(self) -> None:
        assert len(self.payment.history) == self.history_length
        if self.payment.history:
            assert self.payment.history[-1].to_status == self.payment.status.value


TestPaymentLifecycle = PaymentLifecycleMachine.TestCase
TestPaymentLifecycle.settings = settings(stateful_step_count=30)
