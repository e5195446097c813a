"""What a simulation is made of: agents, their shifts, the stages of work and how work arrives.

Every spec is a frozen attrs value validated when it is built, so a bad scenario fails at
once with a message naming the bad value, never halfway through a run. Times of day are
UTC, like every timestamp in casekit.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, runtime_checkable

import attrs

from casekit.clock import as_utc
from casekit.errors import ValidationError
from casekit.routing import Agent, Presence
from casekit.routing.model import check_skills
from casekit.sim.distributions import Distribution, Fixed

__all__ = [
    "EVERY_DAY",
    "WEEKDAYS",
    "AgentSpec",
    "ArrivalFunction",
    "ArrivalProcess",
    "Break",
    "Poisson",
    "Recorded",
    "Shift",
    "Stage",
]

WEEKDAYS = frozenset(range(5))
"""Monday to Friday (``date.weekday()`` numbers)."""
EVERY_DAY = frozenset(range(7))
"""Every day of the week."""

_ZERO = timedelta(0)
_DAY = timedelta(days=1)


def _weekdays(values: Iterable[int]) -> frozenset[int]:
    return frozenset(values)


def _breaks(values: Iterable[Break]) -> tuple[Break, ...]:
    return tuple(values)


def _shifts(values: Iterable[Shift]) -> tuple[Shift, ...]:
    return tuple(values)


def _timestamps(values: Iterable[datetime]) -> tuple[datetime, ...]:
    return tuple(values)


def _check_time(instance: object, attribute: attrs.Attribute[time], value: object) -> None:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.name} must be a naive datetime.time "
            f"(a UTC time of day), got {value!r}"
        )


def _span(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    begin = datetime.combine(day, start, tzinfo=UTC)
    finish = datetime.combine(day, end, tzinfo=UTC)
    if finish <= begin:
        finish += _DAY
    return begin, finish


@attrs.frozen
class Break:
    """A pause inside a shift, during which the agent takes no new offers.

    Attributes:
        start: UTC time of day the break starts.
        end: UTC time of day it ends.
        presence: Presence during the break (Busy keeps pending offers; Offline withdraws
            them, after the router's offline grace).
    """

    start: time = attrs.field(validator=_check_time)
    end: time = attrs.field(validator=_check_time)
    presence: Presence = Presence.BUSY

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.presence, Presence) or self.presence is Presence.AVAILABLE:
            raise ValidationError(
                f"a break's presence must be Busy or Offline, got {self.presence!r}"
            )


@attrs.frozen
class Shift:
    """Hours an agent is Available on some days of the week, with breaks.

    A shift whose end is not after its start runs past midnight into the next day.

    Attributes:
        start: UTC time of day the agent becomes Available.
        end: UTC time of day the agent goes Offline.
        weekdays: The days (``date.weekday()``: Monday 0) the shift starts on.
        breaks: Pauses inside the shift, in order.
    """

    start: time = attrs.field(validator=_check_time)
    end: time = attrs.field(validator=_check_time)
    weekdays: frozenset[int] = attrs.field(default=WEEKDAYS, converter=_weekdays)
    breaks: tuple[Break, ...] = attrs.field(default=(), converter=_breaks)

    def __attrs_post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= EVERY_DAY:
            raise ValidationError(
                f"shift weekdays must be a non-empty set of 0 (Monday) to 6, got "
                f"{sorted(self.weekdays)}"
            )
        reference = date(2026, 1, 5)
        begin, finish = _span(reference, self.start, self.end)
        previous = begin
        for pause in self.breaks:
            if not isinstance(pause, Break):
                raise ValidationError(f"shift breaks must be Break values, got {pause!r}")
            b_start, b_end = self._break_span(reference, begin, pause)
            if b_start < previous or b_end > finish:
                raise ValidationError(
                    f"break {pause.start}-{pause.end} is not inside shift "
                    f"{self.start}-{self.end} after the previous break"
                )
            previous = b_end

    @staticmethod
    def _break_span(day: date, begin: datetime, pause: Break) -> tuple[datetime, datetime]:
        b_start, b_end = _span(day, pause.start, pause.end)
        if b_start < begin:
            b_start += _DAY
            b_end += _DAY
        return b_start, b_end

    def transitions(self, day: date) -> list[tuple[datetime, Presence]]:
        """The presence changes of the shift starting on ``day`` (none if it is a day off).

        Returns:
            ``(instant, presence)`` pairs in time order: Available at the start, each break's
            presence and Available again, Offline at the end. O(breaks).
        """
        if day.weekday() not in self.weekdays:
            return []
        begin, finish = _span(day, self.start, self.end)
        changes = [(begin, Presence.AVAILABLE)]
        for pause in self.breaks:
            b_start, b_end = self._break_span(day, begin, pause)
            changes.append((b_start, pause.presence))
            changes.append((b_end, Presence.AVAILABLE))
        changes.append((finish, Presence.OFFLINE))
        return changes


def _check_probability(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and 0 <= value <= 1)
    ):
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.name} must be a probability in [0, 1], "
            f"got {value!r}"
        )


def _check_distribution(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Distribution):
        raise ValidationError(
            f"{type(instance).__name__}.{attribute.name} must be a Distribution "
            f"(Fixed, Exponential, LogNormal, Empirical), got {value!r}"
        )


@attrs.frozen
class AgentSpec:
    """A simulated member of staff: a routing [`Agent`][] plus behaviour.

    Attributes:
        id: Unique agent id.
        skills: Skill name → level.
        capacity: Items the agent works at once (default 1: one case at a time).
        auto_accept: Offers are accepted at once (no accept delay, never declined).
        accept_delay: How long the agent takes to answer an offer; answers slower than the
            router's push timeout become timeouts.
        decline_probability: The chance the answer is a decline.
        shifts: When the agent is Available; empty means Available all the time.
    """

    id: str
    skills: Mapping[str, int] = attrs.field(factory=dict)
    capacity: int = 1
    auto_accept: bool = False
    accept_delay: Distribution = attrs.field(default=Fixed(_ZERO), validator=_check_distribution)
    decline_probability: float = attrs.field(default=0.0, validator=_check_probability)
    shifts: tuple[Shift, ...] = attrs.field(default=(), converter=_shifts)

    def __attrs_post_init__(self) -> None:
        # Agent validates the id, skills and capacity with the router's own messages.
        agent = self.to_agent()
        object.__setattr__(self, "skills", agent.skills)
        if self.auto_accept and (self.decline_probability > 0 or self.accept_delay != Fixed(_ZERO)):
            raise ValidationError(
                f"agent {self.id} accepts automatically, so it never declines or delays; "
                "drop auto_accept or the decline_probability and accept_delay"
            )
        for shift in self.shifts:
            if not isinstance(shift, Shift):
                raise ValidationError(
                    f"shifts of agent {self.id} must be Shift values, got {shift!r}"
                )

    def to_agent(self) -> Agent:
        """The routing agent this spec describes."""
        return Agent(
            id=self.id, skills=self.skills, capacity=self.capacity, auto_accept=self.auto_accept
        )


@attrs.frozen
class Stage:
    """One routed step of the pipeline every case goes through (e.g. Chaser).

    Attributes:
        name: The step's name, unique in the pipeline.
        skills: Skill name → minimum level an agent needs for this step.
        handling: Working time once accepted, before the case moves on.
        sla: Target for the time from entering the step to being accepted (``None``: none).
    """

    name: str
    skills: Mapping[str, int]
    handling: Distribution = attrs.field(validator=_check_distribution)
    sla: timedelta | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValidationError(f"stage name must be a non-empty string, got {self.name!r}")
        object.__setattr__(self, "skills", check_skills(self.skills, owner=f"stage {self.name}"))
        if self.sla is not None and (not isinstance(self.sla, timedelta) or self.sla < _ZERO):
            raise ValidationError(
                f"sla of stage {self.name} must be a timedelta >= 0, got {self.sla!r}"
            )


@runtime_checkable
class ArrivalProcess(Protocol):
    """Where cases come from: an iterator of non-decreasing arrival instants."""

    def times(self, start: datetime, rng: random.Random) -> Iterator[datetime]:
        """Yield arrival instants at or after ``start``, in order, drawing only from ``rng``."""
        ...


@attrs.frozen
class Poisson:
    """Poisson arrivals: exponential gaps at ``rate`` per ``per``.

    With ``open_hours`` arrivals happen only inside those hours (breaks ignored); by the
    memoryless property the process simply resumes at the next opening.

    Attributes:
        rate: Mean arrivals per ``per`` (positive).
        per: The period of the rate (default one hour).
        open_hours: Optional hours and weekdays when work arrives.
    """

    rate: float
    per: timedelta = timedelta(hours=1)
    open_hours: Shift | None = None

    def __attrs_post_init__(self) -> None:
        if (
            isinstance(self.rate, bool)
            or not isinstance(self.rate, int | float)
            or not (math.isfinite(self.rate) and self.rate > 0)
        ):
            raise ValidationError(f"Poisson rate must be a positive number, got {self.rate!r}")
        if not isinstance(self.per, timedelta) or self.per <= _ZERO:
            raise ValidationError(f"Poisson per must be a positive timedelta, got {self.per!r}")

    @property
    def per_hour(self) -> float:
        """Mean arrivals per hour while open."""
        return self.rate * 3600.0 / self.per.total_seconds()

    def times(self, start: datetime, rng: random.Random) -> Iterator[datetime]:
        """Yield arrivals after ``start``; one uniform draw each (plus one per closed spell)."""
        mean_gap = self.per.total_seconds() / self.rate
        now = as_utc(start, what="arrival start")
        hours = self.open_hours
        window: tuple[datetime, datetime] | None = None
        while True:
            if hours is not None:
                window = self._window(hours, now)
                now = max(now, window[0])
            nxt = now + timedelta(seconds=-mean_gap * math.log(1.0 - rng.random()))
            if window is not None and nxt >= window[1]:
                now = window[1]
                continue
            now = nxt
            yield now

    @staticmethod
    def _window(hours: Shift, moment: datetime) -> tuple[datetime, datetime]:
        """The open window containing ``moment``, or the next one."""
        day = moment.date() - _DAY
        while True:
            if day.weekday() in hours.weekdays:
                begin, finish = _span(day, hours.start, hours.end)
                if finish > moment:
                    return begin, finish
            day += _DAY


@attrs.frozen
class Recorded:
    """Arrivals replayed from recorded timestamps (timezone-aware, in order).

    Attributes:
        timestamps: The arrival instants; those before the simulation start are skipped.
    """

    timestamps: tuple[datetime, ...] = attrs.field(converter=_timestamps)

    def __attrs_post_init__(self) -> None:
        checked = tuple(as_utc(t, what="recorded arrival") for t in self.timestamps)
        for earlier, later in itertools.pairwise(checked):
            if later < earlier:
                raise ValidationError(
                    f"recorded arrivals must be in time order; {later.isoformat()} comes after "
                    f"{earlier.isoformat()}"
                )
        object.__setattr__(self, "timestamps", checked)

    def times(self, start: datetime, rng: random.Random) -> Iterator[datetime]:
        """Yield the recorded instants at or after ``start``; ``rng`` is not used."""
        for moment in self.timestamps:
            if moment >= start:
                yield moment


@attrs.frozen
class ArrivalFunction:
    """Arrivals from a user function ``next_after(previous, rng) -> next instant or None``.

    The function gets the previous arrival (the start, at first) and the arrivals stream; it
    returns the next instant (not earlier than the previous one), or ``None`` to stop.

    Attributes:
        next_after: The user function.
    """

    next_after: Callable[[datetime, random.Random], datetime | None]

    def __attrs_post_init__(self) -> None:
        if not callable(self.next_after):
            raise ValidationError(f"ArrivalFunction needs a callable, got {self.next_after!r}")

    def times(self, start: datetime, rng: random.Random) -> Iterator[datetime]:
        """Call the function repeatedly; refuses a time going backwards.

        Raises:
            ValidationError: If the function returns an earlier or naive instant.
        """
        previous = as_utc(start, what="arrival start")
        while True:
            nxt = self.next_after(previous, rng)
            if nxt is None:
                return
            nxt = as_utc(nxt, what="arrival from the user function")
            if nxt < previous:
                raise ValidationError(
                    f"the arrival function went back in time: {nxt.isoformat()} after "
                    f"{previous.isoformat()}"
                )
            previous = nxt
            yield nxt
