"""Lifecycles: declared as data, compiled once per case type, rendered as diagrams."""

from __future__ import annotations

from casekit.lifecycle.engine import ActionResult, CompiledLifecycle, Fireable
from casekit.lifecycle.mermaid import to_mermaid
from casekit.lifecycle.spec import Action, ActionContext, Effect, Guard, Lifecycle

__all__ = [
    "Action",
    "ActionContext",
    "ActionResult",
    "CompiledLifecycle",
    "Effect",
    "Fireable",
    "Guard",
    "Lifecycle",
    "to_mermaid",
]
