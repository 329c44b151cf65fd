"""Rules for erasing an attachment's content (privacy law): who may, of what, and once.

Every attachment a logged event commits to has an ``attachments`` view row naming that event (the first to commit
to the digest). An ``attachment.erasure`` follows that event, about the same subject, so the subject's history
shows the erasure beside what it erased. A regulator or registrar may erase any attachment, for any reason code of
the fixed list; the data subject (PIPL art. 47) may erase what its own pseudonymous key committed to — a
consumer's review or complaint text — with ``pipl_request``. A registered actor may not erase its own attachments
(a producer's failed inspection report stays), and nothing is erased twice.
"""

from __future__ import annotations

from ledger.errors import AlreadyErased, NotAuthorized, UnknownAttachment, WrongParents
from ledger.events.schemas import AttachmentErasure
from ledger.rules.context import Context
from ledger.rules.views import ATTACHED, KEYS, AttachedRow

ERASERS = ("regulator", "registrar")
OWN_ERASURE_REASON = "pipl_request"


def commit(ctx: Context) -> None:
    """Record the attachments an event commits to, the first commitment of a digest being the one that counts."""
    for attachment in ctx.event.payload.attachments:
        if ctx.state.get(ATTACHED, attachment.digest) is None:
            row: AttachedRow = {
                "event": ctx.event_id,
                "subject": ctx.subject,
                "signer": ctx.signer_kid,
                "erasure": None,
            }
            ctx.state.put(ATTACHED, attachment.digest, row)


def erasure(ctx: Context) -> None:
    """Erase a committed attachment's content once, by a regulator, a registrar or its own consumer key."""
    ctx.only_signed_by_actor()
    parent = ctx.parents(1)[0]
    data = ctx.data(AttachmentErasure)
    digest = data.digest
    committed = ctx.state.get(ATTACHED, digest)
    if committed is None:
        raise UnknownAttachment(f"no logged event commits to attachment {digest}")
    if committed["event"] != parent or committed["subject"] != ctx.subject:
        raise WrongParents(
            f"an erasure of {digest} follows event {committed['event']} about {committed['subject']}, "
            "which committed to it"
        )
    _may_erase(ctx, data, committed)
    if committed["erasure"] is not None:
        raise AlreadyErased(f"attachment {digest} was already erased by event {committed['erasure']}")
    erased: AttachedRow = {**committed, "erasure": ctx.event_id}
    ctx.state.put(ATTACHED, digest, erased)


def _may_erase(ctx: Context, data: AttachmentErasure, committed: AttachedRow) -> None:
    own = committed["signer"] == ctx.signer_kid and ctx.state.get(KEYS, ctx.signer_kid) is None
    if not own:
        if ctx.state.get(KEYS, ctx.signer_kid) is None:
            raise NotAuthorized(f"key {ctx.signer_kid} neither committed to {data.digest} nor is registered")
        ctx.registered_signer(*ERASERS)
    elif data.reason != OWN_ERASURE_REASON:
        raise NotAuthorized(f"a data subject erases its own attachment with reason {OWN_ERASURE_REASON}")
