"""Submitted envelopes and log entries: parsing with size and canonical-form checks.

A log entry is the canonical JSON of ``{"envelope": ..., "logged_at": ...}``: the log commits to when it recorded
an event as well as to what was signed. Parsing never re-encodes the payload for the signer; it only checks that
the signed bytes already are canonical, so any verifier can hash them as they are.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ledger.errors import (
    BadEnvelopeSignature,
    EnvelopeTooLarge,
    InvalidEventError,
    InvalidPayload,
    MalformedEnvelope,
    NonCanonicalPayload,
)
from ledger.events.attachments import AttachmentRef
from ledger.events.canonical import loads_strict, parse_canonical
from ledger.events.payload import KID_RE, PAYLOAD_TYPE, EventPayload, event_id_of, format_time, parse_time
from ledger.events.schemas import EventData, validate_data
from signer.dsse import Envelope, EnvelopeSignature, sign_envelope
from signer.errors import SignatureError
from signer.keys import SigningKey, verify_signature

ENTRY_OVERHEAD = len(b'{"envelope":,"logged_at":"2026-11-29T08:00:00.000Z"}')
#: 64 KiB for a whole log entry, the most a C2SP tile entry bundle can frame (uint16 lengths): the envelope's
#: canonical bytes may use what the entry's own fields leave.
MAX_ENVELOPE_BYTES = 65535 - ENTRY_OVERHEAD
MAX_SIGNATURES = 2  # a handoff carries the receiver's and the sender's signature
MAX_CLOCK_AHEAD = timedelta(minutes=5)
MAX_CLOCK_BEHIND = timedelta(days=7)
D = TypeVar("D", bound=EventData)


@dataclass(frozen=True)
class ParsedEvent:
    """A structurally valid submission: its envelope, payload and event id (signatures not yet checked), and the
    payload's data as its kind's validated model, which the rules and the pages read (``payload.data`` keeps the
    data exactly as signed)."""

    envelope: Envelope
    payload: EventPayload
    data: EventData
    event_id: str
    envelope_bytes: bytes  # the envelope's canonical JSON, as the log entry embeds it

    @property
    def envelope_json(self) -> dict[str, Any]:
        return self.envelope.to_json()

    def data_as(self, model: type[D]) -> D:
        """The data as ``model``, for a reader that knows the event's kind (and so its schema) already."""
        if not isinstance(self.data, model):
            raise TypeError(f"a {self.payload.kind} event's data is a {type(self.data).__name__}, not {model.__name__}")
        return self.data

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as plain fields: workers hand parsed events to the appending process, where unpickling is on the
        critical path. Tuples of strings, bytes and the data dict load several times faster than the dataclasses
        (or re-parsing the JSON); the envelope's canonical bytes are cheaper to rebuild than to send. The data model
        travels as it is: loading it costs about what validating the data again would."""
        envelope, payload = self.envelope, self.payload
        return (
            _restore_validated,
            (
                envelope.payload,
                tuple((s.keyid, s.sig) for s in envelope.signatures),
                (payload.kind, payload.subject, payload.actor, payload.time, payload.parents, payload.data),
                tuple((a.digest, a.media_type, a.size) for a in payload.attachments),
                self.data,
                self.event_id,
            ),
        )


KeyLookup = Callable[[str], bytes | None]


def verify_signatures(event: ParsedEvent, key_of: KeyLookup, skip: Collection[int] = ()) -> list[int]:
    """Verify each signature of ``event`` (but those numbered in ``skip``) under the key ``key_of`` finds for its
    keyid, in order; raises BadEnvelopeSignature at the first that does not verify. Returns the numbers of the
    signatures whose key ``key_of`` did not find (it may raise instead, to refuse an unknown key)."""
    message: bytes | None = None
    keyless: list[int] = []
    for number, signature in enumerate(event.envelope.signatures):
        if number in skip:
            continue
        key = key_of(signature.keyid)
        if key is None:
            keyless.append(number)
            continue
        message = message or event.envelope.pae()
        if not verify_signature(key, message, signature.sig):
            raise BadEnvelopeSignature(f"the signature by key {signature.keyid} does not verify")
    return keyless


def _restore_validated(
    payload_bytes: bytes,
    signatures: tuple[tuple[str, bytes], ...],
    fields: tuple[str, str, str, str, tuple[str, ...], Mapping[str, Any]],
    attachments: tuple[tuple[str, str, int], ...],
    data: EventData,
    event_id: str,
) -> ParsedEvent:
    """Rebuild a ParsedEvent that ``parse_envelope`` accepted in another process (see ``__reduce__``)."""
    envelope = Envelope(PAYLOAD_TYPE, payload_bytes, tuple(EnvelopeSignature(k, s) for k, s in signatures))
    payload = EventPayload(*fields, tuple(AttachmentRef(*a) for a in attachments))
    return ParsedEvent(envelope, payload, data, event_id, _envelope_bytes(envelope))


def _read_envelope(submission: bytes | Mapping[str, Any]) -> Envelope:
    """The DSSE envelope of a submission (raw bytes or already-decoded JSON), checked as an envelope of ours
    (type, signature count, key ids) but its payload not yet looked at."""
    if isinstance(submission, bytes | bytearray):
        if len(submission) > MAX_ENVELOPE_BYTES:
            raise EnvelopeTooLarge(f"the envelope is {len(submission)} bytes; the limit is {MAX_ENVELOPE_BYTES}")
        try:
            obj = loads_strict(bytes(submission))
        except NonCanonicalPayload as exc:
            raise MalformedEnvelope(f"the envelope is not valid JSON: {exc.detail}") from None
    else:
        obj = submission
    try:
        envelope = Envelope.from_json(obj)
    except SignatureError as exc:
        raise MalformedEnvelope(exc.detail) from None
    if len(envelope.signatures) > MAX_SIGNATURES:
        raise MalformedEnvelope(f"an envelope carries at most {MAX_SIGNATURES} signatures")
    if envelope.payload_type != PAYLOAD_TYPE:
        raise MalformedEnvelope(f"payloadType must be {PAYLOAD_TYPE!r}")
    for signature in envelope.signatures:
        if not KID_RE.fullmatch(signature.keyid):
            raise MalformedEnvelope(f"keyid {signature.keyid[:40]!r} is not a key id (32 lowercase hex characters)")
    return envelope


def envelope_identity(submission: bytes | Mapping[str, Any]) -> tuple[str, bytes]:
    """A submission's event id and the first bytes of any log entry holding exactly its envelope, found without
    reading the payload or checking a signature: enough to recognise an envelope the log already holds."""
    envelope = _read_envelope(submission)
    return event_id_of(envelope.payload), entry_prefix(_envelope_bytes(envelope))


def parse_envelope(submission: bytes | Mapping[str, Any]) -> ParsedEvent:
    """Parse one submitted DSSE envelope (raw bytes or already-decoded JSON)."""
    envelope = _read_envelope(submission)
    envelope_bytes = _envelope_bytes(envelope)
    if len(envelope_bytes) > MAX_ENVELOPE_BYTES:
        raise EnvelopeTooLarge(f"the envelope is larger than {MAX_ENVELOPE_BYTES} bytes")
    try:
        payload_obj = parse_canonical(envelope.payload)
    except NonCanonicalPayload as exc:
        raise NonCanonicalPayload(f"payload: {exc.detail}") from None
    payload = EventPayload.from_json(payload_obj)
    data = validate_data(payload.kind, payload.subject, payload.data)
    if payload.actor not in {s.keyid for s in envelope.signatures}:
        raise MalformedEnvelope(f"the envelope carries no signature by its actor {payload.actor}")
    return ParsedEvent(envelope, payload, data, event_id_of(envelope.payload), envelope_bytes)


def _envelope_bytes(envelope: Envelope) -> bytes:
    """The envelope's canonical JSON, written directly: its type is our constant and its keyids and base64
    strings need no escaping, so concatenation in sorted key order is exactly RFC 8785."""
    signatures = b",".join(
        b'{"keyid":"%s","sig":"%s"}' % (s.keyid.encode("ascii"), base64.b64encode(s.sig)) for s in envelope.signatures
    )
    return b'{"payload":"%s","payloadType":"%s","signatures":[%s]}' % (
        base64.b64encode(envelope.payload),
        envelope.payload_type.encode("ascii"),
        signatures,
    )


def sign_event(payload: EventPayload, keys: Sequence[SigningKey]) -> Envelope:
    """Sign a payload's canonical bytes; the first key is normally the payload's actor."""
    return sign_envelope(PAYLOAD_TYPE, payload.canonical(), keys)


def check_clock(payload: EventPayload, logged_at: datetime) -> None:
    """A signer's claimed time may be at most 5 minutes after logging and at most 7 days before it."""
    claimed = payload.moment
    if claimed > logged_at + MAX_CLOCK_AHEAD:
        raise InvalidPayload(f"time {payload.time} is more than 5 minutes after the log time")
    if claimed < logged_at - MAX_CLOCK_BEHIND:
        raise InvalidPayload(f"time {payload.time} is more than 7 days before the log time")


def entry_prefix(envelope_bytes: bytes) -> bytes:
    """How the log entry of an envelope begins, up to its time: the canonical form of {"envelope": ...,
    "logged_at": ...} has its keys in this order, and the envelope's bytes are canonical already."""
    return b'{"envelope":' + envelope_bytes + b',"logged_at":"'


def log_time(moment: datetime) -> str:
    """How a log entry writes when it was logged: RFC 3339 UTC with milliseconds."""
    return format_time(moment, milliseconds=True)


@dataclass(frozen=True)
class LogEntry:
    """An entry as the log stores and hashes it."""

    event: ParsedEvent
    logged_at: str
    data: bytes

    @classmethod
    def create(cls, event: ParsedEvent, stamp: str) -> LogEntry:
        """The entry for ``event`` logged at ``stamp`` (RFC 3339 UTC with milliseconds, see ``log_time``)."""
        data = entry_prefix(event.envelope_bytes) + stamp.encode("ascii") + b'"}'
        return cls(event, stamp, data)

    @classmethod
    def parse(cls, data: bytes) -> LogEntry:
        """Parse stored entry bytes, checking they are canonical and hold a valid envelope."""
        try:
            obj = parse_canonical(data)
        except NonCanonicalPayload as exc:
            raise InvalidEventError(f"log entry: {exc.detail}") from None
        if not isinstance(obj, dict) or set(obj) != {"envelope", "logged_at"}:
            raise InvalidEventError("a log entry has exactly the fields envelope and logged_at")
        parse_time(obj["logged_at"], "logged_at")
        return cls(parse_envelope(obj["envelope"]), obj["logged_at"], data)

    @property
    def logged_moment(self) -> datetime:
        return parse_time(self.logged_at, "logged_at")
