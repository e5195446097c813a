"""The casekit command line."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from casekit.cases import ProductDeliveryCase
from casekit.cli import main


@pytest.mark.parametrize("name", ["Product Delivery Case", "productdeliverycase", "PDC"])
def test_diagram_prints_the_mermaid_lifecycle(name: str) -> None:
    out = io.StringIO()
    assert main(["diagram", name], out=out) == 0
    assert out.getvalue() == ProductDeliveryCase.to_mermaid()


def test_unknown_type_is_an_error_naming_the_known_ones() -> None:
    err = io.StringIO()
    assert main(["diagram", "Nope"], out=io.StringIO(), err=err) == 2
    assert "Product Delivery Case" in err.getvalue()


def test_types_lists_the_built_in_types() -> None:
    out = io.StringIO()
    assert main(["types"], out=out) == 0
    assert "Pending Closure" in out.getvalue()


def test_python_dash_m_casekit() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "casekit", "diagram", "Issue Case"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert "Pending Approval" in done.stdout
