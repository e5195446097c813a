"""Access control in the application: every command checked, denials audited, nothing changed."""

from __future__ import annotations

from datetime import date

import pytest

from casekit.app import Application
from casekit.cases import Owner, ProductDeliveryCase
from casekit.demo.benefits import PRODUCT
from casekit.demo.config import DOMAINS, ROUTING
from casekit.errors import AccessDenied, CasekitError, SeparationOfDuties, ValidationError
from casekit.priority import Priority
from casekit.routing import Agent, Presence
from casekit.security import AccessPolicy, Grant, Permission, Principal, Relationship
from casekit.storage import Storage

P = Permission
R = Relationship

POLICY = AccessPolicy(
    [
        Grant(name="intake opens", roles="intake", permissions={P.CREATE, P.READ}),
        Grant(name="staff read", roles={"caseworker", "supervisor"}, permissions=P.READ),
        Grant(
            name="caseworkers work their cases",
            roles="caseworker",
            permissions={P.PERFORM, P.EDIT, P.ROUTE},
            actions={"submit", "activate"},
            relationship=R.OWNER | R.MEMBER,
        ),
        Grant(
            name="caseworkers take offered work",
            roles="caseworker",
            permissions={P.ROUTE, P.EDIT},
        ),
        Grant(
            name="supervisors decide",
            roles="supervisor",
            permissions={P.PERFORM, P.ROUTE},
            case_types="Product Delivery Case",
            actions={"approve", "reject"},
            relationship=R.SUPERVISOR,
        ),
        Grant(name="supervisors take approvals", roles="supervisor", permissions=P.ROUTE),
    ]
)

INTAKE = Principal("intake", {"intake"})
ANA = Principal("ana", {"caseworker"})
SAM = Principal("sam", {"supervisor"})
NOBODY = Principal("mallory")  # no roles: default deny


@pytest.fixture
def secured(storage: Storage) -> Application:
    app = Application(
        storage,
        name="office",
        routing=ROUTING,
        domains=DOMAINS,
        products=[PRODUCT],
        clock=storage.clock,
        policy=POLICY,
    )
    app.add_agent("benefits", Agent("ana", {"intake": 1}), Presence.AVAILABLE, actor=SAM)
    app.add_agent("benefits", Agent("sam", {"approval": 1}), Presence.AVAILABLE, actor=SAM)
    return app


def open_case(app: Application, case_id: str) -> str:
    return app.open_case(
        ProductDeliveryCase,
        actor=INTAKE,
        id=case_id,
        product=PRODUCT.name,
        primary_client=f"client-{case_id}",
        owner=Owner.user("intake"),
        supervisor=Owner.user("sam"),
    )


def trail(storage: Storage, case_id: str) -> list[tuple[str, str]]:
    with storage.unit_of_work() as uow:
        return [(entry.actor, entry.action) for entry in uow.audit.entries(case_id)]


def outbox_size(storage: Storage) -> int:
    with storage.unit_of_work() as uow:
        return uow.outbox.count()


def test_the_usual_path_is_allowed_and_routing_still_follows(secured: Application) -> None:
    case_id = open_case(secured, "PDC-S1")
    secured.accept(case_id, ANA)  # ana owns it now
    secured.add_evidence(case_id, "income", {"monthly": "300.00"}, date(2026, 3, 1), actor=ANA)
    secured.perform(case_id, "submit", actor=ANA)
    secured.accept(case_id, SAM)
    secured.perform(case_id, "approve", actor=SAM)
    assert secured.case(case_id, actor=ANA).status.value == "Approved"
    assert secured.routing_status(case_id, actor=SAM) is None


def test_a_caseworker_may_not_approve_and_the_denial_is_audited(
    secured: Application, storage: Storage
) -> None:
    case_id = open_case(secured, "PDC-S2")
    secured.accept(case_id, ANA)
    secured.perform(case_id, "submit", actor=ANA)
    before = secured.case(case_id, actor=ANA)
    entries = trail(storage, case_id)
    records = outbox_size(storage)
    published: list[object] = []
    secured.subscribe(published.append)
    with pytest.raises(AccessDenied) as denied:
        secured.perform(case_id, "approve", actor=ANA)
    assert isinstance(denied.value, CasekitError)
    assert "default deny" in str(denied.value)
    after = secured.case(case_id, actor=ANA)
    assert (after.status, after.version) == (before.status, before.version)  # nothing changed
    assert outbox_size(storage) == records
    assert published == []
    assert trail(storage, case_id) == [*entries, ("ana", "access_denied")]
    storage.verify_audit(case_id)  # the denial is in the hash chain


def test_separation_of_duties_still_holds_for_an_allowed_principal(secured: Application) -> None:
    # sam is the supervisor and may approve, but not a case he submitted himself.
    case_id = open_case(secured, "PDC-S3")
    secured.accept(case_id, ANA)
    secured.perform(case_id, "submit", actor=ANA)
    secured.perform(case_id, "approve", actor=SAM)
    assert secured.case(case_id, actor=SAM).status.value == "Approved"
    with pytest.raises(AccessDenied):  # not his to activate
        secured.perform(case_id, "activate", actor=SAM)
    with pytest.raises(SeparationOfDuties):
        app_approves_own_submission(secured)


def app_approves_own_submission(app: Application) -> None:
    case_id = app.open_case(
        ProductDeliveryCase,
        actor=INTAKE,
        id="PDC-S3b",
        product=PRODUCT.name,
        primary_client="client-S3b",
        owner=Owner.user("sam"),
        supervisor=Owner.user("sam"),
    )
    staffed = Principal("sam", {"caseworker", "supervisor"})
    app.perform(case_id, "submit", actor=staffed)
    app.perform(case_id, "approve", actor=staffed)


def test_no_roles_no_access(secured: Application, storage: Storage) -> None:
    case_id = open_case(secured, "PDC-S4")
    for attempt in (
        lambda: secured.case(case_id, actor=NOBODY),
        lambda: secured.perform(case_id, "submit", actor=NOBODY),
        lambda: secured.set_priority(case_id, Priority.URGENT, actor=NOBODY),
        lambda: secured.accept(case_id, NOBODY),
        lambda: open_case_as(secured, NOBODY),
    ):
        with pytest.raises(AccessDenied):
            attempt()
    denied = [action for actor, action in trail(storage, case_id) if actor == "mallory"]
    assert denied == ["access_denied"] * 4  # the open of a case that never existed is not


def open_case_as(app: Application, who: Principal) -> None:
    app.open_case(
        ProductDeliveryCase,
        actor=who,
        id="PDC-NOPE",
        product=PRODUCT.name,
        primary_client="c",
        owner=Owner.user("x"),
    )


def test_a_free_string_is_refused_where_a_principal_is_needed(secured: Application) -> None:
    case_id = open_case(secured, "PDC-S5")
    with pytest.raises(ValidationError, match="must be a Principal"):
        secured.perform(case_id, "submit", actor="ana")
    with pytest.raises(ValidationError, match="must be a Principal"):
        secured.case(case_id)
    with pytest.raises(ValidationError, match="must be a Principal"):
        secured.accept(case_id, "ana")
