"""The server's risk monitor: with a monitor key in the home it logs the findings of the log it serves, without
one it does not run and says so."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from litestar.testing import TestClient

from ledger.identifiers import item_subject
from ledger.store.scans import record_scan
from tests.ledger.conftest import PASSPHRASE, create_ledger
from tests.scenarios.risky import empty_parcels, shop_with_stock
from tests.scenarios.world import World, gtin
from traceledger.monitoring import POLL_SECONDS
from traceledger.server import api_and_portal


def _story(tmp_path: Path) -> World:
    world = World(create_ledger(tmp_path / "home"))
    shop, _, batch = shop_with_stock(world)
    monitor = world.register("平台风险监测中心", "monitor")
    empty_parcels(world, shop, batch)
    monitor.key.save(tmp_path / "monitor.pem", PASSPHRASE)
    return world


def test_the_server_logs_the_findings_of_its_log_with_the_configured_monitor_key(tmp_path: Path) -> None:
    world = _story(tmp_path)
    home = world.fixture.home
    home.use_monitor_key(tmp_path / "monitor.pem")
    app = api_and_portal(home, lambda: home.open(PASSPHRASE), home.monitor_key(PASSPHRASE))
    with TestClient(app) as client:
        deadline = time.monotonic() + 30
        risks: list[dict[str, object]] = []
        while len(risks) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
            risks = client.get("/v1/risks").json()["risks"]
        assert {r["detector"] for r in risks} == {"no_independent_custody"}
        assert len(risks) == 3
    world.ledger.close()


def test_without_a_monitor_key_the_detectors_do_not_run_and_the_log_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = _story(tmp_path)
    home = world.fixture.home
    assert home.monitor_key(PASSPHRASE) is None
    with (
        caplog.at_level(logging.WARNING, "traceledger.monitoring"),
        TestClient(api_and_portal(home, lambda: home.open(PASSPHRASE))) as client,
    ):
        assert client.get("/v1/risks").json() == {"risks": []}
    assert "no monitor key is configured" in caplog.text
    world.ledger.close()


def test_the_server_counts_new_scans_of_codes_never_issued_though_the_log_did_not_grow(tmp_path: Path) -> None:
    world = World(create_ledger(tmp_path / "home"))
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    monitor = world.register("平台风险监测中心", "monitor")
    world.produce(producer, gtin("690123", 1), "XW2026-11", 200)
    monitor.key.save(tmp_path / "monitor.pem", PASSPHRASE)
    home = world.fixture.home
    home.use_monitor_key(tmp_path / "monitor.pem")
    app = api_and_portal(home, lambda: home.open(PASSPHRASE), home.monitor_key(PASSPHRASE))
    with TestClient(app) as client:
        time.sleep(POLL_SECONDS + 1)  # two passes over the honest log: nothing to log
        assert client.get("/v1/risks").json() == {"risks": []}
        size = world.ledger.size()
        record_scan(world.ledger, item_subject(gtin("690123", 1), "XW2026-11", "0201").path, "广州市", "a" * 32)
        deadline = time.monotonic() + 30
        risks: list[dict[str, object]] = []
        while not risks and time.monotonic() < deadline:
            time.sleep(0.2)
            risks = client.get("/v1/risks").json()["risks"]
        assert [(r["detector"], r["actor"]) for r in risks] == [("never_issued_scan", producer.id)]
        assert world.ledger.size() == size + 1
    world.ledger.close()
