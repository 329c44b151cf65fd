from __future__ import annotations

import base64
import json
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.errors import (
    BadEnvelopeSignature,
    EnvelopeTooLarge,
    InvalidAttachment,
    InvalidEventError,
    InvalidIdentifier,
    InvalidPayload,
    MalformedEnvelope,
    NonCanonicalPayload,
)
from ledger.events import (
    PAYLOAD_TYPE,
    AttachmentRef,
    EventPayload,
    LogEntry,
    canonical_json,
    check_clock,
    event_id_of,
    log_time,
    open_attachment,
    parse_envelope,
    seal_attachment,
    sign_event,
    verify_signatures,
)
from signer.dsse import sign_envelope
from signer.keys import SigningKey

KEY = SigningKey.from_seed(b"k" * 32)


def payload(**changes: Any) -> dict[str, Any]:
    base = {
        "kind": "shipment",
        "subject": "00/069012340000000016",
        "actor": KEY.kid,
        "time": "2026-11-29T08:00:00Z",
        "parents": ["ab" * 32],
        "data": {"type": "handoff", "from": "91110000600037341L", "location": "曲靖市麒麟区 分拨中心"},
        "attachments": [],
    }
    return {**base, **changes}


def envelope_of(document: dict[str, Any], key: SigningKey = KEY) -> dict[str, Any]:
    return sign_envelope(PAYLOAD_TYPE, canonical_json(document), [key]).to_json()


def test_event_id_is_sha256_of_the_canonical_payload() -> None:
    event = parse_envelope(envelope_of(payload()))
    assert event.event_id == event_id_of(canonical_json(payload()))
    assert event.payload.data["location"] == "曲靖市麒麟区 分拨中心"


def test_bytes_and_decoded_submissions_parse_alike() -> None:
    envelope = envelope_of(payload())
    assert parse_envelope(json.dumps(envelope).encode()) == parse_envelope(envelope)


def test_event_ids_do_not_depend_on_signatures() -> None:
    other = SigningKey.from_seed(b"o" * 32)
    a = parse_envelope(envelope_of(payload()))
    b = parse_envelope(sign_envelope(PAYLOAD_TYPE, canonical_json(payload()), [KEY, other]).to_json())
    assert a.event_id == b.event_id
    assert a.envelope_bytes != b.envelope_bytes


@pytest.mark.parametrize(
    ("document", "error"),
    [
        (payload(kind="teleport"), InvalidPayload),
        (payload(actor="XYZ"), InvalidPayload),
        (payload(time="2026-11-29 08:00:00"), InvalidPayload),
        (payload(time="2026-02-30T08:00:00Z"), InvalidPayload),
        (payload(parents=["ab" * 32, "ab" * 32]), InvalidPayload),
        (payload(parents=["nothex"]), InvalidPayload),
        (payload(data=[]), InvalidPayload),
        (payload(data={"type": "handoff", "from": "91110000600037341X", "location": "x"}), InvalidIdentifier),
        (payload(data={"type": "handoff", "from": "91110000600037341L"}), InvalidPayload),
        (payload(subject="01/06901234567892/10/A1"), InvalidPayload),
        (payload(subject="00/069012340000000017"), InvalidEventError),
        (payload(attachments=[{"digest": "md5:00", "media_type": "text/plain", "size": 1}]), InvalidPayload),
        (payload(attachments=[{"digest": "sha256:" + "0" * 64, "media_type": "Text", "size": 1}]), InvalidPayload),
        (
            payload(attachments=[{"digest": "sha256:" + "0" * 64, "media_type": "text/plain", "size": -1}]),
            InvalidPayload,
        ),
        ({k: v for k, v in payload().items() if k != "parents"}, InvalidPayload),
        ({**payload(), "extra": 1}, InvalidPayload),
    ],
)
def test_invalid_payload_fields_are_named(document: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_envelope(envelope_of(document))


def test_envelope_shape_limits_and_canonical_form() -> None:
    good = envelope_of(payload())
    with pytest.raises(MalformedEnvelope):
        parse_envelope({**good, "payloadType": "application/json"})
    with pytest.raises(MalformedEnvelope):
        parse_envelope(b"[1, 2")
    with pytest.raises(MalformedEnvelope, match="no signature by its actor"):
        parse_envelope(envelope_of(payload(actor="cd" * 16)))
    with pytest.raises(MalformedEnvelope, match="keyid"):
        parse_envelope({**good, "signatures": [{**good["signatures"][0], "keyid": "KEY"}]})
    with pytest.raises(EnvelopeTooLarge):
        parse_envelope(envelope_of(payload(data={"x": "茶" * 30000})))
    loose = json.dumps(payload()).encode()
    with pytest.raises(NonCanonicalPayload):
        parse_envelope({**good, "payload": base64.b64encode(loose).decode()})
    floaty = canonical_json(payload())[:-1] + b',"z":1.5}'
    with pytest.raises(NonCanonicalPayload):
        parse_envelope({**good, "payload": base64.b64encode(floaty).decode()})


def test_a_parsed_event_survives_pickling_between_processes() -> None:
    event = parse_envelope(envelope_of(payload()))
    assert pickle.loads(pickle.dumps(event)) == event


def test_signatures_verify_under_the_keys_found_and_those_without_a_key_are_named() -> None:
    other = SigningKey.from_seed(b"o" * 32)
    event = parse_envelope(sign_envelope(PAYLOAD_TYPE, canonical_json(payload()), [KEY, other]).to_json())
    both = {KEY.kid: KEY.public_key, other.kid: other.public_key}
    assert verify_signatures(event, both.get) == []
    assert verify_signatures(event, {KEY.kid: KEY.public_key}.get) == [1]
    nothing: dict[str, bytes] = {}
    assert verify_signatures(event, nothing.get, skip=[0]) == [1]
    swapped = {KEY.kid: other.public_key, other.kid: KEY.public_key}
    with pytest.raises(BadEnvelopeSignature, match=KEY.kid):
        verify_signatures(event, swapped.get)
    assert verify_signatures(event, {other.kid: KEY.public_key}.get, skip=[1]) == [0]


def test_log_entry_is_canonical_and_round_trips() -> None:
    event = parse_envelope(envelope_of(payload()))
    stamp = log_time(datetime(2026, 11, 29, 8, 0, 1, 234000, tzinfo=UTC))
    entry = LogEntry.create(event, stamp)
    assert stamp == "2026-11-29T08:00:01.234Z"
    assert entry.data == canonical_json({"envelope": event.envelope_json, "logged_at": stamp})
    assert LogEntry.parse(entry.data) == entry
    with pytest.raises(InvalidEventError):
        LogEntry.parse(entry.data.replace(b'{"envelope"', b'{ "envelope"'))


def test_clock_window() -> None:
    event = parse_envelope(envelope_of(payload()))
    claimed = event.payload.moment
    check_clock(event.payload, claimed - timedelta(minutes=5))
    check_clock(event.payload, claimed + timedelta(days=7))
    with pytest.raises(InvalidPayload):
        check_clock(event.payload, claimed - timedelta(minutes=5, seconds=1))
    with pytest.raises(InvalidPayload):
        check_clock(event.payload, claimed + timedelta(days=7, seconds=1))


def test_attachments_are_salted_and_checked() -> None:
    a = seal_attachment("差评：火腿发霉".encode(), "text/plain; charset=utf-8")
    b = seal_attachment("差评：火腿发霉".encode(), "text/plain; charset=utf-8")
    assert a.ref.digest != b.ref.digest  # the salt hides equal texts
    assert open_attachment(a.stored, a.ref).content == "差评：火腿发霉".encode()
    with pytest.raises(InvalidAttachment):
        open_attachment(a.stored[:-1] + b"x", a.ref)
    with pytest.raises(InvalidAttachment):
        open_attachment(b.stored, a.ref)
    with pytest.raises(InvalidAttachment):  # a corrupted stored reference is a mismatch, not a crash
        open_attachment(a.stored, AttachmentRef("sha256:火" + a.ref.digest[8:], a.ref.media_type, a.ref.size))
    signed = sign_event(EventPayload.from_json(payload(attachments=[a.ref.to_json()])), [KEY])
    assert parse_envelope(signed.to_json()).payload.attachments == (a.ref,)
