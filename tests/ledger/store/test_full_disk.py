"""A full disk: the append or upload is refused as InsufficientStorage, nothing is stored, and once space is freed the
same request succeeds and the log audits clean. SQLite on a real, small tmpfs (tests/disks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.audit.auditor import audit_log
from ledger.audit.database import DatabaseSource
from ledger.errors import InsufficientStorage
from ledger.store.attachments import committed_attachment, store_attachment
from signer.note import NoteVerifier
from tests.disks import small_disk
from tests.ledger.conftest import ORIGIN, LedgerFixture, create_ledger
from tests.ledger.store.test_attachments import reviewed
from tests.scenarios.world import World


def audit_clean(fixture: LedgerFixture) -> None:
    url = fixture.home.database_url()
    verifier = NoteVerifier.from_vkey(fixture.home.settings()["log_vkey"])
    with DatabaseSource(url, []) as source:
        report = audit_log(source, verifier, ORIGIN)
    assert report.ok, report.findings


def test_a_batch_on_a_full_disk_stores_nothing_and_its_retry_is_logged(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        fixture = create_ledger(disk.path / "home")
        try:
            size = fixture.ledger.size()
            envelopes = [fixture.registration(n) for n in range(1, 41)]  # ~40 entries: more than the room left
            before = fixture.table_snapshot()
            disk.fill()
            with pytest.raises(InsufficientStorage) as refused:
                fixture.ledger.append(envelopes)
            assert "free space and send it again" in refused.value.detail
            assert refused.value.status == 507
            disk.free()
            assert fixture.table_snapshot() == before, "a refused batch left rows behind"
            results = fixture.ledger.append(envelopes)
            assert [r.created for r in results] == [True] * len(envelopes)
            assert fixture.ledger.size() == size + len(envelopes)
            audit_clean(fixture)
        finally:
            fixture.ledger.close()


def test_an_attachment_upload_on_a_full_disk_is_refused_and_taken_later(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        fixture = create_ledger(disk.path / "home")
        try:
            sealed, _ = reviewed(World(fixture))
            digest = sealed.ref.digest
            disk.fill()
            with pytest.raises(InsufficientStorage, match=f"attachment {digest} was not stored"):
                store_attachment(fixture.ledger, digest, sealed.stored)
            disk.free()
            assert committed_attachment(fixture.ledger, digest).status == "missing"
            assert store_attachment(fixture.ledger, digest, sealed.stored) is True
            assert committed_attachment(fixture.ledger, digest).status == "stored"
        finally:
            fixture.ledger.close()
