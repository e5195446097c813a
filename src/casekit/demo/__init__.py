"""``casekit demo``: a simulated benefits office running on everything casekit does.

Simulated staff with skills and shifts are offered applications through the skills-based
router (`casekit.sim`); everything that happens to the cases, their owners and the money goes
through one application (`casekit.app`), one command at a time: the applications go through
their lifecycle and become benefits; payments are issued; changes of circumstances are
reassessed into over- and underpayments, correction cases and correction ledger lines; the
SLA monitor escalates late cases; and it is all stored (SQLite by default), with its audit
trail and outbox. See `run_demo`, and ``casekit report`` for the HTML report of a run.
"""

from __future__ import annotations

from casekit.demo.office import DEMO_START, office_scenario
from casekit.demo.runner import DemoResult, run_demo

__all__ = ["DEMO_START", "DemoResult", "office_scenario", "run_demo"]
