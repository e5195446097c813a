"""Absences in routing (issue 20, part 3): absent agents get no offers; their work follows the rule.

`Application.apply_absences` sets absent agents Offline (giving their presence back when the
absence ends) and moves what they hold as `place_work` says, audited in each case's trail.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from casekit.app import Application
from casekit.app.absences import ABSENCES
from casekit.cases import Owner
from casekit.clock import ManualClock
from casekit.errors import CasekitError, DelegationCycle
from casekit.routing import Agent, ItemState, Presence
from casekit.storage import Storage
from casekit.testing.app import check_application
from casekit.worklists import (
    Absence,
    AbsenceBook,
    AbsenceKind,
    AbsenceRule,
    Delegate,
    Disposition,
)

from ._access import INTAKE, SAM, secured
from ._access import open_pdc as access_open_pdc
from .conftest import OpenPdc


def staff(app: Application, *people: str) -> None:
    for person in people:
        app.add_agent(
            "benefits", Agent(person, {"intake": 1}, capacity=50), Presence.AVAILABLE, actor="hr"
        )


def held_by_ann(app: Application, open_pdc: OpenPdc, count: int) -> list[str]:
    """``count`` PDCs offered to worker-1 (the only agent) and accepted."""
    ids = [open_pdc(app, f"PDC-{n}") for n in range(count)]
    for case_id in ids:
        app.accept(case_id, "worker-1")
    return ids


def state(app: Application, case_id: str) -> tuple[ItemState, str | None]:
    status = app.routing_status(case_id)
    assert status is not None
    return status.state, status.agent_id


def test_an_absent_agent_goes_offline_and_their_work_follows_the_delegation(
    app: Application, storage: Storage, clock: ManualClock, open_pdc: OpenPdc
) -> None:
    staff(app, "worker-1")
    ids = held_by_ann(app, open_pdc, 2)
    staff(app, "worker-2")
    now = clock.now()
    book = AbsenceBook(
        absences=[Absence("worker-1", now, now + timedelta(days=5), AbsenceKind.SICK)],
        delegations={"worker-1": Delegate.agent("worker-2")},
    )
    report = app.apply_absences("benefits", book, actor="supervisor")
    assert report.set_offline == ("worker-1",)
    assert sorted(report.moved) == [(i, "worker-1", "worker-2") for i in ids]
    for case_id in ids:
        assert state(app, case_id) == (ItemState.PINNED, "worker-2")
        with storage.unit_of_work() as uow:
            entry = uow.audit.entries(case_id)[-1]
        assert (entry.actor, entry.action) == ("supervisor", "absence_moved_work")
        assert (entry.detail["from"], entry.detail["to"]) == ("worker-1", "worker-2")
    assert app.routing_status(ids[0]) is not None
    new = open_pdc(app, "PDC-new")  # offered to worker-2: worker-1 is away
    assert state(app, new) == (ItemState.OFFERED, "worker-2")
    again = app.apply_absences("benefits", book, actor="supervisor")  # nothing left to do
    assert (again.set_offline, again.moved, again.back) == ((), (), ())
    app.set_presence("benefits", "worker-1", Presence.AVAILABLE, actor="worker-1")  # by hand
    assert app.apply_absences("benefits", book, actor="supervisor").set_offline == ("worker-1",)
    clock.advance(timedelta(days=6))
    back = app.apply_absences("benefits", book, actor="supervisor")
    assert back.back == ("worker-1",)
    with app.storage.unit_of_work() as uow:
        assert uow.documents.get(ABSENCES, "benefits/worker-1") is None
    check_application(app)


def test_return_to_queue_and_keep_rules(
    app: Application, clock: ManualClock, open_pdc: OpenPdc
) -> None:
    staff(app, "worker-1")
    (case_id,) = held_by_ann(app, open_pdc, 1)
    now = clock.now()
    book = AbsenceBook(absences=[Absence("worker-1", now, now + timedelta(days=1))])
    kept = app.apply_absences(
        "benefits", book, actor="sue", rule=AbsenceRule(tasks=Disposition.KEEP)
    )
    assert (kept.kept, kept.moved) == ((case_id,), ())
    assert state(app, case_id) == (ItemState.ACCEPTED, "worker-1")
    queued = app.apply_absences(
        "benefits", book, actor="sue", rule=AbsenceRule(tasks=Disposition.RETURN_TO_QUEUE)
    )
    assert queued.moved == ((case_id, "worker-1", "queue"),)
    assert state(app, case_id) == (ItemState.QUEUED, None)  # nobody else is available
    check_application(app)


def test_a_delegate_who_is_not_an_agent_of_the_domain_sends_the_work_to_the_queue(
    app: Application, clock: ManualClock, open_pdc: OpenPdc
) -> None:
    staff(app, "worker-1")
    (case_id,) = held_by_ann(app, open_pdc, 1)
    now = clock.now()
    book = AbsenceBook(
        absences=[Absence("worker-1", now, now + timedelta(days=1))],
        delegations={"worker-1": Delegate.agent("someone-elsewhere")},
    )
    report = app.apply_absences("benefits", book, actor="sue")
    assert report.moved == ((case_id, "worker-1", "queue"),)


def test_a_delegation_loop_is_refused_when_declared() -> None:
    with pytest.raises(DelegationCycle):
        AbsenceBook(
            delegations={"a": Delegate.agent("b"), "b": Delegate.agent("a")},
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"domain": "nowhere"},
        {"book": None},
        {"rule": "keep"},
        {"actor": ""},
    ],
)
def test_bad_arguments_change_nothing(
    app: Application, clock: ManualClock, open_pdc: OpenPdc, bad: dict[str, object]
) -> None:
    staff(app, "worker-1")
    (case_id,) = held_by_ann(app, open_pdc, 1)
    now = clock.now()
    arguments: dict[str, object] = {
        "domain": "benefits",
        "book": AbsenceBook(absences=[Absence("worker-1", now, now + timedelta(days=1))]),
        "actor": "sue",
    }
    with pytest.raises(CasekitError):
        app.apply_absences(**{**arguments, **bad})  # type: ignore[arg-type]
    assert state(app, case_id) == (ItemState.ACCEPTED, "worker-1")
    with app.storage.unit_of_work() as uow:
        assert uow.documents.get(ABSENCES, "benefits/worker-1") is None


def test_an_absent_workers_case_tasks_go_to_their_delegate_audited(
    app: Application, storage: Storage, clock: ManualClock, open_pdc: OpenPdc
) -> None:
    """Cúram's task redirection: a kickback to someone on leave goes to who covers them."""
    staff(app, "worker-1", "worker-2")
    case_id = open_pdc(app, "PDC-1")
    app.update(
        case_id,
        lambda case: case.kickback("worker-1", "Fix the income", actor="boss", reason="wrong"),
        actor="boss",
    )
    other = open_pdc(app, "PDC-2")
    app.update(
        other, lambda case: case.add_task("Call the client", "worker-2", actor="boss"), actor="boss"
    )
    now = clock.now()
    book = AbsenceBook(
        absences=[Absence("worker-1", now, now + timedelta(days=5), AbsenceKind.PLANNED_LEAVE)],
        delegations={"worker-1": Delegate.agent("worker-2")},
    )
    report = app.apply_absences("benefits", book, actor="supervisor")
    assert report.tasks_moved == ((f"{case_id}/T1", "worker-1", "worker-2"),)
    (task,) = app.case(case_id).tasks
    assert task.assignee == "worker-2"
    with storage.unit_of_work() as uow:
        entry = [e for e in uow.audit.entries(case_id) if e.action == "task_reassigned"][-1]
    assert entry.actor == "supervisor"
    assert (entry.detail["assignee"], entry.detail["previous"]) == ("worker-2", "worker-1")
    assert "worker-1 absent" in entry.detail["reason"]
    assert [t.assignee for t in app.case(other).tasks] == ["worker-2"]  # not worker-1's
    again = app.apply_absences("benefits", book, actor="supervisor")  # nothing left to move
    assert (again.tasks_moved, again.tasks_kept) == ((), ())
    check_application(app)


def test_tasks_stay_when_the_rule_keeps_them_or_the_delegation_ends_at_a_queue(
    app: Application, clock: ManualClock, open_pdc: OpenPdc
) -> None:
    staff(app, "worker-1")
    case_id = open_pdc(app, "PDC-1")
    app.update(
        case_id,
        lambda case: case.add_task("Review the file", "worker-1", actor="boss"),
        actor="boss",
    )
    now = clock.now()
    to_queue = AbsenceBook(
        absences=[Absence("worker-1", now, now + timedelta(days=1), AbsenceKind.SICK)],
        delegations={"worker-1": Delegate.queue("intake")},
    )
    report = app.apply_absences("benefits", to_queue, actor="supervisor")
    assert (report.tasks_moved, report.tasks_kept) == ((), (f"{case_id}/T1",))
    keeping = AbsenceRule(tasks=Disposition.KEEP)
    to_person = AbsenceBook(
        absences=[Absence("worker-1", now, now + timedelta(days=1), AbsenceKind.SICK)],
        delegations={"worker-1": Delegate.agent("worker-2")},
    )
    report = app.apply_absences("benefits", to_person, actor="supervisor", rule=keeping)
    assert (report.tasks_moved, report.tasks_kept) == ((), (f"{case_id}/T1",))
    assert [t.assignee for t in app.case(case_id).tasks] == ["worker-1"]


def test_with_a_policy_tasks_of_cases_the_actor_may_not_assign_stay_and_are_listed(
    storage: Storage, clock: ManualClock
) -> None:
    """As `reassign_all`: moving a case's task needs ``assign`` on the case."""
    app = secured(storage)
    app.add_agent("benefits", Agent("ana", {"intake": 1}), Presence.AVAILABLE, actor=SAM)
    mine = access_open_pdc(app, "PDC-1")  # supervised by sam
    theirs = app.open_case(
        "Product Delivery Case",
        actor=INTAKE,
        id="PDC-2",
        product="Basic Allowance",
        primary_client="client-2",
        owner=Owner.user("ana"),
        supervisor=Owner.user("other"),
    )
    for case_id in (mine, theirs):
        app.update(
            case_id,
            lambda case: case.add_task("Call the client", "ana", actor="intake"),
            actor=INTAKE,
        )
    now = clock.now()
    book = AbsenceBook(
        absences=[Absence("ana", now, now + timedelta(days=2), AbsenceKind.SICK)],
        delegations={"ana": Delegate.agent("bob")},
    )
    report = app.apply_absences("benefits", book, actor=SAM)
    assert report.tasks_moved == ((f"{mine}/T1", "ana", "bob"),)
    assert report.tasks_refused == (f"{theirs}/T1",)
    assert [t.assignee for t in app.case(theirs, actor=SAM).tasks] == ["ana"]
