"""The shared case model: roles, participants, priority, evidence, tasks, notes, codec."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from casekit.cases import (
    CASE_TYPES,
    ApplicationCase,
    EvidenceChanged,
    IssueCase,
    Owner,
    Participant,
    ParticipantRole,
    PriorityChanged,
    ProductDeliveryCase,
    ReportingLines,
    StatusChange,
    TaskStatus,
)
from casekit.cases.codec import case_from_record, case_to_record
from casekit.clock import ManualClock
from casekit.errors import AlreadyExists, CorruptRecord, NotFound, ValidationError
from casekit.priority import Priority

ORG = ReportingLines({Owner.user("worker"): Owner.user("boss")})


def test_reviewer_defaults_to_owner_and_follows_it(clock: ManualClock) -> None:
    case = IssueCase.create(id="I-1", owner=Owner.user("a"), clock=clock)
    assert case.roles.reviewer == Owner.user("a")
    case.assign_owner(Owner.work_queue("appeals"), actor="boss")
    assert case.roles.reviewer == Owner.work_queue("appeals")
    case.set_reviewer(Owner.user("qa"), actor="boss")
    case.assign_owner(Owner.user("b"), actor="boss")
    assert case.roles.reviewer == Owner.user("qa")


def test_supervisor_resolved_from_the_owners_reporting_line(clock: ManualClock) -> None:
    case = IssueCase.create(id="I-2", owner=Owner.user("worker"), org=ORG, clock=clock)
    assert case.roles.supervisor == Owner.user("boss")
    explicit = IssueCase.create(
        id="I-3",
        owner=Owner.user("worker"),
        supervisor=Owner.position("lead"),
        org=ORG,
        clock=clock,
    )
    assert explicit.roles.supervisor == Owner.position("lead")


def test_owner_kinds(clock: ManualClock) -> None:
    for owner in (Owner.user("u"), Owner.position("p"), Owner.org_unit("o"), Owner.work_queue("q")):
        assert IssueCase.create(owner=owner, clock=clock).owner == owner


def test_new_case_needs_an_owner_or_who_registered_the_client(clock: ManualClock) -> None:
    with pytest.raises(ValidationError, match="registered_by"):
        IssueCase.create(clock=clock)


def test_pluggable_ownership_strategy(clock: ManualClock) -> None:
    class ToQueue:
        def initial_owner(
            self, case_type: str, primary_client: str | None, registered_by: str
        ) -> Owner:
            return Owner.work_queue(f"{case_type} intake")

    case = IssueCase.create(registered_by="u", ownership=ToQueue(), clock=clock)
    assert case.owner == Owner.work_queue("Issue Case intake")


def test_participants_at_most_one_primary_client(clock: ManualClock) -> None:
    case = IssueCase.create(
        owner=Owner.user("u"),
        primary_client="p1",
        clock=clock,
        participants=[Participant("p2", ParticipantRole.MEMBER, "Kim")],
    )
    with pytest.raises(AlreadyExists, match="primary client"):
        case.add_participant(Participant("p3", ParticipantRole.PRIMARY_CLIENT))
    with pytest.raises(AlreadyExists):
        case.add_participant(Participant("p2", ParticipantRole.MEMBER))
    case.add_participant(Participant("emp", ParticipantRole.THIRD_PARTY, "Acme"))
    assert [p.id for p in case.participants] == ["p1", "p2", "emp"]
    assert case.primary_client_id == "p1"


def test_priority_change_is_published(clock: ManualClock) -> None:
    case = IssueCase.create(owner=Owner.user("u"), clock=clock)
    case.set_priority(Priority.URGENT, actor="boss", reason="escalated")
    (event,) = case.pending_events
    assert isinstance(event, PriorityChanged)
    assert (event.before, event.after) == (Priority.NORMAL, Priority.URGENT)
    with pytest.raises(ValidationError, match="Low, Normal, High, Urgent"):
        case.set_priority("urgent", actor="boss")  # type: ignore[arg-type]


def test_evidence_is_versioned_and_effective_dated(clock: ManualClock) -> None:
    case = IssueCase.create(owner=Owner.user("u"), clock=clock)
    income = case.add_evidence("income", {"amount": "600.00"}, date(2026, 1, 1), actor="u")
    clock.advance(timedelta(days=1))
    case.add_evidence("income", {"amount": "50.00"}, date(2026, 2, 1), date(2026, 2, 28), actor="u")
    corrected = case.correct_evidence(
        income.evidence_id, actor="u", attributes={"amount": "450.00"}
    )
    assert corrected.version == 2
    assert [e.version for e in case.evidence.history(income.evidence_id)] == [1, 2]
    assert case.evidence.history(income.evidence_id)[0].attributes == {"amount": "600.00"}
    assert len(case.evidence.in_force("income", on=date(2026, 2, 15))) == 2
    assert len(case.evidence.in_force("income", on=date(2026, 3, 1))) == 1
    case.end_evidence(income.evidence_id, date(2026, 3, 15), actor="u")
    assert case.evidence.in_force("income", on=date(2026, 3, 16)) == ()
    case.remove_evidence(income.evidence_id, actor="u")
    assert len(case.evidence.current("income")) == 1
    changes = [e.change for e in case.pending_events if isinstance(e, EvidenceChanged)]
    assert changes == ["added", "added", "corrected", "corrected", "removed"]


def test_evidence_refuses_bad_input(clock: ManualClock) -> None:
    case = IssueCase.create(owner=Owner.user("u"), clock=clock)
    with pytest.raises(ValidationError, match="before effective_from"):
        case.add_evidence("income", {}, date(2026, 2, 1), date(2026, 1, 1), actor="u")
    with pytest.raises(ValidationError, match="must be a date"):
        case.add_evidence("income", {}, datetime(2026, 2, 1, tzinfo=UTC), actor="u")
    with pytest.raises(NotFound):
        case.correct_evidence("nope", actor="u")
    assert len(case.evidence) == 0


def test_kickback_is_a_task_to_the_prior_worker_not_a_reassignment(
    pdc: ProductDeliveryCase,
) -> None:
    pdc.submit(actor="worker")
    task = pdc.kickback("intake", "Fix the income evidence", actor="boss", reason="wrong amount")
    assert task.assignee == "intake"
    assert task.kind == "kickback"
    assert pdc.owner == Owner.user("worker")
    done = pdc.complete_task(task.id, actor="intake")
    assert done.status is TaskStatus.COMPLETED
    with pytest.raises(ValidationError, match="only Open"):
        pdc.cancel_task(task.id, actor="intake")
    with pytest.raises(ValidationError, match="reason"):
        pdc.kickback("intake", "x", actor="boss", reason="")


def test_an_open_task_is_reassigned_to_another_user_audited_with_the_reason(
    pdc: ProductDeliveryCase,
) -> None:
    task = pdc.kickback("intake", "Fix the income evidence", actor="boss", reason="wrong amount")
    pdc.collect_events()
    moved = pdc.reassign_task(task.id, "cover", actor="boss", reason="intake is on leave")
    assert (moved.assignee, moved.kind, moved.status) == ("cover", "kickback", TaskStatus.OPEN)
    assert pdc.tasks[-1] == moved
    (event,) = pdc.collect_events()
    assert (event.change, event.assignee, event.previous, event.reason) == (
        "reassigned",
        "cover",
        "intake",
        "intake is on leave",
    )
    with pytest.raises(ValidationError, match="assigned to cover already"):
        pdc.reassign_task(task.id, "cover", actor="boss")
    pdc.complete_task(task.id, actor="cover")
    with pytest.raises(ValidationError, match="only Open tasks can be reassigned"):
        pdc.reassign_task(task.id, "intake", actor="boss")
    with pytest.raises(NotFound, match="no task"):
        pdc.reassign_task(f"{pdc.id}/T99", "intake", actor="boss")


def test_task_due_must_be_timezone_aware(pdc: ProductDeliveryCase) -> None:
    with pytest.raises(ValidationError, match="naive"):
        pdc.add_task("t", "u", actor="w", due=datetime(2026, 1, 1))


def test_status_changes_are_published_as_history_entries(pdc: ProductDeliveryCase) -> None:
    pdc.submit(actor="worker")
    (event,) = pdc.collect_events()
    assert isinstance(event, StatusChange)
    assert event is pdc.history[0]
    assert pdc.pending_events == ()


def test_times_come_from_the_injected_clock(clock: ManualClock) -> None:
    case = IssueCase.create(owner=Owner.user("u"), clock=clock)
    clock.advance(timedelta(hours=5))
    case.resolve("Agree with Client", actor="u")
    assert case.created_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert case.updated_at == datetime(2026, 3, 2, 14, tzinfo=UTC)
    assert case.history[0].at == case.updated_at


def test_every_built_in_type_is_registered() -> None:
    assert {
        "Application Case",
        "Assessment Case",
        "Integrated Case",
        "Investigation Case",
        "Issue Case",
        "Payment Correction Case",
        "Product Delivery Case",
        "Screening Case",
    } <= set(CASE_TYPES)


def test_codec_round_trips_everything(clock: ManualClock) -> None:
    app = ApplicationCase.create(
        id="APP-9",
        registered_by="u",
        primary_client=Participant("p1", name="Ana"),
        participants=[Participant("p2", ParticipantRole.MEMBER)],
        programs=["A"],
        required_evidence={"income"},
        priority=Priority.HIGH,
        clock=clock,
    )
    app.add_evidence(
        "income", {"amount": "1.10", "n": 3, "ok": True}, date(2026, 1, 1), actor="u", verified=True
    )
    app.submit(actor="u")
    app.add_task("t", "u2", actor="u", due=clock.now() + timedelta(days=2))
    app.add_note("called", author="u")
    app.send_communication("p1", "hello", "body")
    record = json.loads(json.dumps(case_to_record(app)))
    back = case_from_record(record, clock=clock)
    assert isinstance(back, ApplicationCase)
    assert case_to_record(back) == case_to_record(app)
    assert (back.status, back.history, back.tasks, back.notes, back.participants) == (
        app.status,
        app.history,
        app.tasks,
        app.notes,
        app.participants,
    )
    assert back.programs == app.programs
    assert back.required_evidence == app.required_evidence
    assert back.created_at.tzinfo is not None


def test_codec_refuses_unknown_types_and_formats() -> None:
    with pytest.raises(CorruptRecord, match="unknown case type 'Nope'"):
        case_from_record({"format": 1, "case_type": "Nope", "id": "X-1", "fields": {}})
    with pytest.raises(CorruptRecord, match="format"):
        case_from_record({"format": 99, "case_type": "Issue Case", "id": "X-1", "fields": {}})
    with pytest.raises(CorruptRecord, match="neither an attrs class nor an enum"):
        case_from_record(
            {
                "format": 1,
                "case_type": "Issue Case",
                "id": "X-1",
                "fields": {"id": {"$attrs": "os:system", "fields": {}}},
            }
        )


def test_notebook_rendering_escapes_and_summarises(pdc: ProductDeliveryCase) -> None:
    pdc.submit(actor="<script>")
    html_card = pdc._repr_html_()
    assert "Product Delivery Case PDC-17" in html_card
    assert "&lt;script&gt;" in html_card
    assert "<script>" not in html_card
    record = pdc.to_record()
    assert record["status"] == "Submitted"
    assert record["owner"] == "User worker"


def test_a_record_may_not_carry_fields_the_encoder_never_writes() -> None:
    """Regression: a stored record holding "pending_events" loaded with those events queued,
    and the next save audited them (HMAC-ed with the key) as if they had happened."""
    from casekit.cases.codec import case_from_record, case_to_record  # noqa: PLC0415
    from casekit.errors import CorruptRecord  # noqa: PLC0415

    clock = ManualClock()
    case = ProductDeliveryCase.create(
        product="B",
        primary_client="p",
        owner=Owner.user("w"),
        supervisor=Owner.user("s"),
        clock=clock,
    )
    record = case_to_record(case)
    assert case_from_record(record, clock=clock).id == case.id
    for stray in ("pending_events", "clock"):
        edited = {**record, "fields": {**record["fields"], stray: []}}
        with pytest.raises(CorruptRecord, match=stray):
            case_from_record(edited, clock=clock)
