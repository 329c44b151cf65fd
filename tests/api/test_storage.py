"""A full disk under the API: 507 ``insufficient-storage`` naming what to do, logged, nothing stored, and the same
request taken once space is freed (SQLite on a real, small tmpfs: tests/disks.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.api.conftest import problem, serving
from tests.disks import small_disk


def test_a_full_disk_answers_507_and_the_retry_is_created(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with small_disk(tmp_path / "disk") as disk, serving(disk.path / "home") as api:
        envelope = api.fixture.registration(1)
        disk.fill()
        with api.unchanged(), caplog.at_level(logging.ERROR, logger="traceledger.api"):
            response = api.post(envelope)
        body = problem(response, 507, "insufficient-storage")
        assert body["title"] == "Insufficient storage"
        assert body["detail"] == (
            "the batch was not stored: the ledger's database or disk is full; free space and send it again"
        )
        assert str(disk.path) not in response.text  # no server paths in an answer
        assert any("disk is full" in record.getMessage() for record in caplog.records)
        disk.free()
        assert api.post(envelope).status_code == 201
        page = api.client.get("/problems/insufficient-storage")
        assert page.status_code == 200
        assert "Insufficient storage" in page.text
