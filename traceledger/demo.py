"""``traceledger demo``: a sample ledger built end to end, its checkpoint, and a verified inclusion proof."""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ledger.events import sign_event
from ledger.events.builders import (
    Content,
    Licence,
    Registrar,
    dispatch_payload,
    handoff_payload,
    listing_payload,
    production_payload,
    registration_payload,
    review_payload,
    signature_payload,
)
from ledger.identifiers import batch_subject
from ledger.log.merkle import verify_inclusion
from ledger.store.ledger import Ledger
from signer.dsse import Envelope
from signer.keys import PASSPHRASE_ENV, SigningKey
from traceledger.settings import Home

ORIGIN = "trace.qujing.example/log"


@dataclass(frozen=True)
class Organisation:
    uscc: str
    name: str
    roles: tuple[str, ...]
    licences: tuple[Licence, ...] = ()
    gs1_prefixes: tuple[str, ...] = ()


def _uscc(body17: str) -> str:
    from stdnum.cn import uscc

    return body17 + str(uscc.calc_check_digit(body17))


HAM_GTIN = "06901230000010"  # under the producer's GS1 company prefix 690123
PARCEL = "00/069012300000000010"
REGISTRAR = Organisation(_uscc("11530300MB0123456"), "曲靖市市场监督管理局", ("registrar", "regulator"))
ORGANISATIONS = (
    Organisation(
        _uscc("91530381MA6K5X2Y3"),
        "宣威市老浦火腿有限公司",
        ("producer",),
        (Licence("food_production", "SC11253038100123", "2029-12-31T00:00:00Z"),),
        ("690123",),
    ),
    Organisation(
        _uscc("91530322MA6N7B8C9"),
        "陆良县绿源蔬菜专业合作社",
        ("producer",),
        (Licence("food_production", "SC11053032200456", "2028-06-30T00:00:00Z"),),
        ("690456",),
    ),
    Organisation(
        _uscc("91530302MA6P1Q2R3"),
        "曲靖云品优选电子商务有限公司",
        ("merchant",),
        (Licence("food_business", "JY15303020012345", "2030-03-31T00:00:00Z"),),
    ),
    Organisation(_uscc("91530302MA6W4T5U6"), "曲靖速达快递有限公司", ("courier",)),
)


def run_demo(home_dir: Path | None) -> None:
    home = Home(home_dir or Path(tempfile.mkdtemp(prefix="traceledger-demo-")))
    passphrase = os.environ.get(PASSPHRASE_ENV) or secrets.token_urlsafe(18)
    registrar_key = SigningKey.generate()
    ledger = home.create(ORIGIN, [Registrar(REGISTRAR.uscc, REGISTRAR.name, (registrar_key.public_key,))], passphrase)
    try:
        _populate(ledger, registrar_key)
        _report(home, ledger)
    finally:
        ledger.close()
    print(f"(demo only: the log key is encrypted with a throw-away passphrase; set {PASSPHRASE_ENV} to choose one)")


def _populate(ledger: Ledger, registrar_key: SigningKey) -> None:
    """Register the organisations, then follow one Xuanwei ham from the producer to a consumer's review."""
    keys = {org.uscc: SigningKey.generate() for org in ORGANISATIONS}
    registrations = [
        sign_event(
            registration_payload(
                registrar_key,
                org.uscc,
                org.name,
                org.roles,
                [keys[org.uscc].public_key],
                licences=org.licences,
                gs1_prefixes=org.gs1_prefixes,
            ),
            [registrar_key],
        )
        for org in ORGANISATIONS
    ]
    _append(ledger, registrations)
    ham, _, shop, courier = ORGANISATIONS
    producer_key, shop_key, courier_key = keys[ham.uscc], keys[shop.uscc], keys[courier.uscc]
    consumer_key = SigningKey.generate()  # a pseudonymous consumer: no name, no phone, no address
    batch = batch_subject(HAM_GTIN, "XW2026-11").path
    production = production_payload(
        producer_key,
        HAM_GTIN,
        "XW2026-11",
        product="宣威火腿（500克）",
        category="food",
        quantity=200,
        unit="件",
        place="云南省曲靖市宣威市",
        expiry="2027-11-30",
    )
    production_id = production.canonical_id()
    dispatch = dispatch_payload(
        producer_key,
        PARCEL,
        [Content(batch, 1)],
        [production_id],
        location="宣威市",
        consignee_key=consumer_key.public_key,
    )
    handoff = handoff_payload(
        courier_key, PARCEL, dispatch.canonical_id(), from_actor=ham.uscc, location="曲靖分拨中心"
    )
    receipt = signature_payload(consumer_key, PARCEL, handoff.canonical_id())
    _append(
        ledger,
        [
            sign_event(production, [producer_key]),
            sign_event(listing_payload(shop_key, batch, production_id, price=25800), [shop_key]),
            sign_event(dispatch, [producer_key]),
            sign_event(handoff, [courier_key]),
            sign_event(receipt, [consumer_key]),
            sign_event(review_payload(consumer_key, batch, receipt.canonical_id(), rating=5), [consumer_key]),
        ],
    )


def _append(ledger: Ledger, envelopes: list[Envelope]) -> None:
    for result in ledger.append([envelope.to_json() for envelope in envelopes]):
        print(f"appended entry {result.leaf_index}: event {result.event_id}")


def _report(home: Home, ledger: Ledger) -> None:
    checkpoint = ledger.checkpoint()
    print(f"\nledger home: {home.path}\nlog verifier key: {ledger.log_verifier.vkey}\n")
    print("latest checkpoint (C2SP signed note):")
    print(checkpoint.note)
    entry = ledger.entry(checkpoint.size - 1)
    proof = ledger.inclusion_proof(entry.leaf_index, checkpoint.size)
    verify_inclusion(entry.leaf_hash, entry.leaf_index, checkpoint.size, proof, checkpoint.root)
    print(f"inclusion proof of entry {entry.leaf_index} ({len(proof)} hashes) verified against the checkpoint root")
