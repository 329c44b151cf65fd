"""The role commands as users run them: real processes that sign events and append them to a home ledger."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.events import LogEntry
from ledger.store.attachments import attachment_text, read_attachment
from signer.keys import SigningKey
from tests.ledger.conftest import make_uscc
from traceledger.settings import Home

PASSPHRASE = "roles passphrase"
GTIN = "06901234567892"  # indicator 0, then GS1 company prefix 690123
BATCH = f"01/{GTIN}/10/XW2026-11"
PARCEL = "00/069012340000000016"
TO_CONSUMER = "00/069012340000000023"
PRODUCER, MERCHANT, COURIER, REGULATOR = (make_uscc(n) for n in range(4))
LICENCE = "food_production:SC11253010200015:2030-12-31T00:00:00Z"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``traceledger ARGS --home HOME`` with the test passphrase in the environment."""
    return traceledger(*args, "--home", str(home))


def traceledger(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``traceledger ARGS`` in a process with the test passphrase and no other TRACELEDGER_ variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACELEDGER_")}
    env["TRACELEDGER_KEY_PASSPHRASE"] = PASSPHRASE
    return subprocess.run(
        [sys.executable, "-c", "from traceledger.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def logged(home: Path, *args: str, index: int, kind: str, subject: str) -> str:
    """Run a role command that must log event ``index``; return the event id from its printed line."""
    result = run(*args, home=home)
    assert result.returncode == 0, result.stderr
    line = result.stdout.splitlines()[0]
    match = re.fullmatch(rf"{index} ([0-9a-f]{{64}}) {re.escape(kind)} {re.escape(subject)}", line)
    assert match, line
    return match.group(1)


def refused(home: Path, *args: str, says: str) -> None:
    """Run a command that must fail with one line on stderr containing ``says``, logging nothing."""
    size = log_size(home)
    result = run(*args, home=home)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert says in result.stderr
    assert log_size(home) == size


def log_size(home: Path) -> int:
    """The size of the home ledger's latest checkpoint."""
    ledger = Home(home).open()
    try:
        return ledger.size()
    finally:
        ledger.close()


def parents_of(home: Path, event_id: str) -> tuple[str, ...]:
    """The parents of a logged event, read back from its stored entry."""
    ledger = Home(home).open()
    try:
        return LogEntry.parse(ledger.entry_by_event_id(event_id).data).event.payload.parents
    finally:
        ledger.close()


def stored_content(home: Path, digest: str) -> bytes | None:
    """The content the home ledger holds for an attachment, checked against the digest its entry committed to."""
    ledger = Home(home).open()
    try:
        return read_attachment(ledger, digest).content
    finally:
        ledger.close()


def attached_texts(home: Path, event_id: str) -> list[str | None]:
    """The text of each attachment a logged event committed to, as the home ledger now holds it."""
    ledger = Home(home).open()
    try:
        payload = LogEntry.parse(ledger.entry_by_event_id(event_id).data).event.payload
        return [attachment_text(ledger, attachment.digest) for attachment in payload.attachments]
    finally:
        ledger.close()


def keypair(home: Path, name: str) -> tuple[Path, Path]:
    """A key written as keygen writes it (HOME/keys/NAME.pem encrypted, NAME.pub), without a process."""
    key = SigningKey.generate()
    key.save(home / "keys" / f"{name}.pem", PASSPHRASE)
    public = {"kid": key.kid, "public_key": base64.b64encode(key.public_key).decode("ascii")}
    (home / "keys" / f"{name}.pub").write_text(json.dumps(public))
    return home / "keys" / f"{name}.pem", home / "keys" / f"{name}.pub"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    created = run(
        "init", "--origin", "roles.example/log", "--registrar-id", "91110000600037341L", "--registrar-name", "登记机关",
        home=home,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    return home


def register(home: Path, index: int, actor_id: str, role: str, public: Path, *extra: str) -> str:
    """Register an actor with one role and one key, as the genesis registrar."""
    registrar = str(home / "keys" / "registrar.pem")
    return logged(
        home, "registrar", "register", "--key", registrar, "--id", actor_id, "--name", f"{role} {index}",
        "--role", role, "--actor-key", str(public), *extra,
        index=index, kind="actor.register", subject=f"actor/{actor_id}",
    )  # fmt: skip


def produce(home: Path, index: int, producer_key: Path) -> str:
    """Register the test batch of 100 boxes of ham."""
    return logged(
        home, "producer", "batch", "--key", str(producer_key), "--gtin", GTIN, "--lot", "XW2026-11",
        "--product", "宣威火腿", "--category", "food", "--quantity", "100", "--unit", "box", "--place", "云南省宣威市",
        "--expiry", "2030-01-01",
        index=index, kind="production", subject=BATCH,
    )  # fmt: skip


def test_a_producer_registers_and_inspects_a_batch(home: Path, tmp_path: Path) -> None:
    generated = run("keygen", "producer", home=home)
    assert generated.returncode == 0, generated.stderr
    keys = home / "keys"
    register(home, 1, PRODUCER, "producer", keys / "producer.pub", "--licence", LICENCE, "--gs1-prefix", "690123")
    production = produce(home, 2, keys / "producer.pem")

    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.7 inspection report")
    args = ("producer", "inspect", "--key", str(keys / "producer.pem"), "--batch", BATCH, "--result", "pass")
    result = run(*args, "--standard", "GB 2730-2015", "--report", str(report), home=home)
    assert result.returncode == 0, result.stderr
    line, attachment = result.stdout.splitlines()
    inspection = line.split()[1]
    assert line == f"3 {inspection} inspection {BATCH}"
    match = re.fullmatch(r"attachment (sha256:[0-9a-f]{64}) application/pdf 26 bytes stored", attachment)
    assert match, attachment
    assert parents_of(home, inspection) == (production,)
    assert stored_content(home, match.group(1)) == b"%PDF-1.7 inspection report"


def test_an_attachment_is_erased_for_good_and_the_log_stays_as_it_was(home: Path, tmp_path: Path) -> None:
    producer, producer_pub = keypair(home, "producer")
    register(home, 1, PRODUCER, "producer", producer_pub, "--licence", LICENCE, "--gs1-prefix", "690123")
    produce(home, 2, producer)
    report = tmp_path / "report.txt"
    report.write_text("检验员：张三", encoding="utf-8")
    inspect = ("producer", "inspect", "--key", str(producer), "--batch", BATCH, "--result", "pass", "--standard", "GB")
    inspected = run(*inspect, "--report", str(report), home=home)
    assert inspected.returncode == 0, inspected.stderr
    inspection = inspected.stdout.split()[1]
    digest = inspected.stdout.splitlines()[1].split()[1]
    assert attached_texts(home, inspection) == ["检验员：张三"]

    regulator, regulator_pub = keypair(home, "regulator")
    register(home, 4, REGULATOR, "regulator", regulator_pub)
    erase = ("regulator", "erase-attachment", digest, "--key", str(regulator))
    refused(home, *erase, "--reason", "asked nicely", says="data.reason: Input should be")
    erasure = logged(home, *erase, "--reason", "court_order", index=5, kind="attachment.erasure", subject=BATCH)
    assert parents_of(home, erasure) == (inspection,)
    assert attached_texts(home, inspection) == [None]
    # Another reason, so that this is another event: the same command again within the same second signs the same
    # envelope (event times are to the second), which the log answers as the replay it is.
    refused(home, *erase, "--reason", "unlawful_content", says="error: Attachment already erased: ")
    registrar = ("registrar", "erase-attachment", digest, "--key", str(home / "keys" / "registrar.pem"))
    refused(home, *registrar, "--reason", "other", says="error: Attachment already erased: ")
    refused(home, "regulator", "erase-attachment", digest, "--key", str(producer), "--reason", "court_order",
            says="is not a regulator or registrar")  # fmt: skip
    assert log_size(home) == 6
    audited = run("audit", home=home)  # every entry, signature and proof still verifies, and the erasure is logged
    assert audited.returncode == 0, audited.stdout + audited.stderr
    unknown = ("regulator", "erase-attachment", "sha256:" + "0" * 64, "--key", str(regulator), "--reason", "other")
    refused(home, *unknown, says="error: Not found: no logged entry commits to attachment sha256:")


def register_trade(home: Path) -> tuple[Path, Path, Path]:
    """Register the producer (index 1), the merchant (2) and the courier (3); their private key files."""
    producer, producer_pub = keypair(home, "producer")
    merchant, merchant_pub = keypair(home, "merchant")
    courier, courier_pub = keypair(home, "courier")
    register(home, 1, PRODUCER, "producer", producer_pub, "--licence", LICENCE, "--gs1-prefix", "690123")
    register(home, 2, MERCHANT, "merchant", merchant_pub, "--licence", "food_business:JY1:2030-12-31T00:00:00Z")
    register(home, 3, COURIER, "courier", courier_pub)
    return producer, merchant, courier


def test_goods_reach_a_consumer_through_a_merchant_who_reviews_and_complains(home: Path) -> None:
    producer, merchant, courier = register_trade(home)
    consumer, consumer_pub = keypair(home, "consumer")
    regulator, regulator_pub = keypair(home, "regulator")
    register(home, 4, REGULATOR, "regulator", regulator_pub)
    production = produce(home, 5, producer)

    wholesale = logged(
        home, "producer", "dispatch", "--key", str(producer), "--parcel", PARCEL, "--content", f"{BATCH}:10",
        "--to", MERCHANT, "--location", "宣威", index=6, kind="shipment", subject=PARCEL,
    )  # fmt: skip
    assert parents_of(home, wholesale) == (production,)
    handoff = ("courier", "handoff", "--parcel", PARCEL, "--location")
    picked_up = logged(home, *handoff, "宣威", "--key", str(courier), index=7, kind="shipment", subject=PARCEL)
    assert parents_of(home, picked_up) == (wholesale,)
    logged(home, *handoff, "昆明", "--key", str(merchant), index=8, kind="shipment", subject=PARCEL)  # arrival
    listing = ("merchant", "list", "--key", str(merchant), "--batch", BATCH, "--price", "12800")
    logged(home, *listing, index=9, kind="listing", subject=BATCH)

    logged(
        home, "merchant", "dispatch", "--key", str(merchant), "--parcel", TO_CONSUMER, "--content", f"{BATCH}:2",
        "--consignee-key", str(consumer_pub), "--location", "昆明", index=10, kind="shipment", subject=TO_CONSUMER,
    )  # fmt: skip
    delivery = ("courier", "handoff", "--key", str(courier), "--parcel", TO_CONSUMER, "--location", "五华区")
    delivered = logged(home, *delivery, index=11, kind="shipment", subject=TO_CONSUMER)
    signing = ("consumer", "receipt", "--key", str(consumer), "--parcel", TO_CONSUMER)
    receipt = logged(home, *signing, index=12, kind="signature", subject=TO_CONSUMER)
    assert parents_of(home, receipt) == (delivered,)

    review = ("consumer", "review", "--key", str(consumer), "--subject", BATCH, "--receipt", receipt)
    first = logged(home, *review, "--rating", "5", "--text", "很香", index=13, kind="review", subject=BATCH)
    assert parents_of(home, first) == (receipt,)
    assert attached_texts(home, first) == ["很香"]  # what the portal shows
    follow_up = logged(home, *review, "--follow-up-of", first, "--rating", "3", index=14, kind="review", subject=BATCH)
    assert parents_of(home, follow_up) == (first,)
    complaint = logged(
        home, "consumer", "complain", "--key", str(consumer), "--subject", BATCH, "--category", "quality",
        "--receipt", receipt, "--text", "有异味", index=15, kind="complaint", subject=BATCH,
    )  # fmt: skip
    assert attached_texts(home, complaint) == ["有异味"]
    resolution = logged(
        home, "regulator", "resolve", "--key", str(regulator), "--subject", BATCH, "--complaint", complaint,
        "--outcome", "compensated", "--reason", "mediation_agreement", "--compensation", "500", "--text", "已退款",
        index=16, kind="complaint.resolution", subject=BATCH,
    )  # fmt: skip
    assert parents_of(home, resolution) == (complaint,)
    assert attached_texts(home, resolution) == ["已退款"]
    logged(
        home, "regulator", "recall", "--key", str(regulator), "--batch", BATCH, "--reason", "safety", "--level", "1",
        index=17, kind="recall", subject=BATCH,
    )  # fmt: skip
    refused(home, *listing, says="recalled")


def test_a_regulator_sanctions_and_lifts_and_a_registrar_revokes(home: Path) -> None:
    _, courier_pub = keypair(home, "courier")
    _, replacement_pub = keypair(home, "courier-2")
    regulator, regulator_pub = keypair(home, "regulator")
    registration = register(home, 1, COURIER, "courier", courier_pub)
    register(home, 2, REGULATOR, "regulator", regulator_pub)
    sanction = ("regulator", "sanction", "--key", str(regulator), "--actor", COURIER, "--list", "black")
    listed = logged(home, *sanction, "--reason", "丢件", index=3, kind="sanction", subject=f"actor/{COURIER}")
    lifted = logged(
        home, *sanction, "--reason", "整改完成", "--lift", listed, index=4, kind="sanction", subject=f"actor/{COURIER}"
    )
    assert parents_of(home, lifted) == (listed,)
    kid = json.loads(courier_pub.read_text())["kid"]
    keys = ("registrar", "keys", "--key", str(home / "keys" / "registrar.pem"), "--id", COURIER)
    rotate = (*keys, "--add", str(replacement_pub), "--revoke", kid)
    rotated = logged(home, *rotate, index=5, kind="actor.keys", subject=f"actor/{COURIER}")
    assert parents_of(home, rotated) == (registration,)  # the last key event of a new actor is its registration
    refused(home, *keys, "--revoke", kid, says="already revoked")


def test_option_errors_are_one_line_and_log_nothing(home: Path) -> None:
    producer, producer_pub = keypair(home, "producer")
    registrar = str(home / "keys" / "registrar.pem")
    base = ("registrar", "register", "--key", registrar, "--id", PRODUCER, "--name", "x", "--role", "producer")
    refused(home, *base, "--actor-key", str(producer_pub), "--licence", "food_production:2030", says="--licence")
    refused(home, *base, "--actor-key", str(home / "missing.pub"), says="cannot read")
    refused(home, *base, "--actor-key", str(producer), says="not JSON")
    refused(home, "registrar", "keys", "--key", registrar, "--id", PRODUCER, "--revoke", "0" * 32, says="No such")

    inspect = ("producer", "inspect", "--key", str(producer), "--result", "pass", "--standard", "GB")
    refused(home, *inspect, "--batch", BATCH, says=f"no batch {BATCH}")
    refused(home, *inspect, "--batch", PARCEL, says="expected a batch")

    dispatch = ("merchant", "dispatch", "--key", str(producer), "--parcel", PARCEL, "--location", "x")
    refused(home, *dispatch, "--content", BATCH, "--to", PRODUCER, says="BATCH_PATH:QUANTITY")
    refused(home, *dispatch, "--content", f"{BATCH}:1", says="exactly one of --to and --consignee-key")
    refused(home, "courier", "handoff", "--key", str(producer), "--parcel", PARCEL, "--location", "x", says="parcel")
    refused(home, "consumer", "review", "--key", str(producer), "--subject", BATCH, "--receipt", "ab" * 32,
            "--rating", "5", says="no such event")  # fmt: skip


def test_a_registration_is_replaced_only_with_update(home: Path) -> None:
    _, public = keypair(home, "producer")
    registrar = str(home / "keys" / "registrar.pem")
    base = ("registrar", "register", "--key", registrar, "--id", PRODUCER, "--role", "producer")
    registration = register(home, 1, PRODUCER, "producer", public)
    refused(home, *base, "--name", "新名", "--actor-key", str(public), says="already registered")
    update = (*base, "--name", "新名", "--actor-key", str(public), "--update")
    updated = logged(home, *update, index=2, kind="actor.register", subject=f"actor/{PRODUCER}")
    assert parents_of(home, updated) == (registration,)


def test_a_batch_made_from_a_quantity_of_another(home: Path) -> None:
    """``producer batch --input BATCH:QTY`` takes that quantity of the input batch from the producer's stock; more
    than is held is one line and logs nothing; an ``--input`` naming only a production event still works."""
    producer, producer_pub = keypair(home, "producer")
    register(home, 1, PRODUCER, "producer", producer_pub, "--licence", LICENCE, "--gs1-prefix", "690123")
    production = produce(home, 2, producer)
    sliced = "06901234567908"
    make = ("producer", "batch", "--key", str(producer), "--gtin", sliced, "--product", "火腿切片",
            "--category", "food", "--quantity", "300", "--unit", "袋", "--place", "云南省宣威市")  # fmt: skip
    refused(home, *make, "--lot", "QP-1", "--input", f"{BATCH}:101", says=f"holds 100 of input batch {BATCH}")
    refused(home, *make, "--lot", "QP-1", "--input", f"{BATCH}:many", says="must be BATCH_PATH:QUANTITY")
    made = logged(home, *make, "--lot", "QP-1", "--input", f"{BATCH}:60", index=3, kind="production",
                  subject=f"01/{sliced}/10/QP-1")  # fmt: skip
    assert parents_of(home, made) == (production,)
    named = logged(home, *make, "--lot", "QP-2", "--input", production, index=4, kind="production",
                   subject=f"01/{sliced}/10/QP-2")  # fmt: skip
    assert parents_of(home, named) == (production,)
    ledger = Home(home).open()
    try:
        batch = ledger.view("batches", BATCH)
    finally:
        ledger.close()
    assert batch is not None
    assert (batch["holdings"], batch["consumed"]) == ({PRODUCER: 40}, 60)


def test_parcels_loaded_onto_a_pallet_travel_with_it_until_it_is_split(home: Path) -> None:
    """``aggregate`` loads parcels the signer holds onto a pallet; ``courier handoff`` of the pallet moves them all,
    of one of them alone is refused in one line; ``split`` lets each continue alone."""
    producer, merchant, courier = register_trade(home)
    produce(home, 4, producer)
    cases, pallet = (PARCEL, TO_CONSUMER), "00/069012340000000030"
    for index, case in enumerate(cases, start=5):
        logged(home, "producer", "dispatch", "--key", str(producer), "--parcel", case, "--content", f"{BATCH}:10",
               "--to", MERCHANT, "--location", "宣威", index=index, kind="shipment", subject=case)  # fmt: skip
    loading = ("producer", "aggregate", "--key", str(producer), "--pallet", pallet, "--location", "宣威物流园")
    loaded = logged(home, *loading, "--parcel", cases[0], "--parcel", cases[1], index=7, kind="shipment",
                    subject=pallet)  # fmt: skip
    assert len(set(parents_of(home, loaded))) == 2  # the two parcels' dispatches, their custody heads
    refused(home, "courier", "handoff", "--key", str(courier), "--parcel", cases[0], "--location", "宣威",
            says=f"is on pallet {pallet}")  # fmt: skip
    logged(home, "courier", "handoff", "--key", str(courier), "--parcel", pallet, "--location", "宣威",
           index=8, kind="shipment", subject=pallet)  # fmt: skip
    logged(home, "courier", "split", "--key", str(courier), "--pallet", pallet, "--location", "曲靖",
           index=9, kind="shipment", subject=pallet)  # fmt: skip
    logged(home, "courier", "handoff", "--key", str(merchant), "--parcel", cases[1], "--location", "昆明",
           index=10, kind="shipment", subject=cases[1])  # fmt: skip
    ledger = Home(home).open()
    try:
        batch = ledger.view("batches", BATCH)
        first = ledger.view("parcels", cases[0])
    finally:
        ledger.close()
    assert batch is not None
    assert first is not None
    assert (batch["holdings"], batch["in_transit"]) == ({PRODUCER: 80, MERCHANT: 10}, 10)
    assert (first["custodian"], first["status"], first["aboard"]) == (COURIER, "in_transit", False)
