"""Validate at the door: every public mutating method of every built-in case type, bad arguments.

Rule: every public constructor and mutating method checks all its arguments before it
changes anything; a refused call raises a CasekitError and changes nothing (status, history,
evidence, pending events, priority, roles, notes, tasks ...). A call that succeeds leaves a
case that can still be stored.

For each method a valid call is declared; each of its arguments in turn is replaced by each
bad value. Each call runs on a fresh case, in each status the test sets up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from casekit.cases import (
    ApplicationCase,
    AssessmentCase,
    Case,
    ClosureReason,
    CorrectionOutcome,
    Finding,
    IntegratedCase,
    InvestigationCase,
    IssueCase,
    LinkKind,
    MilestoneKind,
    Owner,
    Participant,
    ParticipantRole,
    PaymentCorrectionCase,
    ProductDeliveryCase,
    ScreeningCase,
)
from casekit.cases.codec import case_from_record, case_to_record
from casekit.clock import ManualClock
from casekit.errors import CasekitError
from casekit.money import Money
from casekit.priority import Priority

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
DAY = START.date()
BAD: tuple[object, ...] = (
    None,
    "",
    "  ",
    1.5,
    float("nan"),
    datetime(2026, 3, 2, 9),  # naive
    ["a", "list"],
)


@attrs.frozen
class Call:
    """One valid call of a public method: its name, positional and keyword arguments."""

    method: str
    args: tuple[object, ...] = ()
    kwargs: dict[str, object] = attrs.field(factory=dict)

    def variants(self) -> list[tuple[str, tuple[object, ...], dict[str, object]]]:
        """The call with each argument in turn replaced by each bad value."""
        out = []
        for n in range(len(self.args)):
            for bad in BAD:
                args = (*self.args[:n], bad, *self.args[n + 1 :])
                out.append((f"{self.method}[{n}]={bad!r}", args, self.kwargs))
        for key in self.kwargs:
            for bad in BAD:
                out.append((f"{self.method}({key}={bad!r})", self.args, {**self.kwargs, key: bad}))
        return out


def C(method: str, *args: object, **kwargs: object) -> Call:
    return Call(method, args, kwargs)


def common_calls(case: Case[Any]) -> list[Call]:
    evidence, task = f"{case.id}/E1", f"{case.id}/T1"
    return [
        C("add_participant", Participant("p9", ParticipantRole.MEMBER)),
        C("assign_owner", Owner.user("kim"), actor="owner"),
        C("set_supervisor", Owner.user("sue"), actor="owner"),
        C("set_reviewer", Owner.user("rev"), actor="owner"),
        C("set_priority", Priority.URGENT, actor="owner", reason="escalated"),
        C("add_evidence", "income", {"monthly": "600.00"}, DAY, DAY, actor="owner", verified=True),
        C(
            "correct_evidence",
            evidence,
            actor="owner",
            attributes={"monthly": "650.00"},
            effective_from=DAY,
            effective_to=DAY + timedelta(days=9),
            verified=True,
        ),
        C("verify_evidence", evidence, actor="owner"),
        C("end_evidence", evidence, DAY + timedelta(days=3), actor="owner"),
        C("remove_evidence", evidence, actor="owner"),
        C("add_task", "Call the client", "kim", actor="owner", due=START, kind="work"),
        C("kickback", "kim", "Redo", actor="owner", reason="missing form", due=START),
        C("reassign_task", task, "lee", actor="owner", reason="kim is on leave"),
        C("complete_task", task, actor="owner"),
        C("cancel_task", task, actor="owner"),
        C("add_milestone", MilestoneKind.REVIEW, "Annual review", due=START),
        C("add_note", "Called the client", author="owner"),
        C("send_communication", "p1", "Subject", "Body", channel="letter"),
        C("link", LinkKind.RELATED, "OTHER-1"),
        C("perform", "nope", actor="owner", reason="why"),
    ]


def pdc_calls(case: Case[Any]) -> list[Call]:
    soon = DAY + timedelta(days=5)
    return [
        C("certify", DAY, soon, actor="owner"),
        C("submit", actor="owner"),
        C("approve", actor="supervisor"),
        C("reject", actor="supervisor", reason="missing evidence"),
        C("activate", actor="owner"),
        C("suspend", actor="owner", reason="abroad"),
        C("unsuspend", actor="owner"),
        C("schedule_closure", soon, actor="owner", reason="moving"),
        C("close", actor="owner", reason="asked", closure_reason=ClosureReason.MANUAL),
        C("reactivate", actor="owner", reason="back"),
        C("defer", "close", actor="owner", reason="asked", closure_reason=ClosureReason.MANUAL),
        C("defer", "submit", actor="owner"),
        C("resume", actor="supervisor", succeeded=True),
        C("run_automatic_closure", actor="system"),
    ]


def application_calls(case: Case[Any]) -> list[Call]:
    return [
        C("add_program", "C", actor="owner"),
        C("approve_program", "A", actor="owner"),
        C("deny_program", "A", actor="owner"),
        C("withdraw_program", "A", actor="owner"),
        C("reopen_program", "A", actor="owner"),
        C("submit", actor="owner"),
        C("submission_succeeded", actor="owner"),
        C("submission_failed", actor="owner", reason="timeout"),
        C("mark_ready", actor="owner"),
        C("cancel", actor="owner", reason="withdrawn"),
        C("dispose", actor="owner"),
    ]


def integrated_calls(case: Case[Any]) -> list[Call]:
    member = ScreeningCase.create(id="SCR-9", owner=Owner.user("owner"), clock=case.clock)
    return [
        C("add_member_case", member),
        C("close", actor="owner", reason="done"),
        C("reopen", actor="owner", reason="again"),
    ]


def eligibility_calls(case: Case[Any]) -> list[Call]:
    return [
        C("record_result", "A", eligible=True, detail="meets the income test"),
        C("close", actor="owner", reason="done"),
    ]


def issue_calls(case: Case[Any]) -> list[Call]:
    return [
        C("resolve", "Agree with Client", actor="owner"),
        C("approve", actor="supervisor"),
        C("reject", actor="supervisor", reason="not agreed"),
    ]


def investigation_calls(case: Case[Any]) -> list[Call]:
    return [
        C("record_allegation", "Undeclared income", actor="owner"),
        C("close", actor="owner", findings=Finding.FOUNDED, resolution="Referred"),
        C("reopen", actor="owner", reason="new facts"),
    ]


def pcc_calls(case: Case[Any]) -> list[Call]:
    return [
        C("approve", actor="supervisor"),
        C("settle", actor="supervisor"),
        C("cancel", actor="supervisor", reason="duplicate"),
    ]


def _pdc(clock: ManualClock) -> Case[Any]:
    return ProductDeliveryCase.create(
        id="PDC-1",
        product="Basic",
        primary_client="p1",
        owner=Owner.user("owner"),
        supervisor=Owner.user("supervisor"),
        clock=clock,
    )


def _pdc_in(*steps: str) -> Callable[[ManualClock], Case[Any]]:
    def make(clock: ManualClock) -> Case[Any]:
        case = _pdc(clock)
        for step in steps:
            actor = "supervisor" if step == "approve" else "owner"
            params: dict[str, Any] = {"reason": "r"} if step in ("suspend", "close") else {}
            if step == "defer":
                params = {"step": "close", "reason": "r"}
            case.perform(step, actor=actor, **params)
        return case

    return make


def _application(clock: ManualClock) -> Case[Any]:
    return ApplicationCase.create(
        id="APP-1", registered_by="owner", primary_client="p1", programs=["A", "B"], clock=clock
    )


def _pcc(clock: ManualClock) -> Case[Any]:
    return PaymentCorrectionCase.open_for(
        _pdc(clock),
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money("-1.00", "EUR"),
        lines=(),
        actor="system",
        id="PCC-1",
        clock=clock,
    )


def _simple(cls: type[Case[Any]], **fields: Any) -> Callable[[ManualClock], Case[Any]]:
    def make(clock: ManualClock) -> Case[Any]:
        return cls.create(
            id=f"{cls.id_prefix}-1",
            owner=Owner.user("owner"),
            supervisor=Owner.user("supervisor"),
            primary_client="p1",
            clock=clock,
            **fields,
        )

    return make


CASES: dict[str, tuple[Callable[[ManualClock], Case[Any]], Callable[[Case[Any]], list[Call]]]] = {
    "pdc open": (_pdc_in(), pdc_calls),
    "pdc submitted": (_pdc_in("submit"), pdc_calls),
    "pdc active": (_pdc_in("submit", "approve", "activate"), pdc_calls),
    "pdc waiting": (_pdc_in("submit", "approve", "activate", "defer"), pdc_calls),
    "application": (_application, application_calls),
    "integrated": (_simple(IntegratedCase), integrated_calls),
    "screening": (_simple(ScreeningCase), eligibility_calls),
    "assessment": (_simple(AssessmentCase), eligibility_calls),
    "issue": (_simple(IssueCase), issue_calls),
    "investigation": (_simple(InvestigationCase), investigation_calls),
    "payment correction": (_pcc, pcc_calls),
}


def _fresh(make: Callable[[ManualClock], Case[Any]]) -> Case[Any]:
    case = make(ManualClock(START))
    case.add_evidence("income", {"monthly": "500.00"}, DAY, actor="owner")
    case.add_task("Check payslips", "kim", actor="owner")
    case.collect_events()
    return case


def observable(case: Case[Any]) -> object:
    """Everything a caller can see of a case: its stored record and its pending events."""
    return (
        case_to_record(case),
        case.pending_events,
        case.status,
        case.history,
        case.evidence.all_versions(),
        case.priority,
        case.roles,
        case.notes,
        case.tasks,
        case.deferred,
    )


def _assert_storable(case: Case[Any], what: str) -> None:
    record = json.loads(json.dumps(case_to_record(case), allow_nan=False))
    again = case_from_record(record, clock=case.clock)
    assert case_to_record(again) == case_to_record(case), f"{what}: does not round-trip"


@pytest.mark.parametrize("kind", sorted(CASES))
def test_bad_arguments_are_refused_before_anything_changes(kind: str) -> None:
    """Rule: a refused call is a CasekitError that changes nothing; an accepted one is storable."""
    make, calls = CASES[kind]
    template = _fresh(make)
    for call in [*common_calls(template), *calls(template)]:
        for label, args, kwargs in call.variants():
            case = _fresh(make)
            before = observable(case)
            try:
                getattr(case, call.method)(*args, **kwargs)
            except CasekitError:
                assert observable(case) == before, f"{kind}: refused {label} changed the case"
            else:
                _assert_storable(case, f"{kind}: accepted {label}")


def test_open_for_refuses_bad_arguments_before_linking() -> None:
    """Rule: PaymentCorrectionCase.open_for checks everything before it creates or links."""
    good: dict[str, object] = {
        "outcome": CorrectionOutcome.OVERPAYMENT,
        "net": Money("-1.00", "EUR"),
        "lines": (),
        "actor": "system",
        "reassessment_id": "R-1",
        "id": "PCC-1",
        "owner": Owner.user("owner"),
    }
    for key in good:
        for bad in BAD:
            pdc = _pdc(ManualClock(START))
            before = observable(pdc)
            try:
                PaymentCorrectionCase.open_for(pdc, **{**good, key: bad})  # type: ignore[arg-type]
            except CasekitError:
                assert observable(pdc) == before, f"open_for({key}={bad!r}) linked the PDC"
    for bad in (*BAD, "PDC-1"):
        with pytest.raises(CasekitError):
            PaymentCorrectionCase.open_for(bad, **good)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "cls", [ProductDeliveryCase, ApplicationCase, IntegratedCase, IssueCase, InvestigationCase]
)
def test_create_refuses_bad_arguments(cls: type[Case[Any]]) -> None:
    """Rule: every public constructor checks all its arguments (a CasekitError, never TypeError)."""
    fields: dict[str, object] = {"product": "Basic"} if cls is ProductDeliveryCase else {}
    good: dict[str, object] = {
        "id": "X-1",
        "clock": ManualClock(START),
        "owner": Owner.user("owner"),
        "supervisor": Owner.user("supervisor"),
        "reviewer": Owner.user("rev"),
        "primary_client": "p1",
        "participants": (Participant("p2", ParticipantRole.MEMBER),),
        "priority": Priority.HIGH,
        **fields,
    }
    cls.create(**good)  # type: ignore[arg-type]
    for key in [*good, "registered_by", "ownership", "org"]:
        for bad in BAD:
            if bad is None and key not in ("clock", "participants", "priority", "product"):
                continue  # None means "not given" for these
            with pytest.raises(CasekitError):
                cls.create(**{**good, key: bad})  # type: ignore[arg-type]
