"""The validation contract (casekit.testing.contract_validation) on every backend."""

from __future__ import annotations

from casekit.testing.contract_validation import ValidationContract


class TestValidationContract(ValidationContract):
    """Every rule of the validation contract, once per backend (the ``storage`` fixture)."""
