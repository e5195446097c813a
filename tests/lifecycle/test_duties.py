"""Separation of duties as lifecycle guards (casekit.lifecycle.duties).

Rule (domain.md §7): whoever submits, resolves or verifies is not who approves, submits for
payment or confirms. A `separated_from` guard reads who performed the maker action from the
case's own history, so it holds on every path the engine runs guards on: directly, and for
a step deferred and resumed (where both who deferred it and who resumed it take part).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import attrs
import pytest

from casekit.cases import Case, Owner, StatusChange, case_type
from casekit.cases.codec import case_from_record, case_to_record
from casekit.clock import ManualClock
from casekit.errors import GuardRejected, LifecycleDeclarationError, SeparationOfDuties
from casekit.lifecycle import (
    Action,
    Deferral,
    DeferredStep,
    Guard,
    Lifecycle,
    performed_by,
    separated_from,
)

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


class Claim(enum.StrEnum):
    DRAFT = "Draft"
    SUBMITTED = "Submitted"
    APPROVED = "Approved"
    WAITING = "Waiting"


CLAIM = Lifecycle(
    name="Expense claim (duties)",
    statuses=Claim,
    initial=Claim.DRAFT,
    final=frozenset({Claim.APPROVED}),
    actions=(
        Action("submit", Claim.DRAFT, Claim.SUBMITTED),
        Action("send_back", Claim.SUBMITTED, Claim.DRAFT, reason_required=True),
        Action(
            "approve",
            Claim.SUBMITTED,
            Claim.APPROVED,
            guards=(separated_from({"submit": "submitted"}, doing="approval"),),
        ),
    ),
    deferral=Deferral(waiting=Claim.WAITING, source=(Claim.DRAFT, Claim.SUBMITTED)),
)


@case_type(CLAIM, prefix="EXP")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False)
class ExpenseClaim(Case[Claim]):
    pass


def _claim() -> ExpenseClaim:
    return ExpenseClaim.create(id="EXP-1", owner=Owner.user("ana"), clock=ManualClock(START))


def _entry(action: str, actor: str, step: str | None = None) -> StatusChange:
    return StatusChange("X-1", "a", "b", action, actor, START, None, step)


def test_performed_by_reads_the_most_recent_performance() -> None:
    history = [_entry("submit", "ana"), _entry("send_back", "sam"), _entry("submit", "bob")]
    assert performed_by(history, "submit") == ("bob",)
    assert performed_by(history, "send_back") == ("sam",)
    assert performed_by(history, "approve") == ()
    assert performed_by([], "submit") == ()


def test_a_deferred_and_resumed_step_was_performed_by_both_people() -> None:
    history = [_entry("defer", "ana", "submit"), _entry("resume", "batch", "submit")]
    assert performed_by(history, "submit") == ("ana", "batch")
    same = [_entry("defer", "ana", "submit"), _entry("resume", "ana", "submit")]
    assert performed_by(same, "submit") == ("ana",)


def test_a_deferral_that_went_back_performed_nothing() -> None:
    history = [
        _entry("submit", "ana"),
        _entry("defer", "kim", "approve"),
        _entry("resume", "kim"),  # succeeded=False: no step
    ]
    assert performed_by(history, "approve") == ()
    assert performed_by(history, "submit") == ("ana",)


def test_the_maker_may_not_check_and_nothing_changes() -> None:
    claim = _claim()
    claim.perform("submit", actor="ana")
    before = (case_to_record(claim), claim.pending_events)
    with pytest.raises(SeparationOfDuties) as info:
        claim.perform("approve", actor="ana")
    assert str(info.value) == (
        "EXP-1 was submitted by ana; approval must come from someone other than ana"
    )
    assert isinstance(info.value, GuardRejected)
    assert isinstance(info.value, PermissionError)
    assert (info.value.case_id, info.value.action) == ("EXP-1", "approve")
    assert (case_to_record(claim), claim.pending_events) == before
    claim.perform("approve", actor="sam")
    assert claim.status is Claim.APPROVED


def test_only_the_latest_submission_counts() -> None:
    claim = _claim()
    claim.perform("submit", actor="sam")
    claim.perform("send_back", actor="ana", reason="receipt missing")
    claim.perform("submit", actor="bob")
    claim.perform("approve", actor="sam")  # sam's earlier submission was sent back
    assert claim.status is Claim.APPROVED


def test_whoever_deferred_the_approval_takes_part_in_it() -> None:
    claim = _claim()
    claim.perform("submit", actor="ana")
    claim.perform("defer", actor="ana", step="approve")
    assert claim.deferred == DeferredStep("approve", Claim.SUBMITTED, by="ana")
    assert claim.history[-1].step == "approve"
    waiting = (case_to_record(claim), claim.pending_events)
    with pytest.raises(SeparationOfDuties, match="submitted by ana, who deferred this approval"):
        claim.perform("resume", actor="sam")
    assert (case_to_record(claim), claim.pending_events) == waiting
    claim.perform("resume", actor="sam", succeeded=False)
    assert claim.status is Claim.SUBMITTED
    claim.perform("defer", actor="kim", step="approve")
    claim.perform("resume", actor="sam")
    assert claim.status is Claim.APPROVED
    assert (claim.history[-1].action, claim.history[-1].step) == ("resume", "approve")


def test_a_submission_deferred_and_resumed_binds_both_people() -> None:
    """Handing one's own submission to background processing does not free one to approve."""
    claim = _claim()
    claim.perform("defer", actor="ana", step="submit")
    claim.perform("resume", actor="batch")
    assert claim.status is Claim.SUBMITTED
    for maker in ("ana", "batch"):
        with pytest.raises(SeparationOfDuties, match=f"submitted by {maker}"):
            claim.perform("approve", actor=maker)
    claim.perform("approve", actor="sam")


def test_the_step_survives_storage() -> None:
    claim = _claim()
    claim.perform("defer", actor="ana", step="submit")
    claim.perform("resume", actor="batch")
    again = case_from_record(case_to_record(claim), clock=claim.clock)
    assert again.history == claim.history
    with pytest.raises(SeparationOfDuties):
        again.perform("approve", actor="ana")


def test_a_guard_declares_its_error() -> None:
    assert Guard(lambda c, x: True, "r").error is GuardRejected
    with pytest.raises(LifecycleDeclarationError, match="GuardRejected error class"):
        Lifecycle(
            name="bad guard error",
            statuses=Claim,
            initial=Claim.DRAFT,
            final=frozenset(Claim),
            actions=(
                Action(
                    "submit",
                    Claim.DRAFT,
                    Claim.SUBMITTED,
                    guards=(Guard(lambda c, x: False, "no", ValueError),),  # type: ignore[arg-type]
                ),
                Action("approve", Claim.SUBMITTED, Claim.APPROVED),
                Action("wait", Claim.DRAFT, Claim.WAITING),
            ),
        )


@pytest.mark.parametrize(
    ("makers", "doing"),
    [({}, "approval"), ({"submit": 1}, "approval"), ({"submit": "submitted"}, " ")],
)
def test_separated_from_refuses_a_malformed_declaration(makers: object, doing: str) -> None:
    with pytest.raises(LifecycleDeclarationError, match="separated_from needs"):
        separated_from(makers, doing=doing)  # type: ignore[arg-type]
