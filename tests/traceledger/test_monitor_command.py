"""``traceledger monitor scan`` and ``traceledger risks`` as users run them, over a home ledger with a shop that
signs for its own empty parcels; a regulator's sanction naming a finding closes it."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.identifiers import batch_subject
from ledger.store.risks import risk_queue
from ledger.store.scans import record_scan
from tests.ledger.conftest import PASSPHRASE, create_ledger
from tests.scenarios.risky import empty_parcels, shop_with_stock
from tests.scenarios.world import Party, World, gtin


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    env["TRACELEDGER_KEY_PASSPHRASE"] = PASSPHRASE
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip


def _key_file(tmp_path: Path, party: Party) -> str:
    path = tmp_path / f"{party.id}.pem"
    if not path.exists():
        party.key.save(path, PASSPHRASE)
    return str(path)


@pytest.fixture
def story(tmp_path: Path) -> tuple[World, Path, Party, Party, Party]:
    """A home ledger where a shop signed for three empty parcels: (world, home, shop, monitor, regulator)."""
    world = World(create_ledger(tmp_path / "home"))
    shop, _, batch = shop_with_stock(world)
    monitor = world.register("平台风险监测中心", "monitor")
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    empty_parcels(world, shop, batch)
    world.ledger.close()
    return world, tmp_path / "home", shop, monitor, regulator


def test_monitor_scan_logs_new_findings_once_and_risks_lists_them(
    story: tuple[World, Path, Party, Party, Party], tmp_path: Path
) -> None:
    _, home, shop, monitor, regulator = story
    scanned = cli("monitor", "scan", "--key", _key_file(tmp_path, monitor), "--home", str(home))
    assert scanned.returncode == 0, scanned.stderr
    lines = scanned.stdout.splitlines()
    assert len(lines) == 4
    assert all(" risk.finding 00/" in line and line.endswith("no_independent_custody") for line in lines[:3])
    assert lines[3] == "3 new finding(s)"
    again = cli("monitor", "scan", "--key", _key_file(tmp_path, monitor), "--home", str(home))
    assert again.stdout.splitlines() == ["0 new finding(s)"]

    listed = cli("risks", "--status", "open", "--csv", "--home", str(home))
    assert listed.returncode == 0, listed.stderr
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [(r["detector"], r["actor"], r["status"]) for r in rows] == [("no_independent_custody", shop.id, "open")] * 3
    table = cli("risks", "--home", str(home))
    assert table.returncode == 0
    assert "no_independent_custody" in table.stdout

    finding = rows[0]["finding"]
    sanction = cli(
        "regulator", "sanction", "--key", _key_file(tmp_path, regulator), "--actor", shop.id, "--list", "red",
        "--reason", "空包裹刷单", "--finding", finding, "--home", str(home),
    )  # fmt: skip
    assert sanction.returncode == 0, sanction.stderr
    acted = list(csv.DictReader(io.StringIO(cli("risks", "--status", "acted", "--csv", "--home", str(home)).stdout)))
    assert [r["finding"] for r in acted] == [finding]
    assert acted[0]["actions"] == sanction.stdout.split()[1]


def test_a_key_that_is_not_a_monitors_logs_nothing(
    story: tuple[World, Path, Party, Party, Party], tmp_path: Path
) -> None:
    world, home, shop, _, regulator = story
    result = cli("monitor", "scan", "--key", _key_file(tmp_path, regulator), "--home", str(home))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "is not a monitor" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    ledger = world.fixture.home.open()
    try:
        assert risk_queue(ledger) == []
    finally:
        ledger.close()
    bad = cli("risks", "--actor", "not-a-uscc", "--home", str(home))
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ")
    assert shop.id not in bad.stderr


def test_monitor_scan_logs_scans_of_a_code_never_issued(tmp_path: Path) -> None:
    world = World(create_ledger(tmp_path / "home"))
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    monitor = world.register("平台风险监测中心", "monitor")
    world.produce(producer, gtin("690123", 1), "XW2026-11", 200)
    batch = batch_subject(gtin("690123", 1), "XW2026-11").path
    record_scan(world.ledger, f"{batch}/21/0201", "广州市", "a" * 32)
    world.ledger.close()
    scanned = cli("monitor", "scan", "--key", _key_file(tmp_path, monitor), "--home", str(tmp_path / "home"))
    assert scanned.returncode == 0, scanned.stderr
    lines = scanned.stdout.splitlines()
    assert lines[0].endswith(f" risk.finding {batch} never_issued_scan")
    assert lines[1:] == ["1 new finding(s)"]
    listed = cli("risks", "--detector", "never_issued_scan", "--csv", "--home", str(tmp_path / "home"))
    assert [(r["subject"], r["actor"]) for r in csv.DictReader(io.StringIO(listed.stdout))] == [(batch, producer.id)]
