"""Separation of duties on payments: verify → submit → confirm takes three people (issue 17).

Rule (domain.md §7): "whoever submits, resolves or verifies is not who approves, submits for
payment or confirms". On a payment, read from its own status history:

* verifier ≠ submitter (``submit``, and ``reissue``, which submits for payment again);
* confirmer ≠ verifier, confirmer ≠ submitter, confirmer ≠ whoever last reissued it.

A refusal is a SeparationOfDuties naming the payment, the person and what they did, and
changes nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from casekit.clock import ManualClock
from casekit.errors import CasekitError, GuardRejected, SeparationOfDuties
from casekit.financials.codec import payment_from_body, payment_to_body
from casekit.financials.payments import Payment, PaymentStatus
from casekit.financials.periods import Period
from casekit.money import Money

JAN = Period(date(2026, 1, 1), date(2026, 1, 31))


def _payment() -> Payment:
    return Payment.create(
        case_id="PDC-1",
        payee="c1",
        cover=JAN,
        amount=Money("800.00", "EUR"),
        due_date=JAN.start,
        clock=ManualClock(datetime(2026, 2, 1, tzinfo=UTC)),
        id="PAY-17",
    )


def _state(payment: Payment) -> object:
    return payment.status, payment.history, payment.updated_at


def test_issue17_one_person_may_not_verify_submit_and_confirm_the_same_payment() -> None:
    """Reproduction: one person could verify, submit and confirm the same payment."""
    payment = _payment()
    payment.verify(actor="ana")
    before = _state(payment)
    with pytest.raises(SeparationOfDuties) as info:
        payment.submit(actor="ana")
    assert str(info.value) == (
        "PAY-17 was verified by ana; submission for payment must come from someone other than ana"
    )
    assert isinstance(info.value, PermissionError)
    assert isinstance(info.value, GuardRejected)
    assert _state(payment) == before
    payment.submit(actor="bob")
    for maker, did in (("ana", "verified"), ("bob", "submitted")):
        before = _state(payment)
        with pytest.raises(SeparationOfDuties, match=f"PAY-17 was {did} by {maker}; confirm"):
            payment.confirm(actor=maker)
        assert _state(payment) == before
    payment.confirm(actor="cy")
    assert payment.status is PaymentStatus.SUCCESSFUL
    assert [h.actor for h in payment.history] == ["ana", "bob", "cy"]


def test_the_verifier_may_not_reissue_a_failed_payment() -> None:
    """A reissue submits for payment again: the verifier may not do it either."""
    payment = _payment()
    payment.verify(actor="ana")
    payment.submit(actor="bob")
    payment.fail(actor="bank", reason="account closed")
    before = _state(payment)
    with pytest.raises(SeparationOfDuties, match="verified by ana; reissue"):
        payment.reissue(actor="ana")
    assert _state(payment) == before
    payment.reissue(actor="dee")
    with pytest.raises(SeparationOfDuties, match="reissued by dee; confirmation"):
        payment.confirm(actor="dee")
    with pytest.raises(SeparationOfDuties, match="submitted by bob"):
        payment.confirm(actor="bob")
    payment.confirm(actor="bank")  # bank failed it; failing is not a maker role
    assert payment.status is PaymentStatus.SUCCESSFUL


def test_the_roles_are_read_back_from_storage() -> None:
    payment = _payment()
    payment.verify(actor="ana")
    payment.submit(actor="bob")
    again = payment_from_body(payment_to_body(payment), clock=payment.clock)
    with pytest.raises(SeparationOfDuties, match="verified by ana; confirmation"):
        again.perform("confirm", actor="ana")
    with pytest.raises(SeparationOfDuties, match="submitted by bob"):
        again.perform("confirm", actor="bob")


PEOPLE = ("ana", "bob", "cy")


class PaymentDutiesMachine(RuleBasedStateMachine):
    """Random actions by three people: the history never shows one person in two roles."""

    def __init__(self) -> None:
        super().__init__()
        self.payment = _payment()

    @rule(
        action=st.sampled_from(["verify", "submit", "confirm", "fail", "reissue", "void"]),
        actor=st.sampled_from(PEOPLE),
    )
    def act(self, action: str, actor: str) -> None:
        self.payment.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
        reason = "because" if action in ("fail", "void") else None
        before = _state(self.payment)
        try:
            self.payment.perform(action, actor=actor, reason=reason)
        except CasekitError:
            assert _state(self.payment) == before

    @invariant()
    def nobody_holds_two_roles(self) -> None:
        last: dict[str, str] = {}
        for entry in self.payment.history:
            if entry.action == "submit":
                assert entry.actor != last.get("verify")
            if entry.action == "reissue":
                assert entry.actor != last.get("verify")
            if entry.action == "confirm":
                assert entry.actor not in {
                    last.get("verify"),
                    last.get("submit"),
                    last.get("reissue"),
                }
            last[entry.action] = entry.actor


TestPaymentDuties = PaymentDutiesMachine.TestCase
TestPaymentDuties.settings = settings(max_examples=60, stateful_step_count=20, deadline=None)
