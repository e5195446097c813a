"""What the simulator announces beside the router's own events: arrivals, steps done, breaches.

Subscribe with [`Simulation.subscribe`][] to narrate a
run (a demo, a log) as it happens; offers, accepts, declines, timeouts and presence changes
come from the router's events (``simulation.router.subscribe``). Callbacks run synchronously
and must not call back into the simulation.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime

import attrs

__all__ = ["SimEvent", "SimEventKind", "SimSubscriber"]


class SimEventKind(enum.StrEnum):
    """What happened in the simulated office."""

    ARRIVED = "arrived"
    STEP_DONE = "step done"
    CASE_DONE = "case done"
    STEP_SLA_BREACHED = "step SLA breached"
    CASE_SLA_BREACHED = "case SLA breached"


@attrs.frozen
class SimEvent:
    """One simulation event.

    Attributes:
        kind: What happened.
        at: When (the simulation clock).
        item_id: The case.
        stage: The step concerned (the first step on arrival; ``None`` for a case's SLA).
        agent_id: Who did the step (for `SimEventKind.STEP_DONE`).
        detail: The next step, or the SLA target that was missed.
    """

    kind: SimEventKind
    at: datetime
    item_id: str
    stage: str | None = None
    agent_id: str | None = None
    detail: str | None = None


SimSubscriber = Callable[[SimEvent], None]
