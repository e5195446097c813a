"""The taxonomy tree and its disposition rules, declared as rows.

Each [`Rule`][] is one row of the procedure's configuration: a path through the five
levels, the status that disposition generates, the owner queue it routes to, the
documentation templates the case must carry and any conditions on the case. The
[`Taxonomy`][] builds the tree from the rows and refuses a classification outside it with
the values allowed at the failing level.

Complexity: building is O(R) for R rules; checking a classification is O(levels) dict lookups.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from casekit.cases import Owner
from casekit.checks import attrs_check, check_instance, check_text
from casekit.classification.levels import LEVELS, NA, Classification
from casekit.classification.templates import DocTemplate
from casekit.errors import NotFound, NotInTaxonomy, ValidationError, allowed_list
from casekit.lifecycle import Guard

__all__ = ["Rule", "Taxonomy"]


def _path(value: Classification | str) -> Classification:
    return Classification.parse(value)


def _members(value: object, what: str) -> tuple[object, ...]:
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(f"{what} must be a collection, got {value!r:.80}")
    return tuple(value)


def _guards(value: Iterable[Guard[Any]]) -> tuple[Guard[Any], ...]:
    return tuple(
        check_instance(g, Guard, what="a rule guard") for g in _members(value, "rule guards")
    )


def _frozen_names(value: Iterable[str] | str) -> frozenset[str]:
    items = (value,) if isinstance(value, str) else _members(value, "names")
    return frozenset(check_text(v, what="a name") for v in items)


def _status(instance: object, attribute: object, value: Any) -> None:
    if not isinstance(value, enum.Enum):
        raise ValidationError(f"a rule's status must be a member of a status enum, got {value!r}")


def _owner(instance: object, attribute: object, value: Any) -> None:
    if value is not None and not isinstance(value, Owner):
        raise ValidationError(f"a rule's owner must be an Owner or None, got {value!r:.80}")


@attrs.frozen(slots=True)
class Rule:
    """A disposition rule: a path in the tree, and what classifying a case there does.

    Attributes:
        classification: The path (``"Medicaid / MCO Plan Shopping / NA / Plan Selected in
            Error / NA"``; trailing ``NA`` levels may be left out).
        status: The status the disposition generates (the user never types it).
        owner: The owner the case is routed to (a work queue, usually); None keeps the owner.
        templates: The documentation templates a case classified here must carry (any one
            of them); empty when no documentation is required.
        guards: Conditions on the case for this disposition (e.g. "only when the consumer's
            issues were not resolved"); the first that fails refuses the classification.
    """

    classification: Classification = attrs.field(converter=_path)
    status: enum.Enum = attrs.field(validator=_status)
    owner: Owner | None = attrs.field(default=None, validator=_owner)
    templates: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_names)
    guards: tuple[Guard[Any], ...] = attrs.field(default=(), converter=_guards)


_Tree = dict[str, "_Tree | Rule"]


def _rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(
        check_instance(r, Rule, what="a taxonomy rule") for r in _members(value, "taxonomy rules")
    )


def _templates(value: Iterable[DocTemplate]) -> tuple[DocTemplate, ...]:
    return tuple(
        check_instance(t, DocTemplate, what="a taxonomy template")
        for t in _members(value, "taxonomy templates")
    )


@attrs.frozen(slots=True)
class Taxonomy:
    """A classification tree with its disposition rules and documentation templates.

    Attributes:
        name: The taxonomy's name, for messages.
        rules: One rule per leaf of the tree.
        templates: The documentation templates rules refer to, by name.

    Raises:
        ValidationError: Two rules for one path, statuses from two enums, an owner that is
            not an [`Owner`][], or a rule naming an unknown template.
    """

    name: str = attrs.field(validator=attrs_check(check_text))
    rules: tuple[Rule, ...] = attrs.field(converter=_rules)
    templates: tuple[DocTemplate, ...] = attrs.field(default=(), converter=_templates)
    _tree: _Tree = attrs.field(init=False, repr=False, eq=False)
    _templates: Mapping[str, DocTemplate] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        templates = {t.name: t for t in self.templates}
        if len(templates) != len(self.templates):
            raise ValidationError(f"taxonomy {self.name!r} declares a template name twice")
        tree: _Tree = {}
        enums = {type(rule.status) for rule in self.rules}
        if len(enums) > 1:
            names = allowed_list(e.__name__ for e in enums)
            raise ValidationError(f"taxonomy {self.name!r} mixes statuses of {names}")
        for rule in self.rules:
            if rule.owner is not None and not isinstance(rule.owner, Owner):
                raise ValidationError(
                    f"taxonomy {self.name!r}: owner of {rule.classification} must be an Owner, "
                    f"got {rule.owner!r}"
                )
            unknown = rule.templates - templates.keys()
            if unknown:
                raise ValidationError(
                    f"taxonomy {self.name!r}: {rule.classification} names unknown templates "
                    f"{allowed_list(unknown)}; declared: {allowed_list(templates)}"
                )
            node = tree
            *branches, leaf = rule.classification.path
            for value in branches:
                child = node.setdefault(value, {})
                assert isinstance(child, dict)
                node = child
            if leaf in node:
                raise ValidationError(
                    f"taxonomy {self.name!r} has two rules for {rule.classification}"
                )
            node[leaf] = rule
        object.__setattr__(self, "_tree", tree)
        object.__setattr__(self, "_templates", templates)

    def rule(self, classification: Classification | str) -> Rule:
        """The rule for a classification.

        Raises:
            NotInTaxonomy: The path leaves the tree; the message names the level, the value
                and the values allowed there.
        """
        path = Classification.parse(classification).path
        node: _Tree | Rule = self._tree
        for depth, value in enumerate(path):
            assert isinstance(node, dict)
            if value not in node:
                above = " / ".join(path[:depth]) or "the top"
                raise NotInTaxonomy(
                    f"{LEVELS[depth]} {value!r} is not in taxonomy {self.name!r} under "
                    f"{above}; allowed: {allowed_list(node)}",
                    level=LEVELS[depth],
                    value=value,
                    allowed=node,
                )
            node = node[value]
        assert isinstance(node, Rule)
        return node

    def check(
        self,
        *,
        record_type: str,
        category: str,
        sub_category: str = NA,
        disposition: str,
        child_disposition: str = NA,
    ) -> Rule:
        """The rule for the classification given level by level (see [`rule`][]).

        Raises:
            NotInTaxonomy: A level's value is outside the tree.
            ValidationError: A level is not a non-empty string.
        """
        return self.rule(
            Classification(record_type, category, sub_category, disposition, child_disposition)
        )

    def allowed(self, *prefix: str) -> tuple[str, ...]:
        """The values allowed at the level below ``prefix``, sorted (the top level with none).

        Raises:
            ValidationError: A prefix value is not a non-blank string.
            NotInTaxonomy: ``prefix`` leaves the tree.
        """
        for value in prefix:
            check_text(value, what=f"a level of taxonomy {self.name!r}")
        node: _Tree | Rule = self._tree
        for depth, value in enumerate(prefix):
            if not isinstance(node, dict) or value not in node:
                allowed = node if isinstance(node, dict) else {}
                raise NotInTaxonomy(
                    f"{LEVELS[depth]} {value!r} is not in taxonomy {self.name!r}; "
                    f"allowed: {allowed_list(allowed)}",
                    level=LEVELS[depth],
                    value=value,
                    allowed=allowed,
                )
            node = node[value]
        return tuple(sorted(node)) if isinstance(node, dict) else ()

    def template(self, name: str) -> DocTemplate:
        """The documentation template called ``name``.

        Raises:
            ValidationError: ``name`` is not a non-blank string.
            NotFound: No such template; the message lists the declared ones.
        """
        check_text(name, what=f"a template name of taxonomy {self.name!r}")
        try:
            return self._templates[name]
        except KeyError:
            raise NotFound(
                f"taxonomy {self.name!r} has no template {name!r}; "
                f"declared: {allowed_list(self._templates)}"
            ) from None

    @property
    def statuses(self) -> tuple[enum.Enum, ...]:
        """The statuses the rules generate, in declaration order without repeats."""
        return tuple(dict.fromkeys(rule.status for rule in self.rules))

    def rules_where(self, **levels: str | Iterable[str]) -> tuple[Rule, ...]:
        """The rules whose levels match, e.g. ``rules_where(disposition="MCO Updated")``.

        Level keywords are the [`Classification`][] attribute names; a value may be one
        name or several.

        Raises:
            ValidationError: An unknown level keyword.
        """
        fields = {f.name for f in attrs.fields(Classification)}
        unknown = sorted(set(levels) - fields)
        if unknown:
            raise ValidationError(
                f"unknown taxonomy levels {', '.join(unknown)}; levels: {allowed_list(fields)}"
            )
        wanted = {key: _frozen_names(value) for key, value in levels.items()}
        return tuple(
            rule
            for rule in self.rules
            if all(getattr(rule.classification, k) in v for k, v in wanted.items())
        )
