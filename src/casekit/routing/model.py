"""The values routing works with: agents, work items, presence, item states, capacity models.

Agents and work items are frozen attrs values, validated when they are built: skills are a
mapping of non-empty names to positive integer levels, capacities and weights positive
integers, an agent's channels a mapping of non-empty channel names to positive units. The
capacity models ([`TabBased`][], [`StatusBased`][]) are small frozen values a router is
built with. The router keeps its own mutable bookkeeping beside them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar

import attrs

from casekit.checks import check_bool, check_optional_text, check_text
from casekit.clock import as_utc
from casekit.errors import ValidationError
from casekit.priority import Priority

__all__ = [
    "DEFAULT_CAPACITY",
    "MAX_SKILL_LEVEL",
    "Agent",
    "CapacityModel",
    "ItemState",
    "Presence",
    "StatusBased",
    "TabBased",
    "WorkItem",
    "check_channels",
    "check_skills",
]

DEFAULT_CAPACITY = 100
"""Omni-Channel's "full bucket": an agent holds under 100 units of offered and accepted work."""

MAX_SKILL_LEVEL = 100
"""The highest skill level: the agent index keeps one bit per level held, so a level of
10**9 would take minutes and gigabytes to index; real scales run 1-10."""


class Presence(enum.StrEnum):
    """Whether an agent takes work now. Only Available agents receive offers."""

    AVAILABLE = "Available"
    BUSY = "Busy"
    OFFLINE = "Offline"


class ItemState(enum.StrEnum):
    """Where a work item is; every item the router knows is in exactly one of these."""

    QUEUED = "Awaiting Assignment"
    OFFERED = "Offered"
    ACCEPTED = "Accepted"
    PINNED = "Pinned"


def check_skills(skills: object, *, owner: str) -> Mapping[str, int]:
    """Validate a skills mapping and return a read-only copy.

    Args:
        skills: The candidate mapping of skill name to level.
        owner: What the skills belong to, for the error message.

    Returns:
        A read-only copy of ``skills``.

    Raises:
        ValidationError: If ``skills`` is not a mapping of non-empty strings to positive ints.
    """
    if not isinstance(skills, Mapping):
        raise ValidationError(
            f"skills of {owner} must be a mapping of skill name to level, got {skills!r}"
        )
    for name, level in skills.items():
        if not isinstance(name, str) or not name:
            raise ValidationError(f"skill names of {owner} must be non-empty strings, got {name!r}")
        check_text(name, what=f"a skill name of {owner}")
        if (
            isinstance(level, bool)
            or not isinstance(level, int)
            or not 1 <= level <= MAX_SKILL_LEVEL
        ):
            raise ValidationError(
                f"skill {name!r} of {owner} has level {level!r}; levels are integers >= 1 "
                f"and <= {MAX_SKILL_LEVEL}"
            )
    return MappingProxyType(dict(skills))


def check_channels(channels: object, *, owner: str) -> Mapping[str, int]:
    """Validate an agent's channels (channel name → units) and return a read-only copy.

    Args:
        channels: The candidate mapping of channel name to capacity units.
        owner: What the channels belong to, for the error message.

    Returns:
        A read-only copy of ``channels``.

    Raises:
        ValidationError: If ``channels`` is not a mapping of non-blank names to positive ints.
    """
    if not isinstance(channels, Mapping):
        raise ValidationError(
            f"channels of {owner} must be a mapping of channel name to capacity units, "
            f"got {channels!r:.80}"
        )
    for name, units in channels.items():
        if not isinstance(name, str) or not name:
            raise ValidationError(
                f"channel names of {owner} must be non-empty strings, got {name!r:.80}"
            )
        check_text(name, what=f"a channel name of {owner}")
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValidationError(
                f"channel {name!r} of {owner} has {units!r:.80} units; units are integers >= 1"
            )
    return MappingProxyType(dict(channels))


def _positive_int(what: str) -> Callable[[object, attrs.Attribute[int], int], None]:
    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            ident = getattr(instance, "id", "?")
            raise ValidationError(f"{what} of {ident} must be a positive integer, got {value!r}")

    return check


def _id(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{type(instance).__name__} id must be a non-empty string, got {value!r}"
        )


@attrs.frozen(eq=True, hash=False)
class Agent:
    """A member of staff who can be offered work.

    Attributes:
        id: Unique agent id.
        skills: Skill name → level (a positive integer).
        capacity: Units of work the agent may hold (offered + accepted, + pinned by default).
        auto_accept: Offers to this agent are accepted at once.
        channels: Channel name → capacity units (Omni-Channel's capacity per channel). Empty
            (the default): no per-channel limits, the agent takes items of any channel
            within ``capacity``. Otherwise the agent is offered only items of these channels
            (and items with no channel), each channel's load at most its units, and all its
            work together at most ``capacity``.
    """

    id: str = attrs.field(validator=_id)
    skills: Mapping[str, int] = attrs.field(factory=dict)
    capacity: int = attrs.field(default=DEFAULT_CAPACITY, validator=_positive_int("capacity"))
    auto_accept: bool = False
    channels: Mapping[str, int] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "skills", check_skills(self.skills, owner=f"agent {self.id}"))
        check_bool(self.auto_accept, what=f"auto_accept of agent {self.id}")
        object.__setattr__(
            self, "channels", check_channels(self.channels, owner=f"agent {self.id}")
        )


@attrs.frozen(eq=True, hash=False)
class WorkItem:
    """A piece of work to route: usually one step (stage) of one case.

    Attributes:
        id: The item's id, usually the case id; unique among items the router holds.
        skills: Required skill name → minimum level.
        priority: Urgent items are served first; then High, Normal, Low.
        weight: Capacity units the item takes from its agent.
        stage: The step of the case this item is (e.g. ``"Chaser"``, ``"Case Manager"``).
        created_at: The item's original age; kept across re-routes and stage changes.
            ``None`` means "the moment it is submitted".
        channel: The channel the item comes in by (``"cases"``, ``"chats"``, ``"calls"``,
            ...). ``None`` (the default): no channel, limited only by its agent's total
            capacity, and any agent may take it.
    """

    id: str = attrs.field(validator=_id)
    skills: Mapping[str, int] = attrs.field(factory=dict)
    priority: Priority = Priority.NORMAL
    weight: int = attrs.field(default=1, validator=_positive_int("weight"))
    stage: str | None = None
    created_at: datetime | None = None
    channel: str | None = None

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "skills", check_skills(self.skills, owner=f"work item {self.id}"))
        check_optional_text(self.stage, what=f"the stage of work item {self.id}")
        check_optional_text(self.channel, what=f"the channel of work item {self.id}")
        if not isinstance(self.priority, Priority):
            raise ValidationError(
                f"priority of work item {self.id} must be a Priority, got {self.priority!r}; "
                f"allowed: {', '.join(p.name for p in Priority)}"
            )
        if self.created_at is not None:
            object.__setattr__(
                self, "created_at", as_utc(self.created_at, what=f"created_at of {self.id}")
            )


# ---------------------------------------------------------------------------- capacity models


@attrs.frozen
class TabBased:
    """Salesforce's tab-based capacity model, the default: work counts until it is released.

    An item's weight counts against its agent's capacity (and its channel's units) from the
    moment it is offered until it leaves the agent (released, requeued, declined, withdrawn,
    advanced to another stage or reassigned). Work statuses are not used:
    ``Router.set_work_status`` is refused.
    """

    name: ClassVar[str] = "tab-based"


def _statuses(value: object) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(
            f"counted of a status-based capacity model must be a set of work statuses, "
            f"got {value!r:.80}"
        )
    statuses = list(value)
    for status in statuses:
        check_text(status, what="a counted work status of a status-based capacity model")
    return frozenset(statuses)


@attrs.frozen
class StatusBased:
    """Salesforce's status-based capacity model: accepted work counts only while in progress.

    An offered item always counts. Once accepted (or pinned) an item has a **work status**,
    ``initial`` at first, changed with ``Router.set_work_status``; its weight counts against
    its agent's capacity and its channel's units only while that status is one of
    ``counted``. When an item stops counting its agent's room grows and waiting work is
    offered at once; when it counts again the agent's load may go above its capacity (as in
    Salesforce): the agent simply gets no offers until it is below again.

    Attributes:
        counted: The work statuses whose items count (at least one; e.g. ``{"In Progress"}``).
        initial: The status of an item when it is accepted or pinned; one of ``counted``, so
            accepting an offer never changes a load.

    Raises:
        ValidationError: ``counted`` is empty or holds something other than non-blank
            strings, or ``initial`` is not one of ``counted``.
    """

    counted: frozenset[str] = attrs.field(converter=_statuses)
    initial: str = "In Progress"
    name: ClassVar[str] = "status-based"

    def __attrs_post_init__(self) -> None:
        if not self.counted:
            raise ValidationError(
                "counted of a status-based capacity model must name at least one work status"
            )
        check_text(self.initial, what="the initial work status of a status-based capacity model")
        if self.initial not in self.counted:
            raise ValidationError(
                f"the initial work status {self.initial!r} of a status-based capacity model "
                f"must be one of the counted ones: {', '.join(sorted(self.counted))}"
            )


CapacityModel = TabBased | StatusBased
"""A router's capacity model: [`TabBased`][] (the default) or [`StatusBased`][]."""
