"""Attachments: content kept outside the log, committed to by a salted digest.

The stored form is ``salt (16 random bytes) || content`` and the digest covers both, so erasing the stored bytes
(privacy law) leaves every signature and proof valid while the digest reveals nothing guessable about the text.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from ledger.errors import InvalidAttachment

SALT_SIZE = 16
DIGEST_PREFIX = "sha256:"


@dataclass(frozen=True)
class AttachmentRef:
    """What an event payload says about an attachment: ``{"digest", "media_type", "size"}``."""

    digest: str
    media_type: str
    size: int

    def to_json(self) -> dict[str, str | int]:
        return {"digest": self.digest, "media_type": self.media_type, "size": self.size}


@dataclass(frozen=True)
class SealedAttachment:
    ref: AttachmentRef
    stored: bytes  # salt || content

    @property
    def content(self) -> bytes:
        return self.stored[SALT_SIZE:]


def digest_of(stored: bytes) -> str:
    return DIGEST_PREFIX + hashlib.sha256(stored).hexdigest()


def seal_attachment(content: bytes, media_type: str, *, salt: bytes | None = None) -> SealedAttachment:
    salt = os.urandom(SALT_SIZE) if salt is None else salt
    if len(salt) != SALT_SIZE:
        raise InvalidAttachment(f"an attachment salt is {SALT_SIZE} bytes")
    stored = salt + content
    return SealedAttachment(AttachmentRef(digest_of(stored), media_type, len(content)), stored)


def open_attachment(stored: bytes, ref: AttachmentRef) -> SealedAttachment:
    """Check stored bytes against the reference an event committed to."""
    if len(stored) != SALT_SIZE + ref.size:
        raise InvalidAttachment(f"attachment {ref.digest}: size differs from the {ref.size} bytes committed to")
    # Compared as bytes: a corrupted reference may hold non-ASCII text, which compare_digest refuses as str.
    if not hmac.compare_digest(digest_of(stored).encode(), ref.digest.encode("utf-8", "surrogatepass")):
        raise InvalidAttachment(f"attachment {ref.digest}: content does not match its digest")
    return SealedAttachment(ref, stored)
