"""Every script in examples/ runs on its own and says what it should."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"
EXPECTED = {
    "custom_policy.py": [
        "lowest load ratio: no counterexample",
        "least active: counterexample found (load ratio spread",
    ],
    "financials.py": [
        "paid 4 payments, 3,200.00 EUR in all",
        "refused: cannot change amount of payment",
        "→ Overpayment of 427.42 EUR",
        "basic: -227.42 EUR",
        "housing: -200.00 EUR",
        "corrects PDC-2001: Overpayment -427.42 EUR",
        "net 350.00 EUR",
    ],
    "mco_tracker.py": [
        "refused: Disposition 'Plan Corrected' is not in taxonomy 'MHBE CRM'",
        "MCO-2: Outreach Max Attempts → Closed, Work Queue MHBE CRM Unassigned",
        "SSN: •••••6789",
    ],
    "quickstart.py": [
        "is Disposed: created IC-",
        "refused: cannot 'activate'",
        "(Basic Allowance) is Active; next: ",
        "Suspended → Open  [unsuspend by ana]",
        "stateDiagram-v2",
    ],
    "seven_phase.py": ["CM-1: Closed, priority Urgent (risk 85)", "Follow-up → Planning"],
    "simulate_office.py": [
        "A week: 821 cases arrived",
        "Erlang C: 5 Chasers answer 80% within 30 min",
        "5 Chasers: Chaser mean wait",
    ],
}


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for expected in EXPECTED.get(script, []):
        assert expected in done.stdout
