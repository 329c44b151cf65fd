"""``POST /v1/events`` and ``GET /v1/events/{id}``: appends, duplicates, and every way a submission is refused."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from ledger.events import PAYLOAD_TYPE, EventPayload, LogEntry
from ledger.events.builders import (
    Content,
    dispatch_payload,
    listing_payload,
    production_payload,
    registration_payload,
    sanction_payload,
    signature_payload,
)
from ledger.identifiers import batch_subject
from ledger.log.merkle import leaf_hash, verify_inclusion
from ledger.store.ledger import MAX_BATCH
from signer.dsse import sign_envelope
from signer.keys import SigningKey
from tests.api.conftest import Api, problem, signed, unb64
from tests.ledger.conftest import make_uscc
from tests.scenarios.world import Party, gtin, sscc

HAM = gtin("690123", 1)


def _producer(api: Api, **kw: Any) -> Party:
    kw.setdefault("licences", ("food_production",))
    return api.world.register("宣威市老浦火腿有限公司", "producer", prefixes=("690123",), **kw)


# ---- accepted ------------------------------------------------------------------------------------------------


def test_one_envelope_is_appended_with_its_entry(api: Api) -> None:
    envelope = api.fixture.registration(1)
    response = api.post(envelope)
    assert response.status_code == 201
    (entry,) = response.json()["entries"]
    stored = api.fixture.ledger.entry(entry["index"])
    assert entry == {
        "index": 1,
        "event_id": stored.event_id,
        "leaf_hash": base64.b64encode(stored.leaf_hash).decode(),
        "checkpoint_size": 2,
    }
    assert response.headers["location"] == f"/v1/events/{stored.event_id}"
    assert api.checkpoint().size == 2


def test_a_batch_is_appended_in_order(api: Api) -> None:
    envelopes = [api.fixture.registration(n) for n in range(1, 21)]
    response = api.post(envelopes)
    assert response.status_code == 201
    entries = response.json()["entries"]
    assert [e["index"] for e in entries] == list(range(1, 21))
    assert {e["checkpoint_size"] for e in entries} == {21}
    assert "location" not in response.headers


def test_the_same_envelope_twice_answers_200_and_stores_nothing(api: Api) -> None:
    envelope = api.fixture.registration(1)
    first = api.post(envelope)
    assert first.status_code == 201
    with api.unchanged():
        again = api.post(envelope)
        assert again.status_code == 200
        assert again.json() == first.json()
        batch = api.post([envelope, envelope])  # a repeated event inside one batch is refused
        problem(batch, 400, "invalid-event")


def test_a_batch_mixing_logged_and_new_envelopes_is_201(api: Api) -> None:
    old = api.fixture.registration(1)
    api.post(old)
    response = api.post([old, api.fixture.registration(2)])
    assert response.status_code == 201
    assert [e["index"] for e in response.json()["entries"]] == [1, 2]


def test_get_event_returns_exact_bytes_and_a_proof_against_the_checkpoint(api: Api) -> None:
    api.post([api.fixture.registration(n) for n in range(1, 6)])
    event_id = api.fixture.ledger.entry(3).event_id
    response = api.client.get(f"/v1/events/{event_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"index", "event_id", "kind", "subject", "logged_at", "entry", "inclusion_proof", "checkpoint"}
    checkpoint = api.checkpoint()
    assert body["checkpoint"] == checkpoint.note
    entry = unb64(body["entry"])
    parsed = LogEntry.parse(entry)
    assert parsed.event.event_id == event_id == body["event_id"]
    assert hashlib.sha256(parsed.event.envelope.payload).hexdigest() == event_id
    assert parsed.logged_at == body["logged_at"]
    assert body["inclusion_proof"]["tree_size"] == checkpoint.size == 6
    proof = [unb64(h) for h in body["inclusion_proof"]["proof"]]
    verify_inclusion(leaf_hash(entry), body["index"], checkpoint.size, proof, checkpoint.root)


def test_get_unknown_event_is_404(api: Api) -> None:
    problem(api.client.get("/v1/events/" + "0" * 64), 404, "not-found")


# ---- refused: the body and the envelope ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b'{"payload": 1,}', b"\xff\xfe", b'{"a": 1, "a": 2}', b"[NaN]", b'"envelope"', b"42", b"[" * 100_000],
    ids=["empty", "truncated", "trailing-comma", "not-utf8", "duplicate-key", "nan", "string", "number", "deep"],
)
def test_malformed_json_is_refused(api: Api, body: bytes) -> None:
    with api.unchanged():
        problem(api.client.post("/v1/events", content=body), 400, "malformed-json")


def _envelope(api: Api, **changes: Any) -> dict[str, Any]:
    envelope = api.fixture.registration(1)
    envelope.update(changes)
    return envelope


@pytest.mark.parametrize(
    "change",
    [
        {"payloadType": "application/json"},
        {"signatures": []},
        {"extra": 1},
        {"payload": "not base64!"},
        {"signatures": [{"keyid": "K", "sig": base64.b64encode(b"x" * 64).decode()}]},
    ],
    ids=["payload-type", "no-signatures", "extra-field", "payload-not-base64", "bad-keyid"],
)
def test_a_malformed_envelope_is_refused(api: Api, change: dict[str, Any]) -> None:
    with api.unchanged():
        body = problem(api.post(_envelope(api, **change)), 400, "malformed-envelope")
    assert body["event_index"] == 0
    assert body["instance"] == "/v1/events"


def test_a_non_canonical_payload_is_refused(api: Api) -> None:
    envelope = api.fixture.registration(1)
    payload = json.loads(unb64(envelope["payload"]))
    spaced = json.dumps(payload, ensure_ascii=False).encode()  # ", " and ": " separators: valid, not canonical
    envelope = sign_envelope(PAYLOAD_TYPE, spaced, [api.fixture.registrar]).to_json()  # correctly signed
    with api.unchanged():
        problem(api.post(envelope), 400, "non-canonical-payload")


def test_an_invalid_payload_is_refused(api: Api) -> None:
    producer = _producer(api)
    payload = production_payload(
        producer.key, HAM, "L1", product="火腿", category="food", quantity=0, unit="件", place="宣威市"
    )
    with api.unchanged():
        problem(api.post(signed(payload, producer.key)), 400, "invalid-payload")


@pytest.mark.parametrize(
    ("field", "text", "control"),
    [("place", "宣威市\r云南", "U+000D"), ("product", "宣威火腿\x1b[31m", "U+001B"), ("unit", "件\x85", "U+0085")],
)
def test_a_control_character_in_a_display_field_is_refused_naming_the_field(
    api: Api, field: str, text: str, control: str
) -> None:
    producer = _producer(api)
    fields = {"product": "宣威火腿", "unit": "件", "place": "宣威市", field: text}
    payload = production_payload(
        producer.key, HAM, "L1", product=fields["product"], category="food", quantity=10, unit=fields["unit"],
        place=fields["place"],
    )  # fmt: skip
    with api.unchanged():
        body = problem(api.post(signed(payload, producer.key)), 400, "invalid-payload")
    assert (
        body["detail"] == f"event 0 of the batch: data.{field}: Value error, text holds the control character {control}"
    )


def test_an_unknown_key_is_refused(api: Api) -> None:
    stranger = SigningKey.generate()
    payload = registration_payload(stranger, make_uscc(7), "无名", ["merchant"], [stranger.public_key])
    with api.unchanged():
        problem(api.post(signed(payload, stranger)), 403, "unknown-key")


def test_a_bad_signature_is_refused(api: Api) -> None:
    envelope = api.fixture.registration(1)
    sig = bytearray(unb64(envelope["signatures"][0]["sig"]))
    sig[0] ^= 1
    envelope["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    with api.unchanged():
        problem(api.post(envelope), 403, "bad-envelope-signature")


def test_the_same_event_with_other_signatures_is_a_409_conflict(api: Api) -> None:
    envelope = api.fixture.registration(1)
    api.post(envelope)
    payload = EventPayload.from_json(json.loads(unb64(envelope["payload"])))
    twice = signed(payload, api.fixture.registrar, SigningKey.generate())
    with api.unchanged():
        problem(api.post(twice), 409, "event-conflict")


def test_an_envelope_over_64_kib_is_413(api: Api) -> None:
    envelope = api.fixture.registration(1)
    envelope["payload"] = base64.b64encode(b"x" * 70_000).decode()
    with api.unchanged():
        problem(api.post(envelope), 413, "envelope-too-large")


def test_a_request_over_the_body_limit_is_413(api: Api) -> None:
    body = b"[" + b" " * (8 * 1024 * 1024) + b"]"
    with api.unchanged():
        problem(api.client.post("/v1/events", content=body), 413, "request-too-large")


@pytest.mark.parametrize("count", [0, MAX_BATCH + 1])
def test_a_batch_of_the_wrong_size_is_refused(api: Api, count: int) -> None:
    envelope = api.fixture.registration(1)
    with api.unchanged():
        body = problem(api.post([envelope] * count), 400, "invalid-event")
    assert "event_index" not in body


def test_a_batch_with_one_bad_envelope_stores_nothing_and_names_it(api: Api) -> None:
    envelopes = [api.fixture.registration(n) for n in range(1, 6)]
    envelopes[3]["signatures"][0]["sig"] = envelopes[2]["signatures"][0]["sig"]
    with api.unchanged():
        body = problem(api.post(envelopes), 403, "bad-envelope-signature")
    assert body["event_index"] == 3
    assert "event 3" in body["detail"]


def test_a_batch_with_a_non_object_is_refused_at_its_position(api: Api) -> None:
    with api.unchanged():
        body = problem(api.post([api.fixture.registration(1), "envelope"]), 400, "malformed-envelope")
    assert body["event_index"] == 1


# ---- refused: the rules ------------------------------------------------------------------------------------


def test_rule_violations_are_refused_with_their_own_types(api: Api) -> None:
    """Each violation answers its own problem type and status, and stores nothing."""
    world = api.world
    producer = _producer(api)
    unlicensed = world.register("无证火腿作坊", "producer", prefixes=("690124",))
    merchant = world.register("曲靖云品优选电子商务有限公司", "merchant", licences=("food_business",))
    regulator = world.register("曲靖市市场监督管理局", "regulator")
    batch = batch_subject(HAM, "XW2026-11").path
    production = world.produce(producer, HAM, "XW2026-11", 10)

    def produce(party: Party, item: str, lot: str) -> dict[str, Any]:
        payload = production_payload(
            party.key, item, lot, product="宣威火腿", category="food", quantity=5, unit="件", place="宣威市"
        )
        return signed(payload, party.key)

    cases: list[tuple[dict[str, Any], int, str]] = [
        (produce(producer, HAM, "XW2026-11"), 409, "batch-exists"),
        (produce(producer, gtin("690999", 1), "L1"), 422, "gtin-prefix-not-owned"),
        (produce(unlicensed, gtin("690124", 1), "L1"), 403, "licence-missing"),
        (signed(listing_payload(merchant.key, batch_subject(HAM, "NOPE").path, production, price=1), merchant.key),
         422, "unknown-batch"),
        (signed(world.dispatch_payload(producer, sscc(1), [(batch, 11)], to=merchant), producer.key),
         422, "insufficient-quantity"),
        (signed(listing_payload(producer.key, batch, production, price=1), producer.key), 403, "not-authorized"),
    ]  # fmt: skip
    for envelope, status, slug in cases:
        with api.unchanged():
            problem(api.post(envelope), status, slug)

    sanction = sanction_payload(regulator.key, producer.id, list_="black", reason="假冒伪劣")
    assert api.post(signed(sanction, regulator.key)).status_code == 201
    with api.unchanged():
        problem(api.post(produce(producer, HAM, "XW2026-12")), 403, "black-listed")


def test_one_code_one_sale_serials_never_issued_or_sold_twice_are_problems(api: Api) -> None:
    """A serial outside the batch's labels (a batch of 200 prints 0001 to 0200) is 422 ``serial-not-issued``; a
    second sale of an item a consumer signed for is 409 ``serial-already-sold``; neither stores anything and each
    problem page explains itself (issue 10, item 6)."""
    world = api.world
    producer = _producer(api)
    courier = world.register("曲靖速达快递", "courier")
    batch = batch_subject(HAM, "XW2026-11").path
    production = world.produce(producer, HAM, "XW2026-11", 200)

    def sale(parcel: str, serial: str) -> tuple[SigningKey, dict[str, Any]]:
        consumer = SigningKey.generate()
        payload = dispatch_payload(producer.key, parcel, [Content(batch, 1, (serial,))], [production],
                                   location="宣威市", consignee_key=consumer.public_key)  # fmt: skip
        return consumer, signed(payload, producer.key)

    for serial in ("9999", "ABC", "0201", "200"):
        with api.unchanged():
            body = problem(api.post(sale(sscc(1), serial)[1]), 422, "serial-not-issued")
        assert f"serial '{serial}'" in body["detail"]
        assert "0001 to 0200" in body["detail"]
    consumer, first = sale(sscc(1), "0007")
    assert api.post(first).status_code == 201
    world.handoff(courier, sscc(1))
    head = str(world.parcel(sscc(1))["head"])
    receipt = api.post(signed(signature_payload(consumer, sscc(1), head, condition="intact"), consumer))
    assert receipt.status_code == 201
    with api.unchanged():
        body = problem(api.post(sale(sscc(2), "0007")[1]), 409, "serial-already-sold")
    assert receipt.json()["entries"][0]["event_id"] in body["detail"]
    for slug, status in (("serial-not-issued", 422), ("serial-already-sold", 409)):
        page = api.client.get(f"/problems/{slug}")
        assert page.status_code == 200
        assert f"answered with HTTP status {status}" in page.text


def test_a_second_handoff_from_the_same_custody_head_is_a_409_fork(api: Api) -> None:
    world = api.world
    producer = _producer(api)
    couriers = [world.register(f"曲靖速达快递 {i}", "courier") for i in range(2)]
    batch = batch_subject(HAM, "XW2026-11").path
    world.produce(producer, HAM, "XW2026-11", 10)
    parcel = sscc(1)
    dispatched = api.post(signed(world.dispatch_payload(producer, parcel, [(batch, 2)], to=couriers[0]), producer.key))
    assert dispatched.status_code == 201
    first, second = (world.handoff_payload(courier, parcel) for courier in couriers)
    assert api.post(signed(first, couriers[0].key)).status_code == 201
    with api.unchanged():
        body = problem(api.post(signed(second, couriers[1].key)), 409, "custody-fork")
    assert body["event_index"] == 0
