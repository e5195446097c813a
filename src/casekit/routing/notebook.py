"""Rendering a router in notebooks: an HTML snapshot and plain records.

Presentation code, imported by the router's methods that need it (``to_records``,
``_repr_html_``), never when [`casekit.routing`][] is imported. Skills are written one way
everywhere: ``"case_manager=2, spanish=1"``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING

from casekit.errors import ValidationError

if TYPE_CHECKING:
    from casekit.routing.router import Router

__all__ = [
    "ROUTER_TABLES",
    "agent_records",
    "item_records",
    "queue_records",
    "router_html",
    "router_records",
    "skills_text",
]

ROUTER_TABLES = ("agents", "items", "queue")
"""The tables [`Router.to_records`][] gives."""


def skills_text(skills: Mapping[str, int]) -> str:
    """Skills as one cell: ``"case_manager=2, spanish=1"``, sorted by name."""
    return ", ".join(f"{name}={level}" for name, level in sorted(skills.items()))


def router_records(router: Router, table: str) -> list[dict[str, object]]:
    """``router.to_records(table)``.

    Raises:
        ValidationError: For a table other than agents, items or queue.
    """
    if table == "agents":
        return agent_records(router)
    if table == "items":
        return item_records(router)
    if table == "queue":
        return queue_records(router)
    raise ValidationError(f"unknown table {table!r}; allowed: {', '.join(ROUTER_TABLES)}")


def agent_records(router: Router) -> list[dict[str, object]]:
    """One flat record per agent (``pandas.DataFrame(agent_records(router))``)."""
    return [
        {
            "agent_id": status.agent.id,
            "presence": status.presence.value,
            "capacity": status.agent.capacity,
            "load": status.load,
            "load_ratio": status.load_ratio,
            "offered": len(status.offered),
            "accepted": len(status.accepted),
            "pinned": len(status.pinned),
            "skills": skills_text(status.agent.skills),
        }
        for status in router.agents()
    ]


def item_records(router: Router) -> list[dict[str, object]]:
    """One flat record per item in the router."""
    return [
        {
            "item_id": status.item.id,
            "state": status.state.value,
            "agent_id": status.agent_id,
            "priority": status.priority.value,
            "stage": status.item.stage,
            "weight": status.item.weight,
            "deadline": status.deadline,
            "declined_by": ", ".join(status.declined_by),
        }
        for status in router.items()
    ]


def queue_records(router: Router) -> list[dict[str, object]]:
    """One flat record per item Awaiting Assignment, in the order it is served."""
    return [
        {
            "item_id": entry.item_id,
            "priority": entry.priority.value,
            "created_at": entry.created_at,
            "queued_at": entry.queued_at,
            "stage": entry.stage,
            "skills": skills_text(entry.skills),
            "weight": entry.weight,
        }
        for entry in router.queue()
    ]


def router_html(router: Router, *, rows: int = 20) -> str:
    """An HTML snapshot: fairness figures, the queue per priority and the busiest agents."""
    esc = html.escape
    metrics = router.metrics()
    queue = "".join(
        f"<tr><td>{esc(p.value)}</td><td>{s.length}</td>"
        f"<td>{'' if s.oldest_age is None else esc(str(s.oldest_age))}</td></tr>"
        for p, s in sorted(metrics.queue.items(), key=lambda kv: -kv[0].rank)
    )
    busiest = sorted(agent_records(router), key=lambda r: -float(str(r["load_ratio"])))[:rows]
    agents = "".join(
        f"<tr><td>{esc(str(r['agent_id']))}</td><td>{esc(str(r['presence']))}</td>"
        f"<td>{r['load']}/{r['capacity']}</td><td>{r['offered']}</td><td>{r['accepted']}</td>"
        f"<td>{r['pinned']}</td></tr>"
        for r in busiest
    )
    return (
        f"<div class='casekit-router'><h4>Router ({esc(router.policy.name)}): "
        f"{len(router)} items, {metrics.queue_length} awaiting assignment</h4>"
        f"<p>Available agents: {len(metrics.loads)}; load-ratio spread {metrics.spread:.3f}; "
        f"Jain's index {metrics.jain:.3f}</p>"
        "<table><tr><th>priority</th><th>waiting</th><th>oldest</th></tr>"
        f"{queue}</table>"
        "<table><tr><th>agent</th><th>presence</th><th>load</th><th>offered</th>"
        f"<th>accepted</th><th>pinned</th></tr>{agents}</table></div>"
    )
