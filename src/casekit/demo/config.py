"""The demo office as an application: its routed steps, routing domain and product.

Product delivery cases are routed while they wait for a caseworker (``Open``: intake) and
for a supervisor (``Submitted``: approval); the Basic Allowance is the one product paid.
Tests and docs build the same application with [`office_application`][].
"""

from __future__ import annotations

from casekit.app import Application, CaseRouting, RoutedStep, RoutingDomain
from casekit.cases import ProductDeliveryCase
from casekit.clock import Clock
from casekit.demo.benefits import PRODUCT
from casekit.storage import Storage

__all__ = ["DOMAINS", "ROUTING", "office_application"]

ROUTING = (
    CaseRouting(
        ProductDeliveryCase,
        "benefits",
        steps=(
            RoutedStep("Open", {"intake": 1}, stage="Intake"),
            RoutedStep("Submitted", {"approval": 1}, stage="Approval"),
        ),
    ),
)
"""Which statuses of which case types wait in routing."""

DOMAINS = (RoutingDomain("benefits"),)
"""The office's one routing domain."""


def office_application(
    storage: Storage, *, clock: Clock | None = None, name: str = "office"
) -> Application:
    """The demo office's application on ``storage``."""
    return Application(
        storage, name=name, routing=ROUTING, domains=DOMAINS, products=[PRODUCT], clock=clock
    )
