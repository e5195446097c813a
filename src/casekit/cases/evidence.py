"""Evidence: typed, effective-dated, versioned records on a case.

A correction never edits a record: it appends a new version with the same ``evidence_id``.
Ending a record is a correction that sets ``effective_to``; removing one appends a version
marked ``removed``. Every change is a "change in circumstance" that can trigger
reassessment.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime

import attrs

from casekit.checks import check_date
from casekit.errors import NotFound, ValidationError

__all__ = ["Evidence", "EvidenceLog"]


@attrs.frozen(slots=True)
class Evidence:
    """One version of one piece of evidence.

    Attributes:
        evidence_id: Stable across versions.
        type: The evidence type (``"income"``, ``"household member"`` ...).
        attributes: The recorded values.
        effective_from: First day it holds.
        effective_to: Last day it holds (inclusive), or None when open-ended.
        version: 1 for the first record, +1 per correction.
        recorded_at: When this version was recorded.
        recorded_by: Who recorded it.
        verified: Whether a worker verified it.
        removed: Whether this version removes the evidence.
    """

    evidence_id: str
    type: str
    attributes: Mapping[str, object]
    effective_from: date
    effective_to: date | None
    version: int
    recorded_at: datetime
    recorded_by: str
    verified: bool = False
    removed: bool = False

    def in_force_on(self, day: date) -> bool:
        """True when this version is not removed and ``day`` is within its dates."""
        return (
            not self.removed
            and self.effective_from <= day
            and (self.effective_to is None or day <= self.effective_to)
        )


def check_dates(effective_from: object, effective_to: object) -> None:
    """Refuse an effective period that is not made of dates or ends before it starts."""
    effective_from = check_date(effective_from, what="evidence effective_from")
    if effective_to is not None:
        effective_to = check_date(effective_to, what="evidence effective_to")
    if effective_to is not None and effective_to < effective_from:
        raise ValidationError(
            f"evidence effective_to {effective_to} is before effective_from {effective_from}"
        )


class EvidenceLog:
    """Every version of every piece of evidence on one case, in recording order.

    Queries are O(n) over the versions of the case, which stay small (tens to hundreds).
    Mutations go through the case (``case.add_evidence`` ...), which stamps and publishes them.
    """

    __slots__ = ("_records",)

    def __init__(self, records: list[Evidence] | None = None) -> None:
        self._records: list[Evidence] = records if records is not None else []

    def __iter__(self) -> Iterator[Evidence]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EvidenceLog):
            return NotImplemented
        return self._records == other._records

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"EvidenceLog({len(self._records)} versions)"

    def all_versions(self) -> tuple[Evidence, ...]:
        """Every version, oldest first."""
        return tuple(self._records)

    def history(self, evidence_id: str) -> tuple[Evidence, ...]:
        """The versions of one piece of evidence, oldest first.

        Raises:
            NotFound: If no evidence has that id.
        """
        versions = tuple(e for e in self._records if e.evidence_id == evidence_id)
        if not versions:
            raise NotFound(f"no evidence {evidence_id!r} on this case")
        return versions

    def latest(self, evidence_id: str) -> Evidence:
        """The latest version of one piece of evidence (removed or not)."""
        return self.history(evidence_id)[-1]

    def current(self, type: str | None = None) -> tuple[Evidence, ...]:
        """The latest version of each piece of evidence that is not removed.

        Args:
            type: Only evidence of this type, when given.
        """
        latest: dict[str, Evidence] = {}
        for record in self._records:
            latest[record.evidence_id] = record
        return tuple(
            e for e in latest.values() if not e.removed and (type is None or e.type == type)
        )

    def in_force(self, type: str | None = None, *, on: date) -> tuple[Evidence, ...]:
        """Current evidence (of ``type``, when given) in force on day ``on``."""
        return tuple(e for e in self.current(type) if e.in_force_on(on))

    def _append(self, record: Evidence) -> None:
        self._records.append(record)

    def _truncate(self, length: int) -> None:
        del self._records[length:]
