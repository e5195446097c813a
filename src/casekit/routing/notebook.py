"""Rendering a router in notebooks: an HTML snapshot and plain records."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casekit.routing.router import Router

__all__ = ["agent_records", "item_records", "router_html"]


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
            "skills": ", ".join(f"{k}={v}" for k, v in sorted(status.agent.skills.items())),
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


def router_html(router: Router, *, rows: int = 20) -> str:
    """An HTML snapshot: fairness figures, the queue per priority and the busiest agents."""
    esc = html.escape
    metrics = router.metrics()
    queue = "".join(
        f"<tr><td>{esc(p.value)}</td><td>{s.length}</td>"
        f"<td>{esc(str(s.oldest_age or ''))}</td></tr>"
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
