"""Attachment content: uploaded after the entry that commits to it is logged, read back, and erasable.

Appending an entry records each attachment it commits to (digest, media type, size) with no content. The content
(``salt || bytes``, DESIGN §3) is accepted later only if it matches that commitment, so nobody can store anything
under a digest the log does not hold. Erasing it (privacy law) is itself a logged, signed ``attachment.erasure``
event: the append that logs it empties the content in the same transaction and stamps ``erased_at`` with the
entry's ``logged_at``, so the audit can require that every missing content is covered by an erasure. The entry,
its signatures and every proof stay valid, and a removed attachment is never stored again. An upload is one
guarded ``UPDATE``, so a concurrent upload and erasure cannot undo each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from typing import Any, Literal

from sqlalchemy import select, update

from ledger.errors import AttachmentRemoved, NotFound
from ledger.events import AttachmentRef, SealedAttachment, open_attachment, sign_event
from ledger.events.attachments import SALT_SIZE
from ledger.events.builders import erasure_payload
from ledger.store.engine import storing
from ledger.store.ledger import AppendResult, Ledger, LogReads
from ledger.store.tables import ATTACHMENTS
from signer.keys import SigningKey

__all__ = [
    "Attachment",
    "attachment_text",
    "committed_attachment",
    "erase_attachment",
    "erasure_of",
    "find_attachments",
    "read_attachment",
    "store_attachment",
]

Status = Literal["stored", "missing", "removed"]


@dataclass(frozen=True)
class Attachment:
    """What the ledger holds about one committed attachment."""

    ref: AttachmentRef
    leaf_index: int  # the first entry that committed to it
    stored: bytes | None  # salt || content, while uploaded and not erased
    erased_at: str | None

    @property
    def status(self) -> Status:
        """``stored``, ``missing`` (committed to, never uploaded) or ``removed`` (erased)."""
        if self.erased_at is not None:
            return "removed"
        return "missing" if self.stored is None else "stored"

    @property
    def content(self) -> bytes | None:
        """The content without its salt, when stored."""
        return None if self.stored is None else self.stored[SALT_SIZE:]

    @property
    def text(self) -> str | None:
        """The content as text when its media type is ``text/*`` (decoded by its charset, UTF-8 by default)."""
        content = self.content
        if content is None:
            return None
        header = Message()
        header["Content-Type"] = self.ref.media_type
        if header.get_content_maintype() != "text":
            return None
        charset = header.get_content_charset() or "utf-8"
        try:
            return content.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return None


def _attachment(row: Any) -> Attachment:
    ref = AttachmentRef(row.digest, row.media_type, row.size)
    return Attachment(ref, row.leaf_index, None if row.content is None else bytes(row.content), row.erased_at)


def find_attachments(ledger: LogReads, digests: Iterable[str]) -> dict[str, Attachment]:
    """The committed attachments among ``digests`` (digests no entry committed to are left out)."""
    wanted = sorted(set(digests))
    found: dict[str, Attachment] = {}
    with ledger.reading() as conn:
        for start in range(0, len(wanted), 500):
            rows = conn.execute(select(ATTACHMENTS).where(ATTACHMENTS.c.digest.in_(wanted[start : start + 500])))
            found.update((row.digest, _attachment(row)) for row in rows)
    return found


def committed_attachment(ledger: Ledger, digest: str) -> Attachment:
    """The attachment a logged entry committed to under ``digest``; ``NotFound`` when none did."""
    found = find_attachments(ledger, [digest]).get(digest)
    if found is None:
        raise NotFound(f"no logged entry commits to attachment {digest}")
    return found


def store_attachment(ledger: Ledger, digest: str, stored: bytes) -> bool:
    """Store ``salt || content`` for a digest a logged entry committed to; True if stored now, False if it already
    was. Raises ``NotFound`` for a digest no entry committed to, ``InvalidAttachment`` when the bytes do not match
    the digest and size committed to, and ``AttachmentRemoved`` once the attachment was erased."""
    committed = committed_attachment(ledger, digest)
    open_attachment(stored, committed.ref)
    with storing(f"attachment {digest}"), ledger.engine.begin() as conn:
        changed = conn.execute(
            update(ATTACHMENTS)
            .where(ATTACHMENTS.c.digest == digest, ATTACHMENTS.c.content.is_(None), ATTACHMENTS.c.erased_at.is_(None))
            .values(content=stored)
        ).rowcount
    if changed:
        return True
    if committed_attachment(ledger, digest).status == "removed":  # erased before or while this upload ran
        raise AttachmentRemoved(f"attachment {digest} was erased and is not stored again")
    return False


def read_attachment(ledger: Ledger, digest: str) -> SealedAttachment:
    """The stored ``salt || content`` with its reference; ``NotFound`` when never committed to or not uploaded
    yet, ``AttachmentRemoved`` once erased."""
    found = committed_attachment(ledger, digest)
    if found.status == "removed":
        raise AttachmentRemoved(f"the content of attachment {digest} was removed on {found.erased_at}")
    if found.stored is None:
        raise NotFound(f"the content of attachment {digest} has not been uploaded")
    return SealedAttachment(found.ref, found.stored)


def erasure_of(ledger: Ledger, signer: SigningKey, digest: str, reason: str) -> dict[str, Any]:
    """The signed ``attachment.erasure`` envelope of a committed attachment, following the entry that committed
    to it; ``NotFound`` for a digest no entry committed to. Appending it erases the content (see the module)."""
    committed = ledger.entry(committed_attachment(ledger, digest).leaf_index)
    payload = erasure_payload(signer, committed.subject, committed.event_id, digest=digest, reason=reason)
    return sign_event(payload, [signer]).to_json()


def erase_attachment(ledger: Ledger, signer: SigningKey, digest: str, reason: str) -> AppendResult:
    """Log the erasure of an attachment's content, signed by ``signer``; the content is gone once it commits."""
    return ledger.append([erasure_of(ledger, signer, digest, reason)])[0]


def attachment_text(ledger: LogReads, digest: str) -> str | None:
    """The text of a stored ``text/*`` attachment; None when it is not text, not uploaded, erased or unknown."""
    found = find_attachments(ledger, [digest]).get(digest)
    return None if found is None else found.text
