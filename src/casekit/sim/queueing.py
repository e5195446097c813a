"""Queueing theory for staffing: Erlang B, Erlang C and the staffing level for a service level.

The M/M/N model: arrivals are Poisson at rate λ, handling times exponential with mean ``h``,
``N`` identical agents each working one item at a time, items waiting in one FIFO queue. The
offered load is ``A = λ·h`` (in Erlangs).

* **Erlang B** (blocking, no queue) by the recursion ``B(0) = 1``,
  ``B(k) = A·B(k-1) / (k + A·B(k-1))``, which never forms ``A^N`` or ``N!`` and so stays
  stable for thousands of agents. O(N).
* **Erlang C** (probability of waiting) from B: ``C = N·B / (N − A·(1 − B))`` for ``A < N``;
  1 when ``A ≥ N`` (the queue grows without bound).
* **Mean wait** ``W = C·h / (N − A)``.
* **Service level** ``P(wait ≤ t) = 1 − C·exp(−(N − A)·t / h)``.

Arrival rates are per hour throughout this module; durations are `timedelta`.
"""

from __future__ import annotations

import math
from datetime import timedelta

from casekit.errors import ValidationError

__all__ = [
    "erlang_b",
    "erlang_c",
    "mean_wait",
    "offered_load",
    "service_level",
    "staffing_for",
]

_HOUR = 3600.0
_MAX_SERVERS = 1_000_000


def _check_servers(servers: int, *, minimum: int = 1) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < minimum:
        raise ValidationError(f"servers must be an integer >= {minimum}, got {servers!r}")


def _check_load(load: float) -> float:
    if isinstance(load, bool) or not isinstance(load, int | float) or not math.isfinite(load):
        raise ValidationError(f"offered load must be a finite number of Erlangs, got {load!r}")
    if load < 0:
        raise ValidationError(f"offered load must not be negative, got {load!r}")
    return float(load)


def _check_duration(value: timedelta, what: str, *, positive: bool) -> float:
    if not isinstance(value, timedelta):
        raise ValidationError(f"{what} must be a timedelta, got {value!r}")
    seconds = value.total_seconds()
    if seconds < 0 or (positive and seconds == 0):
        raise ValidationError(
            f"{what} must be {'positive' if positive else 'zero or positive'}, got {value}"
        )
    return seconds


def offered_load(arrival_rate: float, mean_handling: timedelta) -> float:
    """The offered load ``A = λ·h`` in Erlangs.

    Args:
        arrival_rate: Arrivals per hour (``>= 0``).
        mean_handling: Mean handling time (positive).

    Returns:
        The offered load: how many agents would be busy on average.

    Raises:
        ValidationError: For a negative or non-finite rate or a non-positive handling time.
    """
    rate = _check_load(arrival_rate)
    handling = _check_duration(mean_handling, "mean_handling", positive=True)
    return rate * handling / _HOUR


def erlang_b(servers: int, load: float) -> float:
    """Erlang B: the probability that an arrival finds all ``servers`` busy (no queue).

    Computed by the stable recursion ``B(k) = A·B(k-1) / (k + A·B(k-1))``. O(servers).

    Args:
        servers: Number of agents, ``>= 0``.
        load: Offered load in Erlangs, ``>= 0``.

    Returns:
        The blocking probability in [0, 1].

    Raises:
        ValidationError: For a negative or non-integer ``servers`` or a bad load.
    """
    _check_servers(servers, minimum=0)
    a = _check_load(load)
    b = 1.0
    for k in range(1, servers + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Erlang C: the probability that an arrival has to wait (M/M/N, FIFO, infinite queue).

    ``C = N·B / (N − A·(1 − B))`` with ``B`` from [`erlang_b`][]; 1.0 when ``A >= N``.
    O(servers).

    Args:
        servers: Number of agents, ``>= 1``.
        load: Offered load in Erlangs, ``>= 0``.

    Returns:
        The probability of waiting in [0, 1].

    Raises:
        ValidationError: For ``servers < 1`` or a bad load.
    """
    _check_servers(servers)
    a = _check_load(load)
    if a >= servers:
        return 1.0
    b = erlang_b(servers, a)
    return servers * b / (servers - a * (1.0 - b))


def mean_wait(servers: int, arrival_rate: float, mean_handling: timedelta) -> timedelta:
    """The mean wait in the queue over all arrivals, ``W = C·h / (N − A)``. O(servers).

    Args:
        servers: Number of agents, ``>= 1``.
        arrival_rate: Arrivals per hour.
        mean_handling: Mean handling time.

    Returns:
        The mean wait (``timedelta.max`` when the load is at or above ``servers``).

    Raises:
        ValidationError: For bad arguments.
    """
    load = offered_load(arrival_rate, mean_handling)
    _check_servers(servers)
    if load >= servers:
        return timedelta.max
    wait = erlang_c(servers, load) * mean_handling.total_seconds() / (servers - load)
    return timedelta(seconds=wait)


def service_level(
    servers: int, arrival_rate: float, mean_handling: timedelta, within: timedelta
) -> float:
    """The fraction of arrivals that wait at most ``within``: ``1 − C·exp(−(N − A)·t / h)``.

    O(servers).

    Args:
        servers: Number of agents, ``>= 1``.
        arrival_rate: Arrivals per hour.
        mean_handling: Mean handling time.
        within: The service-level threshold ``t`` (zero gives ``1 − C``).

    Returns:
        ``P(wait <= within)`` in [0, 1]; 0.0 when the load is at or above ``servers``.

    Raises:
        ValidationError: For bad arguments.
    """
    load = offered_load(arrival_rate, mean_handling)
    _check_servers(servers)
    t = _check_duration(within, "within", positive=False)
    if load >= servers:
        return 0.0
    c = erlang_c(servers, load)
    return 1.0 - c * math.exp(-(servers - load) * t / mean_handling.total_seconds())


def staffing_for(
    arrival_rate: float,
    mean_handling: timedelta,
    target_service_level: float,
    within: timedelta,
) -> int:
    """The fewest agents that answer ``target_service_level`` of arrivals within ``within``.

    Starts at the smallest stable staffing ``floor(A) + 1`` and adds one agent at a time,
    carrying the Erlang B recursion forward, so the whole search is O(N) for the answer N.

    Args:
        arrival_rate: Arrivals per hour (``> 0``).
        mean_handling: Mean handling time.
        target_service_level: The fraction to serve within ``within``, in (0, 1).
        within: The service-level threshold.

    Returns:
        The number of agents.

    Raises:
        ValidationError: For bad arguments (a target outside (0, 1), a zero rate).
    """
    load = offered_load(arrival_rate, mean_handling)
    if load <= 0:
        raise ValidationError(f"arrival_rate must be positive, got {arrival_rate!r}")
    if (
        isinstance(target_service_level, bool)
        or not isinstance(target_service_level, int | float)
        or not 0 < target_service_level < 1
    ):
        raise ValidationError(
            f"target_service_level must be a fraction strictly between 0 and 1, "
            f"got {target_service_level!r}"
        )
    t = _check_duration(within, "within", positive=False)
    h = mean_handling.total_seconds()
    servers = math.floor(load) + 1
    b = erlang_b(servers, load)
    while servers <= _MAX_SERVERS:
        c = servers * b / (servers - load * (1.0 - b))
        if 1.0 - c * math.exp(-(servers - load) * t / h) >= target_service_level:
            return servers
        servers += 1
        ab = load * b
        b = ab / (servers + ab)
    raise ValidationError(  # pragma: no cover - needs an absurd target
        f"no staffing up to {_MAX_SERVERS} agents reaches {target_service_level} within {within}"
    )
