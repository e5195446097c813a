"""The atomicity fuzz over casekit's own public objects: validate at the door, refuse cleanly.

Every public constructor and mutating method must check all its arguments before changing
anything and refuse bad input with a ``CasekitError``. Each :class:`FuzzTarget` in
:data:`TARGETS` is one object kind: a factory of fresh objects, the methods to fuzz and one
valid call of each; the fuzzer probes one argument at a time (see ``casekit.testing.fuzz``).
The counts appear in pytest's terminal summary, under "casekit atomicity fuzz".

To add another package's objects, append one ``FuzzTarget`` per object kind to
:data:`TARGETS` (or to a list of your own concatenated to it); nothing else changes. For
example, a case type::

    FuzzTarget(
        "ProductDeliveryCase",
        lambda: ProductDeliveryCase.create(
            id="PDC-1", product="Cash Assistance", owner=Owner.user("ana"),
            supervisor=Owner.user("sup"), clock=ManualClock(T0),
        ),
        methods=["add_note", "set_priority", "assign_owner", "perform"],
        good_args={
            "add_note": Call("called the client", author="ana"),
            "set_priority": Call(Priority.HIGH, actor="ana"),
            "assign_owner": Call(Owner.user("bob"), actor="ana"),
            "perform": Call("submit", actor="ana"),
        },
        state=case_to_record,  # what storage keeps; the default walks every attribute
    )

The other packages keep their targets beside their own tests, each module with the same
parametrized test and the same summary: ``tests/cases/test_fuzz_cases.py`` (every built-in
case type, per status), ``tests/financials/test_fuzz_financials.py``,
``tests/routing/test_fuzz_routing.py`` (the router, and the durable router on memory and
SQLite, journal included in the state) and ``tests/storage/test_fuzz_ports.py`` (every
storage port on all three adapters, committing after each refusal: 0 half-written stores).
The summary ends with a total line over all of them.

Functions and constructors go in as ``Operation`` s (``constructor(Money)``,
``Operation(router.submit)``), and ``good_args`` may be a function of the fresh object when a
valid call depends on it (``lambda router: Call(router.items()[0].id)``).
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from types import ModuleType
from typing import Any

import attrs
import pytest

from casekit.cases import Owner
from casekit.cases.codec import case_to_record
from casekit.classification import (
    COLUMNS,
    Classification,
    DocTemplate,
    Documentation,
    Field,
    MemoryVault,
    Report,
    Rule,
    SavedReport,
    Sensitive,
    Step,
    TaskSpec,
    Taxonomy,
    check_documentation,
    classify,
    classify_action,
    document,
    mask,
)
from casekit.clock import ManualClock
from casekit.priority import Priority
from casekit.testing import Call, FuzzReport, FuzzTarget
from casekit.testing.fuzz import Operation, constructor
from casekit.worklists import (
    DEFAULT_POLICIES,
    BusinessCalendar,
    Caseload,
    Category,
    Changes,
    ContactPlan,
    ContactRecord,
    DayProgress,
    DueWindow,
    Escalation,
    EscalationBus,
    Goals,
    OutreachLog,
    OverdueItem,
    PolicySet,
    Signal,
    SlaEvent,
    SlaPolicy,
    Tally,
    Trigger,
    WeekProgress,
    WorkItem,
    Worklists,
    WorklistView,
    day_progress,
    plan_daily_contacts,
    week_progress,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
CALENDAR = BusinessCalendar("America/New_York", holidays=[date(2026, 5, 25)])
POLICY = DEFAULT_POLICIES["new-client-outreach"]
EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "mco_tracker.py"
PERSON = {"Participant Name(s)": "Jo Doe", "MA": "MA-55501234", "SSN": "123-45-6789"}
INCORRECT = {**PERSON, "Correct MCO Choice": "Priority Partners"}
PLAN_SELECTED = "Medicaid / MCO Plan Shopping / NA / Plan Selected in Error"


def mco() -> ModuleType:
    """The seed's procedure as configured in examples/mco_tracker.py (loaded once)."""
    module = sys.modules.get("mco_tracker")
    if module is None:
        spec = importlib.util.spec_from_file_location("mco_tracker", EXAMPLE)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["mco_tracker"] = module
        spec.loader.exec_module(module)
    return module


# ----- worklists ---------------------------------------------------------------------------


def caseload() -> Caseload:
    load = Caseload(calendar=CALENDAR, clock=ManualClock(T0))
    load.assign("c1", "w1")
    load.record(SlaEvent(Signal.ENTERED_CASELOAD, "c1", T0))
    return load


def item(client: str = "c2") -> WorkItem:
    return WorkItem(client, client, POLICY, "w1", T0, T0 + timedelta(days=7), Priority.NORMAL)


def worklists() -> Worklists:
    return Worklists.build([item("c1")])


def outreach_log() -> OutreachLog:
    log = OutreachLog()
    log.record(ContactRecord("c1", "w1", T0, "successful contact"))
    return log


@attrs.define
class Nothing:
    """The subject of stateless operations (constructors, functions of their arguments)."""


WORKLISTS: list[FuzzTarget[Any]] = [
    FuzzTarget(
        "Caseload",
        caseload,
        methods=[
            "assign",
            "check_breaches",
            "log_outreach",
            "next_outreach",
            "record",
            "subscribe",
            "worker_of",
            "worklist",
        ],
        good_args={
            "assign": Call("c2", "w2"),
            "log_outreach": Call("c1", "successful contact", at=T0, worker_id="w1", case_id="k1"),
            "next_outreach": Call("c1"),
            "record": Call(SlaEvent(Signal.HIGH_RISK_EVENT, "c1", T0, case_id="k1")),
            "subscribe": Call(lambda escalation: None),
            "worker_of": Call("c1"),
            "worklist": Call("w1"),
        },
    ),
    FuzzTarget(
        "WorklistView",
        lambda: caseload().worklist("w1"),
        methods=["upcoming", "ordered", "oldest_first", "overdue", "due_today"],
        good_args={"upcoming": Call(7)},
    ),
    FuzzTarget(
        "WorkItem",
        lambda: item("c1"),
        methods=["changed", "overdue_by", "age"],
        good_args={
            "changed": Call(worker_id="w2", due=T0, priority=Priority.HIGH, breached_at=T0),
            "overdue_by": Call(T0),
            "age": Call(T0),
        },
    ),
    FuzzTarget(
        "SlaPolicy",
        lambda: POLICY,
        methods=["due", "starts"],
        good_args={
            "due": Call(SlaEvent(Signal.ENTERED_CASELOAD, "c1", T0), CALENDAR),
            "starts": Call(Signal.ENTERED_CASELOAD.value, prior_outreach=False),
        },
    ),
    FuzzTarget(
        "Worklists",
        worklists,
        methods=[
            "add",
            "breached",
            "due_between",
            "for_client",
            "get",
            "open_for",
            "overdue",
            "remove",
            "replace",
        ],
        good_args={
            "add": Call(item("c2")),
            "breached": Call(T0),
            "due_between": Call("w1", T0, T0 + timedelta(days=30)),
            "for_client": Call("c1"),
            "get": Call(("c1", POLICY.name)),
            "open_for": Call("c1"),
            "overdue": Call("w1", T0 + timedelta(days=30)),
            "remove": Call(("c1", POLICY.name)),
            "replace": Call(attrs.evolve(item("c1"), worker_id="w2")),
        },
    ),
    FuzzTarget(
        "OutreachLog",
        outreach_log,
        methods=["record", "count", "for_client", "has_outreach", "last_contact"],
        good_args={
            "record": Call(ContactRecord("c2", "w1", T0, "left message")),
            "count": Call("w1", T0, T0 + timedelta(days=1)),
            "for_client": Call("c1"),
            "has_outreach": Call("c1"),
            "last_contact": Call("c1"),
        },
    ),
    FuzzTarget(
        "EscalationBus",
        EscalationBus,
        methods=["subscribe", "publish"],
        good_args={
            "subscribe": Call(lambda escalation: None),
            "publish": Call(
                Escalation("k1", "c1", "w1", "p", "High", T0, T0, Priority.URGENT, Priority.HIGH)
            ),
        },
    ),
    FuzzTarget(
        "BusinessCalendar",
        lambda: CALENDAR,
        methods=[
            "add_business_days",
            "add_business_hours",
            "business_hours_between",
            "count_business_days",
            "end_of_business_day",
            "is_business_day",
            "local_date",
            "working_hours",
        ],
        good_args={
            "add_business_days": Call(date(2026, 3, 2), 5),
            "add_business_hours": Call(T0, timedelta(hours=10)),
            "business_hours_between": Call(T0, T0 + timedelta(days=3)),
            "count_business_days": Call(date(2026, 3, 2), date(2026, 3, 20)),
            "end_of_business_day": Call(date(2026, 3, 2)),
            "is_business_day": Call(date(2026, 3, 2)),
            "local_date": Call(T0),
            "working_hours": Call(date(2026, 3, 2)),
        },
    ),
    FuzzTarget(
        "PolicySet",
        lambda: DEFAULT_POLICIES,
        methods=["with_policies", "without", "started_by"],
        good_args={
            "with_policies": Call(attrs.evolve(POLICY, name="copy")),
            "without": Call(POLICY.name),
            "started_by": Call(Signal.ENTERED_CASELOAD.value),
        },
    ),
    FuzzTarget(
        "worklists constructors and functions",
        Nothing,
        methods={
            "BusinessCalendar": constructor(BusinessCalendar),
            "BusinessCalendar.from_holidays_package": Operation(
                BusinessCalendar.from_holidays_package
            ),
            "Changes": constructor(Changes),
            "ContactPlan": constructor(ContactPlan),
            "DayProgress": constructor(DayProgress),
            "Escalation": constructor(Escalation),
            "OverdueItem": constructor(OverdueItem),
            "Tally": constructor(Tally),
            "WeekProgress": constructor(WeekProgress),
            "WorklistView": constructor(WorklistView),
            "Caseload": constructor(Caseload),
            "SlaEvent.for_case": Operation(SlaEvent.for_case),
            "Category.breached_priority": Operation(POLICY.category.breached_priority),
            "Trigger.applies": Operation(Trigger("start").applies),
            "Category": constructor(Category),
            "ContactRecord": constructor(ContactRecord),
            "DueWindow": constructor(DueWindow),
            "Goals": constructor(Goals),
            "PolicySet": constructor(PolicySet),
            "SlaEvent": constructor(SlaEvent),
            "SlaPolicy": constructor(SlaPolicy),
            "Trigger": constructor(Trigger),
            "WorkItem": constructor(WorkItem),
            "DueWindow.due": Operation(DueWindow.days(7).due),
            "day_progress": Operation(day_progress),
            "plan_daily_contacts": Operation(plan_daily_contacts),
            "week_progress": Operation(week_progress),
        },
        good_args={
            "BusinessCalendar": Call("Europe/Rome", holidays=[date(2026, 1, 1)], name="Rome"),
            "BusinessCalendar.from_holidays_package": Call(
                "US", tz="America/New_York", years=range(2026, 2028), subdiv="CA"
            ),
            "Changes": Call(started=(item("c1"),)),
            "ContactPlan": Call(350, date(2026, 3, 2), date(2026, 5, 1), 44, Fraction(350, 44), 8),
            "DayProgress": Call("w1", date(2026, 3, 2), Tally(3, 4), Goals()),
            "Escalation": Call(
                "k1", "c1", "w1", POLICY.name, "High #2", T0, T0, Priority.URGENT, Priority.HIGH
            ),
            "OverdueItem": Call(item("c1"), timedelta(hours=2)),
            "Tally": Call(3, 4),
            "WeekProgress": Call("w1", date(2026, 3, 2), Tally(3, 4), Goals(), 5, 1),
            "WorklistView": Call(worklists(), "w1", CALENDAR, T0),
            "Caseload": Call(calendar=CALENDAR, clock=ManualClock(T0), policies=DEFAULT_POLICIES),
            "SlaEvent.for_case": lambda _: Call(
                "entered_caseload", classified().case, client_id="c1", at=T0, flags=["x"]
            ),
            "Category.breached_priority": Call(Priority.LOW),
            "Trigger.applies": Call(prior_outreach=True),
            "Category": Call("High #1", 1, Priority.HIGH, description="urgent"),
            "ContactRecord": Call("c1", "w1", T0, "left message", case_id="k1", note="n"),
            "DueWindow": Call(3, "calendar days"),
            "Goals": Call(8, 40, 20, 100),
            "PolicySet": Call([POLICY, DEFAULT_POLICIES["maintenance"]]),
            "SlaEvent": Call("entered_caseload", "c1", T0, case_id="k1", reference=T0),
            "SlaPolicy": Call(
                "p", POLICY.category, DueWindow.days(3), ("start",), satisfied_by=("done",)
            ),
            "Trigger": Call("start", "always"),
            "WorkItem": Call("c1", "c1", POLICY, "w1", T0, T0, Priority.HIGH),
            "DueWindow.due": Call(T0, CALENDAR),
            "day_progress": Call(OutreachLog(), "w1", date(2026, 3, 2), CALENDAR),
            "plan_daily_contacts": Call(350, CALENDAR, date(2026, 3, 2)),
            "week_progress": Call(OutreachLog(), "w1", date(2026, 3, 2), CALENDAR),
        },
    ),
]

# ----- classification ----------------------------------------------------------------------


@attrs.define
class Documenting:
    """A case being documented, with the vault its sensitive values go to."""

    case: Any
    vault: MemoryVault


def stored_too(scene: Documenting) -> object:
    """The whole scene, and the case as storage keeps it (which must stay encodable)."""
    return (scene, case_to_record(scene.case))


def documenting() -> Documenting:
    example = mco()
    case = example.TrackerCase.create(
        id="MCO-1", owner=Owner.user("csr-ana"), clock=ManualClock(T0)
    )
    return Documenting(case, MemoryVault())


def documented() -> Documenting:
    scene = documenting()
    document(
        scene.case,
        mco().TAXONOMY,
        "Incorrect Selection",
        INCORRECT,
        actor="csr-ana",
        vault=scene.vault,
    )
    return scene


def classified() -> Documenting:
    scene = documented()
    classify(
        scene.case,
        record_type="Medicaid",
        category="MCO Plan Shopping",
        disposition="Plan Selected in Error",
        actor="csr-ana",
    )
    return scene


def report() -> Report:
    return SavedReport("all").run([classified().case])


CLASSIFICATION: list[FuzzTarget[Any]] = [
    FuzzTarget(
        "document (a case and its vault)",
        documenting,
        state=stored_too,
        methods={
            "document": Operation(
                document,
                prefix=lambda s: (s.case, mco().TAXONOMY),
                fixed=lambda s: {"vault": s.vault},
            ),
            "DocTemplate.fill": Operation(
                mco().TAXONOMY.template("Incorrect Selection").fill,
                fixed=lambda s: {"vault": s.vault},
            ),
        },
        good_args={
            "document": Call("Incorrect Selection", INCORRECT, actor="csr-ana"),
            "DocTemplate.fill": Call(INCORRECT, what="documentation of MCO-1"),
        },
    ),
    FuzzTarget(
        "classify (a documented case)",
        documented,
        state=stored_too,
        methods={
            "classify": Operation(classify, prefix=lambda s: (s.case,)),
        },
        good_args={
            "classify": Call(
                record_type="Medicaid",
                category="MCO Plan Shopping",
                disposition="Plan Selected in Error",
                actor="csr-ana",
                reason="called in",
            ),
        },
    ),
    FuzzTarget(
        "Flow.run (a classified case)",
        classified,
        state=stored_too,
        methods={"Flow.run": Operation(mco().PROCEDURE.run, prefix=lambda s: (s.case,))},
        good_args={"Flow.run": Call("vet_true", actor="qc-1", reason="checked")},
    ),
    FuzzTarget(
        "Flow",
        lambda: mco().PROCEDURE,
        methods=["step", "available", "actions"],
        good_args={
            "step": Call("vet_true"),
            "available": lambda _: Call(classified().case),
            "actions": Call(source=tuple(mco().TrackerStatus)),
        },
    ),
    FuzzTarget(
        "Documentation and Sensitive",
        documented,
        methods={
            "Documentation.get": Operation(
                lambda s, name: s.case.documentation.get(name), prefix=lambda s: (s,)
            ),
            "Sensitive.reveal": Operation(
                lambda s, vault: s.case.documentation.get("SSN").reveal(vault),
                prefix=lambda s: (s,),
            ),
            "mask": Operation(mask),
            "check_documentation": Operation(
                check_documentation,
                prefix=lambda s: (s.case, mco().TAXONOMY.rule(PLAN_SELECTED)),
            ),
            "classify_action": Operation(classify_action, prefix=lambda s: (mco().TAXONOMY,)),
        },
        good_args={
            "Documentation.get": Call("SSN"),
            "Sensitive.reveal": lambda s: Call(s.vault),
            "mask": Call("123-45-6789"),
            "check_documentation": Call(None),
            "classify_action": Call(source=tuple(mco().TrackerStatus), name="reclassify"),
        },
    ),
    FuzzTarget(
        "Taxonomy",
        lambda: mco().TAXONOMY,
        methods=["allowed", "check", "rule", "rules_where", "template"],
        good_args={
            "allowed": Call("Medicaid"),
            "check": Call(
                record_type="Medicaid",
                category="MCO Plan Shopping",
                disposition="Plan Selected in Error",
            ),
            "rule": Call("Medicaid / MCO Plan Shopping / NA / Plan Selected in Error"),
            "rules_where": Call(disposition="MCO Updated"),
            "template": Call("MCT Span"),
        },
    ),
    FuzzTarget(
        "Report",
        report,
        methods=["to_csv", "to_records", "to_dataframe"],
        good_args={"to_csv": Call()},
    ),
    FuzzTarget(
        "SavedReport",
        lambda: mco().TO_VET,
        methods=["run", "matches"],
        good_args={
            "run": lambda _: Call([classified().case]),
            "matches": lambda _: Call(classified().case),
        },
    ),
    FuzzTarget(
        "MemoryVault",
        MemoryVault,
        methods=["put", "get"],
        good_args={
            "put": Call("SSN", "123-45-6789"),
            "get": lambda vault: Call(vault.put("SSN", "123-45-6789")),
        },
    ),
    FuzzTarget(
        "classification constructors",
        Nothing,
        methods={
            "Classification": constructor(Classification),
            "Documentation": constructor(Documentation),
            "Report": constructor(Report),
            "Sensitive": constructor(Sensitive),
            "Classification.parse": Operation(Classification.parse),
            "DocTemplate": constructor(DocTemplate),
            "Field": constructor(Field),
            "Rule": constructor(Rule),
            "SavedReport": constructor(SavedReport),
            "Sensitive.seal": Operation(Sensitive.seal, fixed=lambda _: {"vault": MemoryVault()}),
            "Step": constructor(Step),
            "TaskSpec": constructor(TaskSpec),
            "Taxonomy": constructor(Taxonomy),
        },
        good_args={
            "Classification": Call("Medicaid", "MCO Plan Shopping", "NA", "MCO Updated"),
            "Documentation": Call("T", "Subject", (("Name", "Jo"), ("Other", "x"))),
            "Report": Call("r", (("a",) * len(COLUMNS),)),
            "Sensitive": Call("SSN", "ssn:0123", "6789"),
            "Classification.parse": Call("Medicaid / MCO Plan Shopping"),
            "DocTemplate": Call(
                "T", (Field("Name"), Field("SSN", sensitive=True)), subject="{Name}"
            ),
            "Field": Call("SSN", sensitive=True, alternatives=("Social",), required=True),
            "Rule": lambda _: Call("Medicaid / Shopping / NA / Done", mco().TrackerStatus.CLOSED),
            "SavedReport": Call(
                "r", folder="f", dispositions=("MCO Updated",), created_from=T0, created_before=T0
            ),
            "Sensitive.seal": Call("123-45-6789", kind="SSN"),
            "Step": Call(
                "go", ("Medicaid / Shopping",), ("Medicaid / Done",), reason_required=True
            ),
            "TaskSpec": Call("Call the client", "team-1", kind="outreach"),
            "Taxonomy": lambda _: Call("T", [Rule("Medicaid / Shopping", mco().TrackerStatus.NEW)]),
        },
    ),
]

TARGETS: list[FuzzTarget[Any]] = [*WORKLISTS, *CLASSIFICATION]
"""Everything fuzzed; one entry per object kind. Add other packages' objects here."""


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_public_api_validates_at_the_door(
    target: FuzzTarget[Any], fuzz_reports: list[FuzzReport]
) -> None:
    """Rule: every call succeeds or raises a CasekitError with the state unchanged."""
    report = target.run(seed=0, max_calls=200)
    fuzz_reports.append(report)
    assert report.tried > 0, report
    report.assert_clean(allow_suspect=False)
