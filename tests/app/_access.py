"""Shared set-up of the access tests: a policy, its principals, a documented tracker case.

The tracker case is the MCO example's (examples/mco_tracker.py, loaded once as the module
``mco_tracker`` as the classification tests load it): its documentation seals an SSN and
an MA number, so it holds sealed values the application can reveal.

Cases may carry no sensitivity of their own: the ``sensitivity_levels`` fixture (conftest)
makes ``CaseResource.of`` report the levels a test sets, on top of whatever the case says.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys
from types import ModuleType
from typing import Any

import attrs

from casekit.app import Application
from casekit.cases import Owner, ProductDeliveryCase
from casekit.classification import Sensitive, document
from casekit.demo.benefits import PRODUCT
from casekit.demo.config import DOMAINS, ROUTING
from casekit.security import (
    AccessPolicy,
    Authorizer,
    Grant,
    Permission,
    Principal,
    Relationship,
)
from casekit.storage import Storage
from casekit.storage.ports import AuditEntry

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "mco_tracker.py"

P = Permission
R = Relationship

POLICY = AccessPolicy(
    [
        Grant(
            name="intake opens, documents and classifies",
            roles="intake",
            permissions={P.CREATE, P.EDIT, P.SECURE},
        ),
        Grant(name="staff read", roles={"caseworker", "supervisor"}, permissions=P.READ),
        Grant(name="owners reveal", roles="caseworker", permissions=P.REVEAL, relationship=R.OWNER),
        Grant(
            name="supervisors assign",
            roles="supervisor",
            permissions=P.ASSIGN,
            relationship=R.SUPERVISOR,
        ),
        Grant(name="on call may break the glass", roles="on-call", permissions=P.BREAK_GLASS),
    ]
)

INTAKE = Principal("intake", {"intake"}, clearance=5)
ANA = Principal("ana", {"caseworker"}, clearance=5)  # owns the cases: reads and reveals
BOB = Principal("bob", {"caseworker"}, clearance=5)  # reads, may not reveal
SAM = Principal("sam", {"supervisor"}, clearance=5)  # supervises: reads, assigns
DOC = Principal("doc", {"on-call"}, clearance=5)  # no access, but may break the glass
NOBODY = Principal("mallory", clearance=5)  # no roles

SSN = "123-45-6789"
VALUES = {"Participant Name(s)": "Jo Doe", "MA": "MA-55501234", "SSN": SSN, "Requested MCO": "Jai"}


def tracker() -> ModuleType:
    """The MCO tracker example, loaded once per process."""
    module = sys.modules.get("mco_tracker")
    if module is None:
        spec = importlib.util.spec_from_file_location("mco_tracker", EXAMPLE)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["mco_tracker"] = module
        spec.loader.exec_module(module)
    return module


def secured(storage: Storage, policy: Authorizer = POLICY, **options: Any) -> Application:
    """The office application with ``policy`` (and ``options``) on ``storage``."""
    return Application(
        storage,
        name="office",
        routing=ROUTING,
        domains=DOMAINS,
        products=[PRODUCT],
        clock=storage.clock,
        policy=policy,
        **options,
    )


def open_pdc(app: Application, case_id: str) -> str:
    return app.open_case(
        ProductDeliveryCase,
        actor=INTAKE,
        id=case_id,
        product=PRODUCT.name,
        primary_client=f"client-{case_id}",
        owner=Owner.user("ana"),
        supervisor=Owner.user("sam"),
    )


def open_tracker(app: Application, case_id: str, *, actor: Principal | str = INTAKE) -> Sensitive:
    """Open and document a tracker case owned by ana; return its sealed SSN."""
    mco = tracker()
    app.open_case(
        mco.TrackerCase,
        actor=actor,
        id=case_id,
        owner=Owner.user("ana"),
        supervisor=Owner.user("sam"),
    )

    def documented(case: Any) -> object:
        return document(case, mco.TAXONOMY, "MCT Span", VALUES, actor="intake", vault=app.vault)

    app.update(case_id, documented, actor=actor)
    case = app.case(case_id, actor=ANA if app.policy is not None else "ana")
    ssn = case.documentation.get("SSN")
    assert isinstance(ssn, Sensitive)
    return ssn


def entries(storage: Storage, case_id: str) -> list[AuditEntry]:
    with storage.unit_of_work() as uow:
        return uow.audit.entries(case_id)


def trail(storage: Storage, case_id: str) -> list[tuple[str, str]]:
    return [(entry.actor, entry.action) for entry in entries(storage, case_id)]


def outbox_types(storage: Storage) -> list[str]:
    with storage.unit_of_work() as uow:
        return [record.type for record in uow.outbox.pending(limit=10_000)]


def stored_text(storage: Storage, case_id: str) -> str:
    """Everything stored about a case's trail and the outbox, as one text."""
    with storage.unit_of_work() as uow:
        audit = [attrs.asdict(entry) for entry in uow.audit.entries(case_id)]
        outbox = [attrs.asdict(record) for record in uow.outbox.pending(limit=10_000)]
    return json.dumps([audit, outbox], default=str)
