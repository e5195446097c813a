"""Which cases a principal may read, as data a storage adapter can compile to a query.

[`ReadFilter.matches`][casekit.security.ReadFilter.matches] agrees with the policy's
``decide(principal, READ, resource)`` for every resource (a property test checks it, and
[`casekit.testing.security`][] ships that test for your own policies): it evaluates the same
clauses with the same relationship and location functions. A storage adapter compiles it:

* ``sensitivity <= max_sensitivity``;
* if ``location_restricted``: ``location IS NULL OR location = principal.location OR owner =
  principal.user_ref OR supervisor IN principal.refs``;
* no deny clause applies, and some grant clause applies, where a clause applies when
  ``case_type IN case_types`` (unless None), ``program IN programs`` (unless None) and, if it
  names relationships, one of them holds: owner ``owner = user_ref``; member ``owner IN
  group_refs OR work_queue IN teams``; supervisor ``supervisor IN refs``; reviewer
  ``reviewer IN refs``; task assignee ``principal.id IN task_assignees``; participant
  ``principal.id IN participants`` (an automatic check has no relationships).

The clauses are already narrowed to the principal: only rules about READ, without named
actions, whose roles the principal holds (or any role, for a deny).

casekit's storage does this with `casekit.storage.readable.readable_query`, a label query
over the labels the case repository writes, which ``CaseRepository.query(readable_by=...)``
runs in the database.
"""

from __future__ import annotations

import attrs

from casekit.checks import check_instance
from casekit.security.clause import RuleClause
from casekit.security.location import LocationMode, location_allows
from casekit.security.permissions import Permission
from casekit.security.principal import Principal
from casekit.security.relationship import Relationship, relationships_of
from casekit.security.resource import CaseResource

__all__ = ["ReadFilter"]

_READ = Permission.READ


@attrs.frozen(slots=True)
class ReadFilter:
    """A declarative description of the cases ``principal`` may read.

    Attributes:
        principal: Whose filter it is (its ``id``, ``user_ref``, ``refs``, ``group_refs``,
            ``teams`` and ``location`` are the query's parameters).
        max_sensitivity: The highest case sensitivity readable (the principal's clearance).
        location_mode: The policy's location security mode.
        grants: The grant clauses, of which one must apply.
        denies: The deny clauses, of which none may apply.
    """

    principal: Principal
    max_sensitivity: int
    location_mode: LocationMode
    grants: tuple[RuleClause, ...]
    denies: tuple[RuleClause, ...]

    @property
    def location_restricted(self) -> bool:
        """True when location security keeps this principal to its location's cases.

        Only ``LocationMode.ON`` restricts reading (the milder modes let outsiders read), and
        never an automatic check.
        """
        return (
            _READ not in self.location_mode.outside_permissions and not self.principal.is_automatic
        )

    @property
    def readable_case_types(self) -> frozenset[str] | None:
        """Case types some grant lets the principal read unconditionally (None: every type).

        Unconditionally: the grant names no relationship and no program; denies, sensitivity
        and location still apply. Useful to a query planner; ``matches`` is the definition.

        Complexity: O(g) for g grant clauses.
        """
        found: set[str] = set()
        for clause in self.grants:
            if not clause.relationships and clause.programs is None:
                if clause.case_types is None:
                    return None
                found |= clause.case_types
        return frozenset(found)

    def matches(self, resource: CaseResource) -> bool:
        """True when the principal may read ``resource`` (exactly ``decide(..., READ, ...)``).

        Complexity: O(g + d) for g grant and d deny clauses.

        Raises:
            ValidationError: ``resource`` is not a CaseResource.
        """
        if type(resource) is not CaseResource:
            check_instance(resource, CaseResource, what="the resource a ReadFilter matches")
        principal = self.principal
        if resource.sensitivity > self.max_sensitivity:
            return False
        relationships = relationships_of(principal, resource)
        if not location_allows(self.location_mode, principal, _READ, resource, relationships):
            return False
        roles, program, case_type = principal.roles, resource.program, resource.case_type
        for clause in self.denies:
            if clause.covers(case_type) and clause.applies(roles, None, program, relationships):
                return False
        return any(
            clause.covers(case_type) and clause.applies(roles, None, program, relationships)
            for clause in self.grants
        )

    def describe(self) -> str:
        """The filter as a readable boolean expression (for logs and query debugging).

        Complexity: O(size of the filter).
        """
        parts = [f"sensitivity <= {self.max_sensitivity}"]
        if self.location_restricted:
            parts.append(
                f"(location is none or location = {self.principal.location!r} "
                "or owner or supervisor)"
            )
        grants = " or ".join(_clause_text(c) for c in self.grants) or "false"
        parts.append(f"({grants})")
        parts.extend(f"not ({_clause_text(c)})" for c in self.denies)
        return " and ".join(parts)


def _clause_text(clause: RuleClause) -> str:
    terms = []
    if clause.case_types is not None:
        terms.append(f"case_type in {sorted(clause.case_types)}")
    if clause.programs is not None:
        terms.append(f"program in {sorted(clause.programs)}")
    if clause.relationships:
        flag = Relationship(clause.relationships)
        names = [m.name.lower() for m in Relationship if m in flag and m.name]
        terms.append(names[0] if len(names) == 1 else f"({' or '.join(names)})")
    return " and ".join(terms) or "true"
