"""Submitted envelopes and log entries: parsing with size and canonical-form checks.

A log entry is the canonical JSON of ``{"envelope": ..., "logged_at": ...}``: the log commits to when it recorded
an event as well as to what was signed. Parsing never re-encodes the payload for the signer; it only checks that
the signed bytes already are canonical, so any verifier can hash them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ledger.errors import (
    EnvelopeTooLarge,
    InvalidEventError,
    InvalidPayload,
    MalformedEnvelope,
    NonCanonicalPayload,
)
from ledger.events.canonical import canonical_json, loads_strict
from ledger.events.payload import PAYLOAD_TYPE, EventPayload, event_id_of, format_time, parse_time
from signer.dsse import Envelope, sign_envelope
from signer.errors import SignatureError
from signer.keys import SigningKey

MAX_ENVELOPE_BYTES = 64 * 1024
MAX_SIGNATURES = 2  # a handoff carries the receiver's and the sender's signature
MAX_CLOCK_AHEAD = timedelta(minutes=5)
MAX_CLOCK_BEHIND = timedelta(days=7)


@dataclass(frozen=True)
class ParsedEvent:
    """A structurally valid submission: its envelope, payload and event id (signatures not yet checked)."""

    envelope: Envelope
    payload: EventPayload
    event_id: str

    @property
    def envelope_json(self) -> dict[str, Any]:
        return self.envelope.to_json()


def parse_envelope(submission: bytes | Mapping[str, Any]) -> ParsedEvent:
    """Parse one submitted DSSE envelope (raw bytes or already-decoded JSON)."""
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
    if len(canonical_json(envelope.to_json())) > MAX_ENVELOPE_BYTES:
        raise EnvelopeTooLarge(f"the envelope is larger than {MAX_ENVELOPE_BYTES} bytes")
    if envelope.payload_type != PAYLOAD_TYPE:
        raise MalformedEnvelope(f"payloadType must be {PAYLOAD_TYPE!r}")
    payload_obj = loads_strict(envelope.payload)
    if canonical_json(payload_obj) != envelope.payload:
        raise NonCanonicalPayload("the payload bytes are not RFC 8785 canonical JSON")
    payload = EventPayload.from_json(payload_obj)
    if payload.actor not in {s.keyid for s in envelope.signatures}:
        raise MalformedEnvelope(f"the envelope carries no signature by its actor {payload.actor}")
    return ParsedEvent(envelope, payload, event_id_of(envelope.payload))


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


@dataclass(frozen=True)
class LogEntry:
    """An entry as the log stores and hashes it."""

    event: ParsedEvent
    logged_at: str
    data: bytes

    @classmethod
    def create(cls, event: ParsedEvent, logged_at: datetime) -> LogEntry:
        stamp = format_time(logged_at, milliseconds=True)
        return cls(event, stamp, canonical_json({"envelope": event.envelope_json, "logged_at": stamp}))

    @classmethod
    def parse(cls, data: bytes) -> LogEntry:
        """Parse stored entry bytes, checking they are canonical and hold a valid envelope."""
        try:
            obj = loads_strict(data)
            if canonical_json(obj) != data:
                raise NonCanonicalPayload("the entry bytes are not canonical JSON")
        except NonCanonicalPayload as exc:
            raise InvalidEventError(f"log entry: {exc.detail}") from None
        if not isinstance(obj, dict) or set(obj) != {"envelope", "logged_at"}:
            raise InvalidEventError("a log entry has exactly the fields envelope and logged_at")
        parse_time(obj["logged_at"], "logged_at")
        return cls(parse_envelope(obj["envelope"]), obj["logged_at"], data)

    @property
    def logged_moment(self) -> datetime:
        return parse_time(self.logged_at, "logged_at")
