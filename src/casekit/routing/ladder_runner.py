"""The ladder runner: applies each stage's escalation ladder to a router's items, audited.

A [`LadderRunner`][] subscribes to a [`Router`][casekit.routing.Router]'s events to learn
when each item entered its stage (its submit, or a step [`Router.advance`][casekit.routing.
Router.advance] — not the runner's own advances) and the skills that step required. Its
[`tick`][LadderRunner.tick] applies every rung that has fallen due, in order, to items still
waiting or offered and unanswered, through the router's public commands only:

* a rung that changes the skills calls ``router.advance(item, stage=<same stage>,
  skills=<relaxed>, priority=<raised>)``: the item keeps its age and is routed at once under
  the relaxed requirement (offered to the best eligible agent, or queued), so the router
  stays work-conserving and its own invariants keep holding. A pending offer is withdrawn
  and the item offered afresh; the item's declines are kept (``keep_declines=True``): an
  agent who declined it is not offered it again within the cool-down because a rung
  widened who may take it;
* a rung that only raises priority calls ``router.set_priority`` (an offer stays);
* a notify-only rung calls nothing on the router.

Every rung applied is recorded as a [`RungApplied`][] (the audit: when it fell due, when it
was applied, the skills and priority before and after), kept per item for its current stage
([`history`][LadderRunner.history]) and passed to the runner's subscribers, who tell the
supervisor on ``notify`` or persist the audit. While an item is accepted or pinned its
ladder pauses: rungs falling due meanwhile are applied at the first tick after it is waiting
or offered again. [`explain`][LadderRunner.explain] returns the router's latest decision with
the rungs applied.

Costs, for ``n`` items tracked and ``k`` rungs due: an event O(1), O(log n) when an item
enters a stage or returns from an agent. The item's stage and skills are read
(``router.item``, one snapshot) only when the earliest rung of any ladder could be due for
it, so an item answered sooner costs no lookup. ``tick`` O(k log n) plus the router's cost
of each advance; ``next_due`` amortized O(log n); ``history`` and ``explain`` O(h) for ``h``
rungs applied.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from casekit.checks import check_aware, check_callable, check_instance
from casekit.errors import NotFound, ValidationError
from casekit.priority import Priority
from casekit.routing.events import EventKind, RoutingEvent
from casekit.routing.explain import Decision
from casekit.routing.ladder import Ladder, Rung, check_ladders
from casekit.routing.model import ItemState
from casekit.routing.router import Router

if TYPE_CHECKING:
    from casekit.worklists.calendar import BusinessCalendar

__all__ = ["LadderExplanation", "LadderRunner", "RungApplied", "RungSubscriber"]

logger = logging.getLogger(__name__)

_HELD = (ItemState.ACCEPTED, ItemState.PINNED)
_RELEASED = EventKind.RELEASED
_RETURNING = (EventKind.QUEUED, EventKind.OFFERED)
_COMPACT_MIN = 64


@attrs.frozen(eq=True, hash=False)  # holds mappings, like WorkItem: compared, not hashed
class RungApplied:
    """One rung applied to one item: the audit record.

    Attributes:
        item_id: The item.
        stage: Its stage (the ladder's).
        index: Which rung (0 for the first).
        rung: The rung.
        due: When it fell due (stage entry + ``after``, in business time with a calendar).
        at: When it was applied (the router's clock at the tick).
        skills_before: The item's required skills before.
        skills_after: After (equal when the rung only raised or notified, or relaxed
            nothing the item required).
        priority_before: The item's priority before.
        priority_after: After.
        notify: The rung asks the application to tell someone.
    """

    item_id: str
    stage: str | None
    index: int
    rung: Rung
    due: datetime
    at: datetime
    skills_before: Mapping[str, int]
    skills_after: Mapping[str, int]
    priority_before: Priority
    priority_after: Priority
    notify: bool


RungSubscriber = Callable[[RungApplied], None]


@attrs.frozen(eq=True, hash=False)  # holds mappings, like WorkItem: compared, not hashed
class LadderExplanation:
    """Why an item is where it is: the router's decision and the rungs that led to it.

    ``decision`` is [`Router.explain`][casekit.routing.Router.explain]: the latest routing
    decision, made under the requirement in force (after the last skill-changing rung it is
    the decision that rung's advance caused, or a later one). ``rungs`` are the rungs applied
    at the item's current stage, oldest first.

    Attributes:
        item_id: The item.
        stage: Its stage.
        entered_at: When it entered the stage (as the runner saw it).
        base_skills: The skills the stage required on entry.
        skills: The skills required now.
        decision: The router's latest decision about the item.
        rungs: The rungs applied at this stage.
        next_due: When the next rung falls due, or ``None`` (no ladder, or all applied).
    """

    item_id: str
    stage: str | None
    entered_at: datetime
    base_skills: Mapping[str, int]
    skills: Mapping[str, int]
    decision: Decision
    rungs: tuple[RungApplied, ...]
    next_due: datetime | None

    @property
    def reason(self) -> str:
        """One paragraph for people: the rungs applied, then the router's reason."""
        steps = [
            f"rung {r.index + 1} ({r.rung.describe()}) applied at {r.at.isoformat()}"
            for r in self.rungs
        ]
        head = "; ".join(steps) + ". " if steps else "no rung applied. "
        return head + self.decision.reason


class _Track:
    """What the runner knows of one item at its current stage."""

    __slots__ = (
        "applied",
        "base",
        "entered_at",
        "history",
        "ladder",
        "live",
        "parked",
        "resolved",
        "stage",
    )

    def __init__(
        self,
        ladder: Ladder | None,
        stage: str | None,
        entered_at: datetime,
        base: Mapping[str, int],
        *,
        resolved: bool = True,
    ) -> None:
        self.resolved = resolved  # stage, ladder and base are known (else looked up later)
        self.ladder = ladder
        self.stage = stage
        self.entered_at = entered_at
        self.base = base
        self.applied = 0
        self.history: tuple[RungApplied, ...] = ()  # a few rungs at most: a tuple is cheapest
        self.live = 0  # the sequence number of its entry in the heap; 0 when none
        self.parked = False  # its next rung fell due while an agent held it


class LadderRunner:
    """Applies escalation ladders to one router's items.

    Args:
        router: The router (one routing domain). Items already in it are adopted as
            entering their stage now.
        ladders: One [`Ladder`][casekit.routing.ladder.Ladder] per stage; items of other
            stages are left alone.
        calendar: A ``casekit.worklists.BusinessCalendar``: rung delays count business time
            (``calendar.add_business_hours``); ``None`` counts elapsed time.

    Raises:
        ValidationError: If ``router`` is not a Router, ``ladders`` not a sequence of
            ladders with distinct stages, or ``calendar`` has no ``add_business_hours``.
    """

    def __init__(
        self,
        router: Router,
        ladders: Iterable[Ladder],
        *,
        calendar: BusinessCalendar | None = None,
    ) -> None:
        check_instance(router, Router, what="the router of a ladder runner")
        by_stage = check_ladders(ladders)
        if calendar is not None and not callable(getattr(calendar, "add_business_hours", None)):
            raise ValidationError(
                f"calendar of a ladder runner must be a BusinessCalendar (with "
                f"add_business_hours) or None, got {calendar!r}"
            )
        self.router = router
        self.ladders: Mapping[str | None, Ladder] = MappingProxyType(by_stage)
        self.calendar: BusinessCalendar | None = calendar
        self._tracks: dict[str, _Track] = {}
        self._heap: list[tuple[datetime, int, str]] = []
        self._seq = 0
        self._stale = 0
        self._own: str | None = None  # the item the runner is advancing right now
        self._blocked: set[str] = set()
        self._subscribers: list[RungSubscriber] = []
        # An item's stage and skills are looked up (router.item) only once its earliest
        # possible rung is due: most items are answered before any rung, and never cost one.
        self._earliest = min((ladder.rungs[0].after for ladder in by_stage.values()), default=None)
        self.adopt()
        router.subscribe(self._on_event)

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, callback: RungSubscriber) -> None:
        """Call ``callback(record)`` for every rung applied from now on. O(1).

        Callbacks run at the end of [`tick`][], after every due rung is applied, in order;
        an exception propagates to the caller of ``tick`` and does not undo the rungs.

        Raises:
            ValidationError: If ``callback`` is not callable.
        """
        check_callable(callback, what="a ladder runner subscriber")
        self._subscribers.append(callback)

    def close(self) -> None:
        """Stop following the router (unsubscribe); the runner keeps what it recorded."""
        with contextlib.suppress(NotFound):  # closed already
            self.router.unsubscribe(self._on_event)

    # ------------------------------------------------------------------ queries

    def history(self, item_id: str) -> tuple[RungApplied, ...]:
        """The rungs applied to the item at its current stage, oldest first. O(h).

        Raises:
            NotFound: If the router does not hold the item.
        """
        return self._track(item_id).history

    def explain(self, item_id: str) -> LadderExplanation:
        """The router's latest decision about the item and the rungs applied. O(h).

        Raises:
            NotFound: If the router does not hold the item.
        """
        track = self._track(item_id)
        status = self.router.item(item_id)
        return LadderExplanation(
            item_id=item_id,
            stage=track.stage,
            entered_at=track.entered_at,
            base_skills=track.base,
            skills=status.item.skills,
            decision=self.router.explain(item_id),
            rungs=track.history,
            next_due=self._due(track),
        )

    def next_due(self) -> datetime | None:
        """The earliest time a rung may fall due, for a scheduler deciding when to tick.

        A lower bound: an item whose stage has not been looked up yet counts with the
        earliest first rung of any ladder, so ticking then may apply nothing. Items held by
        an agent when their rung fell due are not counted until they return. Amortized
        O(log n).
        """
        heap = self._heap
        while heap and self._tracks.get(heap[0][2], _NONE).live != heap[0][1]:
            heapq.heappop(heap)
            self._stale -= 1
        return heap[0][0] if heap else None

    @property
    def blocked(self) -> frozenset[str]:
        """Items whose due rung the router refused (a weight above every agent's capacity).

        They are retried at every tick. O(b).
        """
        return frozenset(self._blocked)

    # ------------------------------------------------------------------ ticking

    def tick(self) -> list[RungApplied]:
        """Apply every rung due by the router's clock, in order of due time. O(k log n).

        An item waiting or offered gets each of its due rungs in turn (several when it
        waited past several delays); an item accepted or pinned is skipped and its ladder
        pauses until it is waiting or offered again.

        Returns:
            The rungs applied, in the order applied (also passed to subscribers).
        """
        now = self.router.clock.now()
        for item_id in self._blocked:
            track = self._tracks.get(item_id)
            if track is not None:
                self._schedule(item_id, track)
        self._blocked.clear()
        applied: list[RungApplied] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, seq, item_id = heapq.heappop(heap)
            track = self._tracks.get(item_id)
            if track is None or track.live != seq:
                self._stale -= 1
                continue
            track.live = 0
            if not track.resolved:  # its earliest possible rung: which ladder, when due?
                if self._resolve(item_id, track):
                    self._schedule(item_id, track)
                continue
            if self.router.state_of(item_id) in _HELD:
                track.parked = True
                continue
            record = self._apply(item_id, track, due, now)
            if record is None:
                continue
            applied.append(record)
            if track.ladder is not None and track.applied < len(track.ladder.rungs):
                self._schedule(item_id, track)
        for record in applied:
            for callback in tuple(self._subscribers):
                callback(record)
        return applied

    # ------------------------------------------------------------------ durability

    def state(self) -> dict[str, tuple[Any, ...]]:
        """What the runner knows, as plain data, for a durable router's snapshot. O(n + h).

        Each followed item maps to ``(resolved, stage, entered_at, base skills, rungs
        applied, [(index, due, at, skills before, skills after, priority before, priority
        after), ...], parked, blocked)``. Ladders are configuration and are not included:
        [`restore`][] takes them from the runner it restores into.
        """
        data: dict[str, tuple[Any, ...]] = {}
        for item_id, track in self._tracks.items():
            history = [
                (
                    r.index,
                    r.due,
                    r.at,
                    dict(r.skills_before),
                    dict(r.skills_after),
                    r.priority_before.value,
                    r.priority_after.value,
                )
                for r in track.history
            ]
            data[item_id] = (
                track.resolved,
                track.stage,
                track.entered_at,
                dict(track.base),
                track.applied,
                history,
                track.parked,
                item_id in self._blocked,
            )
        return data

    def restore(self, data: Mapping[str, tuple[Any, ...]]) -> None:
        """Replace what the runner knows with ``data`` (from [`state`][]). O(n log n + h).

        Raises:
            ValidationError: If ``data`` is not what [`state`][] returns, or names a rung
                its stage's ladder does not have (the ladders differ from those of the
                runner that took the state); the runner is left as it was.
        """
        try:
            tracks, blocked = self._tracks_from(data)
        except (TypeError, ValueError, AttributeError) as error:
            raise ValidationError(
                f"ladder state must be what LadderRunner.state() returns: {error}"
            ) from error
        self._tracks = tracks
        self._blocked = blocked
        self._heap = []
        self._stale = 0
        for item_id, track in tracks.items():
            if not track.resolved:
                if self._earliest is not None:
                    self._push(item_id, track, self._after(track.entered_at, self._earliest))
            elif not track.parked:
                self._schedule(item_id, track)

    def _tracks_from(
        self, data: Mapping[str, tuple[Any, ...]]
    ) -> tuple[dict[str, _Track], set[str]]:
        """The tracks and blocked items ``data`` describes, built aside (nothing changes)."""
        tracks: dict[str, _Track] = {}
        blocked: set[str] = set()
        for item_id, entry in data.items():
            resolved, stage, entered_at, base, applied, history, parked, is_blocked = entry
            ladder = self.ladders.get(stage) if resolved else None
            track = _Track(
                ladder, stage, entered_at, MappingProxyType(dict(base)), resolved=resolved
            )
            track.parked = parked
            for index, due, at, before, after, p_before, p_after in history:
                if ladder is None or not 0 <= index < len(ladder.rungs):
                    raise ValidationError(
                        f"ladder state of {item_id} names rung {index + 1} of stage {stage!r}, "
                        f"which this runner's ladders do not have; every process must build "
                        f"the same ladders"
                    )
                rung = ladder.rungs[index]
                track.history += (
                    RungApplied(
                        item_id=item_id,
                        stage=stage,
                        index=index,
                        rung=rung,
                        due=due,
                        at=at,
                        skills_before=MappingProxyType(dict(before)),
                        skills_after=MappingProxyType(dict(after)),
                        priority_before=Priority(p_before),
                        priority_after=Priority(p_after),
                        notify=rung.notify,
                    ),
                )
            track.applied = applied
            tracks[item_id] = track
            if is_blocked:
                blocked.add(item_id)
        return tracks, blocked

    def adopt(self) -> int:
        """Follow every item of the router not followed yet, as entering its stage now.

        For a router given state the runner did not see being made (a runner built on a
        router already holding items, or a snapshot taken without ladders). O(n log n).

        Returns:
            How many items it adopted.
        """
        now = self.router.clock.now()
        adopted = 0
        for status in self.router.items():
            if status.item.id not in self._tracks:
                self._enter(status.item.id, status.item.stage, status.item.skills, now)
                adopted += 1
        return adopted

    def replay(
        self,
        item_id: str,
        index: int,
        due: datetime,
        effect: tuple[Mapping[str, int], Priority] | None = None,
        *,
        keep_declines: bool = True,
    ) -> RungApplied:
        """Apply rung ``index`` to the item again, as a tick in another process did. O(log n).

        A durable router journals the rungs its tick applied, with what each did (``effect``:
        the skills and priority after it), and replays them with this in every other
        replica, so each applies exactly the same rungs, with the same effect, whatever its
        own heap holds. ``keep_declines`` says whether the skill change kept the item's
        declines, as every rung does now (``False`` replays a rung journalled by a casekit
        that forgot them). Subscribers are not called (they were, where the rung was first
        applied).

        Raises:
            ValidationError: If ``index`` is not an int, ``due`` not an aware datetime or
                ``keep_declines`` not a bool, the item is not followed, its stage has no such
                rung, or the router refuses the rung now (the replicas have diverged); the
                runner is left as it was.
        """
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValidationError(f"ladder replay: rung index must be an int, got {index!r}")
        if type(keep_declines) is not bool:
            raise ValidationError(
                f"ladder replay: keep_declines must be True or False, got {keep_declines!r}"
            )
        check_aware(due, what=f"the due time of a replayed rung of {item_id!r}")
        track = self._tracks.get(item_id)
        if track is None:
            raise ValidationError(f"ladder replay: work item {item_id!r} is not followed")
        if not track.resolved and not self._resolve(item_id, track):
            raise ValidationError(f"ladder replay: work item {item_id!r} is not in the router")
        ladder = track.ladder
        if ladder is None or not 0 <= index < len(ladder.rungs):
            raise ValidationError(
                f"ladder replay: stage {track.stage!r} of {item_id} has no rung {index + 1}"
            )
        applied, parked, blocked = track.applied, track.parked, item_id in self._blocked
        track.applied = index
        track.parked = False
        self._blocked.discard(item_id)
        record = self._apply(
            item_id, track, due, self.router.clock.now(), effect, keep_declines=keep_declines
        )
        if record is None:  # refused: put back what the attempt changed
            track.applied, track.parked = applied, parked
            if not blocked:
                self._blocked.discard(item_id)
            raise ValidationError(
                f"ladder replay: the router refused rung {index + 1} of {item_id}"
            )
        self._schedule(item_id, track)
        return record

    # ------------------------------------------------------------------ internals

    def _apply(
        self,
        item_id: str,
        track: _Track,
        due: datetime,
        now: datetime,
        effect: tuple[Mapping[str, int], Priority] | None = None,
        *,
        keep_declines: bool = True,
    ) -> RungApplied | None:
        """Apply the track's next rung; ``effect`` (skills, priority) replays a recorded one."""
        assert track.ladder is not None
        rung = track.ladder.rungs[track.applied]
        status = self.router.item(item_id)
        before, priority = status.item.skills, status.priority
        if effect is None:
            after = rung.apply(before)
            raised = priority
            if rung.raise_to is not None and rung.raise_to > priority:
                raised = rung.raise_to
        else:
            after, raised = MappingProxyType(dict(effect[0])), effect[1]
        self._own = item_id
        try:
            apply_rung_effect(
                self.router, item_id, before, after, priority, raised, keep_declines=keep_declines
            )
        except ValidationError as refused:
            logger.warning("ladder rung %d for %s refused: %s", track.applied, item_id, refused)
            self._blocked.add(item_id)
            return None
        finally:
            self._own = None
        record = RungApplied(
            item_id=item_id,
            stage=track.stage,
            index=track.applied,
            rung=rung,
            due=due,
            at=now,
            skills_before=before,
            skills_after=after,
            priority_before=priority,
            priority_after=raised,
            notify=rung.notify,
        )
        track.applied += 1
        track.history += (record,)
        if rung.notify:
            logger.info("ladder rung %d for %s asks to notify", record.index, item_id)
        return record

    def _on_event(self, event: RoutingEvent) -> None:
        # The hot path of a runner (every event of every item): inlined, no helper calls
        # for the common cases (an item entering its stage, an item leaving).
        item_id = event.item_id
        if item_id is None:
            return
        kind = event.kind
        tracks = self._tracks
        if kind is _RELEASED:
            if item_id != self._own:
                track = tracks.pop(item_id, None)
                if self._blocked:
                    self._blocked.discard(item_id)
                if track is not None and track.live:
                    self._stale += 1
                    if self._stale > _COMPACT_MIN:
                        self._compact()
            return
        track = tracks.get(item_id)
        if track is None:  # it entered its stage: submitted, or advanced by someone else
            track = _Track(None, None, event.at, _EMPTY, resolved=False)
            tracks[item_id] = track
            earliest = self._earliest
            if earliest is not None:
                self._seq = seq = self._seq + 1
                track.live = seq
                due = (
                    event.at + earliest
                    if self.calendar is None
                    else (self.calendar.add_business_hours(event.at, earliest))
                )
                heapq.heappush(self._heap, (due, seq, item_id))
        elif track.parked and kind in _RETURNING:
            track.parked = False
            self._schedule(item_id, track)

    def _enter(
        self, item_id: str, stage: str | None, skills: Mapping[str, int], at: datetime
    ) -> None:
        ladder = self.ladders.get(stage)
        track = _Track(ladder, stage, at, skills)
        self._tracks[item_id] = track
        if ladder is not None:
            self._schedule(item_id, track)

    def _resolve(self, item_id: str, track: _Track) -> bool:
        try:
            status = self.router.item(item_id)
        except NotFound:  # released by a nested call before its first event reached us
            self._leave(item_id)
            return False
        track.stage = status.item.stage
        track.base = status.item.skills
        track.ladder = self.ladders.get(track.stage)
        track.resolved = True
        return True

    def _leave(self, item_id: str) -> None:
        track = self._tracks.pop(item_id, None)
        self._blocked.discard(item_id)
        if track is not None and track.live:
            self._stale += 1
            self._compact()

    def _due(self, track: _Track) -> datetime | None:
        ladder = track.ladder
        if ladder is None or track.applied >= len(ladder.rungs):
            return None
        return self._after(track.entered_at, ladder.rungs[track.applied].after)

    def _after(self, start: datetime, delay: timedelta) -> datetime:
        if self.calendar is None:
            return start + delay
        return self.calendar.add_business_hours(start, delay)

    def _schedule(self, item_id: str, track: _Track) -> None:
        """Put the item's next rung in the heap, in place of any entry it had there."""
        if track.live:
            self._stale += 1
            track.live = 0
        due = self._due(track)
        if due is not None:
            self._push(item_id, track, due)

    def _push(self, item_id: str, track: _Track, due: datetime) -> None:
        self._seq += 1
        track.live = self._seq
        heapq.heappush(self._heap, (due, self._seq, item_id))

    def _compact(self) -> None:
        if self._stale > _COMPACT_MIN and self._stale * 2 > len(self._heap):
            tracks = self._tracks
            self._heap = [e for e in self._heap if tracks.get(e[2], _NONE).live == e[1]]
            heapq.heapify(self._heap)
            self._stale = 0

    def _track(self, item_id: str) -> _Track:
        track = self._tracks.get(item_id)
        if track is None:
            self.router.state_of(item_id)  # NotFound for an item the router does not hold
            raise NotFound(f"work item {item_id!r} is not followed by this ladder runner")
        if not track.resolved:
            if not self._resolve(item_id, track):
                raise NotFound(f"no work item {item_id!r} in the router (released)")
            self._schedule(item_id, track)  # its real next rung, in place of the earliest
        return track

    def __repr__(self) -> str:
        stages = ", ".join(repr(s) for s in self.ladders)
        return f"LadderRunner(stages=[{stages}], items={len(self._tracks)})"


def apply_rung_effect(  # noqa: PLR0917  the rung's change, before and after
    router: Router,
    item_id: str,
    before: Mapping[str, int],
    after: Mapping[str, int],
    priority: Priority,
    raised: Priority,
    *,
    keep_declines: bool = True,
) -> None:
    """Make a rung's change to the item, through the router's public commands. O(advance).

    New skills: ``advance`` at the same stage (the item keeps its age and is routed at once),
    keeping the item's declines unless ``keep_declines`` is false (rungs journalled before
    rungs kept them); a raised priority only: ``set_priority``; neither: nothing.

    Raises:
        ValidationError: The router refused (e.g. no agent could ever take the weight).
    """
    if dict(after) != dict(before):
        stage = router.item(item_id).item.stage
        assert stage is not None  # a ladder for None holds no skill rungs
        router.advance(
            item_id,
            stage=stage,
            skills=after,
            priority=raised if raised is not priority else None,
            keep_declines=keep_declines,
        )
    elif raised is not priority:
        router.set_priority(item_id, raised)


_EMPTY: Mapping[str, int] = MappingProxyType({})
_NONE = _Track(None, None, datetime.min, _EMPTY)
