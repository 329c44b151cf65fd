"""Every failure the ledger reports, drawn once here.

Each class carries the RFC 9457 problem it maps to (``slug`` → ``/problems/<slug>``, ``title``, HTTP
``status``), so the API answers and the CLI's one-line errors come from the same definition::

    TraceledgerError (signer.errors)
    ├── SignerError: KeyFileError, SignatureError, NoteError  (signer.errors)
    └── LedgerError
        ├── InvalidEventError                the submission itself is malformed (400)
        │   ├── EnvelopeTooLarge             over 64 KiB (413)
        │   ├── MalformedEnvelope            not a DSSE envelope of our payload type
        │   ├── NonCanonicalPayload          payload bytes are not RFC 8785 canonical JSON
        │   ├── InvalidPayload               a field of the event payload is invalid
        │   ├── InvalidIdentifier            a GTIN, SSCC, USCC, lot, serial or subject path is invalid
        │   └── InvalidAttachment            an attachment does not match its digest
        ├── AuthenticationError              signatures (401-style, reported as 403)
        │   ├── UnknownKey                   a keyid the ledger does not know
        │   └── BadEnvelopeSignature         a signature that does not verify
        ├── ConflictError                    the log already holds something incompatible (409)
        │   └── EventConflict                same event id, different envelope
        ├── RuleViolation                    a valid, authentic event the rules do not allow (422)
        │   ├── GenesisViolation             genesis is the first entry and only the first
        │   ├── WrongParents                 parents are not the events the kind must follow
        │   ├── NotAuthorized (403)          the signer lacks the role, key or standing for this event
        │   │   ├── KeyRevoked               signed by a key after its revocation was logged
        │   │   ├── KeyExpired               signed by a key past its validity
        │   │   ├── BlackListed              a black-listed actor may not produce, list or ship
        │   │   ├── LicenceMissing           no valid licence for the goods' category
        │   │   └── NotConsignee             only the consignee key declared at dispatch may sign for the parcel
        │   ├── UnknownActor / UnknownBatch / UnknownParcel / UnknownComplaint
        │   ├── UnknownAttachment            an erasure of a digest no logged event committed to
        │   ├── UnknownEvidence              a risk finding cites an event the log does not hold
        │   ├── UnknownFinding               a sanction or recall acts on a finding the log does not hold
        │   ├── FindingActorMismatch         a sanction acts on a finding about another actor
        │   ├── FindingBatchMismatch         a recall acts on a finding about other goods
        │   ├── ScanFindingUnfounded         a finding of scans of never-issued codes the log does not bear out
        │   ├── PrefixNotOwned               a GTIN outside the producer's GS1 company prefixes (counterfeit)
        │   ├── BatchRecalled                a recall blocks listings and dispatches (except returns)
        │   ├── InputRecalled                a recalled batch cannot be the input of a new batch
        │   ├── BatchOnHold                  a failed inspection holds it (as a recall does) until one passes
        │   ├── BatchExpired                 an expired batch cannot be listed
        │   ├── InsufficientQuantity         shipping more than the sender holds
        │   ├── InsufficientInput            a production using more of an input batch than its producer holds
        │   ├── WrongCustodian               a handoff from someone who does not hold the parcel
        │   ├── ParcelOnPallet               a case on a pallet moves only with it (nor can a pallet go on one)
        │   ├── NotAPallet                   splitting a parcel that no aggregation made
        │   ├── ReceiptRequired              a review needs a receipt signed by the reviewer
        │   ├── SerialNotIssued              a serial its batch's labels never carried (outside 1 to its quantity)
        │   ├── NotAParty                    a rating of an actor that neither sent nor carried the parcel
        │   ├── ChannelNotAllowed            a consumer's own complaint comes through the consumer channel only
        │   ├── ReasonRequired               a complaint's resolution names its reason
        │   ├── CommitmentExpired            a commitment whose validity ends before it is logged
        │   ├── NoReturnCommitment           a return of a parcel its sender did not promise no-reason returns for
        │   ├── ReturnWindowClosed           a return requested more than 7 days after the receipt
        │   └── conflicts (409): ActorExists, PrefixTaken, BatchExists, ParcelExists, CustodyFork,
        │       AlreadySigned, ReviewLimit, ComplaintClosed, StaleUpdate, AlreadyErased,
        │       FindingExists, SerialAlreadySold, RatingExists, ReturnExists
        ├── ProofError                       a Merkle proof does not verify
        │   ├── InclusionProofError
        │   └── ConsistencyProofError
        ├── CheckpointError                  a checkpoint is malformed, unsigned or inconsistent
        ├── LedgerStateError                 the ledger home or database is missing or unusable (500)
        │   ├── ConservationError            a batch's quantities no longer add up: the state is corrupt
        │   ├── BehindHighWater              the database does not extend the home's high-water checkpoint
        │   ├── SchemaOutdated               the database's schema is older than this traceledger's: migrate it
        │   ├── SchemaTooNew                 the database's schema is newer than this traceledger knows
        │   └── InsufficientStorage (507)    the database's disk is full: nothing was stored, send it again later
        ├── InvalidQuery                     an export or EPCIS query parameter is unknown or malformed (400)
        ├── InvalidEpcisEvent                an EPCIS event handed to the event hash is not one
        └── NotFound                         no such entry, event, checkpoint or attachment (404)
            └── AttachmentRemoved (410)      the attachment's content was erased; its entry still verifies
"""

from __future__ import annotations

from signer.errors import TraceledgerError


class LedgerError(TraceledgerError):
    slug = "ledger-error"
    title = "Ledger error"
    position: int | None = None  # which event of a submitted batch, when the batch had several

    def at(self, position: int) -> LedgerError:
        """This error, marked as caused by event ``position`` of a batch (the detail says so too)."""
        self.position = position
        self.detail = f"event {position} of the batch: {self.detail}"
        self.args = (self.detail,)
        return self


class InvalidEventError(LedgerError):
    slug = "invalid-event"
    title = "Invalid event"


class EnvelopeTooLarge(InvalidEventError):
    slug = "envelope-too-large"
    title = "Envelope too large"
    status = 413


class MalformedEnvelope(InvalidEventError):
    slug = "malformed-envelope"
    title = "Malformed DSSE envelope"


class NonCanonicalPayload(InvalidEventError):
    slug = "non-canonical-payload"
    title = "Payload is not canonical JSON"


class InvalidPayload(InvalidEventError):
    slug = "invalid-payload"
    title = "Invalid event payload"


class InvalidIdentifier(InvalidEventError):
    slug = "invalid-identifier"
    title = "Invalid identifier"


class InvalidAttachment(InvalidEventError):
    slug = "invalid-attachment"
    title = "Attachment does not match its digest"


class AuthenticationError(LedgerError):
    slug = "authentication"
    title = "Event not authenticated"
    status = 403


class UnknownKey(AuthenticationError):
    slug = "unknown-key"
    title = "Unknown signing key"


class BadEnvelopeSignature(AuthenticationError):
    slug = "bad-envelope-signature"
    title = "Envelope signature does not verify"


class ConflictError(LedgerError):
    slug = "conflict"
    title = "Conflict with the log"
    status = 409


class EventConflict(ConflictError):
    slug = "event-conflict"
    title = "Event already logged with a different envelope"


class RuleViolation(LedgerError):
    slug = "rule-violation"
    title = "Event not allowed by the ledger rules"
    status = 422


class GenesisViolation(RuleViolation):
    slug = "genesis"
    title = "Genesis must be the first entry, and only the first"


class WrongParents(RuleViolation):
    slug = "wrong-parents"
    title = "Parents are not the events this kind must follow"


class NotAuthorized(RuleViolation):
    slug = "not-authorized"
    title = "Signer not authorized for this event"
    status = 403


class KeyRevoked(NotAuthorized):
    slug = "key-revoked"
    title = "Signed by a revoked key"


class KeyExpired(NotAuthorized):
    slug = "key-expired"
    title = "Signed by a key past its validity"


class BlackListed(NotAuthorized):
    slug = "black-listed"
    title = "Actor is on the black list"


class LicenceMissing(NotAuthorized):
    slug = "licence-missing"
    title = "No valid licence for this category of goods"


class NotConsignee(NotAuthorized):
    slug = "not-consignee"
    title = "Not the consignee key declared at dispatch"


class UnknownActor(RuleViolation):
    slug = "unknown-actor"
    title = "No such registered actor"


class UnknownBatch(RuleViolation):
    slug = "unknown-batch"
    title = "No such batch"


class UnknownParcel(RuleViolation):
    slug = "unknown-parcel"
    title = "No such parcel"


class UnknownComplaint(RuleViolation):
    slug = "unknown-complaint"
    title = "No such complaint"


class UnknownAttachment(RuleViolation):
    slug = "unknown-attachment"
    title = "No logged event commits to this attachment"


class UnknownEvidence(RuleViolation):
    slug = "unknown-evidence"
    title = "Unknown evidence"


class UnknownFinding(RuleViolation):
    slug = "unknown-finding"
    title = "Unknown risk finding"


class FindingActorMismatch(RuleViolation):
    """A sanction naming a risk finding acts on it: the sanctioned actor is the actor the finding is about."""

    slug = "finding-actor-mismatch"
    title = "Sanction of an actor the finding is not about"


class FindingBatchMismatch(RuleViolation):
    """A recall naming a risk finding acts on it: the recalled batch is the finding's subject (or the batch of its
    item), or one of its evidence events is about that batch, an item of it, or a parcel carrying it."""

    slug = "finding-batch-mismatch"
    title = "Recall of a batch the finding is not about"


class ScanFindingUnfounded(RuleViolation):
    """A finding of scans of codes never issued must be checkable from the log: its codes are of its batch, a
    produced batch's production (cited) issued none of them, and an unproduced batch's GTIN is under a GS1 prefix
    of the actor it names, whose registration it cites."""

    slug = "scan-finding-unfounded"
    title = "Finding of never-issued codes not borne out by the log"


class PrefixNotOwned(RuleViolation):
    slug = "gtin-prefix-not-owned"
    title = "GTIN outside the producer's GS1 company prefixes"


class BatchRecalled(RuleViolation):
    slug = "batch-recalled"
    title = "Batch is recalled"


class InputRecalled(RuleViolation):
    slug = "input-recalled"
    title = "Input batch is recalled"


class BatchOnHold(RuleViolation):
    slug = "batch-on-hold"
    title = "Batch is on hold after a failed inspection"


class BatchExpired(RuleViolation):
    slug = "batch-expired"
    title = "Batch is past its expiry date"


class InsufficientQuantity(RuleViolation):
    slug = "insufficient-quantity"
    title = "Sender does not hold that quantity"


class InsufficientInput(RuleViolation):
    slug = "insufficient-input"
    title = "Producer does not hold that quantity of an input batch"


class WrongCustodian(RuleViolation):
    slug = "wrong-custodian"
    title = "Handoff not from the parcel's current custodian"


class ParcelOnPallet(RuleViolation):
    """A case aggregated onto a pallet is handed off, signed for or loaded again only once the pallet is split
    (on arrival, or by a disaggregation); a pallet does not travel on another pallet."""

    slug = "parcel-on-pallet"
    title = "Parcel travels on a pallet"


class NotAPallet(RuleViolation):
    slug = "not-a-pallet"
    title = "Parcel is not a pallet"


class ReceiptRequired(RuleViolation):
    slug = "receipt-required"
    title = "A review needs the reviewer's receipt of the goods"


class SerialNotIssued(RuleViolation):
    """A serial is one its batch's labels carry: 1 to the batch's quantity, zero-padded as the labels print it
    (``ledger.rules.serials``); an event naming any other serial of the batch is refused."""

    slug = "serial-not-issued"
    title = "Serial never issued for its batch"


class NotAParty(RuleViolation):
    """A consignee rates its parcel's sender and the couriers that carried it; any other actor is refused."""

    slug = "not-a-party"
    title = "Not a party to the parcel"


class ChannelNotAllowed(RuleViolation):
    """A consignee key files its own complaint through the ``consumer`` channel; a hotline complaint (12315, 12312,
    ...) is imported by the registered actor who took the call."""

    slug = "channel-not-allowed"
    title = "Complaint channel not open to this signer"


class ReasonRequired(RuleViolation):
    """A ``complaint.resolution`` logged from 2026-12-04 on names its reason (``data.reason``, one of a fixed
    list); resolutions logged before then replay without one."""

    slug = "reason-required"
    title = "A resolution needs its reason"


class CommitmentExpired(RuleViolation):
    slug = "commitment-expired"
    title = "Commitment already expired"


class NoReturnCommitment(RuleViolation):
    """A return request needs the parcel's sender to have promised 7-day no-reason returns (returns_7d) in the
    commitment in force when the parcel was dispatched."""

    slug = "no-return-commitment"
    title = "No return commitment for this parcel"


class ReturnWindowClosed(RuleViolation):
    """A 7-day no-reason return is requested at most 7 days (7 × 24 hours, log time) after the receipt."""

    slug = "return-window-closed"
    title = "Return window closed"


class RuleConflict(RuleViolation):
    slug = "rule-conflict"
    title = "Conflicts with the state of the ledger"
    status = 409


class ActorExists(RuleConflict):
    slug = "actor-exists"
    title = "Actor already registered"


class PrefixTaken(RuleConflict):
    slug = "gs1-prefix-taken"
    title = "GS1 company prefix belongs to another actor"


class BatchExists(RuleConflict):
    slug = "batch-exists"
    title = "Batch already produced"


class ParcelExists(RuleConflict):
    slug = "parcel-exists"
    title = "Parcel already dispatched"


class CustodyFork(RuleConflict):
    slug = "custody-fork"
    title = "Custody head already spent"


class AlreadySigned(RuleConflict):
    slug = "already-signed"
    title = "Parcel already signed for"


class ReviewLimit(RuleConflict):
    slug = "review-limit"
    title = "One review and one follow-up per receipt"


class ComplaintClosed(RuleConflict):
    slug = "complaint-closed"
    title = "Complaint already resolved"


class StaleUpdate(RuleConflict):
    slug = "stale-update"
    title = "Update does not follow the latest event it replaces"


class AlreadyErased(RuleConflict):
    """An attachment is erased by one logged event at most; a second erasure of it is refused."""

    slug = "already-erased"
    title = "Attachment already erased"


class FindingExists(RuleConflict):
    """A detector's finding (its detector and evidence set) is logged once; the same finding again is refused."""

    slug = "finding-exists"
    title = "Risk finding already logged"


class SerialAlreadySold(RuleConflict):
    """One code, one sale: an item a consumer signed for is not sold again; a refused parcel's items may be."""

    slug = "serial-already-sold"
    title = "Item already sold to a consumer"


class RatingExists(RuleConflict):
    """A receipt rates each party once, with one follow-up to that rating; another rating is refused."""

    slug = "rating-exists"
    title = "One rating and one follow-up per party and receipt"


class ReturnExists(RuleConflict):
    """A receipt's goods are returned once; a second return request for it is refused."""

    slug = "return-exists"
    title = "Return already requested"


class ProofError(LedgerError):
    slug = "bad-proof"
    title = "Proof does not verify"


class InclusionProofError(ProofError):
    slug = "bad-inclusion-proof"
    title = "Inclusion proof does not verify"


class ConsistencyProofError(ProofError):
    slug = "bad-consistency-proof"
    title = "Consistency proof does not verify"


class CheckpointError(LedgerError):
    slug = "bad-checkpoint"
    title = "Checkpoint invalid"


class LedgerStateError(LedgerError):
    slug = "ledger-state"
    title = "Ledger unavailable"
    status = 500


class ConservationError(LedgerStateError):
    slug = "conservation"
    title = "Batch quantities do not add up"


class BehindHighWater(LedgerStateError):
    slug = "behind-high-water"
    title = "Database rolled back behind the high-water checkpoint"


class SchemaOutdated(LedgerStateError):
    slug = "schema-outdated"
    title = "Ledger schema outdated"


class SchemaTooNew(LedgerStateError):
    slug = "schema-too-new"
    title = "Ledger schema too new"


class InsufficientStorage(LedgerStateError):
    """The disk under the database (or the home) is full; the transaction rolled back, so a retry is safe."""

    slug = "insufficient-storage"
    title = "Insufficient storage"
    status = 507


class InvalidQuery(LedgerError):
    slug = "invalid-query"
    title = "Invalid query"
    status = 400


class InvalidEpcisEvent(LedgerError):
    slug = "invalid-epcis-event"
    title = "Invalid EPCIS event"
    status = 400


class NotFound(LedgerError):
    slug = "not-found"
    title = "Not found"
    status = 404


class AttachmentRemoved(NotFound):
    slug = "attachment-removed"
    title = "Attachment content removed"
    status = 410
