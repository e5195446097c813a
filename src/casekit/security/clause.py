"""A rule compiled for evaluation: the one implementation of "does this rule apply".

The policy's decisions and its read filter both evaluate rules through [`RuleClause`][]:
sets for membership tests, ``None`` for ``ANY``, relationships as plain bits, and the
decision the rule gives prebuilt.
"""

from __future__ import annotations

import attrs

from casekit.security.decision import AccessDecision
from casekit.security.relationship import Relationship
from casekit.security.rules import AnyValue, Rule, Scope

__all__ = ["RuleClause"]


def _set(scope: Scope) -> frozenset[str] | None:
    return None if isinstance(scope, AnyValue) else scope


@attrs.frozen(slots=True)
class RuleClause:
    """One rule, compiled: what a storage adapter compiles to SQL, and what decides.

    ``None`` stands for ``ANY``. A clause applies to a request when the principal holds one
    of ``roles``, the case type, action and program are in their sets, and the principal's
    relationships to the case (bits of [`Relationship`][casekit.security.Relationship])
    meet ``relationships`` (0: no relationship needed).

    Attributes:
        rule: The rule's name.
        allow: True for a grant, False for a deny.
        roles: The roles the rule is about, or None for any role.
        case_types: The case types, or None.
        actions: The lifecycle actions, or None. A clause with actions never applies to a
            request without one (a read filter's clauses never have actions).
        programs: The programs, or None. A clause with programs never applies to a case
            without a program.
        relationships: The relationship bits of which one must hold, or 0.
        decision: The decision the rule gives when it decides.
    """

    rule: str
    allow: bool
    roles: frozenset[str] | None
    case_types: frozenset[str] | None
    actions: frozenset[str] | None
    programs: frozenset[str] | None
    relationships: int
    decision: AccessDecision = attrs.field(eq=False, repr=False)

    @classmethod
    def of(cls, rule: Rule, name: str) -> RuleClause:
        """Compile ``rule`` under ``name``.

        Complexity: O(size of the rule).
        """
        relationship = rule.relationship
        allow = rule.kind == "grant"
        return cls(
            name,
            allow,
            _set(rule.roles),
            _set(rule.case_types),
            _set(rule.actions),
            _set(rule.programs),
            relationship.value if isinstance(relationship, Relationship) else 0,
            AccessDecision(allow, name, rule.describe()),
        )

    def applies(
        self, roles: frozenset[str], action: str | None, program: str | None, relationships: int
    ) -> bool:
        """True when the rule applies (its case type and permission already matched).

        Complexity: O(min(len(roles), len(self.roles))).
        """
        if self.roles is not None and self.roles.isdisjoint(roles):
            return False
        if self.actions is not None and action not in self.actions:
            return False
        if self.programs is not None and program not in self.programs:
            return False
        return not self.relationships or bool(relationships & self.relationships)

    def covers(self, case_type: str) -> bool:
        """True when the rule covers ``case_type``. Complexity: O(1)."""
        return self.case_types is None or case_type in self.case_types
