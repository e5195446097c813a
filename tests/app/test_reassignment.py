"""Bulk reassignment (issue 20, part 6) and the handler that moves a case's routed work with it.

`Application.reassign_all` moves every open case and routed item of a person, team or queue
in slices, one unit of work each, with a record that makes it resumable. The crash test
(SIGKILL halfway, resume, nothing lost or done twice) is in test_application_processes.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from casekit.app import Application, Reassignment, ReassignmentPhase
from casekit.app.reassignment import REASSIGNMENTS
from casekit.cases import Owner
from casekit.demo.benefits import PRODUCT
from casekit.demo.config import DOMAINS, ROUTING
from casekit.errors import CasekitError, ValidationError
from casekit.routing import Agent, ItemState, Presence
from casekit.security import AccessPolicy, Grant, Permission, Principal, Relationship
from casekit.storage import Storage
from casekit.testing.app import check_application

from .conftest import OpenPdc

ANN, BEN = Owner.user("worker-1"), Owner.user("worker-2")


def staff(app: Application, *people: str) -> None:
    for person in people:
        app.add_agent(
            "benefits", Agent(person, {"intake": 1}, capacity=50), Presence.AVAILABLE, actor="hr"
        )


def owner_changes(storage: Storage, case_id: str) -> list[tuple[str, str]]:
    with storage.unit_of_work() as uow:
        return [
            (entry.actor, str(entry.detail.get("after", entry.after)))
            for entry in uow.audit.entries(case_id)
            if entry.action == "assign_owner"
        ]


def caseload(app: Application, open_pdc: OpenPdc, count: int) -> list[str]:
    """``count`` PDCs owned by worker-1; worker-1 accepts the offer of each."""
    ids = [open_pdc(app, f"PDC-{n:03}") for n in range(count)]
    for case_id in ids:
        status = app.routing_status(case_id)
        assert status is not None
        if status.agent_id == "worker-1" and status.state is ItemState.OFFERED:
            app.accept(case_id, "worker-1")
    return ids


def test_every_open_case_and_its_work_moves_in_slices(
    app: Application, storage: Storage, open_pdc: OpenPdc
) -> None:
    staff(app, "worker-1")
    ids = caseload(app, open_pdc, 7)
    staff(app, "worker-2")
    app.perform(ids[0], "submit", actor="worker-1")  # its work is approval's now, not ann's
    app.set_presence("benefits", "worker-1", Presence.OFFLINE, actor="hr")
    record = app.reassign_all(
        "leaver-ann", source=ANN, target=BEN, actor="supervisor", reason="ann left", batch=3
    )
    assert record.done
    assert record.phase is ReassignmentPhase.DONE
    assert (record.moved, record.refused, record.slices) == (7, (), 4)  # 3+3+1 cases, items
    for case_id in ids:
        assert app.case(case_id).owner == BEN
        assert owner_changes(storage, case_id)[-1] == ("supervisor", str(BEN))
    for case_id in ids[1:]:  # accepted by ann: pinned to ben, the new owner
        status = app.routing_status(case_id)
        assert status is not None
        assert (status.state, status.agent_id) == (ItemState.PINNED, "worker-2")
    assert app.reassignment("leaver-ann") == record
    check_application(app)


def test_running_a_finished_batch_again_changes_nothing(
    app: Application, storage: Storage, open_pdc: OpenPdc
) -> None:
    caseload(app, open_pdc, 3)
    first = app.reassign_all("b1", source=ANN, target=BEN, actor="sue", reason="leave")
    with storage.unit_of_work() as uow:
        version = uow.documents.get(REASSIGNMENTS, "b1").version  # type: ignore[union-attr]
    again = app.reassign_all("b1", source=ANN, target=BEN, actor="sue", reason="leave")
    assert again == first
    with storage.unit_of_work() as uow:
        assert uow.documents.get(REASSIGNMENTS, "b1").version == version  # type: ignore[union-attr]
    assert owner_changes(storage, "PDC-000") == [("sue", str(BEN))]


def test_a_stopped_batch_resumes_where_its_record_says(
    app: Application, storage: Storage, open_pdc: OpenPdc
) -> None:
    ids = caseload(app, open_pdc, 5)
    part = app.reassign_all(
        "b2", source=ANN, target=BEN, actor="sue", reason="leave", batch=2, stop_after=1
    )
    assert (part.phase, part.moved, part.after) == (ReassignmentPhase.CASES, 2, ids[1])
    assert [app.case(i).owner for i in ids] == [BEN, BEN, ANN, ANN, ANN]
    done = app.reassign_all("b2", source=ANN, target=BEN, actor="sue", reason="leave", batch=2)
    assert (done.moved, done.done, done.started_at) == (5, True, part.started_at)
    for case_id in ids:
        assert owner_changes(storage, case_id) == [("sue", str(BEN))]  # once each


def test_final_cases_stay_and_a_queue_target_sends_the_work_back_to_the_queue(
    app: Application, storage: Storage, open_pdc: OpenPdc
) -> None:
    staff(app, "worker-1")
    ids = caseload(app, open_pdc, 3)
    app.perform(ids[2], "close", actor="worker-1", reason="withdrawn")
    app.set_presence("benefits", "worker-1", Presence.OFFLINE, actor="hr")
    queue = Owner.work_queue("intake-team")
    record = app.reassign_all("b3", source=ANN, target=queue, actor="sue", reason="cover")
    assert record.moved == 2
    assert app.case(ids[2]).owner == ANN  # closed: left as it was
    for case_id in ids[:2]:
        status = app.routing_status(case_id)
        assert status is not None
        assert status.state is ItemState.QUEUED  # back in the queue; nobody is available
    check_application(app)


def test_work_the_person_holds_on_cases_they_do_not_own_goes_back_to_the_queue(
    app: Application, open_pdc: OpenPdc
) -> None:
    staff(app, "worker-1")
    case_id = open_pdc(app, "PDC-X")
    app.assign_owner(case_id, Owner.work_queue("intake-team"), actor="sue")
    status = app.routing_status(case_id)
    assert status is not None
    assert (status.state, status.agent_id) == (ItemState.OFFERED, "worker-1")  # not her case
    staff(app, "worker-2")  # ann stays available: the offer is hers until it is returned
    record = app.reassign_all("b4", source=ANN, target=BEN, actor="sue", reason="left")
    assert (record.moved, record.returned) == (0, 1)
    status = app.routing_status(case_id)
    assert status is not None
    assert (status.state, status.agent_id) == (ItemState.OFFERED, "worker-2")
    check_application(app)


def test_assigning_an_owner_by_hand_moves_the_work_the_old_owner_held(
    app: Application, open_pdc: OpenPdc
) -> None:
    staff(app, "worker-1")
    (case_id,) = caseload(app, open_pdc, 1)
    staff(app, "worker-2")
    app.assign_owner(case_id, BEN, actor="sue")
    status = app.routing_status(case_id)
    assert status is not None
    assert (status.state, status.agent_id) == (ItemState.PINNED, "worker-2")
    app.assign_owner(case_id, Owner.user("not-an-agent"), actor="sue")
    status = app.routing_status(case_id)
    assert status is not None
    assert status.agent_id != "not-an-agent"
    assert status.state in (ItemState.QUEUED, ItemState.OFFERED)
    check_application(app)


POLICY = AccessPolicy(
    [
        Grant(name="intake", roles="intake", permissions={Permission.CREATE, Permission.EDIT}),
        Grant(
            name="supervisors assign their cases",
            roles="supervisor",
            permissions={Permission.READ, Permission.ASSIGN},
            relationship=Relationship.SUPERVISOR,
        ),
    ]
)


def test_cases_the_actor_may_not_assign_are_left_and_listed(storage: Storage) -> None:
    app = Application(storage, routing=ROUTING, domains=DOMAINS, products=[PRODUCT], policy=POLICY)
    intake = Principal("intake", {"intake"})
    sam = Principal("sam", {"supervisor"})
    for n, supervisor in enumerate(["sam", "other", "sam"]):
        app.open_case(
            "Product Delivery Case",
            actor=intake,
            id=f"PDC-{n}",
            product=PRODUCT.name,
            primary_client=f"c{n}",
            owner=ANN,
            supervisor=Owner.user(supervisor),
        )
    record = app.reassign_all("b5", source=ANN, target=BEN, actor=sam, reason="ann left")
    assert (record.moved, record.refused, record.actor) == (2, ("PDC-1",), "sam")
    assert app.case("PDC-1", actor=Principal("other", {"supervisor"})).owner == ANN


@pytest.mark.parametrize(
    "change",
    [
        {"batch_id": ""},
        {"source": "worker-1"},
        {"target": None},
        {"target": ANN},
        {"reason": " "},
        {"batch": 0},
        {"batch": 1001},
        {"batch": True},
        {"stop_after": 0},
        {"actor": ""},
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(
    app: Application, storage: Storage, open_pdc: OpenPdc, change: dict[str, Any]
) -> None:
    open_pdc(app, "PDC-1")
    arguments: dict[str, Any] = {
        "batch_id": "b6",
        "source": ANN,
        "target": BEN,
        "actor": "sue",
        "reason": "leave",
    }
    with pytest.raises(CasekitError):
        app.reassign_all(**{**arguments, **change})
    assert app.case("PDC-1").owner == ANN
    with storage.unit_of_work() as uow:
        assert uow.documents.get(REASSIGNMENTS, "b6") is None


def test_a_batch_id_cannot_be_reused_for_other_work(app: Application, open_pdc: OpenPdc) -> None:
    open_pdc(app, "PDC-1")
    app.reassign_all("b7", source=ANN, target=BEN, actor="sue", reason="leave", stop_after=1)
    with pytest.raises(ValidationError, match="stored as"):
        app.reassign_all("b7", source=ANN, target=Owner.user("carl"), actor="sue", reason="leave")
    record = app.reassignment("b7")
    assert isinstance(record, Reassignment)
    assert record.target == BEN
    assert app.reassignment("nothing") is None
