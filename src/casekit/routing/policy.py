"""Routing policies: how the router ranks the eligible agents for an item.

A policy gives each agent a *score*; lower is better. The router appends two tie-breaks of its
own — the agent offered work longest ago, then the agent id — so every run is deterministic.

The score may depend only on the agent (load, capacity, skills, id), never on the item: that
is what lets the router keep agents in sorted indexes and find the best eligible agent without
looking at all of them. A score is recomputed whenever the agent's load, capacity or skills
change.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import attrs

from casekit.errors import ValidationError

__all__ = [
    "AgentView",
    "LeastActive",
    "MostAvailable",
    "RoutingModel",
    "RoutingPolicy",
    "policy_for",
]


@attrs.frozen
class AgentView:
    """What a policy may look at when scoring an agent."""

    id: str
    skills: Mapping[str, int]
    capacity: int
    load: int

    @property
    def spare(self) -> int:
        """Capacity units not taken."""
        return self.capacity - self.load


@runtime_checkable
class RoutingPolicy(Protocol):
    """A pluggable routing policy: a name and a score per agent (lower wins)."""

    @property
    def name(self) -> str:
        """The policy's name, for explanations (a plain or frozen attribute will do)."""
        ...

    def score(self, agent: AgentView) -> int | float | tuple[int | float, ...]:
        """Return the agent's score; the eligible agent with the lowest score is offered."""
        ...


@attrs.frozen
class LeastActive:
    """Offer to the eligible agent with the lowest load (Omni-Channel's Least Active)."""

    name: str = "least active"

    def score(self, agent: AgentView) -> int:
        """The agent's load."""
        return agent.load


@attrs.frozen
class MostAvailable:
    """Offer to the eligible agent with the most spare capacity (Omni-Channel's Most Available)."""

    name: str = "most available"

    def score(self, agent: AgentView) -> int:
        """Minus the agent's spare capacity, so the largest spare sorts first."""
        return -agent.spare


class RoutingModel(enum.Enum):
    """The built-in routing models."""

    LEAST_ACTIVE = LeastActive()
    MOST_AVAILABLE = MostAvailable()


def policy_for(model: RoutingModel | RoutingPolicy) -> RoutingPolicy:
    """Return the policy object for a built-in model or a custom policy.

    Raises:
        ValidationError: If ``model`` is neither.
    """
    if isinstance(model, RoutingModel):
        policy: RoutingPolicy = model.value
        return policy
    if isinstance(model, RoutingPolicy):
        return model
    raise ValidationError(
        f"model must be a RoutingModel or an object with name and score(agent), got {model!r}"
    )
