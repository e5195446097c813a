"""Notebook support: HTML snapshots, flat records and DataFrames of every part."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from casekit.cases import Owner, ProductDeliveryCase, cases_to_dataframe
from casekit.clock import ManualClock
from casekit.errors import ValidationError
from casekit.notebook import to_dataframe
from casekit.routing import Agent, Presence, Router, WorkItem

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
