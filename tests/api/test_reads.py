"""The read API: subject history bundles (verified as the browser would), actors, and proofs on demand."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pytest

from ledger.events.builders import (
    inspection_payload,
    listing_payload,
    recall_payload,
    review_payload,
    sanction_payload,
)
from ledger.identifiers import batch_subject
from ledger.log.checkpoint import open_checkpoint
from ledger.log.merkle import verify_consistency, verify_inclusion
from signer.dsse import pae
from signer.keys import SigningKey, kid_of, verify_signature
from tests.api.conftest import Api, problem, signed, unb64
from tests.ledger.conftest import make_uscc
from tests.scenarios.world import Party, gtin, sscc

HAM = gtin("690123", 1)


@dataclass
class Story:
    producer: Party
    merchant: Party
    consumer: SigningKey
    batch: str
    parcel: str


def _ham_story(api: Api, lot: str = "XW2026-11") -> Story:
    """A ham batch inspected, listed, shipped to a consumer through two couriers, signed for and reviewed."""
    world = api.world
    producer = world.register("宣威市老浦火腿有限公司", "producer", licences=("food_production",), prefixes=("690123",))
    merchant = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    lab = world.register("云南省食品检验所", "lab")
    couriers = [world.register(f"曲靖速达快递 {i}", "courier") for i in range(2)]
    batch = batch_subject(HAM, lot).path
    production = world.produce(producer, HAM, lot, 100)
    world.append(inspection_payload(lab.key, batch, production, result="pass", standard="GB 2730-2015"), lab.key)
    world.append(listing_payload(merchant.key, batch, production, price=25800), merchant.key)
    consumer = SigningKey.generate()
    parcel = sscc(1)
    world.dispatch(producer, parcel, [(batch, 2)], consignee=consumer)
    for courier in couriers:
        world.handoff(courier, parcel)
    receipt = world.sign_for(consumer, parcel)
    world.append(review_payload(consumer, batch, receipt, rating=5), consumer)
    return Story(producer, merchant, consumer, batch, parcel)


def _keys_declared(payload: dict[str, Any]) -> list[str]:
    """Public keys (base64) an entry introduces: registrations, key grants, genesis registrars, consignee keys.

    Genesis is signed by the log operator's key, which the verifier pins rather than reads from the bundle."""
    data = payload["data"]
    keys = [k["public_key"] for k in data.get("keys", [])] + [k["public_key"] for k in data.get("add", [])]
    keys += [key for registrar in data.get("registrars", []) for key in registrar["keys"]]
    if "consignee_key" in data:
        keys.append(data["consignee_key"])
    return keys


def verify_bundle(api: Api, bundle: dict[str, Any], extra_keys: dict[str, bytes] | None = None) -> list[str]:
    """Verify a history bundle the way the browser does, never re-encoding JSON; returns the verified kinds.

    Checks the checkpoint signature under the log key, each entry's inclusion proof against it, that each event
    id is the hash of the signed payload, and each signature under a key declared by an entry of the bundle.
    """
    ledger = api.fixture.ledger
    checkpoint = open_checkpoint(bundle["checkpoint"], ledger.log_verifier, ledger.origin)
    assert bundle["tree_size"] == checkpoint.size
    pinned = unb64(ledger.log_verifier.vkey.split("+", 2)[2])[1:]  # the page pins the log key: vkey name+id+key
    keys = {kid_of(pinned): pinned, **(extra_keys or {})}
    parsed: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for item in bundle["registrations"] + bundle["entries"]:
        entry = unb64(item["entry"])
        assert item["inclusion_proof"]["tree_size"] == checkpoint.size
        proof = [unb64(h) for h in item["inclusion_proof"]["proof"]]
        verify_inclusion(hashlib.sha256(b"\0" + entry).digest(), item["index"], checkpoint.size, proof, checkpoint.root)
        envelope = json.loads(entry)["envelope"]
        payload_bytes = unb64(envelope["payload"])
        assert hashlib.sha256(payload_bytes).hexdigest() == item["event_id"]
        payload = json.loads(payload_bytes)
        assert (payload["kind"], payload["subject"]) == (item["kind"], item["subject"])
        keys.update({kid_of(unb64(k)): unb64(k) for k in _keys_declared(payload)})
        parsed.append((item, envelope))
    for item, envelope in parsed:
        for signature in envelope["signatures"]:
            key = keys.get(signature["keyid"])
            assert key is not None, f"no key in the bundle for {item['kind']} entry {item['index']}"
            message = pae(envelope["payloadType"], unb64(envelope["payload"]))
            assert verify_signature(key, message, unb64(signature["sig"])), f"entry {item['index']}"
    return [item["kind"] for item in bundle["entries"]]


def test_a_parcel_history_verifies_like_in_the_browser(api: Api) -> None:
    story = _ham_story(api)
    response = api.client.get(f"/v1/subjects/{story.parcel}")
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["subject"] == story.parcel
    assert bundle["subject_kind"] == "parcel"
    assert bundle["checkpoint"] == api.checkpoint().note
    assert verify_bundle(api, bundle) == ["shipment"] * 3 + ["signature"]
    assert bundle["summary"]["parcels"] == [story.parcel]
    registered = {item["subject"] for item in bundle["registrations"]}
    assert f"actor/{story.producer.id}" in registered


def test_a_batch_history_verifies_and_summarises_the_distribution(api: Api) -> None:
    story = _ham_story(api)
    bundle = api.client.get(f"/v1/subjects/{story.batch}").json()
    # A review is signed by the consignee key, which the parcel's dispatch declared (not part of a batch bundle).
    kinds = verify_bundle(api, bundle, {story.consumer.kid: story.consumer.public_key})
    assert kinds == ["production", "inspection", "listing", "review"]
    summary = bundle["summary"]
    assert summary["batch"]["product"] == "宣威火腿"
    assert summary["batch"]["producer"] == story.producer.id
    assert summary["distribution"] == {
        "produced": 100, "unit": "件", "held": {story.producer.id: 98}, "in_transit": 0, "delivered": 2,
        "listings": 1, "rating_count": 1, "rating_sum": 5,
    }  # fmt: skip
    assert summary["parcels"] == [story.parcel]  # the batch's shipments (issue 12: it listed none)
    assert summary["recalled"] is False
    assert summary["black_listed"] == []


def test_recall_and_black_list_show_in_the_summary(api: Api) -> None:
    story = _ham_story(api)
    regulator = api.world.register("曲靖市市场监督管理局", "regulator")
    production = str(api.world.batch(story.batch)["production"])
    recall = recall_payload(regulator.key, story.batch, production, reason="safety", level=2)
    assert api.post(signed(recall, regulator.key)).status_code == 201
    sanction = sanction_payload(regulator.key, story.producer.id, list_="black", reason="假冒伪劣")
    assert api.post(signed(sanction, regulator.key)).status_code == 201
    summary = api.client.get(f"/v1/subjects/{story.batch}").json()["summary"]
    assert summary["recalled"] is True
    assert summary["black_listed"] == [story.producer.id]


def test_a_lot_with_a_slash_is_found_by_its_percent_encoded_path(api: Api) -> None:
    story = _ham_story(api, lot="XW/2026")
    assert story.batch.endswith("/10/XW%2F2026")
    bundle = api.client.get(f"/v1/subjects/{story.batch}").json()
    assert bundle["subject"] == story.batch
    assert bundle["entries"][0]["kind"] == "production"


@pytest.mark.parametrize(
    ("path", "status", "slug"),
    [
        (f"01/{HAM}/10/UNKNOWN", 404, "not-found"),
        ("00/069012300000000010", 404, "not-found"),
        (f"actor/{make_uscc(1)}", 404, "not-found"),
        ("01/06901230000011/10/L1", 400, "invalid-identifier"),
        ("nonsense", 400, "invalid-identifier"),
    ],
)
def test_unknown_or_invalid_subjects_are_problems(api: Api, path: str, status: int, slug: str) -> None:
    problem(api.client.get(f"/v1/subjects/{path}"), status, slug)


def test_an_actor_has_its_record_keys_and_sanctions(api: Api) -> None:
    story = _ham_story(api)
    body = api.client.get(f"/v1/actors/{story.producer.id}").json()
    assert body["id"] == story.producer.id
    assert body["name"] == story.producer.name
    assert body["roles"] == ["producer"]
    assert body["gs1_prefixes"] == ["690123"]
    assert body["licences"][0]["type"] == "food_production"
    (key,) = body["keys"]
    assert key["kid"] == story.producer.key.kid
    assert unb64(key["public_key"]) == story.producer.key.public_key
    assert key["revoked_at"] is None
    assert key["event"] == body["registration"]
    assert body["sanctions"] == []
    assert body["black_listed"] is False

    regulator = api.world.register("曲靖市市场监督管理局", "regulator")
    sanction = signed(
        sanction_payload(regulator.key, story.producer.id, list_="black", reason="假冒伪劣"), regulator.key
    )
    event_id = api.post(sanction).json()["entries"][0]["event_id"]
    body = api.client.get(f"/v1/actors/{story.producer.id.lower()}").json()
    assert body["sanctions"] == [{"event": event_id, "list": "black", "until": None}]
    assert body["black_listed"] is True


def test_unknown_and_malformed_actor_ids(api: Api) -> None:
    problem(api.client.get(f"/v1/actors/{make_uscc(99)}"), 404, "not-found")
    problem(api.client.get("/v1/actors/12345"), 400, "invalid-identifier")


def test_inclusion_and_consistency_proofs_verify(api: Api) -> None:
    for start in (1, 6, 11):
        api.post([api.fixture.registration(n) for n in range(start, start + 5)])
    ledger = api.fixture.ledger
    at_11, latest = ledger.checkpoint(11), ledger.checkpoint()
    body = api.client.get("/v1/proofs/inclusion", params={"index": 7, "size": 11}).json()
    assert (body["index"], body["tree_size"]) == (7, 11)
    assert unb64(body["leaf_hash"]) == ledger.entry(7).leaf_hash
    verify_inclusion(unb64(body["leaf_hash"]), 7, 11, [unb64(h) for h in body["proof"]], at_11.root)

    body = api.client.get("/v1/proofs/consistency", params={"old": 11, "new": latest.size}).json()
    assert (body["old_size"], body["new_size"]) == (11, 16)
    verify_consistency(11, 16, at_11.root, latest.root, [unb64(h) for h in body["proof"]])


@pytest.mark.parametrize(
    ("query", "status", "slug"),
    [
        ("inclusion?index=1&size=1", 404, "not-found"),
        ("inclusion?index=0&size=99", 404, "not-found"),
        ("consistency?old=2&new=1", 404, "not-found"),
        ("consistency?old=1&new=99", 404, "not-found"),
        ("consistency?old=0&new=1", 400, "invalid-request"),
        ("inclusion?index=-1&size=1", 400, "invalid-request"),
        ("inclusion?index=x&size=1", 400, "invalid-request"),
        ("inclusion?size=1", 400, "invalid-request"),
    ],
)
def test_impossible_proofs_are_problems(api: Api, query: str, status: int, slug: str) -> None:
    api.post([api.fixture.registration(n) for n in range(1, 3)])
    body = problem(api.client.get(f"/v1/proofs/{query}"), status, slug)
    if slug == "invalid-request":
        assert "query" in body["detail"]
