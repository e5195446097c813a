"""The demo office as an application: the office's routed configuration, and the demo's own.

Two applications are configured here on the same product, the Basic Allowance:

- [`office_application`][]: the office as a service would run it. Product delivery cases
  are routed while they wait for a caseworker (``Open``: intake) and for a supervisor
  (``Submitted``: approval) in the durable routing domain ``benefits``. Tests and docs
  build it.
- [`demo_application`][]: what ``casekit demo`` runs on, with **no routing**. In the demo
  the people are simulated, and so is their routing: the simulator's own router offers the
  applications to its simulated staff, and the demo reports each accepted offer to the
  application as an owner assignment. Nobody in the simulation would answer an offer of
  the durable router, and a PDC the demo opens is submitted, approved and activated at
  once when its application is disposed of, so routing PDCs would only journal offers
  nobody sees. The simplest truthful thing is an application that routes nothing, and
  says so. It checks every command against the office's access policy
  (`casekit.demo.access`) and logs every read of a case at sensitivity 4 (every
  investigation).
"""

from __future__ import annotations

from casekit.app import Application, CaseRouting, RoutedStep, RoutingDomain
from casekit.cases import ProductDeliveryCase
from casekit.clock import Clock
from casekit.demo.access import INVESTIGATION_SENSITIVITY, office_policy
from casekit.demo.benefits import PRODUCT
from casekit.storage import Storage

__all__ = ["DOMAINS", "ROUTING", "demo_application", "office_application"]

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
    """The demo office's application on ``storage``, its PDCs routed."""
    return Application(
        storage, name=name, routing=ROUTING, domains=DOMAINS, products=[PRODUCT], clock=clock
    )


def demo_application(
    storage: Storage, *, clock: Clock | None = None, name: str = "demo"
) -> Application:
    """The application ``casekit demo`` runs on: it pays the Basic Allowance, routes nothing.

    Every command is checked against the office's policy (`casekit.demo.access`), so it
    takes a `Principal`; reads of cases at sensitivity 4 (investigations) are logged.

    Args:
        storage: Where the demo's cases, ledger, audit trail and outbox go.
        clock: The simulation's clock (cases loaded from storage read the time from it).
        name: The application's name (the outbox's CloudEvents source is ``/casekit/<name>``).
    """
    return Application(
        storage,
        name=name,
        products=[PRODUCT],
        clock=clock,
        policy=office_policy(),
        audit_reads_from=INVESTIGATION_SENSITIVITY,
    )
