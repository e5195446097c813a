"""Money checks its currency against ISO 4217 and its amount against the minor unit.

Rule: ``Money(amount, currency)`` is the door for amounts from outside, so an unknown
currency and more decimals than the currency allows are refused there; arithmetic keeps
full precision (an unrounded intermediate, rounded once later) and
``Money.unrounded`` builds one explicitly.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from casekit.errors import InvalidMoney, ValidationError
from casekit.money import Money, allocate, currencies, minor_units, total_of


def test_money_refuses_more_decimals_than_the_currency_allows_jpy() -> None:
    """Reproduction 3: ``Money("1.5", "JPY")`` was accepted; JPY has no minor unit."""
    with pytest.raises(InvalidMoney, match=r"more decimals than JPY allows \(0\)"):
        Money("1.5", "JPY")


def test_money_refuses_an_unknown_currency_xyz() -> None:
    """Reproduction 3: ``Money("1", "XYZ")`` was accepted; XYZ is not ISO 4217."""
    with pytest.raises(ValidationError, match="'XYZ' is not an ISO 4217 code"):
        Money("1", "XYZ")
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money.from_minor(1, "XYZ")
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money.unrounded("1", "XYZ")
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money.zero("XYZ")


@pytest.mark.parametrize(
    ("currency", "decimals"),
    [("JPY", 0), ("EUR", 2), ("USD", 2), ("GBP", 2), ("KWD", 3), ("BHD", 3), ("KRW", 0)],
)
def test_minor_units_come_from_the_currency_table(currency: str, decimals: int) -> None:
    assert minor_units(currency) == decimals
    whole = Decimal(1).scaleb(-decimals)
    assert Money(whole, currency).to_minor() == 1
    with pytest.raises(InvalidMoney, match="more decimals"):
        Money(whole / 10, currency)


@pytest.mark.parametrize("currency", [None, 1, "eur", "EURO", "", "XYZ", "QQQ"])
def test_currency_must_be_a_known_iso_4217_code(currency: object) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money("1", currency)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ISO 4217"):
        minor_units(currency)  # type: ignore[arg-type]


def test_withdrawn_currencies_stay_readable() -> None:
    """Old ledgers name withdrawn codes (DEM, HRK): they are ISO 4217 codes still."""
    assert {"DEM", "HRK", "EUR", "USD", "JPY"} <= currencies()
    assert Money("1.23", "HRK").to_minor() == 123


def test_trailing_zeros_are_whole_minor_units() -> None:
    assert Money("1.500", "EUR") == Money("1.50", "EUR")
    assert Money("100.0", "JPY").to_minor() == 100
    assert Money("1E+2", "JPY").to_minor() == 100


def test_arithmetic_keeps_unrounded_intermediates_for_proration() -> None:
    """Internal arithmetic below the minor unit keeps working; round once at the end."""
    share = Money("600.00", "EUR") * 15 / 31
    assert share.amount == Decimal(60000 * 15) / Decimal(3100)
    assert share.rounded() == Money("290.32", "EUR")
    assert (Money("1", "JPY") / 2).rounded() == Money("0", "JPY")  # half-even
    assert (share + share - share) == share


def test_unrounded_is_the_explicit_way_to_an_intermediate_amount() -> None:
    rate = Money.unrounded("100.005", "EUR")
    assert rate.amount == Decimal("100.005")
    assert rate.rounded() == Money("100.00", "EUR")
    with pytest.raises(InvalidMoney, match="round it first"):
        rate.to_minor()
    with pytest.raises(InvalidMoney, match="float"):
        Money.unrounded(0.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(InvalidMoney):
        Money.unrounded("NaN", "EUR")


def test_an_amount_too_large_for_decimal_is_a_clean_error() -> None:
    with pytest.raises(InvalidMoney, match="too large"):
        Money("1E+999999", "EUR")


@pytest.mark.parametrize("weights", [None, "12", 3])
def test_allocate_refuses_non_sequences_of_weights(weights: object) -> None:
    """``allocate(x, None)`` raised a bare TypeError."""
    with pytest.raises(ValidationError, match="sequence of weights"):
        allocate(Money("1.00", "EUR"), weights)  # type: ignore[arg-type]


def test_allocate_refuses_a_total_that_is_not_money() -> None:
    """Reproduction 2: ``allocate(None)`` raised a bare AttributeError."""
    with pytest.raises(ValidationError, match="Money total"):
        allocate(None, [1])  # type: ignore[arg-type]


def test_total_of_and_ratio_refuse_non_money() -> None:
    with pytest.raises(ValidationError, match="Money"):
        total_of([Money("1.00", "EUR"), 1], "EUR")  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="Money divisor"):
        Money("1.00", "EUR").ratio(2)  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", [["EUR"], {"EUR": 1}, b"EUR"])
def test_unhashable_or_odd_currencies_are_clean_errors(currency: object) -> None:
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money("1", currency)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ISO 4217"):
        Money.from_minor(1, currency)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ISO 4217"):
        minor_units(currency)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "operation",
    [
        lambda m: m + 1,
        lambda m: 1 + m,
        lambda m: m - Decimal(1),
        lambda m: 1 - m,
        lambda m: m * m,
        lambda m: m / m,
        lambda m: m < 1,
        lambda m: m >= Decimal(1),
    ],
)
def test_money_operations_with_non_money_raise_invalid_money(operation: object) -> None:
    """A clean casekit error naming both operands, not Python's bare TypeError."""
    with pytest.raises(InvalidMoney, match="cannot"):
        operation(Money("1.00", "EUR"))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "shown"),
    [
        ("147611.34", "USD", "en_US", "$147,611.34"),
        ("-1172.58", "EUR", "en_US", "-€1,172.58"),
        ("147611.34", "USD", "en_IN", "$1,47,611.34"),
        ("1172.58", "EUR", "de_DE", "1.172,58\xa0€"),
        ("1000", "JPY", "en_US", "¥1,000"),
        ("1.005", "KWD", "en_US", "KWD1.005"),
        ("1.00", "CHF", "de-CH", "CHF\xa01.00"),
    ],
)
def test_money_is_shown_the_way_the_locale_writes_it(
    amount: str, currency: str, locale: str, shown: str
) -> None:
    money = Money(amount, currency)
    assert money.format(locale) == shown
    assert str(money) == f"{Decimal(amount):,} {currency}"  # messages stay locale-free


def test_money_format_defaults_to_en_us_and_rounds_an_unrounded_amount() -> None:
    assert (Money("600.00", "EUR") * 15 / 31).format() == "€290.32"


@pytest.mark.parametrize("locale", ["xx_YY", "", None, "en_US; DROP", 7])
def test_an_unknown_locale_is_refused_naming_it(locale: object) -> None:
    with pytest.raises(ValidationError, match=r"locale .* is unknown; give a CLDR locale"):
        Money("1.00", "EUR").format(locale)  # type: ignore[arg-type]
