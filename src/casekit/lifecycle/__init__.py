"""Lifecycles: declared as data, compiled once per case type, rendered as diagrams."""

from __future__ import annotations

from casekit.lifecycle.duties import performed_by, separated_from
from casekit.lifecycle.engine import ActionResult, CompiledLifecycle, Fireable
from casekit.lifecycle.mermaid import to_mermaid
from casekit.lifecycle.spec import (
    Action,
    ActionContext,
    ActionKind,
    Deferral,
    DeferredStep,
    Effect,
    Guard,
    Lifecycle,
    ParamsCheck,
)

__all__ = [
    "Action",
    "ActionContext",
    "ActionKind",
    "ActionResult",
    "CompiledLifecycle",
    "Deferral",
    "DeferredStep",
    "Effect",
    "Fireable",
    "Guard",
    "Lifecycle",
    "ParamsCheck",
    "performed_by",
    "separated_from",
    "to_mermaid",
]
