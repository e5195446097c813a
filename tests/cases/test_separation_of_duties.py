"""Separation of duties on cases: the reproductions of issue 17, part 2, as regression tests.

Rules (domain.md §7: "whoever submits, resolves or verifies is not who approves, submits for
payment or confirms; no one makes themselves supervisor of a case they act on"):

* **Maker ≠ checker.** A PDC is approved by neither who performed its latest ``submit`` nor,
  for a submission deferred and resumed, who deferred or resumed it; an Issue Case by no one
  who performed its latest ``resolve``; a Payment Correction Case not by who opened it
  (``opened_by``: who asked for the reassessment). Whoever defers the approval itself takes
  part in it too. Refused with SeparationOfDuties.
* **The approver is the supervisor as a user**: an ``Owner`` of kind User whose id is the
  actor. A work queue, position or org unit supervisor with the same id does not let a user
  of that name approve. Refused with GuardRejected.
* **No self-supervision.** ``set_supervisor(Owner.user(x), actor=x)`` is refused when x acts
  on the case (``Case.acts_on``: owns or reviews it as a user, performed an entry of its
  status history, recorded its evidence, or is assigned one of its tasks).
* **Automatic approval** only through an approval check the product declares
  (``ApprovalCheck``), run at approval and recorded as ``"check:<name>"``; never because the
  caller said ``actor="system"``.
* **Every path runs the guards**: defer then resume performs the step through its guards,
  required reason or parameters, and effects.

A refused call changes nothing: status, history, roles and pending events are as before.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import example, given, settings

from casekit.cases import (
    ApprovalCheck,
    ClosureReason,
    CorrectionOutcome,
    IssueCase,
    IssueStatus,
    MilestoneKind,
    MilestoneStatus,
    Owner,
    PaymentCorrectionCase,
    PCCStatus,
    PDCStatus,
    ProductDeliveryCase,
    declare_approval_check,
)
from casekit.cases.codec import case_to_record
from casekit.clock import ManualClock
from casekit.errors import (
    CasekitError,
    GuardRejected,
    SeparationOfDuties,
    ValidationError,
)
from casekit.lifecycle import performed_by
from casekit.money import Money

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _state(case: object) -> object:
    return case_to_record(case), case.pending_events  # type: ignore[arg-type,attr-defined]


def _pdc(
    *,
    owner: Owner | None = None,
    supervisor: Owner | None = None,
    clock: ManualClock | None = None,
    **fields: object,
) -> ProductDeliveryCase:
    return ProductDeliveryCase.create(
        id="PDC-17",
        product="Basic Allowance",
        primary_client="p1",
        owner=owner or Owner.user("ana"),
        supervisor=supervisor,
        clock=clock or ManualClock(START),
        **fields,
    )


# ----- reproduction: the submitter makes herself supervisor and approves -------------------


def test_issue17_the_submitter_may_not_make_herself_supervisor() -> None:
    """``set_supervisor(Owner.user("ana"), actor="ana")`` after ana submitted: refused."""
    pdc = _pdc(supervisor=Owner.user("bob"))
    pdc.submit(actor="ana")
    before = _state(pdc)
    with pytest.raises(SeparationOfDuties) as info:
        pdc.set_supervisor(Owner.user("ana"), actor="ana")
    assert str(info.value) == (
        "ana may not make themselves supervisor of PDC-17: they own it; its supervisor must "
        "be someone else (it is now User bob)"
    )
    assert isinstance(info.value, PermissionError)
    assert _state(pdc) == before
    assert pdc.roles.supervisor == Owner.user("bob")


def test_issue17_the_submitter_may_not_approve_her_own_case() -> None:
    """The message names the case, the person and who may approve instead."""
    pdc = _pdc(supervisor=Owner.user("bob"))
    pdc.submit(actor="ana")
    before = _state(pdc)
    with pytest.raises(SeparationOfDuties) as info:
        pdc.approve(actor="ana")
    assert str(info.value) == (
        "PDC-17 was submitted by ana; approval must come from another person: its "
        "supervisor, User bob"
    )
    assert (info.value.case_id, info.value.action) == ("PDC-17", "approve")
    assert _state(pdc) == before
    pdc.approve(actor="bob")
    assert pdc.status is PDCStatus.APPROVED


def test_a_submitter_named_supervisor_by_someone_else_still_may_not_approve() -> None:
    pdc = _pdc(owner=Owner.user("kim"))
    pdc.submit(actor="ana")
    pdc.set_supervisor(Owner.user("ana"), actor="kim")  # not herself: allowed
    before = _state(pdc)
    with pytest.raises(SeparationOfDuties, match="a supervisor other than ana"):
        pdc.approve(actor="ana")
    assert _state(pdc) == before


def test_a_fresh_submission_by_someone_else_may_be_approved_by_an_earlier_submitter() -> None:
    """Maker ≠ checker is about the submission being approved: the latest one."""
    pdc = _pdc(owner=Owner.user("kim"), supervisor=Owner.user("sam"))
    pdc.submit(actor="sam")
    pdc.reject(actor="kim", reason="income evidence missing")
    pdc.submit(actor="kim")
    pdc.approve(actor="sam")
    assert pdc.status is PDCStatus.APPROVED


# ----- reproduction: a work-queue supervisor named like a user -----------------------------


@pytest.mark.parametrize(
    "supervisor",
    [Owner.work_queue("ana"), Owner.position("ana"), Owner.org_unit("ana")],
    ids=["work queue", "position", "org unit"],
)
def test_issue17_a_supervisor_that_is_not_a_user_lets_no_namesake_approve(
    supervisor: Owner,
) -> None:
    pdc = _pdc(owner=Owner.user("bob"), supervisor=supervisor)
    pdc.submit(actor="bob")
    before = _state(pdc)
    with pytest.raises(GuardRejected) as info:
        pdc.approve(actor="ana")
    assert not isinstance(info.value, SeparationOfDuties)
    assert str(info.value) == (
        f"cannot 'approve' PDC-17: the supervisor of PDC-17 is {supervisor}, not a user, and "
        "only a supervisor who is a user may approve it (set one with "
        "set_supervisor(Owner.user(...))); ana may not"
    )
    assert _state(pdc) == before


def test_a_case_without_supervisor_cannot_be_approved_by_anyone() -> None:
    pdc = _pdc(owner=Owner.user("bob"))
    pdc.submit(actor="bob")
    with pytest.raises(GuardRejected, match="PDC-17 has no supervisor"):
        pdc.approve(actor="ana")


# ----- reproduction: automatic approval by saying actor="system" ---------------------------

LOW_INCOME = declare_approval_check(
    ApprovalCheck(
        "sod-low-income",
        product="Basic Allowance",
        check=lambda case: any(
            e.type == "income" and e.verified and int(e.attributes["monthly"]) < 1000
            for e in case.evidence.current()
        ),
        requires="verified income evidence below 1000 a month",
    )
)
declare_approval_check(
    ApprovalCheck("sod-other-product", product="Housing", check=lambda c: True, requires="-")
)


def _submitted_for_automatic_approval(**fields: object) -> ProductDeliveryCase:
    pdc = _pdc(supervisor=Owner.user("sam"), **fields)
    pdc.submit(actor="ana")
    return pdc


@pytest.mark.parametrize("actor", ["system", "System", "automatic", "check"])
def test_issue17_saying_actor_system_does_not_approve(actor: str) -> None:
    pdc = _submitted_for_automatic_approval(automatic_approval=True)
    before = _state(pdc)
    with pytest.raises(GuardRejected, match=f"{actor} is not the supervisor of PDC-17"):
        pdc.approve(actor=actor)
    assert _state(pdc) == before


def test_automatic_approval_runs_the_declared_check_and_records_it() -> None:
    pdc = _submitted_for_automatic_approval(automatic_approval=True)
    before = _state(pdc)
    with pytest.raises(GuardRejected) as info:
        pdc.approve_automatically("sod-low-income")
    assert str(info.value) == (
        "cannot 'approve' PDC-17: approval check 'sod-low-income' did not approve PDC-17: it "
        "requires verified income evidence below 1000 a month"
    )
    assert _state(pdc) == before
    income = pdc.add_evidence("income", {"monthly": "800"}, START.date(), actor="ana")
    pdc.verify_evidence(income.evidence_id, actor="kim")
    pdc.approve_automatically("sod-low-income")
    assert pdc.status is PDCStatus.APPROVED
    assert pdc.history[-1].actor == "check:sod-low-income" == LOW_INCOME.actor


def test_approving_as_the_checks_actor_runs_the_check() -> None:
    """``actor="check:<name>"`` is no password: the declared check decides."""
    pdc = _submitted_for_automatic_approval(automatic_approval=True)
    with pytest.raises(GuardRejected, match="did not approve PDC-17"):
        pdc.approve(actor="check:sod-low-income")
    assert pdc.status is PDCStatus.SUBMITTED


@pytest.mark.parametrize(
    ("check", "fields", "message"),
    [
        ("sod-nope", {"automatic_approval": True}, "no approval check 'sod-nope' is declared"),
        (
            "sod-other-product",
            {"automatic_approval": True},
            "approval check 'sod-other-product' approves Housing cases, not PDC-17",
        ),
        ("sod-low-income", {}, "PDC-17 is not open to automatic approval"),
    ],
)
def test_automatic_approval_needs_a_check_declared_for_the_product_of_an_open_case(
    check: str, fields: dict[str, object], message: str
) -> None:
    pdc = _submitted_for_automatic_approval(**fields)
    income = pdc.add_evidence("income", {"monthly": "1"}, START.date(), actor="ana")
    pdc.verify_evidence(income.evidence_id, actor="kim")
    before = _state(pdc)
    with pytest.raises(GuardRejected, match=message):
        pdc.approve_automatically(check)
    assert _state(pdc) == before


def test_an_approval_check_is_declared_once_per_name() -> None:
    declare_approval_check(LOW_INCOME)  # the same check again: fine
    with pytest.raises(CasekitError, match="already declared"):
        declare_approval_check(
            ApprovalCheck("sod-low-income", product="X", check=lambda c: True, requires="-")
        )
    with pytest.raises(ValidationError, match="may not contain ':'"):
        ApprovalCheck("check:x", product="X", check=lambda c: True, requires="-")


# ----- reproduction: an Issue Case's resolver approves her own resolution ------------------


ANA = Owner.user("ana")


def _issue(supervisor: Owner | None = ANA) -> IssueCase:
    return IssueCase.create(
        id="ISS-17", owner=Owner.user("kim"), supervisor=supervisor, clock=ManualClock(START)
    )


def test_issue17_a_resolver_may_not_approve_her_own_resolution() -> None:
    issue = _issue()
    issue.resolve("Agree with Client", actor="ana")
    before = _state(issue)
    with pytest.raises(SeparationOfDuties) as info:
        issue.approve(actor="ana")
    assert str(info.value) == (
        "ISS-17 was resolved by ana; approval must come from another person: a supervisor "
        "other than ana, set with set_supervisor"
    )
    assert _state(issue) == before
    issue.set_supervisor(Owner.user("sam"), actor="kim")
    issue.approve(actor="sam")
    assert issue.status is IssueStatus.CLOSED


def test_only_the_issue_supervisor_approves_a_resolution() -> None:
    issue = _issue(Owner.work_queue("sam"))
    issue.resolve("Agree with Employer", actor="kim")
    with pytest.raises(GuardRejected, match="Work Queue sam, not a user"):
        issue.approve(actor="sam")
    assert issue.status is IssueStatus.PENDING_APPROVAL


# ----- payment correction approval ---------------------------------------------------------


def _correction(opened_by: str) -> PaymentCorrectionCase:
    pdc = _pdc(owner=Owner.user("kim"), supervisor=Owner.user("sam"))
    return PaymentCorrectionCase.open_for(
        pdc,
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money("-10.00", "EUR"),
        lines=(),
        actor=opened_by,
        id="PCC-17",
    )


def test_whoever_opened_a_correction_may_not_approve_it() -> None:
    pcc = _correction("sam")
    assert pcc.opened_by == "sam"
    before = _state(pcc)
    with pytest.raises(SeparationOfDuties) as info:
        pcc.approve(actor="sam")
    assert str(info.value) == (
        "PCC-17 was opened by sam (who asked for the reassessment that found it); approval "
        "must come from another person: a supervisor other than sam, set with set_supervisor"
    )
    assert _state(pcc) == before


def test_a_correction_is_approved_by_its_supervisor() -> None:
    pcc = _correction("kim")
    with pytest.raises(GuardRejected, match="only its supervisor, User sam, may"):
        pcc.approve(actor="ana")
    pcc.approve(actor="sam")
    assert pcc.status is PCCStatus.APPROVED


# ----- no self-supervision: who acts on a case ---------------------------------------------


def test_who_acts_on_a_case() -> None:
    pdc = _pdc(owner=Owner.user("own"), supervisor=Owner.user("sam"))
    pdc.set_reviewer(Owner.user("rev"), actor="own")
    pdc.add_evidence("income", {"monthly": "800"}, START.date(), actor="rec")
    pdc.add_task("call the client", "tsk", actor="own")
    pdc.submit(actor="sub")
    pdc.defer("approve", actor="def")
    assert pdc.acts_on("own") == "own it"
    assert pdc.acts_on("rev") == "review it"
    assert pdc.acts_on("rec") == "recorded its evidence PDC-17/E1"
    assert pdc.acts_on("tsk") == "are assigned its task PDC-17/T1"
    assert pdc.acts_on("sub") == f"performed 'submit' on it ({START.isoformat()})"
    assert pdc.acts_on("def") == f"performed 'defer' on it ({START.isoformat()})"
    assert pdc.acts_on("new") is None
    for someone in ("own", "rev", "rec", "tsk", "sub", "def"):
        before = _state(pdc)
        with pytest.raises(SeparationOfDuties, match=f"{someone} may not make themselves"):
            pdc.set_supervisor(Owner.user(someone), actor=someone)
        assert _state(pdc) == before


def test_who_does_not_act_on_a_case_may_take_it_on_and_anyone_may_name_others() -> None:
    pdc = _pdc(owner=Owner.user("own"))
    pdc.set_supervisor(Owner.user("sam"), actor="sam")  # has not acted on it
    assert pdc.roles.supervisor == Owner.user("sam")
    pdc.set_supervisor(Owner.user("own"), actor="sam")  # someone else names the owner
    pdc.set_supervisor(Owner.work_queue("own"), actor="own")  # not a user: cannot approve
    pdc.set_supervisor(None, actor="own")
    assert pdc.roles.supervisor is None


# ----- reproduction: defer(step) then resume() skipped the step's guards -------------------


def test_issue17_defer_then_resume_does_not_approve_for_the_submitter() -> None:
    """``p.submit(actor="ana"); p.defer("approve", actor="ana"); p.resume(actor="ana")``."""
    pdc = _pdc(supervisor=Owner.user("sam"))
    pdc.submit(actor="ana")
    pdc.defer("approve", actor="ana")
    waiting = _state(pdc)
    for resumer in ("ana", "sam"):  # sam: ana deferred it, so she takes part in it
        with pytest.raises(SeparationOfDuties, match="PDC-17 was submitted by ana"):
            pdc.resume(actor=resumer)
        assert _state(pdc) == waiting
    assert pdc.status is PDCStatus.DELAYED_PROCESS_PENDING
    pdc.resume(actor="kim", succeeded=False)
    pdc.defer("approve", actor="kim")
    pdc.resume(actor="sam")
    assert pdc.status is PDCStatus.APPROVED
    assert (pdc.history[-1].actor, pdc.history[-1].step) == ("sam", "approve")


def test_issue17_defer_then_resume_does_not_approve_for_a_self_supervising_submitter() -> None:
    pdc = _pdc(owner=Owner.user("kim"), supervisor=Owner.user("ana"))
    pdc.submit(actor="ana")
    pdc.defer("approve", actor="kim")
    with pytest.raises(SeparationOfDuties, match="submitted by ana"):
        pdc.resume(actor="ana")
    assert pdc.status is PDCStatus.DELAYED_PROCESS_PENDING


def test_issue17_a_submission_deferred_and_resumed_binds_who_deferred_it() -> None:
    pdc = _pdc(owner=Owner.user("kim"), supervisor=Owner.user("ana"))
    pdc.defer("submit", actor="ana")
    pdc.resume(actor="kim")
    assert performed_by(pdc.history, "submit") == ("ana", "kim")
    with pytest.raises(SeparationOfDuties, match="submitted by ana"):
        pdc.approve(actor="ana")


def _approved(**fields: object) -> ProductDeliveryCase:
    pdc = _pdc(supervisor=Owner.user("sam"), **fields)
    pdc.submit(actor="ana")
    pdc.approve(actor="sam")
    return pdc


def test_issue17_defer_then_resume_does_not_activate_without_a_required_certification() -> None:
    pdc = _approved(requires_certification=True)
    pdc.defer("activate", actor="ana")
    waiting = _state(pdc)
    with pytest.raises(GuardRejected, match="not certified"):
        pdc.resume(actor="ana")
    assert _state(pdc) == waiting


def test_issue17_defer_does_not_schedule_a_closure_without_a_date() -> None:
    pdc = _approved()
    pdc.activate(actor="ana")
    before = _state(pdc)
    with pytest.raises(ValidationError, match="needs on="):
        pdc.defer("schedule_closure", actor="ana")
    assert _state(pdc) == before
    pdc.defer("schedule_closure", actor="ana", on=START.date() + timedelta(days=1))
    pdc.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    with pytest.raises(GuardRejected, match="future"):
        pdc.resume(actor="ana")


def test_issue17_defer_does_not_suspend_without_a_reason() -> None:
    pdc = _approved()
    pdc.activate(actor="ana")
    before = _state(pdc)
    with pytest.raises(ValidationError, match="reason is required"):
        pdc.defer("suspend", actor="ana")
    assert _state(pdc) == before


def test_issue17_defer_then_resume_closes_with_the_communication_and_the_reviews() -> None:
    pdc = _approved()
    pdc.activate(actor="ana")
    pdc.add_milestone(MilestoneKind.REVIEW, "Annual review")
    pdc.defer("close", actor="ana", reason="moved abroad", closure_reason=ClosureReason.MANUAL)
    pdc.resume(actor="ana")
    assert pdc.status is PDCStatus.CLOSED
    assert [m.status for m in pdc.milestones if m.kind is MilestoneKind.REVIEW] == [
        MilestoneStatus.CLOSED
    ]
    assert [c.recipient for c in pdc.communications] == ["p1"]


# ----- a property over random paths ---------------------------------------------------------

PEOPLE = ("ana", "bob", "sam")
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["submit", "approve", "approve", "reject", "defer", "resume", "set_supervisor"]
        ),
        st.sampled_from(PEOPLE),
        st.sampled_from(["submit", "approve", "approve", "reject"]),
        st.booleans(),
    ),
    min_size=3,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(steps=STEPS, supervisor=st.sampled_from(PEOPLE))
@example(  # approved through defer and resume
    steps=[
        ("submit", "ana", "", True),
        ("defer", "bob", "approve", True),
        ("resume", "sam", "", True),
    ],
    supervisor="sam",
)
@example(  # refused: the supervisor submitted it
    steps=[
        ("submit", "sam", "", True),
        ("defer", "ana", "approve", True),
        ("resume", "sam", "", True),
    ],
    supervisor="sam",
)
@example(  # a submission deferred by one person and resumed by another binds both
    steps=[
        ("defer", "sam", "submit", True),
        ("resume", "bob", "", True),
        ("approve", "sam", "", True),
    ],
    supervisor="sam",
)
def test_no_path_lets_one_person_submit_and_approve(
    steps: list[tuple[str, str, str, bool]], supervisor: str
) -> None:
    """Whatever the order, actors and deferrals: no approval by a submitter or a non-supervisor."""
    pdc = _pdc(owner=Owner.user("ana"), supervisor=Owner.user(supervisor))
    for action, actor, step, ok in steps:
        before, entries = _state(pdc), len(pdc.history)
        try:
            if action == "defer":
                pdc.defer(step, actor=actor, reason="r" if step == "reject" else None)
            elif action == "resume":
                pdc.resume(actor=actor, succeeded=ok)
            elif action == "set_supervisor":
                pdc.set_supervisor(Owner.user(actor), actor=actor if ok else "kim")
            else:
                pdc.perform(action, actor=actor, reason="r" if action == "reject" else None)
        except CasekitError:
            assert _state(pdc) == before
            continue
        if len(pdc.history) > entries and pdc.status is PDCStatus.APPROVED:
            last = pdc.history[-1]
            earlier = pdc.history[:-1]
            approvers = performed_by(pdc.history, "approve")
            assert pdc.roles.supervisor == Owner.user(last.actor)
            assert not set(approvers) & set(performed_by(earlier, "submit")), pdc.history
