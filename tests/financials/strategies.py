"""Hypothesis strategies for the financials' values, drawn from their constructors' ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import strategies as st

from casekit.financials import (
    Decision,
    DeliveryMethod,
    DeliveryPattern,
    DeterminationSet,
    Entitlement,
    EntryKind,
    Frequency,
    LedgerEntry,
    Nominees,
    Period,
    Timing,
)
from casekit.money import Money, minor_units

CURRENCIES = ("EUR", "JPY", "KWD")
"""Minor units of 2, 0 and 3 decimals."""

names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
).filter(str.strip)
"""Ids and component names: non-blank text without NUL or lone surrogates."""

dates = st.dates(min_value=date.min, max_value=date.max)
moments = st.builds(
    lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)
"""Aware times at any offset (away from the calendar's ends, where UTC would overflow)."""


@st.composite
def periods(draw: st.DrawFn, within: st.SearchStrategy[date] = dates) -> Period:
    first, last = sorted((draw(within), draw(within)))
    return Period(first, last)


def whole_money(currency: str, *, minimum: int | None = None) -> st.SearchStrategy[Money]:
    """Whole minor units, built both ways (from minor units, and from text as typed)."""
    units = st.integers(min_value=-(10**12) if minimum is None else minimum, max_value=10**12)
    decimals = minor_units(currency)
    return st.one_of(
        units.map(lambda u: Money.from_minor(u, currency)),
        units.map(lambda u: Money(str(Decimal(u).scaleb(-decimals)), currency)),
        st.integers(0, 10**6).map(lambda u: Money(u, currency)),
    )


def rates(currency: str) -> st.SearchStrategy[Money]:
    """Non-negative rates: whole minor units or fractions of them (a computed rate)."""
    return st.one_of(
        whole_money(currency, minimum=0),
        st.decimals(min_value=0, max_value=10**9, places=7, allow_nan=False).map(
            lambda d: Money.unrounded(d, currency)
        ),
    )


@st.composite
def ledger_entries(draw: st.DrawFn, currency: str = "EUR") -> LedgerEntry:
    return LedgerEntry(
        draw(st.sampled_from(EntryKind)),
        draw(periods()),
        draw(names),
        draw(names.filter(lambda n: n != "*")),
        draw(whole_money(currency)),
        draw(names),
    )


@st.composite
def nominees(draw: st.DrawFn) -> Nominees:
    """A primary client and, per component, assignments on increasing dates."""
    found = Nominees(draw(names))
    for component in draw(st.lists(names, max_size=3, unique=True)):
        starts = draw(st.lists(dates, max_size=4, unique=True))
        for start in sorted(starts):
            found.assign(component, draw(names), start, actor=draw(names), at=draw(moments))
    return found


@st.composite
def patterns(draw: st.DrawFn) -> DeliveryPattern:
    """Any pattern the constructor accepts, fields a pattern does not use included."""
    frequency = draw(st.sampled_from(Frequency))
    anchor = draw(st.none() | dates)
    weekday = draw(st.none() | st.integers(0, 6))
    day_of_month = draw(st.none() | st.integers(-3, 40))
    if frequency is Frequency.MONTHLY:
        day_of_month = draw(st.integers(1, 28))
    else:
        weekday = draw(st.integers(0, 6))
        if frequency is Frequency.FORTNIGHTLY:
            anchor = draw(dates)
            weekday = anchor.weekday()
    return DeliveryPattern(
        draw(st.sampled_from(DeliveryMethod)),
        frequency,
        draw(st.sampled_from(Timing)),
        weekday=weekday,
        day_of_month=day_of_month,
        anchor=anchor,
    )


@st.composite
def determination_sets(draw: st.DrawFn) -> DeterminationSet:
    currency = draw(st.sampled_from(CURRENCIES))
    bounds = sorted(draw(st.lists(dates, max_size=8, unique=True)))
    components = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    decisions = []
    for first, last in zip(bounds[::2], bounds[1::2], strict=False):
        named = draw(st.lists(st.sampled_from(components), max_size=3, unique=True))
        decisions.append(
            Decision(
                Period(first, last),
                draw(st.booleans()),
                {component: draw(rates(currency)) for component in named},
            )
        )
    shuffled = draw(st.permutations(decisions))
    return DeterminationSet(shuffled, currency)


@st.composite
def entitlements(draw: st.DrawFn) -> Entitlement:
    certified = draw(st.none() | st.lists(periods(), max_size=4))
    return Entitlement(draw(determination_sets()), certified)


def plain_json(value: object) -> bool:
    """True when ``value`` is made only of str, int, bool, None, lists and str-keyed dicts."""
    if value is None or type(value) in (str, int, bool):
        return True
    if type(value) is list:
        return all(plain_json(item) for item in value)
    if type(value) is dict:
        return all(type(k) is str and plain_json(v) for k, v in value.items())
    return False


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.text(max_size=10)
    | st.sampled_from(["2026-01-01", "20260101", "2026-01-01T00:00:00+00:00", "1.00", "EUR"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Any JSON value, with a few that look like what the encoders write."""

UTC_NOW = datetime(2026, 5, 4, 9, tzinfo=UTC)
