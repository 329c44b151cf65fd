"""The event payload of DESIGN §3: what an actor signs about a subject.

Only the envelope-level shape is checked here; each kind's ``data`` schema and its rules live in
``ledger.rules``. The event id is the SHA-256 of the canonical payload bytes, so identity never depends on
signature bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger.errors import InvalidPayload
from ledger.events.attachments import DIGEST_PREFIX, AttachmentRef
from ledger.events.canonical import MAX_SAFE_INTEGER, canonical_json

PAYLOAD_TYPE = "application/vnd.traceledger.event+json;version=1"

KINDS = (
    "genesis",
    "actor.register",
    "actor.keys",
    "production",
    "inspection",
    "listing",
    "shipment",
    "signature",
    "review",
    "complaint",
    "complaint.resolution",
    "recall",
    "sanction",
    "attachment.erasure",
    "risk.finding",
    "rating",
    "commitment",
    "return.request",
)
FIELDS = frozenset({"kind", "subject", "actor", "time", "parents", "data", "attachments"})
MAX_PARENTS = 256
MAX_ATTACHMENTS = 32

KID_RE = re.compile(r"[0-9a-f]{32}")
EVENT_ID_RE = re.compile(r"[0-9a-f]{64}")
DIGEST_RE = re.compile(re.escape(DIGEST_PREFIX) + r"[0-9a-f]{64}")
TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
MEDIA_TYPE_RE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*(; ?[a-z0-9_-]+=[A-Za-z0-9_.-]+)*")


def event_id_of(payload_bytes: bytes) -> str:
    return hashlib.sha256(payload_bytes).hexdigest()


def parse_time(value: object, where: str) -> datetime:
    """An RFC 3339 UTC time written with ``Z``, as every signed time must be."""
    if not isinstance(value, str) or not TIME_RE.fullmatch(value):
        raise InvalidPayload(f"{where} must be an RFC 3339 UTC time like 2026-11-29T08:00:00Z")
    try:
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidPayload(f"{where} {value!r} is not a real date and time") from None


def format_time(moment: datetime, *, milliseconds: bool = False) -> str:
    moment = moment.astimezone(UTC)
    if milliseconds:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _attachment(obj: object, where: str) -> AttachmentRef:
    if not isinstance(obj, Mapping) or set(obj) != {"digest", "media_type", "size"}:
        raise InvalidPayload(f"{where} has exactly the fields digest, media_type and size")
    digest, media_type, size = obj["digest"], obj["media_type"], obj["size"]
    if not isinstance(digest, str) or not DIGEST_RE.fullmatch(digest):
        raise InvalidPayload(f"{where}.digest must be sha256:<64 lowercase hex>")
    if not isinstance(media_type, str) or len(media_type) > 255 or not MEDIA_TYPE_RE.fullmatch(media_type):
        raise InvalidPayload(f"{where}.media_type must be a lowercase media type such as text/plain")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_SAFE_INTEGER:
        raise InvalidPayload(f"{where}.size must be a non-negative integer")
    return AttachmentRef(digest, media_type, size)


@dataclass(frozen=True)
class EventPayload:
    kind: str
    subject: str
    actor: str
    time: str
    parents: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    attachments: tuple[AttachmentRef, ...] = ()

    @classmethod
    def from_json(cls, obj: object) -> EventPayload:
        """Validate the shape of a parsed payload; every field is required so that an event has one encoding."""
        if not isinstance(obj, Mapping):
            raise InvalidPayload("the payload must be a JSON object")
        if set(obj) != FIELDS:
            missing, extra = sorted(FIELDS - set(obj)), sorted(set(obj) - FIELDS)
            raise InvalidPayload(f"payload fields: missing {missing}, unexpected {extra}")
        kind, subject, actor, parents, data, attachments = (
            obj["kind"],
            obj["subject"],
            obj["actor"],
            obj["parents"],
            obj["data"],
            obj["attachments"],
        )
        if kind not in KINDS:
            raise InvalidPayload(f"kind {kind!r} is not one of {', '.join(KINDS)}")
        if not isinstance(subject, str) or not subject:
            raise InvalidPayload("subject must be a non-empty subject path")
        if not isinstance(actor, str) or not KID_RE.fullmatch(actor):
            raise InvalidPayload("actor must be a key id: 32 lowercase hex characters")
        if not isinstance(parents, list) or len(parents) > MAX_PARENTS:
            raise InvalidPayload(f"parents must be a list of at most {MAX_PARENTS} event ids")
        for i, parent in enumerate(parents):
            if not isinstance(parent, str) or not EVENT_ID_RE.fullmatch(parent):
                raise InvalidPayload(f"parents[{i}] must be an event id: 64 lowercase hex characters")
        if len(set(parents)) != len(parents):
            raise InvalidPayload("parents must not repeat an event id")
        if not isinstance(data, Mapping):
            raise InvalidPayload("data must be a JSON object")
        if not isinstance(attachments, list) or len(attachments) > MAX_ATTACHMENTS:
            raise InvalidPayload(f"attachments must be a list of at most {MAX_ATTACHMENTS} references")
        refs = tuple(_attachment(a, f"attachments[{i}]") for i, a in enumerate(attachments))
        parse_time(obj["time"], "time")
        return cls(kind, subject, actor, obj["time"], tuple(parents), data, refs)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "actor": self.actor,
            "time": self.time,
            "parents": list(self.parents),
            "data": dict(self.data),
            "attachments": [a.to_json() for a in self.attachments],
        }

    def canonical(self) -> bytes:
        return canonical_json(self.to_json())

    def canonical_id(self) -> str:
        """The event id this payload will have once signed (the SHA-256 of its canonical bytes)."""
        return event_id_of(self.canonical())

    @property
    def moment(self) -> datetime:
        return parse_time(self.time, "time")
