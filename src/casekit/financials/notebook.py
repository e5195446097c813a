"""Rendering a reassessment in a notebook: an HTML table of its lines and totals.

Presentation code, imported by ``Reassessment._repr_html_`` when a notebook shows one. Money
is written by [`casekit.money.Money.format`][].
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casekit.financials.reassessment import Reassessment

__all__ = ["reassessment_html"]


def reassessment_html(result: Reassessment, *, max_rows: int = 50) -> str:
    """An HTML card: outcome, period, totals and up to ``max_rows`` lines. O(lines)."""
    esc = html.escape
    period = str(result.period) if result.period else "none"
    head = "".join(
        f"<th>{name}</th>"
        for name in ("cover", "component", "nominee", "due", "paid", "earlier", "correction")
    )
    lines = result.lines
    rows = "".join(
        f"<tr><td>{esc(str(line.cover))}</td><td>{esc(line.component)}</td>"
        f"<td>{esc(line.nominee)}</td><td>{esc(line.due.format())}</td>"
        f"<td>{esc(line.paid.format())}</td><td>{esc(line.earlier.format())}</td>"
        f"<td>{esc(line.correction.format())}</td></tr>"
        for line in lines[:max_rows]
    )
    more = len(lines) - max_rows
    tail = f"<p>… {more} more lines</p>" if more > 0 else ""
    return (
        f"<div class='casekit-reassessment'><h4>Reassessment of {esc(result.case_id)}: "
        f"<em>{esc(result.outcome.value)}</em> {esc(result.net.format())}</h4>"
        f"<p>period {esc(period)}; trigger {esc(result.trigger.value)}; due "
        f"{esc(result.due.format())}, paid {esc(result.paid.format())}, earlier corrections "
        f"{esc(result.earlier.format())}</p><table><tr>{head}</tr>{rows}</table>{tail}</div>"
    )
