"""Break-the-glass: time-boxed, audited emergency access that tells the supervisor."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from casekit.app import Application, BreakGlassGrant, BreakGlassGranted, BreakGlassRevoked
from casekit.app.access import ACCESS_GRANTS, grant_key, store_grant
from casekit.clock import ManualClock
from casekit.errors import AccessDenied, ConcurrencyConflict, NotFound, ValidationError
from casekit.priority import Priority
from casekit.security import Principal
from casekit.storage import Storage
from casekit.testing.app import check_application

from ._access import (
    ANA,
    BOB,
    DOC,
    NOBODY,
    POLICY,
    SAM,
    SSN,
    entries,
    open_pdc,
    open_tracker,
    outbox_types,
    secured,
    trail,
)

ON_CALL_OWNER = attrs.evolve(ANA, roles=frozenset({"caseworker", "on-call"}))
GRANTED = "casekit.access.break_glass_granted"
REVOKED = "casekit.access.break_glass_revoked"


def outbox(storage: Storage, kind: str) -> list[dict[str, object]]:
    with storage.unit_of_work() as uow:
        return [
            dict(record.data) for record in uow.outbox.pending(limit=10_000) if record.type == kind
        ]


def test_break_the_glass_grants_time_boxed_read_and_reveal_audits_and_tells_the_supervisor(
    storage: Storage, clock: ManualClock
) -> None:
    app = secured(storage)
    ssn = open_tracker(app, "MCO-1")
    published: list[object] = []
    app.subscribe(published.append)
    with pytest.raises(AccessDenied):
        app.case("MCO-1", actor=DOC)  # no access of their own
    before = trail(storage, "MCO-1")

    grant = app.break_glass("MCO-1", actor=DOC, reason="client in crisis on the phone", minutes=30)

    now = clock.now()
    expires = now + timedelta(minutes=30)
    assert grant == BreakGlassGrant(
        "MCO-1", "doc", "client in crisis on the phone", now, expires, "User:sam"
    )
    assert app.glass_grant("MCO-1", DOC) == grant
    assert trail(storage, "MCO-1") == [*before, ("doc", "break_glass")]
    assert entries(storage, "MCO-1")[-1].detail == {
        "permission": "break_glass",
        "rule": "on call may break the glass",
        "reason": "client in crisis on the phone",
        "minutes": 30,
        "expires_at": grant.expires_at.isoformat(),
        "permissions": ["read", "reveal"],
        "supervisor": "User:sam",
    }
    event = BreakGlassGranted(
        "MCO-1",
        "doc",
        "client in crisis on the phone",
        grant.expires_at,
        "User:sam",
        ("read", "reveal"),
        now,
    )
    assert published == [event]
    (record,) = outbox(storage, GRANTED)
    assert record["supervisor"] == "User:sam"
    assert record["case_id"] == "MCO-1"

    # While it runs: read and reveal, each audited via break-the-glass.
    clock.advance(timedelta(minutes=10))
    assert app.case("MCO-1", actor=DOC, reason="reading the notes").id == "MCO-1"
    assert app.reveal("MCO-1", ssn, actor=DOC, reason="confirm identity") == SSN
    read, reveal = entries(storage, "MCO-1")[-2:]
    assert (read.actor, read.action, reveal.action) == ("doc", "read", "reveal")
    assert read.detail["via"] == reveal.detail["via"] == "break-glass"
    assert read.detail["grant_reason"] == "client in crisis on the phone"
    assert read.detail["reason"] == "reading the notes"
    assert reveal.detail["kind"] == "SSN"
    assert SSN not in str(reveal.detail)

    # Nothing that changes the case: the glass covers looking only.
    with pytest.raises(AccessDenied):
        app.set_priority("MCO-1", Priority.URGENT, actor=DOC)

    # It ends on its own: past its expiry the policy decides alone again.
    clock.advance(timedelta(minutes=20))
    with pytest.raises(AccessDenied):
        app.case("MCO-1", actor=DOC)
    with pytest.raises(AccessDenied):
        app.reveal("MCO-1", ssn, actor=DOC, reason="again")
    assert trail(storage, "MCO-1")[-3:] == [("doc", "access_denied")] * 3  # edit, read, reveal
    storage.verify_audit("MCO-1")
    check_application(app)


def test_break_the_glass_is_refused_where_the_policy_does_not_grant_it(
    storage: Storage,
) -> None:
    app = secured(storage)
    open_pdc(app, "PDC-1")
    published: list[object] = []
    app.subscribe(published.append)
    before, records = trail(storage, "PDC-1"), outbox_types(storage)
    with pytest.raises(AccessDenied, match="may not break_glass on PDC-1"):
        app.break_glass("PDC-1", actor=NOBODY, reason="curious")
    assert trail(storage, "PDC-1") == [*before, ("mallory", "access_denied")]
    assert entries(storage, "PDC-1")[-1].detail == {
        "permission": "break_glass",
        "action": None,
        "rule": "default deny",
        "reason": "curious",
    }
    assert outbox_types(storage) == records
    assert published == []
    assert app.glass_grant("PDC-1", NOBODY) is None
    with pytest.raises(AccessDenied):
        app.case("PDC-1", actor=NOBODY)
    storage.verify_audit("PDC-1")


def test_sensitivity_above_clearance_is_not_broken_into(
    storage: Storage, sensitivity_levels: dict[str, int]
) -> None:
    app = secured(storage)
    open_pdc(app, "PDC-1")
    sensitivity_levels["PDC-1"] = 4
    with pytest.raises(AccessDenied, match="sensitivity"):
        app.break_glass("PDC-1", actor=attrs.evolve(DOC, clearance=3), reason="urgent")


def test_a_grant_stops_at_once_when_the_policy_no_longer_lets_its_holder_break_the_glass(
    storage: Storage,
) -> None:
    app = secured(storage)
    open_pdc(app, "PDC-1")
    app.break_glass("PDC-1", actor=DOC, reason="night shift")
    assert app.case("PDC-1", actor=DOC).id == "PDC-1"
    off_call = attrs.evolve(DOC, roles=frozenset())  # the role was taken away
    with pytest.raises(AccessDenied):
        app.case("PDC-1", actor=off_call)


def test_a_grant_can_be_revoked_early_by_its_holder_or_by_who_may_assign_the_case(
    storage: Storage, clock: ManualClock
) -> None:
    app = secured(storage)
    open_pdc(app, "PDC-1")
    published: list[object] = []
    app.subscribe(published.append)
    app.break_glass("PDC-1", actor=DOC, reason="night shift")

    with pytest.raises(AccessDenied):  # another caseworker may not
        app.revoke_glass("PDC-1", DOC, actor=BOB, reason="not yours")
    revoked = app.revoke_glass("PDC-1", "doc", actor=SAM, reason="handled by day staff")
    assert (revoked.revoked_at, revoked.revoked_by) == (clock.now(), "sam")
    assert app.glass_grant("PDC-1", "doc") == revoked
    with pytest.raises(AccessDenied):
        app.case("PDC-1", actor=DOC)
    assert published[-1] == BreakGlassRevoked(
        "PDC-1", "doc", "sam", "handled by day staff", "User:sam", clock.now()
    )
    assert outbox(storage, REVOKED)[0]["actor"] == "sam"
    assert trail(storage, "PDC-1")[-4:] == [
        ("doc", "break_glass"),
        ("bob", "access_denied"),
        ("sam", "break_glass_revoked"),
        ("doc", "access_denied"),
    ]
    assert entries(storage, "PDC-1")[-2].detail == {
        "principal": "doc",
        "reason": "handled by day staff",
    }
    with pytest.raises(NotFound, match=r"doc holds no running .* \(revoked at"):
        app.revoke_glass("PDC-1", DOC, actor=SAM)

    app.break_glass("PDC-1", actor=DOC, reason="again")  # asking again: a new grant
    assert app.case("PDC-1", actor=DOC).id == "PDC-1"
    app.revoke_glass("PDC-1", DOC, actor=DOC)  # the holder ends their own
    clock.advance(timedelta(hours=2))
    with pytest.raises(NotFound, match="revoked at"):
        app.revoke_glass("PDC-1", DOC, actor=DOC)
    storage.verify_audit("PDC-1")


def test_an_expired_grant_cannot_be_revoked_and_asking_again_replaces_it(
    storage: Storage, clock: ManualClock
) -> None:
    app = secured(storage)
    open_pdc(app, "PDC-1")
    app.break_glass("PDC-1", actor=DOC, reason="first", minutes=5)
    clock.advance(timedelta(minutes=5))
    with pytest.raises(NotFound, match="expired at"):
        app.revoke_glass("PDC-1", DOC, actor=DOC)
    second = app.break_glass("PDC-1", actor=DOC, reason="second", minutes=5)
    assert second.reason == "second"
    assert second.is_live(clock.now())
    with storage.unit_of_work() as uow:
        stored = uow.documents.find(ACCESS_GRANTS, labels={"case_id": "PDC-1"})
    assert [document.key for document in stored] == [grant_key("PDC-1", "doc")]
    assert len(outbox(storage, GRANTED)) == 2  # every use countable


def test_break_the_glass_is_refused_at_the_door(storage: Storage) -> None:
    app = secured(storage)
    open_pdc(app, "PDC-1")
    before = trail(storage, "PDC-1")
    for call, message in [
        (lambda: app.break_glass("PDC-1", actor=DOC, reason=" "), "reason to break the glass"),
        (lambda: app.break_glass("PDC-1", actor=DOC, reason="x", minutes=0), "minutes of"),
        (lambda: app.break_glass("PDC-1", actor=DOC, reason="x", minutes=1441), "minutes of"),
        (lambda: app.break_glass("PDC-1", actor="doc", reason="x"), "must be a Principal"),  # type: ignore[arg-type]
        (
            lambda: app.break_glass("PDC-1", actor=Principal.system("sweep"), reason="x"),
            "it is for people",
        ),
        (lambda: app.break_glass("PDC-1", actor=ON_CALL_OWNER, reason="x"), "may already read"),
    ]:
        with pytest.raises(ValidationError, match=message):
            call()
    unchecked = Application(storage, name="open", clock=storage.clock)
    with pytest.raises(ValidationError, match="has no policy"):
        unchecked.break_glass("PDC-1", actor=DOC, reason="x")
    with pytest.raises(NotFound):
        app.break_glass("PDC-NONE", actor=DOC, reason="x")
    assert trail(storage, "PDC-1") == before
    assert app.glass_grant("PDC-1", ANA) is None


def test_break_the_glass_works_the_same_with_a_cedar_policy(storage: Storage) -> None:
    cedar = pytest.importorskip("casekit.security.cedar", reason="cedarpy is not installed")
    app = secured(storage, cedar.CedarPolicy.from_policy(POLICY))
    open_pdc(app, "PDC-1")
    with pytest.raises(AccessDenied):
        app.break_glass("PDC-1", actor=NOBODY, reason="curious")
    app.break_glass("PDC-1", actor=DOC, reason="on call")
    assert app.case("PDC-1", actor=DOC).id == "PDC-1"
    assert entries(storage, "PDC-1")[-1].detail["via"] == "break-glass"


def test_two_first_grants_at_once_conflict_so_the_command_is_retried(
    storage: Storage, clock: ManualClock
) -> None:
    now = clock.now()
    grant = BreakGlassGrant("PDC-1", "doc", "x", now, now + timedelta(minutes=5), None)
    with storage.unit_of_work() as uow:
        store_grant(uow.documents, grant, version=0)
        uow.commit()
    with storage.unit_of_work() as uow, pytest.raises(ConcurrencyConflict):
        store_grant(uow.documents, grant, version=0)  # read before the other one wrote
