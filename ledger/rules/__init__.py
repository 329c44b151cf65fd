"""The ledger's rules (DESIGN §4): what each event kind may do given the state so far.

Pure functions over a ``State``: they read views, raise a typed ``RuleViolation`` or record the view changes
the event makes. Ingest, reindex and audit all call ``apply_event``, so there is one definition of what is
allowed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ledger.errors import GenesisViolation, InvalidPayload, UnknownKey
from ledger.events import ParsedEvent, format_time
from ledger.rules.state import State
from signer.keys import kid_of

KEYS = "keys"
PUBLIC_KEYS = "public_keys"  # every kid ever introduced → its public key (a kid names one key forever)
LOG = "log"


def _public_key(text: object, where: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidPayload(f"{where} must be a base64 Ed25519 public key")
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise InvalidPayload(f"{where} is not base64") from None
    if len(raw) != 32 or base64.b64encode(raw).decode() != text:
        raise InvalidPayload(f"{where} must be a canonical base64 32-byte Ed25519 public key")
    return raw


def introduced_keys(event: ParsedEvent) -> dict[str, bytes]:
    """Public keys an event declares, by kid, so signatures in the same batch can be checked before it commits."""
    data = event.payload.data
    keys: dict[str, bytes] = {}
    if event.payload.kind == "genesis":
        operator = _public_key(data.get("operator_key"), "data.operator_key")
        keys[kid_of(operator)] = operator
        for i, registrar in enumerate(_list(data.get("registrars"), "data.registrars")):
            for j, key in enumerate(_list(_field(registrar, "keys", f"data.registrars[{i}]"), "keys")):
                raw = _public_key(key, f"data.registrars[{i}].keys[{j}]")
                keys[kid_of(raw)] = raw
    return keys


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidPayload(f"{where} must be a list")
    return value


def _field(obj: object, name: str, where: str) -> object:
    if not isinstance(obj, Mapping) or name not in obj:
        raise InvalidPayload(f"{where} must be an object with a {name!r} field")
    return obj[name]


def public_key_of(state: State, kid: str) -> bytes | None:
    record = state.get(PUBLIC_KEYS, kid)
    return base64.b64decode(record["public_key"]) if record else None


def apply_event(state: State, event: ParsedEvent, index: int, logged_at: datetime) -> None:
    """Check ``event`` (already signature-verified) against the state and record its changes."""
    payload = event.payload
    for kid, key in introduced_keys(event).items():
        state.put(PUBLIC_KEYS, kid, {"public_key": base64.b64encode(key).decode("ascii")})
    if payload.kind == "genesis" or index == 0:
        _apply_genesis(state, event, index, logged_at)
        return
    for signature in event.envelope.signatures:
        record = state.get(KEYS, signature.keyid)
        if record is None or record.get("revoked_at") is not None:
            raise UnknownKey(f"key {signature.keyid} is not a registered, unrevoked key of this ledger")


def _apply_genesis(state: State, event: ParsedEvent, index: int, logged_at: datetime) -> None:
    if index != 0 or event.payload.kind != "genesis":
        raise GenesisViolation(f"entry {index} is a {event.payload.kind}; genesis is entry 0 and only entry 0")
    operator = _public_key(event.payload.data.get("operator_key"), "data.operator_key")
    if event.payload.actor != kid_of(operator):
        raise GenesisViolation("genesis must be signed by the operator key it names")
    stamp = format_time(logged_at)
    for registrar in event.payload.data["registrars"]:
        for key in registrar["keys"]:
            state.put(
                KEYS,
                kid_of(_public_key(key, "key")),
                {
                    "actor": registrar["id"],
                    "public_key": key,
                    "valid_from": stamp,
                    "revoked_at": None,
                },
            )
    state.put(LOG, "genesis", {"origin": event.payload.data.get("origin"), "event_id": event.event_id})
