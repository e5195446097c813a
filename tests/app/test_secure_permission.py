"""Changing what access depends on needs ``secure`` (issue 17): editing is not enough.

A case's sensitivity, location, org unit and work queue decide who may see it; a principal
who may edit the case must not be able to lower its sensitivity or move it out of a unit's
reach. The handler `security_needs_its_permission` asks for ``secure`` on top of whatever
the command asked.
"""

from __future__ import annotations

import pytest

from casekit.errors import AccessDenied
from casekit.security import AccessPolicy, Grant, Permission, Principal
from casekit.storage import Storage

from ._access import INTAKE, POLICY, open_pdc, secured

EDITOR = Principal("eve", {"editor"}, clearance=5)
SUPERVISOR = Principal("sam", {"supervisor"}, clearance=5)
EDITORS = AccessPolicy(
    [*POLICY.rules, Grant(name="editors edit", roles="editor", permissions=Permission.EDIT)]
)


def test_issue17_editing_a_case_does_not_let_anyone_lower_its_sensitivity(
    storage: Storage,
) -> None:
    app = secured(storage, EDITORS)
    open_pdc(app, "PDC-1")
    app.update(
        "PDC-1", lambda case: case.set_sensitivity(4, actor="intake", reason="x"), actor=INTAKE
    )
    with pytest.raises(AccessDenied, match="secure"):
        app.update(
            "PDC-1",
            lambda case: case.set_sensitivity(1, actor="eve", reason="tidy up"),
            actor=EDITOR,
        )
    with pytest.raises(AccessDenied, match="secure"):
        app.update("PDC-1", lambda case: case.set_location("elsewhere", actor="eve"), actor=EDITOR)
    stored = app.case("PDC-1", actor=SUPERVISOR)
    assert (stored.sensitivity, stored.location) == (4, None)
    with storage.unit_of_work() as uow:
        denied = uow.audit.entries("PDC-1")[-1]
    assert (denied.actor, denied.action, denied.detail["permission"]) == (
        "eve",
        "access_denied",
        "secure",
    )
    app.update(  # the editor may still edit what access does not depend on
        "PDC-1", lambda case: case.add_note("checked", author="eve"), actor=EDITOR
    )
    app.update(  # intake holds secure
        "PDC-1",
        lambda case: case.set_sensitivity(2, actor="intake", reason="reviewed"),
        actor=INTAKE,
    )
    assert app.case("PDC-1", actor=SUPERVISOR).sensitivity == 2


def test_no_one_sets_a_level_above_their_own_clearance(storage: Storage) -> None:
    app = secured(storage)
    open_pdc(app, "PDC-1")
    cleared_3 = Principal("ivy", {"intake"}, clearance=3)
    with pytest.raises(AccessDenied):
        app.update(
            "PDC-1",
            lambda case: case.set_sensitivity(5, actor="ivy", reason="a minor"),
            actor=cleared_3,
        )
    assert app.case("PDC-1", actor=SUPERVISOR).sensitivity == 1
