"""The access log: reads of sensitive cases and every reveal, in the case's hash chain."""

from __future__ import annotations

import pytest

from casekit.app import Application, Session
from casekit.classification import Sensitive
from casekit.demo.config import office_application
from casekit.errors import AccessDenied, NotFound, ValidationError
from casekit.security import Permission
from casekit.storage import Storage

from ._access import (
    ANA,
    BOB,
    NOBODY,
    SAM,
    SSN,
    entries,
    open_pdc,
    open_tracker,
    outbox_types,
    secured,
    stored_text,
    trail,
)


def test_reads_at_or_above_the_threshold_are_logged_and_below_it_not(
    storage: Storage, sensitivity_levels: dict[str, int]
) -> None:
    app = secured(storage, audit_reads_from=3)
    sensitivity_levels.update({"PDC-HI": 4, "PDC-AT": 3, "PDC-LO": 2})
    for case_id in sensitivity_levels:
        open_pdc(app, case_id)
    before = {case_id: trail(storage, case_id) for case_id in sensitivity_levels}
    records = len(outbox_types(storage))

    app.case("PDC-HI", actor=ANA, reason="phone call from the client")
    app.case("PDC-AT", actor=SAM)
    app.case("PDC-LO", actor=ANA, reason="routine")
    assert app.routing_status("PDC-HI", actor=SAM, reason="who has it?") is not None

    assert trail(storage, "PDC-HI") == [*before["PDC-HI"], ("ana", "read"), ("sam", "read")]
    assert trail(storage, "PDC-AT") == [*before["PDC-AT"], ("sam", "read")]
    assert trail(storage, "PDC-LO") == before["PDC-LO"]
    first, routing = entries(storage, "PDC-HI")[-2:]
    assert first.detail == {
        "permission": "read",
        "via": "policy",
        "rule": "staff read",
        "sensitivity": 4,
        "reason": "phone call from the client",
    }
    assert first.at == app.clock.now()
    assert routing.detail["reason"] == "who has it?"
    assert len(outbox_types(storage)) == records  # a read is no event
    for case_id in sensitivity_levels:
        storage.verify_audit(case_id)  # the reads are in the hash chain


def test_without_a_threshold_no_read_is_logged(
    storage: Storage, sensitivity_levels: dict[str, int]
) -> None:
    app = secured(storage)
    sensitivity_levels["PDC-1"] = 5
    open_pdc(app, "PDC-1")
    before = trail(storage, "PDC-1")
    app.case("PDC-1", actor=ANA)
    assert trail(storage, "PDC-1") == before


def test_a_denied_read_is_audited_as_a_denial_not_as_a_read(
    storage: Storage, sensitivity_levels: dict[str, int]
) -> None:
    app = secured(storage, audit_reads_from=1)
    open_pdc(app, "PDC-1")
    before = trail(storage, "PDC-1")
    with pytest.raises(AccessDenied):
        app.case("PDC-1", actor=NOBODY, reason="curious")
    assert trail(storage, "PDC-1") == [*before, ("mallory", "access_denied")]
    assert entries(storage, "PDC-1")[-1].detail == {
        "permission": "read",
        "action": None,
        "rule": "default deny",
        "reason": "curious",
    }
    storage.verify_audit("PDC-1")


def test_without_a_policy_reads_are_logged_by_actor_and_a_nameless_read_is_refused(
    storage: Storage,
) -> None:
    app = Application(storage, name="office", audit_reads_from=1, clock=storage.clock)
    plain = office_application(storage, clock=storage.clock)
    open_pdc(plain, "PDC-1")
    before = trail(storage, "PDC-1")
    with pytest.raises(ValidationError, match="logs reads of cases at sensitivity 1 or above"):
        app.case("PDC-1")
    with pytest.raises(ValidationError, match="say who reads the routing of PDC-1"):
        app.routing_status("PDC-1")
    assert app.case("PDC-1", actor="ana").id == "PDC-1"
    assert trail(storage, "PDC-1") == [*before, ("ana", "read")]
    assert entries(storage, "PDC-1")[-1].detail["via"] == "trusted"
    assert plain.case("PDC-1").id == "PDC-1"  # an application that logs nothing: as before
    assert trail(storage, "PDC-1") == [*before, ("ana", "read")]


@pytest.mark.parametrize("level", [0, 6, "3", 2.5, True])
def test_the_threshold_is_a_sensitivity_level(storage: Storage, level: object) -> None:
    with pytest.raises(ValidationError, match="audit_reads_from of an Application"):
        secured(storage, audit_reads_from=level)


def test_a_reveal_is_audited_with_who_what_and_why_but_never_the_value(storage: Storage) -> None:
    app = secured(storage)
    ssn = open_tracker(app, "MCO-1")
    before = trail(storage, "MCO-1")
    records = outbox_types(storage)

    assert app.reveal("MCO-1", ssn, actor=ANA, reason="client asked to confirm") == SSN

    assert trail(storage, "MCO-1") == [*before, ("ana", "reveal")]
    assert entries(storage, "MCO-1")[-1].detail == {
        "permission": "reveal",
        "via": "policy",
        "rule": "owners reveal",
        "sensitivity": 1,
        "reason": "client asked to confirm",
        "kind": "SSN",
        "token": ssn.token,
    }
    assert outbox_types(storage) == records
    assert SSN not in stored_text(storage, "MCO-1")
    storage.verify_audit("MCO-1")


def test_a_denied_reveal_is_audited_and_reveals_nothing(storage: Storage) -> None:
    app = secured(storage)
    ssn = open_tracker(app, "MCO-1")
    before = trail(storage, "MCO-1")
    with pytest.raises(AccessDenied, match="bob may not reveal on MCO-1") as denied:
        app.reveal("MCO-1", ssn, actor=BOB, reason="just looking")
    assert SSN not in str(denied.value)
    assert trail(storage, "MCO-1") == [*before, ("bob", "access_denied")]
    assert entries(storage, "MCO-1")[-1].detail == {
        "permission": "reveal",
        "action": None,
        "rule": "default deny",
        "reason": "just looking",
    }
    storage.verify_audit("MCO-1")


def test_a_value_is_revealed_only_through_the_case_that_holds_it(storage: Storage) -> None:
    app = secured(storage)
    ssn = open_tracker(app, "MCO-1")
    open_tracker(app, "MCO-2")
    before = trail(storage, "MCO-2")
    with pytest.raises(NotFound, match="MCO-2 holds no SSN •••••6789"):
        app.reveal("MCO-2", ssn, actor=ANA, reason="wrong case")
    forged = Sensitive("SSN", "ssn:forged", "6789")
    with pytest.raises(NotFound, match="MCO-2 holds no SSN"):
        app.reveal("MCO-2", forged, actor=ANA, reason="forged")
    assert trail(storage, "MCO-2") == before  # refused: nothing logged


def test_a_reveal_is_refused_at_the_door_without_a_handle_or_a_reason(storage: Storage) -> None:
    app = secured(storage)
    ssn = open_tracker(app, "MCO-1")
    before = trail(storage, "MCO-1")
    with pytest.raises(ValidationError, match=r"must be a Sensitive handle .* \(value not shown\)"):
        app.reveal("MCO-1", SSN, actor=ANA, reason="raw")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="reason to reveal a SSN on MCO-1"):
        app.reveal("MCO-1", ssn, actor=ANA, reason=" ")
    with pytest.raises(ValidationError, match="must be a Principal"):
        app.reveal("MCO-1", ssn, actor="ana", reason="no principal")
    assert trail(storage, "MCO-1") == before


def test_your_own_command_logs_through_authorize_and_cannot_rewrite_the_core_facts(
    storage: Storage,
) -> None:
    app = secured(storage, audit_reads_from=1)
    open_pdc(app, "PDC-1")

    def peek(session: Session) -> str:
        case = session.read("PDC-1")
        session.authorize(
            case, Permission.READ, reason="report", detail={"via": "nothing", "report": "r-1"}
        )
        return case.status.value

    assert app.execute(ANA, peek, name="peek") == "Open"
    assert entries(storage, "PDC-1")[-1].detail == {
        "permission": "read",
        "via": "policy",
        "rule": "staff read",
        "sensitivity": 1,
        "reason": "report",
        "report": "r-1",
    }
