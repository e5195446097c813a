"""Location security, after Cúram: off, on, restricted view, read-only.

A case may belong to a location. With location security on, a person whose location is
another one (or who has none) is kept out of the case, except the case's owner and
supervisor, who always have access. The two milder modes let the outsider read: *restricted
view* only the case itself (not revealing masked values or exporting), *read-only* whatever
changes nothing. In every mode an outsider may still ask to break the glass
(``break_glass``: time-boxed, audited emergency access). Location security only ever takes
access away: what the policy does not grant stays denied. Declared automatic checks serve
every location and are not subject to it. A case without a location is not restricted.
"""

from __future__ import annotations

import enum

from casekit.security.permissions import READ_PERMISSIONS, Permission
from casekit.security.principal import Principal
from casekit.security.relationship import Relationship
from casekit.security.resource import CaseResource

__all__ = ["LocationMode", "location_allows"]


class LocationMode(enum.StrEnum):
    """How strictly a policy keeps people to their own location's cases.

    Members:
        OFF: Locations are not looked at.
        ON: Outside their location, people have no access at all (they may only ask to
            ``break_glass``, as in every mode).
        RESTRICTED_VIEW: Outside their location, people may only ``read``.
        READ_ONLY: Outside their location, people may ``read``, ``reveal`` and ``export``
            (the permissions that change nothing), but not change anything.
    """

    OFF = "off"
    ON = "on"
    RESTRICTED_VIEW = "restricted view"
    READ_ONLY = "read-only"

    @property
    def outside_permissions(self) -> frozenset[Permission]:
        """What this mode leaves to someone outside the case's location."""
        return _OUTSIDE[self]


_GLASS = frozenset({Permission.BREAK_GLASS})
"""Left to outsiders in every mode: break-the-glass is how someone outside reaches a case in
an emergency (time-boxed, with a reason, audited, the supervisor told); the policy's grants
and the sensitivity check still decide who may ask."""

_OUTSIDE = {
    LocationMode.OFF: frozenset(Permission),
    LocationMode.ON: _GLASS,
    LocationMode.RESTRICTED_VIEW: frozenset({Permission.READ}) | _GLASS,
    LocationMode.READ_ONLY: READ_PERMISSIONS | _GLASS,
}

ALWAYS_IN = (Relationship.OWNER | Relationship.SUPERVISOR).value
"""The relationships that location security never keeps out (as bits)."""


def location_allows(
    mode: LocationMode,
    principal: Principal,
    permission: Permission,
    resource: CaseResource,
    relationships: int,
) -> bool:
    """True when location security lets ``principal`` have ``permission`` on the case.

    Complexity: O(1).

    Args:
        mode: The policy's location security mode.
        principal: Who asks.
        permission: What they ask for.
        resource: The case.
        relationships: The principal's relationships to the case, as bits
            ([`relationships_of`][casekit.security.relationships_of]).
    """
    location = resource.location
    return (
        mode is LocationMode.OFF
        or location is None
        or location == principal.location
        or permission in _OUTSIDE[mode]
        or bool(relationships & ALWAYS_IN)
        or principal.is_automatic
    )
