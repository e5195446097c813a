"""The rules a policy is declared with: [`Grant`][] and [`Deny`][], validated when built.

A rule applies to a request when each of its conditions holds: one of its roles is the
principal's, the permission is one of its permissions, the case type, the lifecycle action
and the program are among its own (or it says ``ANY``), and the principal has one of its
relationships to the case (or it says ``ANY``). A grant that applies allows, unless a deny
applies too: deny overrides.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TypeAlias

import attrs

from casekit.checks import check_enum, check_optional_text
from casekit.errors import ValidationError, allowed_list
from casekit.security.permissions import Permission
from casekit.security.principal import id_set
from casekit.security.relationship import Relationship

__all__ = ["ANY", "AnyValue", "Deny", "Grant", "Rule", "Scope"]


class AnyValue(enum.Enum):
    """The type of [`ANY`][casekit.security.ANY]."""

    ANY = "any"

    def __repr__(self) -> str:
        return "ANY"


ANY = AnyValue.ANY
"""A rule condition that every value meets (any case type, any action, any relationship)."""

Scope: TypeAlias = frozenset[str] | AnyValue
"""A rule's condition on one attribute: the values it accepts, or ``ANY``."""


def _scope(value: object, what: str, *, any_ok: bool = True) -> Scope:
    if value is ANY:
        return ANY
    scope = frozenset({value}) if isinstance(value, str) else value
    checked = id_set(scope, what=what)
    if not checked:
        valid = "name at least one, or ANY" if any_ok else "name at least one"
        raise ValidationError(f"{what} is empty, so the rule could never apply; {valid}")
    return checked


def _permissions(value: object, what: str) -> frozenset[Permission]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise ValidationError(
            f"{what} must be a Permission or a set of them ({allowed_list(Permission)}), "
            f"got {value!r:.80}"
        )
    permissions = frozenset(
        check_enum(item, Permission, what=f"a permission in {what}") for item in items
    )
    if not permissions:
        raise ValidationError(f"{what} is empty; name at least one of {allowed_list(Permission)}")
    return permissions


def _relationship(value: object, what: str) -> Relationship | AnyValue:
    if value is ANY:
        return ANY
    if isinstance(value, str):
        member = Relationship.__members__.get(value.upper())
        if member is not None:
            return member
    elif isinstance(value, Relationship) and value:
        return value
    valid = ", ".join(["ANY", *Relationship.__members__])
    raise ValidationError(f"{what} must be a Relationship ({valid}), got {value!r:.80}")


def _name(value: str | None) -> str | None:
    return check_optional_text(value, what="a rule's name")


def _describe_scope(scope: Scope, noun: str) -> str:
    return f"any {noun}" if scope is ANY else ", ".join(sorted(scope))


class _RuleBase:
    """What Grant and Deny share; see there."""

    __slots__ = ()
    roles: Scope
    permissions: frozenset[Permission]
    case_types: Scope
    actions: Scope
    programs: Scope
    relationship: Relationship | AnyValue
    name: str | None

    @property
    def kind(self) -> str:
        """``"grant"`` or ``"deny"``."""
        return "grant" if isinstance(self, Grant) else "deny"

    def describe(self) -> str:
        """The rule in words: ``grants read, edit on Product Delivery Case to caseworker``.

        Complexity: O(size of the rule).
        """
        roles = self.roles
        verb = "grants" if self.kind == "grant" else "denies"
        permissions = (
            "every permission"
            if len(self.permissions) == len(Permission)
            else ", ".join(sorted(p.value for p in self.permissions))
        )
        text = (
            f"{verb} {permissions} on "
            f"{_describe_scope(self.case_types, 'case type')} "
            f"{'to' if self.kind == 'grant' else 'for'} {_describe_scope(roles, 'role')}"
        )
        if self.actions is not ANY:
            text += f" for actions {_describe_scope(self.actions, 'action')}"
        if self.programs is not ANY:
            text += f" in programs {_describe_scope(self.programs, 'program')}"
        if isinstance(self.relationship, Relationship):
            names = [m.name.lower() for m in Relationship if m in self.relationship and m.name]
            text += f" as {' or '.join(names)}"
        return text


def _grant_roles(value: str | Iterable[str]) -> frozenset[str]:
    if isinstance(value, AnyValue):
        raise ValidationError(
            "Grant.roles must name the roles it grants to (a grant to every role is refused: "
            "access is denied by default), got ANY"
        )
    scope = _scope(value, "Grant.roles", any_ok=False)
    if isinstance(scope, AnyValue):  # pragma: no cover  (refused above)
        raise ValidationError("Grant.roles must name roles, got ANY")
    return scope


def _deny_roles(value: str | Iterable[str] | AnyValue) -> Scope:
    return _scope(value, "Deny.roles")


_Permissions: TypeAlias = Permission | str | Iterable[Permission | str]


def _grant_permissions(value: _Permissions) -> frozenset[Permission]:
    return _permissions(value, "Grant.permissions")


def _deny_permissions(value: _Permissions) -> frozenset[Permission]:
    return _permissions(value, "Deny.permissions")


def _case_types(value: str | Iterable[str] | AnyValue) -> Scope:
    return _scope(value, "a rule's case_types")


def _actions(value: str | Iterable[str] | AnyValue) -> Scope:
    return _scope(value, "a rule's actions")


def _programs(value: str | Iterable[str] | AnyValue) -> Scope:
    return _scope(value, "a rule's programs")


def _relationship_field(value: Relationship | str | AnyValue) -> Relationship | AnyValue:
    return _relationship(value, "a rule's relationship")


@attrs.frozen(slots=True, kw_only=True)
class Grant(_RuleBase):
    """Allow ``permissions`` to principals holding one of ``roles``, within its scope.

    Complexity: construction O(size of the rule).

    Attributes:
        roles: The roles granted (a name or a set of names; never ``ANY``).
        permissions: What is granted (a [`Permission`][casekit.security.Permission], its
            value, or a set of them).
        case_types: The case types it covers (display names), or ``ANY``.
        actions: The lifecycle actions it covers (for ``perform``), or ``ANY``. A rule with
            named actions applies only to requests that name one of them.
        programs: The programs it covers, or ``ANY``.
        relationship: The relationships to the case that qualify (``Relationship.OWNER |
            Relationship.SUPERVISOR``: either will do), or ``ANY``.
        name: The rule's name in explanations; the policy names an unnamed rule
            ``"grant #n"``.

    Raises:
        ValidationError: No roles, ``ANY`` roles, an unknown permission or relationship, an
            empty set, or a malformed name (the message lists the valid values).
    """

    roles: frozenset[str] = attrs.field(converter=_grant_roles)
    permissions: frozenset[Permission] = attrs.field(converter=_grant_permissions)
    case_types: Scope = attrs.field(default=ANY, converter=_case_types)
    actions: Scope = attrs.field(default=ANY, converter=_actions)
    programs: Scope = attrs.field(default=ANY, converter=_programs)
    relationship: Relationship | AnyValue = attrs.field(default=ANY, converter=_relationship_field)
    name: str | None = attrs.field(default=None, converter=_name)


@attrs.frozen(slots=True, kw_only=True)
class Deny(_RuleBase):
    """Refuse ``permissions`` within its scope, whatever any grant says (deny overrides).

    Complexity: construction O(size of the rule).

    Attributes:
        roles: The roles it refuses (a name or a set), or ``ANY`` (the default: everyone in
            its scope).
        permissions: What is refused.
        case_types: The case types it covers, or ``ANY``.
        actions: The lifecycle actions it covers, or ``ANY``.
        programs: The programs it covers, or ``ANY``.
        relationship: The relationships it refuses (``Relationship.PARTICIPANT``: staff on
            their own case), or ``ANY``.
        name: The rule's name in explanations; the policy names an unnamed rule
            ``"deny #n"``.

    Raises:
        ValidationError: An unknown permission or relationship, an empty set, or a
            malformed name (the message lists the valid values).
    """

    permissions: frozenset[Permission] = attrs.field(converter=_deny_permissions)
    roles: Scope = attrs.field(default=ANY, converter=_deny_roles)
    case_types: Scope = attrs.field(default=ANY, converter=_case_types)
    actions: Scope = attrs.field(default=ANY, converter=_actions)
    programs: Scope = attrs.field(default=ANY, converter=_programs)
    relationship: Relationship | AnyValue = attrs.field(default=ANY, converter=_relationship_field)
    name: str | None = attrs.field(default=None, converter=_name)


Rule: TypeAlias = Grant | Deny
"""A policy rule."""
