"""Property tests of an application with your policy: denied commands do nothing but fail.

Run it on an application built with your own policy and a few stored cases::

    from casekit.testing.app_security import assert_app_respects_policy

    def test_my_application_respects_my_policy(app: Application) -> None:
        assert_app_respects_policy(app, ["PDC-1", "MCO-7"])

[`assert_app_respects_policy`][] draws principals (by default from the roles your rules
name and the people, teams and org units related to the cases) and commands, and checks
[`app_command_violations`][] for each:

* a command the policy denies (absent a live break-the-glass grant) raises
  [`AccessDenied`][casekit.errors.AccessDenied], a [`CasekitError`][casekit.errors.CasekitError];
* and then nothing changed: the case's stored record, its break-the-glass grants and the
  outbox are as before, and its audit trail has exactly one new entry, the denial
  (``access_denied``, by that principal, naming the permission), and still verifies;
* a read the policy allows returns that case;
* listing the cases ([`Application.find_cases`][casekit.app.Application.find_cases], page by
  page) returns exactly the stored cases the policy lets the principal read, in id order
  ([`app_listing_violations`][]).

Commands the policy allows, other than reads, are not run: they would change the cases the
next example draws on, and the property is about what is denied. The commands tried
([`app_commands`][]) are every command method that acts on a stored case: reading it and
its routing, performing each action of its lifecycle, editing it (``update`` with each
permission, evidence, priority), assigning it, accepting and declining its offer,
changing its work queue (``secure``), revealing a value, breaking the glass (people only:
a declared automatic check is refused at the door) and revoking someone's grant.

Complexity: O(examples × a few storage reads and one command).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import attrs
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from casekit.app import Application
from casekit.cases import Owner
from casekit.classification import Sensitive
from casekit.errors import AccessDenied, ValidationError
from casekit.priority import Priority
from casekit.security import AccessPolicy, AnyValue, CaseResource, Permission, Principal
from casekit.storage.cases import CASES
from casekit.testing.security import LOCATIONS, PEOPLE, ROLES, TEAMS, principals

__all__ = [
    "AppCommand",
    "app_command_violations",
    "app_commands",
    "app_listing_violations",
    "assert_app_respects_policy",
]

P = Permission
_HANDLE = Sensitive("SSN", "ssn:app-security-property", "0000")
_HOLDER = "app-security-holder"


@attrs.frozen(slots=True)
class AppCommand:
    """One command the property tries on a case.

    Attributes:
        name: What it is, for messages (``"perform 'approve'"``).
        permission: The permission the application checks for it.
        action: The lifecycle action, for ``perform``.
        run: ``run(app, case_id, principal)`` runs the command.
        people_only: Refused at the door to declared automatic checks (not tried on them).
    """

    name: str
    permission: Permission
    run: Callable[[Application, str, Principal], object]
    action: str | None = None
    people_only: bool = False


def _noop(case: Any) -> None:
    return None


def _update(permission: Permission) -> AppCommand:
    return AppCommand(
        f"update with {permission.value}",
        permission,
        lambda app, case_id, p: app.update(case_id, _noop, actor=p, permission=permission),
    )


def _perform(action: str) -> AppCommand:
    return AppCommand(
        f"perform {action!r}",
        P.PERFORM,
        lambda app, case_id, p: app.perform(case_id, action, actor=p),
        action=action,
    )


def app_commands(app: Application, case_ids: Sequence[str]) -> list[AppCommand]:
    """Every command the property tries on the cases ``case_ids`` (see the module doc).

    Complexity: O(cases + their lifecycles' actions).
    """
    actions: set[str] = set()
    with app.storage.unit_of_work() as uow:
        for case_id in case_ids:
            case = uow.cases.get(case_id)
            actions.update(action.name for action in type(case).lifecycle().actions)
    return [
        AppCommand("read", P.READ, lambda app, case_id, p: app.case(case_id, actor=p)),
        AppCommand(
            "read routing", P.READ, lambda app, case_id, p: app.routing_status(case_id, actor=p)
        ),
        *(_update(permission) for permission in (P.EDIT, P.ASSIGN, P.APPROVE, P.EXPORT)),
        AppCommand(
            "add evidence",
            P.EDIT,
            lambda app, case_id, p: app.add_evidence(
                case_id, "property", {"x": "1"}, date(2026, 1, 1), actor=p
            ),
        ),
        AppCommand(
            "set priority",
            P.EDIT,
            lambda app, case_id, p: app.set_priority(case_id, Priority.URGENT, actor=p),
        ),
        AppCommand(
            "assign owner",
            P.ASSIGN,
            lambda app, case_id, p: app.assign_owner(case_id, Owner.user("property"), actor=p),
        ),
        AppCommand(
            "move to another work queue",
            P.SECURE,
            lambda app, case_id, p: app.update(
                case_id,
                lambda case: case.set_work_queue("property-queue", actor=p.id),
                actor=p,
                permission=P.SECURE,
            ),
        ),
        AppCommand("accept", P.ROUTE, lambda app, case_id, p: app.accept(case_id, p)),
        AppCommand("decline", P.ROUTE, lambda app, case_id, p: app.decline(case_id, p)),
        AppCommand(
            "reveal",
            P.REVEAL,
            lambda app, case_id, p: app.reveal(case_id, _HANDLE, actor=p, reason="property"),
        ),
        AppCommand(
            "break the glass",
            P.BREAK_GLASS,
            lambda app, case_id, p: app.break_glass(case_id, actor=p, reason="property"),
            people_only=True,
        ),
        AppCommand(
            "revoke a grant",
            P.ASSIGN,
            lambda app, case_id, p: app.revoke_glass(case_id, _HOLDER, actor=p),
        ),
        *(_perform(action) for action in sorted(actions)),
    ]


def _snapshot(app: Application, case_id: str) -> tuple[object, ...]:
    with app.storage.unit_of_work() as uow:
        document = uow.documents.get(CASES, case_id)
        record = None if document is None else (document.version, json.dumps(document.body))
        grants = [
            (d.key, d.version)
            for d in uow.documents.find("access_grants", labels={"case_id": case_id})
        ]
        trail = uow.audit.entries(case_id)
        outbox = uow.outbox.count()
    return record, grants, outbox, trail


def _expected(
    app: Application, principal: Principal, command: AppCommand, resource: CaseResource
) -> bool:
    """Whether the policy (or a live break-the-glass grant) allows the command."""
    policy = app.policy
    assert policy is not None
    if policy.decide(principal, command.permission, resource, action=command.action).allowed:
        return True
    if command.permission not in (P.READ, P.REVEAL) or principal.is_automatic:
        return False
    grant = app.glass_grant(resource.case_id, principal.id)
    return (
        grant is not None
        and grant.is_live(app.clock.now())
        and grant.covers(command.permission)
        and policy.decide(principal, P.BREAK_GLASS, resource).allowed
    )


def app_command_violations(
    app: Application, principal: Principal, command: AppCommand, case_id: str
) -> list[str]:
    """Every property of the module docstring that ``command`` by ``principal`` breaks.

    Complexity: a few storage reads, a policy decision and at most one command.

    Returns:
        One line per broken property; empty when none is.

    Raises:
        ValidationError: ``app`` has no policy.
    """
    if app.policy is None:
        raise ValidationError(f"{app.name} has no policy: there is nothing to respect")
    if command.people_only and principal.is_automatic:
        return []
    with app.storage.unit_of_work() as uow:
        resource = CaseResource.of(uow.cases.get(case_id))
    what = f"{command.name} on {case_id} by {principal!r}"
    if not _expected(app, principal, command, resource):
        return _denial_violations(app, principal, command, case_id, what)
    if command.permission is not P.READ:
        return []  # allowed: not run (it would change what the next example sees)
    try:
        result = command.run(app, case_id, principal)
    except AccessDenied as error:
        return [f"allowed by the policy but refused: {what}: {error}"]
    returned = getattr(result, "id", case_id)
    return [] if returned == case_id else [f"read returned {returned}: {what}"]


def _denial_violations(
    app: Application, principal: Principal, command: AppCommand, case_id: str, what: str
) -> list[str]:
    """Run a command the policy denies; what it broke (it must raise and leave no trace)."""
    before = _snapshot(app, case_id)
    try:
        command.run(app, case_id, principal)
    except AccessDenied:
        pass
    except Exception as error:  # any other outcome is the violation reported
        return [f"denied by the policy but raised {type(error).__name__} ({error}): {what}"]
    else:
        return [f"denied by the policy but succeeded: {what}"]
    found: list[str] = []
    after = _snapshot(app, case_id)
    for index, part in enumerate(("the case's stored record", "break-the-glass grants")):
        if after[index] != before[index]:
            found.append(f"{part} changed on a denial: {what}")
    if after[2] != before[2]:
        found.append(f"the outbox changed on a denial: {what}")
    old_trail, trail = before[3], after[3]
    assert isinstance(old_trail, list)
    assert isinstance(trail, list)
    actor = f"check:{principal.id}" if principal.is_automatic else principal.id
    new = trail[len(old_trail) :]
    if trail[: len(old_trail)] != old_trail:
        found.append(f"the audit trail was rewritten on a denial: {what}")
    if [(e.actor, e.action, e.detail.get("permission")) for e in new] != [
        (actor, "access_denied", command.permission.value)
    ]:
        found.append(
            f"a denial must add exactly one access_denied entry by {actor}, got "
            f"{[(e.actor, e.action, dict(e.detail)) for e in new]}: {what}"
        )
    try:
        app.storage.verify_audit(case_id)
    except Exception as error:  # reported, not raised
        found.append(f"the audit trail does not verify after a denial ({error}): {what}")
    return found


def app_listing_violations(
    app: Application, principal: Principal, *, page_size: int = 3
) -> list[str]:
    """What listing the cases as ``principal`` breaks: it must return exactly the readable ones.

    Reads every stored case (trusted, in pages of 1,000), decides ``read`` on each, and
    compares with `Application.find_cases` read in pages of ``page_size`` (small, so paging
    is exercised). A break-the-glass grant does not widen a listing.

    Complexity: O(n) decisions and O(n / page_size) listing commands for n stored cases.

    Returns:
        One line per broken property; empty when none is.

    Raises:
        ValidationError: ``app`` has no policy.
    """
    policy = app.policy
    if policy is None:
        raise ValidationError(f"{app.name} has no policy: there is nothing to respect")
    stored: list[Any] = []
    cursor: str | None = None
    with app.storage.unit_of_work() as uow:
        while True:
            page = uow.cases.query(after=cursor, limit=1000)
            stored.extend(page.items)
            if page.next_after is None:
                break
            cursor = page.next_after
    expected = [
        case.id
        for case in stored
        if policy.decide(principal, P.READ, CaseResource.of(case)).allowed
    ]
    listed: list[str] = []
    cursor = None
    for _ in range(len(stored) + 2):  # a page that never ends is reported, not looped on
        try:
            found = app.find_cases(actor=principal, after=cursor, limit=page_size)
        except AccessDenied as error:
            return [f"listing the cases as {principal!r} was refused: {error}"]
        listed.extend(case.id for case in found.items)
        if found.next_after is None:
            break
        cursor = found.next_after
    else:
        return [f"listing the cases as {principal!r} never reached its last page"]
    if listed == expected:
        return []
    leaked = sorted(set(listed) - set(expected))
    missing = sorted(set(expected) - set(listed))
    return [
        f"listing as {principal!r} returned {len(listed)} cases, the policy allows "
        f"{len(expected)}: leaked {leaked[:10]}, missing {missing[:10]}"
        + ("" if leaked or missing else " (order or repeats differ)")
    ]


def _vocabulary(app: Application, case_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """People, teams and org units related to the cases, and the roles the policy names."""
    people, teams, units, roles = set(PEOPLE), set(TEAMS), set[str](), set(ROLES)
    with app.storage.unit_of_work() as uow:
        for case_id in case_ids:
            resource = CaseResource.of(uow.cases.get(case_id))
            people |= resource.task_assignees | resource.participants
            for ref in (resource.owner, resource.supervisor, resource.reviewer):
                kind, _, name = (ref or "").partition(":")
                if kind == "User":
                    people.add(name)
                elif kind in ("Work Queue", "Position"):
                    teams.add(name)
                elif kind == "Org Unit":
                    units.add(name)
    policy = app.policy
    if isinstance(policy, AccessPolicy):
        for rule in policy.rules:
            if not isinstance(rule.roles, AnyValue):
                roles |= rule.roles
    return {
        "people": tuple(sorted(people)),
        "teams": tuple(sorted(teams)),
        "org_units": tuple(sorted(units)) or ("ou-east",),
        "roles": tuple(sorted(roles)),
    }


def assert_app_respects_policy(
    app: Application,
    case_ids: Sequence[str],
    *,
    principals_from: st.SearchStrategy[Principal] | None = None,
    commands: Sequence[AppCommand] | None = None,
    settings: hypothesis_settings | None = None,
) -> None:
    """Search for a command ``app`` lets through against its policy, or that leaves a trace.

    Args:
        app: An application with a policy (built-in, Cedar or your own ``Authorizer``).
        case_ids: Stored cases to try the commands on (a few, of the types you care about).
        principals_from: The principals to try (default: `principals` of
            ``casekit.testing.security`` over the policy's roles and the cases' people,
            teams and org units, every clearance and location).
        commands: The commands to try (default: [`app_commands`][]).
        settings: Hypothesis settings (default: the active profile, without a deadline).

    Raises:
        ValidationError: ``app`` has no policy, or no case ids are given.
        AssertionError: A broken property, with the smallest example Hypothesis found.
    """
    if app.policy is None:
        raise ValidationError(f"{app.name} has no policy: there is nothing to respect")
    ids = list(case_ids)
    if not ids or any(not isinstance(i, str) for i in ids):
        raise ValidationError(f"case_ids must name stored cases, got {case_ids!r:.80}")
    tried = list(commands) if commands is not None else app_commands(app, ids)
    if principals_from is None:
        vocabulary = _vocabulary(app, ids)

        def drawn(*, automatic: bool) -> st.SearchStrategy[Principal]:
            return principals(
                people=vocabulary["people"],
                roles=vocabulary["roles"],
                teams=vocabulary["teams"],
                locations=LOCATIONS,
                org_units=vocabulary["org_units"],
                automatic=automatic,
            )

        people = drawn(automatic=False)  # mostly people: checks are half of drawn(True)
        principals_from = st.one_of(people, people, drawn(automatic=True))
    # Each lifecycle action is one command, but "perform" is drawn as often as any other.
    groups = [[c] for c in tried if c.permission is not P.PERFORM]
    performs = [c for c in tried if c.permission is P.PERFORM]
    if performs:
        groups.append(performs)
    command_from = st.sampled_from(groups).flatmap(st.sampled_from)

    @given(principals_from, command_from, st.sampled_from(ids), st.integers(0, 9))
    def search(principal: Principal, command: AppCommand, case_id: str, list_now: int) -> None:
        problems = app_command_violations(app, principal, command, case_id)
        if list_now == 0:  # one example in ten also lists every case as that principal
            problems += app_listing_violations(app, principal)
        assert not problems, "\n".join(problems)

    chosen = settings if settings is not None else hypothesis_settings(deadline=None)
    chosen(search)()
