"""Applying disposition rules: classify a case, and the status and owner follow.

[`classify_action`][] builds the lifecycle action a classified case type declares; its
target is resolved from the disposition rule, so the status is generated, never typed. The
helpers [`classify`][] and [`document`][] are the typed front door.

A classification outside the tree, one whose rule needs documentation the case lacks, or one
a rule's guard refuses is refused before anything changes; a classification applies status,
owner, classification and documentation in one atomic action recorded in the case's history
(action ``classify``, reason the new path).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from casekit.checks import (
    check_actor,
    check_instance,
    check_mapping,
    check_optional_text,
    check_text,
)
from casekit.classification.case import ClassifiedCase
from casekit.classification.levels import NA, Classification
from casekit.classification.sensitive import DEFAULT_VAULT, Sensitive, Vault
from casekit.classification.taxonomy import Rule, Taxonomy
from casekit.classification.templates import Documentation
from casekit.errors import GuardRejected, MissingFields, ValidationError, allowed_list
from casekit.lifecycle import Action, ActionContext, ActionResult

__all__ = ["admit", "apply_rule", "check_documentation", "classify", "classify_action", "document"]

logger = logging.getLogger(__name__)

_LEVEL_PARAMS = ("record_type", "category", "sub_category", "disposition", "child_disposition")
_PARAMS = frozenset({*_LEVEL_PARAMS, "classification", "documentation"})


def statuses_from(source: object, *, what: str) -> tuple[enum.Enum, ...]:
    """Return ``source`` as a tuple of status enum members (an enum class gives all of them).

    Raises:
        ValidationError: ``source`` is not a collection of enum members.
    """
    if isinstance(source, str | Mapping) or not isinstance(source, Iterable):
        raise ValidationError(f"{what} must be a collection of statuses, got {source!r:.80}")
    members = tuple(source)
    bad = [m for m in members if not isinstance(m, enum.Enum)]
    if bad:
        raise ValidationError(f"{what} must be status enum members, got {bad[0]!r:.80}")
    return members


def _classified(case: object) -> ClassifiedCase[Any]:
    if not isinstance(case, ClassifiedCase):
        raise ValidationError(
            f"{getattr(case, 'id', case)!r} is not a ClassifiedCase; classified case types "
            "subclass casekit.classification.ClassifiedCase"
        )
    return case


def _requested(taxonomy: Taxonomy, case: ClassifiedCase[Any], params: Mapping[str, object]) -> Rule:
    unknown = sorted(set(params) - _PARAMS)
    if unknown:
        raise ValidationError(
            f"classifying {case.id} takes no {', '.join(unknown)} (the status and owner follow "
            f"from the disposition); parameters: {allowed_list(_PARAMS)}"
        )
    given = params.get("classification")
    if given is not None:
        if not isinstance(given, Classification | str):
            raise ValidationError(
                f"classification of {case.id} must be a Classification or a path string, "
                f"got {given!r}"
            )
        return taxonomy.rule(given)
    for name in ("record_type", "category", "disposition"):
        if name not in params:
            raise ValidationError(
                f"classifying {case.id} needs {name}=; allowed at the top: "
                f"{allowed_list(taxonomy.allowed())}"
            )
    levels: list[str] = []
    for name in _LEVEL_PARAMS:
        value = params.get(name, NA)
        if not isinstance(value, str):
            raise ValidationError(f"{name} of {case.id} must be a string, got {value!r}")
        levels.append(value)
    return taxonomy.rule(Classification(*levels))


def admit(
    case: ClassifiedCase[Any],
    rule: Rule,
    context: ActionContext,
    action: str,
    documentation: Documentation | None = None,
) -> None:
    """Refuse to put ``case`` under ``rule`` unless its guards and documentation allow it.

    Raises:
        GuardRejected: One of the rule's guards failed (its reason given).
        MissingFields: The rule needs documentation the case does not carry.
        ValidationError: An argument of the wrong kind.
    """
    case = _classified(case)
    check_instance(rule, Rule, what=f"the rule admitting {case.id}")
    check_instance(context, ActionContext, what=f"the action context admitting {case.id}")
    action = check_text(action, what=f"the action admitting {case.id}")
    for guard in rule.guards:
        if not guard.check(case, context):
            raise GuardRejected(
                case.id, action, f"{rule.classification}: {guard.explain(case, context)}"
            )
    check_documentation(case, rule, documentation)


def check_documentation(
    case: ClassifiedCase[Any], rule: Rule, documentation: Documentation | None
) -> None:
    """Refuse a rule that needs documentation the case does not carry.

    Raises:
        MissingFields: The rule names templates and the documentation is missing or from
            another template.
        ValidationError: An argument of the wrong kind.
    """
    case = _classified(case)
    check_instance(rule, Rule, what=f"the rule checked for {case.id}")
    if documentation is not None:
        check_instance(documentation, Documentation, what=f"documentation of {case.id}")
    if not rule.templates:
        return
    doc = documentation if documentation is not None else case.documentation
    if doc is None or doc.template not in rule.templates:
        have = f"documentation from template {doc.template!r}" if doc else "no documentation"
        raise MissingFields(
            f"{case.id} has {have}; {rule.classification} needs documentation from one of "
            f"{allowed_list(rule.templates)}",
            missing=("documentation",),
        )


def _documentation(case: ClassifiedCase[Any], params: Mapping[str, object]) -> Documentation | None:
    doc = params.get("documentation")
    if doc is not None and not isinstance(doc, Documentation):
        raise ValidationError(
            f"documentation of {case.id} must come from DocTemplate.fill, got {type(doc).__name__}"
        )
    return doc


def apply_rule(
    case: ClassifiedCase[Any],
    rule: Rule,
    context: ActionContext,
    documentation: Documentation | None = None,
) -> None:
    """Give ``case`` the rule's classification and owner (inside an action's effects).

    Raises:
        ValidationError: An argument of the wrong kind (checked before any change).
    """
    case = _classified(case)
    check_instance(rule, Rule, what=f"the rule applied to {case.id}")
    check_instance(context, ActionContext, what=f"the action context classifying {case.id}")
    if documentation is not None:
        check_instance(documentation, Documentation, what=f"documentation of {case.id}")
    case.classification = rule.classification
    if documentation is not None:
        case.documentation = documentation
    if rule.owner is not None and rule.owner != case.roles.owner:
        case.assign_owner(rule.owner, actor=context.actor)
    logger.info(
        "classified %s as %s (%s, owner %s)",
        case.id,
        rule.classification,
        rule.status.value,
        case.roles.owner,
    )


def classify_action(
    taxonomy: Taxonomy,
    *,
    source: Iterable[enum.Enum],
    name: str = "classify",
) -> Action[Any]:
    """The lifecycle action that classifies a case in ``taxonomy``.

    Perform it with the five levels as parameters (or ``classification=`` a path), and
    optionally ``documentation=`` a filled template; the target status is the rule's.
    (Typed ``Action[Any]``: it serves every [`ClassifiedCase`][] type, and ``Action`` is
    invariant in its case type.)

    Args:
        taxonomy: The tree and its rules.
        source: The statuses a case may be (re)classified from.
        name: The action's name.

    Raises:
        ValidationError: ``taxonomy`` is not a taxonomy, ``source`` not a collection of
            status enum members, or ``name`` not a non-blank string.
    """
    check_instance(taxonomy, Taxonomy, what="the taxonomy of a classify action")
    statuses = statuses_from(source, what="the statuses a case may be classified from")
    name = check_text(name, what="the name of a classify action")

    def resolve(case: object, context: ActionContext) -> enum.Enum:
        classified = _classified(case)
        rule = _requested(taxonomy, classified, context.params)
        admit(classified, rule, context, name, _documentation(classified, context.params))
        return rule.status

    def effect(case: object, context: ActionContext) -> None:
        classified = _classified(case)
        rule = _requested(taxonomy, classified, context.params)
        apply_rule(classified, rule, context, _documentation(classified, context.params))

    return Action(
        name,
        statuses,
        resolve=resolve,
        targets=taxonomy.statuses,
        effects=(effect,),
        label=f"classify in {taxonomy.name}",
    )


def classify(
    case: ClassifiedCase[Any],
    *,
    record_type: str,
    category: str,
    sub_category: str = NA,
    disposition: str,
    child_disposition: str = NA,
    actor: str,
    reason: str | None = None,
    documentation: Documentation | None = None,
    action: str = "classify",
) -> ActionResult:
    """(Re)classify ``case``; its status and owner follow from the disposition rule.

    The history entry's reason is the new path (and ``reason``, when given).

    Raises:
        NotInTaxonomy: The classification is outside the tree (allowed values named).
        MissingFields: The rule needs documentation the case does not carry.
        GuardRejected: One of the rule's guards refused the case.
        InvalidTransition: The case's status does not allow ``action``.
        ValidationError: ``case`` is not a classified case, a level is not a non-blank
            string, or the actor, reason, documentation or action is not valid; all are
            checked before anything changes.
    """
    case = _classified(case)
    path = Classification(record_type, category, sub_category, disposition, child_disposition)
    actor = check_actor(actor, what=f"actor classifying {case.id}")
    reason = check_optional_text(reason, what=f"reason for classifying {case.id}")
    if documentation is not None:
        check_instance(documentation, Documentation, what=f"documentation of {case.id}")
    action = check_text(action, what=f"action classifying {case.id}")
    return case.perform(
        action,
        actor=actor,
        reason=f"{path}: {reason}" if reason else str(path),
        classification=path,
        documentation=documentation,
    )


def document(
    case: ClassifiedCase[Any],
    taxonomy: Taxonomy,
    template: str,
    values: Mapping[str, str | Sensitive],
    *,
    actor: str,
    vault: Vault = DEFAULT_VAULT,
) -> Documentation:
    """Fill ``template`` for ``case`` and record it (the CRM documentation), atomically.

    The documentation also goes into the case's notes, with sensitive values masked.

    Raises:
        NotFound: No such template.
        MissingFields: Required fields not given (named).
        ValidationError: ``case`` is not a classified case, ``taxonomy`` not a taxonomy, an
            unknown field, a blank value or one outside its choices, or no actor. Every
            argument and value is checked before anything is sealed or recorded.
    """
    case = _classified(case)
    check_instance(taxonomy, Taxonomy, what=f"taxonomy documenting {case.id}")
    actor = check_actor(actor, what=f"actor documenting {case.id}")
    chosen = taxonomy.template(check_text(template, what=f"template documenting {case.id}"))
    values = check_mapping(values, what=f"documentation values of {case.id}")
    doc = chosen.fill(values, vault=vault, what=f"documentation of {case.id}")
    before, case.documentation = case.documentation, doc
    try:
        case.add_note(str(doc), author=actor)
    except BaseException:
        case.documentation = before
        raise
    return doc
