"""The router's state machine with escalation ladders attached: every rung checked.

`casekit.testing.LadderStateMachine` drives a router through random operations and checks
the router's own invariants after every step (eligibility at each offer, queue order,
cool-downs, loads, the event model agreeing with the router), with a `LadderRunner`
attached: ladders on two stages here (``No ladder`` has none), a rule that moves the clock
and ticks the runner, and the ladders' own invariants (see its docstring).
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, settings

from casekit.priority import Priority
from casekit.routing import Ladder, Rung
from casekit.testing import LadderStateMachine

MIN = timedelta(minutes=1)

LADDERS = (
    Ladder(
        "Chaser",
        [
            Rung(5 * MIN, lower={"chaser": 1}),
            Rung(15 * MIN, drop={"reviewer"}, raise_to=Priority.HIGH),
            Rung(30 * MIN, skills={"case_manager": 1}, notify=True),
            Rung(45 * MIN, skills={}),
        ],
    ),
    Ladder(
        "Case Manager",
        [
            Rung(10 * MIN, raise_to=Priority.URGENT),
            Rung(20 * MIN, drop={"chaser", "reviewer"}),
            Rung(25 * MIN, lower={"case_manager": 1}, notify=True),
        ],
    ),
)


class LadderMachine(LadderStateMachine):
    """The shipped machine with this module's ladders."""

    ladders = LADDERS
    skill_names = ("case_manager", "chaser", "reviewer")


TestLadderMachine = LadderMachine.TestCase
TestLadderMachine.settings = settings(
    stateful_step_count=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
