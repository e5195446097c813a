"""Seeded random durations: handling times and accept delays.

Each distribution is a small frozen value with ``sample(rng) -> timedelta`` and a ``mean``.
The random source is always passed in (a `random.Random` the simulator seeds), never
the global ``random`` module, so a run is reproducible from its seed. Sampling is O(1)
(O(log n) for [`Empirical`][] with weights).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import statistics
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Protocol, runtime_checkable

import attrs

from casekit.errors import ValidationError

__all__ = ["Distribution", "Empirical", "Exponential", "Fixed", "LogNormal"]

_STANDARD_NORMAL = statistics.NormalDist()


@runtime_checkable
class Distribution(Protocol):
    """A distribution of durations."""

    @property
    def mean(self) -> timedelta:
        """The expected duration."""
        ...

    def sample(self, rng: random.Random) -> timedelta:
        """Draw one duration from ``rng``."""
        ...


def _duration(
    what: str, *, positive: bool
) -> Callable[[object, attrs.Attribute[timedelta], object], None]:
    def check(instance: object, attribute: attrs.Attribute[timedelta], value: object) -> None:
        if not isinstance(value, timedelta):
            raise ValidationError(
                f"{type(instance).__name__}.{attribute.name} must be a timedelta, got {value!r}"
            )
        if value < timedelta(0) or (positive and value == timedelta(0)):
            raise ValidationError(
                f"{type(instance).__name__}.{attribute.name} must be "
                f"{'positive' if positive else 'zero or positive'}, got {value}"
            )

    return check


@attrs.frozen
class Fixed:
    """Always the same duration.

    Attributes:
        value: The duration (zero or positive).
    """

    value: timedelta = attrs.field(validator=_duration("value", positive=False))

    @property
    def mean(self) -> timedelta:
        """The duration itself."""
        return self.value

    def sample(self, rng: random.Random) -> timedelta:
        """Return `value`; ``rng`` is not drawn from."""
        return self.value


@attrs.frozen
class Exponential:
    """Exponentially distributed durations (memoryless; the M in M/M/N).

    Attributes:
        mean: The mean duration (positive).
    """

    mean: timedelta = attrs.field(validator=_duration("mean", positive=True))

    def sample(self, rng: random.Random) -> timedelta:
        """Draw ``-mean·ln(U)`` by inversion: exactly one uniform draw per sample."""
        return timedelta(seconds=-self.mean.total_seconds() * math.log(1.0 - rng.random()))


@attrs.frozen
class LogNormal:
    """Log-normally distributed durations, given by their mean and the shape ``sigma``.

    The underlying normal has ``mu = ln(mean) − sigma²/2`` so the mean is as given; the median
    is ``mean·exp(−sigma²/2)``. Handling times of office work are often close to log-normal.

    Attributes:
        mean: The mean duration (positive).
        sigma: Standard deviation of the log of the duration (``>= 0``; 0 is fixed).
    """

    mean: timedelta = attrs.field(validator=_duration("mean", positive=True))
    sigma: float = 0.5

    def __attrs_post_init__(self) -> None:
        if (
            isinstance(self.sigma, bool)
            or not isinstance(self.sigma, int | float)
            or not math.isfinite(self.sigma)
            or self.sigma < 0
        ):
            raise ValidationError(
                f"LogNormal.sigma must be a finite number >= 0, got {self.sigma!r}"
            )

    def sample(self, rng: random.Random) -> timedelta:
        """Draw one duration by inversion: exactly one uniform draw per sample."""
        mu = math.log(self.mean.total_seconds()) - self.sigma * self.sigma / 2
        u = min(max(rng.random(), 1e-12), 1.0 - 1e-12)
        return timedelta(seconds=math.exp(mu + self.sigma * _STANDARD_NORMAL.inv_cdf(u)))


def _durations(values: Sequence[timedelta]) -> tuple[timedelta, ...]:
    return tuple(values)


@attrs.frozen
class Empirical:
    """Durations drawn from observed values, each equally likely or with weights.

    Attributes:
        values: The observed durations (at least one; zero or positive).
        weights: Optional relative weights, one per value (non-negative, not all zero).
    """

    values: tuple[timedelta, ...] = attrs.field(converter=_durations)
    weights: tuple[float, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(tuple)
    )
    _cumulative: tuple[float, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.values:
            raise ValidationError("Empirical needs at least one value")
        for value in self.values:
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise ValidationError(f"Empirical values must be timedeltas >= 0, got {value!r}")
        cumulative: tuple[float, ...] = ()
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValidationError(
                    f"Empirical has {len(self.values)} values but {len(self.weights)} weights"
                )
            for weight in self.weights:
                if (
                    isinstance(weight, bool)
                    or not isinstance(weight, int | float)
                    or not (math.isfinite(weight) and weight >= 0)
                ):
                    raise ValidationError(
                        f"Empirical weights must be finite numbers >= 0, got {weight!r}"
                    )
            cumulative = tuple(itertools.accumulate(float(w) for w in self.weights))
            if cumulative[-1] <= 0:
                raise ValidationError("Empirical weights must not all be zero")
        object.__setattr__(self, "_cumulative", cumulative)

    @property
    def mean(self) -> timedelta:
        """The (weighted) mean of the values."""
        if not self._cumulative:
            total = sum((v.total_seconds() for v in self.values), 0.0)
            return timedelta(seconds=total / len(self.values))
        assert self.weights is not None
        total = sum(v.total_seconds() * w for v, w in zip(self.values, self.weights, strict=True))
        return timedelta(seconds=total / self._cumulative[-1])

    def sample(self, rng: random.Random) -> timedelta:
        """Draw one of the values: one uniform draw; O(log n) with weights, O(1) without."""
        u = rng.random()
        if not self._cumulative:
            return self.values[int(u * len(self.values))]
        index = bisect.bisect_right(self._cumulative, u * self._cumulative[-1])
        return self.values[min(index, len(self.values) - 1)]
