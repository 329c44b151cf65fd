"""``traceledger producer labels`` as a producer runs it: QR label sheets of a logged batch, read back code by code."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest

from tests.qr.decoding import decoded, pdf_pages
from tests.traceledger.test_remote import Server, register_producer_and_courier, remote_logged, server
from tests.traceledger.test_roles import (
    BATCH,
    GTIN,
    LICENCE,
    PARCEL,
    PRODUCER,
    keypair,
    produce,
    register,
    run,
    traceledger,
)

__all__ = ["server"]  # test_remote's fixture, served to this module's tests too

LOT = "XW2026-11"
LABELS = ("producer", "labels", "--gtin", GTIN, "--lot", LOT)


@pytest.fixture(scope="module")
def batch_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home ledger holding the test batch, 100 boxes of ham expiring 2030-01-01; labels only read it."""
    home = tmp_path_factory.mktemp("labels") / "home"
    registrar = ("--registrar-id", "91110000600037341L", "--registrar-name", "登记机关")
    created = run("init", "--origin", "roles.example/log", *registrar, home=home)
    assert created.returncode == 0, created.stderr
    producer, producer_pub = keypair(home, "producer")
    register(home, 1, PRODUCER, "producer", producer_pub, "--licence", LICENCE, "--gs1-prefix", "690123")
    produce(home, 2, producer)
    return home


def item_uri(serial: str, host: str = "roles.example", expiry: str | None = None) -> str:
    return f"https://{host}/01/{GTIN}/10/{LOT}/21/{serial}" + (f"?17={expiry}" if expiry else "")


def codes_per_page(pdf: Path) -> list[list[str]]:
    """The text of every QR code on each page of a PDF, sorted."""
    return [sorted(code for image in page for code in decoded(image)) for page in pdf_pages(pdf.read_bytes())]


def test_labels_of_a_batch_read_back_as_its_items(batch_home: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "labels.pdf"
    result = run(*LABELS, "--count", "30", "--expiry", "300101", "--out", str(sheet), home=batch_home)
    assert result.returncode == 0, result.stderr
    first, last = item_uri("0001", expiry="300101"), item_uri("0030", expiry="300101")
    assert result.stdout.strip() == f"{sheet} 30 labels on 2 pages: {first} to {last}"
    expected = [item_uri(f"{n:04d}", expiry="300101") for n in range(1, 31)]
    assert codes_per_page(sheet) == [expected[:24], expected[24:]]  # 3 × 8 a page, the default


def test_a_later_run_prints_the_next_serials_on_another_grid_and_portal(batch_home: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "more.pdf"
    args = ("--first", "91", "--count", "10", "--grid", "2x5", "--base-url", "https://scan.example:8443")
    result = run(*LABELS, *args, "--out", str(sheet), home=batch_home)
    assert result.returncode == 0, result.stderr
    assert re.match(rf"{re.escape(str(sheet))} 10 labels on 1 page: ", result.stdout)
    # no --expiry: the labels carry the one the batch was produced with (2030-01-01)
    expected = [item_uri(f"{n:04d}", host="scan.example:8443", expiry="300101") for n in range(91, 101)]
    assert codes_per_page(sheet) == [expected]


def test_labels_take_an_iso_expiry_and_a_plain_http_demo_portal_with_a_warning(
    batch_home: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "demo.pdf"
    args = ("--count", "2", "--expiry", "2030-01-01", "--base-url", "http://127.0.0.1:8000")
    result = run(*LABELS, *args, "--out", str(sheet), home=batch_home)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("warning: --base-url http://127.0.0.1:8000 is plain http")
    uris = [f"http://127.0.0.1:8000/01/{GTIN}/10/{LOT}/21/{serial}?17=300101" for serial in ("0001", "0002")]
    assert codes_per_page(sheet) == [uris]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--first", "91", "--count", "11"), "error: Invalid label sheet: serials 91 to 101: batch"),
        (("--count", "101"), "has only 100 items"),
        (("--count", "0"), "label count 0"),
        (("--count", "1", "--first", "0"), "serials start at 1"),
        (("--count", "1", "--expiry", "300102"), "recorded 2030-01-01"),
        (("--count", "1", "--expiry", "301301"), "error: Invalid identifier: expiry 301301: month 13 does not exist"),
        (("--count", "1", "--grid", "3by8"), "must be COLUMNSxROWS"),
        (("--count", "1", "--grid", "10x30"), "too small for a QR code"),
        (("--count", "1", "--base-url", "ftp://roles.example"), "must start with https://"),
        (("--count", "1", "--expiry", "2030-02-30"), "--expiry 2030-02-30: no such date"),
        (("--count", "1", "--lot", "NOSUCHLOT"), f"no batch 01/{GTIN}/10/NOSUCHLOT in the ledger"),
        (("--count", "1", "--gtin", "06901234567891"), "check digit should be 2"),
    ],
)
def test_bad_requests_are_one_line_and_write_nothing(
    batch_home: Path, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    sheet = tmp_path / "labels.pdf"
    result = run(*LABELS, *args, "--out", str(sheet), home=batch_home)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert says in result.stderr
    assert not sheet.exists()


def test_an_unwritable_output_is_one_line(batch_home: Path, tmp_path: Path) -> None:
    result = run(*LABELS, "--count", "1", "--out", str(tmp_path / "no" / "such" / "x.pdf"), home=batch_home)
    assert result.returncode == 1
    assert result.stderr.startswith("error: Invalid label sheet: cannot write ")


@pytest.mark.slow
def test_through_a_server_labels_read_the_batch_and_review_text_is_uploaded(server: Server, tmp_path: Path) -> None:
    home = server.home
    producer, producer_pub = keypair(home, "producer")
    courier, courier_pub = keypair(home, "courier")
    consumer, consumer_pub = keypair(home, "consumer")
    register_producer_and_courier(server, producer_pub, courier_pub)
    remote_logged(
        server, "producer", "batch", "--key", str(producer), "--gtin", GTIN, "--lot", LOT, "--product", "宣威火腿",
        "--category", "food", "--quantity", "3", "--unit", "box", "--place", "云南省宣威市",
        kind="production", subject=BATCH,
    )  # fmt: skip

    sheet = tmp_path / "remote.pdf"
    made = traceledger(*LABELS, "--count", "3", "--out", str(sheet), "--url", server.url)
    assert made.returncode == 0, made.stderr
    assert codes_per_page(sheet) == [[item_uri(f"{n:04d}", host="remote.example") for n in (1, 2, 3)]]
    too_many = traceledger(*LABELS, "--count", "4", "--out", str(sheet), "--url", server.url)
    assert "has only 3 items" in too_many.stderr

    remote_logged(
        server, "producer", "dispatch", "--key", str(producer), "--parcel", PARCEL, "--content", f"{BATCH}:1",
        "--consignee-key", str(consumer_pub), "--location", "宣威市", kind="shipment", subject=PARCEL,
    )  # fmt: skip
    handoff = ("courier", "handoff", "--key", str(courier), "--parcel", PARCEL, "--location", "曲靖分拨中心")
    remote_logged(server, *handoff, kind="shipment", subject=PARCEL)
    receipt = remote_logged(
        server, "consumer", "receipt", "--key", str(consumer), "--parcel", PARCEL, kind="signature", subject=PARCEL
    )
    review = ("consumer", "review", "--key", str(consumer), "--subject", BATCH, "--receipt", receipt, "--rating", "4")
    reviewed = traceledger(*review, "--text", "火腿很香", "--url", server.url)
    assert reviewed.returncode == 0, reviewed.stderr
    match = re.fullmatch(
        r"attachment (sha256:[0-9a-f]{64}) text/plain; charset=utf-8 12 bytes stored", reviewed.stdout.splitlines()[1]
    )
    assert match, reviewed.stdout
    served = httpx.get(f"{server.url}/v1/attachments/{match.group(1)}", timeout=10)
    assert served.status_code == 200, served.text
    assert "sha256:" + hashlib.sha256(served.content).hexdigest() == match.group(1)
    assert served.content[16:].decode() == "火腿很香"
