"""Fairness and queue metrics: load ratios, spread, Jain's index, waits per priority."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import timedelta

import attrs

from casekit.errors import ValidationError
from casekit.priority import Priority

__all__ = ["QueueStats", "RoutingMetrics", "jain_index"]


def jain_index(values: Iterable[float]) -> float:
    """Jain's fairness index of ``values``: (Σx)² / (n·Σx²), 1.0 when all are equal.

    It ranges from 1/n (one agent holds everything) to 1. An empty or all-zero input is
    perfectly fair (1.0). O(n).

    Raises:
        ValidationError: If a value is not a finite, non-negative number (a ``ValueError``).
    """
    total = 0.0
    squares = 0.0
    count = 0
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ValidationError(
                f"Jain's index is defined for finite, non-negative numbers, got {value!r}"
            )
        total += value
        squares += value * value
        count += 1
    if count == 0 or squares == 0:
        return 1.0
    return (total * total) / (count * squares)


@attrs.frozen
class QueueStats:
    """Awaiting Assignment at one priority: how many items, and the oldest one's age."""

    length: int
    oldest_age: timedelta | None


@attrs.frozen
class RoutingMetrics:
    """A snapshot of workload balance and the queue.

    Attributes:
        loads: Agent id → load, for the agents measured.
        load_ratios: Agent id → load ÷ capacity.
        spread: Largest minus smallest load ratio (0 when fewer than two agents).
        jain: Jain's index of the load ratios.
        queue: Priority → length and oldest age (age from the item's original age).
    """

    loads: Mapping[str, int]
    load_ratios: Mapping[str, float]
    spread: float
    jain: float
    queue: Mapping[Priority, QueueStats]

    @property
    def queue_length(self) -> int:
        """Items Awaiting Assignment, all priorities."""
        return sum(stats.length for stats in self.queue.values())
