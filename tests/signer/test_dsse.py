from __future__ import annotations

import base64

import pytest

from signer.dsse import Envelope, pae, sign_envelope
from signer.errors import SignatureError
from signer.keys import SigningKey


def test_pae_matches_the_dsse_specification_example() -> None:
    # DSSE protocol.md: PAE("http://example.com/HelloWorld", "hello world")
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    assert pae("t", "茶".encode()) == b"DSSEv1 1 t 3 " + "茶".encode()


def test_sign_verify_and_wire_round_trip() -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    envelope = sign_envelope("application/x", b"{}", [a, b])
    parsed = Envelope.from_json(envelope.to_json())
    assert parsed == envelope
    parsed.verify({a.kid: a.public_key, b.kid: b.public_key})
    with pytest.raises(SignatureError):
        parsed.verify({a.kid: a.public_key})
    with pytest.raises(SignatureError):
        Envelope("application/y", parsed.payload, parsed.signatures).verify({a.kid: a.public_key, b.kid: b.public_key})


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: {**e, "extra": 1},
        lambda e: {k: v for k, v in e.items() if k != "payload"},
        lambda e: {**e, "signatures": []},
        lambda e: {**e, "payload": e["payload"].rstrip("=")},
        lambda e: {**e, "payload": 5},
        lambda e: {**e, "signatures": [{"keyid": "x", "sig": base64.b64encode(b"short").decode()}]},
        lambda e: {**e, "signatures": [e["signatures"][0], e["signatures"][0]]},
        lambda e: {**e, "signatures": [{"keyid": "x"}]},
    ],
)
def test_malformed_envelopes_are_rejected(mutate: object) -> None:
    envelope = sign_envelope("application/x", b'{"a":1}', [SigningKey.generate()]).to_json()
    assert callable(mutate)
    with pytest.raises(SignatureError):
        Envelope.from_json(mutate(envelope))
