"""The served demo runs the risk detectors with its own registered monitor's key, and its honest traffic (and its
scans, of issued codes) yields no finding."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from ledger.store.scans import SCANS
from traceledger.demo import MONITOR, run_demo, served_app
from traceledger.demo_walkthrough import DEMO_PASSPHRASE
from traceledger.settings import Home

PASS_LINE = "the risk monitor read {} new entries and {} new scans: 0 new finding(s)"


def test_the_served_demo_runs_its_risk_monitor_and_finds_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TRACELEDGER_KEY_PASSPHRASE", "TRACELEDGER_HOME", "TRACELEDGER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    run_demo(tmp_path / "demo", serve=False)
    home = Home(tmp_path / "demo")
    key = home.monitor_key(DEMO_PASSPHRASE)
    assert key is not None
    assert key.public_key == MONITOR.key.public_key
    ledger = home.open(DEMO_PASSPHRASE)
    try:
        size = ledger.size()
        with ledger.engine.connect() as conn:
            scans = conn.execute(select(func.count()).select_from(SCANS)).scalar_one()
        assert scans > 0  # the demo's copied-code warning: scans of codes it issued
        assert ledger.view("actors", MONITOR.uscc)["roles"] == ["monitor"]  # type: ignore[index]
    finally:
        ledger.close()

    with (
        caplog.at_level(logging.INFO, "traceledger.monitoring"),
        TestClient(served_app(home, DEMO_PASSPHRASE)) as client,
    ):
        deadline = time.monotonic() + 60
        while "the risk monitor read" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.get("/v1/risks").json() == {"risks": []}
    assert f"signing findings with key {MONITOR.key.kid}" in caplog.text
    assert PASS_LINE.format(size, scans) in caplog.text  # the first pass read the whole log and every scan
    assert "no monitor key is configured" not in caplog.text
    ledger = home.open(DEMO_PASSPHRASE)
    try:
        assert ledger.size() == size  # nothing was logged
    finally:
        ledger.close()
