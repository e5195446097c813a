"""The shipped property (casekit.testing.app_security) on the office with a policy."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from casekit.app import Application, Session
from casekit.errors import CasekitError
from casekit.priority import Priority
from casekit.security import Permission, Principal
from casekit.storage import Storage
from casekit.testing.app_security import (
    app_command_violations,
    app_commands,
    app_listing_violations,
    assert_app_respects_policy,
)

from ._access import DOC, INTAKE, POLICY, open_pdc, open_tracker, secured

FEW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_no_denied_command_succeeds_or_leaves_a_trace(storage: Storage) -> None:
    app = secured(storage, audit_reads_from=3)
    open_pdc(app, "PDC-1")
    open_tracker(app, "MCO-1")
    app.update(
        "MCO-1",
        lambda case: case.set_sensitivity(4, actor=INTAKE.id, reason="names a minor"),
        actor=INTAKE,
    )
    app.break_glass("MCO-1", actor=DOC, reason="on call tonight")  # a live grant: reads allowed
    assert_app_respects_policy(app, ["PDC-1", "MCO-1"], settings=FEW)


def test_the_commands_cover_every_permission_but_create(storage: Storage) -> None:
    app = secured(storage)
    open_tracker(app, "MCO-1")
    commands = app_commands(app, ["MCO-1"])
    assert {c.permission for c in commands} == set(Permission) - {Permission.CREATE}
    assert "perform 'classify'" in {c.name for c in commands}


class Leaky(Application):
    """An application whose set_priority forgets to check: the property must catch it."""

    def set_priority(
        self, case_id: str, priority: Priority, *, actor: Any, reason: str | None = None
    ) -> None:
        def command(session: Session) -> None:
            session.change(case_id).set_priority(priority, actor=session.actor, reason=reason)

        self.execute(actor, command, name="leaky")


def test_the_property_catches_a_command_that_does_not_check(storage: Storage, backend: str) -> None:
    if backend != "memory":
        pytest.skip("one backend is enough to show the check bites")
    app = secured(storage)
    leaky = Leaky(storage, name="office", clock=storage.clock, policy=app.policy)
    open_pdc(app, "PDC-1")
    (priority,) = [c for c in app_commands(leaky, ["PDC-1"]) if c.name == "set priority"]
    problems = app_command_violations(leaky, Principal("mallory"), priority, "PDC-1")
    assert problems == [
        "denied by the policy but succeeded: set priority on PDC-1 by "
        "Principal(id='mallory', roles=frozenset(), org_unit=None, location=None, clearance=1, "
        "teams=frozenset(), kind=<PrincipalKind.USER: 'user'>)"
    ]
    with pytest.raises(AssertionError, match="denied by the policy but succeeded"):
        assert_app_respects_policy(leaky, ["PDC-1"], commands=[priority], settings=FEW)


def test_listing_returns_exactly_the_readable_cases(storage: Storage) -> None:
    """issue 17 (filtered reads): find_cases filters in the query, page by page."""
    app = secured(storage, audit_reads_from=4)
    for number in range(5):
        open_pdc(app, f"PDC-{number}")
    open_tracker(app, "MCO-1")
    app.update(
        "MCO-1",
        lambda case: case.set_sensitivity(4, actor=INTAKE.id, reason="names a minor"),
        actor=INTAKE,
    )
    low = Principal("bob", {"caseworker"}, clearance=2)
    high = Principal("bob", {"caseworker"}, clearance=5)
    for principal in (low, high, Principal("mallory"), DOC, INTAKE):
        for size in (1, 2, 100):
            assert app_listing_violations(app, principal, page_size=size) == []
    assert [c.id for c in app.find_cases(actor=low).items] == [f"PDC-{n}" for n in range(5)]
    listed = app.find_cases(actor=high, case_type="MCO Tracker Case")
    assert [c.id for c in listed.items] == ["MCO-1"]
    with storage.unit_of_work() as uow:  # each listing of the sensitive case is in its trail
        reads = [e for e in uow.audit.entries("MCO-1") if e.action == "read"]
        assert [e for e in uow.audit.entries("PDC-1") if e.action == "read"] == []
    assert len(reads) == 4  # three listings by the property above, one here
    assert {(e.actor, e.detail["listed"]) for e in reads} == {("bob", True)}
    assert app.find_cases(actor=Principal("mallory")).items == ()


def test_listing_refuses_bad_arguments_before_reading(storage: Storage) -> None:
    app = secured(storage)
    open_pdc(app, "PDC-1")
    for bad in (
        {"actor": "ana"},
        {"actor": None},
        {"actor": INTAKE, "limit": 0},
        {"actor": INTAKE, "limit": 10_001},
        {"actor": INTAKE, "case_type": "No Such Type"},
        {"actor": INTAKE, "after": ""},
        {"actor": INTAKE, "priority": "urgent"},
        {"actor": INTAKE, "owner": "ana"},
        {"actor": INTAKE, "reason": "  "},
    ):
        with pytest.raises(CasekitError):
            app.find_cases(**bad)


class Leaking(Application):
    """An application whose listing forgets the policy: the listing property must catch it."""

    def find_cases(self, *, actor: Any = None, **filters: Any) -> Any:
        with self.storage.unit_of_work() as uow:
            return uow.cases.query(**filters)


def test_the_listing_property_catches_a_listing_that_does_not_filter(
    storage: Storage, backend: str
) -> None:
    if backend != "memory":
        pytest.skip("one backend is enough to show the check bites")
    app = secured(storage)
    open_pdc(app, "PDC-1")
    leaking = Leaking(storage, name="office", clock=storage.clock, policy=app.policy)
    (problem,) = app_listing_violations(leaking, Principal("mallory"))
    assert "leaked ['PDC-1']" in problem


def test_a_cedar_policy_lists_the_same_cases(storage: Storage, backend: str) -> None:
    """A policy engine without a read filter is asked case by case; the pages agree."""
    if backend == "postgres":
        pytest.skip("the case-by-case path does not depend on the backend")
    cedar = pytest.importorskip("casekit.security.cedar", reason="cedarpy is not installed")
    built_in = secured(storage)
    for number in range(7):
        open_pdc(built_in, f"PDC-{number}")
    built_in.update(
        "PDC-3", lambda case: case.set_sensitivity(4, actor="intake", reason="x"), actor=INTAKE
    )
    app = secured(storage, cedar.CedarPolicy.from_policy(POLICY))
    for principal in (Principal("bob", {"caseworker"}, clearance=2), Principal("mallory")):
        assert app_listing_violations(app, principal, page_size=2) == []
        ids = [c.id for c in app.find_cases(actor=principal).items]
        assert ids == [c.id for c in built_in.find_cases(actor=principal).items]


def test_a_routing_queue_shows_only_the_cases_the_principal_may_read(storage: Storage) -> None:
    """issue 17 (filtered reads): queues return only what the principal may see."""
    app = secured(storage, audit_reads_from=4)
    for number in range(4):
        open_pdc(app, f"PDC-{number}")  # nobody staffs intake: all four wait
    app.update(
        "PDC-3",
        lambda case: case.set_sensitivity(4, actor=INTAKE.id, reason="names a minor"),
        actor=INTAKE,
    )
    low = Principal("bob", {"caseworker"}, clearance=2)
    high = Principal("bob", {"caseworker"}, clearance=5)
    assert [e.item_id for e in app.queue("benefits", actor=low)] == ["PDC-0", "PDC-1", "PDC-2"]
    assert [e.item_id for e in app.queue("benefits", actor=high)] == [f"PDC-{n}" for n in range(4)]
    assert app.queue("benefits", actor=Principal("mallory")) == []
    with storage.unit_of_work() as uow:  # the sensitive case listed to bob is logged
        reads = [e for e in uow.audit.entries("PDC-3") if e.action == "read"]
    assert [(e.actor, e.detail["listed"]) for e in reads] == [("bob", "queue")]
    with pytest.raises(CasekitError):
        app.queue("benefits", actor="bob")
    with pytest.raises(CasekitError):
        app.queue("nowhere", actor=high)
