"""The MCO manual tracker procedure (domain.md §5, seed 002), configured with casekit.

A service representative records a case with its subject and documentation and classifies
it; the disposition generates the status and the owner queue. QC vets the cases of the
vetting report: a "true" tracker case is relabelled Plan Selection Corrected (Closed,
Unassigned) and handed to the State Monitors; a "false" one becomes Outreach Required and goes
back to its supervisor. What the State Monitors cannot process comes back to QC and on to
supervisor outreach: Outreach 1st Attempt (Escalated), then Outreach Max Attempts (Closed).

Everything below the imports is configuration; ``main`` runs a few cases through it and
prints the report of true tracker cases.

Run it: ``python examples/mco_tracker.py``.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

import attrs

from casekit import ManualClock
from casekit.cases import Owner, case_type
from casekit.classification import (
    Assignee,
    ClassifiedCase,
    DocTemplate,
    Field,
    Flow,
    MemoryVault,
    Rule,
    SavedReport,
    Step,
    TaskSpec,
    Taxonomy,
    classify,
    classify_action,
    document,
)
from casekit.errors import NotInTaxonomy
from casekit.lifecycle import ActionContext, Guard, Lifecycle


class TrackerStatus(enum.StrEnum):
    """The CRM statuses; only ever generated from a disposition."""

    NEW = "New"
    ESCALATED = "Escalated"
    CLOSED = "Closed"


ESCALATIONS = Owner.work_queue("MHBE CRM Escalations")
UNASSIGNED = Owner.work_queue("MHBE CRM Unassigned")
QC_TEAM = "qc-team"
STATE_MONITORS = "state-monitors"

# ----- subject and documentation templates ------------------------------------------------
NAMES = Field("Participant Name(s)")
MA = Field("MA", sensitive=True)
SSN = Field("SSN", sensitive=True)
FOR_CAUSE = (
    "Homeless Consumer",
    "Foster Care Consumer",
    "ARC",
    "New County",
    "Family Unification",
)
TEMPLATES = (
    DocTemplate(
        "Angela Melody", (NAMES, MA, SSN, Field("New MCO", alternatives=("New Provider",)))
    ),
    DocTemplate("MCT Span", (NAMES, MA, SSN, Field("Requested MCO"))),
    DocTemplate(
        "For Cause Reason",
        (NAMES, Field("For Cause Reason", choices=FOR_CAUSE), MA, SSN, Field("New MCO")),
        subject="For Cause Reason – {For Cause Reason}",
    ),
    DocTemplate("Incorrect Selection", (NAMES, MA, SSN, Field("Correct MCO Choice"))),
)
MANUAL_REASONS = ("MCT Span", "For Cause Reason", "Incorrect Selection")

# ----- the taxonomy and its disposition rules (one row per block of the procedure) ---------
SHOPPING = "Medicaid / MCO Plan Shopping"
PLAN_SELECTED_IN_ERROR = f"{SHOPPING} / NA / Plan Selected in Error"
QUESTION_ANSWERED = f"{SHOPPING} / Angela Melody / Question Answered"
MCO_UPDATED = f"{SHOPPING} / Angela Melody / MCO Updated"
CORRECTED = f"{SHOPPING} / Unable to Plan Shop / Plan Selection Corrected"
OUTREACH_REQUIRED = f"{SHOPPING} / Unable to Plan Shop / Outreach Required"
OUTREACH_1ST = f"{SHOPPING} / Unable to Plan Shop / Outreach 1st Attempt"
OUTREACH_MAX = f"{SHOPPING} / Unable to Plan Shop / Outreach Max Attempts"


def _issues_unresolved(case: TrackerCase, ctx: ActionContext) -> bool:
    return not case.issues_resolved


# "Were the consumer's issues resolved? No": only unresolved issues are escalated.
UNRESOLVED = Guard(_issues_unresolved, "the consumer's issues were resolved; nothing to escalate")

TAXONOMY = Taxonomy(
    "MHBE CRM",
    rules=(
        Rule(
            PLAN_SELECTED_IN_ERROR,
            TrackerStatus.ESCALATED,
            ESCALATIONS,
            MANUAL_REASONS,
            guards=(UNRESOLVED,),
        ),
        Rule(QUESTION_ANSWERED, TrackerStatus.CLOSED, ESCALATIONS),
        Rule(MCO_UPDATED, TrackerStatus.CLOSED, ESCALATIONS, "Angela Melody"),
        Rule(CORRECTED, TrackerStatus.CLOSED, UNASSIGNED),
        Rule(OUTREACH_REQUIRED, TrackerStatus.CLOSED, UNASSIGNED),
        Rule(OUTREACH_1ST, TrackerStatus.ESCALATED, UNASSIGNED),
        Rule(OUTREACH_MAX, TrackerStatus.CLOSED, UNASSIGNED),
    ),
    templates=TEMPLATES,
)

# ----- the procedure: QC vetting, State Monitor hand-off and return, supervisor outreach ---
OUTREACH = TaskSpec("Consumer outreach", Assignee.SUPERVISOR, kind="outreach")
PROCEDURE = Flow(
    "MCO Manual Tracker",
    TAXONOMY,
    steps=(
        Step("vet_true", (PLAN_SELECTED_IN_ERROR, MCO_UPDATED), CORRECTED),
        Step("vet_false", (PLAN_SELECTED_IN_ERROR, MCO_UPDATED), OUTREACH_REQUIRED, OUTREACH),
        Step(
            "hand_to_state_monitors",
            CORRECTED,
            task=TaskSpec("Process in MMIS and CRM", STATE_MONITORS, kind="state-monitor"),
        ),
        Step("monitor_processed", CORRECTED, completes="state-monitor"),
        Step(
            "monitor_return",
            CORRECTED,
            task=TaskSpec("Notify the supervisor for outreach", QC_TEAM, kind="qc-return"),
            completes="state-monitor",
            reason_required=True,
        ),
        Step("refer_for_outreach", CORRECTED, OUTREACH_REQUIRED, OUTREACH, completes="qc-return"),
        Step("outreach_attempt", (OUTREACH_REQUIRED, OUTREACH_1ST), (OUTREACH_1ST, OUTREACH_MAX)),
    ),
)

EVERY_STATUS = tuple(TrackerStatus)
TRACKER: Lifecycle[TrackerCase] = Lifecycle(
    name="MCO Tracker Case",
    statuses=TrackerStatus,
    initial=TrackerStatus.NEW,
    actions=(
        classify_action(TAXONOMY, source=EVERY_STATUS),
        *PROCEDURE.actions(source=EVERY_STATUS),
    ),
)


@case_type(TRACKER, prefix="MCO")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class TrackerCase(ClassifiedCase[TrackerStatus]):
    """A CRM case about MCO enrollment, with the representative's two answers.

    Attributes:
        issues_resolved: "Were the consumer's issues resolved?"
        supervisor_requested: "Did the consumer request a supervisor?"
    """

    issues_resolved: bool = False
    supervisor_requested: bool = False


# ----- saved reports -----------------------------------------------------------------------
TO_VET = SavedReport(
    "MCO Manual Tracker CRM Replacement for Excel Tracker",
    dispositions=("Plan Selected in Error", "MCO Updated"),
)
TRUE_TRACKER_CASES = SavedReport(
    "True tracker cases for the State Monitors",
    sub_categories="Unable to Plan Shop",
    dispositions="Plan Selection Corrected",
)


def main() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    vault = MemoryVault()
    supervisor = Owner.user("sup-lee")

    def record(
        case_id: str, template: str, values: dict[str, str], sub_category: str, disposition: str
    ) -> TrackerCase:
        case = TrackerCase.create(
            id=case_id, owner=Owner.user("csr-ana"), supervisor=supervisor, clock=clock
        )
        document(case, TAXONOMY, template, values, actor="csr-ana", vault=vault)
        classify(
            case,
            record_type="Medicaid",
            category="MCO Plan Shopping",
            sub_category=sub_category,
            disposition=disposition,
            actor="csr-ana",
        )
        clock.advance(timedelta(minutes=20))
        return case

    person = {"Participant Name(s)": "Jo Doe", "MA": "MA-55501234", "SSN": "123-45-6789"}
    wrong_pick = record(
        "MCO-1",
        "Incorrect Selection",
        {**person, "Correct MCO Choice": "Priority Partners"},
        "NA",
        "Plan Selected in Error",
    )
    melody = record(
        "MCO-2",
        "Angela Melody",
        {**person, "SSN": "987-65-4321", "New Provider": "Dr. Ortiz"},
        "Angela Melody",
        "MCO Updated",
    )
    span = record(
        "MCO-3",
        "MCT Span",
        {**person, "SSN": "555-12-0042", "Requested MCO": "Jai Medical"},
        "NA",
        "Plan Selected in Error",
    )
    question = record(
        "MCO-4",
        "Angela Melody",
        {**person, "New MCO": "Aetna Better Health"},
        "Angela Melody",
        "Question Answered",
    )
    cases = [wrong_pick, melody, span, question]
    print(f"{wrong_pick.id}: {wrong_pick.subject} → {wrong_pick.status}, {wrong_pick.owner}")
    try:
        classify(
            question,
            record_type="Medicaid",
            category="MCO Plan Shopping",
            sub_category="Angela Melody",
            disposition="Plan Corrected",
            actor="csr-ana",
        )
    except NotInTaxonomy as refused:
        print(f"refused: {refused}")

    print(f"to vet: {', '.join(TO_VET.run(cases).case_ids)}")
    PROCEDURE.run(wrong_pick, "vet_true", actor="qc-lead")
    PROCEDURE.run(span, "vet_true", actor="qc-lead")
    PROCEDURE.run(melody, "vet_false", actor="qc-lead", reason="provider still in network")
    print()
    print(TRUE_TRACKER_CASES.run(cases).to_csv(), end="")
    print()

    clock.advance(timedelta(days=1))
    for case in (wrong_pick, span):
        PROCEDURE.run(case, "hand_to_state_monitors", actor="qc-lead")
    clock.advance(timedelta(days=2))
    PROCEDURE.run(wrong_pick, "monitor_processed", actor="monitor-kim")
    PROCEDURE.run(span, "monitor_return", actor="monitor-kim", reason="no MCT span in MMIS")
    PROCEDURE.run(span, "refer_for_outreach", actor="qc-lead")
    clock.advance(timedelta(days=1))
    for case in (melody, span):
        PROCEDURE.run(case, "outreach_attempt", actor="sup-lee")
    clock.advance(timedelta(days=3))
    PROCEDURE.run(melody, "outreach_attempt", actor="sup-lee")
    for case in cases:
        assert case.classification is not None
        print(
            f"{case.id}: {case.classification.disposition} → {case.status}, {case.owner}; "
            f"next: {', '.join(PROCEDURE.available(case)) or 'none'}"
        )
    print()
    for change in span.history:
        print(
            f"  {change.at:%m-%d %H:%M} {change.from_status:>9} → {change.to_status:<9} "
            f"{change.action:<22} {change.actor:<11} {change.reason or ''}"
        )


if __name__ == "__main__":
    main()
