"""The ledger's rules (DESIGN §4): what each event kind may do given the state so far.

Pure functions over a ``State``: they read views, raise a typed ``RuleViolation`` or record the view changes
the event makes. Ingest, reindex and audit all call ``apply_event``, so there is one definition of what is
allowed. Signatures are verified before the rules run; the rules decide whether the keys that signed may.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime

from ledger.errors import UnknownKey
from ledger.events import ParsedEvent, check_clock, verify_signatures
from ledger.events.schemas import (
    ActorKeys,
    ActorRegister,
    Aggregation,
    AttachmentErasure,
    Dispatch,
    Genesis,
    Production,
    Recall,
    RiskFinding,
    Sanction,
)
from ledger.identifiers import parse_subject
from ledger.rules import actors, commitments, credit_file, erasure, feedback, goods, pallets, ratings, risk, serials
from ledger.rules.conservation import check_conservation
from ledger.rules.context import Context
from ledger.rules.state import State, ViewRow
from ledger.rules.views import (
    ACTOR_COMMITMENTS,
    ACTORS,
    ATTACHED,
    BATCHES,
    COMMITTED_PARCELS,
    COMPLAINTS,
    EVENTS,
    GS1_PREFIXES,
    ITEMS,
    KEYS,
    PARCELS,
    PUBLIC_KEYS,
    RATINGS,
    RECEIPTS,
    RETURNS,
    REVIEWS,
    RISK_EVIDENCE,
    RISK_FINGERPRINTS,
    RISKS,
    SANCTIONS,
    EventRow,
    PublicKeyRow,
)
from signer.encoding import b64, b64decode_strict
from signer.keys import kid_of

__all__ = [
    "State", "apply_event", "authenticate", "check_conservation", "introduced_keys", "prefetch", "public_key_of",
    "rows_read_by",
]  # fmt: skip

RULES: dict[str, Callable[[Context], None]] = {
    "genesis": actors.genesis,
    "actor.register": actors.register,
    "actor.keys": actors.update_keys,
    "sanction": actors.sanction,
    "production": goods.production,
    "inspection": goods.inspection,
    "listing": goods.listing,
    "recall": goods.recall,
    "shipment": pallets.shipment,  # dispatch and handoff in custody, aggregation in pallets
    "signature": pallets.signature,
    "review": feedback.review,
    "complaint": feedback.complaint,
    "complaint.resolution": feedback.resolution,
    "attachment.erasure": erasure.erasure,
    "risk.finding": risk.finding,
    "rating": ratings.rating,
    "commitment": commitments.commitment,
    "return.request": commitments.return_request,
}


def introduced_keys(event: ParsedEvent) -> dict[str, bytes]:
    """Public keys an event declares, by kid, so signatures in the same batch can be checked before it commits.

    The event's data already passed its kind's schema, so every key here is canonical base64 of 32 bytes.
    """
    data = event.data
    encoded: list[str] = []
    if isinstance(data, Genesis):
        encoded = [data.operator_key, *(key for r in data.registrars for key in r.keys)]
    elif isinstance(data, ActorRegister):
        encoded = [grant.public_key for grant in data.keys]
    elif isinstance(data, ActorKeys):
        encoded = [grant.public_key for grant in data.add]
    elif isinstance(data, Dispatch) and data.consignee_key:
        encoded = [data.consignee_key]
    keys = [b64decode_strict(text, "public key") for text in encoded]
    return {kid_of(key): key for key in keys}


#: The views a kind's rule reads about its parents (others read their kind from ``events``). Custody moves check
#: their parent against the parcel's head and read ``spends`` only to name a fork, so they prefetch nothing.
_PARENT_VIEWS: dict[str, tuple[str, ...]] = {
    "shipment": (),
    "signature": (),
    "review": (REVIEWS, RECEIPTS),
    "complaint": (RECEIPTS,),
    "complaint.resolution": (COMPLAINTS,),
    "rating": (RATINGS, RECEIPTS),
    "return.request": (RECEIPTS,),
}


def rows_read_by(events: Sequence[ParsedEvent]) -> set[ViewRow]:
    """The view rows deciding ``events`` will probably read: a pure hint, so workers compute it while parsing."""
    rows: set[ViewRow] = set()
    add = rows.add
    for event in events:
        payload, data = event.payload, event.data
        add((KEYS, payload.actor))
        for kid in introduced_keys(event):
            add((KEYS, kid))
            add((PUBLIC_KEYS, kid))
        for parent in payload.parents:
            for view in _PARENT_VIEWS.get(payload.kind, (EVENTS,)):
                add((view, parent))
        subject = parse_subject(payload.subject)
        if subject.actor_id is not None:
            add((ACTORS, subject.actor_id))
            add((SANCTIONS, subject.actor_id))
        if subject.batch_path is not None:
            add((BATCHES, subject.batch_path))
        if subject.kind == "item":
            add((ITEMS, subject.path))
        elif subject.kind == "parcel":
            add((PARCELS, subject.path))
            rows.update((view, subject.path) for view in (COMMITTED_PARCELS, RETURNS))  # commitments.observe
        rows.update((ATTACHED, attachment.digest) for attachment in payload.attachments)
        if isinstance(data, AttachmentErasure):
            add((ATTACHED, data.digest))
        elif isinstance(data, RiskFinding):
            scanned = payload.subject if data.scans else None
            add((RISK_FINGERPRINTS, risk.fingerprint(data.detector, data.evidence, scanned)))
            rows.update((view, e) for e in data.evidence for view in (EVENTS, RISK_EVIDENCE))
        if isinstance(data, Sanction | Recall) and data.finding is not None:  # acting on a finding
            add((RISKS, data.finding))
        if isinstance(data, Dispatch):
            for content in data.contents:
                add((BATCHES, content.batch))
        elif isinstance(data, Aggregation):
            rows.update((PARCELS, path) for path in data.parcels)
        elif isinstance(data, Production) and data.inputs:
            rows.update((BATCHES, used.batch) for used in data.inputs)
        elif isinstance(data, ActorRegister):
            for prefix in data.gs1_prefixes:
                rows.update((GS1_PREFIXES, prefix[:end]) for end in range(6, len(prefix) + 1))
    return rows


def prefetch(state: State, events: Sequence[ParsedEvent], rows: Iterable[ViewRow] | None = None) -> None:
    """Load in bulk the view rows deciding ``events`` will probably read (misses are read one by one), then the
    rows of the actors whose keys signed them. ``rows`` is ``rows_read_by(events)`` when already computed."""
    state.prefetch(rows_read_by(events) if rows is None else rows)
    signers = {key["actor"] for key in (state.get(KEYS, e.payload.actor) for e in events) if key}
    state.prefetch({(view, actor) for actor in signers for view in (ACTORS, SANCTIONS, ACTOR_COMMITMENTS)})


def public_key_of(state: State, kid: str) -> bytes | None:
    record = state.get(PUBLIC_KEYS, kid)
    return base64.b64decode(record["public_key"]) if record else None


def authenticate(state: State, event: ParsedEvent, verified: Collection[int] = ()) -> None:
    """Every signature is by a key known at this point of the log, or declared by the event itself (genesis and
    registrations do), and verifies. Signatures numbered in ``verified`` were already verified under a key known
    here (by a worker that read the keys logged before) and are not checked again."""
    own: dict[str, bytes] | None = None

    def known_key(kid: str) -> bytes:
        nonlocal own
        key = public_key_of(state, kid)
        if key is None:
            own = introduced_keys(event) if own is None else own
            key = own.get(kid)
        if key is None:
            raise UnknownKey(f"no key with id {kid} is known to this ledger")
        return key

    verify_signatures(event, known_key, skip=verified)


def apply_event(state: State, event: ParsedEvent, index: int, logged_at: datetime) -> None:
    """Decide ``event`` (signatures already verified) at log position ``index``; record its view changes."""
    check_clock(event.payload, logged_at)
    ctx = Context(state, event, index, logged_at)
    kind = event.payload.kind
    serials.check_item_subject(ctx)  # whatever the kind, an item it names was issued
    RULES["genesis" if index == 0 else kind](ctx)  # the genesis rule refuses anything else at 0, and itself later
    commitments.observe(ctx)  # a custody move may put a parcel under a commitment, or break one
    credit_file.record(ctx)
    erasure.commit(ctx)
    for kid, key in introduced_keys(event).items():
        if state.get(PUBLIC_KEYS, kid) is None:  # the first event to declare a key is where verifiers find it
            declared: PublicKeyRow = {"public_key": b64(key), "event": event.event_id}
            state.put(PUBLIC_KEYS, kid, declared)
    logged: EventRow = {"kind": kind, "subject": event.payload.subject, "actor": event.payload.actor, "index": index}
    state.put(EVENTS, event.event_id, logged)
