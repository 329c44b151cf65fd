"""DSSE envelopes (in-toto's Dead Simple Signing Envelope) with Ed25519 signatures over PAE.

The signature covers the pre-authentication encoding of the payload type and bytes, so a payload can never be
re-interpreted under another type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signer.encoding import b64, b64decode_strict
from signer.errors import SignatureError
from signer.keys import SIGNATURE_SIZE, SigningKey, verify_signature


def pae(payload_type: str, payload: bytes) -> bytes:
    """``"DSSEv1" SP len(type) SP type SP len(body) SP body`` with lengths as ASCII decimals of byte counts."""
    type_bytes = payload_type.encode()
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


@dataclass(frozen=True)
class EnvelopeSignature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[EnvelopeSignature, ...]

    def to_json(self) -> dict[str, Any]:
        """The wire form: ``{"payloadType", "payload" (base64), "signatures": [{"keyid", "sig"}]}``."""
        return {
            "payloadType": self.payload_type,
            "payload": b64(self.payload),
            "signatures": [{"keyid": s.keyid, "sig": b64(s.sig)} for s in self.signatures],
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Envelope:
        """Parse the wire form strictly: exactly the three DSSE fields, canonical base64, 64-byte signatures."""
        if not isinstance(obj, Mapping) or set(obj) != {"payloadType", "payload", "signatures"}:
            raise SignatureError("an envelope has exactly the fields payloadType, payload and signatures")
        payload_type, payload, signatures = obj["payloadType"], obj["payload"], obj["signatures"]
        if not isinstance(payload_type, str) or not isinstance(payload, str):
            raise SignatureError("payloadType and payload must be strings")
        if not isinstance(signatures, list) or not signatures:
            raise SignatureError("signatures must be a non-empty list")
        parsed: list[EnvelopeSignature] = []
        for i, item in enumerate(signatures):
            if not isinstance(item, Mapping) or set(item) != {"keyid", "sig"}:
                raise SignatureError(f"signatures[{i}] has exactly the fields keyid and sig")
            keyid, sig = item["keyid"], item["sig"]
            if not isinstance(keyid, str) or not isinstance(sig, str):
                raise SignatureError(f"signatures[{i}].keyid and .sig must be strings")
            raw_sig = b64decode_strict(sig, f"signatures[{i}].sig")
            if len(raw_sig) != SIGNATURE_SIZE:
                raise SignatureError(f"signatures[{i}].sig is not a {SIGNATURE_SIZE}-byte Ed25519 signature")
            parsed.append(EnvelopeSignature(keyid, raw_sig))
        if len({s.keyid for s in parsed}) != len(parsed):
            raise SignatureError("two signatures carry the same keyid")
        return cls(payload_type, b64decode_strict(payload, "payload"), tuple(parsed))

    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)

    def verify(self, public_keys: Mapping[str, bytes]) -> None:
        """Check that every signature verifies under the public key its keyid names."""
        message = self.pae()
        for s in self.signatures:
            key = public_keys.get(s.keyid)
            if key is None or not verify_signature(key, message, s.sig):
                raise SignatureError(f"the signature by key {s.keyid} does not verify")


def sign_envelope(payload_type: str, payload: bytes, keys: Sequence[SigningKey]) -> Envelope:
    """An envelope signed by each key in order, each signature labelled with the key's kid."""
    message = pae(payload_type, payload)
    return Envelope(payload_type, payload, tuple(EnvelopeSignature(k.kid, k.sign(message)) for k in keys))
