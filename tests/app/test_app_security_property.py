"""The shipped property (casekit.testing.app_security) on the office with a policy."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from casekit.app import Application, Session
from casekit.priority import Priority
from casekit.security import Permission, Principal
from casekit.storage import Storage
from casekit.testing.app_security import (
    app_command_violations,
    app_commands,
    assert_app_respects_policy,
)

from ._access import DOC, open_pdc, open_tracker, secured

FEW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_no_denied_command_succeeds_or_leaves_a_trace(
    storage: Storage, sensitivity_levels: dict[str, int]
) -> None:
    app = secured(storage, audit_reads_from=3)
    open_pdc(app, "PDC-1")
    open_tracker(app, "MCO-1")
    sensitivity_levels["MCO-1"] = 4
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
