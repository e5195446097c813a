"""Clock, priority and the error tree."""

from __future__ import annotations

import ast
import pathlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

import casekit
from casekit import errors
from casekit.clock import ManualClock, SystemClock, as_utc
from casekit.errors import CasekitError, NotFound, ValidationError
from casekit.priority import Priority

SRC = pathlib.Path(casekit.__file__).parent


def test_system_clock_is_utc_aware() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2026, 1, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValidationError, match="back"):
        clock.set(datetime(2025, 1, 1, tzinfo=UTC))


def test_naive_datetimes_are_refused_and_others_normalised_to_utc() -> None:
    with pytest.raises(ValidationError, match="naive"):
        ManualClock(datetime(2026, 1, 1))
    plus_two = timezone(timedelta(hours=2))
    assert as_utc(datetime(2026, 1, 1, 2, tzinfo=plus_two)) == datetime(2026, 1, 1, tzinfo=UTC)


def test_nothing_in_the_library_reads_the_wall_clock() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "clock.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today"}:
                base = node.value
                if isinstance(base, ast.Name) and base.id in {"datetime", "date"}:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"time", "monotonic"}
                and isinstance(node.value, ast.Name)
                and node.value.id == "time"
            ):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_priority_order_and_raise() -> None:
    assert sorted(Priority, key=lambda p: p.rank) == [
        Priority.LOW,
        Priority.NORMAL,
        Priority.HIGH,
        Priority.URGENT,
    ]
    assert Priority.LOW < Priority.URGENT
    assert Priority.HIGH.raised() is Priority.URGENT
    assert Priority.URGENT.raised(5) is Priority.URGENT


def test_every_error_derives_from_the_root_and_is_drawn_in_the_tree() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, CasekitError)
            assert name in doc, f"{name} missing from the tree in errors.py"


def test_not_found_is_a_key_error_with_a_readable_message() -> None:
    error = NotFound("no case 'PDC-1'")
    assert isinstance(error, KeyError)
    assert str(error) == "no case 'PDC-1'"


def test_public_api_is_curated() -> None:
    assert casekit.__all__ == sorted(casekit.__all__)
    for name in casekit.__all__:
        assert hasattr(casekit, name)


def test_every_public_error_is_in_the_curated_api() -> None:
    """Every CasekitError subclass is listed in casekit.errors.__all__ and casekit.__all__."""
    import inspect  # noqa: PLC0415  local to this check

    import casekit  # noqa: PLC0415
    from casekit import errors  # noqa: PLC0415

    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.CasekitError)
    }
    assert defined <= set(errors.__all__)
    assert defined <= set(casekit.__all__)
