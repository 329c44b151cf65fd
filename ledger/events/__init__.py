"""The event model: canonical JSON, payloads, envelopes, log entries and attachments (DESIGN §3)."""

from ledger.events.attachments import AttachmentRef, SealedAttachment, open_attachment, seal_attachment
from ledger.events.canonical import canonical_json, loads_strict
from ledger.events.envelope import (
    MAX_ENVELOPE_BYTES,
    KeyLookup,
    LogEntry,
    ParsedEvent,
    check_clock,
    envelope_identity,
    log_time,
    parse_envelope,
    sign_event,
    verify_signatures,
)
from ledger.events.payload import KINDS, PAYLOAD_TYPE, EventPayload, event_id_of, format_time, parse_time

__all__ = [
    "KINDS",
    "MAX_ENVELOPE_BYTES",
    "PAYLOAD_TYPE",
    "AttachmentRef",
    "EventPayload",
    "KeyLookup",
    "LogEntry",
    "ParsedEvent",
    "SealedAttachment",
    "canonical_json",
    "check_clock",
    "envelope_identity",
    "event_id_of",
    "format_time",
    "loads_strict",
    "log_time",
    "open_attachment",
    "parse_envelope",
    "parse_time",
    "seal_attachment",
    "sign_event",
    "verify_signatures",
]
