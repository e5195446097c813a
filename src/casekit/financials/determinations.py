"""Determinations: decisions of eligibility and entitlement per component over periods.

A [`Decision`][] holds, for one decision period, whether the client is eligible and the
rate of each component. A rate is the amount due for one **whole cover period** of the
delivery pattern (a monthly rate for monthly payments); the schedule prorates it by day.
A [`DeterminationSet`][] is the decisions covering a span, with no two overlapping
(a gap means nothing is due on those days).

A product's rule set is a callable the embedding application supplies
([`RuleSet`][]): it turns the case's effective-dated evidence over a span into decisions.
[`determine`][] runs it and validates what it returns; [`evidence_segments`][] splits a
span wherever evidence starts or stops, which is where a rule set's answer can change.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta

import attrs

from casekit.cases.evidence import Evidence, EvidenceLog
from casekit.checks import attrs_check, check_bool, check_date, check_instance, check_text
from casekit.errors import CurrencyMismatch, ValidationError
from casekit.financials.periods import Period
from casekit.financials.proration import MinorRate, to_minor_rate
from casekit.money import Money, minor_units

__all__ = ["Decision", "DeterminationSet", "RuleSet", "determine", "evidence_segments"]

_DAY = timedelta(days=1)


def _rates(value: Mapping[str, Money]) -> tuple[tuple[str, Money], ...]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"decision rates must map component -> Money, got {value!r}")
    for component, rate in value.items():
        if not isinstance(component, str) or not component.strip():
            raise ValidationError(f"component names must be non-empty strings, got {component!r}")
        if not isinstance(rate, Money):
            raise ValidationError(f"rate of component {component!r} must be a Money, got {rate!r}")
        if rate.is_negative:
            raise ValidationError(f"rate of component {component!r} is negative: {rate}")
    return tuple(sorted(value.items()))


@attrs.frozen(slots=True)
class Decision:
    """One decision period: eligibility and the rate per component.

    Args:
        period: The decision period (inclusive).
        eligible: Whether anything is due in the period.
        rates: Component name → rate per whole cover period (non-negative Money, one
            currency).

    Example:
        >>> Decision(Period(date(2026, 1, 1), date(2026, 3, 15)), True,
        ...          {"basic": Money("600.00", "EUR")}).rate("basic")
        Money('600.00', 'EUR')
    """

    period: Period = attrs.field(validator=attrs_check(check_instance, kind=Period))
    eligible: bool = attrs.field(validator=attrs_check(check_bool))
    rates: tuple[tuple[str, Money], ...] = attrs.field(converter=_rates)

    def __attrs_post_init__(self) -> None:
        currencies = {rate.currency for _, rate in self.rates}
        if len(currencies) > 1:
            raise CurrencyMismatch(
                f"decision {self.period} mixes currencies {sorted(currencies)}; use one"
            )

    @property
    def components(self) -> tuple[str, ...]:
        """The components the decision names, sorted."""
        return tuple(name for name, _ in self.rates)

    def rate(self, component: str) -> Money | None:
        """The rate of ``component``, or None when the decision does not name it. O(c)."""
        for name, rate in self.rates:
            if name == component:
                return rate
        return None


def _sorted_decisions(decisions: Iterable[Decision]) -> tuple[Decision, ...]:
    if isinstance(decisions, str | bytes) or not isinstance(decisions, Iterable):
        raise ValidationError(f"a determination set holds Decisions, got {decisions!r}")
    found = tuple(decisions)
    for decision in found:
        if not isinstance(decision, Decision):
            raise ValidationError(f"a determination set holds Decisions, got {decision!r}")
    return tuple(sorted(found, key=lambda d: d.period))


Segment = tuple[int, int, MinorRate]
"""``(first day ordinal, last day ordinal, rate in minor units)`` of one rate in force."""


@attrs.frozen(slots=True)
class DeterminationSet:
    """Decisions covering a span, sorted, none overlapping, all in one currency.

    Args:
        decisions: The decisions, in any order.
        currency: The currency of every rate.

    Raises:
        ValidationError: Two decisions overlap.
        CurrencyMismatch: A rate in another currency.

    Complexity: building is O(d log d) for d decisions; [`segments`][] is O(log d + k)
    for the k decisions a period meets.
    """

    decisions: tuple[Decision, ...] = attrs.field(converter=_sorted_decisions)
    currency: str
    _timelines: dict[str, tuple[list[int], list[Segment]]] = attrs.field(
        init=False, eq=False, repr=False, factory=dict
    )
    _components: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False, default=())
    _span: Period | None = attrs.field(init=False, eq=False, repr=False, default=None)
    _paying: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False, default=())
    # The same timelines as tuples (their items inline: fewer objects to read per
    # reassessment), by component in sorted order.
    _segments: dict[str, tuple[Segment, ...]] = attrs.field(
        init=False, eq=False, repr=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        check_text(self.currency, what="currency of a determination set")
        decimals = minor_units(self.currency)  # ValidationError for a code not in ISO 4217
        previous: Decision | None = None
        for decision in self.decisions:
            if not isinstance(decision, Decision):
                raise ValidationError(f"a determination set holds Decisions, got {decision!r}")
            if previous is not None and decision.period.start <= previous.period.end:
                raise ValidationError(
                    f"decisions {previous.period} and {decision.period} overlap; a "
                    "determination set covers each day at most once"
                )
            for component, rate in decision.rates:
                if rate.currency != self.currency:
                    raise CurrencyMismatch(
                        f"rate of {component!r} in decision {decision.period} is in "
                        f"{rate.currency}; this determination set is in {self.currency}"
                    )
            previous = decision
        # Per component: the non-zero rates in force, touching segments of one rate merged,
        # so two sets that say the same thing have the same timelines.
        timelines: dict[str, tuple[list[int], list[Segment]]] = {}
        for decision in self.decisions:
            if not decision.eligible:
                continue
            start, end = decision.period.start.toordinal(), decision.period.end.toordinal()
            for component, rate in decision.rates:
                if rate.is_zero:
                    continue
                minor = to_minor_rate(rate.amount, decimals)
                starts, segments = timelines.setdefault(component, ([], []))
                if segments and segments[-1][1] + 1 == start and segments[-1][2] == minor:
                    segments[-1] = (segments[-1][0], end, minor)
                else:
                    starts.append(start)
                    segments.append((start, end, minor))
        object.__setattr__(self, "_timelines", timelines)
        object.__setattr__(self, "_paying", tuple(sorted(timelines)))
        segments_of = {c: tuple(timelines[c][1]) for c in self._paying}
        object.__setattr__(self, "_segments", segments_of)
        object.__setattr__(
            self, "_components", tuple(sorted({c for d in self.decisions for c in d.components}))
        )
        if self.decisions:
            span = Period(self.decisions[0].period.start, self.decisions[-1].period.end)
            object.__setattr__(self, "_span", span)

    @property
    def components(self) -> tuple[str, ...]:
        """Every component any decision names, sorted. O(1)."""
        return self._components

    @property
    def paying_components(self) -> tuple[str, ...]:
        """The components with a non-zero rate on some eligible day, sorted. O(1)."""
        return self._paying

    @property
    def span(self) -> Period | None:
        """From the first decision's start to the last one's end, or None when empty."""
        return self._span

    def timeline(self, component: str) -> list[Segment]:
        """The component's non-zero rates in force, in order, as day-ordinal segments. O(1).

        The list is the set's own: do not modify it.
        """
        timeline = self._timelines.get(component)
        return timeline[1] if timeline is not None else []

    def segments(self, component: str, first: int, last: int) -> list[Segment]:
        """The non-zero rates of ``component`` in force between two day ordinals, clipped.

        Complexity: O(log d + k).
        """
        timeline = self._timelines.get(component)
        if timeline is None:
            return []
        starts, segments = timeline
        index = max(bisect.bisect_right(starts, first) - 1, 0)
        found: list[Segment] = []
        for seg_start, seg_end, rate in segments[index:]:
            if seg_start > last:
                break
            if seg_end < first:
                continue
            found.append((max(seg_start, first), min(seg_end, last), rate))
        return found

    def rate_on(self, component: str, day: date) -> Money:
        """The rate of ``component`` in force on ``day`` (zero when ineligible). O(d).

        Raises:
            ValidationError: ``day`` is not a date.
        """
        check_date(day, what=f"the day to find the rate of {component!r} on")
        ordinal = day.toordinal()
        found = self.segments(component, ordinal, ordinal)
        if not found:
            return Money.zero(self.currency)
        decision = self._decision_on(day)
        assert decision is not None
        rate = decision.rate(component)
        assert rate is not None
        return rate

    def _decision_on(self, day: date) -> Decision | None:
        starts = [d.period.start for d in self.decisions]
        index = bisect.bisect_right(starts, day) - 1
        if index >= 0 and self.decisions[index].period.contains(day):
            return self.decisions[index]
        return None

    def first_difference(self, other: DeterminationSet) -> date | None:
        """The earliest day on which the two sets say something different is due, or None.

        Compares, per component, the rate in force each day (zero where ineligible or
        undecided), so two sets that split the same rates differently are equal.

        Complexity: O((d₁ + d₂) · c) for d decisions and c components.
        """
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot compare determinations in {self.currency} and {other.currency}"
            )
        earliest: int | None = None
        mine, theirs = self._segments, other._segments
        shared = 0
        for component, left in mine.items():
            right = theirs.get(component)
            if right is None:
                right = ()
            else:
                shared += 1
            if left != right:
                day = _first_mismatch(left, right)
                if day is not None and (earliest is None or day < earliest):
                    earliest = day
        if shared < len(theirs):
            for component, right in theirs.items():
                if component not in mine:  # paid only under ``other``: differs from its start
                    day = right[0][0]
                    if earliest is None or day < earliest:
                        earliest = day
        return None if earliest is None else date.fromordinal(earliest)


def _first_mismatch(a: Sequence[Segment], b: Sequence[Segment]) -> int | None:
    # (Comparisons rather than min() calls: this runs on every reassessment.)
    for left, right in zip(a, b, strict=False):
        if left != right:
            left_first, right_first = left[0], right[0]
            if left_first != right_first:
                return left_first if left_first < right_first else right_first
            # Same start: they differ from the start if the rates differ, else after the
            # shorter one ends.
            if left[2] != right[2]:
                return left_first
            return (left[1] if left[1] < right[1] else right[1]) + 1
    if len(a) != len(b):
        extra = a[len(b)] if len(a) > len(b) else b[len(a)]
        return extra[0]
    return None


RuleSet = Callable[[EvidenceLog, Period], Iterable[Decision]]
"""A product's rule set: ``rule_set(evidence, span) -> decisions`` covering the span."""


def determine(
    rule_set: RuleSet, evidence: EvidenceLog, span: Period, *, currency: str
) -> DeterminationSet:
    """Run a product's rule set over ``span`` and validate the decisions it returns.

    Complexity: the rule set's cost plus O(d log d) for d decisions.

    Args:
        rule_set: The product's rule set.
        evidence: The case's evidence.
        span: The span to decide.
        currency: The product's currency.

    Raises:
        ValidationError: A rule set that is not callable, evidence that is not an
            EvidenceLog, a span that is not a Period, a decision outside ``span``, or two
            decisions overlapping.
    """
    if not callable(rule_set):
        raise ValidationError(f"a rule set must be callable (evidence, span), got {rule_set!r}")
    check_instance(evidence, EvidenceLog, what="the evidence to determine from")
    check_instance(span, Period, what="the span to determine")
    minor_units(check_text(currency, what="the currency to determine in"))
    found = rule_set(evidence, span)
    if isinstance(found, str | bytes) or not isinstance(found, Iterable):
        raise ValidationError(f"the rule set returned {found!r}; expected Decisions")
    decisions = tuple(found)
    for decision in decisions:
        if not isinstance(decision, Decision):
            raise ValidationError(f"the rule set returned {decision!r}; expected Decisions")
        if decision.period.start < span.start or decision.period.end > span.end:
            raise ValidationError(
                f"the rule set decided {decision.period}, outside the span {span} it was "
                "asked to decide"
            )
    return DeterminationSet(decisions, currency)


def evidence_segments(evidence: Iterable[Evidence], span: Period) -> tuple[Period, ...]:
    """Split ``span`` wherever a piece of evidence starts or stops being in force.

    Inside each returned period the same evidence is in force every day, so a rule set can
    make one decision per period.

    Complexity: O(e log e) for e evidence records.

    Example:
        >>> evidence_segments([], Period(date(2026, 1, 1), date(2026, 1, 31)))
        (Period(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31)),)
    """
    cuts = {span.start}
    for record in evidence:
        if record.removed:
            continue
        if span.start < record.effective_from <= span.end:
            cuts.add(record.effective_from)
        if record.effective_to is not None and span.start <= record.effective_to < span.end:
            cuts.add(record.effective_to + _DAY)
    starts = sorted(cuts)
    ends = [s - _DAY for s in starts[1:]] + [span.end]
    return tuple(Period(s, e) for s, e in zip(starts, ends, strict=True))
