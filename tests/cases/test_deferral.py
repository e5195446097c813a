"""Deferring a step and resuming it (domain.md §1).

Rule: every path to a status runs that action's guards, reason rule and effects, or is
refused. A deferred step is checked (reason, parameters) when it is deferred and performed
through the same code path as the action itself when it is resumed, with the resuming actor.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta
from typing import Any

import attrs
import pytest

from casekit.cases import (
    Case,
    ClosureReason,
    MilestoneKind,
    MilestoneStatus,
    Owner,
    PDCStatus,
    ProductDeliveryCase,
    case_type,
)
from casekit.cases.codec import case_from_record, case_to_record
from casekit.clock import ManualClock
from casekit.errors import GuardRejected, ValidationError
from casekit.lifecycle import Action, Deferral, DeferredStep, Lifecycle


def _state(pdc: ProductDeliveryCase) -> object:
    return case_to_record(pdc), pdc.pending_events


def _make(clock: ManualClock, **fields: object) -> ProductDeliveryCase:
    return ProductDeliveryCase.create(
        id="PDC-1",
        product="Basic Allowance",
        primary_client="p1",
        owner=Owner.user("ana"),
        supervisor=Owner.user("sam"),
        clock=clock,
        **fields,
    )


def _active(pdc: ProductDeliveryCase) -> None:
    pdc.submit(actor="ana")
    pdc.approve(actor="sam")
    pdc.activate(actor="ana")


def test_resume_of_a_deferred_approval_runs_the_supervisor_guard(clock: ManualClock) -> None:
    """Reproduction 1: defer/resume must not approve a PDC on behalf of its owner."""
    pdc = _make(clock)
    pdc.submit(actor="ana")
    pdc.defer("approve", actor="kim")
    before = _state(pdc)
    for someone in ("ana", "kim", "zoe"):
        with pytest.raises(GuardRejected, match="sam"):
            pdc.resume(actor=someone)
    assert _state(pdc) == before
    assert pdc.status is PDCStatus.DELAYED_PROCESS_PENDING
    assert pdc.deferred == DeferredStep("approve", PDCStatus.SUBMITTED, by="kim")
    pdc.resume(actor="sam")
    assert pdc.status is PDCStatus.APPROVED
    assert pdc.history[-1].actor == "sam"
    assert pdc.history[-1].step == "approve"
    assert pdc.deferred is None


def test_resume_of_a_deferred_activation_needs_the_certification(clock: ManualClock) -> None:
    """Reproduction 1: a resumed activation runs the certification guard."""
    pdc = _make(clock, requires_certification=True)
    pdc.submit(actor="ana")
    pdc.approve(actor="sam")
    pdc.defer("activate", actor="ana")
    with pytest.raises(GuardRejected, match="not certified"):
        pdc.resume(actor="ana")
    assert pdc.status is PDCStatus.DELAYED_PROCESS_PENDING
    today = clock.now().date()
    pdc.certify(today, today + timedelta(days=30), actor="ana")
    pdc.resume(actor="ana")
    assert pdc.status is PDCStatus.ACTIVE


def test_deferred_schedule_closure_needs_its_date_at_defer_time(clock: ManualClock) -> None:
    """Reproduction 1: a step's parameters are checked when it is deferred."""
    pdc = _make(clock)
    _active(pdc)
    before = _state(pdc)
    with pytest.raises(ValidationError, match="needs on="):
        pdc.defer("schedule_closure", actor="ana")
    with pytest.raises(ValidationError, match="needs on="):
        pdc.defer("schedule_closure", actor="ana", on="2026-04-01")
    assert _state(pdc) == before
    on = clock.now().date() + timedelta(days=10)
    pdc.defer("schedule_closure", actor="ana", on=on)
    pdc.resume(actor="ana")
    assert pdc.status is PDCStatus.PENDING_CLOSURE
    assert pdc.scheduled_closure == on  # the step's effect ran


def test_deferred_schedule_closure_runs_the_future_date_guard_at_resume(
    clock: ManualClock,
) -> None:
    pdc = _make(clock)
    _active(pdc)
    pdc.defer("schedule_closure", actor="ana", on=clock.now().date() + timedelta(days=1))
    clock.advance(timedelta(days=2))
    with pytest.raises(GuardRejected, match="future"):
        pdc.resume(actor="ana")
    assert pdc.status is PDCStatus.DELAYED_PROCESS_PENDING
    pdc.resume(actor="ana", succeeded=False)
    assert pdc.status is PDCStatus.ACTIVE


def test_deferred_suspension_needs_its_reason_at_defer_time(clock: ManualClock) -> None:
    """Reproduction 1: a step's required reason is checked when it is deferred."""
    pdc = _make(clock)
    _active(pdc)
    before = _state(pdc)
    for blank in (None, "", "   "):
        with pytest.raises(ValidationError, match="reason is required"):
            pdc.defer("suspend", actor="ana", reason=blank)
    assert _state(pdc) == before
    pdc.defer("suspend", actor="ana", reason="client abroad")
    pdc.resume(actor="ana")
    assert pdc.status is PDCStatus.SUSPENDED
    assert pdc.history[-1].reason == "client abroad"


def test_deferred_closure_runs_the_closure_effects(clock: ManualClock) -> None:
    """Reproduction 1: a resumed closure closes reviews and writes to the client."""
    pdc = _make(clock)
    _active(pdc)
    pdc.add_milestone(MilestoneKind.REVIEW, "Annual review")
    with pytest.raises(ValidationError, match="reason is required"):
        pdc.defer("close", actor="ana")
    pdc.defer("close", actor="ana", reason="moved abroad", closure_reason=ClosureReason.INELIGIBLE)
    assert pdc.communications == ()
    pdc.resume(actor="ana")
    assert pdc.status is PDCStatus.CLOSED
    assert pdc.closure_reason is ClosureReason.INELIGIBLE
    review = next(m for m in pdc.milestones if m.kind is MilestoneKind.REVIEW)
    assert review.status is MilestoneStatus.CLOSED
    (letter,) = pdc.communications
    assert letter.recipient == "p1"


def test_deferred_step_parameters_are_the_steps_own(clock: ManualClock) -> None:
    """Rule: no silent accepts: a parameter the step does not take is refused at defer."""
    pdc = _make(clock)
    before = _state(pdc)
    with pytest.raises(ValidationError, match="'submit' on PDC-1 takes no parameters; got weight"):
        pdc.defer("submit", actor="ana", weight=1.5)
    with pytest.raises(ValidationError, match="takes no parameters"):
        pdc.perform("submit", actor="ana", weight="heavy")
    assert _state(pdc) == before


class Parcel(enum.StrEnum):
    PACKED = "Packed"
    SENT = "Sent"
    WAITING = "Waiting"


PARCEL: Lifecycle[Any] = Lifecycle(
    name="Parcel (deferral test)",
    statuses=Parcel,
    initial=Parcel.PACKED,
    final=frozenset({Parcel.SENT}),
    actions=(Action("send", Parcel.PACKED, Parcel.SENT),),  # params not declared: any
    deferral=Deferral(waiting=Parcel.WAITING, source=Parcel.PACKED),
)


@case_type(PARCEL, prefix="PCL")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False)
class ParcelCase(Case[Parcel]):
    """A case type whose action declares no parameter names."""


def test_deferred_step_parameters_must_be_storable(clock: ManualClock) -> None:
    """Rule: JSON-unsafe values are refused at the door, not at save."""
    parcel = ParcelCase.create(owner=Owner.user("ana"), clock=clock)
    before = case_to_record(parcel), parcel.pending_events
    for bad in (1.5, float("nan"), b"x", object(), {"kg": 1.5}):
        with pytest.raises(ValidationError, match="deferred on"):
            parcel.perform("defer", actor="ana", step="send", weight=bad)
    assert (case_to_record(parcel), parcel.pending_events) == before
    parcel.perform("defer", actor="ana", step="send", weight="1.5")
    parcel.perform("resume", actor="ana")
    assert parcel.status is Parcel.SENT


def test_a_waiting_case_round_trips_through_its_record(clock: ManualClock) -> None:
    pdc = _make(clock)
    _active(pdc)
    pdc.defer("close", actor="ana", reason="moved", closure_reason=ClosureReason.INELIGIBLE)
    again = case_from_record(case_to_record(pdc), clock=clock)
    assert isinstance(again, ProductDeliveryCase)
    assert again.deferred == pdc.deferred
    again.resume(actor="ana")
    assert again.closure_reason is ClosureReason.INELIGIBLE


def test_resume_succeeded_must_be_a_bool(clock: ManualClock) -> None:
    """Reproduction 3: resume(succeeded="no") must not count as success."""
    pdc = _make(clock)
    pdc.submit(actor="ana")
    pdc.defer("approve", actor="ana")
    before = _state(pdc)
    for bad in ("no", 0, None, 1.0):
        with pytest.raises(ValidationError, match="True or False"):
            pdc.resume(actor="sam", succeeded=bad)  # type: ignore[arg-type]
    assert _state(pdc) == before


def test_successful_resume_takes_no_reason_of_its_own(clock: ManualClock) -> None:
    pdc = _make(clock)
    _active(pdc)
    pdc.defer("suspend", actor="ana", reason="abroad")
    with pytest.raises(ValidationError, match="takes no reason"):
        pdc.perform("resume", actor="ana", reason="something else")
    with pytest.raises(ValidationError, match="only succeeded"):
        pdc.perform("resume", actor="ana", on=date(2026, 5, 1))
    assert pdc.status is PDCStatus.DELAYED_PROCESS_PENDING


@pytest.mark.parametrize("start", ["open", "submitted", "approved", "active", "suspended", "pc"])
def test_pdc_can_be_closed_manually_from_every_live_status(clock: ManualClock, start: str) -> None:
    """Reproduction 2 (seed 001): closure manually at any point in the lifecycle."""
    pdc = _make(clock)
    pdc.add_milestone(MilestoneKind.REFERRAL, "Housing referral")
    steps = {
        "submitted": ["submit"],
        "approved": ["submit", "approve"],
        "active": ["submit", "approve", "activate"],
        "suspended": ["submit", "approve", "activate", "suspend"],
        "pc": ["submit", "approve", "activate", "schedule_closure"],
    }.get(start, [])
    for step in steps:
        actor = "sam" if step == "approve" else "ana"
        params: dict[str, object] = {"on": clock.now().date() + timedelta(days=5)}
        pdc.perform(step, actor=actor, reason="r", **(params if step == "schedule_closure" else {}))
    before = _state(pdc)
    with pytest.raises(ValidationError, match="reason is required"):
        pdc.perform("close", actor="ana")
    assert _state(pdc) == before
    pdc.close(actor="ana", reason="client asked")
    assert pdc.status is PDCStatus.CLOSED
    assert pdc.closure_reason is ClosureReason.MANUAL
    referral = next(m for m in pdc.milestones if m.kind is MilestoneKind.REFERRAL)
    assert referral.status is MilestoneStatus.CLOSED
    assert len(pdc.communications) == 1


def test_a_waiting_case_whose_step_is_unknown_is_refused_cleanly(clock: ManualClock) -> None:
    """Reproduction: resuming an unknown deferred step raised a bare KeyError (spec.py)."""
    pdc = _make(clock)
    pdc.submit(actor="ana")
    pdc.defer("approve", actor="ana")
    pdc.deferred = DeferredStep("teleport", PDCStatus.SUBMITTED)
    before = _state(pdc)
    with pytest.raises(ValidationError, match="waits on 'teleport'"):
        pdc.resume(actor="sam")
    assert _state(pdc) == before
    pdc.resume(actor="sam", succeeded=False)
    assert pdc.status is PDCStatus.SUBMITTED
