"""Vaults scoped per application: sealing needs the vault, revealing needs the permission."""

from __future__ import annotations

import pytest

from casekit.app import Application, SealingVault
from casekit.classification import DEFAULT_VAULT, MemoryVault, Sensitive
from casekit.errors import AccessDenied, NotFound, ValidationError
from casekit.storage import Storage

from ._access import ANA, SSN, open_tracker, secured, trail


def test_a_value_sealed_in_one_applications_vault_is_not_revealed_through_anothers(
    storage: Storage,
) -> None:
    tenant_a = secured(storage)
    tenant_b = secured(storage)  # same storage and policy, its own vault
    ssn = open_tracker(tenant_a, "MCO-1")
    before = trail(storage, "MCO-1")
    with pytest.raises(NotFound, match="was not sealed in office's vault"):
        tenant_b.reveal("MCO-1", ssn, actor=ANA, reason="wrong tenant")
    assert trail(storage, "MCO-1") == before  # nothing revealed, nothing logged
    assert tenant_a.reveal("MCO-1", ssn, actor=ANA, reason="right tenant") == SSN


def test_the_default_vault_is_the_applications_own_not_the_process_wide_one(
    storage: Storage,
) -> None:
    app = secured(storage)
    ssn = open_tracker(app, "MCO-1")
    with pytest.raises(NotFound):
        ssn.reveal()  # DEFAULT_VAULT never saw it
    with pytest.raises(NotFound):
        ssn.reveal(DEFAULT_VAULT)


def test_the_vault_domain_code_is_handed_seals_but_never_reveals(storage: Storage) -> None:
    app = secured(storage)
    ssn = open_tracker(app, "MCO-1")  # sealed through app.vault by document()
    assert isinstance(app.vault, SealingVault)
    assert repr(app.vault) == "SealingVault(office)"
    with pytest.raises(AccessDenied, match=r"office's vault only seals values") as denied:
        ssn.reveal(app.vault)
    assert denied.value.decision.rule == "sealing vault"
    assert SSN not in str(denied.value)
    sealed = app.seal("MA-55501234", kind="MA")
    assert str(sealed) == "•••••1234"
    with pytest.raises(AccessDenied):
        sealed.reveal(app.vault)


def test_an_application_may_be_given_its_tenants_vault(storage: Storage) -> None:
    tenant_vault = MemoryVault()  # production: a KMS- or tokenisation-backed vault
    app = secured(storage, vault=tenant_vault)
    ssn = open_tracker(app, "MCO-1")
    assert ssn.reveal(tenant_vault) == SSN  # who holds the vault itself answers for it
    worker = secured(storage, vault=tenant_vault)  # another process of the same tenant
    assert worker.reveal("MCO-1", ssn, actor=ANA, reason="same tenant") == SSN


@pytest.mark.parametrize(
    ("vault", "message"),
    [
        (DEFAULT_VAULT, "not the process-wide DEFAULT_VAULT"),
        ("vault", "vault of an Application must be a Vault"),
        (SealingVault(MemoryVault(), "other"), "another application's sealing view"),
    ],
)
def test_a_shared_or_sealing_only_vault_is_refused(
    storage: Storage, vault: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Application(storage, vault=vault)  # type: ignore[arg-type]


def test_sealing_refuses_a_blank_value_without_showing_it(storage: Storage) -> None:
    app = secured(storage)
    with pytest.raises(ValidationError, match=r"value not shown"):
        app.seal("", kind="SSN")
    assert isinstance(app.seal(SSN, kind="SSN"), Sensitive)
