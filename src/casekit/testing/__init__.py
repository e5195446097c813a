"""Tools for testing code built on casekit (needs ``pip install casekit[testing]``).

- `casekit.testing.lifecycles`: lifecycle conformance checks and action strategies for
  your own case types.
- [`casekit.testing.fuzz`][]: an atomicity fuzzer: bad arguments derived from type hints
  must be refused with a ``CasekitError`` and leave the object exactly as it was.
- `casekit.testing.routing`: strategies of agents, work items and rosters, a routing
  invariant check, and [`RouterStateMachine`][] to property-test your own routing policy
  or configuration; `casekit.testing.ladders`: [`LadderStateMachine`][], the same with your
  escalation ladders attached and every rung checked.
- `casekit.testing.security`: strategies of principals and case resources and the
  "no leak" property checks (`assert_no_leak`) to run on your own access policy.
- `casekit.testing.app_security`: the same promise at the application's door
  (`assert_app_respects_policy`): with your policy, no command the policy denies succeeds
  or reads a case, and every denial is `AccessDenied`, audited, with nothing changed.
- `casekit.testing.storage_contract`: the storage contract suite for your storage
  adapter, one module per port: `contract_documents`,
  `contract_unit_of_work`, `contract_audit`,
  `contract_cases`, `contract_ledger`,
  `contract_validation`, and
  `casekit.testing.contract_routing`: the routing journal's contract and the durable
  router's state machine (the in-memory router as its oracle).
"""

from __future__ import annotations

from casekit.errors import MissingExtra

try:
    import hypothesis  # noqa: F401  the testing extra; every tool here is built on it
except ImportError as error:
    raise MissingExtra(
        "casekit.testing needs Hypothesis: pip install 'casekit[testing]'"
    ) from error

from casekit.testing.fuzz import (
    Call,
    FuzzFailure,
    FuzzReport,
    FuzzTarget,
    Operation,
    constructor,
    fuzz,
)
from casekit.testing.ladders import LadderStateMachine
from casekit.testing.lifecycles import (
    ActionStep,
    ConformanceReport,
    action_sequences,
    action_steps,
    check_deferred_step,
    check_guards_on_every_path,
    check_lifecycle_conformance,
    static_conformance,
)
from casekit.testing.routing import (
    ARRIVALS_AND_ANSWERS_ONLY,
    SKILL_VOCABULARY,
    STAGES,
    RouterStateMachine,
    agents,
    check_routing_invariants,
    rosters,
    work_items,
)
from casekit.testing.security import (
    assert_no_leak,
    case_resources,
    no_leak_violations,
    principals,
)

__all__ = [
    "ARRIVALS_AND_ANSWERS_ONLY",
    "SKILL_VOCABULARY",
    "STAGES",
    "ActionStep",
    "Call",
    "ConformanceReport",
    "FuzzFailure",
    "FuzzReport",
    "FuzzTarget",
    "LadderStateMachine",
    "Operation",
    "RouterStateMachine",
    "action_sequences",
    "action_steps",
    "agents",
    "assert_no_leak",
    "case_resources",
    "check_deferred_step",
    "check_guards_on_every_path",
    "check_lifecycle_conformance",
    "check_routing_invariants",
    "constructor",
    "fuzz",
    "no_leak_violations",
    "principals",
    "rosters",
    "static_conformance",
    "work_items",
]
