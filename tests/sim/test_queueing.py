"""Erlang B and C against textbook values and the closed forms computed exactly."""

from __future__ import annotations

import math
from datetime import timedelta
from fractions import Fraction

import pytest

from casekit.errors import ValidationError
from casekit.sim import (
    erlang_b,
    erlang_c,
    mean_wait,
    offered_load,
    service_level,
    staffing_for,
)


def exact_erlang_b(servers: int, load: int) -> Fraction:
    """B = (A^N / N!) / Σ_{k≤N} A^k / k!, in exact rationals."""
    terms = [Fraction(load**k, math.factorial(k)) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(servers: int, load: int) -> Fraction:
    """C = (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A))."""
    top = Fraction(load**servers, math.factorial(servers)) * Fraction(servers, servers - load)
    return top / (sum(Fraction(load**k, math.factorial(k)) for k in range(servers)) + top)


@pytest.mark.parametrize(
    ("servers", "load", "expected"),
    [
        (1, 1.0, 0.5),
        (2, 1.0, 0.2),
        (5, 3.0, 0.1101),  # Erlang B tables
        (10, 5.0, 0.01838),
        (20, 15.0, 0.04557),
    ],
)
def test_erlang_b_matches_tables(servers: int, load: float, expected: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize(
    ("servers", "load", "expected"),
    [
        (1, 0.5, 0.5),  # M/M/1: P(wait) = ρ
        (2, 1.0, 1 / 3),
        (3, 2.0, 4 / 9),
        (11, 10.0, 0.6821),  # the classic 10-Erlang call-centre example
    ],
)
def test_erlang_c_matches_textbook_values(servers: int, load: float, expected: float) -> None:
    assert erlang_c(servers, load) == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize(("servers", "load"), [(1, 0), (4, 3), (7, 2), (12, 9), (30, 25)])
def test_recursions_agree_with_exact_closed_forms(servers: int, load: int) -> None:
    assert erlang_b(servers, load) == pytest.approx(float(exact_erlang_b(servers, load)))
    if load < servers:
        assert erlang_c(servers, load) == pytest.approx(float(exact_erlang_c(servers, load)))


def test_large_offices_stay_finite() -> None:
    # A^N and N! would overflow a float long before 5,000 agents.
    c = erlang_c(5000, 4900.0)
    assert 0 < c < 1
    assert math.isfinite(erlang_b(10_000, 9_000.0))


def test_overload_waits_forever() -> None:
    assert erlang_c(3, 3.0) == 1.0
    assert mean_wait(3, 18.0, timedelta(minutes=10)) == timedelta.max
    assert service_level(3, 18.0, timedelta(minutes=10), timedelta(seconds=20)) == 0.0


def test_mean_wait_and_service_level_formulas() -> None:
    # M/M/1, λ = 3/h, h = 10 min: A = 0.5, W = ρ·h/(1−ρ) = 10 min.
    assert offered_load(3.0, timedelta(minutes=10)) == pytest.approx(0.5)
    assert mean_wait(1, 3.0, timedelta(minutes=10)).total_seconds() == pytest.approx(600.0)
    # P(wait <= t) = 1 − ρ·e^{−(1−ρ)t/h}
    expected = 1 - 0.5 * math.exp(-0.5 * 5 / 10)
    assert service_level(1, 3.0, timedelta(minutes=10), timedelta(minutes=5)) == pytest.approx(
        expected
    )
    assert service_level(1, 3.0, timedelta(minutes=10), timedelta(0)) == pytest.approx(0.5)


def test_staffing_for_the_classic_call_centre() -> None:
    # 720 calls/hour of 4 minutes = 48 Erlangs; 80/20: the smallest staffing that meets it.
    agents = staffing_for(720.0, timedelta(minutes=4), 0.8, timedelta(seconds=20))
    load = offered_load(720.0, timedelta(minutes=4))
    assert load == pytest.approx(48.0)
    level = service_level(agents, 720.0, timedelta(minutes=4), timedelta(seconds=20))
    below = service_level(agents - 1, 720.0, timedelta(minutes=4), timedelta(seconds=20))
    assert level >= 0.8 > below
    # The worked call-centre example: 100 calls per half hour of 3 minutes = 10 Erlangs.
    # 11 agents: P(wait) 68.2 %, 39.0 % answered within 20 s, mean wait ≈ 2 min 3 s;
    # 13 agents: 79.6 %; 14 agents: 88.8 % — so 14 for 80/20.
    rate, handling, within = 200.0, timedelta(minutes=3), timedelta(seconds=20)
    assert service_level(11, rate, handling, within) == pytest.approx(0.3896, abs=5e-4)
    assert mean_wait(11, rate, handling).total_seconds() == pytest.approx(122.8, abs=0.1)
    assert service_level(13, rate, handling, within) == pytest.approx(0.7956, abs=5e-4)
    assert service_level(14, rate, handling, within) == pytest.approx(0.8884, abs=5e-4)
    assert staffing_for(rate, handling, 0.8, within) == 14


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_b(-1, 1.0),
        lambda: erlang_b(2, -0.5),
        lambda: erlang_b(2, float("nan")),
        lambda: erlang_c(0, 1.0),
        lambda: erlang_c(True, 1.0),
        lambda: offered_load(1.0, timedelta(0)),
        lambda: staffing_for(0.0, timedelta(minutes=1), 0.8, timedelta(seconds=20)),
        lambda: staffing_for(10.0, timedelta(minutes=1), 1.0, timedelta(seconds=20)),
        lambda: staffing_for(10.0, timedelta(minutes=1), 0.8, timedelta(seconds=-1)),
        lambda: service_level(2, 1.0, timedelta(minutes=1), 20),
    ],
)
def test_bad_input_is_refused(call: object) -> None:
    with pytest.raises(ValidationError):
        call()  # type: ignore[operator]
