"""The atomicity fuzz over every built-in case type: validate at the door, refuse cleanly.

One :class:`~casekit.testing.FuzzTarget` per case type (and per status where the methods that
matter need one): its public mutating methods, each with one valid call; the fuzzer probes one
argument at a time. The state compared is the whole case *and* what storage keeps of it
(``case_to_record``), so a value that is accepted but cannot be stored is found too. The counts
appear in pytest's terminal summary under "casekit atomicity fuzz" (see
``tests/testing/test_fuzz_public_api.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from casekit.cases import (
    ApplicationCase,
    AssessmentCase,
    Case,
    CorrectionLine,
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
    ReportingLines,
    ScreeningCase,
)
from casekit.cases.codec import case_to_record
from casekit.clock import ManualClock
from casekit.money import Money
from casekit.priority import Priority
from casekit.testing import Call, FuzzReport, FuzzTarget
from casekit.testing.fuzz import Operation

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ORG = ReportingLines({Owner.user("bob"): Owner.user("boss-2")})


def stored_too(case: Case[Any]) -> object:
    """The whole case, and the case as storage keeps it (which must stay encodable)."""
    return (case, case_to_record(case))


def roles() -> dict[str, object]:
    return {
        "owner": Owner.user("ana"),
        "supervisor": Owner.user("boss"),
        "primary_client": "p1",
        "clock": ManualClock(T0),
    }


def with_record(case: Case[Any]) -> Case[Any]:
    """A case with one evidence record, one task and one note (for the methods that need them)."""
    case.add_evidence("Income", {"amount": "600.00"}, date(2026, 1, 1), actor="ana")
    case.add_task("call the client", "ana", actor="ana")
    case.add_note("first contact", author="ana")
    case.collect_events()
    return case


COMMON_METHODS = [
    "perform",
    "add_note",
    "add_task",
    "kickback",
    "complete_task",
    "cancel_task",
    "add_milestone",
    "send_communication",
    "link",
    "add_participant",
    "assign_owner",
    "set_supervisor",
    "set_reviewer",
    "set_priority",
    "add_evidence",
    "correct_evidence",
    "verify_evidence",
    "end_evidence",
    "remove_evidence",
    "collect_events",
]


def common_args(action: Call) -> dict[str, Call | Callable[[Any], Call]]:
    """Valid calls of the methods every case has; ``action`` is a valid ``perform``."""
    return {
        "perform": action,
        "add_note": Call("called the client", author="ana"),
        "add_task": Call(
            "send the form", "bob", actor="ana", due=T0 + timedelta(days=3), kind="work"
        ),
        "kickback": Call("redo the form", "bob", actor="ana", reason="incomplete", due=T0),
        "complete_task": lambda case: Call(case.tasks[0].id, actor="ana"),
        "cancel_task": lambda case: Call(case.tasks[0].id, actor="ana"),
        "add_milestone": Call(MilestoneKind.REVIEW, "annual review", due=T0 + timedelta(days=30)),
        "send_communication": Call("p1", "your case", "dear client", channel="letter"),
        "link": Call(LinkKind.RELATED, "CASE-OTHER"),
        "add_participant": Call(Participant("p2", ParticipantRole.MEMBER, "Jo")),
        "assign_owner": Call(Owner.user("bob"), actor="ana", org=ORG),
        "set_supervisor": Call(Owner.user("boss-2"), actor="ana"),
        "set_reviewer": Call(Owner.user("rev"), actor="ana"),
        "set_priority": Call(Priority.HIGH, actor="ana", reason="escalated"),
        "add_evidence": Call(
            "Income",
            {"amount": "450.00", "from": "employer"},
            date(2026, 3, 16),
            date(2026, 12, 31),
            actor="ana",
            verified=True,
        ),
        "correct_evidence": lambda case: Call(
            case.evidence.current()[0].evidence_id,
            actor="ana",
            attributes={"amount": "500.00"},
            effective_from=date(2026, 2, 1),
            effective_to=date(2026, 6, 30),
            verified=True,
        ),
        "verify_evidence": lambda case: Call(case.evidence.current()[0].evidence_id, actor="ana"),
        "end_evidence": lambda case: Call(
            case.evidence.current()[0].evidence_id, date(2026, 6, 30), actor="ana"
        ),
        "remove_evidence": lambda case: Call(case.evidence.current()[0].evidence_id, actor="ana"),
    }


def case_target(
    name: str,
    factory: Callable[[], Case[Any]],
    action: Call,
    extra: dict[str, Call | Callable[[Any], Call]],
) -> FuzzTarget[Any]:
    good = {**common_args(action), **extra}
    return FuzzTarget(
        name,
        lambda: with_record(factory()),
        methods=[*COMMON_METHODS, *(m for m in extra if m not in COMMON_METHODS)],
        good_args=good,
        state=stored_too,
    )


# ----- factories ---------------------------------------------------------------------------


def pdc(**fields: object) -> ProductDeliveryCase:
    return ProductDeliveryCase.create(id="PDC-1", product="Basic Allowance", **roles(), **fields)


def active_pdc() -> ProductDeliveryCase:
    case = pdc()
    case.submit(actor="ana")
    case.approve(actor="boss")
    case.activate(actor="ana")
    return case


def deferred_pdc() -> ProductDeliveryCase:
    case = active_pdc()
    case.defer("suspend", actor="ana", reason="address check")
    return case


def submitted_pdc() -> ProductDeliveryCase:
    case = pdc()
    case.submit(actor="ana")
    return case


def approved_pdc() -> ProductDeliveryCase:
    case = submitted_pdc()
    case.approve(actor="boss")
    return case


def suspended_pdc() -> ProductDeliveryCase:
    case = active_pdc()
    case.suspend(actor="ana", reason="address check")
    return case


def closed_pdc() -> ProductDeliveryCase:
    case = active_pdc()
    case.close(actor="ana", reason="moved abroad")
    return case


def submitting_application() -> ApplicationCase:
    case = application()
    case.submit(actor="ana")
    return case


def ready_application() -> ApplicationCase:
    case = submitting_application()
    case.submission_succeeded(actor="ana")
    case.add_evidence("Income", {"amount": "600.00"}, date(2026, 1, 1), actor="ana", verified=True)
    case.approve_program("Cash", actor="ana")
    case.deny_program("Food", actor="ana")
    return case


def ready_to_dispose(case: ApplicationCase) -> Call:
    """Make the application Ready for Determination; a valid dispose is then this call."""
    case.mark_ready(actor="ana")
    return Call(actor="ana")


def approved_correction() -> PaymentCorrectionCase:
    case = correction()
    case.approve(actor="boss")
    return case


def application() -> ApplicationCase:
    return ApplicationCase.create(
        id="APP-1", programs=["Cash", "Food"], required_evidence={"Income"}, **roles()
    )


def integrated() -> IntegratedCase:
    return IntegratedCase.create(id="IC-1", **roles())


def screening() -> ScreeningCase:
    return ScreeningCase.create(id="SCR-1", **roles())


def assessment() -> AssessmentCase:
    return AssessmentCase.create(id="ASM-1", **roles())


def issue() -> IssueCase:
    return IssueCase.create(id="ISS-1", **roles())


def pending_issue() -> IssueCase:
    case = issue()
    case.resolve(case.resolutions[0], actor="ana")
    return case


def investigation() -> InvestigationCase:
    return InvestigationCase.create(id="INV-1", **roles())


def closed_investigation() -> InvestigationCase:
    case = investigation()
    case.close(actor="ana", findings=Finding.UNFOUNDED, resolution="no evidence")
    return case


LINE = CorrectionLine(date(2026, 3, 1), date(2026, 3, 31), "basic", "p1", Money("-77.42", "EUR"))


def correction() -> PaymentCorrectionCase:
    return PaymentCorrectionCase.open_for(
        pdc(),
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money("-77.42", "EUR"),
        lines=[LINE],
        actor="ana",
        id="PCC-1",
    )


CASES: list[FuzzTarget[Any]] = [
    case_target(
        "ProductDeliveryCase (Open)",
        pdc,
        Call("submit", actor="ana"),
        {
            "submit": Call(actor="ana"),
            "certify": Call(date(2026, 1, 1), date(2026, 12, 31), actor="ana"),
            "close": Call(actor="ana", reason="moved abroad"),
            "defer": Call("submit", actor="ana"),
        },
    ),
    case_target(
        "ProductDeliveryCase (Active)",
        active_pdc,
        Call("suspend", actor="ana", reason="address check"),
        {
            "suspend": Call(actor="ana", reason="address check"),
            "schedule_closure": Call(date(2026, 4, 30), actor="ana", reason="moving"),
            "close": Call(actor="ana", reason="moved abroad"),
            "defer": Call("close", actor="ana", reason="moved abroad"),
            "run_automatic_closure": Call(actor="ana"),
        },
    ),
    case_target(
        "ProductDeliveryCase (Delayed Process Pending)",
        deferred_pdc,
        Call("resume", actor="ana", succeeded=False, reason="the check failed"),
        {"resume": Call(actor="ana", succeeded=True)},
    ),
    case_target(
        "ProductDeliveryCase (Submitted)",
        submitted_pdc,
        Call("reject", actor="boss", reason="missing form"),
        {
            "approve": Call(actor="boss"),
            "reject": Call(actor="boss", reason="missing form"),
        },
    ),
    case_target(
        "ProductDeliveryCase (Approved)",
        approved_pdc,
        Call("activate", actor="ana"),
        {"activate": Call(actor="ana")},
    ),
    case_target(
        "ProductDeliveryCase (Suspended)",
        suspended_pdc,
        Call("unsuspend", actor="ana"),
        {"unsuspend": Call(actor="ana")},
    ),
    case_target(
        "ProductDeliveryCase (Closed)",
        closed_pdc,
        Call("reactivate", actor="ana", reason="back in the country"),
        {"reactivate": Call(actor="ana", reason="back in the country")},
    ),
    case_target(
        "ApplicationCase (Submitting)",
        submitting_application,
        Call("submission_failed", actor="ana", reason="service down"),
        {
            "submission_succeeded": Call(actor="ana"),
            "submission_failed": Call(actor="ana", reason="service down"),
        },
    ),
    case_target(
        "ApplicationCase (Submitted, programs decided)",
        ready_application,
        Call("mark_ready", actor="ana"),
        {
            "mark_ready": Call(actor="ana"),
            "reopen_program": Call("Food", actor="ana"),
            "dispose": ready_to_dispose,
        },
    ),
    case_target(
        "ApplicationCase",
        application,
        Call("submit", actor="ana"),
        {
            "submit": Call(actor="ana"),
            "cancel": Call(actor="ana", reason="withdrawn by the client"),
            "add_program": Call("Housing", actor="ana"),
            "approve_program": Call("Cash", actor="ana"),
            "deny_program": Call("Cash", actor="ana"),
            "withdraw_program": Call("Food", actor="ana"),
        },
    ),
    case_target(
        "IntegratedCase",
        integrated,
        Call("close", actor="ana", reason="household moved"),
        {
            "add_member_case": lambda _: Call(pdc()),
            "close": Call(actor="ana", reason="household moved"),
        },
    ),
    case_target(
        "ScreeningCase",
        screening,
        Call("close", actor="ana"),
        {
            "record_result": Call("Cash", eligible=True, detail="income under the limit"),
            "close": Call(actor="ana", reason="screened"),
        },
    ),
    case_target(
        "AssessmentCase",
        assessment,
        Call("close", actor="ana"),
        {
            "record_result": Call("Cash", eligible=False, detail="over the limit"),
            "close": Call(actor="ana", reason="assessed"),
        },
    ),
    case_target(
        "IssueCase (Open)",
        issue,
        Call("resolve", actor="ana", resolution="Agree with Client"),
        {"resolve": Call("Agree with Client", actor="ana")},
    ),
    case_target(
        "IssueCase (Pending Approval)",
        pending_issue,
        Call("approve", actor="boss"),
        {"approve": Call(actor="boss"), "reject": Call(actor="boss", reason="not agreed")},
    ),
    case_target(
        "InvestigationCase (Open)",
        investigation,
        Call("close", actor="ana", findings=Finding.FOUNDED, resolution="repaid"),
        {
            "record_allegation": Call("undeclared income", actor="ana"),
            "close": Call(actor="ana", findings=Finding.FOUNDED, resolution="repaid"),
        },
    ),
    case_target(
        "InvestigationCase (Closed)",
        closed_investigation,
        Call("reopen", actor="ana", reason="new facts"),
        {"reopen": Call(actor="ana", reason="new facts")},
    ),
    case_target(
        "PaymentCorrectionCase",
        correction,
        Call("approve", actor="boss"),
        {
            "approve": Call(actor="boss"),
            "cancel": Call(actor="ana", reason="raised in error"),
        },
    ),
    case_target(
        "PaymentCorrectionCase (Approved)",
        approved_correction,
        Call("settle", actor="ana"),
        {"settle": Call(actor="ana"), "cancel": Call(actor="ana", reason="raised in error")},
    ),
    FuzzTarget(
        "case constructors",
        pdc,
        methods={
            "ProductDeliveryCase.create": Operation(ProductDeliveryCase.create),
            "ApplicationCase.create": Operation(ApplicationCase.create),
            "IssueCase.create": Operation(IssueCase.create),
            "PaymentCorrectionCase.open_for": Operation(
                PaymentCorrectionCase.open_for, prefix=lambda case: (case,)
            ),
        },
        good_args={
            "ProductDeliveryCase.create": Call(
                id="PDC-2",
                clock=ManualClock(T0),
                owner=Owner.user("ana"),
                supervisor=Owner.user("boss"),
                org=ORG,
                primary_client="p1",
                participants=[Participant("p2", ParticipantRole.MEMBER)],
                priority=Priority.HIGH,
                product="Basic Allowance",
            ),
            "ApplicationCase.create": Call(
                id="APP-2", registered_by="ana", primary_client="p1", programs=["Cash"]
            ),
            "IssueCase.create": Call(id="ISS-2", owner=Owner.user("ana"), automatic_approval=True),
            "PaymentCorrectionCase.open_for": Call(
                outcome=CorrectionOutcome.OVERPAYMENT,
                net=Money("-77.42", "EUR"),
                lines=[LINE],
                actor="ana",
                reassessment_id="R-1",
                id="PCC-2",
                owner=Owner.user("ana"),
            ),
        },
        state=stored_too,
    ),
]


@pytest.mark.parametrize("target", CASES, ids=lambda t: t.name)
def test_case_types_validate_at_the_door(
    target: FuzzTarget[Any], fuzz_reports: list[FuzzReport]
) -> None:
    """Rule: every call on a case succeeds or raises a CasekitError with the case unchanged."""
    report = target.run(seed=0, max_calls=200)
    fuzz_reports.append(report)
    assert report.tried > 0, report
    report.assert_clean(allow_suspect=False)
