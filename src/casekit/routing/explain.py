"""Why an item went where it went: one [`Decision`][] per routing decision."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

__all__ = ["Decision", "ExplainDetail", "Outcome", "TieBreak"]


class Outcome(enum.StrEnum):
    """What a decision did with the item."""

    OFFERED = "offered"
    QUEUED = "queued"
    PINNED = "pinned"


class TieBreak(enum.StrEnum):
    """What separated the chosen agent from the runner-up."""

    NONE = "no other eligible agent"
    SCORE = "policy score"
    LONGEST_SINCE_OFFER = "offered work longest ago"
    AGENT_ID = "agent id"
    MANUAL = "manual assignment"


class ExplainDetail(enum.Enum):
    """How much each decision records.

    ``SUMMARY`` (the default) records the chosen agent, its score, the runner-up and the
    tie-break that separated them, how many agents were examined and the size of the candidate
    pool the router searched (an upper bound on the eligible count); it costs the same as the
    decision itself. ``FULL`` also counts every eligible agent exactly, which is O(pool) per
    decision: use it in tests and audits, not at 100,000 agents.
    """

    SUMMARY = "summary"
    FULL = "full"


@attrs.frozen
class Decision:
    """One routing decision about one item.

    Attributes:
        item_id: The item.
        at: When the decision was made.
        outcome: Offered, queued or pinned.
        agent_id: The chosen agent (``None`` when queued).
        score: The chosen agent's policy score.
        runner_up: The next-best eligible agent, if any.
        runner_up_score: Its score.
        tie_break: What separated the chosen agent from the runner-up.
        examined: Agents the router looked at to decide.
        pool: Size of the candidate pool searched (agents Available with room who hold the
            item's rarest required skill); the eligible count is at most this.
        eligible: Exact number of eligible agents (with `ExplainDetail.FULL`), else
            ``None``; when the item was queued it is 0.
        policy: The routing policy's name.
        reason: One sentence for people.
    """

    item_id: str
    at: datetime
    outcome: Outcome
    agent_id: str | None
    score: object
    runner_up: str | None
    runner_up_score: object
    tie_break: TieBreak
    examined: int
    pool: int
    eligible: int | None
    policy: str
    reason: str
