"""``traceledger export``: a demo lot and a time range as EPCIS 2.0 and as the FSMA 204 CSV, and one clear line for
what it cannot export."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demos import demo_home
from tests.ledger.epcis.schemas import assert_valid_export
from traceledger.demo import HAM

PASSPHRASE = "demo test passphrase"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = demo_home(tmp_path_factory.mktemp("export") / "home", PASSPHRASE)
    return path.path


def _export(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", "export", *args, "--home", str(home)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip


def test_a_lot_as_epcis(home: Path) -> None:
    result = _export(home, HAM.path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert_valid_export(document)
    assert {e["bizStep"] for e in document["epcisBody"]["eventList"]} >= {"commissioning", "shipping", "receiving"}


def test_a_time_range_as_epcis_into_a_file(home: Path, tmp_path: Path) -> None:
    everything = json.loads(_export(home, "--since", "2000-01-01T00:00:00Z").stdout)["epcisBody"]["eventList"]
    middle = everything[len(everything) // 2]["recordTime"]
    out = tmp_path / "early.jsonld"
    result = _export(home, "--until", middle, "--out", str(out))
    assert result.returncode == 0, result.stderr
    early = json.loads(out.read_text(encoding="utf-8"))
    assert_valid_export(early)
    assert early["epcisBody"]["eventList"] == everything[: len(everything) // 2]


def test_a_lot_as_the_fsma_spreadsheet(home: Path) -> None:
    result = _export(home, HAM.path, "--format", "fsma-csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["cte"] for r in rows][:3] == ["Transformation", "Shipping", "Receiving"]
    assert {r["traceability_lot_code"] for r in rows} == {HAM.lot}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "name a subject"),
        ((HAM.path, "--since", "2026-01-01T00:00:00Z"), "name a subject"),
        (("--since", "yesterday"), "--since"),
        (("01/06901230000010/10/NOPE",), "nothing about"),
        (("01/123/10/X",), "GTIN"),
    ],
)
def test_what_it_cannot_export_is_one_line(home: Path, args: tuple[str, ...], said: str) -> None:
    result = _export(home, *args)
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert said in result.stderr
