"""Access decision benchmark: the built-in AccessPolicy vs a bare lookup vs Cedar.

Declares a realistic policy (11 rules: role grants per case type and action, relationship
conditions, a program condition, two denies, restricted-view location security) and draws
R requests (default 100,000) over 200 principals and 2,000 cases from a fixed seed: every
permission, lifecycle actions with ``perform``, principals related to the cases as often as
a caseload makes them. Then it times, interleaved in rounds of 1,000 requests (the order
rotating every round, so load on the machine falls on all alike):

* **casekit** — ``AccessPolicy.decide``: argument checks, the (permission, case type) index,
  deny and grant clauses, relationships, sensitivity and location security; O(k) for the k
  rules indexed under the request's permission and case type.
* **allowed only / denied only** — casekit on the allowed and on the denied requests apart
  (an allowed decision is prebuilt and shared; a denial builds its reason).
* **read filter** — ``ReadFilter.matches`` on the principal's prebuilt read filter (the
  in-memory form of the query a storage adapter would run), on the ``read`` requests.
* **bare lookup** (the floor) — a hand-written set of allowed (role, permission, case type)
  triples, looked up for each of the principal's roles: O(roles), no relationships, no
  sensitivity, no location, no explanation. What a role check costs at the least in Python.
* **no-op call** (the physical floor) — the same loop calling a function that returns a
  constant: what any per-request Python call costs.
* **cedar** — ``CedarPolicy.decide`` on the same policy translated with ``to_cedar``, on a
  sample of the requests (it is slower by orders of magnitude), when ``cedarpy`` is installed.

The read filter's and Cedar's answers are checked against casekit's decisions on the requests
they ran (the bare lookup answers a weaker question and is not). Prints µs per
decision, decisions per second and ratios; the issue's target is ≤ 5 µs per decision with the
built-in policy. The cyclic GC runs as in production; ``--gc-paused`` pauses it while timing.

Usage: ``python benchmarks/security.py [--quick] [--gc-paused] [--requests R]``.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from casekit.security import (
    AccessPolicy,
    CaseResource,
    Deny,
    Grant,
    LocationMode,
    Permission,
    Principal,
    Relationship,
)

P, R = Permission, Relationship
PDC, INVESTIGATION = "Product Delivery Case", "Investigation Case"
BENEFIT = ["Application Case", "Integrated Case", PDC, "Payment Correction Case"]
CASE_TYPES = [*BENEFIT, INVESTIGATION]
ACTIONS = {
    PDC: ["submit", "approve", "reject", "activate", "suspend", "close"],
    "Application Case": ["submit", "cancel", "dispose"],
    "Integrated Case": ["close", "reopen"],
    "Payment Correction Case": ["approve", "settle", "cancel"],
    INVESTIGATION: ["close", "reopen"],
}
ROLES = ["caseworker", "supervisor", "clerk", "investigator", "auditor"]

POLICY = AccessPolicy(
    [
        Grant(
            name="staff read benefit cases",
            roles={"caseworker", "supervisor", "clerk"},
            permissions=P.READ,
            case_types=BENEFIT,
        ),
        Grant(
            name="caseworkers work their cases",
            roles="caseworker",
            permissions={P.PERFORM, P.EDIT, P.ROUTE},
            case_types=BENEFIT,
            relationship=R.OWNER | R.MEMBER | R.TASK_ASSIGNEE,
        ),
        Grant(name="caseworkers open cases", roles="caseworker", permissions=P.CREATE),
        Grant(
            name="supervisors decide",
            roles="supervisor",
            permissions=P.PERFORM,
            case_types={PDC, "Payment Correction Case"},
            actions={"approve", "reject"},
            relationship=R.SUPERVISOR,
        ),
        Grant(
            name="supervisors assign",
            roles="supervisor",
            permissions={P.ASSIGN, P.ROUTE, P.APPROVE},
            relationship=R.SUPERVISOR | R.MEMBER,
        ),
        Grant(
            name="investigators investigate",
            roles="investigator",
            permissions={P.READ, P.PERFORM, P.EDIT},
            case_types=INVESTIGATION,
            relationship=R.OWNER | R.MEMBER | R.SUPERVISOR,
        ),
        Grant(
            name="owners reveal",
            roles={"caseworker", "investigator"},
            permissions=P.REVEAL,
            relationship=R.OWNER,
        ),
        Grant(name="auditors read and export", roles="auditor", permissions={P.READ, P.EXPORT}),
        Grant(
            name="SNAP clerks edit queue cases",
            roles="clerk",
            permissions=P.EDIT,
            programs="SNAP",
            relationship=R.MEMBER,
        ),
        Deny(
            name="no work on your own case",
            permissions=set(Permission) - {P.READ},
            relationship=R.PARTICIPANT,
        ),
        Deny(
            name="investigations stay with investigators",
            roles={"caseworker", "clerk", "supervisor"},
            permissions=set(Permission),
            case_types=INVESTIGATION,
        ),
    ],
    location_mode=LocationMode.RESTRICTED_VIEW,
)

# The floor's table: (role, permission, case type) of every grant, its other conditions
# dropped. It answers a weaker question than the policy (no relationships, programs, actions,
# denies, sensitivity or location), so its answers are not compared.
ALLOWED = {
    (role, permission, case_type)
    for rule in POLICY.rules
    if isinstance(rule, Grant)
    for role in rule.roles
    for permission in rule.permissions
    for case_type in (CASE_TYPES if not isinstance(rule.case_types, frozenset) else rule.case_types)
}

Request = tuple[Principal, Permission, CaseResource, str | None]

GC_PAUSED = False
ROUND = 1_000


def population(rng: random.Random) -> tuple[list[Principal], list[CaseResource]]:
    people = [f"u{i}" for i in range(200)]
    teams, locations = [f"queue-{i}" for i in range(10)], ["north", "south", "east"]
    principals = [
        Principal(
            person,
            rng.sample(ROLES, rng.choice([1, 1, 1, 2])),
            location=rng.choice(locations),
            clearance=rng.choice([2, 3, 3, 4, 5]),
            teams=rng.sample(teams, rng.choice([0, 1, 1, 2])),
            org_unit=f"ou-{rng.randrange(4)}",
        )
        for person in people
    ]
    cases = []
    for n in range(2_000):
        case_type = rng.choice(CASE_TYPES)
        owner = (
            f"User:{rng.choice(people)}"
            if rng.random() < 0.7
            else f"Work Queue:{rng.choice(teams)}"
        )
        cases.append(
            CaseResource(
                f"C-{n}",
                case_type,
                "Open",
                owner,
                supervisor=f"User:{rng.choice(people)}",
                task_assignees=rng.sample(people, rng.choice([0, 0, 1, 2])),
                participants=[
                    f"client-{n}",
                    *([rng.choice(people)] if rng.random() < 0.02 else []),
                ],
                sensitivity=rng.choice([1, 1, 2, 3, 4]),
                location=rng.choice(locations),
                program=rng.choice(["SNAP", "TANF", None]),
                work_queue=rng.choice([None, *teams]),
            )
        )
    return principals, cases


def requests(n: int, rng: random.Random) -> list[Request]:
    principals, cases = population(rng)
    made: list[Request] = []
    for _ in range(n):
        resource = rng.choice(cases)
        # A caseload: most requests come from someone related to the case.
        if rng.random() < 0.6:
            user = resource.owner.partition(":")[2] if resource.owner.startswith("User:") else None
            principal = next((p for p in principals if p.id == user), rng.choice(principals))
        else:
            principal = rng.choice(principals)
        permission = rng.choice(list(Permission))
        action = rng.choice(ACTIONS[resource.case_type]) if permission is P.PERFORM else None
        made.append((principal, permission, resource, action))
    return made


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    if GC_PAUSED:
        gc.disable()
    try:
        start = time.perf_counter()
        result = fn()
        return time.perf_counter() - start, result
    finally:
        gc.enable()


def run(batch: Sequence[Request], cedar_every: int) -> dict[str, tuple[float, int]]:
    decide = POLICY.decide
    filters = {p.id: POLICY.read_filter(p) for p, _, _, _ in batch}

    def casekit(rows: Sequence[Request]) -> list[bool]:
        return [decide(p, perm, r, action=a).allowed for p, perm, r, a in rows]

    def read_filter(rows: Sequence[Request]) -> list[bool]:
        return [filters[p.id].matches(r) for p, _, r, _ in rows]

    def bare(rows: Sequence[Request]) -> list[bool]:
        allowed = ALLOWED
        return [
            any((role, perm, r.case_type) in allowed for role in p.roles) for p, perm, r, _ in rows
        ]

    def nothing(p: object, perm: object, r: object, action: object = None) -> bool:
        return False

    def noop(rows: Sequence[Request]) -> list[bool]:
        return [nothing(p, perm, r, action=a) for p, perm, r, a in rows]

    engines: dict[str, Callable[[Sequence[Request]], list[bool]]] = {
        "casekit": casekit,
        "  allowed only": casekit,
        "  denied only": casekit,
        "read filter": read_filter,
        "bare lookup": bare,
        "no-op call": noop,
    }
    try:
        from casekit.security.cedar import CedarPolicy  # noqa: PLC0415  optional extra

        cedar_policy = CedarPolicy.from_policy(POLICY)

        def cedar(rows: Sequence[Request]) -> list[bool]:
            return [cedar_policy.decide(p, perm, r, action=a).allowed for p, perm, r, a in rows]

        engines["cedar"] = cedar
    except ImportError:
        print("(cedarpy is not installed: pip install 'casekit[cedar]' to time Cedar)")

    spent = {name: [0.0, 0] for name in engines}
    names = list(engines)
    for number, start in enumerate(range(0, len(batch), ROUND)):
        rows = batch[start : start + ROUND]
        truth = casekit(rows)
        reads = [row for row in rows if row[1] is P.READ]
        inputs = {
            "  allowed only": [row for row, ok in zip(rows, truth, strict=True) if ok],
            "  denied only": [row for row, ok in zip(rows, truth, strict=True) if not ok],
            "read filter": reads,
            "cedar": rows[::cedar_every],
        }
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            given = inputs.get(name, rows)
            seconds, answers = timed(lambda name=name, given=given: engines[name](given))
            spent[name][0] += seconds
            spent[name][1] += len(answers)
            if name in ("read filter", "cedar"):
                assert answers == casekit(given), f"{name} disagrees with casekit's decisions"
    return {name: (s, int(n)) for name, (s, n) in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 requests")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--cedar-every", type=int, default=50, help="time Cedar on 1 in N")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--gc-paused", action="store_true", help="pause the cyclic GC while timing (as timeit)"
    )
    args = parser.parse_args()
    global GC_PAUSED  # noqa: PLW0603  a script-level switch
    GC_PAUSED = args.gc_paused
    n = 10_000 if args.quick else args.requests
    batch = requests(n, random.Random(args.seed))
    allowed = sum(POLICY.decide(p, perm, r, action=a).allowed for p, perm, r, a in batch)
    results = run(batch, args.cedar_every)

    print(
        f"security: {n:,} requests, {len(POLICY.rules)} rules, location security "
        f"{POLICY.location_mode.value!r}; {allowed / n:.0%} allowed"
    )
    print(f"cyclic GC {'paused while timing (as timeit does)' if GC_PAUSED else 'running'}")
    print(f"{'':14}{'µs/decision':>14}{'decisions/s':>14}{'× bare lookup':>15}{'requests':>10}")
    floor = results["bare lookup"][0] / results["bare lookup"][1]
    for name, (seconds, count) in results.items():
        per = seconds / count
        print(f"{name:14}{per * 1e6:14.2f}{1 / per:14,.0f}{per / floor:15.1f}{count:10,}")
    ours = results["casekit"][0] / results["casekit"][1] * 1e6
    print()
    print(
        f"decision: casekit {ours:.2f} µs (target ≤ 5 µs with the built-in policy) "
        f"{'met' if ours <= 5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
