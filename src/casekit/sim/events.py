"""What the simulator announces beside the router's own events: arrivals, steps done, breaches.

Also absences and the work they move, and cases abandoning (the scenario's ``patience``).

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
    ABSENCE_STARTED = "absence started"
    ABSENCE_ENDED = "absence ended"
    WORK_DELEGATED = "work delegated"
    WORK_RETURNED = "work returned to queue"
    WORK_KEPT = "work kept"
    ABANDONED = "abandoned"


@attrs.frozen
class SimEvent:
    """One simulation event.

    Attributes:
        kind: What happened.
        at: When (the simulation clock).
        item_id: The case (``""`` for an absence's start or end, which concern an agent).
        stage: The step concerned (the first step on arrival; the step given up at for
            `SimEventKind.ABANDONED`; ``None`` for a case's SLA).
        agent_id: Who did the step (for `SimEventKind.STEP_DONE`); the absent agent for an
            absence and for work it moved or kept.
        detail: The next step, or the SLA target that was missed; the kind of absence
            (``"planned leave"``, ``"sick"``); where moved work went (the delegate, the
            queue).
    """

    kind: SimEventKind
    at: datetime
    item_id: str
    stage: str | None = None
    agent_id: str | None = None
    detail: str | None = None


SimSubscriber = Callable[[SimEvent], None]
