"""Who acts: a [`Principal`][], a person or a declared automatic check.

Every application command is performed by a principal and the audit records it. A person
has roles, an org unit and a location, a clearance (the sensitivity level they may see,
1–5 as in Cúram) and teams (the work queues and positions they belong to). Work done by
casekit itself comes from a declared automatic check, a principal of another kind: a person
whose id happens to be ``"system"`` is still a person.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from casekit.checks import (
    MAX_LEVEL,
    MIN_LEVEL,
    check_enum,
    check_id,
    check_level,
    check_optional_id,
)
from casekit.errors import ValidationError

__all__ = ["MAX_LEVEL", "MIN_LEVEL", "Principal", "PrincipalKind", "check_level", "id_set"]


class PrincipalKind(enum.StrEnum):
    """What kind of principal acts: a person, or an automatic check casekit declares."""

    USER = "user"
    AUTOMATIC = "automatic"


def id_set(value: object, *, what: str) -> frozenset[str]:
    """Return ``value`` as a frozenset of ids (role names, team ids, participant ids).

    A bare string is refused: it would otherwise be read as a set of its characters.

    Complexity: O(n) for n ids.

    Raises:
        ValidationError: A string, a non-iterable, or an id that is blank or too long.
    """
    if type(value) is frozenset and all(type(item) is str and item.strip() for item in value):
        return value
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(
            f"{what} must be a set of ids (e.g. {{'caseworker'}}), got {value!r:.80}"
        )
    return frozenset(check_id(item, what=f"an id in {what}") for item in value)


def _id(value: str) -> str:
    return check_id(value, what="Principal.id")


def _roles(value: Iterable[str]) -> frozenset[str]:
    return id_set(value, what="Principal.roles")


def _teams(value: Iterable[str]) -> frozenset[str]:
    return id_set(value, what="Principal.teams")


def _org_unit(value: str | None) -> str | None:
    return check_optional_id(value, what="Principal.org_unit")


def _location(value: str | None) -> str | None:
    return check_optional_id(value, what="Principal.location")


def _clearance(value: int) -> int:
    return check_level(value, what="Principal.clearance")


def _kind(value: PrincipalKind | str) -> PrincipalKind:
    return check_enum(value, PrincipalKind, what="Principal.kind")


@attrs.frozen(slots=True)
class Principal:
    """Who performs an action: a person, or a declared automatic check.

    Validated when built (a refused principal is never half-made); equal when every field is
    equal. Use [`Principal.system`][casekit.security.Principal.system] for an automatic check.

    Complexity: construction O(r + t) for r roles and t teams (it precomputes the
    references the policy compares, so a decision does no string building).

    Attributes:
        id: The user id (or the automatic check's name).
        roles: The roles the principal holds (``{"caseworker"}``); the policy grants
            permissions to roles.
        org_unit: The organisation unit the person belongs to, if any.
        location: The location the person works in, if any (location security).
        clearance: The highest sensitivity level (1–5) the principal may see.
        teams: The work queues and positions the person belongs to: members of a case's
            owning queue or position are related to it as ``MEMBER``.
        kind: ``user`` or ``automatic``.
    """

    id: str = attrs.field(converter=_id)
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles)
    org_unit: str | None = attrs.field(default=None, kw_only=True, converter=_org_unit)
    location: str | None = attrs.field(default=None, kw_only=True, converter=_location)
    clearance: int = attrs.field(default=MIN_LEVEL, kw_only=True, converter=_clearance)
    teams: frozenset[str] = attrs.field(default=frozenset(), kw_only=True, converter=_teams)
    kind: PrincipalKind = attrs.field(default=PrincipalKind.USER, kw_only=True, converter=_kind)
    # Precomputed for the policy: what a case's owner/supervisor/reviewer reference must be
    # to name this principal (see casekit.security.resource.owner_ref).
    user_ref: str = attrs.field(init=False, eq=False, repr=False)
    """``"User:<id>"`` for a person; empty for an automatic check (it owns nothing)."""
    group_refs: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    """The owner references of the positions, queues and org unit the person belongs to."""
    refs: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    """``user_ref`` and ``group_refs`` together."""

    def __attrs_post_init__(self) -> None:
        if self.kind is PrincipalKind.AUTOMATIC:
            user_ref, groups = "", frozenset[str]()
        else:
            user_ref = f"User:{self.id}"
            groups = frozenset(
                [f"Position:{t}" for t in self.teams]
                + [f"Work Queue:{t}" for t in self.teams]
                + ([f"Org Unit:{self.org_unit}"] if self.org_unit is not None else [])
            )
        object.__setattr__(self, "user_ref", user_ref)
        object.__setattr__(self, "group_refs", groups)
        object.__setattr__(self, "refs", groups | {user_ref} if user_ref else groups)

    @classmethod
    def system(
        cls, check: str, *, roles: Iterable[str] = (), clearance: int = MAX_LEVEL
    ) -> Principal:
        """The principal of a declared automatic check (a deadline sweep, a reassessment).

        Its kind is ``automatic``, so a person cannot pass for it by calling themselves
        ``"system"``; it owns, supervises and reviews nothing, and like everyone it may do
        only what the policy grants its roles.

        Complexity: O(r) for r roles.

        Args:
            check: The automatic check's name (``"deadline-sweep"``).
            roles: The roles the policy grants the check's permissions to.
            clearance: The levels the check may see (default: all).

        Raises:
            ValidationError: A blank name, a role that is not an id, a clearance outside 1–5.
        """
        return cls(check, roles, clearance=clearance, kind=PrincipalKind.AUTOMATIC)

    @property
    def is_automatic(self) -> bool:
        """True for a declared automatic check."""
        return self.kind is PrincipalKind.AUTOMATIC

    def __str__(self) -> str:
        return f"automatic check {self.id}" if self.is_automatic else f"user {self.id}"
