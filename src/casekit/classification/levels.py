"""A classification: one path through the taxonomy's five levels.

Record Type → Category → Sub-Category → Disposition → Child Disposition, with ``"NA"`` where
the tree has no value at a level. Written as one string for configuration:
``"Medicaid / MCO Plan Shopping / NA / Plan Selected in Error / NA"``.
"""

from __future__ import annotations

import attrs

from casekit.errors import ValidationError

__all__ = ["LEVELS", "NA", "Classification"]

NA = "NA"
"""The value of a level the tree leaves empty (the seed's "Sub-Category: NA")."""

LEVELS = ("Record Type", "Category", "Sub-Category", "Disposition", "Child Disposition")
"""The taxonomy's levels, top down."""

_SEPARATOR = " / "


def _level(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip() or "/" in value:
        raise ValidationError(
            f"classification level {attribute.name} must be a non-empty string without '/', "
            f"got {value!r}"
        )


@attrs.frozen(slots=True, order=True)
class Classification:
    """One path through the taxonomy.

    Attributes:
        record_type: The case record type (``"Medicaid"``).
        category: The category (``"MCO Plan Shopping"``).
        sub_category: The sub-category, or ``"NA"``.
        disposition: The disposition (``"Plan Selected in Error"``).
        child_disposition: The child disposition, or ``"NA"``.
    """

    record_type: str = attrs.field(validator=_level)
    category: str = attrs.field(validator=_level)
    sub_category: str = attrs.field(default=NA, validator=_level)
    disposition: str = attrs.field(default=NA, validator=_level)
    child_disposition: str = attrs.field(default=NA, validator=_level)

    @classmethod
    def parse(cls, text: str | Classification) -> Classification:
        """Read ``"Record Type / Category / Sub-Category / Disposition / Child Disposition"``.

        Trailing levels may be left out (they are ``"NA"``).

        Raises:
            ValidationError: Fewer than two or more than five levels, or an empty one.
        """
        if isinstance(text, Classification):
            return text
        if not isinstance(text, str):
            raise ValidationError(f"a classification must be a string or Classification: {text!r}")
        parts = [part.strip() for part in text.split("/")]
        if not 2 <= len(parts) <= len(LEVELS):
            raise ValidationError(
                f"classification {text!r} has {len(parts)} levels; give 2 to {len(LEVELS)} of "
                + _SEPARATOR.join(LEVELS)
            )
        return cls(*parts)

    @property
    def path(self) -> tuple[str, str, str, str, str]:
        """The five levels, top down."""
        return (
            self.record_type,
            self.category,
            self.sub_category,
            self.disposition,
            self.child_disposition,
        )

    def __str__(self) -> str:
        return _SEPARATOR.join(self.path)
