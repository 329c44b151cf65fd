"""The derived views the rules keep, by name, with the shape of their rows.

Rows are JSON objects (stored as canonical JSON), keyed by a string. Each view's name is a ``View`` typed with its
row, a ``TypedDict`` below, so the type checker knows every field the rules, the pages and the API read and write:

- ``events``        event id → the event's kind, subject, signer and index, read from the entries (``IN_ENTRIES``)
- ``public_keys``   kid → every key ever introduced (registered or consignee) and the first event that declared it;
                    a kid names one key forever
- ``keys``          kid → a registered key: its actor, validity and revocation
- ``actors``        USCC → a registered organisation
- ``gs1_prefixes``  every leading part (6+ digits) of a registered company prefix → who holds and who registered it
- ``sanctions``     USCC → the sanctions in force
- ``batches``       batch path → a produced batch, where its quantity is (held, in transit, delivered, consumed
                    as an input), its inspections, listings and reviews (its own and its items', follow-ups
                    included)
- ``items``         item path → its batch, the parcels that carried it, the receipt that sold it and its own
                    reviews, if any
- ``parcels``       parcel path → its contents, destination and custody; a pallet's cases, a case's pallet
- ``spends``        custody head event id → the event that spent it: a head is spent once; a second spend is a fork
                    (a case that travelled on a pallet spends "<head> <case path>": the pallet's events are the
                    heads of all its cases)
- ``receipts``      signature event id → what the consignee signed for, and its reviews
- ``reviews``       review event id → its receipt and subject
- ``complaints``    complaint event id → its subject, who filed it and how it was resolved
- ``attachments``   digest → the first event committing to an attachment, and the ``attachment.erasure`` event that
                    erased its content, if any
- ``log``           "genesis" → the origin and log key the genesis entry names
- ``risks``         risk.finding event id → its detector, subject, actor, evidence, and the sanctions and recalls
                    that acted on it (status open until one does)
- ``risk_fingerprints`` fingerprint of a finding (detector and evidence set) → the finding: each is logged once
- ``risk_evidence`` event id → the findings citing it as evidence (a flagged receipt's reviews leave the averages)
- ``credit``        USCC → the actor's credit file: one section per kind of fact, each fact with the event that
                    produced it, and the credit level the rule derives from them (``ledger.rules.credit``)
- ``ratings``       rating event id → its receipt, who rated whom as what, the rating and its follow-up link
- ``rated``         "<receipt>/<rated party>" → the first rating of that party on that receipt: each is rated once
- ``commitments``   commitment event id → what its actor promised, until when, and the commitment replacing it
- ``actor_commitments`` USCC → its current commitment, every one it made, and each broken (term, parcel, event)
- ``committed_parcels`` parcel path → the commitment its sender was under at dispatch, its delivery deadline and
                    when its consignee signed for it (a return's window starts there)
- ``returns``       return parcel path → the return.request that started it, its receipt, original parcel, sender,
                    deadline, and the sender's arrival handoff that completed it
- ``returned``      receipt (signature event id) → the return parcel taking its goods back: each is returned once
- ``rating_totals`` rated party (a USCC, or a buyer's consignee kid) → its ratings received as courier, as sender
                    and as buyer, follow-ups included
"""

from __future__ import annotations

from typing import Generic, NotRequired, TypedDict, TypeVar

R = TypeVar("R")


class View(str, Generic[R]):
    """A view's name (a plain string wherever it is stored) that also tells the type checker its row type ``R``."""

    __slots__ = ()


class EventRow(TypedDict):
    kind: str
    subject: str
    actor: str  # the signer's kid
    index: int


class PublicKeyRow(TypedDict):
    public_key: str  # base64
    event: str  # the first event that declared the key


class KeyRow(TypedDict):
    actor: str  # USCC
    public_key: str  # base64
    valid_from: str
    valid_until: str | None
    revoked_at: str | None
    event: str  # the event that registered the key


class LicenceRow(TypedDict):
    type: str
    number: str
    valid_until: str


class ActorRow(TypedDict):
    id: str
    name: str
    roles: list[str]
    licences: list[LicenceRow]
    gs1_prefixes: list[str]
    keys: list[str]  # kids, in the order they were registered
    registration: str  # the latest registration event
    key_event: str  # the latest event that changed the actor's keys


class PrefixRow(TypedDict):
    actors: list[str]  # the actors holding a prefix that runs through this part
    registered_by: str | None  # the actor that registered exactly this part


class ActiveSanction(TypedDict):
    event: str
    list: str  # black or red
    until: str | None


class SanctionsRow(TypedDict):
    active: list[ActiveSanction]


class InspectionMark(TypedDict):
    event: str
    result: str


class ListingMark(TypedDict):
    event: str
    merchant: str


class Ratings(TypedDict):
    count: int
    sum: int


class UseMark(TypedDict):
    event: str  # the production that used the batch as an input
    batch: str  # the batch it produced
    quantity: int  # how much of this batch it used


class BatchRow(TypedDict):
    gtin: str
    lot: str
    producer: str
    product: str
    category: str
    quantity: int
    unit: str
    expiry: str | None
    production: str
    inputs: NotRequired[list[str]]  # the production events of the input batches
    inspections: list[InspectionMark]
    listings: list[ListingMark]
    recall: str | None
    holdings: dict[str, int]  # USCC → quantity held
    in_transit: int
    delivered: int
    consumed: NotRequired[int]  # used as an input of productions (present once a production has used some)
    used_in: NotRequired[list[UseMark]]  # those productions, in log order
    reviews: Ratings


class ItemRow(TypedDict):
    batch: str
    parcels: list[str]
    receipt: NotRequired[str]  # the signature that sold it to a consumer; absent while unsold (ledger.rules.serials)
    reviews: NotRequired[Ratings]  # the reviews of the item itself (first reviews and follow-ups); absent until one


class ContentRow(TypedDict):
    batch: str
    quantity: int
    serials: NotRequired[list[str]]


class ParcelRow(TypedDict):
    sender: str
    to: str | None
    consignee: str | None  # the kid of the consumer's key
    contents: list[ContentRow]
    head: str  # the custody head: the event the next custody move must spend
    custodian: str
    status: str  # in_transit, delivered, refused, returned or signed; a pallet's also split
    items: list[str]
    dispatch: str
    handoffs: list[str]  # its handoffs, and those of the pallet it travelled on while aboard
    signature: str | None
    cases: NotRequired[list[str]]  # a pallet: the parcels aggregated onto it (ledger.rules.pallets)
    pallet: NotRequired[str]  # a case: the pallet it was last aggregated onto
    aboard: NotRequired[bool]  # a case: on that pallet now (its custody moves with the pallet's)


class SpendRow(TypedDict):
    by: str


class ReceiptRow(TypedDict):
    parcel: str
    consignee: str
    sender: str
    batches: list[str]
    items: list[str]
    reviews: list[str]


class ReviewRow(TypedDict):
    receipt: str
    subject: str


class ComplaintRow(TypedDict):
    subject: str
    by: str  # the complainant's kid
    category: str
    channel: str  # consumer (a consignee key's own) or the hotline it was imported from (ledger.events.schemas)
    against: str | None  # USCC of the actor complained about: the actor, a batch's producer, a parcel's sender
    index: int  # the complaint's log position (the queue's order)
    filed_at: str  # log time of the complaint (RFC 3339, seconds)
    status: str  # open or resolved
    resolution: str | None
    outcome: str | None
    reason: str | None  # the resolution's reason (None for one logged before reasons were required)
    resolved_at: str | None
    resolution_seconds: int | None  # filed_at to resolved_at


class AttachedRow(TypedDict):
    event: str  # the first event committing to the attachment
    subject: str
    signer: str  # that event's signer (kid)
    erasure: str | None  # the attachment.erasure event that erased its content


class LogRow(TypedDict):
    origin: str
    log_vkey: str
    event: str


class RiskRow(TypedDict):
    detector: str
    subject: str
    actor: str | None  # USCC of the actor at issue
    evidence: list[str]
    status: str  # open, or acted once a sanction or recall names the finding
    actions: list[str]  # the sanctions and recalls acting on it
    index: int
    logged_at: str


class FingerprintRow(TypedDict):
    finding: str


class FlagRow(TypedDict):
    findings: list[str]  # the risk.finding events citing this event


class RegistrationFact(TypedDict):
    event: str
    at: str  # logged_at
    by: str | None  # the registrar's USCC (None: named by the genesis entry)
    name: str
    roles: list[str]
    licences: list[LicenceRow]


class LiftMark(TypedDict):
    event: str
    at: str
    by: str  # the regulator that lifted it


class SanctionFact(TypedDict):
    event: str
    at: str  # since: when it was logged
    list: str  # black or red
    by: str  # the regulator's USCC
    reason: str
    until: str | None
    finding: str | None  # the risk finding it acts on
    lifted: LiftMark | None


class RecallFact(TypedDict):
    event: str
    at: str
    batch: str
    by: str
    ordered: bool  # by a regulator, not the producer's own
    reason: str
    level: int


class InspectionFact(TypedDict):
    event: str
    at: str
    batch: str
    by: str
    standard: str


class ComplaintFact(TypedDict):
    event: str
    at: str
    subject: str
    category: str
    channel: str
    outcome: str | None
    reason: str | None  # the resolution's (see ComplaintRow)
    resolution: str | None  # the complaint.resolution event
    resolved_at: str | None
    resolution_seconds: int | None


class RatingTally(TypedDict):
    count: int
    sum: int
    stars: list[int]  # how many of each rating, 1 to 5
    latest: str  # the latest review counted


class RiskFact(TypedDict):
    event: str
    at: str
    detector: str
    subject: str
    status: str  # open, or acted
    actions: list[str]


class CommitmentFact(TypedDict):
    event: str
    at: str
    commitment: str  # what was promised (e.g. seven_day_returns)
    status: str  # made, kept or broken
    broken_by: str | None  # the event that showed it broken


class OpenReturnFact(TypedDict):
    """A return the sender has not taken back yet: once ``due`` passes, the level counts its promise broken."""

    event: str  # the return.request
    commitment: str  # the commitment whose returns_7d promise it runs under
    parcel: str  # the return parcel
    due: str


class CreditSections(TypedDict, total=False):
    """One section per kind of fact; a section is absent until its first fact. Add a kind here and in
    ``ledger.rules.credit_file``."""

    registrations: list[RegistrationFact]
    sanctions: list[SanctionFact]
    recalls: list[RecallFact]
    inspections_failed: list[InspectionFact]
    complaints: list[ComplaintFact]
    ratings: RatingTally  # reviews of the batches it produced or sold
    ratings_as_courier: RatingTally
    ratings_as_sender: RatingTally
    ratings_as_buyer: RatingTally
    commitments: list[CommitmentFact]
    returns_open: list[OpenReturnFact]
    risk_findings: list[RiskFact]


class LevelReason(TypedDict):
    reason: str  # e.g. upheld_complaints, black_list (README lists them)
    effect: str  # raises, lowers, or sets_d
    events: list[str]


class CreditLevel(TypedDict):
    rule: str  # the rule's version, e.g. credit-level/2
    level: str  # A, B, C or D
    as_of: str  # the instant time-dependent facts were evaluated at
    because: list[LevelReason]


class CreditRow(TypedDict):
    actor: str
    as_of: str  # the logged_at of the latest entry that touched the file
    touched_by: str  # that entry's event id
    sections: CreditSections
    level: CreditLevel


class RatingRow(TypedDict):
    receipt: str  # the signature the rating (or its first rating) follows
    rater: str  # the kid that signed it
    role: str  # what the rated party was to the parcel: courier, sender or buyer
    ratee: str  # the courier's or sender's USCC, or the buyer's consignee kid
    rating: int
    follows: str | None  # the first rating, when this is its follow-up
    follow_up: str | None  # the follow-up, once a first rating has one


class RatedRow(TypedDict):
    rating: str  # the first rating of the party on the receipt


class RatingTotalsRow(TypedDict):
    received: dict[str, Ratings]  # by role (courier, sender, buyer); a role appears once the party is rated as it


class CommitmentRow(TypedDict):
    actor: str
    returns_7d: bool
    compensation_first: bool
    delivery_within_hours: int | None
    return_within_hours: int  # how long the sender takes to take a return back (default 168: 7 days)
    valid_until: str
    made_at: str
    replaced_by: str | None


class BrokenMark(TypedDict):
    commitment: str
    term: str  # delivery (a parcel delivered late) or return (a return taken back late)
    parcel: str
    due: str
    event: str  # the event that showed it broken: the late delivery, or the late return's arrival


class ActorCommitmentsRow(TypedDict):
    current: str | None  # the latest commitment (in force until its valid_until)
    made: list[str]
    broken: list[BrokenMark]


class CommittedParcelRow(TypedDict):
    commitment: str  # the sender's commitment in force when the parcel was dispatched
    sender: str
    dispatched_at: str
    delivery_due: str | None
    delivered: str | None  # the consignee's signature or the destination's arrival handoff
    received_at: str | None  # when the consignee signed for it (log time): a return's window starts there


class ReturnRow(TypedDict):
    request: str  # the return.request that started the return parcel
    receipt: str
    parcel: str  # the parcel whose goods go back
    sender: str  # who takes them back (and is credited)
    commitment: str
    requested_at: str
    due: str  # the sender takes the return back by then, or breaks its commitment
    completed: str | None  # the sender's arrival handoff
    completed_at: str | None


class ReturnedRow(TypedDict):
    parcel: str  # the return parcel


EVENTS: View[EventRow] = View("events")
PUBLIC_KEYS: View[PublicKeyRow] = View("public_keys")
KEYS: View[KeyRow] = View("keys")
ACTORS: View[ActorRow] = View("actors")
GS1_PREFIXES: View[PrefixRow] = View("gs1_prefixes")
SANCTIONS: View[SanctionsRow] = View("sanctions")
BATCHES: View[BatchRow] = View("batches")
ITEMS: View[ItemRow] = View("items")
PARCELS: View[ParcelRow] = View("parcels")
SPENDS: View[SpendRow] = View("spends")
RECEIPTS: View[ReceiptRow] = View("receipts")
REVIEWS: View[ReviewRow] = View("reviews")
COMPLAINTS: View[ComplaintRow] = View("complaints")
ATTACHED: View[AttachedRow] = View("attachments")
LOG: View[LogRow] = View("log")
RISKS: View[RiskRow] = View("risks")
RISK_FINGERPRINTS: View[FingerprintRow] = View("risk_fingerprints")
RISK_EVIDENCE: View[FlagRow] = View("risk_evidence")
CREDIT: View[CreditRow] = View("credit")
RATINGS: View[RatingRow] = View("ratings")
RATED: View[RatedRow] = View("rated")
RATING_TOTALS: View[RatingTotalsRow] = View("rating_totals")
COMMITMENTS: View[CommitmentRow] = View("commitments")
ACTOR_COMMITMENTS: View[ActorCommitmentsRow] = View("actor_commitments")
COMMITTED_PARCELS: View[CommittedParcelRow] = View("committed_parcels")
RETURNS: View[ReturnRow] = View("returns")
RETURNED: View[ReturnedRow] = View("returned")

ALL_VIEWS = (
    EVENTS, PUBLIC_KEYS, KEYS, ACTORS, GS1_PREFIXES, SANCTIONS, BATCHES, ITEMS, PARCELS, SPENDS, RECEIPTS,
    REVIEWS, COMPLAINTS, ATTACHED, LOG, RISKS, RISK_FINGERPRINTS, RISK_EVIDENCE, CREDIT, RATINGS, RATED,
    RATING_TOTALS, COMMITMENTS, ACTOR_COMMITMENTS, COMMITTED_PARCELS, RETURNS, RETURNED,
)  # fmt: skip

#: Views whose rows are written once and never change. The store inserts them without upsert, so the database
#: itself refuses a second spend of a custody head, a second log of one finding, or a second first rating of one
#: party on one receipt, or a second return of one receipt, even under racing writers.
WRITE_ONCE = frozenset({SPENDS, RISK_FINGERPRINTS, RATED, RETURNED})

#: Views whose rows the store reads from the entries table instead of keeping a copy: an ``events`` row is the
#: entry's own columns, and the entries' unique event id already refuses a second record of an event.
IN_ENTRIES = frozenset({EVENTS})
