"""Disposition rules: the status and owner queue follow the classification, atomically."""

from __future__ import annotations

import enum
from collections.abc import Callable
from types import ModuleType
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from casekit import ManualClock
from casekit.cases import Owner, case_type
from casekit.classification import (
    ClassifiedCase,
    DocTemplate,
    Field,
    Flow,
    MemoryVault,
    Rule,
    Step,
    Taxonomy,
    classify,
    classify_action,
    document,
)
from casekit.errors import (
    GuardRejected,
    InvalidTransition,
    MissingFields,
    NotInTaxonomy,
    ValidationError,
)
from casekit.lifecycle import ActionContext, Guard, Lifecycle

Maker = Callable[..., Any]
ESCALATIONS = Owner.work_queue("MHBE CRM Escalations")
UNASSIGNED = Owner.work_queue("MHBE CRM Unassigned")

DOC_TEMPLATES = ("Angela Melody", "MCT Span", "For Cause Reason", "Incorrect Selection")
# The seed's seven taxonomy blocks: path → (status, owner queue).
SEED_RULES = {
    "NA / Plan Selected in Error": ("Escalated", ESCALATIONS),
    "Angela Melody / Question Answered": ("Closed", ESCALATIONS),
    "Angela Melody / MCO Updated": ("Closed", ESCALATIONS),
    "Unable to Plan Shop / Plan Selection Corrected": ("Closed", UNASSIGNED),
    "Unable to Plan Shop / Outreach Required": ("Closed", UNASSIGNED),
    "Unable to Plan Shop / Outreach 1st Attempt": ("Escalated", UNASSIGNED),
    "Unable to Plan Shop / Outreach Max Attempts": ("Closed", UNASSIGNED),
}


def snapshot(case: Any) -> tuple[object, ...]:
    return (
        case.status,
        case.roles,
        case.classification,
        case.documentation,
        case.history,
        case.tasks,
        case.notes,
        case.updated_at,
        case.pending_events,
    )


@pytest.mark.parametrize(("tail", "expected"), SEED_RULES.items())
def test_disposition_generates_the_status_and_owner_queue_of_the_seed(
    mco: ModuleType, recorded: Maker, tail: str, expected: tuple[str, Owner]
) -> None:
    sub_category, disposition = tail.split(" / ")
    if sub_category == "Angela Melody":
        case = recorded("Angela Melody", sub_category=sub_category, disposition="Question Answered")
    else:
        case = recorded("Incorrect Selection")
    classify(
        case,
        record_type="Medicaid",
        category="MCO Plan Shopping",
        sub_category=sub_category,
        disposition=disposition,
        actor="qc-lead",
    )
    assert (case.status.value, case.roles.owner) == expected
    assert case.classification.disposition == disposition


def test_status_and_owner_cannot_be_given_they_follow_from_the_disposition(
    recorded: Maker,
) -> None:
    case = recorded()
    before = snapshot(case)
    with pytest.raises(ValidationError, match="takes no owner, status"):
        case.perform(
            "classify",
            actor="csr-ana",
            record_type="Medicaid",
            category="MCO Plan Shopping",
            disposition="Plan Selected in Error",
            status="Closed",
            owner=UNASSIGNED,
        )
    with pytest.raises(ValidationError, match="must be a Classification or a path"):
        case.perform("classify", actor="csr-ana", classification=42)
    assert snapshot(case) == before


def test_reclassifying_rederives_status_and_owner_and_is_recorded_in_the_history(
    mco: ModuleType, recorded: Maker, clock: ManualClock
) -> None:
    case = recorded()
    assert case.status is mco.TrackerStatus.ESCALATED
    assert case.roles.owner == ESCALATIONS
    classify(
        case,
        record_type="Medicaid",
        category="MCO Plan Shopping",
        sub_category="Unable to Plan Shop",
        disposition="Plan Selection Corrected",
        actor="qc-lead",
        reason="vetted",
    )
    assert case.status is mco.TrackerStatus.CLOSED
    assert case.roles.owner == UNASSIGNED
    last = case.history[-1]
    assert (last.from_status, last.to_status, last.action, last.actor) == (
        "Escalated",
        "Closed",
        "classify",
        "qc-lead",
    )
    assert last.reason == (
        "Medicaid / MCO Plan Shopping / Unable to Plan Shop / Plan Selection Corrected / NA: vetted"
    )
    assert last.at == clock.now()


def test_classify_by_perform_accepts_a_path(mco: ModuleType, recorded: Maker) -> None:
    case = recorded()
    case.perform("classify", actor="qc", classification=mco.OUTREACH_1ST)
    assert case.status.value == "Escalated"
    assert case.roles.owner == UNASSIGNED


def test_out_of_tree_classification_changes_nothing(recorded: Maker) -> None:
    case = recorded()
    before = snapshot(case)
    with pytest.raises(NotInTaxonomy, match="allowed: MCO Updated, Question Answered"):
        classify(
            case,
            record_type="Medicaid",
            category="MCO Plan Shopping",
            sub_category="Angela Melody",
            disposition="Plan Selected in Error",
            actor="csr-ana",
        )
    assert snapshot(case) == before


def test_classify_needs_record_type_category_and_disposition(recorded: Maker) -> None:
    case = recorded()
    with pytest.raises(ValidationError, match="needs disposition="):
        case.perform("classify", actor="csr", record_type="Medicaid", category="MCO Plan Shopping")


def test_disposition_that_needs_documentation_is_refused_without_it(
    mco: ModuleType, clock: ManualClock
) -> None:
    case = mco.TrackerCase.create(owner=Owner.user("csr-ana"), clock=clock)
    before = snapshot(case)
    with pytest.raises(MissingFields, match="needs documentation from one of For Cause Reason"):
        classify(
            case,
            record_type="Medicaid",
            category="MCO Plan Shopping",
            disposition="Plan Selected in Error",
            actor="csr-ana",
        )
    assert snapshot(case) == before


def test_disposition_refuses_documentation_from_another_template(
    mco: ModuleType, clock: ManualClock, vault: MemoryVault, docs: dict[str, dict[str, str]]
) -> None:
    case = mco.TrackerCase.create(owner=Owner.user("csr-ana"), clock=clock)
    document(case, mco.TAXONOMY, "MCT Span", docs["MCT Span"], actor="csr-ana", vault=vault)
    with pytest.raises(MissingFields, match="from template 'MCT Span'"):
        classify(
            case,
            record_type="Medicaid",
            category="MCO Plan Shopping",
            sub_category="Angela Melody",
            disposition="MCO Updated",
            actor="csr-ana",
        )
    assert case.status is mco.TrackerStatus.NEW
    assert case.classification is None


def test_documentation_can_be_given_with_the_classification(
    mco: ModuleType, clock: ManualClock, vault: MemoryVault, docs: dict[str, dict[str, str]]
) -> None:
    case = mco.TrackerCase.create(owner=Owner.user("csr-ana"), clock=clock)
    doc = mco.TAXONOMY.template("Angela Melody").fill(docs["Angela Melody"], vault=vault)
    classify(
        case,
        record_type="Medicaid",
        category="MCO Plan Shopping",
        sub_category="Angela Melody",
        disposition="MCO Updated",
        actor="csr-ana",
        documentation=doc,
    )
    assert case.documentation is doc
    assert case.subject == "Angela Melody"


def test_document_records_a_masked_note(mco: ModuleType, recorded: Maker) -> None:
    case = recorded("MCT Span")
    assert case.notes[-1].text == (
        "MCT Span — Participant Name(s): Jo Doe / MA: •••••1234 / SSN: •••••6789 / "
        "Requested MCO: Jai Medical"
    )


def test_document_refuses_missing_fields_and_changes_nothing(
    mco: ModuleType, recorded: Maker, docs: dict[str, dict[str, str]]
) -> None:
    case = recorded()
    before = snapshot(case)
    with pytest.raises(MissingFields, match="missing SSN, Correct MCO Choice"):
        document(
            case,
            mco.TAXONOMY,
            "Incorrect Selection",
            {"Participant Name(s)": "Jo", "MA": "MA-1"},
            actor="csr",
        )
    with pytest.raises(ValidationError, match=r"actor documenting .* must be a non-blank string"):
        document(case, mco.TAXONOMY, "MCT Span", docs["MCT Span"], actor=" ")
    assert snapshot(case) == before


def test_classify_is_an_action_of_the_lifecycle(mco: ModuleType, recorded: Maker) -> None:
    case = recorded()
    assert "classify" in case.available_actions()
    assert "classify" in mco.TrackerCase.to_mermaid()


# ----- atomicity when a later effect fails ----------------------------------------------------
class Mini(enum.Enum):
    NEW = "New"
    OPEN = "Open"
    BROKEN = "Broken"


def _explode(case: object, ctx: ActionContext) -> None:
    raise ValidationError("on_enter Broken failed")


MINI_TAXONOMY = Taxonomy(
    "mini",
    (
        Rule("R / C / NA / Fine", Mini.OPEN, Owner.work_queue("fine")),
        Rule("R / C / NA / Bad", Mini.BROKEN, Owner.work_queue("bad")),
    ),
    templates=(DocTemplate("T", (Field("x"),)),),
)
MINI: Lifecycle[Any] = Lifecycle(
    name="Mini Classified Case (tests)",
    statuses=Mini,
    initial=Mini.NEW,
    actions=(classify_action(MINI_TAXONOMY, source=tuple(Mini)),),
    on_enter={Mini.BROKEN: (_explode,)},
)


@case_type(MINI, prefix="MINI")
@attrs.define(eq=False, slots=True, kw_only=True, repr=False)
class MiniCase(ClassifiedCase[Mini]):
    pass


def test_a_failing_effect_puts_classification_owner_and_history_back(clock: ManualClock) -> None:
    case = MiniCase.create(owner=Owner.user("u"), clock=clock)
    case.perform("classify", actor="u", classification="R / C / NA / Fine")
    before = snapshot(case)
    with pytest.raises(ValidationError, match="on_enter Broken failed"):
        case.perform("classify", actor="u", classification="R / C / NA / Bad")
    assert snapshot(case) == before
    assert case.classification.disposition == "Fine"


def test_classify_action_refuses_a_case_that_is_not_classified() -> None:
    resolve = classify_action(MINI_TAXONOMY, source=(Mini.NEW,)).resolve
    assert resolve is not None
    with pytest.raises(ValidationError, match="is not a ClassifiedCase"):
        resolve(object(), ActionContext("u", ManualClock().now()))


def test_classify_is_refused_from_a_status_outside_its_source(clock: ManualClock) -> None:
    class Two(enum.Enum):
        A = "A"
        B = "B"

    taxonomy = Taxonomy("two", (Rule("R / C / NA / D", Two.B),))
    lifecycle: Lifecycle[Any] = Lifecycle(
        name="Two Classified Case (tests)",
        statuses=Two,
        initial=Two.A,
        actions=(classify_action(taxonomy, source=(Two.A,)),),
    )

    @case_type(lifecycle, prefix="TWO")
    @attrs.define(eq=False, slots=True, kw_only=True, repr=False)
    class TwoCase(ClassifiedCase[Two]):
        pass

    case = TwoCase.create(owner=Owner.user("u"), clock=clock)
    case.perform("classify", actor="u", classification="R / C / NA / D")
    with pytest.raises(InvalidTransition, match="allowed: none"):
        case.perform("classify", actor="u", classification="R / C / NA / D")


@given(
    st.sampled_from(sorted(DOC_TEMPLATES)),
    st.lists(st.sampled_from(sorted(SEED_RULES)), min_size=1, max_size=8),
)
def test_any_sequence_of_classifications_follows_the_rules_or_changes_nothing(
    mco: ModuleType, docs: dict[str, dict[str, str]], template: str, tails: list[str]
) -> None:
    case = mco.TrackerCase.create(owner=Owner.user("csr"), clock=ManualClock())
    case.documentation = mco.TAXONOMY.template(template).fill(docs[template], vault=MemoryVault())
    expected = (case.status.value, case.roles.owner, 0)
    for tail in tails:
        path = f"{mco.SHOPPING} / {tail}"
        needs = mco.TAXONOMY.rule(path).templates
        if needs and template not in needs:
            with pytest.raises(MissingFields):
                case.perform("classify", actor="qc", classification=path)
        else:
            case.perform("classify", actor="qc", classification=path)
            expected = (*SEED_RULES[tail], expected[2] + 1)
        assert (case.status.value, case.roles.owner, len(case.history)) == expected


def test_a_rule_guard_refuses_escalating_a_case_whose_issues_were_resolved(
    mco: ModuleType, clock: ManualClock, vault: MemoryVault, docs: dict[str, dict[str, str]]
) -> None:
    case = mco.TrackerCase.create(owner=Owner.user("csr-ana"), clock=clock, issues_resolved=True)
    document(case, mco.TAXONOMY, "MCT Span", docs["MCT Span"], actor="csr-ana", vault=vault)
    before = snapshot(case)
    with pytest.raises(GuardRejected, match="the consumer's issues were resolved"):
        classify(
            case,
            record_type="Medicaid",
            category="MCO Plan Shopping",
            disposition="Plan Selected in Error",
            actor="csr-ana",
        )
    assert snapshot(case) == before


def test_a_rule_guard_also_holds_for_flow_steps(mco: ModuleType, clock: ManualClock) -> None:
    def never(case: object, ctx: ActionContext) -> bool:
        return False

    taxonomy = Taxonomy(
        "guarded",
        (
            Rule("R / C / NA / Start", mco.TrackerStatus.ESCALATED),
            Rule("R / C / NA / Done", mco.TrackerStatus.CLOSED, guards=(Guard(never, "not yet"),)),
        ),
    )
    flow = Flow("f", taxonomy, (Step("finish", "R / C / NA / Start", "R / C / NA / Done"),))
    case = mco.TrackerCase.create(owner=Owner.user("u"), clock=clock)
    case.classification = taxonomy.rule("R / C / NA / Start").classification
    admit_ = flow.actions(source=tuple(mco.TrackerStatus))[0].resolve
    assert admit_ is not None
    with pytest.raises(GuardRejected, match=r"cannot 'finish' .*: R / C / NA / Done / NA: not yet"):
        admit_(case, ActionContext("u", clock.now()))
