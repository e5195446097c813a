"""The injected clock: the only place casekit learns the time.

Every timestamp casekit records is timezone-aware UTC and comes from a [`Clock`][]. The
library never reads the wall clock itself; [`SystemClock`][] is the default and
[`ManualClock`][] drives tests and simulations.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from casekit.errors import ValidationError

__all__ = ["Clock", "ManualClock", "SystemClock", "as_utc"]


def as_utc(moment: datetime, *, what: str = "timestamp") -> datetime:
    """Return ``moment`` converted to UTC, refusing naive datetimes.

    Args:
        moment: A timezone-aware datetime.
        what: What the value is, for the error message.

    Returns:
        The same instant with ``tzinfo=UTC``.

    Raises:
        ValidationError: If ``moment`` is not a datetime or is naive.
    """
    if not isinstance(moment, datetime):
        raise ValidationError(f"{what} must be a datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(
            f"{what} {moment.isoformat()} is naive; pass a timezone-aware datetime "
            "(e.g. datetime(..., tzinfo=UTC))"
        )
    return moment.astimezone(UTC)


@runtime_checkable
class Clock(Protocol):
    """Something that tells the current time, timezone-aware."""

    def now(self) -> datetime:
        """Return the current instant as a timezone-aware UTC datetime."""
        ...


class SystemClock:
    """The wall clock, in UTC. The default everywhere a clock is optional."""

    __slots__ = ()

    def now(self) -> datetime:
        """Return the wall-clock time in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


class ManualClock:
    """A clock that moves only when told to: for tests, simulations and replays.

    Time never goes backwards: [`advance`][] refuses a negative step and [`set`][]
    refuses an earlier instant.

    Args:
        start: The initial instant; timezone-aware. Defaults to 2026-01-01T00:00Z.
    """

    __slots__ = ("_now",)

    def __init__(self, start: datetime | None = None) -> None:
        self._now = as_utc(start or datetime(2026, 1, 1, tzinfo=UTC), what="clock start")

    def now(self) -> datetime:
        """Return the clock's current instant."""
        return self._now

    def advance(self, step: timedelta) -> datetime:
        """Move the clock forward.

        Args:
            step: How far to move; zero or positive.

        Returns:
            The new current instant.

        Raises:
            ValidationError: If ``step`` is negative.
        """
        if step < timedelta(0):
            raise ValidationError(f"cannot advance the clock by {step}; steps must be >= 0")
        self._now += step
        return self._now

    def set(self, moment: datetime) -> datetime:
        """Move the clock to ``moment``, which must not be earlier than now.

        Raises:
            ValidationError: If ``moment`` is naive or in the clock's past.
        """
        moment = as_utc(moment, what="clock time")
        if moment < self._now:
            raise ValidationError(
                f"cannot set the clock back from {self._now.isoformat()} to {moment.isoformat()}"
            )
        self._now = moment
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"
