"""The absences a simulation acts on: each agent's windows, merged, from the run's start.

The rules of absence — who is away, where their work goes — are `casekit.worklists`'
(`AbsenceBook`, `AbsenceRule`, `place_work`); the simulator only needs to know when each
agent leaves and comes back, which is what [`absence_windows`][] says.
"""

from __future__ import annotations

from datetime import datetime

from casekit.worklists.absence import Absence, AbsenceBook

__all__ = ["absence_windows"]


def absence_windows(
    book: AbsenceBook, start: datetime
) -> list[tuple[str, datetime, datetime, str]]:
    """Each agent's time away from ``start`` on, as ``(agent, begins, ends, kind)``.

    Overlapping or touching absences of one agent are one window (the book counts an agent
    away while any absence covers them), named by the kind of its first absence; a window
    under way at ``start`` begins there; one over by then is left out. Agents in the
    book's order, their windows in time order. O(A log A) for ``A`` absences.
    """
    by_agent: dict[str, list[Absence]] = {}
    for absence in book.absences:
        if absence.ends > start:
            by_agent.setdefault(absence.agent, []).append(absence)
    windows: list[tuple[str, datetime, datetime, str]] = []
    for agent, absences in by_agent.items():
        absences.sort(key=lambda a: (a.starts, a.ends))
        first = absences[0]
        begins, ends, kind = max(first.starts, start), first.ends, first.kind.value
        for absence in absences[1:]:
            if absence.starts <= ends:
                ends = max(ends, absence.ends)
                continue
            windows.append((agent, begins, ends, kind))
            begins, ends, kind = absence.starts, absence.ends, absence.kind.value
        windows.append((agent, begins, ends, kind))
    return windows
