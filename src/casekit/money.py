"""Money: an exact Decimal amount with a currency.

Floats are refused (``Money(0.1, "USD")`` raises :class:`~casekit.errors.InvalidMoney`): a
binary float cannot hold most cent values, and one wrong cent is a defect. Arithmetic and
comparison across currencies raise :class:`~casekit.errors.CurrencyMismatch`.

Amounts keep full precision through arithmetic; :meth:`Money.rounded` rounds once, half-even,
to the currency's minor unit (cents for most currencies).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Final

import attrs

from casekit.errors import CurrencyMismatch, InvalidMoney, ValidationError

__all__ = ["Money", "allocate", "minor_units", "to_decimal", "total_of"]

# ISO 4217 currencies whose minor unit is not the cent. Everything else has two decimals.
_MINOR_UNITS: Final = {
    "BHD": 3,
    "CLP": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "TND": 3,
    "UGX": 0,
    "VND": 0,
    "XAF": 0,
    "XOF": 0,
}


def minor_units(currency: str) -> int:
    """Return the number of decimals of ``currency``'s minor unit (2 for most)."""
    return _MINOR_UNITS.get(currency, 2)


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


_CHECKED: set[str] = set()
"""Currency codes already validated by :meth:`Money.from_minor`."""


def _check_currency(_instance: object, _attribute: object, value: str) -> None:
    if not (isinstance(value, str) and len(value) == 3 and value.isalpha() and value.isupper()):
        raise ValidationError(
            f"currency {value!r} is not an ISO 4217 code; expected three capital letters "
            "such as 'USD' or 'EUR'"
        )


@attrs.frozen(slots=True, repr=False, order=False)
class Money:
    """An exact amount of one currency.

    Args:
        amount: A Decimal, an int or a numeric string. Floats are refused.
        currency: An ISO 4217 code such as ``"EUR"``.

    Example:
        >>> Money("600.00", "EUR") * Decimal(15) / Decimal(31)
        Money('290.3225806451612903225806452', 'EUR')
        >>> (Money("600.00", "EUR") * 15 / 31).rounded()
        Money('290.32', 'EUR')
    """

    amount: Decimal = attrs.field(converter=to_decimal)
    currency: str = attrs.field(validator=_check_currency)

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
        if currency not in _CHECKED:
            _check_currency(None, None, currency)
            _CHECKED.add(currency)
        # A Decimal from an int is always finite and the currency is checked: skip the
        # converter and validator (this is the hot path of schedules and reassessments).
        money = object.__new__(cls)
        object.__setattr__(money, "amount", Decimal(units).scaleb(-minor_units(currency)))
        object.__setattr__(money, "currency", currency)
        return money

    def to_minor(self) -> int:
        """Return the amount in minor units (cents), exactly. O(1).

        Raises:
            InvalidMoney: If the amount is not a whole number of minor units.
        """
        scaled = self.amount.scaleb(minor_units(self.currency))
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
        exponent = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(exponent, rounding=ROUND_HALF_EVEN), self.currency)

    # ----- arithmetic ------------------------------------------------------------------
    def _same(self, other: Money, op: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot {op} {other} and {self}: currencies differ "
                f"({other.currency} vs {self.currency}); convert first"
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return Money(self.amount + other.amount, self.currency)

    def __radd__(self, other: object) -> Money:
        # sum() starts from int 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Money):
            return NotImplemented
        return Money(self.amount * to_decimal(factor, what="factor"), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: object) -> Money:
        if isinstance(divisor, Money):
            return NotImplemented
        value = to_decimal(divisor, what="divisor")
        if value == 0:
            raise ValidationError(f"cannot divide {self} by zero")
        return Money(self.amount / value, self.currency)

    def ratio(self, other: Money) -> Decimal:
        """Return ``self / other`` as a Decimal (same currency, ``other`` non-zero)."""
        self._same(other, "divide")
        if other.amount == 0:
            raise ValidationError(f"cannot divide {self} by {other}")
        return self.amount / other.amount

    # ----- comparison ------------------------------------------------------------------
    def _cmp(self, other: object) -> Decimal | None:
        if not isinstance(other, Money):
            return None
        self._same(other, "compare")
        return self.amount - other.amount

    def __lt__(self, other: object) -> bool:
        diff = self._cmp(other)
        return NotImplemented if diff is None else diff < 0

    def __le__(self, other: object) -> bool:
        diff = self._cmp(other)
        return NotImplemented if diff is None else diff <= 0

    def __gt__(self, other: object) -> bool:
        diff = self._cmp(other)
        return NotImplemented if diff is None else diff > 0

    def __ge__(self, other: object) -> bool:
        diff = self._cmp(other)
        return NotImplemented if diff is None else diff >= 0

    # ----- rendering -------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"


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
        ValidationError: If there are no weights, a weight is negative, or all are zero.
    """
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
    exact = [Decimal(magnitude) * w / weight_sum for w in ws]
    floors = [int(e) for e in exact]  # exact >= 0, so int() is floor
    leftover = magnitude - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Money(sign * units * unit, total.currency) for units in floors]


def total_of(amounts: Iterable[Money], currency: str) -> Money:
    """Sum ``amounts`` in ``currency`` (zero when empty)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
