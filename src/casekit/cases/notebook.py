"""Rendering cases in notebooks: ``_repr_html_`` and plain records."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from casekit.cases.base import Case
from casekit.notebook import to_dataframe

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["case_html", "case_summary", "cases_to_dataframe", "cases_to_records"]


def case_summary(case: Case[Any]) -> dict[str, object]:
    """One flat record of a case: what a table row or a DataFrame row needs."""
    return {
        "id": case.id,
        "case_type": type(case).case_type,
        "status": case.status.value,
        "priority": case.priority.value,
        "owner": str(case.roles.owner),
        "supervisor": str(case.roles.supervisor) if case.roles.supervisor else None,
        "primary_client": case.primary_client_id,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "history_length": len(case.history),
        "open_tasks": sum(1 for t in case.tasks if t.status.value == "Open"),
    }


def cases_to_records(cases: Iterable[Case[Any]]) -> list[dict[str, object]]:
    """Flat records of many cases (``pandas.DataFrame(cases_to_records(cases))``)."""
    return [case_summary(case) for case in cases]


def cases_to_dataframe(cases: Iterable[Case[Any]]) -> pd.DataFrame:
    """A pandas DataFrame of many cases, one row each (needs pandas).

    Raises:
        MissingExtra: pandas is not installed.
    """
    return to_dataframe(cases_to_records(cases), what="cases")


def case_html(case: Case[Any], *, history_rows: int = 10) -> str:
    """An HTML card for a case: summary, next actions and the latest history entries."""
    esc = html.escape
    summary = case_summary(case)
    rows = "".join(
        f"<tr><th style='text-align:left'>{esc(k.replace('_', ' '))}</th>"
        f"<td>{esc(str(v))}</td></tr>"
        for k, v in summary.items()
    )
    actions = ", ".join(case.available_actions()) or "none (final)"
    history = "".join(
        f"<tr><td>{esc(h.at.strftime('%Y-%m-%d %H:%M'))}</td><td>{esc(h.from_status)}</td>"
        f"<td>{esc(h.to_status)}</td><td>{esc(h.action)}</td><td>{esc(h.actor)}</td>"
        f"<td>{esc(h.reason or '')}</td></tr>"
        for h in case.history[-history_rows:]
    )
    return (
        f"<div class='casekit-case'><h4>{esc(type(case).case_type)} {esc(case.id)}: "
        f"<em>{esc(case.status.value)}</em></h4><table>{rows}</table>"
        f"<p>next actions: {esc(actions)}</p>"
        "<table><tr><th>at</th><th>from</th><th>to</th><th>action</th><th>actor</th>"
        f"<th>reason</th></tr>{history}</table></div>"
    )
