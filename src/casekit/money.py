"""Money: an exact Decimal amount with a currency.

Floats are refused (``Money(0.1, "USD")`` raises [`InvalidMoney`][]): a
binary float cannot hold most cent values, and one wrong cent is a defect. Arithmetic and
comparison across currencies raise [`CurrencyMismatch`][].

**Currencies** are checked against ISO 4217 as the Unicode CLDR keeps it (through ``babel``):
every code CLDR knows, current or withdrawn (a withdrawn one is still needed to read old
ledgers), so ``Money("1", "XYZ")`` is refused. A currency's **minor unit** is CLDR's number
of decimals (JPY 0, EUR and USD 2, KWD and BHD 3). For a few currencies CLDR records the
decimals actually in use, fewer than ISO 4217's nominal ones (HUF, COP, IDR, IQD: 0).

**Two ways in, one rule each:**

- ``Money(amount, currency)`` is the door for amounts from outside (user input, a rate, a
  payment): the amount must be a whole number of minor units, so ``Money("1.5", "JPY")`` and
  ``Money("0.005", "EUR")`` are refused with [`InvalidMoney`][].
- Arithmetic keeps full precision: ``Money("600.00", "EUR") * 15 / 31`` is an **unrounded**
  Money (``290.3225…``), an intermediate of a computation such as proration, to be rounded
  once with [`Money.rounded`][]. [`Money.unrounded`][] builds such a value explicitly
  (a rate per day, an exact share read back from storage); [`Money.to_minor`][] refuses
  it until it is rounded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TYPE_CHECKING

import attrs

from casekit.errors import CurrencyMismatch, InvalidMoney, ValidationError

if TYPE_CHECKING:
    from babel import Locale

__all__ = [
    "DEFAULT_LOCALE",
    "Money",
    "allocate",
    "currencies",
    "minor_units",
    "to_decimal",
    "total_of",
]

DEFAULT_LOCALE = "en_US"
"""The locale [`Money.format`][] writes money in unless told another."""


@functools.cache
def currencies() -> frozenset[str]:
    """Every ISO 4217 code casekit accepts: CLDR's, current and withdrawn (via babel). O(1)."""
    from babel.numbers import list_currencies  # noqa: PLC0415  loaded on first use

    return frozenset(list_currencies())


@functools.cache
def _decimals(currency: str) -> int:
    from babel.numbers import get_currency_precision  # noqa: PLC0415  loaded on first use

    return int(get_currency_precision(currency))


def minor_units(currency: str) -> int:
    """Return the number of decimals of ``currency``'s minor unit (JPY 0, EUR 2, KWD 3). O(1).

    Raises:
        ValidationError: ``currency`` is not an ISO 4217 code.
    """
    if type(currency) is not str or currency not in currencies():
        _check_code(currency)
    return _decimals(currency)


def to_decimal(value: object, *, what: str = "amount") -> Decimal:
    """Convert an int, a str or a Decimal to a finite Decimal; refuse floats and bools.

    Args:
        value: The value to convert.
        what: What the value is, for the error message.

    Raises:
        InvalidMoney: If ``value`` is a float, a bool, not a number, or not finite.
    """
    if isinstance(value, bool | float):
        raise InvalidMoney(
            f"{what} {value!r} is a {type(value).__name__}; pass a Decimal, an int or a "
            f"string such as {str(value)!r} (floats cannot hold cents exactly)"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise InvalidMoney(f"{what} {value!r} is not a number") from None
    else:
        raise InvalidMoney(
            f"{what} {value!r} is a {type(value).__name__}; pass a Decimal, an int or a str"
        )
    if not result.is_finite():
        raise InvalidMoney(f"{what} {value!r} is not a finite number")
    return result


_LOCALE_ID = re.compile(r"[A-Za-z]{2,8}(?:[_-][A-Za-z0-9]{1,8})*(?:\.[\w-]+)?(?:@\w+)?")


@functools.cache
def _parsed_locale(locale: str) -> Locale | None:
    from babel import Locale, UnknownLocaleError  # noqa: PLC0415  loaded on first use

    if not _LOCALE_ID.fullmatch(locale):
        return None
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


def _locale(locale: object) -> Locale:
    parsed = _parsed_locale(locale) if isinstance(locale, str) else None
    if parsed is None:
        raise ValidationError(
            f"locale {locale!r:.40} is unknown; give a CLDR locale identifier such as "
            f"{DEFAULT_LOCALE!r}, 'de_DE' or 'fr_CH'"
        )
    return parsed


def _check_currency(_instance: object, _attribute: object, value: str) -> None:
    _check_code(value)


def _check_code(value: object) -> None:
    if isinstance(value, str) and value in currencies():
        return
    if not (isinstance(value, str) and len(value) == 3 and value.isalpha() and value.isupper()):
        raise ValidationError(
            f"currency {value!r} is not an ISO 4217 code; expected three capital letters "
            "such as 'USD' or 'EUR'"
        )
    raise ValidationError(
        f"currency {value!r} is not an ISO 4217 code known to CLDR; use a real one such as "
        "'EUR', 'USD' or 'JPY' (casekit.money.currencies() lists them)"
    )


def _whole_minor_units(amount: Decimal, currency: str) -> bool:
    try:
        scaled = amount.scaleb(_decimals(currency))
    except ArithmeticError:  # beyond the decimal context's exponent range
        raise InvalidMoney(f"amount {str(amount)!r} {currency} is too large") from None
    return bool(scaled == scaled.to_integral_value())


def _make(amount: Decimal, currency: str) -> Money:
    """A Money from a finite Decimal and a checked currency, with no checks (hot paths)."""
    money = object.__new__(Money)
    object.__setattr__(money, "amount", amount)
    object.__setattr__(money, "currency", currency)
    return money


@attrs.frozen(slots=True, repr=False, order=False)
class Money:
    """An exact amount of one currency.

    Args:
        amount: A Decimal, an int or a numeric string, a whole number of the currency's
            minor unit (``"12.30"`` EUR, ``"1230"`` JPY). Floats are refused. Use
            [`unrounded`][] for an intermediate amount with more decimals.
        currency: An ISO 4217 code such as ``"EUR"``.

    Raises:
        InvalidMoney: A float, a bool, not a number, not finite, or more decimals than the
            currency's minor unit (``Money("1.5", "JPY")``).
        ValidationError: An unknown currency (``Money("1", "XYZ")``).

    Example:
        >>> Money("600.00", "EUR") * Decimal(15) / Decimal(31)
        Money('290.3225806451612903225806452', 'EUR')
        >>> (Money("600.00", "EUR") * 15 / 31).rounded()
        Money('290.32', 'EUR')
    """

    amount: Decimal = attrs.field(converter=to_decimal)
    currency: str = attrs.field(validator=_check_currency)

    def __attrs_post_init__(self) -> None:
        if not _whole_minor_units(self.amount, self.currency):
            decimals = _decimals(self.currency)
            raise InvalidMoney(
                f"amount {str(self.amount)!r} has more decimals than {self.currency} allows "
                f"({decimals}); give a whole number of minor units (e.g. "
                f"{str(self.amount.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN))!r})"
                ", or use Money.unrounded() for an intermediate amount"
            )

    @classmethod
    def unrounded(cls, amount: Decimal | int | str, currency: str) -> Money:
        """An amount that may hold fractions of the minor unit: an exact intermediate.

        What arithmetic returns too (``Money("600.00", "EUR") * 15 / 31``): a prorated
        share, a daily rate, a rate with fractions of a cent. Round it once with
        [`rounded`][] before paying or recording it; [`to_minor`][] refuses it until
        then. The amount and currency are checked as in the constructor.

        Raises:
            InvalidMoney: A float, a bool, not a number, or not finite.
            ValidationError: An unknown currency.

        Example:
            >>> Money.unrounded("100.005", "EUR").rounded()
            Money('100.00', 'EUR')
        """
        value = to_decimal(amount)
        _check_code(currency)
        return _make(value, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in ``currency``."""
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """Return ``units`` of the currency's minor unit (cents) as Money. O(1).

        Example:
            >>> Money.from_minor(52258, "EUR")
            Money('522.58', 'EUR')
        """
        if type(units) is not int:
            raise InvalidMoney(f"minor units must be an int, got {units!r}")
        if type(currency) is not str or currency not in currencies():
            _check_code(currency)
        # A Decimal from an int is always finite and the currency is checked: skip the
        # converter and validator (this is the hot path of schedules and reassessments).
        return _make(Decimal(units).scaleb(-_decimals(currency)), currency)

    def to_minor(self) -> int:
        """Return the amount in minor units (cents), exactly. O(1).

        Raises:
            InvalidMoney: If the amount is not a whole number of minor units.
        """
        scaled = self.amount.scaleb(_decimals(self.currency))
        if scaled != scaled.to_integral_value():
            raise InvalidMoney(
                f"{self} is not a whole number of minor units; round it first "
                f"(e.g. {self.rounded()})"
            )
        return int(scaled)

    # ----- queries ---------------------------------------------------------------------
    @property
    def is_zero(self) -> bool:
        """True when the amount is zero."""
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        """True when the amount is below zero."""
        return self.amount < 0

    @property
    def is_positive(self) -> bool:
        """True when the amount is above zero."""
        return self.amount > 0

    def rounded(self) -> Money:
        """Round once, half-even, to the currency's minor unit."""
        exponent = Decimal(1).scaleb(-_decimals(self.currency))
        return _make(self.amount.quantize(exponent, rounding=ROUND_HALF_EVEN), self.currency)

    # ----- arithmetic ------------------------------------------------------------------
    def _same(self, other: Money, op: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot {op} {other} and {self}: currencies differ "
                f"({other.currency} vs {self.currency}); convert first"
            )

    def _refuse(self, op: str, other: object) -> InvalidMoney:
        return InvalidMoney(
            f"cannot {op} {self} and {other!r}: {type(other).__name__} is not Money "
            "(money adds to, subtracts from and compares with money of the same currency; "
            "it multiplies and divides by a Decimal or an int)"
        )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise self._refuse("add", other)
        self._same(other, "add")
        return _make(self.amount + other.amount, self.currency)

    def __radd__(self, other: object) -> Money:
        # sum() starts from int 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        raise self._refuse("add", other)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise self._refuse("subtract", other)
        self._same(other, "subtract")
        return _make(self.amount - other.amount, self.currency)

    def __rsub__(self, other: object) -> Money:
        raise self._refuse("subtract", other)

    def __neg__(self) -> Money:
        return _make(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return _make(abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Money):
            raise InvalidMoney(f"cannot multiply {self} by {factor}: multiply money by a number")
        return _make(self.amount * to_decimal(factor, what="factor"), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: object) -> Money:
        if isinstance(divisor, Money):
            raise InvalidMoney(
                f"cannot divide {self} by {divisor} with '/': use .ratio() for a Decimal ratio"
            )
        value = to_decimal(divisor, what="divisor")
        if value == 0:
            raise ValidationError(f"cannot divide {self} by zero")
        return _make(self.amount / value, self.currency)

    def ratio(self, other: Money) -> Decimal:
        """Return ``self / other`` as a Decimal (same currency, ``other`` non-zero)."""
        if not isinstance(other, Money):
            raise ValidationError(f"ratio of {self} needs a Money divisor, got {other!r}")
        self._same(other, "divide")
        if other.amount == 0:
            raise ValidationError(f"cannot divide {self} by {other}")
        return self.amount / other.amount

    # ----- comparison ------------------------------------------------------------------
    def _cmp(self, other: object) -> Decimal:
        if not isinstance(other, Money):
            raise self._refuse("compare", other)
        self._same(other, "compare")
        return self.amount - other.amount

    def __lt__(self, other: object) -> bool:
        diff = self._cmp(other)
        return diff < 0

    def __le__(self, other: object) -> bool:
        diff = self._cmp(other)
        return diff <= 0

    def __gt__(self, other: object) -> bool:
        diff = self._cmp(other)
        return diff > 0

    def __ge__(self, other: object) -> bool:
        diff = self._cmp(other)
        return diff >= 0

    # ----- rendering -------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"

    def format(self, locale: str = DEFAULT_LOCALE) -> str:
        """The amount as people in ``locale`` write money (CLDR's patterns, through babel).

        casekit's one display of money: notebook cards, the demo's dashboard and its report
        all use it. ``str(money)`` stays ``1,172.58 EUR`` in every locale, for messages and
        logs. An unrounded amount is shown rounded, half-even, to the minor unit.

        Args:
            locale: A CLDR locale identifier such as ``"en_US"``, ``"de_DE"`` or ``"fr_CH"``
                (``"en-US"`` and ``"en_US.UTF-8"`` are read as ``en_US``).

        Raises:
            ValidationError: An unknown locale.

        Example:
            >>> Money("-1172.58", "EUR").format()
            '-€1,172.58'
            >>> Money("147611.34", "USD").format("en_IN")
            '$1,47,611.34'
        """
        from babel.numbers import format_currency  # noqa: PLC0415  loaded on first use

        return str(format_currency(self.amount, self.currency, locale=_locale(locale)))


def allocate(total: Money, weights: Sequence[Decimal | int]) -> list[Money]:
    """Split ``total`` into parts proportional to ``weights`` that sum exactly to it.

    Largest-remainder method at the currency's minor unit: each part is first rounded
    down (towards minus infinity for the share of the total's sign), then the leftover
    minor units go one each to the parts with the largest remainders (ties to the earlier
    part). The total is first rounded half-even to the minor unit.

    Complexity: O(n log n) for n weights.

    Args:
        total: The amount to split.
        weights: Non-negative weights, at least one of them positive.

    Returns:
        One Money per weight, summing exactly to ``total.rounded()``.

    Raises:
        ValidationError: If ``total`` is not a Money, ``weights`` is not a sequence, there
            are no weights, a weight is negative, or all are zero.
        InvalidMoney: A weight that is a float, a bool or not a number.
    """
    if not isinstance(total, Money):
        raise ValidationError(f"allocate needs a Money total to split, got {total!r}")
    if isinstance(weights, str | bytes) or not isinstance(weights, Sequence):
        raise ValidationError(
            f"allocate needs a sequence of weights (Decimals or ints), got {weights!r}"
        )
    ws = [to_decimal(w, what="weight") for w in weights]
    if not ws:
        raise ValidationError("cannot allocate over no weights; give at least one")
    if any(w < 0 for w in ws):
        raise ValidationError(f"weights must be >= 0, got {[str(w) for w in ws]}")
    weight_sum = sum(ws, Decimal(0))
    if weight_sum == 0:
        raise ValidationError("cannot allocate: every weight is zero")
    rounded = total.rounded()
    unit = Decimal(1).scaleb(-minor_units(total.currency))
    units_total = int((rounded.amount / unit).to_integral_value())
    sign = -1 if units_total < 0 else 1
    magnitude = abs(units_total)
    try:
        exact = [Decimal(magnitude) * w / weight_sum for w in ws]
    except ArithmeticError:
        raise InvalidMoney(
            f"cannot allocate {total} over weights {[str(w) for w in ws]}: a weight is too "
            "large or too small to divide by; give weights of a usual size (e.g. 1, 2, 3)"
        ) from None
    floors = [int(e) for e in exact]  # exact >= 0, so int() is floor
    leftover = magnitude - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [_make(sign * units * unit, total.currency) for units in floors]


def total_of(amounts: Iterable[Money], currency: str) -> Money:
    """Sum ``amounts`` in ``currency`` (zero when empty).

    Raises:
        ValidationError: An unknown currency, or an amount that is not a Money.
        CurrencyMismatch: An amount in another currency.
    """
    result = Money.zero(currency)
    if isinstance(amounts, str | bytes) or not isinstance(amounts, Iterable):
        raise ValidationError(
            f"total_of needs an iterable of Money amounts in {currency}, got {amounts!r}"
        )
    for amount in amounts:
        if not isinstance(amount, Money):
            raise ValidationError(f"total_of sums Money amounts, got {amount!r}")
        result = result + amount
    return result
