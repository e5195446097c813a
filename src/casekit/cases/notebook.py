"""Rendering cases in notebooks: the HTML card and flat records.

Presentation code, imported by the methods that need it (``Case._repr_html_``,
``Case.to_records``), never when [`casekit.cases`][] is imported.

A case's record holds what every case has (id, type, status, owner, ...) and what its type
adds ([`summary_fields`][casekit.cases.Case.summary_fields]: a PDC's product, a Payment Correction
Case's net amount and the PDC it corrects). In records a money value becomes its Decimal
amount and a ``currency`` column; the card shows it the way [`casekit.money.Money.format`][]
writes money.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from casekit.errors import ValidationError
from casekit.money import Money
from casekit.notebook import to_dataframe

if TYPE_CHECKING:
    import pandas as pd

    from casekit.cases.base import Case

__all__ = [
    "CASE_TABLES",
    "case_html",
    "case_records",
    "case_summary",
    "cases_to_dataframe",
    "cases_to_records",
]

CASE_TABLES = ("summary", "history")
"""The tables [`Case.to_records`][] gives: one summary row, or one row per status change."""


def _fields(case: Case[Any]) -> dict[str, object]:
    """The summary with money values as Money (the card formats them, records flatten them)."""
    return {
        "id": case.id,
        "case_type": type(case).case_type,
        "status": case.status.value,
        "priority": case.priority.value,
        "owner": str(case.roles.owner),
        "supervisor": str(case.roles.supervisor) if case.roles.supervisor else None,
        "primary_client": case.primary_client_id,
        **case.summary_fields(),
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "history_length": len(case.history),
        "open_tasks": sum(1 for t in case.tasks if t.status.value == "Open"),
    }


def case_summary(case: Case[Any]) -> dict[str, object]:
    """One flat record of a case: what a table row or a DataFrame row needs."""
    record: dict[str, object] = {}
    for key, value in _fields(case).items():
        if isinstance(value, Money):
            record[key] = value.amount
            record["currency"] = value.currency
        else:
            record[key] = value
    return record


def case_records(case: Case[Any], table: str = "summary") -> list[dict[str, object]]:
    """``case.to_records(table)``: one summary record, or one record per status change.

    Raises:
        ValidationError: For a table other than ``"summary"`` or ``"history"``.
    """
    if table == "summary":
        return [case_summary(case)]
    if table == "history":
        return [
            {
                "case_id": h.case_id,
                "at": h.at,
                "from_status": h.from_status,
                "to_status": h.to_status,
                "action": h.action,
                "actor": h.actor,
                "reason": h.reason,
            }
            for h in case.history
        ]
    raise ValidationError(f"{case.id} has no table {table!r}; allowed: {', '.join(CASE_TABLES)}")


def cases_to_records(cases: Iterable[Case[Any]]) -> list[dict[str, object]]:
    """Flat records of many cases (``pandas.DataFrame(cases_to_records(cases))``)."""
    return [case_summary(case) for case in cases]


def cases_to_dataframe(cases: Iterable[Case[Any]]) -> pd.DataFrame:
    """A pandas DataFrame of many cases, one row each (needs pandas).

    Raises:
        MissingExtra: pandas is not installed.
    """
    return to_dataframe(cases_to_records(cases), what="cases")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Money):
        return value.format()
    return str(value)


def case_html(case: Case[Any], *, history_rows: int = 10) -> str:
    """An HTML card for a case: summary, next actions and the latest history entries."""
    esc = html.escape
    rows = "".join(
        f"<tr><th style='text-align:left'>{esc(k.replace('_', ' '))}</th>"
        f"<td>{esc(_cell(v))}</td></tr>"
        for k, v in _fields(case).items()
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
