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
        │   └── GenesisViolation             genesis is the first entry and only the first
        ├── ProofError                       a Merkle proof does not verify
        │   ├── InclusionProofError
        │   └── ConsistencyProofError
        ├── CheckpointError                  a checkpoint is malformed, unsigned or inconsistent
        ├── LedgerStateError                 the ledger home or database is missing or unusable
        └── NotFound                         no such entry, event or checkpoint (404)
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


class NotFound(LedgerError):
    slug = "not-found"
    title = "Not found"
    status = 404
