"""Builders for the events the ledger itself creates (genesis), shared by the CLI, the demo and the tests."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.events.envelope import sign_event
from ledger.events.payload import EventPayload, format_time
from signer.dsse import Envelope
from signer.keys import SigningKey
from signer.note import NoteSigner


@dataclass(frozen=True)
class Registrar:
    """A first registrar named in genesis: an organisation (USCC), its public name and its public keys."""

    actor_id: str
    name: str
    public_keys: tuple[bytes, ...]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def genesis_envelope(
    origin: str, log_key: SigningKey, registrars: Sequence[Registrar], *, time: datetime | None = None
) -> Envelope:
    """Entry 0: names the origin, the log's verifier key and the first registrars; signed by the log key."""
    payload = EventPayload(
        kind="genesis",
        subject="log",
        actor=log_key.kid,
        time=format_time(time or datetime.now(UTC)),
        data={
            "origin": origin,
            "log_vkey": NoteSigner(origin, log_key).vkey,
            "operator_key": b64(log_key.public_key),
            "registrars": [
                {"id": r.actor_id, "name": r.name, "keys": [b64(k) for k in r.public_keys]} for r in registrars
            ],
        },
    )
    return sign_event(payload, [log_key])


@dataclass(frozen=True)
class Licence:
    type: str  # e.g. food_production, drug_manufacturing, food_business
    number: str
    valid_until: str  # RFC 3339 UTC

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "number": self.number, "valid_until": self.valid_until}


def registration_payload(
    registrar: SigningKey,
    actor_id: str,
    name: str,
    roles: Sequence[str],
    public_keys: Sequence[bytes],
    *,
    licences: Sequence[Licence] = (),
    gs1_prefixes: Sequence[str] = (),
    parents: Sequence[str] = (),
    time: datetime | None = None,
) -> EventPayload:
    """An ``actor.register`` payload: a registrar vouches for an organisation's identity, roles and keys."""
    return EventPayload(
        kind="actor.register",
        subject=f"actor/{actor_id}",
        actor=registrar.kid,
        time=format_time(time or datetime.now(UTC)),
        parents=tuple(parents),
        data={
            "name": name,
            "roles": sorted(roles),
            "licences": [licence.to_json() for licence in licences],
            "gs1_prefixes": list(gs1_prefixes),
            "keys": [{"public_key": b64(k)} for k in public_keys],
        },
    )
