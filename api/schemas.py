"""The JSON documents the API answers with, as msgspec Structs so that the OpenAPI schema describes them exactly.

Binary values (entries, hashes, proofs) are standard base64. Entries are always the exact bytes the log hashed,
so a client verifies them without re-encoding anything. A summary the ledger itself computes (``Distribution``,
a trace's ``TracedBatch`` and ``TracedParcel``) is answered as the ledger's own dataclass, which the schema
describes the same way.
"""

from __future__ import annotations

import msgspec

from ledger.history import Distribution
from ledger.trace import Direction, Relation, TracedBatch, TracedParcel


class AppendedEntry(msgspec.Struct):
    index: int
    event_id: str
    leaf_hash: str  # base64 of SHA-256(0x00 || entry)
    checkpoint_size: int  # the size of a signed checkpoint that includes the entry


class AppendResponse(msgspec.Struct):
    """One item per submitted envelope, in submission order (a single envelope also gets a list of one)."""

    entries: list[AppendedEntry]


class InclusionProof(msgspec.Struct):
    tree_size: int
    proof: list[str]  # base64 hashes, leaf-adjacent first (RFC 9162 §2.1.3)


class LoggedEntry(msgspec.Struct):
    """An entry's exact bytes and where it sits in the log, with its inclusion proof against a checkpoint."""

    index: int
    event_id: str
    kind: str
    subject: str
    logged_at: str
    entry: str  # base64 of the canonical entry bytes {"envelope": ..., "logged_at": ...}
    inclusion_proof: InclusionProof


class EventResponse(LoggedEntry):
    checkpoint: str  # the signed note text (with any witness cosignatures) that the proof is against


class BatchInfo(msgspec.Struct):
    gtin: str
    lot: str
    product: str
    category: str
    producer: str
    quantity: int
    unit: str
    expiry: str | None


class HistorySummary(msgspec.Struct):
    batch: BatchInfo | None
    distribution: Distribution | None
    parcels: list[str]
    recalled: bool
    black_listed: list[str]  # actors in the history who are on the black list now


class HistoryBundle(msgspec.Struct):
    """DESIGN §2 scan path: every entry about a subject, provable against one checkpoint, with its signers'
    registrations, so that a browser can verify the whole history offline."""

    subject: str  # the canonical subject path
    subject_kind: str  # batch, item or parcel
    checkpoint: str  # the latest signed note; every proof below is against its tree size
    tree_size: int
    entries: list[LoggedEntry]
    registrations: list[LoggedEntry]  # the entries registering every key that signed one of ``entries``
    summary: HistorySummary


class Licence(msgspec.Struct):
    type: str
    number: str
    valid_until: str


class ActorKey(msgspec.Struct):
    kid: str
    public_key: str  # base64 of the raw Ed25519 key
    valid_from: str
    valid_until: str | None
    revoked_at: str | None
    event: str  # the event that registered the key


class Sanction(msgspec.Struct):
    event: str
    list_: str = msgspec.field(name="list")  # black or red
    until: str | None = None


class ActorResponse(msgspec.Struct):
    id: str
    name: str
    roles: list[str]
    licences: list[Licence]
    gs1_prefixes: list[str]
    registration: str  # the latest registration event
    key_event: str  # the latest event that changed the actor's keys
    keys: list[ActorKey]
    sanctions: list[Sanction]  # active sanctions (a black or red list entry, until a time or lifted)
    black_listed: bool  # a black-list sanction is in force now


class InclusionProofResponse(msgspec.Struct):
    index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyProofResponse(msgspec.Struct):
    old_size: int
    new_size: int
    proof: list[str]  # base64 hashes in RFC 9162 §2.1.4 order


class TraceStep(msgspec.Struct):
    """One step of a trace (``ledger.trace.Step``), with the inclusion proof of the entry that proves it. The
    entry's bytes are at ``/v1/events/{event_id}``; SHA-256(0x00 || those bytes) is ``leaf_hash``."""

    relation: Relation
    depth: int  # production hops between the traced subject and ``batch``
    batch: str
    quantity: int | None  # of ``batch``; null for production links
    parcel: str | None
    from_actor: str | None
    to_actor: str | None
    consignee: str | None  # a consumer's key id
    event_id: str
    leaf_index: int
    leaf_hash: str  # base64
    logged_at: str
    inclusion_proof: InclusionProof


class TraceResponse(msgspec.Struct):
    """Where a batch, item or parcel went (forward) or came from (backward), every step provable against one
    checkpoint."""

    subject: str  # the canonical subject path
    subject_kind: str  # batch, item or parcel
    direction: Direction
    depth: int  # the production hops followed
    checkpoint: str  # the latest signed note; every proof below is against its tree size
    tree_size: int
    batches: list[TracedBatch]  # the subject's batch (or a parcel's batches) first, then by depth
    parcels: list[TracedParcel]  # in dispatch order
    steps: list[TraceStep]  # by depth, then in log order


class RiskResponse(msgspec.Struct):
    """A logged risk finding in the regulators' queue (``GET /v1/risks``)."""

    finding: str  # the risk.finding event id
    index: int
    logged_at: str
    detector: str
    subject: str
    actor: str | None  # USCC of the actor at issue
    evidence: list[str]  # the event ids it cites
    status: str  # open, or acted once a sanction or recall names it
    actions: list[str]  # those sanctions and recalls


class RiskQueue(msgspec.Struct):
    risks: list[RiskResponse]


class ComplaintResponse(msgspec.Struct):
    """A logged complaint in the complaint queue (``GET /v1/complaints``): its ``complaints`` view row, its due
    time and whether it is overdue."""

    complaint: str  # the complaint event id
    index: int
    subject: str
    by: str  # the complainant's key id
    category: str
    channel: str  # consumer, or the hotline it was imported from
    against: str | None  # USCC of the actor complained about
    filed_at: str
    due: str | None  # filed_at + 7 days: the answer is due
    overdue: bool  # still open at the time asked about (default now), past its due time
    status: str  # open or resolved
    resolution: str | None
    outcome: str | None
    reason: str | None
    resolved_at: str | None
    resolution_seconds: int | None


class ComplaintQueue(msgspec.Struct):
    at: str  # the time the overdue flags were judged at
    complaints: list[ComplaintResponse]
