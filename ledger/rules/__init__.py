"""The ledger's rules (DESIGN §4): what each event kind may do given the state so far.

Pure functions over a ``State``: they read views, raise a typed ``RuleViolation`` or record the view changes
the event makes. Ingest, reindex and audit all call ``apply_event``, so there is one definition of what is
allowed. Signatures are verified before the rules run; the rules decide whether the keys that signed may.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime

from ledger.events import ParsedEvent, check_clock
from ledger.identifiers import parse_subject
from ledger.rules import actors, custody, feedback, goods
from ledger.rules.context import Context
from ledger.rules.custody import check_conservation
from ledger.rules.state import State, ViewRow
from ledger.rules.views import (
    ACTORS,
    BATCHES,
    COMPLAINTS,
    EVENTS,
    GS1_PREFIXES,
    ITEMS,
    KEYS,
    PARCELS,
    PUBLIC_KEYS,
    RECEIPTS,
    REVIEWS,
    SANCTIONS,
    SPENDS,
)
from signer.encoding import b64, b64decode_strict
from signer.keys import kid_of

__all__ = ["State", "apply_event", "check_conservation", "introduced_keys", "prefetch", "public_key_of"]

RULES: dict[str, Callable[[Context], None]] = {
    "genesis": actors.genesis,
    "actor.register": actors.register,
    "actor.keys": actors.update_keys,
    "sanction": actors.sanction,
    "production": goods.production,
    "inspection": goods.inspection,
    "listing": goods.listing,
    "recall": goods.recall,
    "shipment": custody.shipment,
    "signature": custody.signature,
    "review": feedback.review,
    "complaint": feedback.complaint,
    "complaint.resolution": feedback.resolution,
}


def introduced_keys(event: ParsedEvent) -> dict[str, bytes]:
    """Public keys an event declares, by kid, so signatures in the same batch can be checked before it commits.

    The event's data already passed its kind's schema, so every key here is canonical base64 of 32 bytes.
    """
    data, kind = event.payload.data, event.payload.kind
    encoded: list[str] = []
    if kind == "genesis":
        encoded = [data["operator_key"], *(key for r in data["registrars"] for key in r["keys"])]
    elif kind == "actor.register":
        encoded = [grant["public_key"] for grant in data["keys"]]
    elif kind == "actor.keys":
        encoded = [grant["public_key"] for grant in data["add"]]
    elif kind == "shipment" and data.get("consignee_key"):
        encoded = [data["consignee_key"]]
    keys = [b64decode_strict(text, "public key") for text in encoded]
    return {kid_of(key): key for key in keys}


def prefetch(state: State, events: Sequence[ParsedEvent]) -> None:
    """Load in bulk the view rows deciding ``events`` will probably read (a hint; misses are read one by one)."""
    rows: set[ViewRow] = set()
    for event in events:
        payload, data = event.payload, event.payload.data
        rows.update(((KEYS, payload.actor), (EVENTS, event.event_id)))
        rows.update((KEYS, kid) for kid in introduced_keys(event))
        for parent in payload.parents:
            rows.update((view, parent) for view in (EVENTS, SPENDS, RECEIPTS, REVIEWS, COMPLAINTS))
        subject = parse_subject(payload.subject)
        if subject.actor_id is not None:
            rows.update(((ACTORS, subject.actor_id), (SANCTIONS, subject.actor_id)))
        if subject.batch_path is not None:
            rows.add((BATCHES, subject.batch_path))
        if subject.kind in ("item", "parcel"):
            rows.add((ITEMS if subject.kind == "item" else PARCELS, subject.path))
        rows.update((BATCHES, content["batch"]) for content in data.get("contents", ()))
        rows.update((GS1_PREFIXES, p[:end]) for p in data.get("gs1_prefixes", ()) for end in range(6, len(p) + 1))
    state.prefetch(rows)
    signers = {str(key["actor"]) for key in (state.get(KEYS, e.payload.actor) for e in events) if key}
    state.prefetch({(view, actor) for actor in signers for view in (ACTORS, SANCTIONS)})


def public_key_of(state: State, kid: str) -> bytes | None:
    record = state.get(PUBLIC_KEYS, kid)
    return base64.b64decode(record["public_key"]) if record else None


def apply_event(state: State, event: ParsedEvent, index: int, logged_at: datetime) -> None:
    """Decide ``event`` (signatures already verified) at log position ``index``; record its view changes."""
    check_clock(event.payload, logged_at)
    ctx = Context(state, event, index, logged_at)
    kind = event.payload.kind
    RULES["genesis" if index == 0 else kind](ctx)  # the genesis rule refuses anything else at 0, and itself later
    for kid, key in introduced_keys(event).items():
        if state.get(PUBLIC_KEYS, kid) is None:  # the first event to declare a key is where verifiers find it
            state.put(PUBLIC_KEYS, kid, {"public_key": b64(key), "event": event.event_id})
    state.put(EVENTS, event.event_id, {
        "kind": kind, "subject": event.payload.subject, "actor": event.payload.actor, "index": index,
    })  # fmt: skip
