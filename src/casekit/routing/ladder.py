"""Escalation ladders: what to relax, widen or raise when nobody answers an item in time.

A [`Ladder`][] belongs to one stage (step) of one router (one routing domain) and holds
[`Rung`][] s in order of their delay: "after 10 minutes drop skill X, after 30 widen to queue
B's skills, after 60 raise to Urgent and notify the supervisor". These are values only,
validated when built; [`LadderRunner`][casekit.routing.ladder_runner.LadderRunner] applies
them to a router's items.

Costs: building a rung is O(d + l + r) for its dropped, lowered and replacement skills; a
ladder O(rungs · skills); [`Rung.apply`][] O(r) for ``r`` skills of the requirement;
[`Ladder.skills_after`][] O(n · r) for ``n`` rungs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from types import MappingProxyType

import attrs

from casekit.checks import check_bool, check_optional_text, check_text, check_timedelta
from casekit.errors import ValidationError, allowed_list
from casekit.priority import Priority
from casekit.routing.model import check_skills

__all__ = ["Ladder", "Rung"]


def _drop(value: object) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(
            f"drop of a rung must be a collection of skill names (e.g. {{'spanish'}}), "
            f"got {value!r}"
        )
    return frozenset(check_text(name, what="a skill a rung drops") for name in value)


def _lower(value: object) -> Mapping[str, int]:
    return check_skills(value, owner="a rung's lower")


def _replacement(value: object) -> Mapping[str, int] | None:
    return None if value is None else check_skills(value, owner="a rung's replacement skills")


@attrs.frozen(eq=True, hash=False)  # holds mappings, like WorkItem: compared, not hashed
class Rung:
    """One step of a ladder, applied once the item has waited ``after`` at its stage.

    A rung changes the item's required skills in one of two ways, never both: it *relaxes*
    them (``drop`` removes skills, ``lower`` lowers required levels; a level already at or
    below the one given stays, so a rung never raises a requirement) or it *replaces* them
    (``skills``: "widen to queue B" is B's skills). It may also raise the priority
    (``raise_to``; an item already at or above it keeps its own) and flag the application
    for people (``notify``, e.g. tell the supervisor).

    Attributes:
        after: Time since the item entered its stage (business time with a calendar).
        drop: Skill names to remove from the requirement.
        lower: Skill name → the level to lower it to.
        skills: A replacement requirement, or ``None`` to keep (and relax) the current one.
        raise_to: The priority to raise the item to, or ``None``.
        notify: Whether the application should tell someone (the supervisor).

    Raises:
        ValidationError: If ``after`` is not a positive timedelta, ``drop`` not a collection
            of skill names, ``lower`` or ``skills`` not a mapping of names to levels, a skill
            is both dropped and lowered, ``skills`` is given with ``drop`` or ``lower``,
            ``raise_to`` is not a Priority, or the rung does nothing.
    """

    after: timedelta = attrs.field()
    drop: frozenset[str] = attrs.field(default=frozenset(), converter=_drop)
    lower: Mapping[str, int] = attrs.field(factory=dict, converter=_lower)
    skills: Mapping[str, int] | None = attrs.field(default=None, converter=_replacement)
    raise_to: Priority | None = None
    notify: bool = False

    def __attrs_post_init__(self) -> None:
        check_timedelta(self.after, what="after of a rung", positive=True)
        check_bool(self.notify, what=f"notify of the rung after {self.after}")
        if self.raise_to is not None and not isinstance(self.raise_to, Priority):
            raise ValidationError(
                f"raise_to of the rung after {self.after} must be a Priority or None, got "
                f"{self.raise_to!r}; allowed: {allowed_list(p.name for p in Priority)}"
            )
        both = self.drop & set(self.lower)
        if both:
            raise ValidationError(
                f"the rung after {self.after} both drops and lowers {sorted(both)}; "
                "a skill is either dropped or lowered"
            )
        if self.skills is not None and (self.drop or self.lower):
            raise ValidationError(
                f"the rung after {self.after} replaces the skills and also drops or lowers "
                "some; give the replacement requirement as it should be, without drop/lower"
            )
        if not self.changes_skills and self.raise_to is None and not self.notify:
            raise ValidationError(
                f"the rung after {self.after} does nothing; give drop, lower, skills, "
                "raise_to or notify=True"
            )

    @property
    def changes_skills(self) -> bool:
        """Whether the rung may change the required skills (it drops, lowers or replaces)."""
        return bool(self.drop or self.lower) or self.skills is not None

    def apply(self, skills: Mapping[str, int]) -> Mapping[str, int]:
        """The requirement after this rung, from the requirement before it. O(r).

        Args:
            skills: The required skills before the rung.

        Returns:
            A read-only mapping: the replacement, or ``skills`` without the dropped ones and
            with the lowered ones at ``min(level, lowered)``.
        """
        if self.skills is not None:
            return self.skills
        relaxed = {name: level for name, level in skills.items() if name not in self.drop}
        for name, level in self.lower.items():
            if name in relaxed and relaxed[name] > level:
                relaxed[name] = level
        return MappingProxyType(relaxed)

    def describe(self) -> str:
        """A short sentence for people: what the rung does. O(d + l + r)."""
        parts = []
        if self.skills is not None:
            wanted = ", ".join(f"{k}={v}" for k, v in sorted(self.skills.items())) or "none"
            parts.append(f"require {wanted}")
        if self.drop:
            parts.append(f"drop {', '.join(sorted(self.drop))}")
        if self.lower:
            parts.append("lower " + ", ".join(f"{k} to {v}" for k, v in sorted(self.lower.items())))
        if self.raise_to is not None:
            parts.append(f"raise to {self.raise_to.value}")
        if self.notify:
            parts.append("notify")
        return f"after {self.after}: " + "; ".join(parts)


def _rungs(value: object) -> tuple[Rung, ...]:
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError(f"rungs of a ladder must be a sequence of Rung, got {value!r}")
    rungs = tuple(value)
    for rung in rungs:
        if not isinstance(rung, Rung):
            raise ValidationError(f"rungs of a ladder must be Rung values, got {rung!r}")
    return rungs


@attrs.frozen(eq=True, hash=False)  # holds mappings, like WorkItem: compared, not hashed
class Ladder:
    """The rungs of one stage, in order of their delay.

    Attributes:
        stage: The stage (step) whose items climb the ladder; ``None`` for items without a
            stage. A ladder for ``None`` may only raise priority and notify: changing an
            item's skills goes through [`Router.advance`][casekit.routing.Router.advance],
            which needs a stage name.
        rungs: At least one rung, with strictly increasing ``after``.

    Raises:
        ValidationError: If the stage is not a name or ``None``, there are no rungs, the
            delays do not strictly increase, a later rung lowers a skill to a level not
            below an earlier rung's (or lowers or drops one already dropped) since the last
            replacement, a rung after a replacement drops or lowers a skill it does not
            require, or a ladder for ``None`` changes skills.
    """

    stage: str | None = attrs.field()
    rungs: tuple[Rung, ...] = attrs.field(converter=_rungs)

    def __attrs_post_init__(self) -> None:
        check_optional_text(self.stage, what="the stage of a ladder")
        where = f"the ladder of stage {self.stage!r}"
        if not self.rungs:
            raise ValidationError(f"{where} has no rungs; give at least one Rung")
        for earlier, later in zip(self.rungs, self.rungs[1:], strict=False):
            if later.after <= earlier.after:
                raise ValidationError(
                    f"{where}: rung after {later.after} follows the rung after {earlier.after}; "
                    "rungs must be in strictly increasing order of `after`"
                )
        if self.stage is None:
            for rung in self.rungs:
                if rung.changes_skills:
                    raise ValidationError(
                        f"{where}: the rung {rung.describe()!r} changes skills, which needs a "
                        "stage name (Router.advance); a ladder for items without a stage may "
                        "only raise_to and notify"
                    )
        self._check_relaxations(where)

    def _check_relaxations(self, where: str) -> None:
        lowered: dict[str, int] = {}
        dropped: set[str] = set()
        known: Mapping[str, int] | None = None  # the requirement, once a rung replaced it
        for rung in self.rungs:
            if rung.skills is not None:
                known, lowered, dropped = rung.skills, {}, set()
                continue
            for name in sorted(rung.drop | set(rung.lower)):
                if name in dropped:
                    raise ValidationError(
                        f"{where}: the rung after {rung.after} drops or lowers {name!r}, "
                        "which an earlier rung already dropped"
                    )
                if known is not None and name not in known:
                    raise ValidationError(
                        f"{where}: the rung after {rung.after} drops or lowers {name!r}, which "
                        f"the replacement requirement before it does not hold; it holds "
                        f"{allowed_list(known)}"
                    )
            for name, level in sorted(rung.lower.items()):
                floor = lowered.get(name, known.get(name) if known is not None else None)
                if floor is not None and level >= floor:
                    raise ValidationError(
                        f"{where}: the rung after {rung.after} lowers {name!r} to {level}, not "
                        f"below the {floor} it already is by then; a later rung must lower "
                        f"it further (to at most {floor - 1})"
                    )
                lowered[name] = level
            dropped |= rung.drop

    def skills_after(self, base: Mapping[str, int], applied: int) -> Mapping[str, int]:
        """The requirement after the first ``applied`` rungs, from the stage's own. O(n · r).

        Args:
            base: The skills the item had when it entered the stage.
            applied: How many rungs have been applied (0 to ``len(rungs)``).

        Returns:
            The requirement the ladder gives.

        Raises:
            ValidationError: If ``applied`` is not an integer from 0 to the number of rungs.
        """
        if isinstance(applied, bool) or not isinstance(applied, int):
            raise ValidationError(f"applied rungs must be an integer, got {applied!r}")
        if not 0 <= applied <= len(self.rungs):
            raise ValidationError(
                f"the ladder of stage {self.stage!r} has {len(self.rungs)} rungs; "
                f"applied must be from 0 to {len(self.rungs)}, got {applied}"
            )
        skills: Mapping[str, int] = MappingProxyType(dict(base))
        for rung in self.rungs[:applied]:
            skills = rung.apply(skills)
        return skills


def check_ladders(ladders: object) -> dict[str | None, Ladder]:
    """Validate a collection of ladders and index them by stage.

    Raises:
        ValidationError: If it is not a sequence of [`Ladder`][] or two share a stage.
    """
    if isinstance(ladders, (str, Mapping)) or not isinstance(ladders, Sequence | Iterable):
        raise ValidationError(f"ladders must be a sequence of Ladder, got {ladders!r}")
    by_stage: dict[str | None, Ladder] = {}
    for ladder in ladders:
        if not isinstance(ladder, Ladder):
            raise ValidationError(f"ladders must be Ladder values, got {ladder!r}")
        if ladder.stage in by_stage:
            raise ValidationError(
                f"two ladders for stage {ladder.stage!r}; give one ladder per stage"
            )
        by_stage[ladder.stage] = ladder
    return by_stage
