"""The seed's procedure, one test per path: QC vetting, State Monitors, supervisor outreach."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from casekit.cases import Owner, TaskStatus
from casekit.classification import Assignee, Flow, Step, TaskSpec
from casekit.errors import GuardRejected, NotFound, NotInTaxonomy, ValidationError

Maker = Callable[..., Any]
ESCALATIONS = Owner.work_queue("MHBE CRM Escalations")
UNASSIGNED = Owner.work_queue("MHBE CRM Unassigned")


def state(case: Any) -> tuple[str, str, Owner]:
    return (case.classification.disposition, case.status.value, case.roles.owner)


def open_tasks(case: Any) -> list[tuple[str, str, str]]:
    return [(t.kind, t.assignee, t.title) for t in case.tasks if t.status is TaskStatus.OPEN]


def snapshot(case: Any) -> tuple[object, ...]:
    return (case.status, case.roles, case.classification, case.history, case.tasks)


# ----- CSR recording -------------------------------------------------------------------------
@pytest.mark.parametrize("template", ["MCT Span", "For Cause Reason", "Incorrect Selection"])
def test_csr_manual_reason_is_escalated_to_the_escalations_queue(
    recorded: Maker, template: str
) -> None:
    case = recorded(template)
    assert state(case) == ("Plan Selected in Error", "Escalated", ESCALATIONS)


def test_csr_angela_melody_question_answered_is_closed(recorded: Maker) -> None:
    case = recorded("Angela Melody", sub_category="Angela Melody", disposition="Question Answered")
    assert state(case) == ("Question Answered", "Closed", ESCALATIONS)


def test_csr_angela_melody_mco_updated_is_closed(recorded: Maker) -> None:
    case = recorded("Angela Melody", sub_category="Angela Melody", disposition="MCO Updated")
    assert state(case) == ("MCO Updated", "Closed", ESCALATIONS)


def test_for_cause_subject_names_the_specific_reason(recorded: Maker) -> None:
    assert recorded("For Cause Reason").subject == "For Cause Reason – New County"


# ----- QC vetting ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "sub_category", "disposition"),
    [
        ("Incorrect Selection", "NA", "Plan Selected in Error"),
        ("Angela Melody", "Angela Melody", "MCO Updated"),
    ],
)
def test_qc_true_tracker_case_is_relabelled_closed_and_unassigned(
    mco: ModuleType, recorded: Maker, template: str, sub_category: str, disposition: str
) -> None:
    case = recorded(template, sub_category=sub_category, disposition=disposition)
    mco.PROCEDURE.run(case, "vet_true", actor="qc-lead")
    assert state(case) == ("Plan Selection Corrected", "Closed", UNASSIGNED)
    assert case.classification.sub_category == "Unable to Plan Shop"
    assert case.history[-1].action == "vet_true"
    assert open_tasks(case) == []


def test_qc_false_tracker_case_needs_outreach_and_goes_back_to_the_supervisor(
    mco: ModuleType, recorded: Maker
) -> None:
    case = recorded()
    mco.PROCEDURE.run(case, "vet_false", actor="qc-lead", reason="auto-assignment")
    assert state(case) == ("Outreach Required", "Closed", UNASSIGNED)
    assert open_tasks(case) == [("outreach", "sup-lee", "Consumer outreach")]
    assert case.history[-1].reason.endswith("Outreach Required / NA: auto-assignment")


def test_qc_false_without_a_supervisor_is_refused_and_changes_nothing(
    mco: ModuleType, recorded: Maker
) -> None:
    case = recorded(supervisor=None)
    before = snapshot(case)
    with pytest.raises(ValidationError, match="no supervisor to give 'Consumer outreach' to"):
        mco.PROCEDURE.run(case, "vet_false", actor="qc-lead")
    assert snapshot(case) == before


def test_qc_vetting_applies_only_to_cases_on_the_vetting_report(
    mco: ModuleType, recorded: Maker
) -> None:
    case = recorded("Angela Melody", sub_category="Angela Melody", disposition="Question Answered")
    before = snapshot(case)
    with pytest.raises(GuardRejected, match="applies to MCO Updated, Plan Selected in Error"):
        mco.PROCEDURE.run(case, "vet_true", actor="qc-lead")
    assert snapshot(case) == before


# ----- State Monitors -------------------------------------------------------------------------
@pytest.fixture
def corrected(mco: ModuleType, recorded: Maker) -> Any:
    case = recorded()
    mco.PROCEDURE.run(case, "vet_true", actor="qc-lead")
    return case


def test_true_cases_are_handed_to_the_state_monitors(mco: ModuleType, corrected: Any) -> None:
    mco.PROCEDURE.run(corrected, "hand_to_state_monitors", actor="qc-lead")
    assert open_tasks(corrected) == [("state-monitor", "state-monitors", "Process in MMIS and CRM")]
    assert state(corrected) == ("Plan Selection Corrected", "Closed", UNASSIGNED)
    assert mco.PROCEDURE.available(corrected) == ("monitor_processed", "monitor_return")


def test_a_case_is_not_handed_to_the_state_monitors_twice(mco: ModuleType, corrected: Any) -> None:
    mco.PROCEDURE.run(corrected, "hand_to_state_monitors", actor="qc-lead")
    with pytest.raises(GuardRejected, match="already has an open 'state-monitor' task"):
        mco.PROCEDURE.run(corrected, "hand_to_state_monitors", actor="qc-lead")


def test_state_monitors_process_the_case(mco: ModuleType, corrected: Any) -> None:
    mco.PROCEDURE.run(corrected, "hand_to_state_monitors", actor="qc-lead")
    mco.PROCEDURE.run(corrected, "monitor_processed", actor="monitor-kim")
    assert open_tasks(corrected) == []
    assert corrected.tasks[-1].closed_by == "monitor-kim"
    assert state(corrected) == ("Plan Selection Corrected", "Closed", UNASSIGNED)


def test_state_monitors_return_what_they_cannot_process_to_qc(
    mco: ModuleType, corrected: Any
) -> None:
    mco.PROCEDURE.run(corrected, "hand_to_state_monitors", actor="qc-lead")
    mco.PROCEDURE.run(corrected, "monitor_return", actor="monitor-kim", reason="no span in MMIS")
    assert open_tasks(corrected) == [("qc-return", "qc-team", "Notify the supervisor for outreach")]
    assert corrected.history[-1].reason.endswith(": no span in MMIS")


def test_a_return_needs_a_reason(mco: ModuleType, corrected: Any) -> None:
    mco.PROCEDURE.run(corrected, "hand_to_state_monitors", actor="qc-lead")
    before = snapshot(corrected)
    with pytest.raises(ValidationError, match="a reason is required"):
        mco.PROCEDURE.run(corrected, "monitor_return", actor="monitor-kim")
    with pytest.raises(ValidationError, match="a reason is required"):
        corrected.perform("monitor_return", actor="monitor-kim")
    assert snapshot(corrected) == before


def test_monitors_cannot_return_a_case_never_handed_to_them(
    mco: ModuleType, corrected: Any
) -> None:
    before = snapshot(corrected)
    with pytest.raises(GuardRejected, match="no open 'state-monitor' task"):
        mco.PROCEDURE.run(corrected, "monitor_return", actor="monitor-kim", reason="x")
    assert snapshot(corrected) == before


def test_qc_refers_a_returned_case_to_supervisor_outreach(mco: ModuleType, corrected: Any) -> None:
    mco.PROCEDURE.run(corrected, "hand_to_state_monitors", actor="qc-lead")
    mco.PROCEDURE.run(corrected, "monitor_return", actor="monitor-kim", reason="no span")
    mco.PROCEDURE.run(corrected, "refer_for_outreach", actor="qc-lead")
    assert state(corrected) == ("Outreach Required", "Closed", UNASSIGNED)
    assert open_tasks(corrected) == [("outreach", "sup-lee", "Consumer outreach")]


# ----- supervisor outreach -----------------------------------------------------------------
@pytest.fixture
def outreach(mco: ModuleType, recorded: Maker) -> Any:
    case = recorded()
    mco.PROCEDURE.run(case, "vet_false", actor="qc-lead")
    return case


def test_outreach_first_attempt_is_escalated(mco: ModuleType, outreach: Any) -> None:
    mco.PROCEDURE.run(outreach, "outreach_attempt", actor="sup-lee")
    assert state(outreach) == ("Outreach 1st Attempt", "Escalated", UNASSIGNED)


def test_outreach_max_attempts_is_closed(mco: ModuleType, outreach: Any) -> None:
    mco.PROCEDURE.run(outreach, "outreach_attempt", actor="sup-lee")
    mco.PROCEDURE.run(outreach, "outreach_attempt", actor="sup-lee")
    assert state(outreach) == ("Outreach Max Attempts", "Closed", UNASSIGNED)
    assert [h.to_status for h in outreach.history[-2:]] == ["Escalated", "Closed"]


def test_no_third_outreach_attempt(mco: ModuleType, outreach: Any) -> None:
    for _ in range(2):
        mco.PROCEDURE.run(outreach, "outreach_attempt", actor="sup-lee")
    before = snapshot(outreach)
    with pytest.raises(ValidationError, match="the last of 2 attempts"):
        mco.PROCEDURE.run(outreach, "outreach_attempt", actor="sup-lee")
    with pytest.raises(GuardRejected, match="applies to Outreach 1st Attempt, Outreach Required"):
        outreach.perform("outreach_attempt", actor="sup-lee")
    assert snapshot(outreach) == before
    assert mco.PROCEDURE.available(outreach) == ()


def test_the_whole_procedure_for_a_returned_case(mco: ModuleType, corrected: Any) -> None:
    steps = [
        ("hand_to_state_monitors", None),
        ("monitor_return", "cannot process"),
        ("refer_for_outreach", None),
        ("outreach_attempt", None),
        ("outreach_attempt", None),
    ]
    for step, reason in steps:
        mco.PROCEDURE.run(corrected, step, actor="someone", reason=reason)
    assert [h.action for h in corrected.history] == ["classify", "vet_true"] + [s for s, _ in steps]
    assert state(corrected) == ("Outreach Max Attempts", "Closed", UNASSIGNED)


# ----- declaring flows --------------------------------------------------------------------------
def test_flow_steps_must_stay_inside_the_taxonomy(mco: ModuleType) -> None:
    with pytest.raises(NotInTaxonomy, match="allowed: Outreach 1st Attempt"):
        Flow(
            "f",
            mco.TAXONOMY,
            (Step("s", mco.CORRECTED, f"{mco.SHOPPING} / Unable to Plan Shop / Nope"),),
        )


def test_flow_refuses_two_steps_of_one_name(mco: ModuleType) -> None:
    with pytest.raises(ValidationError, match="two steps named 's'"):
        Flow("f", mco.TAXONOMY, (Step("s", mco.CORRECTED), Step("s", mco.OUTREACH_1ST)))


@pytest.mark.parametrize("name", ["not valid", "1st"])
def test_flow_refuses_step_names_that_are_not_identifiers(mco: ModuleType, name: str) -> None:
    with pytest.raises(ValidationError, match="is not valid"):
        Flow("f", mco.TAXONOMY, (Step(name, mco.CORRECTED),))


def test_flow_refuses_a_step_that_applies_to_nothing(mco: ModuleType) -> None:
    with pytest.raises(ValidationError, match="applies to nothing"):
        Flow("f", mco.TAXONOMY, (Step("s", ()),))


def test_unknown_step_lists_the_steps(mco: ModuleType, corrected: Any) -> None:
    with pytest.raises(NotFound, match="steps: hand_to_state_monitors, monitor_processed"):
        mco.PROCEDURE.run(corrected, "vet_maybe", actor="qc")


def test_owner_assignee_gives_the_task_to_the_case_owner(mco: ModuleType, recorded: Maker) -> None:
    flow = Flow(
        "owner tasks",
        mco.TAXONOMY,
        (Step("chase", mco.PLAN_SELECTED_IN_ERROR, task=TaskSpec("Chase", Assignee.OWNER)),),
    )
    step = flow.step("chase")
    case = recorded()
    assert step.next_classification(case.classification) is None
    assert flow.available(case) == ("chase",)
    assert flow._assignee(step, case) == "MHBE CRM Escalations"
