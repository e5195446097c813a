"""Silent accepts and wrong error types found by calling the case API carelessly (hardening).

Rule ("validate at the door"): every public constructor and mutating method checks all its
arguments before it changes anything, and refuses a bad one with a ValidationError naming the
object, the bad value and what would be valid; never a bare TypeError, AttributeError,
KeyError or ValueError, never an accepted value that breaks a later step.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import pytest

from casekit.cases import (
    ApplicationCase,
    Case,
    CorrectionLine,
    CorrectionOutcome,
    IntegratedCase,
    InvestigationCase,
    IssueCase,
    MilestoneKind,
    Owner,
    OwnerKind,
    PaymentCorrectionCase,
    PDCStatus,
    ProductDeliveryCase,
    ReportingLines,
    ScreeningCase,
)
from casekit.cases.codec import case_to_record
from casekit.errors import CasekitError, InvalidTransition, NotFound, ValidationError
from casekit.money import Money
from casekit.priority import Priority

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _state(case: Case[Any]) -> object:
    return case_to_record(case), case.pending_events


def test_supervisor_must_be_an_owner_not_a_string(pdc: ProductDeliveryCase) -> None:
    """Reproduction: create(supervisor="sam") was accepted and approve raised AttributeError."""
    with pytest.raises(ValidationError, match=r"supervisor of PDC-9 must be an Owner.*'sam'"):
        ProductDeliveryCase.create(
            id="PDC-9",
            product="B",
            owner=Owner.user("ana"),
            supervisor="sam",  # type: ignore[arg-type]
        )
    with pytest.raises(ValidationError, match="must be an Owner"):
        pdc.set_supervisor("sam", actor="worker")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be an Owner"):
        pdc.set_reviewer("sam", actor="worker")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be an Owner"):
        pdc.assign_owner("ana", actor="worker")  # type: ignore[arg-type]
    assert pdc.roles.supervisor == Owner.user("boss")


def test_an_org_that_returns_a_non_owner_is_refused() -> None:
    class BadOrg:
        def supervisor_of(self, owner: Owner) -> object:
            return "sam"

    with pytest.raises(ValidationError, match="supervisor org gave"):
        IssueCase.create(owner=Owner.user("ana"), org=BadOrg())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="org of"):
        IssueCase.create(owner=Owner.user("ana"), org="sam")  # type: ignore[arg-type]


def test_owner_kind_must_be_an_owner_kind() -> None:
    with pytest.raises(ValidationError, match="kind must be one of"):
        Owner("User", "ana")  # type: ignore[arg-type]
    assert Owner(OwnerKind.USER, "ana") == Owner.user("ana")


def test_float_evidence_is_refused_at_the_door(pdc: ProductDeliveryCase) -> None:
    """Reproduction: a float in evidence was accepted and every later save of the case failed."""
    before = _state(pdc)
    with pytest.raises(ValidationError, match=r"\['monthly'\] is a float"):
        pdc.add_evidence("income", {"monthly": 600.0}, date(2026, 1, 1), actor="worker")
    with pytest.raises(ValidationError, match="not finite"):
        pdc.add_evidence("income", {"x": [float("nan")]}, date(2026, 1, 1), actor="worker")
    with pytest.raises(ValidationError, match="cannot be stored"):
        pdc.add_evidence("income", {"raw": b"600"}, date(2026, 1, 1), actor="worker")
    assert _state(pdc) == before
    record = pdc.add_evidence("income", {"monthly": "600.00"}, date(2026, 1, 1), actor="worker")
    before = _state(pdc)
    with pytest.raises(ValidationError, match="is a float"):
        pdc.correct_evidence(record.evidence_id, actor="worker", attributes={"monthly": 650.0})
    assert _state(pdc) == before
    case_to_record(pdc)  # the case can still be stored


def test_evidence_attributes_must_be_a_mapping(pdc: ProductDeliveryCase) -> None:
    for bad in ([("monthly", "600")], "monthly=600", None, {1: "600"}):
        with pytest.raises(ValidationError):
            pdc.add_evidence("income", bad, date(2026, 1, 1), actor="worker")  # type: ignore[arg-type]
    assert pdc.evidence.all_versions() == ()


@pytest.mark.parametrize("actor", ["", "   ", "\t\n", None, 7])
def test_every_lifecycle_action_checks_its_actor(pdc: ProductDeliveryCase, actor: object) -> None:
    """Reproduction: a whitespace-only actor passed lifecycle actions (add_note refused it)."""
    before = _state(pdc)
    with pytest.raises(ValidationError, match="actor of 'submit' on PDC-17"):
        pdc.submit(actor=actor)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        pdc.defer("submit", actor=actor)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        pdc.add_note("text", author=actor)  # type: ignore[arg-type]
    assert _state(pdc) == before


@pytest.mark.parametrize("truthy", ["yes", "no", "False", 1, 0, None])
def test_boolean_flags_must_be_bools(pdc: ProductDeliveryCase, truthy: object) -> None:
    """Reproduction: truthy strings passed as verified (and other flags)."""
    before = _state(pdc)
    with pytest.raises(ValidationError, match="True or False"):
        pdc.add_evidence("income", {}, date(2026, 1, 1), actor="w", verified=truthy)  # type: ignore[arg-type]
    assert _state(pdc) == before
    record = pdc.add_evidence("income", {}, date(2026, 1, 1), actor="w")
    before = _state(pdc)
    if truthy is not None:  # None means "leave as it is"
        with pytest.raises(ValidationError, match="True or False"):
            pdc.correct_evidence(record.evidence_id, actor="w", verified=truthy)  # type: ignore[arg-type]
    screening = ScreeningCase.create(owner=Owner.user("w"))
    with pytest.raises(ValidationError, match="True or False"):
        screening.record_result("A", eligible=truthy)  # type: ignore[arg-type]
    assert screening.results == ()
    with pytest.raises(ValidationError, match="True or False"):
        ProductDeliveryCase.create(
            product="B", owner=Owner.user("w"), requires_certification=truthy
        )
    with pytest.raises(ValidationError, match="True or False"):
        ProductDeliveryCase.create(product="B", owner=Owner.user("w"), automatic_approval=truthy)
    with pytest.raises(ValidationError, match="True or False"):
        IssueCase.create(owner=Owner.user("w"), automatic_approval=truthy)
    assert _state(pdc) == before


@pytest.mark.parametrize("reason", [5, 1.5, float("nan"), ["r"], b"r"])
def test_a_reason_that_is_not_text_is_a_validation_error(
    pdc: ProductDeliveryCase, reason: object
) -> None:
    """Reproduction: a non-string reason raised AttributeError (.strip() on it)."""
    pdc.submit(actor="worker")
    before = _state(pdc)
    with pytest.raises(ValidationError, match="reason to 'reject' PDC-17"):
        pdc.reject(actor="boss", reason=reason)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="reason"):
        pdc.kickback("w", "Redo", actor="boss", reason=reason)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="reason"):
        pdc.set_priority(Priority.URGENT, actor="boss", reason=reason)  # type: ignore[arg-type]
    assert _state(pdc) == before
    assert pdc.priority is Priority.NORMAL


def test_set_priority_refuses_a_nan_reason_at_the_door(pdc: ProductDeliveryCase) -> None:
    """Reproduction: set_priority(..., reason=float("nan")) must be refused."""
    with pytest.raises(ValidationError, match="nan"):
        pdc.set_priority(Priority.URGENT, actor="boss", reason=math.nan)  # type: ignore[arg-type]
    assert pdc.priority is Priority.NORMAL
    assert pdc.pending_events == ()


@pytest.mark.parametrize("bad", ["2026-05-01", datetime(2026, 5, 1, tzinfo=UTC), 20260501, None])
def test_dates_must_be_dates(pdc: ProductDeliveryCase, bad: object) -> None:
    """Reproduction: non-dates for effective_to / certify / schedule_closure."""
    record = pdc.add_evidence("income", {}, date(2026, 1, 1), actor="w")
    pdc.submit(actor="w")
    pdc.approve(actor="boss")
    pdc.activate(actor="w")
    before = _state(pdc)
    if bad is not None:  # effective_to=None means open-ended
        with pytest.raises(ValidationError, match="must be a date"):
            pdc.add_evidence("income", {}, date(2026, 1, 1), bad, actor="w")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be a date"):
        pdc.end_evidence(record.evidence_id, bad, actor="w")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be a date"):
        pdc.certify(bad, date(2026, 6, 1), actor="w")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be a date"):
        pdc.certify(date(2026, 1, 1), bad, actor="w")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be a date"):
        pdc.schedule_closure(bad, actor="w")  # type: ignore[arg-type]
    assert _state(pdc) == before
    assert pdc.status is PDCStatus.ACTIVE


def test_naive_datetimes_are_refused(pdc: ProductDeliveryCase) -> None:
    naive = datetime(2026, 5, 1, 9)
    with pytest.raises(ValidationError, match="naive"):
        pdc.add_task("t", "kim", actor="w", due=naive)
    with pytest.raises(ValidationError, match="naive"):
        pdc.add_milestone(MilestoneKind.REVIEW, "r", due=naive)
    assert pdc.tasks == ()
    assert pdc.milestones == ()


def test_unhashable_ids_are_validation_errors() -> None:
    """Reproduction: unhashable ids raised TypeError from dict lookups."""
    app = ApplicationCase.create(registered_by="w", programs=["A"])
    for method in ("approve_program", "deny_program", "withdraw_program", "reopen_program"):
        with pytest.raises(ValidationError):
            getattr(app, method)(["A"], actor="w")
    with pytest.raises(ValidationError):
        app.add_program({"A": 1}, actor="w")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        app.complete_task(["T1"], actor="w")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        app.correct_evidence({}, actor="w")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ApplicationCase.create(registered_by="w", programs=[["A"]])
    with pytest.raises(ValidationError):
        ApplicationCase.create(registered_by="w", programs=5)
    with pytest.raises(ValidationError):
        ApplicationCase.create(registered_by="w", required_evidence=5)
    with pytest.raises(ValidationError):
        ApplicationCase.create(registered_by="w", id=["APP-1"])  # type: ignore[arg-type]
    assert app.programs == {"A": app.programs["A"]}


def test_wrong_kinds_of_objects_are_refused() -> None:
    """Reproduction: add_member_case given a non-case; org/owner arguments of the wrong kind."""
    ic = IntegratedCase.create(owner=Owner.user("w"))
    before = _state(ic)
    for bad in ("PDC-1", None, Owner.user("w")):
        with pytest.raises(ValidationError, match="must be a Case"):
            ic.add_member_case(bad)  # type: ignore[arg-type]
    assert _state(ic) == before
    with pytest.raises(ValidationError, match="ownership"):
        IssueCase.create(registered_by="w", ownership="first come")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="clock"):
        IssueCase.create(owner=Owner.user("w"), clock="now")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="participants"):
        IssueCase.create(owner=Owner.user("w"), participants=5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ic.add_participant("p1")  # type: ignore[arg-type]
    ic.link("Related", "X-1")  # type: ignore[arg-type]  # a kind's value is fine
    with pytest.raises(ValidationError, match="kind of a link"):
        ic.link("Sibling", "X-2")  # type: ignore[arg-type]


def test_unknown_action_names_are_casekit_errors_naming_the_valid_ones() -> None:
    """Reproduction: Lifecycle.action raised a bare KeyError from lifecycle/spec.py."""
    lifecycle = ProductDeliveryCase.lifecycle()
    with pytest.raises(NotFound, match=r"no action 'teleport'; declared: activate, approve"):
        lifecycle.action("teleport")
    case = InvestigationCase.create(owner=Owner.user("w"))
    for bad in ("teleport", ["close"], None, 5):
        with pytest.raises(InvalidTransition, match="allowed: close"):
            case.perform(bad, actor="w")  # type: ignore[arg-type]
    assert isinstance(NotFound("x"), CasekitError)


def test_investigation_allegation_text_must_be_text() -> None:
    inv = InvestigationCase.create(owner=Owner.user("w"))
    for bad in (None, 5, "  "):
        with pytest.raises(ValidationError, match="allegation"):
            inv.record_allegation(bad, actor="w")  # type: ignore[arg-type]
    assert inv.allegations == ()


def test_issue_resolution_must_be_one_of_the_named_end_points() -> None:
    issue = IssueCase.create(owner=Owner.user("w"))
    for bad in (None, ["Agree with Client"], "Whatever"):
        with pytest.raises(ValidationError, match="needs resolution= one of"):
            issue.resolve(bad, actor="w")  # type: ignore[arg-type]
    assert issue.history == ()


def test_reporting_lines_and_correction_lines_are_checked_when_built() -> None:
    with pytest.raises(ValidationError, match="map an Owner to an Owner"):
        ReportingLines({"ana": "sam"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="mapping"):
        ReportingLines([Owner.user("ana")])  # type: ignore[arg-type]
    lines = ReportingLines({Owner.user("ana"): Owner.user("sam")})
    assert lines.supervisor_of("ana") is None  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ends before it starts"):
        CorrectionLine(date(2026, 4, 1), date(2026, 3, 1), "basic", "p1", Money("1", "EUR"))
    with pytest.raises(ValidationError, match="amount"):
        CorrectionLine(date(2026, 3, 1), date(2026, 3, 31), "basic", "p1", 1.5)  # type: ignore[arg-type]


def test_an_action_is_refused_when_the_clock_is_naive() -> None:
    """Rule: datetimes are tz-aware; a naive clock is refused before anything changes."""

    class NaiveClock:
        def now(self) -> datetime:
            return datetime(2026, 3, 2, 9)

    case = IssueCase.create(owner=Owner.user("w"))
    case.clock = NaiveClock()
    with pytest.raises(ValidationError, match="naive"):
        case.resolve("Agree with Client", actor="w")
    assert case.history == ()


@pytest.mark.parametrize(
    "field", ["status", "history", "version", "deferred", "evidence", "roles", "pending_events"]
)
def test_create_refuses_fields_the_case_keeps_itself(field: str) -> None:
    """Rule: status, history and records change only through the case's methods."""
    with pytest.raises(ValidationError, match=f"cannot be given {field}"):
        ProductDeliveryCase.create(product="B", owner=Owner.user("w"), **{field: None})


# ----- found by the atomicity fuzz over the case types (tests/cases/test_fuzz_cases.py) ------


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800"])
def test_a_communication_body_must_be_storable_text(pdc: ProductDeliveryCase, bad: str) -> None:
    """Rule: validate at the door. A NUL or lone surrogate in the body was stored, then the
    case could not be written to PostgreSQL (or encoded at all)."""
    before = _state(pdc)
    with pytest.raises(ValidationError, match=r"body of a communication on PDC-17"):
        pdc.send_communication("p1", "your case", bad)
    assert _state(pdc) == before
    assert pdc.send_communication("p1", "your case", "").body == ""  # an empty body is fine


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800", 7])
def test_an_eligibility_result_detail_must_be_storable_text(bad: object) -> None:
    """Rule: validate at the door. record_result(detail=NUL or lone surrogate) was stored."""
    case = ScreeningCase.create(id="SCR-9", owner=Owner.user("ana"))
    before = _state(case)
    with pytest.raises(ValidationError, match=r"detail \(Cash on SCR-9\)"):
        case.record_result("Cash", eligible=True, detail=bad)  # type: ignore[arg-type]
    assert _state(case) == before


@pytest.mark.parametrize("bad", [None, 0, b"x", "  "])
def test_automatic_closure_checks_its_actor_even_when_nothing_is_due(
    pdc: ProductDeliveryCase, bad: object
) -> None:
    """Rule: validate at the door. A bad actor was accepted whenever no closure was due, and
    only refused on the day one was (the same call, two behaviours)."""
    with pytest.raises(ValidationError, match=r"actor of the automatic closure of PDC-17"):
        pdc.run_automatic_closure(actor=bad)  # type: ignore[arg-type]


def test_a_correction_owner_must_be_an_owner(pdc: ProductDeliveryCase) -> None:
    """Rule: validate at the door. open_for(owner=0) was taken as "no owner" (falsy) and the
    PDC's owner used silently."""
    line = CorrectionLine(date(2026, 3, 1), date(2026, 3, 31), "basic", "p1", Money("-1", "EUR"))
    with pytest.raises(ValidationError, match=r"owner \(correction of PDC-17\) must be a Owner"):
        PaymentCorrectionCase.open_for(
            pdc,
            outcome=CorrectionOutcome.OVERPAYMENT,
            net=Money("-1", "EUR"),
            lines=[line],
            actor="worker",
            owner=0,  # type: ignore[arg-type]
        )
    assert pdc.links == ()
