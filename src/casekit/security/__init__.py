"""Case security: who may see and do what (issue 17), as a pure policy model.

No storage and no I/O: a [`Principal`][] asks for a [`Permission`][] on a
[`CaseResource`][] and an [`AccessPolicy`][] (or the optional [`CedarPolicy`][]
adapter) returns an [`AccessDecision`][] naming the rule that decided. Access is denied by
default. [`AccessPolicy.read_filter`][] describes the readable cases as data a storage
adapter compiles to a query. ``casekit.testing.security`` has the "no leak" property checks
to run on your own policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from casekit.errors import AccessDenied
from casekit.security.clause import RuleClause
from casekit.security.decision import AccessDecision, Authorizer
from casekit.security.location import LocationMode
from casekit.security.permissions import READ_PERMISSIONS, Permission
from casekit.security.policy import DEFAULT_DENY, LOCATION_SECURITY, SENSITIVITY, AccessPolicy
from casekit.security.principal import MAX_LEVEL, MIN_LEVEL, Principal, PrincipalKind
from casekit.security.read_filter import ReadFilter
from casekit.security.relationship import Relationship, relationships_of
from casekit.security.resource import CaseResource, owner_ref
from casekit.security.rules import ANY, AnyValue, Deny, Grant, Rule, Scope

if TYPE_CHECKING:
    from casekit.security.cedar import CedarPolicy, to_cedar

# The Cedar adapter needs the optional extra casekit[cedar]; it is imported on first use.
_CEDAR = frozenset({"CedarPolicy", "to_cedar"})


def __getattr__(name: str) -> object:
    if name in _CEDAR:
        from casekit.security import cedar  # noqa: PLC0415  optional extra, on use

        return getattr(cedar, name)
    raise AttributeError(f"module 'casekit.security' has no attribute {name!r}")


__all__ = [
    "ANY",
    "DEFAULT_DENY",
    "LOCATION_SECURITY",
    "MAX_LEVEL",
    "MIN_LEVEL",
    "READ_PERMISSIONS",
    "SENSITIVITY",
    "AccessDecision",
    "AccessDenied",
    "AccessPolicy",
    "AnyValue",
    "Authorizer",
    "CaseResource",
    "CedarPolicy",
    "Deny",
    "Grant",
    "LocationMode",
    "Permission",
    "Principal",
    "PrincipalKind",
    "ReadFilter",
    "Relationship",
    "Rule",
    "RuleClause",
    "Scope",
    "owner_ref",
    "relationships_of",
    "to_cedar",
]
