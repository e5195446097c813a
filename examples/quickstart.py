"""casekit in one screen: an application becomes an integrated case and a benefit.

A client applies for two programs; the application is submitted, its evidence verified,
one program approved and one denied; disposing it creates an Integrated Case and a Product
Delivery Case, which the supervisor approves and the caseworker activates. A refused action
shows what casekit tells you and that nothing changed. The benefit is suspended while the
client is abroad; lifting the suspension sends it back to Open, so it is submitted, approved
by the supervisor and activated again: it ends Active.

Run it: ``python examples/quickstart.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from casekit import GuardRejected, InvalidTransition, ManualClock
from casekit.cases import ApplicationCase, Owner, ProductDeliveryCase, ReportingLines


def main() -> None:
    """Walk one application through to an active benefit."""
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    org = ReportingLines({Owner.user("ana"): Owner.user("sam")})  # ana reports to sam

    app = ApplicationCase.create(
        id="APP-1001",
        registered_by="ana",  # default ownership: who registered the primary client
        org=org,
        primary_client="client-42",
        programs=["Basic Allowance", "Housing Support"],
        required_evidence={"income"},
        clock=clock,
    )
    app.submit(actor="ana")
    app.submission_succeeded(actor="system")
    try:
        app.mark_ready(actor="ana")
    except GuardRejected as refused:
        print(f"refused: {refused}")

    income = app.add_evidence("income", {"monthly": "950.00"}, date(2026, 1, 1), actor="ana")
    app.verify_evidence(income.evidence_id, actor="ana")
    app.mark_ready(actor="ana")
    app.approve_program("Basic Allowance", actor="ana")
    app.deny_program("Housing Support", actor="ana")
    disposal = app.dispose(actor="ana")
    print(
        f"{app.id} is {app.status.value}: created {disposal.integrated_case.id} and "
        f"{', '.join(p.id for p in disposal.product_delivery_cases)}"
    )

    pdc: ProductDeliveryCase = disposal.product_delivery_cases[0]
    clock.advance(timedelta(days=1))
    pdc.submit(actor="ana")
    pdc.approve(actor="sam")  # the supervisor, resolved from ana's reporting line
    pdc.activate(actor="ana")
    try:
        pdc.activate(actor="ana")
    except InvalidTransition as refused:
        print(f"refused: {refused}")
    clock.advance(timedelta(days=30))
    pdc.suspend(actor="ana", reason="client abroad")
    clock.advance(timedelta(days=14))
    pdc.unsuspend(actor="ana")  # back to Open: it must be approved and activated again
    pdc.submit(actor="ana")
    pdc.approve(actor="sam")
    pdc.activate(actor="ana")

    print(
        f"\n{pdc.id} ({pdc.product}) is {pdc.status.value}; "
        f"next: {', '.join(pdc.available_actions())}"
    )
    for change in pdc.history:
        reason = f" ({change.reason})" if change.reason else ""
        print(
            f"  {change.at:%Y-%m-%d %H:%M}  {change.from_status} → {change.to_status}"
            f"  [{change.action} by {change.actor}]{reason}"
        )
    print("\n" + ProductDeliveryCase.to_mermaid())


if __name__ == "__main__":
    main()
