"""Tools for testing code built on casekit (needs ``pip install casekit[testing]``).

- :mod:`casekit.testing.lifecycles`: lifecycle conformance checks and action strategies for
  your own case types.
"""

from __future__ import annotations

from casekit.testing.lifecycles import (
    ActionStep,
    ConformanceReport,
    action_steps,
    check_lifecycle_conformance,
    static_conformance,
)

__all__ = [
    "ActionStep",
    "ConformanceReport",
    "action_steps",
    "check_lifecycle_conformance",
    "static_conformance",
]
