"""Issue 12 through the public interfaces: the forward trace of the demo's drug batch (板蓝根颗粒, shipped to a
pharmacy, one box signed for by a consumer, then recalled) over the API and the CLI, locally and with ``--url``;
and ``regulator recall-scope`` on a story with holders, a parcel in transit and a consumer delivery."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.log.checkpoint import open_checkpoint
from ledger.log.merkle import leaf_hash, verify_inclusion
from signer.keys import PASSPHRASE_ENV, SigningKey
from signer.note import NoteVerifier
from tests.api.conftest import unb64
from tests.demos import demo_home
from tests.ledger.conftest import create_ledger
from tests.ledger.test_trace import HAM, ITEM, PORK, Chain, build_chain
from tests.scenarios.world import World, sscc
from tests.servers import uvicorn_process
from tests.traceledger.test_roles import PASSPHRASE, traceledger
from traceledger.demo import COURIER, DRUG, DRUG_MAKER, LAST_MILE, ORIGIN, PHARMACY
from traceledger.server import api_and_portal
from traceledger.settings import HOME_ENV, Home

DRUG_PARCELS = ("00/069078900000000018", "00/069078900000000025")  # to the pharmacy, then to consumer-d
WIDE = "250"  # COLUMNS: a terminal wide enough for the table's rows to stay on one line each


@dataclass(frozen=True)
class Demo:
    home: Path
    consumer: SigningKey  # consumer-d, who signed for a box of the drug


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    home, story = demo_home(tmp_path_factory.mktemp("demo") / "home", PASSPHRASE)
    return Demo(home.path, story.consumers["consumer-d"])


@pytest.fixture(scope="module")
def demo_url(demo: Demo) -> Iterator[str]:
    """The demo ledger served by ``traceledger serve``'s app in a uvicorn process of its own."""
    env = {HOME_ENV: str(demo.home), PASSPHRASE_ENV: PASSPHRASE}
    with uvicorn_process("traceledger.cli:served_app", env, demo.home.parent / "serve.log") as base:
        yield base


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _cli(*args: str) -> str:
    result = traceledger(*args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def _drug_story(steps: list[tuple[str, str, str, str, str, str]], consumer: str) -> None:
    """The drug batch's custody: 200 boxes to the pharmacy by courier, then one box to consumer-d, who signed."""
    maker, pharmacy, courier, last_mile = DRUG_MAKER.uscc, PHARMACY.uscc, COURIER.uscc, LAST_MILE.uscc
    to_pharmacy, to_consumer = DRUG_PARCELS
    assert steps == [
        ("dispatched", to_pharmacy, "200", maker, pharmacy, ""),
        ("handed_over", to_pharmacy, "200", maker, courier, ""),
        ("received", to_pharmacy, "200", courier, pharmacy, ""),
        ("dispatched", to_consumer, "1", pharmacy, "", consumer),
        ("handed_over", to_consumer, "1", pharmacy, last_mile, ""),
        ("consumer_receipt", to_consumer, "1", last_mile, "", consumer),
    ]


def _api_steps(body: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (s["relation"], s["parcel"], str(s["quantity"]), s["from_actor"], s["to_actor"] or "", s["consignee"] or "")
        for s in body["steps"]
    ]


def test_the_demo_drug_batchs_forward_trace_over_the_api_with_proofs_that_verify(demo: Demo) -> None:
    home = Home(demo.home)
    with TestClient(api_and_portal(home, lambda: home.open(PASSPHRASE))) as client:
        body = client.get(f"/v1/trace/{DRUG.path}?direction=forward").json()
        entries = {
            s["event_id"]: unb64(client.get(f"/v1/events/{s['event_id']}").json()["entry"]) for s in body["steps"]
        }
    _drug_story(_api_steps(body), demo.consumer.kid)
    assert [(p["path"], p["status"]) for p in body["parcels"]] == [
        (DRUG_PARCELS[0], "delivered"),
        (DRUG_PARCELS[1], "signed"),
    ]
    (drug,) = body["batches"]
    assert (drug["path"], drug["recalled"], drug["quantity"]) == (DRUG.path, True, 1000)
    assert drug["held"] == {DRUG_MAKER.uscc: 800, PHARMACY.uscc: 199}  # the holders, with quantities
    assert (drug["received"], drug["in_transit"], drug["delivered"]) == ({PHARMACY.uscc: 200}, 0, 1)
    # every proof verifies, with the ledger's own code, against the checkpoint signed by the log's key
    checkpoint = open_checkpoint(body["checkpoint"], NoteVerifier.from_vkey(home.settings()["log_vkey"]), ORIGIN)
    assert body["tree_size"] == checkpoint.size
    for step in body["steps"]:
        leaf = unb64(step["leaf_hash"])
        assert leaf == leaf_hash(entries[step["event_id"]])  # the hash of the exact bytes the log serves
        proof = [unb64(h) for h in step["inclusion_proof"]["proof"]]
        verify_inclusion(leaf, step["leaf_index"], checkpoint.size, proof, checkpoint.root)


def test_the_demo_drug_batchs_forward_trace_through_the_cli(
    demo: Demo, demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", WIDE)
    local = _cli("trace", DRUG.path, "--format", "csv", "--home", str(demo.home))
    rows = _csv(local)
    steps = [(r["relation"], r["parcel"], r["quantity"], r["from_actor"], r["to_actor"], r["consignee"]) for r in rows]
    _drug_story(steps, demo.consumer.kid)
    assert {r["batch"] for r in rows} == {DRUG.path}
    assert all(len(r["event_id"]) == 64 and r["leaf_index"].isdigit() for r in rows)
    remote = _cli("trace", DRUG.path, "--direction", "forward", "--format", "csv", "--url", demo_url)
    assert remote == local  # the same trace through the server's API

    table = _cli("trace", DRUG.path, "--home", str(demo.home))
    assert f"forward trace of {DRUG.path} (batch)" in table
    assert f"{DRUG_MAKER.uscc} 800, {PHARMACY.uscc} 199" in table  # the holders
    for parcel in DRUG_PARCELS:
        assert parcel in table
    receipt = next(line for line in table.splitlines() if "consumer_receipt" in line)
    assert demo.consumer.kid in receipt
    assert _cli("trace", DRUG.path, "--url", demo_url) == table


def _chain_home(path: Path) -> tuple[Path, Chain]:
    fixture = create_ledger(path)
    try:
        return fixture.home.path, build_chain(World(fixture))
    finally:
        fixture.ledger.close()


def test_the_recall_scope_adds_up_to_the_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", WIDE)
    home, c = _chain_home(tmp_path / "home")
    rows = _csv(_cli("regulator", "recall-scope", HAM, "--format", "csv", "--home", str(home)))
    parts = [(r["part"], r["holder"], r["parcel"], r["consumer_key"], r["quantity"]) for r in rows]
    assert parts == [
        ("held", c.ham_maker.id, "", "", "30"),
        ("held", c.shop.id, "", "", "18"),
        ("in_transit", c.courier.id, sscc(4), c.waiting.kid, "1"),
        ("delivered", "", sscc(3), c.buyer.kid, "1"),
        ("produced", "", "", "", "50"),
    ]
    counted = sum(int(r["quantity"]) for r in rows if r["part"] in ("held", "in_transit", "delivered"))
    assert counted == int(rows[-1]["quantity"]) == 50
    table = _cli("regulator", "recall-scope", HAM, "--home", str(home))
    assert "produced 50 = held 48 + in transit 1 + delivered 1" in table
    assert c.waiting.kid in table
    assert c.buyer.kid in table

    pork = _csv(_cli("regulator", "recall-scope", PORK, "--format", "csv", "--home", str(home)))
    assert [(r["part"], r["batch"]) for r in pork if r["part"] == "derived"] == [("derived", HAM)]
    assert sum(int(r["quantity"]) for r in pork if r["part"] in ("held", "in_transit", "delivered")) == 100


def _refused(*args: str, says: str) -> None:
    result = traceledger(*args)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert says in result.stderr
    assert result.stdout == ""


def test_errors_are_one_line(tmp_path: Path, demo: Demo, demo_url: str) -> None:
    home, _ = _chain_home(tmp_path / "home")
    at = ("--home", str(home))
    _refused(
        "regulator", "recall-scope", ITEM, *at, says=f"a recall is of a batch, 01/<GTIN>/10/<lot>, not the item {ITEM}"
    )
    _refused("regulator", "recall-scope", sscc(1), *at, says="not the parcel")
    _refused("regulator", "recall-scope", "01/06901230000011/10/L1", *at, says="Invalid identifier: GTIN")
    _refused("regulator", "recall-scope", f"{HAM}X", *at, says=f"the log holds nothing about {HAM}X")
    _refused("trace", "00/123", *at, says="Invalid identifier: SSCC")
    _refused("trace", HAM, *at, "--url", demo_url, says="give either --url")
    _refused("trace", f"{DRUG.path}X", "--url", demo_url, says=f"holds nothing about {DRUG.path}X")
    _refused("regulator", "recall-scope", ITEM, "--url", demo_url, says="Not found")
    usage = traceledger("trace", HAM, *at, "--direction", "sideways")
    assert usage.returncode == 2
    assert "sideways" in usage.stderr
    assert traceledger("trace", HAM, *at, "--depth", "33").returncode == 2


@pytest.mark.parametrize("command", [("trace",), ("regulator", "recall-scope")])
def test_the_help_names_every_option(command: tuple[str, ...]) -> None:
    shown = _cli(*command, "--help")
    for option in ("--format", "--home", "--database-url", "--url"):
        assert option in shown
    assert ("--direction" in shown) == ("--depth" in shown) == (command == ("trace",))
