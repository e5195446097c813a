"""Rendering a lifecycle as a Mermaid state diagram.

Rendered straight from the declaration, so a diagram never needs a machine bound to a case.
"""

from __future__ import annotations

import enum
import re

from casekit.lifecycle.spec import Lifecycle

__all__ = ["to_mermaid"]


def _node(status: enum.Enum) -> str:
    return re.sub(r"\W", "_", str(status.name))


def to_mermaid(lifecycle: Lifecycle[object]) -> str:
    """Return ``lifecycle`` as Mermaid ``stateDiagram-v2`` source.

    Statuses are shown by their display names; each action labels its arrows; final
    statuses lead to ``[*]``. Actions whose target depends on the case draw one arrow per
    possible target.
    """
    lines = ["---", f"title: {lifecycle.name}", "---", "stateDiagram-v2"]
    for status in lifecycle.statuses:
        lines.append(f'    state "{status.value}" as {_node(status)}')
    assert lifecycle.initial is not None
    lines.append(f"    [*] --> {_node(lifecycle.initial)}")
    for act in lifecycle.actions:
        for source in act.source:
            for target in act.possible_targets:
                lines.append(f"    {_node(source)} --> {_node(target)}: {act.name}")
    for status in lifecycle.statuses:
        if status in lifecycle.final:
            lines.append(f"    {_node(status)} --> [*]")
    return "\n".join(lines) + "\n"
