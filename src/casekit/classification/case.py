"""The base class of classified case types: a case with a classification and documentation.

Declare a classified case type as any other, subclassing [`ClassifiedCase`][], and put
the taxonomy's ``classify`` action (and any flow's actions) in its lifecycle::

    @case_type(lifecycle, prefix="MCO")
    @attrs.define(eq=False, slots=True, kw_only=True, repr=False)
    class TrackerCase(ClassifiedCase[TrackerStatus]): ...

Both fields round-trip through the case codec; sensitive documentation values are stored as
their vault token and last four characters only.
"""

from __future__ import annotations

import enum
from typing import TypeVar

import attrs

from casekit.cases import Case
from casekit.classification.levels import Classification
from casekit.classification.templates import Documentation

__all__ = ["ClassifiedCase"]

S = TypeVar("S", bound=enum.Enum)


@attrs.define(eq=False, slots=True, kw_only=True, repr=False, on_setattr=attrs.setters.NO_OP)
class ClassifiedCase(Case[S]):
    """A case classified in a taxonomy, with its subject and documentation.

    Attributes:
        classification: Where the case sits in the taxonomy (None until first classified).
        documentation: The filled documentation template (None until documented).
    """

    classification: Classification | None = None
    documentation: Documentation | None = None

    def _type_checkpoint(self) -> object:
        return (self.classification, self.documentation, self._classified_checkpoint())

    def _type_rollback(self, checkpoint: object) -> None:
        assert isinstance(checkpoint, tuple)
        self.classification, self.documentation, rest = checkpoint
        self._classified_rollback(rest)

    def _classified_checkpoint(self) -> object:
        """Capture a subclass's own state an action may change (override in subclasses)."""
        return None

    def _classified_rollback(self, checkpoint: object) -> None:
        """Put back what `_classified_checkpoint` captured (override in subclasses)."""

    @property
    def subject(self) -> str | None:
        """The case subject, from its documentation."""
        return self.documentation.subject if self.documentation is not None else None
