"""The built-in policy engine: an [`AccessPolicy`][] declared as data, deciding by default deny.

A request ``(principal, permission, resource, action)`` is decided in this order:

1. **Deny rules** that apply refuse it, whatever grants say (the first in declaration order
   names the decision).
2. **Grant rules**: without one that applies, it is refused by ``default deny``.
3. **Sensitivity**: a case whose sensitivity is above the principal's clearance is refused
   to everyone (Cúram: a user sees a case only if their sensitivity level is at least the
   case's), owners included.
4. **Location security** (the policy's [`LocationMode`][casekit.security.LocationMode]):
   refuses what the mode denies to people outside the case's location, except its owner
   and supervisor.

Otherwise the first grant that applied allows it. Rules are indexed by (permission, case
type) when the policy is declared, so a decision looks at only the few rules that could
apply: O(k) for the k rules of that permission and case type, a few microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from casekit.cases.base import CASE_TYPES
from casekit.checks import check_enum, check_id, check_instance
from casekit.errors import ValidationError, allowed_list
from casekit.security.clause import RuleClause
from casekit.security.decision import AccessDecision, check_request, denied
from casekit.security.location import LocationMode, location_allows
from casekit.security.permissions import Permission
from casekit.security.principal import Principal
from casekit.security.read_filter import ReadFilter
from casekit.security.relationship import Relationship, relationships_of
from casekit.security.resource import CaseResource
from casekit.security.rules import AnyValue, Deny, Grant, Rule

__all__ = ["DEFAULT_DENY", "LOCATION_SECURITY", "SENSITIVITY", "AccessPolicy"]

DEFAULT_DENY = "default deny"
"""The rule name of a refusal because no grant applied."""
SENSITIVITY = "sensitivity"
"""The rule name of a refusal because the case is above the principal's clearance."""
LOCATION_SECURITY = "location security"
"""The rule name of a refusal by location security."""
_RESERVED = frozenset({DEFAULT_DENY, SENSITIVITY, LOCATION_SECURITY})

_PERFORM = Permission.PERFORM
_OFF = LocationMode.OFF

# A table: the deny clauses, the grant clauses, and whether any of them needs relationships.
_Table = tuple[tuple[RuleClause, ...], tuple[RuleClause, ...], bool]


def _rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    if isinstance(value, Grant | Deny) or not isinstance(value, Iterable):
        raise ValidationError(
            f"AccessPolicy.rules must be a sequence of Grant and Deny, got {value!r:.80}"
        )
    rules = tuple(value)
    named: list[Rule] = []
    counts = {"grant": 0, "deny": 0}
    seen: set[str] = set()
    for given in rules:
        if not isinstance(given, Grant | Deny):
            raise ValidationError(
                f"AccessPolicy.rules must hold Grant and Deny rules, got {given!r:.80}"
            )
        counts[given.kind] += 1
        rule = given
        if rule.name is None:
            rule = attrs.evolve(rule, name=f"{rule.kind} #{counts[rule.kind]}")
        name = rule.name or ""
        if name in seen or name in _RESERVED:
            taken = "reserved" if name in _RESERVED else "already used by another rule"
            raise ValidationError(f"rule name {name!r} is {taken}; give each rule its own name")
        seen.add(name)
        named.append(rule)
    return tuple(named)


def _mode(value: LocationMode | str) -> LocationMode:
    return check_enum(value, LocationMode, what="AccessPolicy.location_mode")


def _known(value: Iterable[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset(CASE_TYPES)
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(
            f"AccessPolicy.known_case_types must be a set of case type names, got {value!r:.80}"
        )
    return frozenset(check_id(v, what="a name in AccessPolicy.known_case_types") for v in value)


@attrs.frozen(slots=True)
class AccessPolicy:
    """Who may do what to which cases: rules as data, default deny, explained decisions.

    Declared once (validated, named and indexed then) and shared: it holds no state that a
    decision changes, so it is safe across threads.

    Example::

        policy = AccessPolicy(
            [
                Grant(name="caseworkers read", roles="caseworker", permissions=READ),
                Grant(
                    name="owners work their cases",
                    roles="caseworker",
                    permissions={PERFORM, EDIT},
                    relationship=Relationship.OWNER,
                ),
                Deny(name="not your own case", permissions=set(Permission),
                     relationship=Relationship.PARTICIPANT),
            ],
            location_mode=LocationMode.READ_ONLY,
        )

    Complexity: declaration O(r × p × t) for r rules, p permissions and t case types named.

    Attributes:
        rules: The [`Grant`][casekit.security.Grant] and [`Deny`][casekit.security.Deny]
            rules, in order; unnamed ones are named ``"grant #n"`` / ``"deny #n"``.
        location_mode: The location security mode (default off).
        known_case_types: The case types a rule may name (default: every case type
            registered when the policy is declared), so a misspelt case type is refused
            instead of silently never matching.

    Raises:
        ValidationError: A rule that is not a Grant or Deny, a duplicate or reserved rule
            name, a case type that is not known, a ``perform`` rule naming an action that no
            lifecycle of its case types has, or an unknown location mode.
    """

    rules: tuple[Rule, ...] = attrs.field(converter=_rules)
    location_mode: LocationMode = attrs.field(default=_OFF, kw_only=True, converter=_mode)
    known_case_types: frozenset[str] = attrs.field(default=None, kw_only=True, converter=_known)
    _clauses: tuple[RuleClause, ...] = attrs.field(init=False, eq=False, repr=False)
    _tables: dict[tuple[Permission, str], _Table] = attrs.field(init=False, eq=False, repr=False)
    _fallback: dict[Permission, _Table] = attrs.field(init=False, eq=False, repr=False)
    _read_clauses: tuple[RuleClause, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        for rule in self.rules:
            self._check_scope(rule)
        clauses = tuple(RuleClause.of(rule, rule.name or "") for rule in self.rules)
        named_types = {t for c in clauses if c.case_types is not None for t in c.case_types}
        tables: dict[tuple[Permission, str], _Table] = {}
        fallback: dict[Permission, _Table] = {}
        for permission in Permission:
            mine = [
                c for c, r in zip(clauses, self.rules, strict=True) if permission in r.permissions
            ]
            fallback[permission] = _table([c for c in mine if c.case_types is None])
            for case_type in named_types:
                tables[permission, case_type] = _table([c for c in mine if c.covers(case_type)])
        read = [
            c
            for c, r in zip(clauses, self.rules, strict=True)
            if Permission.READ in r.permissions and c.actions is None
        ]
        object.__setattr__(self, "_clauses", clauses)
        object.__setattr__(self, "_tables", tables)
        object.__setattr__(self, "_fallback", fallback)
        object.__setattr__(self, "_read_clauses", tuple(read))

    def _check_scope(self, rule: Rule) -> None:
        known = self.known_case_types
        types = known if isinstance(rule.case_types, AnyValue) else rule.case_types
        unknown = types - known
        if unknown:
            raise ValidationError(
                f"rule {rule.name!r} names case types {allowed_list(unknown)} that are not "
                f"known; known: {allowed_list(known)} (declare the case type first, or pass "
                "known_case_types=)"
            )
        if _PERFORM not in rule.permissions or isinstance(rule.actions, AnyValue):
            return
        if not types or not all(t in CASE_TYPES for t in types):
            return  # some case type's lifecycle is not registered here: nothing to check
        valid = {a.name for t in types for a in CASE_TYPES[t].lifecycle().actions}
        missing = rule.actions - valid
        if missing:
            raise ValidationError(
                f"rule {rule.name!r} names actions {allowed_list(missing)} that no lifecycle "
                f"of its case types has; valid: {allowed_list(valid)}"
            )

    # ----- deciding ---------------------------------------------------------------------
    def decide(
        self,
        principal: Principal,
        permission: Permission | str,
        resource: CaseResource,
        *,
        action: str | None = None,
    ) -> AccessDecision:
        """Decide whether ``principal`` may have ``permission`` on ``resource``.

        Complexity: O(k) for the k rules about this permission and case type (indexed at
        declaration), plus O(1) for relationships, sensitivity and location; a few
        microseconds (see ``benchmarks/security.py``). Allowed decisions are prebuilt and
        shared; a denial builds its reason.

        Args:
            principal: Who asks.
            permission: What for (a [`Permission`][casekit.security.Permission] or its value).
            resource: The case.
            action: The lifecycle action, required with ``perform``; rules naming actions
                apply only to requests naming one of them.

        Returns:
            The decision, naming the rule that made it.

        Raises:
            ValidationError: A malformed argument, or ``perform`` without ``action``.
        """
        if (
            type(principal) is not Principal
            or type(permission) is not Permission
            or type(resource) is not CaseResource
            or (
                permission is _PERFORM
                if action is None
                else type(action) is not str or not action.strip()
            )
        ):
            permission = check_request(principal, permission, resource, action)
        table = self._tables.get((permission, resource.case_type))
        denies, grants, needs = table if table is not None else self._fallback[permission]
        relationships = relationships_of(principal, resource) if needs else 0
        roles, program = principal.roles, resource.program
        for clause in denies:
            if clause.applies(roles, action, program, relationships):
                return clause.decision
        for clause in grants:
            if clause.applies(roles, action, program, relationships):
                break
        else:
            return _default_deny(
                principal, permission, resource, action, relationships if needs else None
            )
        if resource.sensitivity > principal.clearance:
            return AccessDecision(
                False,
                SENSITIVITY,
                f"{resource.case_id} has sensitivity {resource.sensitivity}, above the "
                f"clearance {principal.clearance} of {principal}",
            )
        mode = self.location_mode
        if mode is not _OFF and resource.location is not None:
            if not needs:
                relationships = relationships_of(principal, resource)
            if not location_allows(mode, principal, permission, resource, relationships):
                return self._location_denial(principal, resource)
        return clause.decision

    def check(
        self,
        principal: Principal,
        permission: Permission | str,
        resource: CaseResource,
        *,
        action: str | None = None,
    ) -> AccessDecision:
        """[`decide`][casekit.security.AccessPolicy.decide], raising on a denial.

        Complexity: as ``decide``.

        Returns:
            The allowing decision.

        Raises:
            AccessDenied: The decision was a denial; it is attached as ``decision``.
            ValidationError: As ``decide``.
        """
        decision = self.decide(principal, permission, resource, action=action)
        if not decision.allowed:
            raise denied(decision, principal, Permission(permission), resource, action)
        return decision

    def explain(self, decision: AccessDecision) -> str:
        """The decision in one sentence, naming the rule that allowed or denied.

        ``denied by rule 'default deny': no rule grants 'approve' on Product Delivery Case
        to roles {caseworker}``

        Complexity: O(len(reason)).

        Raises:
            ValidationError: ``decision`` is not an AccessDecision.
        """
        return check_instance(decision, AccessDecision, what="the decision to explain").explain()

    def read_filter(self, principal: Principal) -> ReadFilter:
        """Which cases ``principal`` may read, as a [`ReadFilter`][casekit.security.ReadFilter].

        ``read_filter(p).matches(r) == decide(p, READ, r).allowed`` for every resource.

        Complexity: O(r) for the r rules about reading.

        Raises:
            ValidationError: ``principal`` is not a Principal.
        """
        check_instance(principal, Principal, what="the principal of a read filter")
        roles = principal.roles
        mine = [c for c in self._read_clauses if c.roles is None or not c.roles.isdisjoint(roles)]
        return ReadFilter(
            principal,
            principal.clearance,
            self.location_mode,
            tuple(c for c in mine if c.allow),
            tuple(c for c in mine if not c.allow),
        )

    # ----- refusals ---------------------------------------------------------------------
    def _location_denial(self, principal: Principal, resource: CaseResource) -> AccessDecision:
        mode = self.location_mode
        left = allowed_list(mode.outside_permissions - {Permission.BREAK_GLASS})
        return AccessDecision(
            False,
            LOCATION_SECURITY,
            f"{resource.case_id} is in location {resource.location!r} and {principal} in "
            f"{principal.location!r}; location security {mode.value!r} leaves people outside "
            f"the location {left if left != 'none' else 'nothing'} but breaking the glass "
            "(its owner and supervisor are always in)",
        )


def _default_deny(
    principal: Principal,
    permission: Permission,
    resource: CaseResource,
    action: str | None,
    relationships: int | None,
) -> AccessDecision:
    reason = (
        f"no rule grants {permission.value!r} on {resource.case_type} to roles "
        f"{_roles_text(principal.roles)}"
    )
    if action is not None:
        reason += f" for action {action!r}"
    if resource.program is not None:
        reason += f" in program {resource.program!r}"
    if relationships is not None:
        reason += f" (relationships to {resource.case_id}: {_RELATIONSHIP_NAMES[relationships]})"
    return AccessDecision(False, DEFAULT_DENY, reason)


_ROLES_TEXT: dict[frozenset[str], str] = {}


def _roles_text(roles: frozenset[str]) -> str:
    """``{auditor, caseworker}``, cached: a denial's reason is built on the decision's path."""
    text = _ROLES_TEXT.get(roles)
    if text is None:
        if len(_ROLES_TEXT) >= 4096:
            _ROLES_TEXT.clear()
        text = _ROLES_TEXT[roles] = "{" + ", ".join(sorted(roles)) + "}"
    return text


_RELATIONSHIP_NAMES = tuple(
    ", ".join(m.name.lower() for m in Relationship if m.value & bits and m.name) or "none"
    for bits in range(1 << len(Relationship))
)
"""The names of the relationships in each combination of bits, e.g. ``"owner, reviewer"``."""


def _table(clauses: list[RuleClause]) -> _Table:
    return (
        tuple(c for c in clauses if not c.allow),
        tuple(c for c in clauses if c.allow),
        any(c.relationships for c in clauses),
    )
