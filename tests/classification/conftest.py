"""Fixtures: the seed's procedure as configured in examples/mco_tracker.py, and case makers.

The tests exercise the example's configuration itself, so the example and the seed cannot
drift apart. It is loaded once as the module ``mco_tracker`` (the codec resolves its status
enum by that module name).
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest

from casekit import ManualClock
from casekit.cases import Owner
from casekit.classification import MemoryVault, classify, document

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "mco_tracker.py"
SUPERVISOR = Owner.user("sup-lee")
START = datetime(2026, 3, 2, 9, tzinfo=UTC)
PERSON = {"Participant Name(s)": "Jo Doe", "MA": "MA-55501234", "SSN": "123-45-6789"}
DOCS = {
    "Angela Melody": {**PERSON, "New MCO": "Aetna Better Health"},
    "MCT Span": {**PERSON, "Requested MCO": "Jai Medical"},
    "For Cause Reason": {**PERSON, "For Cause Reason": "New County", "New MCO": "Jai Medical"},
    "Incorrect Selection": {**PERSON, "Correct MCO Choice": "Priority Partners"},
}


def load_example() -> ModuleType:
    module = sys.modules.get("mco_tracker")
    if module is None:
        spec = importlib.util.spec_from_file_location("mco_tracker", EXAMPLE)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["mco_tracker"] = module
        spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def mco() -> ModuleType:
    return load_example()


@pytest.fixture(scope="session")
def docs() -> dict[str, dict[str, str]]:
    """Valid documentation values for each of the seed's templates."""
    return DOCS


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def vault() -> MemoryVault:
    return MemoryVault()


Maker = Callable[..., Any]


@pytest.fixture
def recorded(mco: ModuleType, clock: ManualClock, vault: MemoryVault) -> Maker:
    """Open a tracker case, document it and classify it as a representative would."""

    def make(
        template: str = "Incorrect Selection",
        *,
        sub_category: str = "NA",
        disposition: str = "Plan Selected in Error",
        case_id: str | None = None,
        supervisor: Owner | None = SUPERVISOR,
    ) -> Any:
        case = mco.TrackerCase.create(
            id=case_id, owner=Owner.user("csr-ana"), supervisor=supervisor, clock=clock
        )
        document(case, mco.TAXONOMY, template, DOCS[template], actor="csr-ana", vault=vault)
        classify(
            case,
            record_type="Medicaid",
            category="MCO Plan Shopping",
            sub_category=sub_category,
            disposition=disposition,
            actor="csr-ana",
        )
        return case

    return make
