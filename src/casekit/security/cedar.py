"""Cedar policies over casekit's principals and cases (the optional ``casekit[cedar]`` extra).

[`CedarPolicy`][] evaluates Cedar policy text with ``cedarpy`` and offers the same
``decide`` / ``check`` / ``explain`` as [`AccessPolicy`][casekit.security.AccessPolicy];
[`to_cedar`][] translates an ``AccessPolicy`` into equivalent Cedar text (the test suite runs
the same decisions on both).

The entities a policy sees:

* ``principal``: a ``User`` (or ``AutomaticCheck``) with ``id``, ``kind``, ``roles``,
  ``teams``, ``org_unit``, ``location``, ``clearance`` (a Long) and the references the
  relationships compare: ``user_ref``, ``refs``, ``group_refs``, and ``person`` (the user id,
  empty for an automatic check).
* ``resource``: a ``Case`` with the fields of [`CaseResource`][casekit.security.CaseResource]
  (``case_type``, ``status``, ``owner``, ``supervisor``, ``reviewer``, ``task_assignees``,
  ``participants``, ``sensitivity``, ``location``, ``org_unit``, ``program``,
  ``work_queue``).
* ``action``: ``Action::"<permission>"`` (``Action::"perform"``); the lifecycle action is
  ``context.action``.

An absent optional value is the empty string (ids are never empty), so every attribute is
always present and a policy needs no ``has`` tests. A policy's ``@id("...")`` annotation
names it in decisions and ``@reason("...")`` gives the reason; Cedar denies by default.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import attrs

from casekit.checks import check_instance, check_text
from casekit.errors import MissingExtra, ValidationError
from casekit.security.decision import AccessDecision, check_request, denied
from casekit.security.location import ALWAYS_IN, LocationMode
from casekit.security.permissions import Permission
from casekit.security.policy import DEFAULT_DENY, LOCATION_SECURITY, SENSITIVITY, AccessPolicy
from casekit.security.principal import Principal
from casekit.security.relationship import Relationship
from casekit.security.resource import CaseResource
from casekit.security.rules import AnyValue, Scope

try:
    import cedarpy
except ImportError as error:  # pragma: no cover  (the extra is installed for the test suite)
    raise MissingExtra(
        "casekit.security.cedar needs cedarpy: pip install 'casekit[cedar]'"
    ) from error

__all__ = ["CedarPolicy", "principal_entity", "resource_entity", "to_cedar"]

_RELATIONSHIP_CONDITIONS = {
    Relationship.OWNER: "resource.owner == principal.user_ref",
    Relationship.SUPERVISOR: "principal.refs.contains(resource.supervisor)",
    Relationship.REVIEWER: "principal.refs.contains(resource.reviewer)",
    Relationship.TASK_ASSIGNEE: "resource.task_assignees.contains(principal.person)",
    Relationship.MEMBER: (
        "principal.group_refs.contains(resource.owner) || "
        "principal.teams.contains(resource.work_queue)"
    ),
    Relationship.PARTICIPANT: "resource.participants.contains(principal.person)",
}


# ----- entities --------------------------------------------------------------------------
def principal_entity(principal: Principal) -> dict[str, object]:
    """The Cedar entity (JSON form) of ``principal``.

    Complexity: O(r + t) for r roles and t teams.
    """
    automatic = principal.is_automatic
    return {
        "uid": {"type": "AutomaticCheck" if automatic else "User", "id": principal.id},
        "attrs": {
            "id": principal.id,
            "kind": principal.kind.value,
            "person": "" if automatic else principal.id,
            "roles": sorted(principal.roles),
            # An automatic check is related to no case (relationships_of): no teams here.
            "teams": [] if automatic else sorted(principal.teams),
            "org_unit": principal.org_unit or "",
            "location": principal.location or "",
            "clearance": principal.clearance,
            "user_ref": principal.user_ref,
            "refs": sorted(principal.refs),
            "group_refs": sorted(principal.group_refs),
        },
        "parents": [],
    }


def resource_entity(resource: CaseResource) -> dict[str, object]:
    """The Cedar entity (JSON form) of ``resource``.

    Complexity: O(a + p) for a task assignees and p participants.
    """
    return {
        "uid": {"type": "Case", "id": resource.case_id},
        "attrs": {
            "case_type": resource.case_type,
            "status": resource.status,
            "owner": resource.owner,
            "supervisor": resource.supervisor or "",
            "reviewer": resource.reviewer or "",
            "task_assignees": sorted(resource.task_assignees),
            "participants": sorted(resource.participants),
            "sensitivity": resource.sensitivity,
            "location": resource.location or "",
            "org_unit": resource.org_unit or "",
            "program": resource.program or "",
            "work_queue": resource.work_queue or "",
        },
        "parents": [],
    }


# ----- the engine ------------------------------------------------------------------------
def _text(value: str) -> str:
    return check_text(value, what="CedarPolicy.text")


@attrs.frozen(slots=True)
class CedarPolicy:
    """Decide with Cedar policy text (parsed once), through ``cedarpy``.

    Complexity: construction O(size of the text); a decision builds two entities and runs
    Cedar's evaluator, tens of microseconds (see ``benchmarks/security.py``).

    Attributes:
        text: The Cedar policies.

    Raises:
        ValidationError: Text that is not Cedar (the message has Cedar's own error).
    """

    text: str = attrs.field(converter=_text)
    _parsed: object = attrs.field(init=False, eq=False, repr=False)
    _annotations: dict[str, tuple[int, str, str]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        try:
            parsed = json.loads(cedarpy.policies_to_json_str(self.text))
            handle: object = (
                cedarpy.PolicySet.from_str(self.text)
                if hasattr(cedarpy, "PolicySet")
                else self.text
            )
        except (ValueError, RuntimeError) as error:
            raise ValidationError(f"CedarPolicy.text is not valid Cedar: {error}") from None
        names: dict[str, tuple[int, str, str]] = {}
        for order, (policy_id, body) in enumerate(parsed.get("staticPolicies", {}).items()):
            notes = body.get("annotations") or {}
            names[policy_id] = (
                order,
                notes.get("id") or policy_id,
                notes.get("reason") or f"Cedar policy {notes.get('id') or policy_id}",
            )
        object.__setattr__(self, "_parsed", handle)
        object.__setattr__(self, "_annotations", names)

    @classmethod
    def from_policy(cls, policy: AccessPolicy) -> CedarPolicy:
        """The Cedar equivalent of an [`AccessPolicy`][casekit.security.AccessPolicy].

        Complexity: O(size of the policy).
        """
        return cls(to_cedar(policy))

    def decide(
        self,
        principal: Principal,
        permission: Permission | str,
        resource: CaseResource,
        *,
        action: str | None = None,
    ) -> AccessDecision:
        """Decide as [`AccessPolicy.decide`][casekit.security.AccessPolicy.decide] does.

        A denial with no determining policy is ``default deny``; with forbids, the first
        forbid (in the text's order) names it; an allow names the first permit that applied.

        Complexity: tens of microseconds (entity encoding and Cedar's evaluation).

        Raises:
            ValidationError: As ``AccessPolicy.decide``.
        """
        permission = check_request(principal, permission, resource, action)
        principal_json = principal_entity(principal)
        resource_json = resource_entity(resource)
        request = {
            "principal": principal_json["uid"],
            "action": {"type": "Action", "id": permission.value},
            "resource": resource_json["uid"],
            "context": {"action": action or ""},
        }
        result = cedarpy.is_authorized(
            request,
            self._parsed,  # type: ignore[arg-type]  # a PolicySet handle, or the text
            [principal_json, resource_json],
        )
        reasons = sorted(
            self._annotations.get(r, (1 << 30, r, f"Cedar policy {r}"))
            for r in result.diagnostics.reasons
        )
        if reasons:
            _, name, reason = reasons[0]
            return AccessDecision(result.allowed, name, reason)
        if result.allowed:  # pragma: no cover  (Cedar always names a determining permit)
            return AccessDecision(True, "cedar", "Cedar allowed the request")
        errors = "; ".join(result.diagnostics.errors)
        return AccessDecision(
            False,
            DEFAULT_DENY,
            f"no Cedar policy permits {permission.value!r} on {resource.case_type} "
            f"({resource.case_id}) to {principal}"
            + (f" for action {action!r}" if action is not None else "")
            + (f"; evaluation errors: {errors}" if errors else ""),
        )

    def check(
        self,
        principal: Principal,
        permission: Permission | str,
        resource: CaseResource,
        *,
        action: str | None = None,
    ) -> AccessDecision:
        """Decide, and raise [`AccessDenied`][casekit.errors.AccessDenied] on a denial.

        Complexity: as ``decide``.

        Raises:
            AccessDenied: The decision was a denial; it is attached as ``decision``.
            ValidationError: As ``decide``.
        """
        decision = self.decide(principal, permission, resource, action=action)
        if not decision.allowed:
            raise denied(decision, principal, Permission(permission), resource, action)
        return decision

    def explain(self, decision: AccessDecision) -> str:
        """The decision in one sentence (as ``AccessDecision.explain``). Complexity: O(1)."""
        return check_instance(decision, AccessDecision, what="the decision to explain").explain()


# ----- translation -----------------------------------------------------------------------
def to_cedar(policy: AccessPolicy) -> str:
    """Cedar text that decides exactly as ``policy`` allows and denies.

    Each rule becomes a ``permit`` (grant) or ``forbid`` (deny) annotated with its name and
    description; sensitivity and location security become ``forbid`` policies named
    ``sensitivity`` and ``location security``. Allowed decisions name the same rule on both
    engines; a denial may name another of the rules that deny (Cedar reports a forbid before
    the absence of a permit).

    Complexity: O(size of the policy).

    Raises:
        ValidationError: ``policy`` is not an AccessPolicy.
    """
    check_instance(policy, AccessPolicy, what="the policy to translate to Cedar")
    blocks = []
    for rule in policy.rules:
        conditions = []
        if not isinstance(rule.roles, AnyValue):
            conditions.append(f"principal.roles.containsAny({_set(rule.roles)})")
        if not isinstance(rule.case_types, AnyValue):
            conditions.append(f"{_set(rule.case_types)}.contains(resource.case_type)")
        if not isinstance(rule.actions, AnyValue):
            conditions.append(f"{_set(rule.actions)}.contains(context.action)")
        if not isinstance(rule.programs, AnyValue):
            conditions.append(f"{_set(rule.programs)}.contains(resource.program)")
        if isinstance(rule.relationship, Relationship):
            held = [text for r, text in _RELATIONSHIP_CONDITIONS.items() if r in rule.relationship]
            conditions.append("(" + " || ".join(f"({c})" for c in held) + ")")
        blocks.append(
            _policy(
                rule.name or "",
                rule.describe(),
                "permit" if rule.kind == "grant" else "forbid",
                f"action in {_actions(rule.permissions)}",
                " && ".join(conditions) or "true",
            )
        )
    blocks.append(
        _policy(
            SENSITIVITY,
            "the case's sensitivity is above the principal's clearance",
            "forbid",
            "action",
            "resource.sensitivity > principal.clearance",
        )
    )
    mode = policy.location_mode
    if mode is not LocationMode.OFF:
        always_in = " || ".join(
            f"({_RELATIONSHIP_CONDITIONS[r]})" for r in Relationship if r.value & ALWAYS_IN
        )
        outside = mode.outside_permissions
        conditions = [
            'resource.location != ""',
            "resource.location != principal.location",
            'principal.kind != "automatic"',
            f"!({always_in})",
        ]
        if outside:
            conditions.append(f"!(action in {_actions(outside)})")
        blocks.append(
            _policy(
                LOCATION_SECURITY,
                f"location security {mode.value!r}: outside the case's location, people "
                "other than its owner and supervisor may not do this",
                "forbid",
                "action",
                " && ".join(conditions),
            )
        )
    return "\n\n".join(blocks) + "\n"


def _policy(name: str, reason: str, effect: str, action: str, condition: str) -> str:
    return (
        f"@id({_string(name)})\n@reason({_string(reason)})\n"
        f"{effect} (principal, {action}, resource)\nwhen {{ {condition} }};"
    )


def _actions(permissions: Iterable[Permission]) -> str:
    return "[" + ", ".join(f"Action::{_string(p.value)}" for p in sorted(permissions)) + "]"


def _set(scope: Scope) -> str:
    if isinstance(scope, AnyValue):  # pragma: no cover  (callers test for ANY first)
        raise ValidationError("ANY has no Cedar set")
    return "[" + ", ".join(_string(item) for item in sorted(scope)) + "]"


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def _string(text: str) -> str:
    """A Cedar string literal of ``text`` (every character escaped as Cedar reads it)."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
