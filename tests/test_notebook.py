"""Notebook support: HTML snapshots, flat records and DataFrames of every part."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from casekit.cases import (
    CorrectionOutcome,
    Owner,
    PaymentCorrectionCase,
    ProductDeliveryCase,
    cases_to_dataframe,
)
from casekit.clock import ManualClock
from casekit.errors import ValidationError
from casekit.financials import (
    Decision,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    Ledger,
    Nominees,
    Period,
    build_schedule,
    reassess,
    simulate,
)
from casekit.money import Money
from casekit.notebook import to_dataframe
from casekit.routing import Agent, Presence, Router, WorkItem
from casekit.sim import AgentSpec, Fixed, Poisson, Scenario, Stage, compare

pd = pytest.importorskip("pandas")


def _router() -> Router:
    router = Router(clock=ManualClock(datetime(2026, 3, 2, 9, tzinfo=UTC)))
    router.add_agent(Agent("ana", {"case_manager": 1}, capacity=1), Presence.AVAILABLE)
    router.submit(WorkItem("C-1", {"case_manager": 1}))
    router.submit(WorkItem("C-2", {"case_manager": 1}))
    return router


def test_router_records_and_dataframes_per_table() -> None:
    router = _router()
    agents = router.to_dataframe("agents")
    assert list(agents["agent_id"]) == ["ana"]
    assert list(agents["load"]) == [1]
    assert list(router.to_dataframe("items")["state"]) == ["Offered", "Awaiting Assignment"]
    assert [r["item_id"] for r in router.to_records("queue")] == ["C-2"]
    with pytest.raises(ValidationError, match="allowed: agents, items, queue"):
        router.to_records("offers")


def test_router_renders_an_html_snapshot() -> None:
    html = _router()._repr_html_()
    assert "1 awaiting assignment" in html
    assert "ana" in html


def test_cases_to_dataframe_has_one_row_per_case() -> None:
    clock = ManualClock()
    cases = [
        ProductDeliveryCase.create(
            product="Basic Allowance",
            primary_client=f"client-{n}",
            owner=Owner.user("ana"),
            clock=clock,
        )
        for n in range(3)
    ]
    frame = cases_to_dataframe(cases)
    assert list(frame["id"]) == [c.id for c in cases]
    assert set(frame["status"]) == {"Open"}
    assert "<em>Open</em>" in cases[0]._repr_html_()


def test_to_dataframe_of_any_records() -> None:
    frame = to_dataframe([{"a": 1}, {"a": 2}])
    assert list(frame["a"]) == [1, 2]


# ----- one convention for every table-like object: to_records() / to_dataframe() / HTML


def _pdc(clock: ManualClock, case_id: str = "PDC-7") -> ProductDeliveryCase:
    return ProductDeliveryCase.create(
        id=case_id,
        product="Basic Allowance",
        primary_client="client-1",
        owner=Owner.user("ana"),
        supervisor=Owner.user("sam"),
        clock=clock,
    )


def test_a_case_gives_records_and_dataframes_like_every_other_table() -> None:
    pdc = _pdc(ManualClock())
    pdc.submit(actor="ana")
    pdc.approve(actor="sam")
    (summary,) = pdc.to_records()
    assert summary["id"] == "PDC-7"
    assert summary["product"] == "Basic Allowance"
    assert pdc.to_record() == summary  # the one-record form stays
    frame = pdc.to_dataframe()
    assert list(frame["status"]) == ["Approved"]
    history = pdc.to_dataframe("history")
    assert list(history["to_status"]) == ["Submitted", "Approved"]
    assert list(history["actor"]) == ["ana", "sam"]
    with pytest.raises(ValidationError, match="allowed: summary, history"):
        pdc.to_records("tasks")


def test_a_reassessment_gives_a_dataframe_of_its_lines() -> None:
    jan, apr30 = date(2026, 1, 1), date(2026, 4, 30)
    mar16 = date(2026, 3, 16)

    def rates(start: date, end: date, basic: str) -> Decision:
        return Decision(Period(start, end), True, {"basic": Money(basic, "EUR")})

    old = Entitlement(DeterminationSet([rates(jan, apr30, "600.00")], "EUR"))
    new = Entitlement(
        DeterminationSet(
            [rates(jan, date(2026, 3, 15), "600.00"), rates(mar16, apr30, "450.00")], "EUR"
        )
    )
    pattern, nominees = DeliveryPattern.monthly(1), Nominees("client-1")
    ledger = Ledger("EUR")
    for line in build_schedule(old.determinations, pattern, nominees, Period(jan, apr30)):
        ledger.record_paid(line, reference=f"PAY-{line.cover.start:%m}")
    result = reassess("PDC-7", old=old, new=new, ledger=ledger, pattern=pattern, nominees=nominees)
    frame = result.to_dataframe()
    assert list(frame.columns) == list(result.to_records()[0])
    assert list(frame["component"]) == ["basic", "basic"]
    assert sum(frame["correction"]) == result.net.amount == Decimal("-227.42")
    assert set(frame["currency"]) == {"EUR"}
    assert "-€227.42" in result._repr_html_()


def test_a_payment_simulation_gives_a_dataframe_with_its_currency() -> None:
    rates = {"basic": Money("600.00", "EUR")}
    entitlement = Entitlement(
        DeterminationSet(
            [Decision(Period(date(2026, 1, 1), date(2026, 4, 30)), True, rates)], "EUR"
        )
    )
    due = simulate(
        date(2026, 2, 1),
        entitlement=entitlement,
        pattern=DeliveryPattern.monthly(1),
        nominees=Nominees("client-1"),
    )
    frame = due.to_dataframe()
    assert list(frame["payee"]) == ["client-1"]
    assert set(frame["currency"]) == {"EUR"}
    assert list(frame.columns) == list(due.to_records()[0])


def test_a_scenario_comparison_gives_a_dataframe() -> None:
    base = Scenario(
        agents=[AgentSpec("a1", {"work": 1})],
        stages=[Stage("Work", {"work": 1}, Fixed(timedelta(minutes=10)))],
        arrivals=Poisson(2.0),
    )
    both = compare({"one": base, "two": base.evolve(push_timeout=None)}, timedelta(hours=4))
    frame = both.to_dataframe()
    assert list(frame["scenario"]) == ["one", "two"]
    assert list(frame.columns) == list(both.to_records()[0])


def test_the_router_shows_an_age_of_zero_as_zero() -> None:
    html = _router()._repr_html_()  # C-2 was queued just now
    assert "<td>Normal</td><td>1</td><td>0:00:00</td>" in html


def test_queue_and_agents_write_skills_the_same_way() -> None:
    router = _router()
    (agent,) = router.to_records("agents")
    (queued,) = router.to_records("queue")
    assert agent["skills"] == queued["skills"] == "case_manager=1"
    assert queued["priority"] == "Normal"  # plain values, as in the items table


def test_a_payment_correction_card_shows_its_net_amount_and_the_pdc_it_corrects() -> None:
    clock = ManualClock()
    pdc = _pdc(clock, "PDC-17")
    pcc = PaymentCorrectionCase.open_for(
        pdc,
        outcome=CorrectionOutcome.OVERPAYMENT,
        net=Money("-1172.58", "EUR"),
        lines=[],
        actor="ana",
    )
    card = pcc._repr_html_()
    assert "<th style='text-align:left'>corrects</th><td>PDC-17</td>" in card
    assert "<th style='text-align:left'>net</th><td>-€1,172.58</td>" in card
    (record,) = pcc.to_records()
    assert record["corrects"] == "PDC-17"
    assert record["net"] == Decimal("-1172.58")
    assert record["currency"] == "EUR"
    assert record["outcome"] == "Overpayment"


def test_presentation_code_is_imported_only_when_used() -> None:
    code = (
        "import sys\n"
        "import casekit, casekit.cases, casekit.routing, casekit.financials\n"
        "loaded = sorted(m for m in sys.modules if m.endswith('.notebook'))\n"
        "assert loaded == ['casekit.notebook'] or loaded == [], loaded\n"
        "from casekit.cases import cases_to_dataframe\n"
        "assert 'casekit.cases.notebook' in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
