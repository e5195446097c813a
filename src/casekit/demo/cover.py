"""Cover for absences: a supervisor hands an absent caseworker's open cases to their delegate.

The simulator keeps the office's absences (`casekit.demo.office.office_absences`): while a
caseworker is away they get no offers, and the steps they were working go where the
office's absence rule says — to their delegate, or back to the queue. [`Cover`][] tells the
demo's application the same story: when planned leave with a delegate begins, the absent
caseworker's supervisor moves every open case they own to the delegate as one audited batch
(`Application.reassign_all`, allowed by the policy's "supervisors assign" grant), and the
delegate records the changes of circumstances of the benefits they now own. A sick day
with nobody named moves no cases: the steps return to the queue and whoever accepts one
takes the application, as always.
"""

from __future__ import annotations

from typing import Any

from casekit.app import Application
from casekit.cases import Owner
from casekit.demo.access import Directory
from casekit.demo.benefits import Benefits
from casekit.sim import SimEvent, SimEventKind, Simulation
from casekit.worklists import DelegateKind

__all__ = ["Cover"]


class Cover:
    """Reassigns an absent caseworker's open cases to their delegate when their leave begins.

    Args:
        app: The demo's application.
        directory: The office's principals (who supervises whom).
        benefits: The office's benefits, whose owners record changes of circumstances.
        sim: The simulation of the office: its scenario's absences and delegations are the
            office's (none: nobody is ever away, and nothing is done); the cover listens to
            its events.

    Attributes:
        batches: One JSON-safe row per reassignment: who, to whom, by whom, cases moved
            and refused.
    """

    def __init__(
        self,
        app: Application,
        directory: Directory,
        benefits: Benefits,
        sim: Simulation,
    ) -> None:
        self.app = app
        self.directory = directory
        self.book = sim.scenario.absences
        self.benefits = benefits
        self.batches: list[dict[str, Any]] = []
        sim.subscribe(self.on_sim_event)

    def on_sim_event(self, event: SimEvent) -> None:
        """An absence began: if it has an agent to delegate to, hand the cases over."""
        book = self.book
        if book is None or event.kind is not SimEventKind.ABSENCE_STARTED:
            return
        if event.agent_id is None:
            return
        away = event.agent_id
        to = book.resolve(away, event.at)
        if to.kind is not DelegateKind.AGENT or to.id is None:
            return
        supervisor = self.directory.supervisor_of(away)
        record = self.app.reassign_all(
            f"cover-{away}-{event.at:%Y%m%dT%H%M}",
            source=Owner.user(away),
            target=Owner.user(to.id),
            actor=supervisor,
            reason=f"{event.detail or 'absence'} of {away} from {event.at:%a %d %b %H:%M}",
        )
        delegate = self.directory[to.id]
        for pdc_id, owner in self.benefits.owner_of.items():
            if owner.id == away:
                self.benefits.owner_of[pdc_id] = delegate
        self.batches.append(
            {
                "agent": away,
                "delegate": to.id,
                "by": supervisor.id,
                "at": event.at.isoformat(),
                "cases": record.moved,
                "refused": len(record.refused),
            }
        )
