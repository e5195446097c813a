"""Who owns a new case, and who supervises an owner: pluggable strategies.

The default ownership strategy gives a new case to the user who registered its primary
client (domain.md §1). The supervisor is explicit, or resolved from the owner's reporting
line through an [`OrgStructure`][] the embedding application supplies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import attrs

from casekit.cases.parts import Owner
from casekit.errors import ValidationError

__all__ = ["OrgStructure", "OwnershipStrategy", "RegisteringUser", "ReportingLines"]


class OrgStructure(Protocol):
    """The organisation's reporting lines."""

    def supervisor_of(self, owner: Owner) -> Owner | None:
        """Return who supervises ``owner``, or None when nobody does."""
        ...


class OwnershipStrategy(Protocol):
    """Picks the initial owner of a new case."""

    def initial_owner(
        self, case_type: str, primary_client: str | None, registered_by: str
    ) -> Owner:
        """Return the owner for a new case of ``case_type``."""
        ...


@attrs.frozen
class RegisteringUser:
    """The default strategy: the user who registered the primary client owns the case."""

    def initial_owner(
        self, case_type: str, primary_client: str | None, registered_by: str
    ) -> Owner:
        """Return ``Owner.user(registered_by)``."""
        return Owner.user(registered_by)


@attrs.frozen
class ReportingLines:
    """An [`OrgStructure`][] from a plain mapping of owner → supervisor."""

    lines: Mapping[Owner, Owner]

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.lines, Mapping):
            raise ValidationError(
                f"reporting lines must be a mapping of Owner to Owner, got {self.lines!r}"
            )
        for owner, supervisor in self.lines.items():
            if type(owner) is not Owner or type(supervisor) is not Owner:
                raise ValidationError(
                    "reporting lines must map an Owner to an Owner, "
                    f"got {owner!r} -> {supervisor!r}"
                )

    def supervisor_of(self, owner: Owner) -> Owner | None:
        """Return the owner's supervisor from the mapping, or None."""
        return self.lines.get(owner) if type(owner) is Owner else None
