"""The simulated benefits office the demo runs: staff, shifts, steps and arrivals.

Staff work one of three routed steps — Chaser (gathers the evidence), Case Manager (decides)
and Reviewer (checks the decision) — some speak a second language, and they work early, day
or late shifts with lunch breaks, so presence changes through the day. Applications arrive
during office hours. SLA clocks run in the office's business time (`OFFICE_CALENDAR`:
08:00–17:00 UTC, Monday to Friday), so they stop overnight and at weekends. Everything is
drawn from one seed.

The office has an escalation ladder on the Chaser step (`INTAKE_LADDER`: an application
nobody has taken after 5 working minutes may be chased by any caseworker; at its SLA it is
raised to Urgent and the supervisor told) and two absences (`office_absences`): a case
manager on planned leave for four days from Tuesday 11:00, their work delegated to a case
manager of the same team, and a reviewer who goes home sick on Wednesday at 10:30, their
work returned to the queue. `office_scenario(ladder=False, absences=False)` is the same
office without them, for the forecast the demo reports.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from casekit.priority import Priority
from casekit.routing import Aging, Ladder, Rung
from casekit.sim import (
    AgentSpec,
    Break,
    Exponential,
    LogNormal,
    Poisson,
    Scenario,
    Shift,
    Stage,
)
from casekit.worklists import Absence, AbsenceBook, AbsenceKind, BusinessCalendar, Delegate

__all__ = [
    "CASE_SLA",
    "DEMO_START",
    "EVIDENCE",
    "INTAKE_LADDER",
    "LANGUAGES",
    "OFFICE_CALENDAR",
    "ROLES",
    "STAGES",
    "office_absences",
    "office_scenario",
]

DEMO_START = datetime(2026, 3, 2, tzinfo=UTC)
"""A Monday: the demo's first working day."""

STAGES = (
    Stage("Chaser", {"chaser": 1}, Exponential(timedelta(minutes=15)), sla=timedelta(minutes=10)),
    Stage(
        "Case Manager",
        {"case_manager": 1},
        LogNormal(timedelta(minutes=40), 0.5),
        sla=timedelta(minutes=15),
    ),
    Stage(
        "Reviewer", {"reviewer": 1}, Exponential(timedelta(minutes=12)), sla=timedelta(minutes=10)
    ),
)
"""The three routed steps every application goes through; each step's SLA is how long it may
wait to be accepted, in the office's working time."""

ROLES = ("chaser", "case_manager", "case_manager", "reviewer")
"""The mix of primary roles: half the office are case managers."""

LANGUAGES = ("spanish", "vietnamese", "somali")

_SHIFTS = (
    (time(7), time(15, 30), time(11, 30), time(12)),
    (time(8), time(16, 30), time(12), time(12, 30)),
    (time(9, 30), time(18), time(13), time(13, 30)),
)
_OPEN = Shift(time(8), time(17))

OFFICE_CALENDAR = BusinessCalendar(
    "UTC", opens=_OPEN.start, closes=_OPEN.end, name="the demo office's calendar"
)
"""The office's business time, Monday to Friday 08:00–17:00 UTC: every SLA clock runs on it."""

CASE_SLA = timedelta(hours=2)
"""An application's end-to-end SLA: decided and reviewed within 2 working hours of arriving."""

EVIDENCE = "evidence"
"""A skill every caseworker has: anyone in the office can chase evidence, chasers do it first."""

INTAKE_LADDER = Ladder(
    "Chaser",
    [
        Rung(timedelta(minutes=5), skills={EVIDENCE: 1}),
        Rung(timedelta(minutes=10), raise_to=Priority.URGENT, notify=True),
    ],
)
"""The Chaser step's escalation ladder, in working time: after 5 minutes waiting any
caseworker may chase the evidence; after 10 (the step's SLA) the application is Urgent and
the supervisor is told."""

_LEAVE = (timedelta(days=1, hours=11), timedelta(days=7))  # Tuesday 11:00 to Monday 00:00
_SICK = (timedelta(days=2, hours=10, minutes=30), timedelta(days=3))  # Wednesday 10:30 to 24:00


def office_absences(agents: Sequence[AgentSpec], start: datetime = DEMO_START) -> AbsenceBook:
    """The office's absences in the demo's first week.

    - **planned leave**: the first case manager who does not review is away from Tuesday
      11:00 to the next Monday, their work delegated to the next case manager of the same
      team who does not review (or of the other team, in a small office);
    - **sick**: the first reviewer who does not manage cases goes home on Wednesday at
      10:30 and is back on Thursday; nobody is named, so their work returns to the queue.

    An absence the office has nobody for (no second case manager, no reviewer) is left out.

    Args:
        agents: The office's staff, as `office_scenario` draws them.
        start: The demo's first day (a Monday).
    """
    managers = [
        n
        for n, a in enumerate(agents)
        if set(a.skills) & {"case_manager", "reviewer"} == {"case_manager"}
    ]
    reviewers = [
        n
        for n, a in enumerate(agents)
        if set(a.skills) & {"case_manager", "reviewer"} == {"reviewer"}
    ]
    absences: list[Absence] = []
    delegations: dict[str, Delegate] = {}
    if len(managers) >= 2:
        away, *others = managers
        delegate = next((n for n in others if n % 2 == away % 2), others[0])
        absences.append(
            Absence(
                agents[away].id, start + _LEAVE[0], start + _LEAVE[1], AbsenceKind.PLANNED_LEAVE
            )
        )
        delegations[agents[away].id] = Delegate.agent(agents[delegate].id)
    if reviewers:
        absences.append(
            Absence(agents[reviewers[0]].id, start + _SICK[0], start + _SICK[1], AbsenceKind.SICK)
        )
    return AbsenceBook(absences, delegations)


def office_scenario(
    *,
    staff: int = 36,
    seed: int = 7,
    per_hour: float = 30.0,
    ladder: bool = True,
    absences: bool = True,
) -> Scenario:
    """The demo office as a simulation scenario.

    Args:
        staff: How many people work in the office (at least 4).
        seed: Every random draw of the run comes from it.
        per_hour: Applications arriving per office hour (08:00–17:00 UTC, Monday–Friday).
        ladder: With the Chaser step's escalation ladder (`INTAKE_LADDER`).
        absences: With the first week's planned leave and sick day (`office_absences`).

    Returns:
        The scenario, starting on `DEMO_START`.

    Raises:
        ValueError: If ``staff`` is below 4 or ``per_hour`` is not positive.
    """
    if staff < 4:
        raise ValueError(f"the demo office needs at least 4 staff, got {staff}")
    if per_hour <= 0:
        raise ValueError(f"per_hour must be positive, got {per_hour}")
    rng = random.Random(seed)
    agents = []
    for number in range(staff):
        role = ROLES[number % len(ROLES)]
        skills = {role: rng.choice((1, 1, 2))}
        if role == "case_manager" and rng.random() < 0.2:
            skills["reviewer"] = 1  # a senior who also reviews
        if rng.random() < 0.3:
            skills[rng.choice(LANGUAGES)] = 1
        skills[EVIDENCE] = 1  # no draw: the rest of the office is drawn as it always was
        start, end, lunch, back = _SHIFTS[number % len(_SHIFTS)]
        agents.append(
            AgentSpec(
                f"staff-{number + 1:03d}",
                skills,
                capacity=2,
                accept_delay=LogNormal(timedelta(seconds=75), 1.0),
                decline_probability=0.05,
                shifts=(Shift(start, end, breaks=(Break(lunch, back),)),),
            )
        )
    return Scenario(
        agents=agents,
        stages=STAGES,
        arrivals=Poisson(per_hour, open_hours=_OPEN),
        seed=seed,
        start=DEMO_START,
        push_timeout=timedelta(minutes=5),
        aging=Aging(every=timedelta(hours=2), cap=Priority.URGENT),
        sla=CASE_SLA,
        calendar=OFFICE_CALENDAR,
        priorities={Priority.NORMAL: 85, Priority.HIGH: 10, Priority.URGENT: 5},
        sample_every=timedelta(minutes=30),
        id_prefix="APP-",
        ladders=[INTAKE_LADDER] if ladder else [],
        absences=office_absences(agents) if absences else None,
    )
