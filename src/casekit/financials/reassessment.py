"""Reassessment, the computation: what was due against what was paid, as a pure function.

[`reassess`][] compares, over the reassessment period (the earliest day the old and new
entitlements differ, or the first cover period paid to a nominee the history no longer
names — a retroactive nominee change alone is a change of circumstance → the last day of
the latest paid cover period), what the new
determinations say was due with what was paid, per cover period × component × nominee:

    correction = (due − paid) − corrections already recorded for that line

so a second reassessment nets against the first. Amounts are exact minor units: every due
amount is prorated and rounded once (`casekit.financials.proration`), so corrections
are differences of rounded amounts and exact to the cent. The result is classified as an
overpayment (net < 0, owed to the agency), an underpayment (net > 0, owed to the client),
net zero (lines differ but sum to zero) or no change.

The function reads its inputs and returns a new frozen [`Reassessment`][]; it mutates
nothing, and the same inputs give the same result. Applying it (a Payment Correction
Case, ledger entries, recovery) is `casekit.financials.corrections`.
[`reassess_many`][] runs the same computation over a batch of requests (each a
[`ReassessmentRequest`][], its arguments checked once, when it is made).

Complexity: O(n · c · (log d + k) + log p) for the n cover periods in the reassessment
period, c components, d decisions, k rate segments per cover and p paid cover periods:
proportional to the changed periods, not to the case's whole history.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from itertools import repeat
from typing import TYPE_CHECKING

import attrs

from casekit.cases.payment_correction import CorrectionLine, CorrectionOutcome
from casekit.checks import check_date, check_enum, check_id, check_instance
from casekit.errors import CurrencyMismatch, ValidationError
from casekit.financials.delivery import CoverSpan, DeliveryPattern
from casekit.financials.entitlement import Entitlement
from casekit.financials.ledger import Ledger
from casekit.financials.nominees import Nominees
from casekit.financials.periods import Period
from casekit.financials.schedule import LineKey, _due_by_span
from casekit.financials.triggers import ReassessmentTrigger
from casekit.money import Money
from casekit.notebook import to_dataframe

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ALL_COMPONENTS",
    "Reassessment",
    "ReassessmentLine",
    "ReassessmentRequest",
    "reassess",
    "reassess_many",
]

ALL_COMPONENTS = "*"
"""The component (and nominee, when several) of a rolled-up correction line."""


@attrs.frozen(slots=True)
class ReassessmentLine:
    """One compared line: a cover period × component × nominee.

    Attributes:
        cover: The cover period.
        component: The component.
        nominee: The nominee.
        due: What the new determinations say was due.
        paid: What was paid.
        earlier: Corrections already recorded for the line.
        correction: ``due − paid − earlier`` (negative: overpaid).
    """

    cover: Period
    component: str
    nominee: str
    due: Money
    paid: Money
    earlier: Money
    correction: Money

    @property
    def key(self) -> LineKey:
        """The line's ledger key."""
        return (self.cover.start, self.cover.end, self.component, self.nominee)


@attrs.frozen(slots=True)
class Reassessment:
    """The result of [`reassess`][]: the compared lines, totals and outcome.

    Attributes:
        case_id: The product delivery case.
        trigger: What asked for it.
        period: The reassessment period, or None when nothing paid was affected.
        currency: The currency.
        rows: The compared lines as ``(key, due, paid, earlier)`` in minor units, sorted by
            key; read them as [`lines`][].
        due_units: Total due over the period under the new entitlement, in minor units
            ([`due`][] as Money).
        paid_units: Total paid over the period, in minor units ([`paid`][]).
        earlier_units: Corrections already recorded over the period, in minor units
            ([`earlier`][]).
        outcome: Overpayment, underpayment, net zero or no change.
    """

    case_id: str
    trigger: ReassessmentTrigger
    period: Period | None
    currency: str
    rows: tuple[tuple[LineKey, int, int, int], ...] = attrs.field(repr=False)
    due_units: int
    paid_units: int
    earlier_units: int
    outcome: CorrectionOutcome

    @property
    def due(self) -> Money:
        """Total due over the period under the new entitlement."""
        return Money.from_minor(self.due_units, self.currency)

    @property
    def paid(self) -> Money:
        """Total paid over the period."""
        return Money.from_minor(self.paid_units, self.currency)

    @property
    def earlier(self) -> Money:
        """Corrections already recorded over the period."""
        return Money.from_minor(self.earlier_units, self.currency)

    @property
    def net(self) -> Money:
        """The net correction, ``due − paid − earlier``: negative is an overpayment."""
        return Money.from_minor(
            self.due_units - self.paid_units - self.earlier_units, self.currency
        )

    @property
    def lines(self) -> tuple[ReassessmentLine, ...]:
        """Every compared line with a due, paid, earlier or correction amount.

        Built from `rows` on each access (the computation itself stays in integer
        minor units): O(l) for l lines.
        """
        return tuple(self._line(row) for row in self.rows)

    @property
    def corrections(self) -> tuple[ReassessmentLine, ...]:
        """The lines with a non-zero correction. O(l)."""
        return tuple(self._line(row) for row in self.rows if row[1] - row[2] - row[3])

    def _line(self, row: tuple[LineKey, int, int, int]) -> ReassessmentLine:
        key, due, paid, earlier = row
        currency = self.currency
        return ReassessmentLine(
            Period(key[0], key[1]),
            key[2],
            key[3],
            Money.from_minor(due, currency),
            Money.from_minor(paid, currency),
            Money.from_minor(earlier, currency),
            Money.from_minor(due - paid - earlier, currency),
        )

    def by_component(self) -> tuple[CorrectionLine, ...]:
        """One correction line per component and nominee over the period (not rolled up).

        Complexity: O(l) for l lines.
        """
        if self.period is None:
            return ()
        totals: dict[tuple[str, str], int] = {}
        for (_, _, component, nominee), due, paid, earlier in self.rows:
            key = (component, nominee)
            totals[key] = totals.get(key, 0) + due - paid - earlier
        return tuple(
            CorrectionLine(
                self.period.start,
                self.period.end,
                component,
                nominee,
                Money.from_minor(units, self.currency),
            )
            for (component, nominee), units in sorted(totals.items())
            if units
        )

    def by_nominee(self) -> tuple[CorrectionLine, ...]:
        """One net correction line per nominee over the period (the rolled-up settlement).

        Each names its nominee and the component [`ALL_COMPONENTS`][]; nominees whose
        lines net to zero are left out. Settlement is per nominee: these are what each
        nominee is owed (positive) or owes (negative).

        Complexity: O(l) for l lines.
        """
        if self.period is None:
            return ()
        totals: dict[str, int] = {}
        for (_, _, _, nominee), due, paid, earlier in self.rows:
            totals[nominee] = totals.get(nominee, 0) + due - paid - earlier
        return tuple(
            CorrectionLine(
                self.period.start,
                self.period.end,
                ALL_COMPONENTS,
                nominee,
                Money.from_minor(units, self.currency),
            )
            for nominee, units in sorted(totals.items())
            if units
        )

    def rolled_up(self) -> CorrectionLine | None:
        """The case's net correction over the period, or None when nothing changed.

        Its nominee is [`ALL_COMPONENTS`][] when several nominees are involved: it is the
        case's total, not a settlement line (see [`by_nominee`][]).
        """
        if self.period is None or self.outcome is CorrectionOutcome.NO_CHANGE:
            return None
        nominees = {line.nominee for line in self.corrections}
        nominee = nominees.pop() if len(nominees) == 1 else ALL_COMPONENTS
        return CorrectionLine(self.period.start, self.period.end, ALL_COMPONENTS, nominee, self.net)

    def summary_lines(self, *, rolled_up: bool) -> tuple[CorrectionLine, ...]:
        """The correction case's lines; every line names its nominee.

        Rolled up: one net line per nominee; otherwise one per component and nominee.
        """
        return self.by_nominee() if rolled_up else self.by_component()

    # ----- notebooks --------------------------------------------------------------------
    def to_records(self) -> list[dict[str, object]]:
        """One flat record per compared line (``pandas.DataFrame(result.to_records())``)."""
        return [
            {
                "case_id": self.case_id,
                "cover_from": line.cover.start,
                "cover_to": line.cover.end,
                "component": line.component,
                "nominee": line.nominee,
                "due": line.due.amount,
                "paid": line.paid.amount,
                "earlier": line.earlier.amount,
                "correction": line.correction.amount,
                "currency": self.currency,
            }
            for line in self.lines
        ]

    def to_dataframe(self) -> pd.DataFrame:
        """[`to_records`][] as a pandas DataFrame, one row per compared line.

        Raises:
            MissingExtra: pandas is not installed.
        """
        return to_dataframe(self.to_records(), what=f"reassessment lines of {self.case_id}")

    def _repr_html_(self) -> str:
        from casekit.financials.notebook import reassessment_html  # noqa: PLC0415  on use

        return reassessment_html(self)


_new = object.__new__


def _slot_setter(name: str) -> Callable[[Reassessment, object], None]:
    """Write a `Reassessment` field through its slot (the engine's results only)."""
    setter: Callable[[Reassessment, object], None] = Reassessment.__dict__[name].__set__
    return setter


_set_case_id = _slot_setter("case_id")
_set_trigger = _slot_setter("trigger")
_set_period = _slot_setter("period")
_set_currency = _slot_setter("currency")
_set_rows = _slot_setter("rows")
_set_due_units = _slot_setter("due_units")
_set_paid_units = _slot_setter("paid_units")
_set_earlier_units = _slot_setter("earlier_units")
_set_outcome = _slot_setter("outcome")


def _result(  # noqa: PLR0917  one argument per field, in field order
    case_id: str,
    trigger: ReassessmentTrigger,
    period: Period | None,
    currency: str,
    rows: tuple[tuple[LineKey, int, int, int], ...],
    due_units: int,
    paid_units: int,
    earlier_units: int,
    outcome: CorrectionOutcome,
) -> Reassessment:
    """`Reassessment(...)` from values the engine built, written through the slots.

    The frozen class refuses ``setattr`` and has no checks to skip: this is the same result
    as the constructor's, field for field, for less than its cost.
    """
    result = _new(Reassessment)
    _set_case_id(result, case_id)
    _set_trigger(result, trigger)
    _set_period(result, period)
    _set_currency(result, currency)
    _set_rows(result, rows)
    _set_due_units(result, due_units)
    _set_paid_units(result, paid_units)
    _set_earlier_units(result, earlier_units)
    _set_outcome(result, outcome)
    return result


def reassess(
    case_id: str,
    *,
    old: Entitlement,
    new: Entitlement,
    ledger: Ledger,
    pattern: DeliveryPattern,
    nominees: Nominees,
    trigger: ReassessmentTrigger = ReassessmentTrigger.MANUAL,
    since: date | None = None,
    until: date | None = None,
) -> Reassessment:
    """Compute the corrections a change from ``old`` to ``new`` entitlement calls for.

    A pure function: nothing is mutated, and the same inputs give the same result.

    Complexity: see the module docstring — proportional to the cover periods in the
    reassessment period.

    Args:
        case_id: The product delivery case.
        old: The entitlement payments were made under.
        new: The entitlement after the change.
        ledger: What was paid and corrected.
        pattern: The delivery pattern (the cover periods).
        nominees: Who receives each component.
        trigger: What asked for the reassessment.
        since: Reassess from this day instead of the first difference (a manual request
            over a chosen period).
        until: The last day to reassess; defaults to the last day of the latest paid
            cover period.

    Raises:
        ValidationError: An argument of the wrong kind.
        CurrencyMismatch: The entitlements or the ledger are in different currencies.
    """
    return _reassess(_checked(case_id, old, new, ledger, pattern, nominees, trigger, since, until))


@attrs.frozen(slots=True, eq=False)  # a request is one reassessment to run, not a value
class ReassessmentRequest:
    """The inputs of one reassessment, checked once, for [`reassess_many`][].

    The arguments are [`reassess`][]'s, checked as it checks them when the request is
    made (so a batch holds only requests that can run). Making one is O(1).

    Attributes:
        case_id: The product delivery case.
        old: The entitlement payments were made under.
        new: The entitlement after the change.
        ledger: What was paid and corrected (read when the batch runs).
        pattern: The delivery pattern.
        nominees: Who receives each component.
        trigger: What asked for the reassessment.
        since: Reassess from this day instead of the first difference.
        until: The last day to reassess.

    Raises:
        ValidationError: An argument of the wrong kind.
        CurrencyMismatch: The entitlements or the ledger are in different currencies.
    """

    case_id: str
    old: Entitlement = attrs.field(kw_only=True)
    new: Entitlement = attrs.field(kw_only=True)
    ledger: Ledger = attrs.field(kw_only=True)
    pattern: DeliveryPattern = attrs.field(kw_only=True)
    nominees: Nominees = attrs.field(kw_only=True)
    trigger: ReassessmentTrigger = attrs.field(kw_only=True, default=ReassessmentTrigger.MANUAL)
    since: date | None = attrs.field(kw_only=True, default=None)
    until: date | None = attrs.field(kw_only=True, default=None)
    _inputs: _Inputs = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        inputs = _checked(
            self.case_id,
            self.old,
            self.new,
            self.ledger,
            self.pattern,
            self.nominees,
            self.trigger,
            self.since,
            self.until,
        )
        object.__setattr__(self, "trigger", inputs[6])
        object.__setattr__(self, "_inputs", inputs)


def reassess_many(requests: Iterable[ReassessmentRequest]) -> list[Reassessment]:
    """[`reassess`][] each request, in order: one result per request.

    The same computation as `reassess` (one implementation): each result equals what
    `reassess` gives for the request's arguments. They were checked when the request was
    made, so the batch only reads them.

    Complexity: the sum of the reassessments' costs (see the module docstring).

    Raises:
        ValidationError: ``requests`` is not an iterable of [`ReassessmentRequest`][]
            (checked before any is run).
    """
    if isinstance(requests, str | bytes) or not isinstance(requests, Iterable):
        raise ValidationError(
            f"reassess_many needs an iterable of ReassessmentRequests, got {requests!r}"
        )
    batch = list(requests)
    for n, request in enumerate(batch):
        check_instance(request, ReassessmentRequest, what=f"request {n} of reassess_many")
    return [_reassess(request._inputs) for request in batch]


_Inputs = tuple[
    str,
    Entitlement,
    Entitlement,
    Ledger,
    DeliveryPattern,
    Nominees,
    ReassessmentTrigger,
    date | None,
    date | None,
]


def _checked(  # noqa: PLR0917  reassess's arguments, in order (the hot path: no keywords)
    case_id: object,
    old: object,
    new: object,
    ledger: object,
    pattern: object,
    nominees: object,
    trigger: object,
    since: object,
    until: object,
) -> _Inputs:
    """A reassessment's inputs, checked: the one set of checks of both doors. O(1).

    `reassess` and [`ReassessmentRequest`][] apply them.

    The common case (every input of its exact type) is tested first, so that the message
    of a refusal is only written for a refusal.
    """
    case_id = check_id(case_id, what="the case to reassess")
    if not (
        type(old) is Entitlement
        and type(new) is Entitlement
        and type(ledger) is Ledger
        and type(pattern) is DeliveryPattern
        and type(nominees) is Nominees
    ):
        what = f"reassessment of {case_id}"
        old = check_instance(old, Entitlement, what=f"old entitlement of the {what}")
        new = check_instance(new, Entitlement, what=f"new entitlement of the {what}")
        ledger = check_instance(ledger, Ledger, what=f"ledger of the {what}")
        pattern = check_instance(pattern, DeliveryPattern, what=f"pattern of the {what}")
        nominees = check_instance(nominees, Nominees, what=f"nominees of the {what}")
    if type(trigger) is not ReassessmentTrigger:
        what = f"reassessment of {case_id}"
        trigger = check_enum(trigger, ReassessmentTrigger, what=f"trigger of the {what}")
    currency = new.determinations.currency
    if ledger.currency != currency or old.determinations.currency != currency:
        raise CurrencyMismatch(
            f"cannot reassess {case_id}: determinations in {old.determinations.currency} "
            f"and {currency}, ledger in {ledger.currency}; use one currency"
        )
    if since is not None:
        since = check_date(since, what=f"reassessment of {case_id}: since")
    if until is not None:
        until = check_date(until, what=f"reassessment of {case_id}: until")
    return case_id, old, new, ledger, pattern, nominees, trigger, since, until


def _reassess(inputs: _Inputs) -> Reassessment:
    """The computation of [`reassess`][], on checked inputs. See the module docstring."""
    case_id, old, new, ledger, pattern, nominees, trigger, since, until = inputs
    currency = new.determinations.currency
    window = _window(old, new, ledger, nominees, since, until)
    if window is None:
        return _no_change(case_id, trigger, currency)
    paid_keys = ledger._keys_meeting(window.start, window.end)
    covers = _covers(pattern, window, paid_keys)
    due = _due_by_span(new.determinations, covers, nominees, new.certified)
    rows, total_due, total_paid, total_earlier = _compare(due, paid_keys, ledger)
    return _result(
        case_id,
        trigger,
        window,
        currency,
        rows,
        total_due,
        total_paid,
        total_earlier,
        _outcome(total_due - total_paid - total_earlier, rows),
    )


def _compare(
    due: dict[LineKey, int], ledger_keys: list[LineKey], ledger: Ledger
) -> tuple[tuple[tuple[LineKey, int, int, int], ...], int, int, int]:
    """The compared lines and their totals (due, paid, earlier).

    The lines are ``(key, due, paid, earlier)``, sorted by key. ``due`` holds only
    non-zero amounts, its keys sorted (cover periods in order, then components, one
    nominee each); ``ledger_keys`` are the ledger's lines meeting the period. The due
    lines are compared first, counting the ledger lines they meet; a ledger line not met
    (nothing due on it) is compared too when something was paid or corrected on it, put
    in its place among the rows. O(l) for l lines, O(l log l) when ledger lines have
    nothing due.
    """
    paid, corrected = ledger._amounts()
    paid_get = paid.get
    pays = list(map(paid_get, due, repeat(0)))
    total_due = sum(due.values())
    total_paid = sum(pays)
    if corrected:  # netting against earlier corrections
        corrected_get = corrected.get
        earliers = list(map(corrected_get, due, repeat(0)))
        rows = list(zip(due, due.values(), pays, earliers, strict=True))
        total_earlier = sum(earliers)
        # Due lines meeting a ledger line: those with something paid or corrected on them.
        met = sum(1 for p, e in zip(pays, earliers, strict=True) if p or e)
    else:
        corrected_get = None
        rows = list(zip(due, due.values(), pays, repeat(0)))
        total_earlier = 0
        met = len(pays) - pays.count(0)  # due lines with something paid on them
    if met < len(ledger_keys):
        unmet = []  # ledger lines with nothing due, something paid or corrected
        for key in ledger_keys:
            if key in due:
                continue
            p = paid_get(key, 0)
            e = 0 if corrected_get is None else corrected_get(key, 0)
            if p or e:
                total_paid += p
                total_earlier += e
                unmet.append((key, 0, p, e))
        if len(unmet) <= _FEW:
            for row in unmet:  # a few: each put in its place, O(log l) comparisons
                insort(rows, row)
        else:
            rows += unmet
            rows.sort()
    return tuple(rows), total_due, total_paid, total_earlier


_FEW = 8
"""Up to this many ledger lines with nothing due are inserted in order; more are sorted in."""


def _outcome(net: int, rows: Iterable[tuple[LineKey, int, int, int]]) -> CorrectionOutcome:
    """Overpayment (net < 0), underpayment (net > 0), net zero or no change.

    Net zero when some line has a correction (``due − paid − earlier``), else no change:
    the lines are only read when the net is zero. O(1), O(l) for l lines at net zero.
    """
    if net < 0:
        return CorrectionOutcome.OVERPAYMENT
    if net > 0:
        return CorrectionOutcome.UNDERPAYMENT
    if any(due != paid + earlier for _, due, paid, earlier in rows):
        return CorrectionOutcome.NET_ZERO
    return CorrectionOutcome.NO_CHANGE


def _covers(
    pattern: DeliveryPattern, window: Period, paid_keys: list[LineKey]
) -> Sequence[CoverSpan]:
    """The cover periods to compare: the pattern's, and any paid under another pattern.

    Where a paid cover period is not one of the pattern's (the pattern changed), the paid
    one is compared and the pattern's cover periods overlapping it are left out, so no day
    is counted twice.
    """
    covers, start_of, spans = pattern._cover_plan(window.start, window.end)
    for key in paid_keys:
        if start_of(key[1]) != key[0]:
            break
    else:
        return spans  # every paid cover period is one of the pattern's
    foreign = {(key[0], key[1]) for key in paid_keys if start_of(key[1]) != key[0]}
    paid = [Period(start, end) for start, end in sorted(foreign)]
    kept = [c for c in covers if not any(c.overlaps(p) for p in paid)]
    return [(c.start, c.end, c.start.toordinal(), c.end.toordinal()) for c in sorted(kept + paid)]


def _first_nominee_difference(ledger: Ledger, nominees: Nominees) -> date | None:
    """The first cover start of a line still held by a nominee who is no longer its nominee.

    A retroactive nominee change is a change of circumstance on its own (domain.md §3): a
    line paid (and not yet corrected away) to a nominee other than the one the history now
    names for that cover period must be reassessed from that cover period on.

    Complexity: O(log p + k) for the k ledger lines from the earliest reassignment on;
    nothing when no component was ever reassigned.
    """
    if nominees.sole_nominee() is not None:
        return None  # no component was ever reassigned
    firsts = nominees.first_assignments()
    end = ledger.latest_cover_end
    if not firsts or end is None:
        return None
    earliest_assignment = min(firsts.values())
    if earliest_assignment > end:
        return None
    paid, corrected = ledger._amounts()
    found: date | None = None
    for key in ledger._keys_meeting(earliest_assignment, end):
        start, _, component, nominee = key
        first = firsts.get(component)
        if first is None or start < first or (found is not None and start >= found):
            continue
        if nominees.nominee_on(component, start) == nominee:
            continue
        if paid.get(key, 0) + corrected.get(key, 0):
            found = start
    return found


def _window(  # noqa: PLR0917  called once per reassessment, positionally (no keywords)
    old: Entitlement,
    new: Entitlement,
    ledger: Ledger,
    nominees: Nominees,
    since: date | None,
    until: date | None,
) -> Period | None:
    """The reassessment period: first difference (or ``since``) → latest paid cover end.

    The first difference is the earlier of the entitlements' and the nominees' (a
    retroactive nominee change that the ledger does not reflect yet).
    """
    if since is not None:
        start: date | None = since
    else:
        start = old.first_difference(new)
        if nominees.sole_nominee() is None:  # a component was reassigned
            moved = _first_nominee_difference(ledger, nominees)
            if moved is not None and (start is None or moved < start):
                start = moved
    end = until if until is not None else ledger.latest_cover_end
    if start is None or end is None:
        return None
    # Nothing is due outside the decisions, and nothing was paid before the ledger starts:
    # start no earlier than the earliest of those. (A start on or after the ledger's first
    # day is on or after that earliest day already.)
    floor = ledger.earliest_cover_start
    if floor is None or start < floor:
        for span in (old.determinations.span, new.determinations.span):
            if span is not None and (floor is None or span.start < floor):
                floor = span.start
        if floor is not None and floor > start:
            start = floor
    if start > end:
        return None
    return Period._trusted(start, end)  # two dates (checked by reassess), in order


def _no_change(case_id: str, trigger: ReassessmentTrigger, currency: str) -> Reassessment:
    return Reassessment(case_id, trigger, None, currency, (), 0, 0, 0, CorrectionOutcome.NO_CHANGE)
